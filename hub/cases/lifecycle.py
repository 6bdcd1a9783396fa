"""The handoff's life: made and signed, put on its assignee's inbox, moved from state
to state, and the deadlines that chase it set and cancelled.

An acknowledgement is a promise, not a result: on acknowledgement the deadline
policy (hub/domain/deadlines.py) sets when the outcome is due (the handoff's `due_time`
from then on) and how long the desk may stay silent (expect_work); completing,
cancelling or handing on the work cancels its deadlines. What a missed deadline
does is hub/cases/chase.py's.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2, signed_pb2

from hub.cases import record
from hub.cases.unit import Unit, new_id
from hub.domain.deadlines import ACKNOWLEDGE, OUTCOME, PROGRESS
from hub.domain.disclosure import handoff_kind_key, narrow
from hub.domain.errors import HubError
from hub.domain.policy import TRANSITIONS
from hub.store import cases as case_rows
from hub.store import db, deadlines, handoffs, signed_messages
from hub.store.models import CaseRow, DeadlineRow, HandoffRow, PartyRow
from hub.store.registry import ACTIVE, REVOKED
from hub.store.visibility import handoff_to_proto
from wire import claims as message_claims
from wire import reasons, signed, wording
from wire.identity import Role
from wire.outcomes import ASSIGNEE_ROLES

if TYPE_CHECKING:
    from sqlmodel import Session

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent
_KIND = handoff_pb2.HandoffKind.Name
_STATE = handoff_pb2.Handoff.State.Name

WORK = (OUTCOME, PROGRESS)
"""Deadlines of acknowledged work; they end with the work."""


def post(tx: Unit, handoff: HandoffRow, message: signed_pb2.SignedMessage | None = None) -> None:
    """Puts the handoff on its assignee's inbox, with the hub's signed message
    (stored, unless just made) narrowed to what the assignee may see now."""
    role = record.role_of(tx, handoff.assignee_party_id)
    if message is None:
        stored = signed_messages.of_handoff(tx.session, handoff.handoff_id, signed.KIND_HANDOFF)
        message = signed_pb2.SignedMessage.FromString(stored)
    visible = narrow(
        message,
        role,
        handoff_kind_key(handoff.kind),
        recipient=handoff.assignee_party_id,
        acknowledged=handoff.acknowledge_time is not None,
    )
    tx.post(
        handoff.assignee_party_id,
        inbox_service_pb2.InboxMessage(
            case_id=handoff.case_id,
            handoff=handoff_to_proto(handoff, role),
            signed_handoff=visible,
        ),
    )


def create(
    tx: Unit,
    case: CaseRow,
    kind: int,
    assignee: PartyRow,
    instruction: str,
    *,
    order_id: str = "",
    tracking_number: str = "",
    escalated_from: str | None = None,
    escalated_from_party_id: str = "",
    escalation_reason: str = "",
    alert_reason: int = 0,
    alert_handoff_id: str | None = None,
    check_in_time: dt.datetime | None = None,
) -> HandoffRow:
    if Role(assignee.role) not in ASSIGNEE_ROLES[kind] | {Role.PLATFORM}:
        raise HubError(
            reasons.ASSIGNEE_NOT_SUITABLE,
            f"a {assignee.role} party cannot take {_KIND(kind)}",
            {"field": "assignee_party_id"},
        )
    if assignee.state != ACTIVE:
        raise HubError(
            reasons.PARTY_REVOKED if assignee.state == REVOKED else reasons.PARTY_DEACTIVATED,
            f"party {assignee.party_id!r} is {assignee.state}",
            {"field": "assignee_party_id"},
        )
    facts = record.facts_of(tx, case.case_id)
    details = handoff_pb2.HandoffDetails(
        instruction=instruction or tx.cases.policy.instructions[kind],
        order_id=order_id,
        tracking_number=tracking_number,
        jurisdiction_code=case.jurisdiction_code or "",
        risk_level=case.risk_level,  # type: ignore[arg-type]
        situation=facts.situation,
        address_text=facts.address_text,
        contact_phone=facts.contact_phone,
        clinical_facts=facts.clinical_facts,
    )
    handoff = HandoffRow(
        handoff_id=new_id("ho"),
        case_id=case.case_id,
        kind=kind,
        state=H.STATE_PENDING,
        assignee_party_id=assignee.party_id,
        # Only the platform calls CreateHandoff; anything else is the hub's own.
        creator_party_id=tx.actor_id,
        details=details.SerializeToString(),
        order_id=order_id,
        tracking_number=tracking_number,
        create_time=tx.now,
        update_time=tx.now,
        due_time=acknowledge_by(tx, case, kind, tracking_number),
        escalated_from_handoff_id=escalated_from,
        escalated_from_party_id=escalated_from_party_id,
        escalation_reason=escalation_reason,
        alert_reason=alert_reason,
        alert_handoff_id=alert_handoff_id,
        check_in_time=check_in_time,
    )
    db.insert(tx.session, handoff)
    record.handoff_made(tx, handoff)
    tx.cache.roles.setdefault(assignee.party_id, Role(assignee.role))
    assert handoff.due_time is not None
    schedule(tx, ACKNOWLEDGE, case.case_id, handoff.handoff_id, handoff.due_time)
    message = tx.cases.signer.sign(
        signed.KIND_HANDOFF,
        assignee.party_id,
        message_claims.handoff_claims(handoff_to_proto(handoff, Role.PLATFORM)),
        tx.now,
        lifetime=signed.HUB_MESSAGE_LIFETIME,
        case_id=case.case_id,
        handoff_id=handoff.handoff_id,
    )
    reference = record.issued(tx, message, case.case_id, handoff.handoff_id)
    record.join(tx, case.case_id, assignee.party_id)
    target = f"order {order_id}" if order_id else ""
    target = f"parcel {tracking_number}" if tracking_number else target
    record.event(
        tx,
        case,
        E.KIND_HANDOFF,
        wording.handoff_created(kind, handoff.handoff_id, assignee.party_id, target),
        {
            "handoff_id": handoff.handoff_id,
            "kind": _KIND(kind),
            "assignee": assignee.party_id,
            **reference,
        },
    )
    post(tx, handoff, message)
    return handoff


def transition(
    tx: Unit,
    handoff: HandoffRow,
    state: int,
    summary: str,
    data: dict[str, object] | None = None,
    *,
    note: str = "",
) -> None:
    if state not in TRANSITIONS[handoff.state]:
        raise HubError(
            reasons.ILLEGAL_TRANSITION,
            f"handoff {handoff.handoff_id} is {_STATE(handoff.state)};"
            f" it cannot become {_STATE(state)}",
            {"from": H.State.Name(handoff.state), "to": H.State.Name(state)},
        )
    handoff.state = state
    handoff.update_time = tx.now
    tx.session.add(handoff)
    case = case_rows.locked(tx.session, handoff.case_id)
    assert case is not None
    if state not in (H.STATE_PENDING, H.STATE_DELIVERED):
        # Nobody is waiting for an answer any more: the chase stops at once; on
        # acknowledgement the chase of the work itself begins (expect_work).
        cancel_deadlines(tx, handoff_id=handoff.handoff_id, kinds=(ACKNOWLEDGE, *WORK))
    if state == H.STATE_ACKNOWLEDGED:
        expect_work(tx, case, handoff)
    record.event(
        tx,
        case,
        E.KIND_DELIVERY if state == H.STATE_DELIVERED else E.KIND_HANDOFF,
        wording.handoff_changed(
            handoff.kind,
            state,
            handoff.handoff_id,
            handoff.assignee_party_id,
            summary,
            actor=tx.actor_id,
        ),
        {
            "handoff_id": handoff.handoff_id,
            "kind": _KIND(handoff.kind),
            "state": H.State.Name(state),
            **(data or {}),
        },
        note=note,
    )
    if state != H.STATE_DELIVERED:
        post(tx, handoff)


def schedule(
    tx: Unit,
    kind: str,
    case_id: str,
    handoff_id: str | None,
    due: dt.datetime,
    attempt: int = 0,
) -> None:
    db.append(
        tx.session,
        DeadlineRow,
        {
            "deadline_id": new_id("dl"),
            "kind": kind,
            "case_id": case_id,
            "handoff_id": handoff_id,
            "due_time": due,
            "attempt": attempt,
            "create_time": tx.now,
        },
    )
    tx.deadlines.append(due)
    tx.cache.scheduled.add((case_id, kind))


def cancel_deadlines(
    tx: Unit,
    *,
    kinds: tuple[str, ...],
    handoff_id: str | None = None,
    case_id: str | None = None,
) -> None:
    if (
        case_id is not None
        and case_id in tx.cache.new_cases
        and not any((case_id, kind) in tx.cache.scheduled for kind in kinds)
    ):
        return  # a case opened in this unit has no other deadlines
    if handoff_id is not None:
        deadlines.cancel_for_handoff(tx.session, handoff_id, kinds)
    elif case_id is not None:
        deadlines.cancel_for_case(tx.session, case_id, kinds)


def acknowledge_by(tx: Unit, case: CaseRow, kind: int, parcel: str) -> dt.datetime:
    due = tx.now + tx.cases.deadlines.acknowledge_within(kind, case.risk_level)
    if parcel:
        # A parcel must be stopped before it arrives, however long the policy allows.
        for known in record.facts_of(tx, case.case_id).parcels:
            if known.tracking_number == parcel and known.HasField("estimated_delivery_time"):
                arrival = known.estimated_delivery_time.ToDatetime(dt.UTC)
                due = max(tx.now, min(due, arrival))
    return due


def chain(session: Session, handoff: HandoffRow) -> list[HandoffRow]:
    """The handoff and those it escalates, back to the first."""
    found = [handoff]
    while found[-1].escalated_from_handoff_id:
        previous = handoffs.get(session, found[-1].escalated_from_handoff_id)
        assert previous is not None
        found.append(previous)
    return found


def expect_work(tx: Unit, case: CaseRow, handoff: HandoffRow) -> None:
    """On acknowledgement: the outcome's deadline, which the handoff's due_time now
    shows, and the first progress report's."""
    outcome = tx.cases.deadlines.outcome_within(handoff.kind, case.risk_level)
    if outcome is not None:
        handoff.due_time = tx.now + outcome
        schedule(tx, OUTCOME, case.case_id, handoff.handoff_id, handoff.due_time)
    expect_progress(tx, case, handoff)


def expect_progress(tx: Unit, case: CaseRow, handoff: HandoffRow) -> None:
    within = tx.cases.deadlines.progress_within(handoff.kind, case.risk_level)
    if within is not None:
        schedule(tx, PROGRESS, case.case_id, handoff.handoff_id, tx.now + within)
