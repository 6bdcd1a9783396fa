"""What every use case records: timeline events told to whom may see them, signed
messages kept as evidence, who is on a case, and what the case's signals say.

Party lookups and case facts are read many times in one unit and never written by
it: they live in the unit's cache (hub/cases/unit.py), read once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from lifeline.hub.v1 import case_pb2, inbox_service_pb2, signed_pb2

from hub.cases.unit import Unit
from hub.domain import facts, operators
from hub.domain.deadlines import FOLLOW_UP
from hub.domain.errors import HubError
from hub.store import db, deadlines, parties, signed_messages, timeline, visibility
from hub.store import handoffs as handoff_rows
from hub.store import signals as signal_rows
from hub.store.cases import CLOSED, OPEN
from hub.store.models import (
    CaseNoteRow,
    CasePartyRow,
    CaseRow,
    HandoffRow,
    SignedMessageRow,
)
from wire import reasons, signed
from wire.identity import Role
from wire.signed import Verified


def event(
    tx: Unit,
    case: CaseRow,
    kind: int,
    summary: str,
    data: dict[str, object] | None = None,
    *,
    notify: Iterable[str] = (),
    note: str = "",
) -> timeline.Event:
    """Appends to the timeline; the platform's desks, and anyone in notify, are told.

    Free text (`note`) is kept beside the chain, which records its digest, so
    retention can erase it without breaking the chain.
    """
    if note:
        data = {**(data or {}), "note_digest": hashlib.sha256(note.encode()).hexdigest()}
    data, summary = operators.stamp(data, summary, tx.actor_id, tx.operator)
    row = timeline.append(tx.session, case, kind, tx.actor_id, summary, tx.now, data)
    if note:
        db.append(
            tx.session,
            CaseNoteRow,
            {"case_id": case.case_id, "sequence": row.sequence, "text": note},
        )
    recipients = set(platform_parties(tx)) | set(notify)
    body = timeline.event_body(row)
    known = case_facts(tx, case)
    for party_id in sorted(recipients):
        role = role_of(tx, party_id)
        reader = visibility.Reader(party_id, role)
        view = visibility.event_view(reader, body, note, visibility.assignees(tx.session))
        if view is None:
            continue
        tx.post(
            party_id,
            inbox_service_pb2.InboxMessage(
                case_id=case.case_id,
                case_notice=inbox_service_pb2.CaseNotice(
                    case=visibility.case_to_proto(case, role, known),
                    event_kind=kind,  # type: ignore[arg-type]
                    summary=view.summary,
                ),
            ),
        )
    return row


def platform_parties(tx: Unit) -> list[str]:
    if tx.cache.platform_parties is None:
        with tx.session.no_autoflush:
            tx.cache.platform_parties = parties.platform_ids(tx.session)
        tx.cache.roles.update(dict.fromkeys(tx.cache.platform_parties, Role.PLATFORM))
    return list(tx.cache.platform_parties)


def role_of(tx: Unit, party_id: str) -> Role:
    roles = tx.cache.roles
    if party_id not in roles:
        role = parties.role(tx.session, party_id)
        if role is None:
            raise HubError(reasons.PARTY_NOT_FOUND, f"no party {party_id!r}")
        roles[party_id] = Role(role)
    return roles[party_id]


def join(tx: Unit, case_id: str, party_id: str) -> None:
    """Makes the party one of the case's (who may list it, who is told of it)."""
    if (case_id, party_id) in tx.cache.joined:
        return
    tx.cache.joined.add((case_id, party_id))
    known = case_id not in tx.cache.new_cases and parties.is_member(tx.session, case_id, party_id)
    if not known:
        db.append(tx.session, CasePartyRow, {"case_id": case_id, "party_id": party_id})


def signals(tx: Unit, case_id: str) -> list[case_pb2.Signal]:
    """The case's signals; read once per unit until they change."""
    if case_id not in tx.cache.signals:
        tx.cache.signals[case_id] = [
            case_pb2.Signal.FromString(payload)
            for payload in signal_rows.payloads(tx.session, case_id)
        ]
    return list(tx.cache.signals[case_id])


def signal_added(tx: Unit, case_id: str, signal: case_pb2.Signal) -> None:
    """A signal (just written) joined the case: its facts are gathered again. A case
    opened in this unit keeps its signals in the cache; another reads them again."""
    if case_id in tx.cache.new_cases:
        tx.cache.facts.pop(case_id, None)
        tx.cache.signals.setdefault(case_id, []).append(signal)
    else:
        signals_changed(tx, case_id)


def signals_changed(tx: Unit, *case_ids: str) -> None:
    for case_id in case_ids:
        tx.cache.facts.pop(case_id, None)
        tx.cache.signals.pop(case_id, None)


def handoffs_of(tx: Unit, case_id: str) -> list[HandoffRow]:
    """The case's handoffs, those made in this unit included."""
    if case_id in tx.cache.new_cases:
        return list(tx.cache.new_handoffs.get(case_id, ()))
    return handoff_rows.of_case(tx.session, case_id)


