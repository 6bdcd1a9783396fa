"""What each party sees of a case and its timeline: one policy for every read.

hub/domain/disclosure.py decides which claims of a signed message a role may see; this
module decides the rest by the same principle (domain.md: each party learns what
its work needs). The live reads (GetCase, ListCases, ListCaseEvents, the case
notices on inboxes) and evidence exported for a role all go through it, so they
cannot disagree.

Timeline events carry free text built by the engine in hub/wording.py's words
("hold order to shop-2 (ho-1, order o-9)", "closed by duty-1: hospitalised"). The
platform reads them as they are; any other party gets a view built from the
event's structured data with the same words, or nothing. EVENT_RULES says which
events a role sees: never, its own only (its signals, its handoffs, its notes), or
all of that kind. Police and committees,
who are sent to a case and never report one, also get the place of every event in
the hash chain (withheld ones as hashes), so they can check it. Reporters and
couriers get their own views only, without sequence numbers: where their first
event sits in the chain would tell a merchant whether the person already had a
case. Sharing an event with a party (the duty desk's decision, a later issue)
belongs here, as one more reason for event_view to show it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from lifeline.hub.v1 import case_pb2, handoff_pb2
from sqlmodel import Session, col, select

from hub.domain import operators
from hub.domain.disclosure import disclose
from hub.domain.errors import HubError
from hub.domain.timestamps import timestamp
from hub.store import db, timeline
from hub.store.models import CaseEventRow, CaseNoteRow, CasePartyRow, CaseRow, HandoffRow
from wire import reasons, wording
from wire.identity import PartyIdentity, Role

E = case_pb2.CaseEvent


class Show(enum.Enum):
    NEVER = "never"
    OWN = "own"
    """Only events that concern the reader: its signal, its handoff, its note."""
    ALL = "all"


_N, _O, _A = Show.NEVER, Show.OWN, Show.ALL
_COLUMNS = (Role.MERCHANT, Role.COURIER, Role.POLICE, Role.COMMITTEE, Role.HOSPITAL)
# Role x event kind -> which events of that kind the role sees (docs/visibility.md).
# Merges and address conflicts are the duty desk's; grades go to those sent to the
# person; a reporter sees its own signals only, or it would learn the case's history.
_TABLE: dict[int, tuple[Show, Show, Show, Show, Show]] = {
    #                    merchant courier police committee hospital
    E.KIND_SIGNAL: (_O, _N, _A, _A, _O),
    E.KIND_MERGE: (_N, _N, _N, _N, _N),
    E.KIND_GRADE: (_N, _N, _A, _A, _N),
    E.KIND_HANDOFF: (_O, _O, _O, _O, _O),
    E.KIND_DELIVERY: (_O, _O, _O, _O, _O),
    E.KIND_ESCALATION: (_O, _O, _O, _O, _O),
    E.KIND_NOTE: (_O, _O, _O, _O, _O),
    E.KIND_CLOSE: (_A, _A, _A, _A, _A),
    E.KIND_REOPEN: (_N, _N, _A, _A, _N),
    E.KIND_ADDRESS: (_N, _N, _N, _N, _N),
}
EVENT_RULES: dict[tuple[Role, int], Show] = {
    (role, kind): shows[i] for kind, shows in _TABLE.items() for i, role in enumerate(_COLUMNS)
}

CHAIN_ROLES = frozenset({Role.PLATFORM, Role.POLICE, Role.COMMITTEE})
"""Roles that see every event's place in the chain, withheld ones as hashes."""

SEES_CASE_DETAIL = CHAIN_ROLES
"""Roles that see a case's grade, jurisdiction and times: not its reporters or couriers,
for whom they would tell whether the person already had a case."""

_SEES_REPORTERS = frozenset({Role.PLATFORM})
"""Who reported is the duty desk's to know: a shop must not learn which other shops
reported the person (domain.md), nor police the purchase history of other shops."""

_SEES_RESOLUTION_CODE = frozenset({Role.PLATFORM, Role.COMMITTEE})
"""The committee follows the person up after closing, so it learns how the case ended;
the platform's close note stays the platform's."""

_REPORTERS = frozenset({Role.MERCHANT, Role.HOSPITAL})
_WORK_OVER = "case closed: your work on it is over"


@dataclass(frozen=True)
class Reader:
    party_id: str
    role: Role


@dataclass(frozen=True)
class EventView:
    """One event as a reader may see it; the same for live reads and evidence."""

    kind: str
    actor: str
    time: str
    summary: str
    note: str = ""
    operator: str = ""
    """The person at the actor who acted, where the reader may know the actor."""


