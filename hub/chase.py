"""Chasing work after acknowledgement, and cases nobody has looked at.

An acknowledgement is a promise, not a result: the police desk that took a dispatch
must still report what it found. On acknowledgement the deadline policy
(hub/deadlines.py) sets when the outcome is due (the handoff's `due_time` from then
on) and how long the desk may stay silent; each progress report (ReportProgress:
on the way, on scene) restarts that silence. A case the rule graded below HIGH, or
one with no handoff at all, must be looked at by the duty desk within the policy's
triage time.

A missed deadline raises a duty alert (hub/alerts.py) and nothing else: the work
stays with the desk that has it, since a desk on its way is not replaced by one
that has not started. Completing, cancelling or handing on the work cancels its
deadlines (hub/engine.py, _transition).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import grpc
import sqlalchemy as sa
from lifeline.hub.v1 import case_pb2, handoff_pb2, handoff_service_pb2
from sqlmodel import col, select

from connectors import wording
from hub import alerts, errors, grading
from hub.deadlines import OUTCOME, PROGRESS, TRIAGE
from hub.errors import HubError
from hub.models import CaseRow, DeadlineRow, HandoffRow

if TYPE_CHECKING:
    from hub.engine import CaseEngine, _Tx

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent

WORK = (OUTCOME, PROGRESS)
"""Deadlines of acknowledged work; they end with the work."""

KINDS = (*WORK, TRIAGE)
"""Every deadline this module fires."""

_KIND = handoff_pb2.HandoffKind.Name
_STAGE = handoff_pb2.ProgressStage


def _span(delta: dt.timedelta) -> str:
    """A policy's duration as people write it: "15m", "2h", "1h30m"."""
    hours, minutes = divmod(round(delta.total_seconds() / 60), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def expect_work(engine: CaseEngine, tx: _Tx, case: CaseRow, handoff: HandoffRow) -> None:
    """On acknowledgement: the outcome's deadline, which the handoff's due_time now
    shows, and the first progress report's."""
    policy = engine._deadlines
    outcome = policy.outcome_within(handoff.kind, case.risk_level)
    if outcome is not None:
        handoff.due_time = tx.now + outcome
        engine._schedule(tx, OUTCOME, case.case_id, handoff.handoff_id, handoff.due_time)
    _expect_progress(engine, tx, case, handoff)


def _expect_progress(engine: CaseEngine, tx: _Tx, case: CaseRow, handoff: HandoffRow) -> None:
    within = engine._deadlines.progress_within(handoff.kind, case.risk_level)
    if within is not None:
        engine._schedule(tx, PROGRESS, case.case_id, handoff.handoff_id, tx.now + within)


def check_stage(stage: int) -> None:
    if stage not in _STAGE.values() or stage == handoff_pb2.PROGRESS_STAGE_UNSPECIFIED:
        raise errors.invalid_argument("stage must name a progress stage", "stage")


def report_progress(
    engine: CaseEngine,
    tx: _Tx,
    handoff: HandoffRow,
    request: handoff_service_pb2.ReportProgressRequest,
) -> None:
    """Records the assignee's signed progress on acknowledged work and restarts the
    silence it is allowed; the platform sees it on the timeline."""
    if handoff.assignee_party_id != tx.caller.party_id:
        raise HubError(
            grpc.StatusCode.FAILED_PRECONDITION,
            errors.NOT_ASSIGNEE,
            f"only {handoff.assignee_party_id} reports progress on {handoff.handoff_id}",
            {"field": "handoff_id"},
        )
    if handoff.state != H.STATE_ACKNOWLEDGED:
        raise HubError(
            grpc.StatusCode.FAILED_PRECONDITION,
            errors.HANDOFF_NOT_ACKNOWLEDGED,
            f"handoff {handoff.handoff_id} is {H.State.Name(handoff.state)};"
            " progress is reported on acknowledged work",
            {"state": H.State.Name(handoff.state)},
        )
    receipt = engine._record_message(tx, request.receipt, handoff.case_id, handoff.handoff_id)
    handoff.progress_stage = request.stage
    handoff.progress_note = request.note
    handoff.progress_time = handoff.update_time = tx.now
    tx.session.add(handoff)
    case = tx.session.get(CaseRow, handoff.case_id, with_for_update=True)
    assert case is not None
    engine._cancel_deadlines(tx, kinds=(PROGRESS,), handoff_id=handoff.handoff_id)
    _expect_progress(engine, tx, case, handoff)
    engine._event(
        tx,
        case,
        E.KIND_HANDOFF,
        wording.progress(handoff.handoff_id, tx.caller.party_id, request.stage),
        {"handoff_id": handoff.handoff_id, "stage": _STAGE.Name(request.stage), **receipt},
        note=request.note,
    )


def await_triage(engine: CaseEngine, tx: _Tx, case: CaseRow) -> None:
    """After a signal: a case below HIGH, or with no handoff, waits for the duty desk,
    by the earlier of the deadline already set and the one its grade now asks for."""
    handed = tx.session.exec(
        select(sa.func.count()).where(HandoffRow.case_id == case.case_id)
    ).one()
    if case.risk_level >= grading.HIGH and handed:
        # Handoffs are out, each chased by its own deadlines.
        triaged(engine, tx, case)
        return
    due = tx.now + engine._deadlines.triage_within(case.risk_level)
    sooner = tx.session.exec(
        select(DeadlineRow.deadline_id).where(
            DeadlineRow.case_id == case.case_id,
            DeadlineRow.kind == TRIAGE,
            DeadlineRow.state == "pending",
            col(DeadlineRow.due_time) <= due,
        )
    ).first()
    if sooner is None:
        triaged(engine, tx, case)
        engine._schedule(tx, TRIAGE, case.case_id, None, due)


def triaged(engine: CaseEngine, tx: _Tx, case: CaseRow) -> None:
    """The duty desk has looked at the case (graded, handed off, noted or closed it)."""
    engine._cancel_deadlines(tx, kinds=(TRIAGE,), case_id=case.case_id)


def fire(engine: CaseEngine, tx: _Tx, case: CaseRow, deadline: DeadlineRow) -> None:
    """A missed deadline of this module: the duty desk is alerted; the work stays put."""
    allowed = _span(deadline.due_time - deadline.create_time)
    if deadline.kind == TRIAGE:
        alerts.raise_alert(
            engine,
            tx,
            case,
            alerts.TRIAGE_OVERDUE,
            f"nobody on the duty desk has looked at the case within {allowed}",
        )
        return
    assert deadline.handoff_id is not None
    handoff = tx.session.get(HandoffRow, deadline.handoff_id, with_for_update=True)
    assert handoff is not None
    if deadline.kind == OUTCOME:
        reason, why = alerts.OUTCOME_OVERDUE, f"no outcome within {allowed} of acknowledging"
    else:
        since = "its last progress report" if handoff.progress_stage else "acknowledging"
        reason, why = alerts.PROGRESS_OVERDUE, f"no progress report within {allowed} of {since}"
    why = f"{handoff.assignee_party_id} has sent {why}"
    engine._event(
        tx,
        case,
        E.KIND_ESCALATION,
        f"{handoff.handoff_id}: {why}; the duty desk is alerted, the work stays with"
        f" {handoff.assignee_party_id}",
        {"handoff_id": handoff.handoff_id, "deadline": deadline.kind},
    )
    alerts.raise_alert(
        engine,
        tx,
        case,
        reason,
        f"{_KIND(handoff.kind)} {handoff.handoff_id}: {why}",
        about=handoff,
    )