def handoff_count(tx: Unit, case_id: str) -> int:
    """How many handoffs the case has, those made in this unit included."""
    if case_id in tx.cache.new_cases:
        return len(tx.cache.new_handoffs.get(case_id, ()))
    return handoff_rows.count(tx.session, case_id)


def handoff_made(tx: Unit, handoff: HandoffRow) -> None:
    if handoff.case_id in tx.cache.new_cases:
        tx.cache.new_handoffs.setdefault(handoff.case_id, []).append(handoff)


def facts_of(tx: Unit, case_id: str) -> facts.Facts:
    """What the case's signals say; gathered once per unit until they change."""
    if case_id not in tx.cache.facts:
        tx.cache.facts[case_id] = facts.gather(signals(tx, case_id), confirmed_address(tx, case_id))
    return tx.cache.facts[case_id]


def address_events(tx: Unit, case_id: str) -> list[dict[str, object]]:
    """The data of the case's address events, newest first."""
    return [
        json.loads(data)
        for data in timeline.data_of_kind(tx.session, case_id, case_pb2.CaseEvent.KIND_ADDRESS)
    ]


def confirmed_address(tx: Unit, case_id: str) -> str | None:
    """The candidate the duty desk confirmed last, from the case's timeline."""
    if case_id in tx.cache.new_cases:
        return None
    return next(
        (str(d["confirmed"]) for d in address_events(tx, case_id) if "confirmed" in d), None
    )


def case_facts(tx: Unit, row: CaseRow) -> visibility.CaseFacts:
    """What the case's other rows add to it: its signals, its follow-ups to come."""
    follow_ups: list[dt.datetime] = []
    if row.state == CLOSED:  # follow-ups are scheduled at closing, dropped at reopening
        follow_ups = deadlines.pending_due_times(tx.session, row.case_id, FOLLOW_UP)
    # The signals alone: a notice's case needs no address confirmations (one read less).
    known = tx.cache.facts.get(row.case_id)
    case_signals = known.signals if known is not None else tuple(signals(tx, row.case_id))
    return visibility.CaseFacts(tuple(case_signals), tuple(follow_ups))


def case_view(tx: Unit, row: CaseRow, role: Role, *, with_signals: bool = False) -> case_pb2.Case:
    return visibility.case_to_proto(row, role, case_facts(tx, row), with_signals=with_signals)


def received(
    tx: Unit,
    message: signed_pb2.SignedMessage,
    verified: Verified,
    case_id: str,
    handoff_id: str | None = None,
    field: str = "receipt",
) -> dict[str, object]:
    """Keeps a party's signed message (from the request's `field`, as the edge verified
    it) as evidence; refuses a message id seen before.

    Returns the reference the timeline event carries, binding the chain to it.
    """
    payload = verified.payload
    if not signed_messages.keep_new(
        tx.session, _evidence(tx, message, payload, case_id, handoff_id)
    ):
        raise HubError(
            reasons.MESSAGE_REPLAYED,
            f"message {payload.message_id!r} from {payload.issuer!r} was already received",
            {"field": f"{field}.payload.message_id"},
        )
    return _reference(message, payload)


def issued(
    tx: Unit, message: signed_pb2.SignedMessage, case_id: str, handoff_id: str | None
) -> dict[str, object]:
    """Keeps a message the hub signed just now as evidence (its id is new: no replay)."""
    payload = signed_pb2.SignedPayload.FromString(message.payload)
    db.append(tx.session, SignedMessageRow, _evidence(tx, message, payload, case_id, handoff_id))
    return _reference(message, payload)


def _evidence(
    tx: Unit,
    message: signed_pb2.SignedMessage,
    payload: signed_pb2.SignedPayload,
    case_id: str,
    handoff_id: str | None,
) -> dict[str, object]:
    return {
        "issuer": payload.issuer,
        "message_id": payload.message_id,
        "kind": payload.kind,
        "case_id": case_id,
        "handoff_id": handoff_id,
        "message": message.SerializeToString(),
        "create_time": tx.now,
    }


def _reference(
    message: signed_pb2.SignedMessage, payload: signed_pb2.SignedPayload
) -> dict[str, object]:
    """What the timeline event carries, binding the chain to the message."""
    return {"message_id": payload.message_id, "message_digest": signed.payload_digest(message)}


def participants(tx: Unit, case_id: str, roles: set[Role]) -> list[str]:
    if case_id in tx.cache.new_cases:  # its parties are those this unit joined to it
        members = sorted(p for c, p in tx.cache.joined if c == case_id)
        return [p for p in members if role_of(tx, p) in roles]
    return parties.participants(tx.session, case_id, roles)


def open_case(tx: Unit, case_id: str) -> CaseRow:
    """A case the caller may see, locked, that is still open."""
    case = visibility.visible_case(tx.session, tx.caller, case_id, lock=True)
    if case.state != OPEN:
        raise HubError(
            reasons.CASE_CLOSED,
            f"case {case_id} is closed"
            + (f" (merged into {case.merged_into})" if case.merged_into else ""),
        )
    return case