AssigneeOf = Callable[[str], str]


def assignees(session: Session) -> AssigneeOf:
    """handoff id -> its assignee, read once per handoff."""
    known: dict[str, str] = {}

    def assignee_of(handoff_id: str) -> str:
        if handoff_id not in known:
            handoff = session.get(HandoffRow, handoff_id)
            known[handoff_id] = handoff.assignee_party_id if handoff is not None else ""
        return known[handoff_id]

    return assignee_of


def _own(reader: Reader, kind: int, body: dict[str, object], assignee_of: AssigneeOf) -> bool:
    data = body["data"]
    assert isinstance(data, dict)
    if not reader.party_id:
        return False  # evidence for a role as a whole: nobody's own events
    if kind == E.KIND_SIGNAL:
        return body["actor"] == reader.party_id
    if kind == E.KIND_NOTE:
        # A note the reader wrote; the hub's own notes (who could not be reached) are not.
        return body["actor"] == reader.party_id and "note_digest" in data
    handoff_id = data.get("handoff_id")
    return data.get("assignee") == reader.party_id or (
        isinstance(handoff_id, str) and assignee_of(handoff_id) == reader.party_id
    )


def _summary(
    reader: Reader, kind: int, body: dict[str, object], assignee_of: AssigneeOf
) -> str | None:
    """The one line a reader gets, made from the event's data; None: nothing to say."""
    data = body["data"]
    assert isinstance(data, dict)
    handoff = str(data.get("handoff_id", ""))
    if kind == E.KIND_SIGNAL:
        # The reporter knows its signal id; others learn that a report came, and from where.
        mine = data.get("signal_id") if reader.role in _REPORTERS else None
        source = str(data["source"]).replace("_", " ")
        return f"signal {mine} ({source})" if mine else f"signal ({source})"
    if kind == E.KIND_GRADE:
        return f"graded {wording.level(str(data['to']))}"
    if kind in (E.KIND_HANDOFF, E.KIND_DELIVERY) and "state" in data:
        summary = wording.handoff_changed(
            str(data.get("kind", "")),
            str(data["state"]),
            handoff,
            assignee_of(handoff),
            str(data["outcome"]).replace("_", " ") if data.get("outcome") else "",
            actor=reader.party_id if body["actor"] == reader.party_id else "",
        )
        return summary + (" (late)" if data.get("late") else "")
    if kind == E.KIND_HANDOFF and "stage" in data:
        # A progress report: the same words the platform's line says.
        return wording.progress(handoff, assignee_of(handoff), str(data["stage"]))
    if kind == E.KIND_HANDOFF:
        return wording.handoff_created(str(data["kind"]), handoff, str(data["assignee"]))
    if kind == E.KIND_ESCALATION and "retry" in data:
        return f"{handoff} sent again (retry {data['retry']})"
    if kind == E.KIND_ESCALATION and data.get("assignee") == reader.party_id:
        return f"{data['to']} came to you by escalation"
    if kind == E.KIND_NOTE:
        return f"note from {reader.party_id}"
    if kind == E.KIND_CLOSE and data.get("merged_into"):
        # Its work carries on in the other case, where its handoffs went.
        return None if reader.role in (Role.MERCHANT, Role.COURIER) else "case closed: merged"
    if kind == E.KIND_CLOSE and reader.role in (Role.MERCHANT, Role.COURIER):
        return _WORK_OVER
    if kind == E.KIND_CLOSE:
        code = data.get("resolution") if reader.role in _SEES_RESOLUTION_CODE else None
        return f"case closed: {wording.resolution(str(code))}" if code else "case closed"
    if kind == E.KIND_REOPEN:
        return "case reopened"
    return None


def event_view(
    reader: Reader, body: dict[str, object], note: str, assignee_of: AssigneeOf
) -> EventView | None:
    """The event as this reader may see it, or None if it is not for the reader."""
    kind = E.Kind.Value(str(body["kind"]))
    data = body["data"]
    assert isinstance(data, dict)
    if reader.role == Role.PLATFORM:
        return EventView(
            str(body["kind"]),
            str(body["actor"]),
            str(body["time"]),
            str(body["summary"]),
            note,
            operators.of(data),
        )
    show = EVENT_RULES.get((reader.role, kind), Show.NEVER)
    if show == Show.NEVER or (show == Show.OWN and not _own(reader, kind, body, assignee_of)):
        return None
    summary = _summary(reader, kind, body, assignee_of)
    if summary is None:
        return None
    # Who acted is the reader's business only when it was the reader: a handoff made
    # by another shop's signal must not name that shop, nor its operator.
    mine = body["actor"] == reader.party_id
    operator = operators.of(data) if mine else ""
    return EventView(
        str(body["kind"]),
        reader.party_id if mine else "",
        str(body["time"]),
        operators.attributed(summary, reader.party_id, operator),
        note if mine else "",
        operator,
    )


