"""The case page: everything the hub knows about one case, and the duty desk's actions on it.

The page reads the case, its timeline and its handoffs from the hub on every request
(the live region re-reads them whenever anything changes); each action is one
connector verb naming the operator, then back to the page. Input the hub would refuse
anyway, or that cannot be read (no reason, a time that is not a time), is refused here
with a message in the operator's language.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lifeline.hub.v1 import case_pb2, handoff_pb2, party_pb2
from starlette.datastructures import FormData
from starlette.responses import Response

from connectors.party import awaits_acknowledgement
from console.web import View, action, page, redirect
from wire import wording
from wire.errors import LifelineError
from wire.identity import Role
from wire.outcomes import OUTCOMES

K = handoff_pb2
H = handoff_pb2.Handoff

RISK_LEVELS = (
    case_pb2.RISK_LEVEL_LOW,
    case_pb2.RISK_LEVEL_MODERATE,
    case_pb2.RISK_LEVEL_HIGH,
    case_pb2.RISK_LEVEL_IMMINENT,
)
# What an operator may hand off by hand (CreateHandoff accepts these; duty alerts
# are the hub's own). The check-in of STAY_IN_CONTACT has its own form.
HAND_OFF_KINDS = (
    K.HANDOFF_KIND_DISPATCH,
    K.HANDOFF_KIND_FOLLOW_UP,
    K.HANDOFF_KIND_HOLD_ORDER,
    K.HANDOFF_KIND_INTERCEPT_PARCEL,
    K.HANDOFF_KIND_MEDICAL_CONSULT,
    K.HANDOFF_KIND_STAY_IN_CONTACT,
)
# The outcomes that end a duty alert, as the hub accepts them.
ALERT_OUTCOMES = tuple(sorted(OUTCOMES[K.HANDOFF_KIND_DUTY_ALERT]))
RESOLUTIONS = tuple(code for code in case_pb2.CaseResolution.Code.values() if code)
# The roles a note may be shared with, and the roles the directory search offers.
DESK_ROLES = (Role.POLICE, Role.COMMITTEE, Role.MERCHANT, Role.HOSPITAL, Role.COURIER)
# An alert in these states still needs an operator: to take it, then to complete it.
_ALERT_WAITING = (H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED)


# -- reading the case ----------------------------------------------------------------


@dataclass
class CaseView:
    case: case_pb2.Case
    events: list[case_pb2.CaseEvent]
    handoffs: list[handoff_pb2.Handoff]

    @property
    def alerts(self) -> list[handoff_pb2.Handoff]:
        """Duty alerts still to take or complete."""
        return [
            h
            for h in self.handoffs
            if h.kind == K.HANDOFF_KIND_DUTY_ALERT and h.state in _ALERT_WAITING
        ]

    @property
    def check_ins(self) -> list[handoff_pb2.Handoff]:
        return [
            h
            for h in self.handoffs
            if h.kind == K.HANDOFF_KIND_STAY_IN_CONTACT and h.HasField("check_in_time")
        ]

    @property
    def merchants(self) -> list[str]:
        """The shops that reported, who may be asked to stay in contact."""
        seen: list[str] = []
        for s in self.case.signals:
            if s.source == case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT and s.reporter_party_id not in seen:
                seen.append(s.reporter_party_id)
        return seen


async def _read(view: View, case_id: str) -> CaseView:
    duty = view.link.duty_desk
    case, handoffs, events = await asyncio.gather(
        duty.case(case_id), duty.handoffs(case_id), duty.timeline(case_id)
    )
    return CaseView(case, sorted(events, key=lambda e: -e.sequence), handoffs)


def _case_id(view: View) -> str:
    return str(view.request.path_params["case_id"])


def _here(view: View) -> str:
    return f"/cases/{_case_id(view)}"


async def _directory(view: View) -> tuple[list[party_pb2.Party], str]:
    """The parties the hand-off form offers, narrowed by the page's search (role and
    jurisdiction); a search the hub refuses says why instead."""
    asked = view.request.query_params
    role = asked.get("role", "")
    try:
        parties = await view.link.duty_desk.parties(
            role=Role(role).proto if role in DESK_ROLES else party_pb2.ROLE_UNSPECIFIED,
            jurisdiction_code=asked.get("jurisdiction", "").strip(),
        )
    except LifelineError as e:
        return [], f"{view._('Search refused')}: {e}"
    return [p for p in parties if p.role != party_pb2.ROLE_PLATFORM], ""


async def _case_page(view: View) -> Response:
    if not view.link.is_platform:
        return redirect("/")
    # An unknown case (or one not ours) is web.page()'s 404, like any other refusal.
    shown = await _read(view, _case_id(view))
    parties, search_error = await _directory(view)
    return view.render(
        "case.html",
        **_values(view, shown),
        parties=parties,
        search_error=search_error,
        search_role=view.request.query_params.get("role", ""),
        search_jurisdiction=view.request.query_params.get("jurisdiction", ""),
        risk_levels=RISK_LEVELS,
        hand_off_kinds=HAND_OFF_KINDS,
        resolutions=RESOLUTIONS,
        desk_roles=DESK_ROLES,
    )


async def _live(view: View) -> Response:
    if not view.link.is_platform:
        return Response(status_code=404)
    shown = await _read(view, _case_id(view))
    return view.render("_case_live.html", **_values(view, shown))


def _values(view: View, shown: CaseView) -> dict[str, Any]:
    return {
        "shown": shown,
        "case": shown.case,
        "words": wording,
        "alert_outcomes": ALERT_OUTCOMES,
        "closed": shown.case.state == case_pb2.Case.STATE_CLOSED,
        "acknowledged": H.STATE_ACKNOWLEDGED,
        "awaits_acknowledgement": awaits_acknowledgement,
        "here": _here(view),
    }


async def _evidence(view: View) -> Response:
    """The case's evidence bundle, to keep and to check offline."""
    file_name, bundle = await view.link.desk.evidence(_case_id(view))
    return Response(
        bundle,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{file_name}"'},
    )


