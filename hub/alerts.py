"""Duty alerts: every situation in which "the duty desk must act" becomes work for a person.

A duty alert is a handoff of kind DUTY_ALERT to the platform party on call in the
rota (or, with nobody on call, the first active platform party), with a reason
(`DutyAlertReason`) and the handoff it is about. It is acknowledged, completed and
chased like any handoff; the timeline event says the same in words. Raising an
alert that is still open for the same reason and the same handoff does nothing, so
a deadline that fires twice, or a second unroutable signal, does not page twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lifeline.hub.v1 import handoff_pb2
from sqlmodel import col, select

from hub import rota
from hub.identity import Role
from hub.models import CaseRow, HandoffRow, PartyRow
from hub.policy import OPEN_STATES
from hub.registry import ACTIVE

if TYPE_CHECKING:
    from sqlmodel import Session

    from hub.engine import CaseEngine, _Tx

log = logging.getLogger(__name__)

DUTY_ALERT = handoff_pb2.HANDOFF_KIND_DUTY_ALERT
Reason = handoff_pb2.DutyAlertReason

UNROUTABLE = handoff_pb2.DUTY_ALERT_REASON_UNROUTABLE
EXPIRED = handoff_pb2.DUTY_ALERT_REASON_EXPIRED
ADDRESS_CONFLICT = handoff_pb2.DUTY_ALERT_REASON_ADDRESS_CONFLICT
OUTCOME_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_OUTCOME_OVERDUE
PROGRESS_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_PROGRESS_OVERDUE
TRIAGE_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_TRIAGE_OVERDUE
CHECK_IN_MISSED = handoff_pb2.DUTY_ALERT_REASON_CHECK_IN_MISSED
DECLINED_BY_ALL = handoff_pb2.DUTY_ALERT_REASON_DECLINED_BY_ALL


def reason_words(reason: int) -> str:
    """`DUTY_ALERT_REASON_OUTCOME_OVERDUE` as people say it: "outcome overdue"."""
    return Reason.Name(reason).removeprefix("DUTY_ALERT_REASON_").replace("_", " ").lower()


def on_call_party(session: Session, now: object) -> PartyRow | None:
    """Who takes a new alert: the shift on call, else its backup, else the first active
    platform party by id (a hub with no rota still alerts someone)."""
    shift = rota.on_call(session, now)  # type: ignore[arg-type]
    named = [p for p in (shift.party_id, shift.backup_party_id) if p] if shift else []
    for party_id in named:
        party = session.get(PartyRow, party_id)
        if party is not None and party.state == ACTIVE and party.role == Role.PLATFORM.value:
            return party
    return session.exec(
        select(PartyRow)
        .where(PartyRow.role == Role.PLATFORM.value, PartyRow.state == ACTIVE)
        .order_by(col(PartyRow.party_id))
        .limit(1)
    ).first()


def open_alert(session: Session, case_id: str, reason: int, about: str | None) -> HandoffRow | None:
    """The alert still open on the case for this reason and handoff, if any."""
    query = select(HandoffRow).where(
        HandoffRow.case_id == case_id,
        HandoffRow.kind == DUTY_ALERT,
        HandoffRow.alert_reason == reason,
        col(HandoffRow.state).in_(OPEN_STATES),
    )
    query = query.where(
        col(HandoffRow.alert_handoff_id).is_(None)
        if about is None
        else col(HandoffRow.alert_handoff_id) == about
    )
    return session.exec(query.limit(1)).first()


def raise_alert(
    engine: CaseEngine,
    tx: _Tx,
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
        alert = engine._create_handoff(
            tx,
            case,
            DUTY_ALERT,
            assignee,
            f"{reason_words(reason)}: {why}",
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


def declined_by_all(chain: list[HandoffRow]) -> bool:
    """Whether every handoff of an escalation chain ended in a decline."""
    return bool(chain) and all(h.state == handoff_pb2.Handoff.STATE_DECLINED for h in chain)
