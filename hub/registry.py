"""The party registry: who has called the hub, in which role, and whether they still may."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

import grpc
from sqlmodel import Session, col, select

from hub import errors, limits
from hub.clock import Clock
from hub.db import Database
from hub.errors import HubError
from hub.identity import PartyIdentity, Role, validate_jurisdiction
from hub.models import PartyRow

ACTIVE = "active"
DEACTIVATED = "deactivated"

# How long a party's registry row is trusted from memory before it is read again;
# bounds how long a deactivation made by another hub process takes to apply.
CACHE_SECONDS = 5.0
# last_seen_time is a hint for people, not an audit record: write it at most this often.
LAST_SEEN_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class _Cached:
    row: PartyRow
    read_at: float


# Page tokens are opaque to clients; the prefix lets the hub tell its own from noise.
_TOKEN_PREFIX = "after:"


def encode_page_token(last_key: str) -> str:
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + last_key).encode()).decode()


def decode_page_token(token: str) -> str | None:
    if not token:
        return None
    try:
        text = base64.b64decode(token, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    key = text.removeprefix(_TOKEN_PREFIX)
    if not text.startswith(_TOKEN_PREFIX) or limits.PAGE_KEY.problem(key):
        raise HubError(
            grpc.StatusCode.INVALID_ARGUMENT,
            errors.INVALID_PAGE_TOKEN,
            "page_token is not valid",
            {"field": "page_token"},
        )
    return key


class PartyRegistry:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._cache: dict[str, _Cached] = {}

    async def admit(self, identity: PartyIdentity, serial: int) -> PartyRow:
        """Records the caller on first contact and refuses it if it may no longer call."""
        cached = self._cache.get(identity.party_id)
        now_mono = self._clock.monotonic()
        if cached is None or now_mono - cached.read_at > CACHE_SECONDS:
            # Through the one write path: concurrent first contacts of a party race to
            # insert its row, and the loser runs again and finds it.
            row = await self._db.write(lambda s: self._record_contact(s, identity, serial))
            cached = _Cached(row, now_mono)
            self._cache[identity.party_id] = cached
        row = cached.row
        if row.role != identity.role:
            raise HubError(
                grpc.StatusCode.PERMISSION_DENIED,
                errors.PARTY_ROLE_MISMATCH,
                f"party {identity.party_id!r} is registered as {row.role},"
                f" but its certificate says {identity.role}",
            )
        if row.state != ACTIVE:
            raise HubError(
                grpc.StatusCode.PERMISSION_DENIED,
                errors.PARTY_DEACTIVATED,
                f"party {identity.party_id!r} has been deactivated",
            )
        return row

    def _record_contact(self, session: Session, identity: PartyIdentity, serial: int) -> PartyRow:
        now = self._clock.now()
        row = session.get(PartyRow, identity.party_id, with_for_update=True)
        if row is None:
            row = PartyRow(
                party_id=identity.party_id,
                role=identity.role.value,
                jurisdiction_code=identity.jurisdiction,
                first_seen_time=now,
            )
        if row.role != identity.role:
            return row  # refused by admit(); the registry keeps what it had
        if row.first_seen_time is None:
            row.first_seen_time = now
        serial_hex = format(serial, "x")
        if (
            row.certificate_serial != serial_hex
            or row.last_seen_time is None
            or now - row.last_seen_time >= LAST_SEEN_EVERY
            or (identity.jurisdiction and row.jurisdiction_code != identity.jurisdiction)
        ):
            row.certificate_serial = serial_hex
            row.last_seen_time = now
            if identity.jurisdiction:
                row.jurisdiction_code = identity.jurisdiction
            session.add(row)
        return row

    async def register(
        self,
        party_id: str,
        role: Role,
        jurisdiction: str | None,
        display_name: str,
        backup_party_id: str | None,
    ) -> PartyRow:
        def work(session: Session) -> PartyRow:
            row = session.get(PartyRow, party_id, with_for_update=True)
            if row is None:
                row = PartyRow(party_id=party_id, role=role.value)
            elif row.role != role:
                raise HubError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    errors.PARTY_ROLE_MISMATCH,
                    f"party {party_id!r} is already registered as {row.role}",
                )
            if backup_party_id is not None and backup_party_id == party_id:
                raise errors.invalid_argument("a party cannot be its own backup", "backup_party_id")
            row.jurisdiction_code = jurisdiction
            row.display_name = display_name
            row.backup_party_id = backup_party_id
            session.add(row)
            return row

        row = await self._db.write(work)
        self._cache.pop(party_id, None)
        return row

    async def get(self, party_id: str) -> PartyRow:
        row = await self._db.run(lambda s: s.get(PartyRow, party_id))
        if row is None:
            raise HubError(
                grpc.StatusCode.NOT_FOUND, errors.PARTY_NOT_FOUND, f"no party {party_id!r}"
            )
        return row

    async def deactivate(self, party_id: str, reason: str) -> PartyRow:
        def work(session: Session) -> PartyRow:
            row = session.get(PartyRow, party_id, with_for_update=True)
            if row is None:
                raise HubError(
                    grpc.StatusCode.NOT_FOUND, errors.PARTY_NOT_FOUND, f"no party {party_id!r}"
                )
            row.state = DEACTIVATED
            row.deactivation_reason = reason
            session.add(row)
            return row

        row = await self._db.write(work)
        self._cache.pop(party_id, None)
        return row

    async def list(
        self,
        page_size: int,
        page_token: str,
        role: Role | None,
        jurisdiction: str | None,
    ) -> tuple[list[PartyRow], str]:
        after = decode_page_token(page_token)

        def work(session: Session) -> list[PartyRow]:
            query = select(PartyRow).order_by(col(PartyRow.party_id)).limit(page_size + 1)
            if after is not None:
                query = query.where(col(PartyRow.party_id) > after)
            if role is not None:
                query = query.where(PartyRow.role == role.value)
            if jurisdiction is not None:
                query = query.where(
                    col(PartyRow.jurisdiction_code).like(_jurisdiction_prefix(jurisdiction))
                )
            return list(session.exec(query))

        rows = await self._db.run(work)
        token = encode_page_token(rows[page_size - 1].party_id) if len(rows) > page_size else ""
        return rows[:page_size], token


def _jurisdiction_prefix(code: str) -> str:
    """A LIKE pattern for the division and everything within it (city: xxxx00, province: xx0000)."""
    validate_jurisdiction(code)
    if code.endswith("0000"):
        return code[:2] + "%"
    if code.endswith("00"):
        return code[:4] + "%"
    return code
