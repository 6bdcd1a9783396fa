"""Shift handover: what changed since the operator's last shift, and who is on call.

The platform operator lands here on sign-in. "Since" is the operator's last activity
before this sign-in (console/accounts.py), or the last 12 hours at a first sign-in.
Everything is read from the hub on each request: the cases changed since then
(ListCases updated_after), each one's handoffs (duty alerts raised, outcomes
reported) and its timeline (escalations, closings), and the rota's shifts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field

from lifeline.hub.v1 import case_pb2, handoff_pb2, rota_service_pb2
from starlette.responses import Response

from console.web import View, as_datetime, page, redirect
from wire import wording

FIRST_HANDOVER = dt.timedelta(hours=12)
"""How far back a first sign-in looks."""

E = case_pb2.CaseEvent
H = handoff_pb2.Handoff


@dataclass(frozen=True)
class Line:
    case_id: str
    time: dt.datetime | None
    text: str


@dataclass
class Changes:
    opened: list[Line] = field(default_factory=list)
    alerts: list[Line] = field(default_factory=list)
    escalations: list[Line] = field(default_factory=list)
    outcomes: list[Line] = field(default_factory=list)
    closed: list[Line] = field(default_factory=list)


def _after(value: object, since: dt.datetime) -> bool:
    when = as_datetime(value)  # type: ignore[arg-type]
    return when is not None and when >= since


def _opened(case: case_pb2.Case) -> str:
    words = [wording.level(case.risk_level) if case.risk_level else "", case.jurisdiction_code]
    return " · ".join(w for w in words if w)


async def _changes(view: View, since: dt.datetime) -> Changes:
    desk = view.link.duty_desk
    cases = await desk.changed_since(since)

    async def reads(case_id: str) -> tuple[list[case_pb2.CaseEvent], list[handoff_pb2.Handoff]]:
        events, handoffs = await asyncio.gather(desk.timeline(case_id), desk.handoffs(case_id))
        return events, handoffs

    changes = Changes(
        opened=[
            Line(c.case_id, as_datetime(c.create_time), _opened(c))
            for c in cases
            if _after(c.create_time, since)
        ]
    )
    for case, (events, handoffs) in zip(
        cases, await asyncio.gather(*(reads(c.case_id) for c in cases)), strict=True
    ):
        for h in handoffs:
            if h.kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT and _after(h.create_time, since):
                text = f"{wording.alert_reason(h.alert_reason)} ({h.handoff_id})"
                changes.alerts.append(Line(case.case_id, as_datetime(h.create_time), text))
            if h.state == H.STATE_COMPLETED and _after(h.update_time, since):
                text = (
                    f"{wording.kind(h.kind)} · {h.assignee_party_id}: "
                    f"{wording.outcome(h.outcome.code)}"
                )
                changes.outcomes.append(Line(case.case_id, as_datetime(h.update_time), text))
        for e in events:
            if not _after(e.create_time, since):
                continue
            line = Line(case.case_id, as_datetime(e.create_time), e.summary)
            if e.kind == E.KIND_ESCALATION:
                changes.escalations.append(line)
            elif e.kind == E.KIND_CLOSE:
                changes.closed.append(line)
    for lines in (
        changes.opened,
        changes.alerts,
        changes.escalations,
        changes.outcomes,
        changes.closed,
    ):
        lines.sort(key=lambda line: line.time or since)
    return changes


def on_call(
    shifts: list[rota_service_pb2.Shift], now: dt.datetime
) -> tuple[rota_service_pb2.Shift | None, rota_service_pb2.Shift | None]:
    """The shift covering `now`, and the one after it (the next to start, when none
    covers now)."""
    ordered = sorted(shifts, key=lambda s: s.start_time.ToDatetime(dt.UTC))
    current = next(
        (
            s
            for s in ordered
            if s.start_time.ToDatetime(dt.UTC) <= now < s.end_time.ToDatetime(dt.UTC)
        ),
        None,
    )
    after = current.end_time.ToDatetime(dt.UTC) if current else now
    following = next(
        (s for s in ordered if s is not current and s.start_time.ToDatetime(dt.UTC) >= after),
        None,
    )
    return current, following


async def _handover(view: View) -> Response:
    if not view.link.is_platform:
        return redirect("/")
    assert view.signed_in is not None
    since = view.signed_in.handover_since or view.now - FIRST_HANDOVER
    changes, shifts = await asyncio.gather(_changes(view, since), view.link.duty_desk.shifts())
    now_shift, next_shift = on_call(shifts, view.now)
    return view.render(
        "handover.html",
        since=since,
        first=view.signed_in.handover_since is None,
        changes=changes,
        now_shift=now_shift,
        next_shift=next_shift,
    )


ROUTES = [page("/handover", _handover)]
