"""A handoff as its parties work it: the duty desk hands off by hand; the assignee
acknowledges, declines, reports progress and completes, each with a signed receipt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from google.protobuf.message import Message
from lifeline.hub.v1 import handoff_pb2, handoff_service_pb2

from hub.cases import alerts, chase, escalation, lifecycle, record, relay
from hub.cases.inputs import Call, PageCall, SignedCall
from hub.cases.unit import Cases, Unit, mutate, read
from hub.domain import caps, errors
from hub.domain.errors import HubError
from hub.store import handoffs as handoff_rows
from hub.store import parties, visibility
from hub.store.models import HandoffRow
from hub.store.visibility import handoff_to_proto
from wire import reasons, wording
from wire.identity import Role
from wire.outcomes import ASSIGNEE_ROLES, OUTCOMES

H = handoff_pb2.Handoff
_KIND = handoff_pb2.HandoffKind.Name
R = TypeVar("R", bound=Message)


async def create_handoff(
    cases: Cases, call: Call[handoff_service_pb2.CreateHandoffRequest]
) -> handoff_service_pb2.CreateHandoffResponse:
    caller, request = call.caller, call.request
    if request.kind not in ASSIGNEE_ROLES:
        raise errors.invalid_argument("kind must name a handoff kind", "kind")
    if request.kind == handoff_pb2.HANDOFF_KIND_HOLD_ORDER and not request.order_id:
        raise errors.invalid_argument("HOLD_ORDER needs the order_id", "order_id")
    if request.kind == handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL and not request.tracking_number:
        raise errors.invalid_argument(
            "INTERCEPT_PARCEL needs the tracking_number", "tracking_number"
        )

    def work(tx: Unit) -> handoff_service_pb2.CreateHandoffResponse:
        case = record.open_case(tx, request.case_id)
        caps.check_handoffs(handoff_rows.count(tx.session, case.case_id))
        assignee = parties.get(tx.session, request.assignee_party_id)
        if assignee is None:
            raise HubError(
                reasons.PARTY_NOT_FOUND,
                f"no party {request.assignee_party_id!r}",
                {"field": "assignee_party_id"},
            )
        handoff = lifecycle.create(
            tx,
            case,
            request.kind,
            assignee,
            request.instruction,
            order_id=request.order_id,
            tracking_number=request.tracking_number,
            check_in_time=relay.check_in_time(request, tx.now),
        )
        chase.triaged(tx, case)
        relay.schedule_check_in(tx, handoff)
        return handoff_service_pb2.CreateHandoffResponse(
            handoff=handoff_to_proto(handoff, tx.caller.role)
        )

    return await mutate(cases, caller, request, handoff_service_pb2.CreateHandoffResponse, work)


async def get_handoff(
    cases: Cases, call: Call[handoff_service_pb2.GetHandoffRequest]
) -> handoff_pb2.Handoff:
    caller, handoff_id = call.caller, call.request.handoff_id
    return await read(
        cases,
        caller,
        lambda tx: handoff_to_proto(
            visibility.visible_handoff(tx.session, caller, handoff_id), caller.role
        ),
    )


async def list_handoffs(
    cases: Cases, call: PageCall[handoff_service_pb2.ListHandoffsRequest]
) -> handoff_service_pb2.ListHandoffsResponse:
    caller, request = call.caller, call.request
    page_size = call.page_size
    after = cases.pages.after(caller.party_id, request)

    def work(tx: Unit) -> handoff_service_pb2.ListHandoffsResponse:
        session = tx.session
        rows = handoff_rows.page(
            session,
            size=page_size,
            assignee=None if caller.role == Role.PLATFORM else caller.party_id,
            case_id=request.case_id,
            state=request.state,
            after=after,
        )
        token = (
            cases.pages.next(caller.party_id, request, rows[page_size - 1].handoff_id)
            if len(rows) > page_size
            else ""
        )
        return handoff_service_pb2.ListHandoffsResponse(
            handoffs=[handoff_to_proto(r, caller.role) for r in rows[:page_size]],
            next_page_token=token,
        )

    return await read(cases, caller, work)


def _own_handoff(tx: Unit, handoff_id: str) -> HandoffRow:
    """The caller's own handoff, locked; the platform may act on any."""
    return visibility.visible_handoff(tx.session, tx.caller, handoff_id, lock=True)


