"""The database: SQLite (WAL) by default, PostgreSQL by URL, schema by Alembic.

SQLModel sessions are synchronous; the gRPC handlers are asyncio. Units of work run
off the event loop, so it never waits on the disk:

- :meth:`Database.write` hands a unit to one writer thread that commits in groups:
  whatever units are queued when it starts a transaction run in it, each after the
  first in its own savepoint, and one commit (one fsync) makes them all durable. A unit
  that fails is rolled back alone (the first with the transaction, which holds nothing
  else yet; the others to their savepoints); the others in its group are not touched.
- :meth:`Database.run` (reads) uses a thread pool on PostgreSQL; on SQLite, which has
  one writer at a time, it goes through the writer too.

This is the storage edge: a unit that lost a race (a unique key another transaction
took first, a deadlock, a busy SQLite file) runs again and then sees the winner's rows;
a read whose connection died runs again once on a fresh one; and a database that
cannot be used (unreachable, disk full) is a HubError, UNAVAILABLE, through the one
table in hub/domain/errors.py. Nothing above this module sees a driver's exception.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel, create_engine, select
from sqlmodel.sql.expression import SelectOfScalar

from hub.domain.errors import HubError
from hub.store import fair_share
from hub.store.group import GroupSession
from wire import reasons

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///lifeline.db"
# A group takes no more units than this, nor more after it has run this long: bounds
# how long the first of a group waits for its commit.
GROUP_LIMIT = 64
GROUP_SECONDS = 0.05
# Runs of a unit of work that keeps losing races before its caller is told.
ATTEMPTS = 5
# PostgreSQL's serialization_failure and deadlock_detected; SQLite's busy and locked.
_RACE_CODES = frozenset({"40001", "40P01", "SQLITE_BUSY", "SQLITE_LOCKED"})
MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accepts postgresql:// as shorthand for the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: an answered OK must survive a power cut, not only a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # The driver's own implicit transactions are off; _begin_immediate starts ours.
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    """Every transaction takes SQLite's write lock up front (BEGIN IMMEDIATE), so two
    hub processes on one file serialise instead of failing half-way with SQLITE_BUSY,
    and a deadline claimed by a conditional update is claimed by one of them only."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def table(model: type[SQLModel]) -> sa.Table:
    """The table behind a table model, for queries written in SQLAlchemy Core."""
    return model.__table__  # type: ignore[attr-defined]


@functools.cache
def _insert(model: type[SQLModel]) -> sa.Insert:
    # Built once per table: a statement object memoises its cache key, so the
    # compiled form is found without walking the statement again on every write.
    return sa.insert(table(model))


def append(
    session: Session, model: type[SQLModel], rows: dict[str, Any] | list[dict[str, Any]]
) -> None:
    """Writes new rows of an append-only table at once, on the session's connection.

    The profile of a signal showed most of its cost in the ORM's flushes; rows that
    are only ever inserted in a transaction need none of that. They are not in the
    session's identity map, and writing them flushes nothing else.
    """
    session.connection().execute(_insert(model), rows)


def insert(session: Session, row: M) -> M:
    """Writes a new row (a case, a handoff) with one INSERT, at once, and gives the
    session the object as if it had been read: what the unit changes on it later is
    flushed as an UPDATE. The ORM's own insert of a new object, through the flush and
    its unit of work, cost a signal several times this."""
    columns = table(type(row)).columns
    session.connection().execute(
        _insert(type(row)), {c.name: getattr(row, c.name) for c in columns}
    )
    make_transient_to_detached(row)
    session.add(row)
    return row


def read(
    session: Session, query: sa.Select[Any], params: dict[str, Any] | None = None
) -> sa.CursorResult[Any]:
    """Runs a query over tables written only by :func:`append` (or read-only in the
    transaction), without the autoflush that would first write the session's pending
    objects, which such a query cannot see anyway. A statement built once takes its
    values as `params` (bindparam), so it is not rebuilt on every call."""
    return session.connection().execute(query, params)


