"""Escalation: work nobody took goes on to the next party of its chain.

The chain follows the deadline policy's steps (the desk's backup, the parent
jurisdiction's desk, the duty desk), skipping whoever had it; a duty alert follows
its own (hub/cases/alerts.py). With nobody left, the handoff expires and the duty
desk is alerted. A party cut off (revoked, deactivated) has its open work rerouted
the same way.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lifeline.hub.v1 import case_pb2, handoff_pb2

from hub.cases import alerts, lifecycle, record
from hub.cases.unit import Cases, Unit, by_hub, hub_unit
from hub.domain.policy import OPEN_STATES
from hub.store import cases as case_rows
from hub.store import handoffs, parties, rota
from hub.store.cases import OPEN
from hub.store.models import CaseRow, HandoffRow, PartyRow
from hub.store.registry import ACTIVE
from wire import wording
from wire.identity import Role, jurisdiction_ancestors
from wire.outcomes import ASSIGNEE_ROLES

if TYPE_CHECKING:
    pass

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent


def next_assignees(tx: Unit, handoff: HandoffRow, case: CaseRow) -> list[PartyRow]:
    """Who the chase goes to next: along the policy's steps, skipping whoever had it;
    a duty alert along its own (hub/cases/alerts.py)."""
    if handoff.kind == alerts.DUTY_ALERT:
        return alerts.next_takers(tx, handoff)
    session = tx.session
    chain = lifecycle.chain(session, handoff)
    tried = {h.assignee_party_id for h in chain}
    origin = parties.get(session, chain[-1].assignee_party_id)
    assert origin is not None
    candidates: list[str] = []
    for step in tx.cases.deadlines.escalation_steps:
        if step == "backup":
            candidates += [
                b
                for b in (tx.cases.deadlines.backups.get(origin.party_id), origin.backup_party_id)
                if b
            ]
        elif (
            step == "parent_jurisdiction"
            and case.jurisdiction_code
            and origin.role in (Role.POLICE.value, Role.COMMITTEE.value)
        ):
            for code in jurisdiction_ancestors(case.jurisdiction_code)[1:]:
                candidates += parties.ids_in_jurisdiction(session, origin.role, code)
        elif step == "duty_desk":
            shift = rota.on_call(session, tx.now)
            if shift is not None:
                candidates += [p for p in (shift.party_id, shift.backup_party_id) if p]
            candidates += sorted(record.platform_parties(tx))
    for party_id in dict.fromkeys(candidates):
        party = parties.get(session, party_id)
        if (
            party_id not in tried
            and party is not None
            and party.state == ACTIVE
            and Role(party.role) in ASSIGNEE_ROLES[handoff.kind] | {Role.PLATFORM}
        ):
            return [party]
    return []


@by_hub
def escalate(tx: Unit, handoff: HandoffRow, why: str) -> None:
    """Hands the work to the next party in the chain, linked to this handoff."""
    case = case_rows.locked(tx.session, handoff.case_id)
    assert case is not None
    if case.state != OPEN:
        return
    successors = next_assignees(tx, handoff, case)
    if handoff.state in OPEN_STATES:
        lifecycle.transition(tx, handoff, H.STATE_ESCALATED if successors else H.STATE_EXPIRED, why)
    what = f"the {wording.kind(handoff.kind)} ({handoff.handoff_id})"
    if not successors:
        record.event(
            tx,
            case,
            E.KIND_ESCALATION,
            f"{what}: {why}, and nobody is left to escalate to; the duty desk must act",
            {"handoff_id": handoff.handoff_id},
        )
        tx.log(
            logging.WARNING,
            "expiry",
            "handoff expired: nobody is left to escalate to",
            case_id=case.case_id,
            handoff_id=handoff.handoff_id,
            party_id=handoff.assignee_party_id,
            reason=why,
        )
        chain = lifecycle.chain(tx.session, handoff)
        alerts.raise_alert(
            tx,
            case,
            alerts.DECLINED_BY_ALL if alerts.declined_by_all(chain) else alerts.EXPIRED,
            f"{what}: {why}; nobody is left to take it",
            about=handoff,
        )
        return
    for successor in successors:
        hand_on(tx, case, handoff, successor, why)


def hand_on(tx: Unit, case: CaseRow, handoff: HandoffRow, successor: PartyRow, why: str) -> None:
    """One step of a chase: the work, to the successor, linked to this handoff."""
    what = f"the {wording.kind(handoff.kind)} ({handoff.handoff_id})"
    details = handoff_pb2.HandoffDetails.FromString(handoff.details)
    successor_handoff = lifecycle.create(
        tx,
        case,
        handoff.kind,
        successor,
        details.instruction,
        order_id=handoff.order_id,
        tracking_number=handoff.tracking_number,
        escalated_from=handoff.handoff_id,
        escalated_from_party_id=handoff.assignee_party_id,
        escalation_reason=why,
        alert_reason=handoff.alert_reason,
        alert_handoff_id=handoff.alert_handoff_id,
    )
    record.event(
        tx,
        case,
        E.KIND_ESCALATION,
        f"{what} escalated to {successor.party_id} as {successor_handoff.handoff_id}: {why}",
        {
            "from": handoff.handoff_id,
            "to": successor_handoff.handoff_id,
            "assignee": successor.party_id,
        },
    )
    tx.log(
        logging.WARNING,
        "escalation",
        "handoff escalated",
        case_id=case.case_id,
        handoff_id=successor_handoff.handoff_id,
        party_id=successor.party_id,
        reason=why,
        from_handoff_id=handoff.handoff_id,
    )


async def reroute_from(cases: Cases, party_id: str, why: str) -> int:
    """Hands the open work of a party that was cut off (revoked, deactivated) to the
    next in each handoff's escalation chain, as a decline would; returns how many.

    Acknowledged work is handed on too: a desk that is gone cannot complete it.
    """

    def work(tx: Unit) -> int:
        held = handoffs.held(tx.session, party_id, OPEN_STATES)
        case_rows.lock_all(tx.session, {h.case_id for h in held})
        for handoff in held:
            escalate(tx, handoff, why)
        return len(held)

    return await hub_unit(cases, work)
