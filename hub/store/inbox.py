"""Each party's inbox: an outbox table, a per-party sequence, and a wake-up call.

A message is written in the same transaction as the change that caused it, with
the next sequence of its recipient, last in that transaction (hub/store/group.py).
Streams read rows after a cursor, so a party that reconnects (after a cut, or a hub
restart) resumes where it left off, and one that was away for a day gets all it
missed, in order. Delivery is at least once: a message is sent again until the party
acknowledges its sequence, and its message_id lets the party drop a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from lifeline.hub.v1 import inbox_service_pb2
from sqlmodel import Session, col

from hub.domain import errors
from hub.domain.errors import HubError, log_round_failed
from hub.store import db, notifications, webhooks
from hub.store.group import Last
from hub.store.models import InboxCursorRow, InboxRow
from wire import reasons

log = logging.getLogger(__name__)

BATCH = 100

# The statements of the hot paths, built once (SQLAlchemy Core, no ORM): a statement
# object memoises its cache key, so each call only binds its values.
_CURSORS = db.table(InboxCursorRow)
_MESSAGES = db.table(InboxRow)
_READ_CURSOR = sa.select(_CURSORS.c.last_sequence, _CURSORS.c.acknowledged_sequence).where(
    _CURSORS.c.party_id == sa.bindparam("party")
)
_NEW_CURSOR = sa.insert(_CURSORS)
# Each moves a mark and says where it now stands in one statement: the row is locked by
# the update itself, with no SELECT ... FOR UPDATE before it.
_ADVANCE_LAST = (
    sa.update(_CURSORS)
    .where(_CURSORS.c.party_id == sa.bindparam("party"))
    .values(last_sequence=_CURSORS.c.last_sequence + sa.bindparam("count"))
    .returning(_CURSORS.c.last_sequence)
)
_ACKNOWLEDGED = _CURSORS.c.acknowledged_sequence
_RAISE_ACKNOWLEDGED = (
    sa.update(_CURSORS)
    .where(_CURSORS.c.party_id == sa.bindparam("party"))
    .values(
        acknowledged_sequence=sa.case(
            (sa.bindparam("mark") > _ACKNOWLEDGED, sa.bindparam("mark")), else_=_ACKNOWLEDGED
        )
    )
    .returning(_ACKNOWLEDGED)
)
_SEQUENCE = _MESSAGES.c.sequence
_AFTER = (
    sa.select(_SEQUENCE, _MESSAGES.c.handoff_id, _MESSAGES.c.payload)
    .where(_MESSAGES.c.party_id == sa.bindparam("party"), sa.bindparam("after") < _SEQUENCE)
    .order_by(_SEQUENCE)
    .limit(BATCH)
)
_BETWEEN = sa.select(_SEQUENCE, _MESSAGES.c.handoff_id, _MESSAGES.c.payload).where(
    _MESSAGES.c.party_id == sa.bindparam("party"),
    sa.bindparam("after") < _SEQUENCE,
    sa.bindparam("through") >= _SEQUENCE,
)
_MARKS = sa.select(_CURSORS.c.party_id, _CURSORS.c.last_sequence).where(
    _CURSORS.c.party_id.in_(sa.bindparam("party_ids", expanding=True))
)


class Entry(NamedTuple):
    """A stored inbox message, as a stream sends it and an acknowledgement covers it."""

    sequence: int
    handoff_id: str | None
    payload: bytes


@dataclass(slots=True)
class Cursor:
    """Where a party's inbox stands: its last message, and the last it acknowledged."""

    last_sequence: int = 0
    acknowledged_sequence: int = 0


def cursor_of(session: Session, party_id: str) -> Cursor:
    found = session.connection().execute(_READ_CURSOR, {"party": party_id}).first()
    return Cursor(*found) if found is not None else Cursor()


@dataclass(frozen=True, slots=True)
class Mail:
    """A message a unit sends to a party's inbox, and when."""

    party_id: str
    message: inbox_service_pb2.InboxMessage
    time: dt.datetime


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """A party's acknowledgement of its messages up to `through`."""

    party_id: str
    through: int


def _write_group(session: Session, items: list[Mail | Acknowledgement]) -> None:
    """A group's inbox writes, last in its transaction: for each party (in party id
    order, so that two replicas' groups lock cursors in one order), its acknowledged
    mark raised, then its mail appended in the order it was sent, with one statement
    each; then one NOTIFY for every party that got mail."""
    mail: dict[str, list[Mail]] = {}
    acknowledged: dict[str, int] = {}
    for item in items:
        if isinstance(item, Mail):
            mail.setdefault(item.party_id, []).append(item)
        else:
            acknowledged[item.party_id] = max(item.through, acknowledged.get(item.party_id, 0))
    for party_id in sorted(acknowledged.keys() | mail.keys()):
        if party_id in acknowledged:
            session.connection().execute(
                _RAISE_ACKNOWLEDGED, {"party": party_id, "mark": acknowledged[party_id]}
            )
        if party_id in mail:
            sent = mail[party_id]
            _post(session, party_id, sent)
            webhooks.enqueue(session, party_id, [m.message for m in sent], sent[-1].time)
    if mail:
        notifications.notify(session, mail.keys())


GROUP_WRITES = Last(_write_group)


def send(session: Session, mail: Mail) -> None:
    """Queues a message for a party's inbox, written with the rest of this transaction's
    mail just before its commit (hub/store/group.py): it is stored if the unit is."""
    GROUP_WRITES.queue(session, mail)


def acknowledge(session: Session, party_id: str, through: int) -> None:
    """Queues a party's acknowledgement up to `through` (a mark is never moved down)."""
    GROUP_WRITES.queue(session, Acknowledgement(party_id, through))