@functools.cache
def _by_key_locked(model: type[SQLModel]) -> SelectOfScalar[Any]:
    (key,) = table(model).primary_key.columns
    return select(model).where(key == sa.bindparam("key")).with_for_update()


def locked(session: Session, model: type[M], key: str) -> M | None:
    """The row of this primary key, locked for the transaction. The statement is built
    once per table: Session.get with a lock built its query anew on every call, which
    cost twice as much as running it. Nothing is flushed first: a row read by its key is
    the session's own object if it has it, pending changes and all, so a change made
    before (a handoff's new state) is written once with those made after. A row this
    transaction already locked is the session's object, with no statement (a sweep
    firing many deadlines of one case asked for it once per deadline)."""
    if isinstance(session, GroupSession) and (model, key) in session.locked:
        return cast(M, session.locked[model, key])
    with session.no_autoflush:
        found: M | None = session.exec(_by_key_locked(model), params={"key": key}).first()
    if found is not None:
        _hold(session, model, [found])
    return found


def locked_all(session: Session, model: type[M], keys: Iterable[str]) -> list[M]:
    """The rows of these primary keys, locked in one order (by key), so that two hub
    processes cannot deadlock on them; :func:`locked` then answers from the session."""
    (column,) = table(model).primary_key.columns
    query = select(model).where(column.in_(sorted(keys))).order_by(column).with_for_update()
    with session.no_autoflush:
        rows = list(session.exec(query))
    _hold(session, model, rows)
    return rows


def _hold(session: Session, model: type[SQLModel], rows: list[Any]) -> None:
    """Remembers rows this transaction has locked (GroupSession.locked)."""
    if isinstance(session, GroupSession):
        (column,) = table(model).primary_key.columns
        session.locked.update(((model, getattr(row, column.name)), row) for row in rows)


def in_list(column: sa.ColumnElement[Any], name: str, count: int) -> sa.ColumnElement[bool]:
    """`column IN (:name_0, ..., :name_{count-1})`, for a statement built once per list
    length (functools.cache): an expanding bindparam is expanded into the compiled SQL
    again on every call. Values go in with `in_values`."""
    return column.in_([sa.bindparam(f"{name}_{i}") for i in range(count)])