@dataclass(frozen=True)
class Entry:
    """An event's place in the chain, and the reader's view of it (None: withheld)."""

    row: timeline.Event
    body: dict[str, object]
    body_hash: str
    view: EventView | None


def timeline_for(
    session: Session,
    reader: Reader,
    case_id: str,
    after_sequence: int = 0,
    limit: int | None = None,
) -> list[Entry]:
    """The case's events after a sequence, in chain order, with the reader's view of each."""
    notes = {
        n.sequence: ("[erased]" if n.erased else n.text)
        for n in session.exec(select(CaseNoteRow).where(CaseNoteRow.case_id == case_id))
    }
    assignee_of = assignees(session)
    entries = []
    query = (
        select(CaseEventRow)
        .where(CaseEventRow.case_id == case_id, col(CaseEventRow.sequence) > after_sequence)
        .order_by(col(CaseEventRow.sequence))
        .limit(limit)
    )
    for row in session.exec(query):
        entries.append(_entry(reader, row, notes.get(row.sequence, ""), assignee_of))
    return entries


def _entry(reader: Reader, row: timeline.Event, note: str, assignee_of: AssigneeOf) -> Entry:
    body = timeline.event_body(row)
    return Entry(row, body, timeline.body_hash(body), event_view(reader, body, note, assignee_of))


def event_for(
    session: Session, caller: PartyIdentity, row: timeline.Event, note: str
) -> case_pb2.CaseEvent:
    """One event just written, as its writer may see it."""
    entry = _entry(Reader(caller.party_id, caller.role), row, note, assignees(session))
    return event_to_proto(entry, caller.role)


def event_to_proto(entry: Entry, role: Role) -> case_pb2.CaseEvent:
    row, view = entry.row, entry.view
    event = case_pb2.CaseEvent(
        case_id=row.case_id,
        withheld=view is None,
        create_time=timestamp(row.create_time) if view is not None else None,
    )
    if role in CHAIN_ROLES:
        event.sequence = row.sequence
        event.hash = bytes.fromhex(row.hash)
        event.previous_hash = bytes.fromhex(row.previous_hash)
        event.body_hash = bytes.fromhex(entry.body_hash)
    if view is not None:
        event.kind = E.Kind.Value(view.kind)  # type: ignore[assignment]
        event.actor_party_id = view.actor
        event.summary = view.summary
        event.note = view.note
        event.operator = view.operator
    return event


# -- the case itself ---------------------------------------------------------

_CASE_STATES = {"open": case_pb2.Case.STATE_OPEN, "closed": case_pb2.Case.STATE_CLOSED}


@dataclass(frozen=True)
class CaseFacts:
    """What a case's other rows add to it (the engine reads them)."""

    signals: tuple[case_pb2.Signal, ...] = ()
    """Every signal of the case, oldest first."""
    follow_up_times: tuple[dt.datetime, ...] = ()
    """Follow-ups scheduled and not yet fired."""


def case_to_proto(
    row: CaseRow, role: Role, facts: CaseFacts, *, with_signals: bool = False
) -> case_pb2.Case:
    """The case as a party of this role may see it; the signals themselves only
    `with_signals` (GetCase: they are too much to repeat on every notice)."""
    detail = role in SEES_CASE_DETAIL
    case = case_pb2.Case(
        case_id=row.case_id,
        state=_CASE_STATES[row.state],
        create_time=timestamp(row.create_time) if detail else None,
        update_time=timestamp(row.update_time) if detail else None,
        close_time=timestamp(row.close_time),
        merged_into_case_id=row.merged_into or "",
    )
    if detail:
        case.risk_level = row.risk_level  # type: ignore[assignment]
        case.jurisdiction_code = row.jurisdiction_code or ""
        # Those sent to the person see every signal event already; reporters and
        # couriers would learn from a count that others reported the person.
        case.signal_count = len(facts.signals)
    if role in _SEES_REPORTERS:
        case.reporter_party_ids.extend(dict.fromkeys(s.reporter_party_id for s in facts.signals))
    if role in _SEES_RESOLUTION_CODE:
        case.resolution.code = row.resolution_code  # type: ignore[assignment]
    if role == Role.PLATFORM:
        case.risk_overridden = row.risk_overridden
        case.resolution.note = row.resolution_note
        for due in facts.follow_up_times:
            case.follow_up_times.add().FromDatetime(due)
        if with_signals:
            case.signals.extend(facts.signals)
    return case


