"""Operator accounts and their sign-in sessions: the only things the console keeps.

Everything about cases lives in the hub; the console's own database (SQLite by
default) holds who may sign in, their preferences, and their open sessions, so
restarting the console loses nothing but nobody's work. Passwords are hashed with
argon2; a session is a random token whose SHA-256 alone is stored, with its own CSRF
token, an absolute lifetime and an idle timeout. Failed sign-ins are counted per
operator name and per client address, and past a limit refused for a while without
even checking the password, so guessing is slow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, col, create_engine, delete, func, select

from console.i18n import LANGUAGES

DEFAULT_URL = "sqlite:///console.db"
DEFAULT_TIME_ZONE = "Asia/Shanghai"
SESSION_LIFETIME = dt.timedelta(hours=13)  # a 12-hour shift and its handover
IDLE_TIMEOUT = dt.timedelta(hours=1)
MAX_FAILURES = 5  # per operator name, within FAILURE_WINDOW
MAX_FAILURES_PER_CLIENT = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
_TOUCH_EVERY = dt.timedelta(seconds=30)  # how stale last_seen may get before a write


class _ConsoleTable(SQLModel, registry=registry()):
    """The console's own tables, in a metadata of their own: never the hub's schema."""


class OperatorRow(_ConsoleTable, table=True):
    __tablename__ = "console_operator"
    name: str = Field(primary_key=True)
    password_hash: str
    lead: bool = False
    language: str = "zh-CN"
    time_zone: str = DEFAULT_TIME_ZONE
    create_time: dt.datetime
    last_seen_time: dt.datetime | None = None
    """The last time this operator did anything: the start of "since your last shift"."""


class SessionRow(_ConsoleTable, table=True):
    __tablename__ = "console_session"
    token_hash: str = Field(primary_key=True)
    operator: str = Field(index=True, foreign_key="console_operator.name")
    csrf_token: str
    create_time: dt.datetime
    last_seen_time: dt.datetime
    handover_since: dt.datetime | None = None
    """The operator's last activity before this sign-in, for the handover page."""


class SignInFailureRow(_ConsoleTable, table=True):
    __tablename__ = "console_sign_in_failure"
    id: int | None = Field(default=None, primary_key=True)
    operator: str = Field(index=True)
    client: str = Field(index=True)
    time: dt.datetime = Field(index=True)


class AccountError(Exception):
    """Base of the console's account errors (all shown to the person, none logged as bugs).

    AccountError
    ├── BadOperator        a name, password or preference the console cannot accept
    ├── WrongCredentials   unknown name or wrong password (the two are not told apart)
    └── Throttled          too many failed sign-ins lately; retry_after says how long
    """


class BadOperator(AccountError):
    pass


class WrongCredentials(AccountError):
    pass