def in_values(name: str, values: Sequence[Any]) -> dict[str, Any]:
    return {f"{name}_{i}": value for i, value in enumerate(values)}


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Creates or upgrades the schema to the newest migration."""
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_problem(session: Session) -> str | None:
    """Why the database's schema is not the one this code expects, or None if it is
    (another replica may have migrated it further, or nobody has migrated it yet)."""
    heads = set(ScriptDirectory.from_config(_alembic_config()).get_heads())
    current = set(MigrationContext.configure(session.connection()).get_current_heads())
    if current == heads:
        return None
    return f"the schema is at {sorted(current) or 'nothing'}; this hub expects {sorted(heads)}"


_REWRITE_SCHEMA_VERSION = sa.text("UPDATE alembic_version SET version_num = version_num")


def _rewrite_schema_version(session: Session) -> None:
    session.execute(_REWRITE_SCHEMA_VERSION)


def _lost_race(error: SQLAlchemyError) -> bool:
    """Whether running the unit again, after the winner committed, can succeed."""
    if isinstance(error, IntegrityError):
        return True
    if not isinstance(error, OperationalError) or error.connection_invalidated:
        return False
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "sqlite_errorname", None)
    return code in _RACE_CODES


STORAGE_ERRORS = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
"""The database is down, unreachable, out of disk, or all its connections are busy: a
refusal the caller may retry (STORAGE_UNAVAILABLE). Any other database error is a bug
(a value the validation should have refused)."""


def _read_only(error: SQLAlchemyError) -> bool:
    """Whether the database refused a write because it takes none: a PostgreSQL standby
    or default_transaction_read_only (read_only_sql_transaction), a SQLite file or file
    system mounted read-only."""
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or ""
    return code == "25006" or code.startswith("SQLITE_READONLY")


def _raise_refusal(error: SQLAlchemyError) -> NoReturn:
    """Raises what the caller is told: a refusal for a database it cannot use; otherwise
    the error itself, which is a bug (a value the validation should have refused)."""
    if _read_only(error):
        raise HubError(
            reasons.STORAGE_UNAVAILABLE,
            "the hub's database takes no writes (it is read-only: a standby, or a read-only"
            " file or file system); nothing was stored, try again",
        ) from error
    if isinstance(error, STORAGE_ERRORS):
        # Nothing of the call was stored; the same call (request_id) may be sent again.
        raise HubError(
            reasons.STORAGE_UNAVAILABLE,
            "the hub's database cannot be used right now (unreachable, or its disk is full);"
            " nothing was stored, try again",
        ) from error
    raise error


_Unit = tuple[Callable[[Session], Any], concurrent.futures.Future[Any]]


class _FairQueue:
    """Units waiting for the writer, in one line per party. The next unit is the head
    of the line of the party that has had the least of the writer's time, so a party
    that floods the hub waits behind its own work, not everyone else behind it."""

    def __init__(self) -> None:
        self._lines: dict[str, collections.deque[_Unit]] = {}
        self._used: dict[str, float] = {}
        self._typical: dict[str, float] = {}

    def __bool__(self) -> bool:
        return bool(self._lines)

    def add(self, party: str, unit: _Unit) -> None:
        if party not in self._lines:
            # A party that comes (back) starts level with the least served of those
            # waiting: no credit saved up while it was idle, no debt either.
            level = min((self._used[p] for p in self._lines), default=0.0)
            self._used[party] = max(self._used.get(party, 0.0), level)
            self._lines[party] = collections.deque()
        self._lines[party].append(unit)

    def next_party(self) -> str:
        return min(self._lines, key=self._used.__getitem__)

    def typical(self, party: str) -> float:
        """How long a unit of the party's has been taking (0 for one not seen yet)."""
        return self._typical.get(party, 0.0)

    def take(self) -> tuple[str, _Unit]:
        party = self.next_party()
        line = self._lines[party]
        unit = line.popleft()
        if not line:
            del self._lines[party]
        return party, unit

    def charge(self, party: str, seconds: float) -> None:
        self._used[party] += seconds
        self._typical[party] = 0.8 * self._typical.get(party, seconds) + 0.2 * seconds
        if len(self._used) > 2 * len(self._lines) + 10_000:
            # Idle parties' shares are only ever raised to the level on their return.
            self._used = {p: self._used[p] for p in self._lines}
            self._typical = {p: self._typical[p] for p in self._lines if p in self._typical}


class _GroupCommitter:
    """One thread that runs queued units of work, a group per transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[tuple[str, _Unit] | None] = queue.SimpleQueue()
        self._waiting = _FairQueue()
        self._closing = False
        self.committed: Callable[[int], None] | None = None
        """Told each group's size once it is committed (the hub's metrics; writer thread)."""
        self._thread = threading.Thread(target=self._serve, name="db-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T], party: str) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((party, (work, future)))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _receive(self, block: bool) -> None:
        """Moves submitted units into the parties' lines."""
        while not self._closing:
            try:
                item = self._queue.get(block=block)
            except queue.Empty:
                return
            if item is None:
                self._closing = True
                return
            self._waiting.add(*item)
            block = False

    def _serve(self) -> None:
        while True:
            self._receive(block=not self._waiting)
            if not self._waiting:
                return  # closing, and nothing left to write
            self._commit()

    def _commit(self) -> None:
        """Runs the units waiting when it starts, fairest first, in one transaction until
        the group is full or has taken GROUP_SECONDS, then commits them with one fsync.
        Units that arrive meanwhile wait for the next group, where the fairest go first."""
        group: list[_Unit] = []
        done: list[tuple[concurrent.futures.Future[Any], Any]] = []
        began = time.monotonic()
        try:
            with GroupSession(self._engine, expire_on_commit=False) as session:
                transaction = session.begin()
                alone = True  # nothing of another unit is in the transaction yet
                while self._waiting and len(group) < GROUP_LIMIT:
                    # A heavy unit does not join a group it would hold up: a small one
                    # (an acknowledgement) is answered at the commit of its own group.
                    expected = self._waiting.typical(self._waiting.next_party())
                    if group and time.monotonic() - began + expected > GROUP_SECONDS:
                        break
                    party, (work, future) = self._waiting.take()
                    group.append((work, future))
                    if not future.set_running_or_notify_cancel():
                        continue
                    started = time.monotonic()
                    mark = session.mark()
                    try:
                        if alone:
                            # No savepoint: rolling the transaction back undoes this
                            # unit alone (the savepoint and its release were two of a
                            # small unit's twenty-odd statements).
                            result = work(session)
                        else:
                            with session.begin_nested():
                                result = work(session)
                    except Exception as e:
                        future.set_exception(e)
                        session.drop_since(mark)
                        if alone:
                            transaction.rollback()
                            transaction = session.begin()
                    else:
                        done.append((future, result))
                        alone = False
                    self._waiting.charge(party, time.monotonic() - started)
                session.write_queued()
                transaction.commit()
        except Exception as e:
            # The commit failed: nothing of the group is stored, and each unit says so.
            log.warning("a group of %d units was not committed: %s", len(group), e)
            for _, future in group:
                if not future.done():
                    future.set_exception(e)
            return
        if self.committed is not None:
            self.committed(len(group))
        for future, result in done:
            future.set_result(result)