def report_answer(case_id: str) -> case_pb2.Case:
    """The case as a merchant or hospital learns it from its own report: the same
    whether the report opened the case or joined one (the id is random and says nothing)."""
    return case_pb2.Case(case_id=case_id, state=case_pb2.Case.STATE_OPEN)


def page_of_events(
    session: Session, caller: PartyIdentity, case_id: str, after: int, page_size: int
) -> tuple[list[case_pb2.CaseEvent], int]:
    """One page of ListCaseEvents, and where the next starts (0: no more).

    For a chain role `after` is a sequence; for any other reader it counts the events
    it has seen, so that its page token tells it nothing about the events it may not see.
    """
    reader = Reader(caller.party_id, caller.role)
    if caller.role in CHAIN_ROLES:
        entries = timeline_for(session, reader, case_id, after, limit=page_size + 1)
        more = len(entries) > page_size
        page = entries[:page_size]
        following = page[-1].row.sequence if more else 0
    else:
        entries = [e for e in timeline_for(session, reader, case_id) if e.view][after:]
        more = len(entries) > page_size
        page = entries[:page_size]
        following = after + page_size if more else 0
    return [event_to_proto(e, caller.role) for e in page], following


def not_found(what: str, ident: str) -> HubError:
    """The one answer for a case or handoff that does not exist or is not the caller's:
    the two are not told apart."""
    reason = reasons.CASE_NOT_FOUND if what == "case" else reasons.HANDOFF_NOT_FOUND
    return HubError(reason, f"no {what} {ident!r} that you may see")


def visible_case(
    session: Session, caller: PartyIdentity, case_id: str, *, lock: bool = False
) -> CaseRow:
    """A case the caller may see: any for the platform, else one it takes part in."""
    case = db.locked(session, CaseRow, case_id) if lock else session.get(CaseRow, case_id)
    if case is None or (
        caller.role != Role.PLATFORM
        and session.get(CasePartyRow, (case_id, caller.party_id)) is None
    ):
        raise not_found("case", case_id)
    return case


def visible_handoff(
    session: Session, caller: PartyIdentity, handoff_id: str, *, lock: bool = False
) -> HandoffRow:
    """A handoff the caller may see: any for the platform, else one assigned to it."""
    handoff = (
        db.locked(session, HandoffRow, handoff_id) if lock else session.get(HandoffRow, handoff_id)
    )
    if handoff is None or (
        caller.role != Role.PLATFORM and handoff.assignee_party_id != caller.party_id
    ):
        raise not_found("handoff", handoff_id)
    return handoff


def handoff_to_proto(row: HandoffRow, role: Role) -> handoff_pb2.Handoff:
    """A handoff row as a party of `role` may see it (hub/domain/disclosure.py)."""
    acknowledged = row.acknowledge_time is not None
    details = disclose(
        handoff_pb2.HandoffDetails.FromString(row.details),
        role,
        row.kind,
        acknowledged,
        recipient=row.assignee_party_id,
    )
    handoff = handoff_pb2.Handoff(
        handoff_id=row.handoff_id,
        case_id=row.case_id,
        kind=row.kind,  # type: ignore[arg-type]
        state=row.state,  # type: ignore[arg-type]
        assignee_party_id=row.assignee_party_id,
        creator_party_id=row.creator_party_id,
        details=details,
        create_time=timestamp(row.create_time),
        update_time=timestamp(row.update_time),
        due_time=timestamp(row.due_time),
        acknowledge_time=timestamp(row.acknowledge_time),
        decline_reason=row.decline_reason,
        escalated_from_handoff_id=row.escalated_from_handoff_id or "",
        alert_reason=row.alert_reason,  # type: ignore[arg-type]
        alert_handoff_id=row.alert_handoff_id or "",
        check_in_time=timestamp(row.check_in_time),
    )
    if row.progress_stage:
        handoff.progress.CopyFrom(
            handoff_pb2.Progress(
                stage=row.progress_stage,  # type: ignore[arg-type]
                note=row.progress_note,
                report_time=timestamp(row.progress_time),
            )
        )
    if row.escalated_from_handoff_id:
        handoff.escalated_from.CopyFrom(
            handoff_pb2.EscalatedFrom(
                party_id=row.escalated_from_party_id,
                handoff_id=row.escalated_from_handoff_id,
                reason=row.escalation_reason,
            )
        )
    if row.outcome_code:
        handoff.outcome.code = row.outcome_code  # type: ignore[assignment]
        handoff.outcome.note = row.outcome_note
    return handoff
