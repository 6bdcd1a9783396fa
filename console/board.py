"""The duty desk's board: open cases, most urgent first, live, and the alerts banner.

Everything is read from the hub on each request (the console keeps no case data):
the open cases and every open handoff in a few list calls, then each case's signals
and timeline concurrently. What the banner shows is derived from hub state alone,
so it survives reloads and is the same in every operator's browser until someone
takes it: an unacknowledged duty alert until it is acknowledged, a duty alert that
expired unanswered (the hub's "the duty desk must act") until a platform person acts
on its case after that, an IMMINENT case until a platform person has acted on it
(`taken`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lifeline.hub.v1 import (
    case_pb2,
    handoff_pb2,
    party_pb2,
    rota_service_pb2,
)
from starlette.datastructures import FormData
from starlette.responses import Response

from console.web import View, action, as_datetime, page, redirect
from wire import wording

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent
DUTY_ALERT = handoff_pb2.HANDOFF_KIND_DUTY_ALERT
IMMINENT = case_pb2.RISK_LEVEL_IMMINENT
OPEN_STATES = (H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED)
UNACKNOWLEDGED = (H.STATE_PENDING, H.STATE_DELIVERED)
# What a person at the duty desk does when they take a case on.
_ACTS = (E.KIND_NOTE, E.KIND_GRADE, E.KIND_HANDOFF, E.KIND_CLOSE)
SITUATION_LENGTH = 140


def is_unacknowledged_alert(handoff: handoff_pb2.Handoff) -> bool:
    return handoff.kind == DUTY_ALERT and handoff.state in UNACKNOWLEDGED


def urgency(
    case: case_pb2.Case, handoffs: Iterable[handoff_pb2.Handoff], missed_alert: bool = False
) -> tuple[bool, int, float]:
    """The board's sort key, smallest first: a case with a duty alert nobody has taken
    (waiting, or `missed_alert`: expired unanswered), then the gravest risk, then the
    nearest deadline of its open handoffs."""
    handoffs = list(handoffs)
    dues = [
        h.due_time.ToSeconds()
        for h in handoffs
        if h.state in OPEN_STATES and h.HasField("due_time")
    ]
    return (
        not (missed_alert or any(is_unacknowledged_alert(h) for h in handoffs)),
        -case.risk_level,
        min(dues, default=math.inf),
    )


def alert_why(alert: handoff_pb2.Handoff) -> str:
    """What the hub said about the alert beyond its reason (its instruction reads
    "<reason>: <why>"), as the hub wrote it."""
    return alert.details.instruction.removeprefix(f"{wording.alert_reason(alert.alert_reason)}: ")


def taken(
    events: Iterable[case_pb2.CaseEvent],
    platform_parties: set[str],
    since: dt.datetime | None = None,
) -> bool:
    """Whether a person at a platform desk has acted on the case (a note, a grade, a
    handoff, closing it), at all or `since` a moment: the hub's own rule and policy,
    and other desks, do not count."""
    return any(
        e.kind in _ACTS
        and e.actor_party_id != wording.HUB
        and e.actor_party_id in platform_parties
        and (since is None or (as_datetime(e.create_time) or since) >= since)
        for e in events
    )


def _shorten(text: str, length: int = SITUATION_LENGTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclass
class Row:
    """One open case as the board shows it."""

    case: case_pb2.Case
    handoffs: list[handoff_pb2.Handoff]
    events: list[case_pb2.CaseEvent]
    taken: bool
    missed: list[handoff_pb2.Handoff] = field(default_factory=list)
    """Duty alerts that expired unanswered and nobody at the desk has acted on since."""

    @property
    def situation(self) -> str:
        said = [s.situation for s in self.case.signals if s.situation]
        return said[-1] if said else ""

    @property
    def short_situation(self) -> str:
        return _shorten(self.situation)

    @property
    def address(self) -> str:
        """The address in effect, else the newest one a reporter gave (never invented)."""
        chosen = [c.address.text for c in self.case.address_candidates if c.in_effect]
        given = [s.subject.address.text for s in self.case.signals if s.subject.address.text]
        return (chosen or given[-1:] or [""])[0]

    @property
    def last(self) -> case_pb2.CaseEvent | None:
        return self.events[-1] if self.events else None

    @property
    def alerts(self) -> list[handoff_pb2.Handoff]:
        return [h for h in self.handoffs if is_unacknowledged_alert(h)]

    @property
    def imminent_untaken(self) -> bool:
        return self.case.risk_level == IMMINENT and not self.taken

    @property
    def urgent(self) -> bool:
        return bool(self.alerts or self.missed) or self.case.risk_level == IMMINENT


@dataclass
class Board:
    rows: list[Row]
    parties: dict[str, party_pb2.Party]
    shifts: list[rota_service_pb2.Shift] = field(default_factory=list)

    @property
    def alerts(self) -> list[tuple[Row, handoff_pb2.Handoff]]:
        return [(row, alert) for row in self.rows for alert in row.alerts]

    @property
    def missed(self) -> list[tuple[Row, handoff_pb2.Handoff]]:
        return [(row, alert) for row in self.rows for alert in row.missed]

    @property
    def untaken(self) -> list[Row]:
        return [row for row in self.rows if row.imminent_untaken]

    def name(self, party_id: str) -> str:
        party = self.parties.get(party_id)
        return party.display_name if party and party.display_name else party_id

    def duty(self, alert: handoff_pb2.Handoff) -> str:
        """Whose rota shift the alert is on: "on call", "backup", or "" with no rota then."""
        when = as_datetime(alert.create_time)
        for shift in self.shifts:
            start, end = as_datetime(shift.start_time), as_datetime(shift.end_time)
            if when is None or start is None or end is None or not start <= when < end:
                continue
            if shift.party_id == alert.assignee_party_id:
                return "on call"
            if shift.backup_party_id == alert.assignee_party_id:
                return "backup"
        return ""


async def _open_handoffs(view: View) -> dict[str, list[handoff_pb2.Handoff]]:
    """Every open handoff of every case (the platform sees all), by case, nearest due first."""
    desk = view.link.duty_desk
    by_case: dict[str, list[handoff_pb2.Handoff]] = {}
    for handoffs in await asyncio.gather(*(desk.handoffs(state=s) for s in OPEN_STATES)):
        for handoff in handoffs:
            by_case.setdefault(handoff.case_id, []).append(handoff)
    for handoffs in by_case.values():
        handoffs.sort(key=lambda h: (h.due_time.ToSeconds() or math.inf, h.handoff_id))
    return by_case


async def _expired_alerts(view: View) -> dict[str, list[handoff_pb2.Handoff]]:
    """Duty alerts that expired without anyone acknowledging them, by case."""
    by_case: dict[str, list[handoff_pb2.Handoff]] = {}
    for h in await view.link.duty_desk.handoffs(state=H.STATE_EXPIRED):
        if h.kind == DUTY_ALERT and not h.HasField("acknowledge_time"):
            by_case.setdefault(h.case_id, []).append(h)
    return by_case


async def _shifts(
    view: View, alerts: Sequence[handoff_pb2.Handoff]
) -> list[rota_service_pb2.Shift]:
    if not alerts:
        return []
    since = min(as_datetime(a.create_time) or view.now for a in alerts)
    return await view.link.duty_desk.shifts(start=since - dt.timedelta(seconds=1))


async def read_board(view: View) -> Board:
    desk = view.link.duty_desk
    cases, handoffs, expired, parties = await asyncio.gather(
        desk.case_board(), _open_handoffs(view), _expired_alerts(view), desk.parties()
    )
    # Signals (for the situation) and the timeline (for the last event, and whether
    # someone took the case) are per case: all cases' reads at once.
    reads = await asyncio.gather(
        *(asyncio.gather(desk.case(c.case_id), desk.timeline(c.case_id)) for c in cases)
    )
    platform = {p.party_id for p in parties if p.role == party_pb2.ROLE_PLATFORM}
    rows = [
        Row(
            case,
            handoffs.get(case.case_id, []),
            events,
            taken(events, platform),
            [
                alert
                for alert in expired.get(case.case_id, [])
                if not taken(events, platform, since=as_datetime(alert.update_time))
            ],
        )
        for case, events in reads
    ]
    rows.sort(key=lambda r: urgency(r.case, r.handoffs, bool(r.missed)))
    board = Board(rows, {p.party_id: p for p in parties})
    board.shifts = await _shifts(view, [a for _, a in board.alerts])
    return board


async def _values(view: View) -> dict[str, Any]:
    return {"board": await read_board(view), "wording": wording, "alert_why": alert_why}


async def board_page(view: View) -> Response:
    return view.render("board.html", **await _values(view))


async def _live(view: View) -> Response:
    return view.render("_board_live.html", **await _values(view))


async def _take_alert(view: View, form: FormData) -> Response:
    await view.link.desk.acknowledge(str(form.get("handoff_id", "")), operator=view.operator.name)
    return redirect("/")


async def _take_case(view: View, form: FormData) -> Response:
    await view.link.duty_desk.note(
        str(form.get("case_id", "")),
        f"Taken by {view.operator.name}",
        operator=view.operator.name,
    )
    return redirect("/")


ROUTES = [
    page("/board/live", _live),
    action("/board/take-alert", _take_alert),
    action("/board/take-case", _take_case),
]