# -- actions -------------------------------------------------------------------------


def _text(view: View, form: FormData, name: str, missing: str) -> str:
    """A field the action cannot do without; `missing` says so to the operator."""
    value = str(form.get(name, "")).strip()
    if not value:
        raise ValueError(view._(missing))
    return value


def _choice(view: View, form: FormData, name: str, allowed: Sequence[int], missing: str) -> int:
    try:
        value = int(str(form.get(name, "")))
    except ValueError:
        value = -1
    if value not in allowed:
        raise ValueError(view._(missing))
    return value


def _local_time(view: View, form: FormData, name: str) -> dt.datetime:
    """A datetime-local field, read in the operator's time zone."""
    try:
        naive = dt.datetime.fromisoformat(str(form.get(name, "")))
    except ValueError:
        raise ValueError(view._("Give the check-in time as a date and a time.")) from None
    return naive.replace(tzinfo=view.zone)


async def _grade(view: View, form: FormData) -> Response:
    level = _choice(view, form, "risk_level", RISK_LEVELS, "Choose a risk level.")
    reason = _text(view, form, "reason", "Say why you grade the case so.")
    await view.link.duty_desk.grade(_case_id(view), level, reason, operator=view.operator.name)
    return redirect(_here(view))


async def _hand_off(view: View, form: FormData) -> Response:
    kind = _choice(view, form, "kind", HAND_OFF_KINDS, "Choose what to hand off.")
    assignee = _text(view, form, "assignee", "Choose a desk from the directory.")
    await view.link.duty_desk.hand_off(
        _case_id(view),
        kind,
        assignee,
        str(form.get("instruction", "")).strip(),
        order_id=str(form.get("order_id", "")).strip(),
        tracking_number=str(form.get("tracking_number", "")).strip(),
        operator=view.operator.name,
    )
    return redirect(_here(view))