class Throttled(AccountError):
    def __init__(self, retry_after: dt.timedelta) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after}")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Operator:
    name: str
    lead: bool
    language: str
    time_zone: ZoneInfo


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, their CSRF token, and since when the handover counts."""

    token: str
    operator: Operator
    csrf_token: str
    handover_since: dt.datetime | None


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands datetimes back naive; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _operator(row: OperatorRow) -> Operator:
    return Operator(row.name, row.lead, row.language, ZoneInfo(row.time_zone))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_time_zone(name: str) -> str:
    try:
        return ZoneInfo(name).key
    except (ZoneInfoNotFoundError, ValueError):
        raise BadOperator(
            f"unknown time zone {name!r} (use an IANA name like Asia/Shanghai)"
        ) from None


class Accounts:
    def __init__(
        self,
        db_url: str = DEFAULT_URL,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._engine = create_engine(db_url)
        _ConsoleTable.metadata.create_all(self._engine)
        self._now = now
        self._hasher = hasher or PasswordHasher()
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def close(self) -> None:
        self._engine.dispose()

    # -- accounts ---------------------------------------------------------------

    def add(
        self,
        name: str,
        password: str,
        *,
        lead: bool = False,
        language: str = "zh-CN",
        time_zone: str = DEFAULT_TIME_ZONE,
    ) -> Operator:
        """A new operator; names are shown on the timeline, so they are people's names."""
        name = name.strip()
        if not name or len(name) > 80 or any(not c.isprintable() for c in name):
            raise BadOperator("a name is 1 to 80 printable characters")
        if len(password) < 10:
            raise BadOperator("a password has at least 10 characters")
        if language not in LANGUAGES:
            raise BadOperator(f"language must be one of {', '.join(LANGUAGES)}")
        row = OperatorRow(
            name=name,
            password_hash=self._hasher.hash(password),
            lead=lead,
            language=language,
            time_zone=check_time_zone(time_zone),
            create_time=self._now(),
        )
        with Session(self._engine) as session:
            if session.get(OperatorRow, name) is not None:
                raise BadOperator(f"there is already an operator called {name!r}")
            session.add(row)
            session.commit()
            return _operator(row)

    def operators(self) -> list[Operator]:
        with Session(self._engine) as session:
            rows = session.exec(select(OperatorRow).order_by(col(OperatorRow.name)))
            return [_operator(r) for r in rows]

    def set_preferences(self, name: str, *, language: str, time_zone: str) -> None:
        if language not in LANGUAGES:
            raise BadOperator(f"language must be one of {', '.join(LANGUAGES)}")
        with Session(self._engine) as session:
            row = session.get(OperatorRow, name)
            if row is None:
                raise BadOperator(f"no operator {name!r}")
            row.language, row.time_zone = language, check_time_zone(time_zone)
            session.add(row)
            session.commit()

    # -- sessions ---------------------------------------------------------------

    def sign_in(self, name: str, password: str, client: str) -> SignedIn:
        """A new session, or WrongCredentials / Throttled."""
        now = self._now()
        with Session(self._engine) as session:
            self._refuse_if_throttled(session, name, client, now)
            row = session.get(OperatorRow, name)
            if not self._password_matches(row, password) or row is None:
                session.add(SignInFailureRow(operator=name, client=client, time=now))
                session.commit()
                raise WrongCredentials("wrong name or password")
            session.exec(delete(SignInFailureRow).where(col(SignInFailureRow.operator) == name))
            if self._hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self._hasher.hash(password)
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            since = _utc(row.last_seen_time)
            session.add(
                SessionRow(
                    token_hash=_digest(token),
                    operator=name,
                    csrf_token=csrf,
                    create_time=now,
                    last_seen_time=now,
                    handover_since=since,
                )
            )
            row.last_seen_time = now
            session.add(row)
            session.commit()
            return SignedIn(token, _operator(row), csrf, since)

    def _password_matches(self, row: OperatorRow | None, password: str) -> bool:
        # An unknown name costs a hash check too, so timing does not tell which names exist.
        stored = row.password_hash if row is not None else self._decoy
        try:
            return self._hasher.verify(stored, password) and row is not None
        except (VerificationError, InvalidHashError):
            return False

    def _refuse_if_throttled(
        self, session: Session, name: str, client: str, now: dt.datetime
    ) -> None:
        window_start = now - FAILURE_WINDOW
        for column, value, limit in (
            (SignInFailureRow.operator, name, MAX_FAILURES),
            (SignInFailureRow.client, client, MAX_FAILURES_PER_CLIENT),
        ):
            count, oldest = session.exec(
                select(func.count(), func.min(SignInFailureRow.time)).where(
                    column == value, col(SignInFailureRow.time) > window_start
                )
            ).one()
            if count >= limit:
                oldest_time = _utc(oldest) or now
                raise Throttled(max(oldest_time + FAILURE_WINDOW - now, dt.timedelta(seconds=1)))

    def session(self, token: str) -> SignedIn | None:
        """The live session behind a cookie's token, or None (unknown, expired or idle)."""
        if not token:
            return None
        now = self._now()
        with Session(self._engine) as session:
            row = session.get(SessionRow, _digest(token))
            if row is None:
                return None
            created, seen = _utc(row.create_time), _utc(row.last_seen_time)
            assert created is not None and seen is not None
            if now - created > SESSION_LIFETIME or now - seen > IDLE_TIMEOUT:
                session.delete(row)
                session.commit()
                return None
            operator = session.get(OperatorRow, row.operator)
            assert operator is not None
            if now - seen > _TOUCH_EVERY:
                row.last_seen_time = operator.last_seen_time = now
                session.add_all([row, operator])
                session.commit()
            return SignedIn(token, _operator(operator), row.csrf_token, _utc(row.handover_since))

    def sign_out(self, token: str) -> None:
        with Session(self._engine) as session:
            session.exec(delete(SessionRow).where(col(SessionRow.token_hash) == _digest(token)))
            session.commit()

    def purge(self) -> None:
        """Forgets expired sessions and old failures (called now and then by the app)."""
        now = self._now()
        with Session(self._engine) as session:
            session.exec(
                delete(SessionRow).where(
                    sa.or_(
                        col(SessionRow.create_time) < now - SESSION_LIFETIME,
                        col(SessionRow.last_seen_time) < now - IDLE_TIMEOUT,
                    )
                )
            )
            session.exec(
                delete(SignInFailureRow).where(col(SignInFailureRow.time) < now - FAILURE_WINDOW)
            )
            session.commit()
