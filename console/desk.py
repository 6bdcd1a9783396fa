"""A desk's own work (police, committee, courier, hospital, merchant), by time left.

Each row is one handoff as the hub discloses it to this party: the risk and the
address only when its role may see them (the address once the desk has
acknowledged). Beside it, what the desk may read of the case: the timeline lines
its role may see (ListCaseEvents) and the case updates the duty desk sent it. A
shared note is not on that timeline for other roles (docs/visibility.md: it goes
out as a case update, the timeline is not widened), so the updates are read back
from the party's own evidence bundle, where the hub keeps every update it sent,
signed and narrowed as it was sent. Nothing is kept here between requests.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from dataclasses import dataclass

from lifeline.hub.v1 import case_pb2, handoff_pb2, signed_pb2
from starlette.datastructures import FormData
from starlette.responses import Response

from connectors.party import awaits_acknowledgement
from console.web import View, action, as_datetime, page, redirect
from wire import claims, signed, wording
from wire.outcomes import OUTCOMES

H = handoff_pb2.Handoff
_CASE_UPDATE = signed_pb2.SignedPayload.Kind.Name(signed_pb2.SignedPayload.KIND_CASE_UPDATE)
STAGES = [
    (stage, wording.stage(stage))
    for stage in handoff_pb2.ProgressStage.values()
    if stage != handoff_pb2.PROGRESS_STAGE_UNSPECIFIED
]


@dataclass(frozen=True)
class Update:
    """A case update the hub sent this party, as it was disclosed to it."""

    handoff_id: str
    kind: str
    author: str
    text: str
    time: dt.datetime | None


@dataclass(frozen=True)
class Work:
    handoff: handoff_pb2.Handoff
    risk: str
    kind: str
    state: str
    stage: str
    acknowledged: bool
    awaits_acknowledgement: bool
    outcomes: list[tuple[int, str]]
    timeline: list[case_pb2.CaseEvent]
    updates: list[Update]


def updates_from_bundle(bundle_json: str) -> list[Update]:
    """The CASE_UPDATE messages of an evidence bundle, read as their recipient sees them."""
    found = []
    for item in json.loads(bundle_json).get("messages", []):
        if item.get("kind") != _CASE_UPDATE:
            continue
        message = signed_pb2.SignedMessage.FromString(base64.b64decode(item["message"]))
        payload = signed_pb2.SignedPayload.FromString(message.payload)
        update = claims.case_update_from_claims(
            [(name, value) for _, name, value in signed.disclosure_names(message)]
        )
        if update.text:
            found.append(
                Update(
                    payload.handoff_id,
                    wording.update_kind(update.kind),
                    update.author_party_id,
                    update.text,
                    as_datetime(payload.issue_time),
                )
            )
    return found


async def _no_updates() -> tuple[str, str]:
    return "", "{}"


async def _case_reads(
    view: View, case_id: str, taken_on: bool
) -> tuple[list[case_pb2.CaseEvent], list[Update]]:
    # Updates go only to a desk that acknowledged work on the case: before that there is
    # no bundle worth reading.
    desk = view.link.desk
    events, (_, bundle) = await asyncio.gather(
        desk.timeline(case_id), desk.evidence(case_id) if taken_on else _no_updates()
    )
    return [e for e in events if not e.withheld], updates_from_bundle(bundle)


async def _work(view: View) -> list[Work]:
    handoffs = await view.link.desk.open_work()
    case_ids = list(dict.fromkeys(h.case_id for h in handoffs))
    taken_on = {h.case_id for h in handoffs if h.state == H.STATE_ACKNOWLEDGED}
    reads = dict(
        zip(
            case_ids,
            await asyncio.gather(*(_case_reads(view, c, c in taken_on) for c in case_ids)),
            strict=True,
        )
    )
    rows = []
    for h in handoffs:
        events, updates = reads[h.case_id]
        rows.append(
            Work(
                handoff=h,
                risk=wording.level(h.details.risk_level) if h.details.risk_level else "",
                kind=wording.kind(h.kind),
                state=wording.state(h.state),
                stage=wording.stage(h.progress.stage) if h.progress.stage else "",
                acknowledged=h.state == H.STATE_ACKNOWLEDGED,
                awaits_acknowledgement=awaits_acknowledgement(h),
                outcomes=[(c, wording.outcome(c)) for c in sorted(OUTCOMES.get(h.kind, ()))],
                timeline=events,
                updates=[u for u in updates if u.handoff_id == h.handoff_id],
            )
        )
    return rows


async def desk_page(view: View) -> Response:
    return view.render("desk.html", work=await _work(view), stages=STAGES)


async def _live(view: View) -> Response:
    return view.render("_desk_live.html", work=await _work(view), stages=STAGES)


def _handoff_id(form: FormData) -> str:
    handoff_id = str(form.get("handoff_id", "")).strip()
    if not handoff_id:
        raise ValueError("handoff_id is required")
    return handoff_id


def _number(form: FormData, field: str) -> int:
    try:
        return int(str(form.get(field, "")))
    except ValueError:
        raise ValueError(f"{field} must be chosen") from None


async def _acknowledge(view: View, form: FormData) -> Response:
    await view.link.desk.acknowledge(_handoff_id(form), operator=view.operator.name)
    return redirect("/", view._("Acknowledged."))


async def _decline(view: View, form: FormData) -> Response:
    reason = str(form.get("reason", "")).strip()
    if not reason:
        raise ValueError(view._("Say why you decline."))
    await view.link.desk.decline(_handoff_id(form), reason, operator=view.operator.name)
    return redirect("/", view._("Declined."))


async def _progress(view: View, form: FormData) -> Response:
    await view.link.desk.progress(
        _handoff_id(form),
        _number(form, "stage"),
        str(form.get("note", "")).strip(),
        operator=view.operator.name,
    )
    return redirect("/", view._("Progress reported."))


async def _outcome(view: View, form: FormData) -> Response:
    await view.link.desk.finish(
        _handoff_id(form),
        _number(form, "code"),
        str(form.get("note", "")).strip(),
        operator=view.operator.name,
    )
    return redirect("/", view._("Outcome reported."))


ROUTES = [
    page("/desk/live", _live),
    action("/desk/acknowledge", _acknowledge),
    action("/desk/decline", _decline),
    action("/desk/progress", _progress),
    action("/desk/outcome", _outcome),
]