class Database:
    def __init__(self, url: str = DEFAULT_URL) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = _GroupCommitter(self.engine)
        self._readers = (
            None
            if self.is_sqlite
            else concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="db")
        )

    def migrate(self) -> None:
        migrate(self.engine)

    def on_group_commit(self, committed: Callable[[int], None]) -> None:
        """Calls `committed` with the number of units of each group written (in the
        writer's thread)."""
        self._writer.committed = committed

    def transaction(self, work: Callable[[Session], T]) -> T:
        """Runs work in one transaction: all of it is committed, or none."""
        with GroupSession(self.engine, expire_on_commit=False) as session, session.begin():
            result = work(session)
            session.write_queued()
            return result

    def write(self, work: Callable[[Session], T]) -> asyncio.Future[T]:
        """Queues work at once, to run off the event loop and be committed with whatever
        else is queued: all of it is durable when the future resolves, and none of it
        if the future raises. Work that lost a race is run again. It waits in the line
        of the party whose call it serves."""
        party = fair_share.current_party()
        return asyncio.ensure_future(self._written(work, party, self._writer.submit(work, party)))

    async def _written(
        self, work: Callable[[Session], T], party: str, submitted: concurrent.futures.Future[T]
    ) -> T:
        attempt, reopened = 1, False
        while True:
            try:
                return await asyncio.wrap_future(submitted)
            except SQLAlchemyError as e:
                if _read_only(e) and not reopened:
                    # A connection opened while the database took no writes stays
                    # read-only: once more on fresh ones, which see it writable if it is.
                    self.engine.dispose()
                    reopened = True
                elif attempt == ATTEMPTS or not _lost_race(e):
                    _raise_refusal(e)
                else:
                    log.info("a unit of work lost a race (%s); running it again", type(e).__name__)
            attempt += 1
            submitted = self._writer.submit(work, party)

    async def check_writes(self) -> None:
        """Raises the refusal a write would get now (a write that changes nothing,
        committed through the writer like any other)."""
        await self.write(_rewrite_schema_version)

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs work that reads, off the event loop, in a transaction of its own;
        once more, on a fresh connection, if its connection died under it."""
        if self._readers is None:
            return await self.write(work)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._readers, self.transaction, work)
        except SQLAlchemyError as e:
            if not (isinstance(e, DBAPIError) and e.connection_invalidated):
                _raise_refusal(e)
            log.info("a read lost its connection (%s); reading again", e.orig)
        try:
            return await loop.run_in_executor(self._readers, self.transaction, work)
        except SQLAlchemyError as e:
            _raise_refusal(e)

    def close(self) -> None:
        self._writer.close()
        if self._readers is not None:
            self._readers.shutdown(wait=True)
        self.engine.dispose()