async def _assignee_verb(
    cases: Cases,
    call: SignedCall[Any],
    response_type: type[R],
    change: Callable[[Unit, HandoffRow, dict[str, object]], None],
    check: Callable[[HandoffRow], None] = lambda handoff: None,
) -> R:
    """A verb of the handoff's assignee (the platform may act on any): its handoff locked,
    checked, its signed receipt kept as evidence (refused if replayed), the change made,
    and the handoff answered as the caller sees it."""
    request = call.request
    answer: Callable[..., R] = response_type  # each verb's response holds one `handoff`

    def work(tx: Unit) -> R:
        handoff = _own_handoff(tx, request.handoff_id)
        check(handoff)
        receipt = record.received(
            tx, request.receipt, call.signed, handoff.case_id, handoff.handoff_id
        )
        change(tx, handoff, receipt)
        return answer(handoff=handoff_to_proto(handoff, tx.caller.role))

    return await mutate(cases, call.caller, request, response_type, work)


async def acknowledge_handoff(
    cases: Cases, call: SignedCall[handoff_service_pb2.AcknowledgeHandoffRequest]
) -> handoff_service_pb2.AcknowledgeHandoffResponse:
    def change(tx: Unit, handoff: HandoffRow, receipt: dict[str, object]) -> None:
        late = handoff.state in (H.STATE_ESCALATED, H.STATE_EXPIRED)
        handoff.acknowledge_time = tx.now
        lifecycle.transition(
            tx,
            handoff,
            H.STATE_ACKNOWLEDGED,
            "late, after escalation" if late else "",
            {"late": late, **receipt},
        )
        alerts.taken(tx, handoff)
        if late:
            relay.acknowledged_late(tx, handoff)

    return await _assignee_verb(cases, call, handoff_service_pb2.AcknowledgeHandoffResponse, change)


async def decline_handoff(
    cases: Cases, call: SignedCall[handoff_service_pb2.DeclineHandoffRequest]
) -> handoff_service_pb2.DeclineHandoffResponse:
    reason = call.request.reason

    def change(tx: Unit, handoff: HandoffRow, receipt: dict[str, object]) -> None:
        handoff.decline_reason = reason
        lifecycle.transition(tx, handoff, H.STATE_DECLINED, "", receipt, note=reason)
        # Someone must still have it: a decline moves the chase on at once.
        escalation.escalate(tx, handoff, f"{tx.caller.party_id} declined")

    return await _assignee_verb(cases, call, handoff_service_pb2.DeclineHandoffResponse, change)


async def complete_handoff(
    cases: Cases, call: SignedCall[handoff_service_pb2.CompleteHandoffRequest]
) -> handoff_service_pb2.CompleteHandoffResponse:
    given = call.request.outcome

    def check(handoff: HandoffRow) -> None:
        if given.code not in OUTCOMES[handoff.kind]:
            raise HubError(
                reasons.OUTCOME_NOT_FOR_KIND,
                f"{handoff_pb2.OutcomeCode.Name(given.code)}"
                f" is not an outcome of {_KIND(handoff.kind)}",
                {"field": "outcome.code"},
            )

    def change(tx: Unit, handoff: HandoffRow, receipt: dict[str, object]) -> None:
        handoff.outcome_code = given.code
        handoff.outcome_note = given.note
        outcome = handoff_pb2.OutcomeCode.Name(given.code).removeprefix("OUTCOME_CODE_").lower()
        lifecycle.transition(
            tx,
            handoff,
            H.STATE_COMPLETED,
            wording.outcome(given.code),
            {"outcome": outcome, **receipt},
        )

    return await _assignee_verb(
        cases, call, handoff_service_pb2.CompleteHandoffResponse, change, check
    )


async def report_progress(
    cases: Cases, call: SignedCall[handoff_service_pb2.ReportProgressRequest]
) -> handoff_service_pb2.ReportProgressResponse:
    caller, request = call.caller, call.request
    chase.check_stage(request.stage)

    def work(tx: Unit) -> handoff_service_pb2.ReportProgressResponse:
        handoff = _own_handoff(tx, request.handoff_id)
        chase.report_progress(tx, handoff, request, call.signed)
        return handoff_service_pb2.ReportProgressResponse(
            handoff=handoff_to_proto(handoff, tx.caller.role)
        )

    return await mutate(cases, caller, request, handoff_service_pb2.ReportProgressResponse, work)
