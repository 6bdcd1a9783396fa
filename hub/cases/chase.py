"""The chase: every deadline the hub keeps, fired once, and what a missed one does.

The scheduler (hub/runtime/scheduler.py) calls fire_due; each due deadline is claimed by a
conditional update (so of several hub processes only one fires it) and its effect
written in the same transaction. A handoff not acknowledged in time is sent again,
then escalated (hub/cases/escalation.py); follow-ups, retention and check-ins go to
their own modules.

Acknowledged work is chased too: the police desk that took a dispatch must still
report what it found (ReportProgress: on the way, on scene; then an outcome). A case
the rule graded below HIGH, or one with no handoff at all, must be looked at by the
duty desk within the policy's triage time. A missed deadline of this kind raises a
duty alert (hub/cases/alerts.py) and nothing else: the work stays with the desk that
has it, since a desk on its way is not replaced by one that has not started.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from lifeline.hub.v1 import case_pb2, handoff_pb2, handoff_service_pb2

from hub.cases import alerts, automation, escalation, lifecycle, record, relay, retention
from hub.cases.unit import Cases, Unit, hub_unit
from hub.domain import errors, grading
from hub.domain.deadlines import ACKNOWLEDGE, FOLLOW_UP, OUTCOME, PROGRESS, RETENTION, TRIAGE
from hub.domain.errors import HubError
from hub.domain.timestamps import as_utc
from hub.store import cases as case_rows
from hub.store import deadlines, handoffs, parties
from hub.store.cases import OPEN
from hub.store.models import CaseRow, DeadlineRow, HandoffRow
from hub.store.registry import ACTIVE
from wire import reasons, wording
from wire.signed import Verified

if TYPE_CHECKING:
    from sqlmodel import Session

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent

KINDS = (*lifecycle.WORK, TRIAGE)
"""The deadlines of acknowledged work and of triage: a missed one alerts the duty desk."""

_KIND = handoff_pb2.HandoffKind.Name
_STAGE = handoff_pb2.ProgressStage


async def next_deadline(cases: Cases) -> dt.datetime | None:
    def work(session: Session) -> dt.datetime | None:
        return deadlines.next_due(session)

    return await cases.db.run(work)


async def fire_due(cases: Cases, fired_by: str, batch: int = 200) -> list[float]:
    """Claims and fires up to `batch` due deadlines in one transaction; returns how late
    each fired, in seconds (none: nothing was due)."""

    def work(tx: Unit) -> list[float]:
        session = tx.session
        # Another hub process skips what this one holds, and vice versa.
        due = deadlines.due(session, tx.now, batch, skip_locked=not cases.db.is_sqlite)
        # Effects lock their cases: in one order, by case.
        due.sort(key=lambda r: (r.case_id, r.due_time))
        case_rows.lock_all(session, {r.case_id for r in due})
        late = []
        for row in due:
            if not deadlines.claim(session, row, tx.now, fired_by):
                continue
            _fire(tx, row)
            late.append((tx.now - as_utc(row.due_time)).total_seconds())
        return late

    return await hub_unit(cases, work)


def _fire(tx: Unit, deadline: DeadlineRow) -> None:
    case = case_rows.locked(tx.session, deadline.case_id)
    assert case is not None
    if deadline.kind == ACKNOWLEDGE:
        assert deadline.handoff_id is not None
        handoff = handoffs.locked(tx.session, deadline.handoff_id)
        assert handoff is not None
        if handoff.state not in (H.STATE_PENDING, H.STATE_DELIVERED):
            return
        late = f"{handoff.assignee_party_id} has not acknowledged in time"
        assignee = parties.get(tx.session, handoff.assignee_party_id)
        # A desk cut off since is not sent the work again (its work is normally
        # handed on when it is cut off; this covers a hub that stopped in between).
        if deadline.attempt < tx.cases.deadlines.retry_attempts and (
            assignee is not None and assignee.state == ACTIVE
        ):
            attempt = deadline.attempt + 1
            due = tx.now + tx.cases.deadlines.retry_delay(attempt, tx.cases.rng)
            handoff.due_time = due
            tx.session.add(handoff)
            record.event(
                tx,
                case,
                E.KIND_ESCALATION,
                f"the {wording.kind(handoff.kind)} ({handoff.handoff_id}): {late}; sent again"
                f" (retry {attempt} of {tx.cases.deadlines.retry_attempts})",
                {"handoff_id": handoff.handoff_id, "retry": attempt},
            )
            lifecycle.post(tx, handoff)
            lifecycle.schedule(tx, ACKNOWLEDGE, case.case_id, handoff.handoff_id, due, attempt)
        else:
            escalation.escalate(tx, handoff, late)
    elif deadline.kind == FOLLOW_UP:
        automation.follow_up(tx, case)
    elif deadline.kind == RETENTION:
        retention.erase(tx, case)
    elif deadline.kind in KINDS and case.state == OPEN:
        _missed(tx, case, deadline)
    elif deadline.kind in relay.DEADLINES:
        relay.fire(tx, case, deadline)


def _span(delta: dt.timedelta) -> str:
    """A policy's duration as people write it: "15m", "2h", "1h30m"."""
    hours, minutes = divmod(round(delta.total_seconds() / 60), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def check_stage(stage: int) -> None:
    if stage not in _STAGE.values() or stage == handoff_pb2.PROGRESS_STAGE_UNSPECIFIED:
        raise errors.invalid_argument("stage must name a progress stage", "stage")


def report_progress(
    tx: Unit,
    handoff: HandoffRow,
    request: handoff_service_pb2.ReportProgressRequest,
    verified: Verified,
) -> None:
    """Records the assignee's signed progress on acknowledged work and restarts the
    silence it is allowed; the platform sees it on the timeline."""
    if handoff.assignee_party_id != tx.caller.party_id:
        raise HubError(
            reasons.NOT_ASSIGNEE,
            f"only {handoff.assignee_party_id} reports progress on {handoff.handoff_id}",
            {"field": "handoff_id"},
        )
    if handoff.state != H.STATE_ACKNOWLEDGED:
        raise HubError(
            reasons.HANDOFF_NOT_ACKNOWLEDGED,
            f"handoff {handoff.handoff_id} is {H.State.Name(handoff.state)};"
            " progress is reported on acknowledged work",
            {"state": H.State.Name(handoff.state)},
        )
    receipt = record.received(tx, request.receipt, verified, handoff.case_id, handoff.handoff_id)
    handoff.progress_stage = request.stage
    handoff.progress_note = request.note
    handoff.progress_time = handoff.update_time = tx.now
    tx.session.add(handoff)
    case = case_rows.locked(tx.session, handoff.case_id)
    assert case is not None
    lifecycle.cancel_deadlines(tx, kinds=(PROGRESS,), handoff_id=handoff.handoff_id)
    lifecycle.expect_progress(tx, case, handoff)
    record.event(
        tx,
        case,
        E.KIND_HANDOFF,
        wording.progress(handoff.handoff_id, tx.caller.party_id, request.stage),
        {"handoff_id": handoff.handoff_id, "stage": _STAGE.Name(request.stage), **receipt},
        note=request.note,
    )


def await_triage(tx: Unit, case: CaseRow) -> None:
    """After a signal: a case below HIGH, or with no handoff, waits for the duty desk,
    by the earlier of the deadline already set and the one its grade now asks for."""
    handed = record.handoff_count(tx, case.case_id)
    if case.risk_level >= grading.HIGH and handed:
        # Handoffs are out, each chased by its own deadlines.
        triaged(tx, case)
        return
    due = tx.now + tx.cases.deadlines.triage_within(case.risk_level)
    fresh = case.case_id in tx.cache.new_cases and (case.case_id, TRIAGE) not in tx.cache.scheduled
    sooner = (
        None
        if fresh  # a case opened in this unit has no triage deadline yet
        else deadlines.pending_due_by(tx.session, case.case_id, TRIAGE, due)
    )
    if sooner is None:
        triaged(tx, case)
        lifecycle.schedule(tx, TRIAGE, case.case_id, None, due)


def triaged(tx: Unit, case: CaseRow) -> None:
    """The duty desk has looked at the case (graded, handed off, noted or closed it)."""
    lifecycle.cancel_deadlines(tx, kinds=(TRIAGE,), case_id=case.case_id)


def _missed(tx: Unit, case: CaseRow, deadline: DeadlineRow) -> None:
    """A missed deadline of this module: the duty desk is alerted; the work stays put."""
    allowed = _span(deadline.due_time - deadline.create_time)
    if deadline.kind == TRIAGE:
        alerts.raise_alert(
            tx,
            case,
            alerts.TRIAGE_OVERDUE,
            f"nobody on the duty desk has looked at the case within {allowed}",
        )
        return
    assert deadline.handoff_id is not None
    handoff = handoffs.locked(tx.session, deadline.handoff_id)
    assert handoff is not None
    if deadline.kind == OUTCOME:
        reason, why = alerts.OUTCOME_OVERDUE, f"no outcome within {allowed} of acknowledging"
    else:
        since = "its last progress report" if handoff.progress_stage else "acknowledging"
        reason, why = alerts.PROGRESS_OVERDUE, f"no progress report within {allowed} of {since}"
    why = f"{handoff.assignee_party_id} has sent {why}"
    record.event(
        tx,
        case,
        E.KIND_ESCALATION,
        f"{handoff.handoff_id}: {why}; the duty desk is alerted, the work stays with"
        f" {handoff.assignee_party_id}",
        {"handoff_id": handoff.handoff_id, "deadline": deadline.kind},
    )
    alerts.raise_alert(
        tx,
        case,
        reason,
        f"{_KIND(handoff.kind)} {handoff.handoff_id}: {why}",
        about=handoff,
    )
