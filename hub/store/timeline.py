"""Each case's timeline, hash-chained: every event commits to the one before it.

hash(n) = SHA-256(hash(n-1) || SHA-256(canonical JSON of event n)), the event
being its case id, sequence, kind, actor, time, summary and data. Changing, removing or
reordering any stored event breaks every hash after it; `lifeline audit verify`
walks the chains and names the first broken link.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from lifeline.hub.v1 import case_pb2
from sqlmodel import Session, col, select

from hub.store import db
from hub.store.models import CaseEventRow, CaseRow

GENESIS = "0" * 64


class Event(Protocol):
    """A timeline event's fields: a CaseEventRow read back, or an event just appended."""

    @property
    def case_id(self) -> str: ...
    @property
    def sequence(self) -> int: ...
    @property
    def kind(self) -> int: ...
    @property
    def actor_party_id(self) -> str: ...
    @property
    def create_time(self) -> dt.datetime: ...
    @property
    def summary(self) -> str: ...
    @property
    def data(self) -> str: ...
    @property
    def previous_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Appended:
    """An event as append() wrote it: plain values, no ORM object (building a table
    model for each event cost more than writing it)."""

    case_id: str
    sequence: int
    kind: int
    actor_party_id: str
    create_time: dt.datetime
    summary: str
    data: str
    previous_hash: str
    hash: str


def event_body(row: Event) -> dict[str, Any]:
    """An event's content, as hashed and as exported in evidence."""
    return {
        "case_id": row.case_id,
        "sequence": row.sequence,
        "kind": case_pb2.CaseEvent.Kind.Name(row.kind),
        "actor": row.actor_party_id,
        "time": row.create_time.astimezone(dt.UTC).isoformat(),
        "summary": row.summary,
        "data": json.loads(row.data),
    }


def body_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def link(previous_hash: str, content_hash: str) -> str:
    """hash(n) = SHA-256(hash(n-1) || SHA-256(body(n))): a link can be checked
    from the body's hash alone, so evidence can withhold a body and still verify."""
    return hashlib.sha256(bytes.fromhex(previous_hash) + bytes.fromhex(content_hash)).hexdigest()


def event_hash(previous_hash: str, row: Event) -> str:
    return link(previous_hash, body_hash(event_body(row)))


def append(
    session: Session,
    case: CaseRow,
    kind: int,
    actor: str,
    summary: str,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> Appended:
    """Appends an event to the case's chain (the caller holds the case row for update)."""
    previous = case.last_event_hash or GENESIS
    text = json.dumps(data or {}, sort_keys=True, ensure_ascii=False)
    unsealed = Appended(
        case.case_id, case.last_event_sequence + 1, kind, actor, now, summary, text, previous, ""
    )
    event = dataclasses.replace(unsealed, hash=event_hash(previous, unsealed))
    case.last_event_sequence = event.sequence
    case.last_event_hash = event.hash
    db.append(session, CaseEventRow, {f: getattr(event, f) for f in Appended.__slots__})
    session.add(case)
    return event


@dataclass(frozen=True)
class BrokenLink:
    case_id: str
    sequence: int
    problem: str

    def __str__(self) -> str:
        return f"case {self.case_id}, event {self.sequence}: {self.problem}"


def verify_chain(case_id: str, events: Iterable[Event], head: str | None) -> BrokenLink | None:
    """The first broken link in one case's events (in sequence order), or None."""
    previous = GENESIS
    expected_sequence = 1
    for event in events:
        if event.sequence != expected_sequence:
            return BrokenLink(case_id, expected_sequence, "event missing")
        if event.previous_hash != previous:
            return BrokenLink(case_id, event.sequence, "does not link to the event before it")
        if event_hash(previous, event) != event.hash:
            return BrokenLink(case_id, event.sequence, "content does not match its hash")
        previous = event.hash
        expected_sequence += 1
    if head is not None and head != (previous if expected_sequence > 1 else ""):
        return BrokenLink(case_id, expected_sequence, "events after this one are missing")
    return None


def verify_all(session: Session) -> Iterator[tuple[str, BrokenLink | None]]:
    """Every case's chain: (case id, first broken link or None)."""
    for case in session.exec(select(CaseRow).order_by(col(CaseRow.case_id))):
        events = session.exec(
            select(CaseEventRow)
            .where(CaseEventRow.case_id == case.case_id)
            .order_by(col(CaseEventRow.sequence))
        )
        yield case.case_id, verify_chain(case.case_id, events, case.last_event_hash)


_EVENTS = db.table(CaseEventRow)
_EVENT_DATA = (
    sa.select(_EVENTS.c.data)
    .where(_EVENTS.c.case_id == sa.bindparam("case_id"), _EVENTS.c.kind == sa.bindparam("kind"))
    .order_by(_EVENTS.c.sequence.desc())
)


def data_of_kind(session: Session, case_id: str, kind: int) -> list[str]:
    """The data (JSON) of the case's events of one kind, newest first (a plain read:
    events are appended only)."""
    return list(db.read(session, _EVENT_DATA, {"case_id": case_id, "kind": kind}).scalars())