async def _note(view: View, form: FormData) -> Response:
    text = _text(view, form, "text", "Write the note first.")
    roles = [Role(r).proto for r in form.getlist("share_with") if r in DESK_ROLES]
    desk = view.link.duty_desk
    await desk.note(_case_id(view), text, share_with=roles, operator=view.operator.name)
    if not roles:
        return redirect(_here(view), view._("Note added."))
    # The hub sends a shared note to the desks of those roles that have taken work on the
    # case; say who that was, so a note nobody received is not mistaken for one delivered.
    handoffs, parties = await asyncio.gather(desk.handoffs(_case_id(view)), desk.parties())
    role_of = {p.party_id: p.role for p in parties}
    sent_to = sorted(
        {
            h.assignee_party_id
            for h in handoffs
            if h.HasField("acknowledge_time") and role_of.get(h.assignee_party_id) in roles
        }
    )
    if not sent_to:
        return redirect(
            _here(view),
            view._("Note added; no desk of those roles has the case yet, so nobody got it."),
        )
    return redirect(
        _here(view), view._("Note added and shared with {desks}.").format(desks=", ".join(sent_to))
    )


async def _stay_in_contact(view: View, form: FormData) -> Response:
    shop = _text(view, form, "assignee", "Choose the shop.")
    check_in = _local_time(view, form, "check_in_time")
    await view.link.duty_desk.hand_off(
        _case_id(view),
        K.HANDOFF_KIND_STAY_IN_CONTACT,
        shop,
        str(form.get("instruction", "")).strip(),
        check_in_time=check_in,
        operator=view.operator.name,
    )
    return redirect(_here(view))


async def _take_alert(view: View, form: FormData) -> Response:
    await view.link.desk.acknowledge(
        str(view.request.path_params["handoff_id"]), operator=view.operator.name
    )
    return redirect(_here(view))


async def _complete_alert(view: View, form: FormData) -> Response:
    code = _choice(view, form, "outcome", ALERT_OUTCOMES, "Choose an outcome.")
    await view.link.desk.finish(
        str(view.request.path_params["handoff_id"]),
        code,
        str(form.get("note", "")).strip(),
        operator=view.operator.name,
    )
    return redirect(_here(view))


async def _close(view: View, form: FormData) -> Response:
    code = _choice(view, form, "resolution", RESOLUTIONS, "Choose how the case ended.")
    await view.link.duty_desk.close(
        _case_id(view), code, str(form.get("note", "")).strip(), operator=view.operator.name
    )
    return redirect(_here(view))


async def _reopen(view: View, form: FormData) -> Response:
    reason = _text(view, form, "reason", "Say why the case opens again.")
    await view.link.duty_desk.reopen(_case_id(view), reason, operator=view.operator.name)
    return redirect(_here(view))


async def _confirm_address(view: View, form: FormData) -> Response:
    await view.link.duty_desk.confirm_address(
        _case_id(view),
        str(view.request.path_params["candidate_id"]),
        operator=view.operator.name,
    )
    return redirect(_here(view))


ROUTES = [
    page("/cases/{case_id}", _case_page),
    page("/cases/{case_id}/live", _live),
    page("/cases/{case_id}/evidence", _evidence),
    action("/cases/{case_id}/grade", _grade),
    action("/cases/{case_id}/hand-off", _hand_off),
    action("/cases/{case_id}/note", _note),
    action("/cases/{case_id}/stay-in-contact", _stay_in_contact),
    action("/cases/{case_id}/alerts/{handoff_id}/take", _take_alert),
    action("/cases/{case_id}/alerts/{handoff_id}/complete", _complete_alert),
    action("/cases/{case_id}/close", _close),
    action("/cases/{case_id}/reopen", _reopen),
    action("/cases/{case_id}/addresses/{candidate_id}/confirm", _confirm_address),
]
