"""Duty alerts: every situation in which "the duty desk must act" becomes work for a person.

A duty alert is a handoff of kind DUTY_ALERT to the platform party on call in the
rota (or, with nobody on call, the first active platform party), with a reason
(`DutyAlertReason`) and the handoff it is about. It is acknowledged, completed and
chased like any handoff, but along its own chain (next_takers): the on-call
shift's backup, then every platform party at once. The timeline event says the
same in words. Raising an alert that is still open for the same reason and the
same handoff does nothing, so a deadline that fires twice, or a second unroutable
signal, does not page twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lifeline.hub.v1 import handoff_pb2

from hub.cases import lifecycle
from hub.cases.unit import Unit
from hub.domain.policy import OPEN_STATES
from hub.store import handoffs, parties, rota
from hub.store.models import CaseRow, HandoffRow, PartyRow
from hub.store.registry import ACTIVE
from wire import wording
from wire.identity import Role

if TYPE_CHECKING:
    from sqlmodel import Session


log = logging.getLogger(__name__)

DUTY_ALERT = handoff_pb2.HANDOFF_KIND_DUTY_ALERT
Handoff = handoff_pb2.Handoff
Reason = handoff_pb2.DutyAlertReason

UNROUTABLE = handoff_pb2.DUTY_ALERT_REASON_UNROUTABLE
EXPIRED = handoff_pb2.DUTY_ALERT_REASON_EXPIRED
ADDRESS_CONFLICT = handoff_pb2.DUTY_ALERT_REASON_ADDRESS_CONFLICT
OUTCOME_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_OUTCOME_OVERDUE
PROGRESS_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_PROGRESS_OVERDUE
TRIAGE_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_TRIAGE_OVERDUE
CHECK_IN_MISSED = handoff_pb2.DUTY_ALERT_REASON_CHECK_IN_MISSED
DECLINED_BY_ALL = handoff_pb2.DUTY_ALERT_REASON_DECLINED_BY_ALL


def on_call_party(session: Session, now: object) -> PartyRow | None:
    """Who takes a new alert: the shift on call, else its backup, else the first active
    platform party by id (a hub with no rota still alerts someone)."""
    shift = rota.on_call(session, now)  # type: ignore[arg-type]
    named = [p for p in (shift.party_id, shift.backup_party_id) if p] if shift else []
    for party_id in named:
        party = parties.get(session, party_id)
        if party is not None and party.state == ACTIVE and party.role == Role.PLATFORM.value:
            return party
    return parties.first_platform(session)


def open_alert(session: Session, case_id: str, reason: int, about: str | None) -> HandoffRow | None:
    """The alert still open on the case for this reason and handoff, if any."""
    return handoffs.open_alert(session, case_id, DUTY_ALERT, reason, about, OPEN_STATES)


def raise_alert(
    tx: Unit,
    case: CaseRow,
    reason: int,
    why: str,
    *,
    about: HandoffRow | None = None,
) -> HandoffRow | None:
    """Puts what the duty desk must do on the on-call party's inbox, as a DUTY_ALERT
    handoff carrying `why` as its instruction; returns it (or the one already open)."""
    about_id = about.handoff_id if about is not None else None
    if about is not None and about.kind == DUTY_ALERT:
        # An alert nobody took is chased along its own chain, not alerted about.
        return None
    existing = open_alert(tx.session, case.case_id, reason, about_id)
    if existing is not None:
        return existing
    assignee = on_call_party(tx.session, tx.now)
    if assignee is None:
        log.error(
            "duty alert with no platform party to take it",
            extra={"case_id": case.case_id, "reason": Reason.Name(reason)},
        )
        return None
    with tx.by_hub():
        alert = lifecycle.create(
            tx,
            case,
            DUTY_ALERT,
            assignee,
            f"{wording.alert_reason(reason)}: {why}",
            alert_reason=reason,
            alert_handoff_id=about_id,
        )
    tx.log(
        logging.WARNING,
        "duty_alert",
        "duty alert raised",
        case_id=case.case_id,
        handoff_id=alert.handoff_id,
        party_id=assignee.party_id,
        reason=Reason.Name(reason),
        about_handoff_id=about_id,
    )
    return alert


def _tree(session: Session, alert: HandoffRow) -> list[HandoffRow]:
    """The alert, the one it was first raised as, and every handoff it was handed on as."""
    root = lifecycle.chain(session, alert)[-1]
    return [
        h
        for h in handoffs.of_kind(session, alert.case_id, DUTY_ALERT)
        if lifecycle.chain(session, h)[-1].handoff_id == root.handoff_id
    ]


def next_takers(tx: Unit, alert: HandoffRow) -> list[PartyRow]:
    """Who an alert nobody took goes to next: the on-call shift's backup, then every
    active platform party that has not had it, all at once (each its own handoff,
    linked to this one: whoever acknowledges first takes it, see taken()). Never a
    desk of another role: the duty desk is the last resort of every other chain."""
    tried = {h.assignee_party_id for h in _tree(tx.session, alert)}
    shift = rota.on_call(tx.session, tx.now)
    platform = {p.party_id: p for p in parties.platform(tx.session) if p.party_id not in tried}
    if shift is not None and shift.backup_party_id in platform:
        return [platform[shift.backup_party_id]]
    return list(platform.values())


def taken(tx: Unit, alert: HandoffRow) -> None:
    """An alert was acknowledged: the copies still waiting elsewhere are withdrawn."""
    if alert.kind != DUTY_ALERT:
        return
    for other in _tree(tx.session, alert):
        if other.state in (Handoff.STATE_PENDING, Handoff.STATE_DELIVERED):
            lifecycle.transition(
                tx, other, Handoff.STATE_CANCELLED, f"taken by {alert.assignee_party_id}"
            )


def declined_by_all(chain: list[HandoffRow]) -> bool:
    """Whether every handoff of an escalation chain ended in a decline."""
    return bool(chain) and all(h.state == Handoff.STATE_DECLINED for h in chain)
