"""The party registry: who has called the hub, in which role, and whether they still may.

A party is ACTIVE, DEACTIVATED (by the platform) or REVOKED (the certificate last
seen from it is on the CA's revocation list). Routing hands work to ACTIVE
parties only, so a desk cut off by either means gets no new work, on every hub
process sharing the database, whatever the state of ``crl.pem`` later.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlmodel import Session, col, select

from hub.domain.clock import Clock
from hub.domain.errors import HubError
from hub.store import directory, notifications, revocation
from hub.store.db import Database
from hub.store.models import PartyRow
from wire import reasons
from wire.identity import PartyIdentity, Role, validate_jurisdiction

log = logging.getLogger(__name__)

ACTIVE = "active"
DEACTIVATED = "deactivated"
REVOKED = "revoked"

# How long a party's registry row is trusted from memory before it is read again;
# bounds how long a deactivation made by another hub process takes to apply.
CACHE_SECONDS = 5.0
# last_seen_time is a hint for people, not an audit record: write it at most this often.
LAST_SEEN_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class _Cached:
    row: PartyRow
    read_at: float


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
                reasons.PARTY_ROLE_MISMATCH,
                f"party {identity.party_id!r} is registered as {row.role},"
                f" but its certificate says {identity.role}",
            )
        if row.state != ACTIVE:
            raise refusal(row.party_id, row.state, format(serial, "x"))
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
        if row.state == REVOKED and row.certificate_serial != serial_hex:
            # The gate found this certificate valid and not revoked: the CA issued the
            # party a new one, and that is how a revoked party is brought back.
            log.warning("party %s is active again with certificate %s", row.party_id, serial_hex)
            row.state = ACTIVE
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

    async def register(self, entry: directory.Entry) -> PartyRow:
        def work(session: Session) -> tuple[PartyRow, bool]:
            notifications.notify(session, [entry.party_id], notifications.REGISTRY)
            return directory.upsert(session, entry, keep_webhook=True)

        row, _ = await self._db.write(work)
        self._cache.pop(entry.party_id, None)
        return row

    def forget(self, party_ids: list[str]) -> None:
        """Drops what is cached of these parties: another hub process changed their rows."""
        for party_id in party_ids:
            self._cache.pop(party_id, None)

    async def get(self, party_id: str) -> PartyRow:
        row = await self._db.run(lambda s: s.get(PartyRow, party_id))
        if row is None:
            raise HubError(reasons.PARTY_NOT_FOUND, f"no party {party_id!r}")
        return row

    async def deactivate(self, party_id: str, reason: str) -> PartyRow:
        def work(session: Session) -> PartyRow:
            row = session.get(PartyRow, party_id, with_for_update=True)
            if row is None:
                raise HubError(reasons.PARTY_NOT_FOUND, f"no party {party_id!r}")
            row.state = DEACTIVATED
            row.deactivation_reason = reason
            session.add(row)
            notifications.notify(session, [party_id], notifications.REGISTRY)
            return row

        row = await self._db.write(work)
        self._cache.pop(party_id, None)
        return row

    async def mark_revoked(self, serials: frozenset[int]) -> list[str]:
        """Marks REVOKED every active party whose last certificate is among `serials`;
        returns those it marked (another hub process may have marked some first)."""
        hexes = sorted(format(serial, "x") for serial in serials)

        def work(session: Session) -> list[str]:
            marked: list[str] = []
            for i in range(0, len(hexes), 500):  # within SQLite's limit on bound variables
                rows = session.exec(
                    select(PartyRow)
                    .where(
                        PartyRow.state == ACTIVE,
                        col(PartyRow.certificate_serial).in_(hexes[i : i + 500]),
                    )
                    .with_for_update()
                )
                for row in rows:
                    row.state = REVOKED
                    session.add(row)
                    marked.append(row.party_id)
            notifications.notify(session, marked, notifications.REGISTRY)
            return marked

        marked = await self._db.write(work)
        for party_id in marked:
            self._cache.pop(party_id, None)
        return marked

    async def states(self, party_ids: list[str]) -> dict[str, str]:
        """The registry state of each of these parties, in one read."""

        def work(session: Session) -> dict[str, str]:
            found: dict[str, str] = {}
            for i in range(0, len(party_ids), 500):
                chunk = party_ids[i : i + 500]
                query = select(PartyRow.party_id, PartyRow.state)
                found.update(session.exec(query.where(col(PartyRow.party_id).in_(chunk))).all())
            return found

        return await self._db.run(work)

    async def list(
        self,
        page_size: int,
        after: str | None,
        role: Role | None,
        jurisdiction: str | None,
    ) -> tuple[list[PartyRow], str | None]:
        """A page of parties after the party id `after`, and the last id if more follow."""

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
        last = rows[page_size - 1].party_id if len(rows) > page_size else None
        return rows[:page_size], last


def refusal(party_id: str, state: str, serial: str) -> HubError:
    """Why a party that is not ACTIVE is refused (serial: of the certificate it used)."""
    if state == REVOKED:
        return revocation.revoked(party_id, serial)
    return HubError(
        reasons.PARTY_DEACTIVATED,
        f"party {party_id!r} has been deactivated",
    )


def _jurisdiction_prefix(code: str) -> str:
    """A LIKE pattern for the division and everything within it (city: xxxx00, province: xx0000)."""
    validate_jurisdiction(code)
    if code.endswith("0000"):
        return code[:2] + "%"
    if code.endswith("00"):
        return code[:4] + "%"
    return code