def _post(session: Session, party_id: str, mail: list[Mail]) -> None:
    """Appends messages to a party's inbox, in order, with its next sequences."""
    connection = session.connection()
    count = len(mail)
    last = connection.execute(_ADVANCE_LAST, {"party": party_id, "count": count}).scalar()
    if last is None:
        # The party's first message. A concurrent first post loses the key and runs again.
        connection.execute(_NEW_CURSOR, {"party_id": party_id, "last_sequence": count})
        last = count
    rows = []
    for sequence, sent in enumerate(mail, start=last - count + 1):
        message = sent.message
        message.sequence = sequence
        message.message_id = f"msg-{uuid.uuid4().hex[:20]}"
        message.create_time.FromDatetime(sent.time)
        rows.append(
            {
                "party_id": party_id,
                "sequence": sequence,
                "message_id": message.message_id,
                "case_id": message.case_id,
                "handoff_id": message.handoff.handoff_id if message.HasField("handoff") else None,
                "payload": message.SerializeToString(),
                "create_time": sent.time,
            }
        )
    db.append(session, InboxRow, rows)


def _from_the_future(field: str, sequence: int, cursor: Cursor) -> HubError:
    return HubError(
        reasons.CURSOR_FROM_FUTURE,
        f"{field} {sequence} is beyond the inbox's end ({cursor.last_sequence})",
        {"last_sequence": str(cursor.last_sequence), "field": field},
    )


def start_after(session: Session, party_id: str, after_sequence: int) -> int:
    """Where a subscription starts: after the given sequence, or after the last acknowledged."""
    cursor = cursor_of(session, party_id)
    if after_sequence < 0:
        raise errors.invalid_argument("after_sequence must not be negative", "after_sequence")
    if after_sequence > cursor.last_sequence:
        raise _from_the_future("after_sequence", after_sequence, cursor)
    return after_sequence or cursor.acknowledged_sequence


def read(session: Session, party_id: str, after_sequence: int) -> list[Entry]:
    """The next batch of a party's messages after a sequence, in order."""
    found = session.connection().execute(_AFTER, {"party": party_id, "after": after_sequence})
    return [Entry(*row) for row in found]


class Covered(NamedTuple):
    entries: list[Entry]
    """The messages an acknowledgement newly covers."""
    mark: int
    """The acknowledged mark once it is written: `through`, or higher if it already was."""


def covered(session: Session, party_id: str, through: int) -> Covered:
    """What an acknowledgement up to `through` newly covers (read without a lock: the
    mark itself is moved with the group's other inbox writes, by `acknowledge`)."""
    cursor = cursor_of(session, party_id)
    if through > cursor.last_sequence:
        raise _from_the_future("through_sequence", through, cursor)
    rows = session.connection().execute(
        _BETWEEN,
        {"party": party_id, "after": cursor.acknowledged_sequence, "through": through},
    )
    return Covered([Entry(*row) for row in rows], max(through, cursor.acknowledged_sequence))


def marks(session: Session, party_ids: list[str]) -> dict[str, int]:
    """The last sequence written to each of these parties' inboxes."""
    found: dict[str, int] = {}
    connection = session.connection()
    for i in range(0, len(party_ids), 500):  # within SQLite's limit on bound variables
        rows = connection.execute(_MARKS, {"party_ids": party_ids[i : i + 500]})
        found.update((party_id, mark) for party_id, mark in rows)
    return found


class Doorbell:
    """Wakes the streams of parties whose inbox got new messages.

    The hub that writes a message rings at once. Messages written by another hub
    process on the same database ring it by PostgreSQL's NOTIFY (hub/store/
    notifications.py); as a safety net, one watcher per process reads the inbox marks
    of every connected party each interval: one query, however many streams are open.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._seen: dict[str, int] = {}
        self.closed = asyncio.Event()

    async def watch(
        self, read_marks: Callable[[list[str]], Awaitable[dict[str, int]]], interval: float
    ) -> None:
        """Rings the parties whose inbox mark moved since the last look, until closed."""
        while not self.closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closed.wait(), interval)
            connected = list(self._waiters)
            if not connected or self.closed.is_set():
                continue
            try:
                current = await read_marks(connected)
            except Exception as e:
                # Whatever the database raises in an outage, the watcher must not end:
                # without it this process's desks never again get the others' work.
                log_round_failed(log, "reading inbox marks", e)
                continue
            # A party seen for the first time is rung too: its stream re-reads, harmlessly.
            moved = [p for p, mark in current.items() if self._seen.get(p) != mark]
            self._seen = current
            self.ring(moved)

    def ring(self, party_ids: Iterable[str]) -> None:
        for party_id in party_ids:
            for event in self._waiters.get(party_id, ()):
                event.set()

    async def wait(self, event: asyncio.Event) -> None:
        """Returns when rung or when closing."""
        if event.is_set() or self.closed.is_set():
            event.clear()
            return
        closing = asyncio.ensure_future(self.closed.wait())
        rung = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({closing, rung}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
            rung.cancel()
            event.clear()

    def register(self, party_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters[party_id].add(event)
        return event

    def unregister(self, party_id: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(party_id)
        if waiters is not None:
            waiters.discard(event)
            if not waiters:
                del self._waiters[party_id]

    def close(self) -> None:
        self.closed.set()


def drop_for_case(session: Session, case_id: str) -> None:
    """Deletes the messages about a case (retention)."""
    session.execute(sa.delete(InboxRow).where(col(InboxRow.case_id) == case_id))
