"""The database: SQLite (WAL) by default, PostgreSQL by URL, schema by Alembic.

SQLModel sessions are synchronous; the gRPC handlers are asyncio. Units of work run
off the event loop, so it never waits on the disk:

- :meth:`Database.write` hands a unit to one writer thread that commits in groups:
  whatever units are queued when it starts a transaction run in it, each in its own
  savepoint, and one commit (one fsync) makes them all durable. A unit that fails is
  rolled back to its savepoint alone; the others in its group are not touched.
- :meth:`Database.run` (reads) uses a thread pool on PostgreSQL; on SQLite, which has
  one writer at a time, it goes through the writer too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

T = TypeVar("T")

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///lifeline.db"
# Units committed together at most: bounds how long the first of a group waits.
GROUP_LIMIT = 64
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


def append(
    session: Session, model: type[SQLModel], rows: dict[str, Any] | list[dict[str, Any]]
) -> None:
    """Writes new rows of an append-only table at once, on the session's connection.

    The profile of a signal showed most of its cost in the ORM's flushes; rows that
    are only ever inserted in a transaction need none of that. They are not in the
    session's identity map, and writing them flushes nothing else.
    """
    session.connection().execute(sa.insert(table(model)), rows)


def read(session: Session, query: sa.Select[Any]) -> sa.CursorResult[Any]:
    """Runs a query over tables written only by :func:`append` (or read-only in the
    transaction), without the autoflush that would first write the session's pending
    objects, which such a query cannot see anyway."""
    return session.connection().execute(query)


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Creates or upgrades the schema to the newest migration."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_Unit = tuple[Callable[[Session], Any], concurrent.futures.Future[Any]]


class _GroupCommitter:
    """One thread that runs queued units of work, a group per transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[_Unit | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="db-writer", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((work, future))
        return future

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _serve(self) -> None:
        while (first := self._queue.get()) is not None:
            group = [first]
            closing = False
            while len(group) < GROUP_LIMIT:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    closing = True
                    break
                group.append(unit)
            self._commit(group)
            if closing:
                return

    def _commit(self, group: list[_Unit]) -> None:
        done: list[tuple[concurrent.futures.Future[Any], Any]] = []
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                for work, future in group:
                    if not future.set_running_or_notify_cancel():
                        continue
                    # Per-unit caches (the engine keeps some in session.info) must not
                    # outlive a unit that may be rolled back.
                    session.info.clear()
                    try:
                        with session.begin_nested():
                            result = work(session)
                    except Exception as e:
                        future.set_exception(e)
                    else:
                        done.append((future, result))
        except Exception as e:
            # The commit failed: nothing of the group is stored, and each unit says so.
            log.warning("a group of %d units was not committed: %s", len(group), e)
            for _, future in group:
                if not future.done():
                    future.set_exception(e)
            return
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

    def transaction(self, work: Callable[[Session], T]) -> T:
        """Runs work in one transaction: all of it is committed, or none."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            return work(session)

    def write(self, work: Callable[[Session], T]) -> asyncio.Future[T]:
        """Queues work at once, to run off the event loop and be committed with whatever
        else is queued: all of it is durable when the future resolves, and none of it
        if the future raises."""
        return asyncio.wrap_future(self._writer.submit(work))

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs work that reads, off the event loop, in a transaction of its own."""
        if self._readers is None:
            return await self.write(work)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self.transaction, work)

    def close(self) -> None:
        self._writer.close()
        if self._readers is not None:
            self._readers.shutdown(wait=True)
        self.engine.dispose()
