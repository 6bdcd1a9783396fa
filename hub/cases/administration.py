"""Administration of a case by the duty desk: read it, list cases, grade it by hand,
note and share, confirm an address, close and reopen."""

from __future__ import annotations

import datetime as dt

from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2

from hub.cases import addresses, automation, chase, lifecycle, record, relay
from hub.cases.inputs import Call, PageCall
from hub.cases.unit import Cases, Unit, mutate, read
from hub.domain import errors, grading
from hub.domain.deadlines import FOLLOW_UP, RETENTION
from hub.domain.errors import HubError
from hub.store import cases as case_rows
from hub.store import visibility
from hub.store.cases import CLOSED, OPEN
from hub.store.models import CaseRow
from wire import reasons, wording
from wire.identity import Role

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent


async def get_case(cases: Cases, call: Call[case_service_pb2.GetCaseRequest]) -> case_pb2.Case:
    caller, case_id = call.caller, call.request.case_id
    return await read(
        cases,
        caller,
        lambda tx: _case_with_addresses(tx, visibility.visible_case(tx.session, caller, case_id)),
    )


def _case_with_addresses(tx: Unit, row: CaseRow) -> case_pb2.Case:
    case = record.case_view(tx, row, tx.caller.role, with_signals=True)
    if tx.caller.role == Role.PLATFORM:
        facts = record.facts_of(tx, row.case_id)
        found = addresses.to_proto(facts.address_candidates, facts.address)
        case.address_candidates.extend(found)
    return case


async def confirm_address(
    cases: Cases, call: Call[case_service_pb2.ConfirmAddressRequest]
) -> case_service_pb2.ConfirmAddressResponse:
    caller, request = call.caller, call.request

    def work(tx: Unit) -> case_service_pb2.ConfirmAddressResponse:
        case = record.open_case(tx, request.case_id)
        addresses.confirm(tx, case, request.candidate_id)
        return case_service_pb2.ConfirmAddressResponse(case=_case_with_addresses(tx, case))

    return await mutate(cases, caller, request, case_service_pb2.ConfirmAddressResponse, work)


async def list_cases(
    cases: Cases, call: PageCall[case_service_pb2.ListCasesRequest]
) -> case_service_pb2.ListCasesResponse:
    caller, request = call.caller, call.request
    page_size = call.page_size
    if request.minimum_risk_level and caller.role not in visibility.SEES_CASE_DETAIL:
        raise errors.invalid_argument("grades are not yours to filter on", "minimum_risk_level")
    if request.HasField("updated_after") and caller.role not in visibility.SEES_CASE_DETAIL:
        raise errors.invalid_argument("update times are not yours to filter on", "updated_after")
    after = cases.pages.after(caller.party_id, request)

    def work(tx: Unit) -> case_service_pb2.ListCasesResponse:
        session = tx.session
        rows = case_rows.page(
            session,
            size=page_size,
            member=None if caller.role == Role.PLATFORM else caller.party_id,
            after=after,
            state=(
                (OPEN if request.state == case_pb2.Case.STATE_OPEN else CLOSED)
                if request.state
                else None
            ),
            minimum_risk_level=request.minimum_risk_level,
            updated_since=(
                request.updated_after.ToDatetime(dt.UTC)
                if request.HasField("updated_after")
                else None
            ),
        )
        token = (
            cases.pages.next(caller.party_id, request, rows[page_size - 1].case_id)
            if len(rows) > page_size
            else ""
        )
        return case_service_pb2.ListCasesResponse(
            cases=[record.case_view(tx, r, caller.role) for r in rows[:page_size]],
            next_page_token=token,
        )

    return await read(cases, caller, work)


async def grade_case(
    cases: Cases, call: Call[case_service_pb2.GradeCaseRequest]
) -> case_service_pb2.GradeCaseResponse:
    caller, request = call.caller, call.request
    if request.risk_level not in (
        grading.LOW,
        grading.MODERATE,
        grading.HIGH,
        grading.IMMINENT,
    ):
        raise errors.invalid_argument("risk_level must name a grade", "risk_level")

    def work(tx: Unit) -> case_service_pb2.GradeCaseResponse:
        case = record.open_case(tx, request.case_id)
        before = case.risk_level
        case.risk_level = request.risk_level
        case.risk_overridden = True
        case.override_reason = request.reason
        case.peak_risk_level = max(case.peak_risk_level, request.risk_level)
        case.update_time = tx.now
        record.event(
            tx,
            case,
            E.KIND_GRADE,
            wording.overridden(request.risk_level, tx.caller.party_id),
            {
                "from": case_pb2.RiskLevel.Name(before),
                "to": case_pb2.RiskLevel.Name(request.risk_level),
                "by": "override",
            },
            notify=record.participants(
                tx, case.case_id, {Role.POLICE, Role.COMMITTEE, Role.HOSPITAL}
            ),
            note=request.reason,
        )
        chase.triaged(tx, case)
        automation.apply_policy(tx, case)
        tx.session.add(case)
        return case_service_pb2.GradeCaseResponse(case=record.case_view(tx, case, tx.caller.role))

    return await mutate(cases, caller, request, case_service_pb2.GradeCaseResponse, work)


async def add_note(
    cases: Cases, call: Call[case_service_pb2.AddCaseNoteRequest]
) -> case_service_pb2.AddCaseNoteResponse:
    caller, request = call.caller, call.request
    share_with = relay.shared_roles(caller, request)

    def work(tx: Unit) -> case_service_pb2.AddCaseNoteResponse:
        case = visibility.visible_case(tx.session, tx.caller, request.case_id, lock=True)
        event = record.event(
            tx, case, E.KIND_NOTE, f"note from {tx.caller.party_id}", note=request.text
        )
        if tx.caller.role == Role.PLATFORM:
            chase.triaged(tx, case)
        if share_with:
            relay.share(tx, case, request, share_with)
        return case_service_pb2.AddCaseNoteResponse(
            event=visibility.event_for(tx.session, tx.caller, event, request.text)
        )

    return await mutate(cases, caller, request, case_service_pb2.AddCaseNoteResponse, work)


async def list_events(
    cases: Cases, call: PageCall[case_service_pb2.ListCaseEventsRequest]
) -> case_service_pb2.ListCaseEventsResponse:
    caller, request = call.caller, call.request
    page_size = call.page_size
    after = cases.pages.after(caller.party_id, request)
    after_sequence = int(after) if after is not None else 0  # the hub's own, so a number

    def work(tx: Unit) -> case_service_pb2.ListCaseEventsResponse:
        session = tx.session
        visibility.visible_case(session, caller, request.case_id)
        page, after = visibility.page_of_events(
            session, caller, request.case_id, after_sequence, page_size
        )
        return case_service_pb2.ListCaseEventsResponse(
            events=page,
            next_page_token=cases.pages.next(caller.party_id, request, str(after)) if after else "",
        )

    return await read(cases, caller, work)


async def close_case(
    cases: Cases, call: Call[case_service_pb2.CloseCaseRequest]
) -> case_service_pb2.CloseCaseResponse:
    caller, request = call.caller, call.request
    if not request.resolution.code:
        raise errors.invalid_argument("a resolution code is required", "resolution.code")

    def work(tx: Unit) -> case_service_pb2.CloseCaseResponse:
        case = record.open_case(tx, request.case_id)
        for handoff in relay.cancelled_by_closing(tx, case):
            lifecycle.transition(tx, handoff, H.STATE_CANCELLED, "the case was closed")
        case.state = CLOSED
        case.close_time = tx.now
        case.update_time = tx.now
        case.resolution_code = request.resolution.code
        case.resolution_note = request.resolution.note
        chase.triaged(tx, case)
        code = (
            case_pb2.CaseResolution.Code.Name(request.resolution.code).removeprefix("CODE_").lower()
        )
        record.event(
            tx,
            case,
            E.KIND_CLOSE,
            f"closed by {tx.caller.party_id}: {wording.resolution(code)}",
            {"resolution": code},
            notify=record.participants(tx, case.case_id, set(Role)),
            note=request.resolution.note,
        )
        if case.peak_risk_level >= grading.HIGH:
            for after in tx.cases.deadlines.follow_up_after:
                lifecycle.schedule(tx, FOLLOW_UP, case.case_id, None, tx.now + after)
        lifecycle.schedule(tx, RETENTION, case.case_id, None, tx.now + tx.cases.deadlines.retention)
        tx.session.add(case)
        return case_service_pb2.CloseCaseResponse(case=record.case_view(tx, case, tx.caller.role))

    return await mutate(cases, caller, request, case_service_pb2.CloseCaseResponse, work)


async def reopen_case(
    cases: Cases, call: Call[case_service_pb2.ReopenCaseRequest]
) -> case_service_pb2.ReopenCaseResponse:
    caller, request = call.caller, call.request

    def work(tx: Unit) -> case_service_pb2.ReopenCaseResponse:
        case = visibility.visible_case(tx.session, tx.caller, request.case_id, lock=True)
        if case.state == OPEN or case.merged_into:
            raise HubError(
                reasons.ILLEGAL_TRANSITION,
                f"case {case.case_id} is open or was merged; it cannot be reopened",
            )
        case.state = OPEN
        case.close_time = None
        case.resolution_code = 0
        case.resolution_note = ""
        case.update_time = tx.now
        record.event(
            tx,
            case,
            E.KIND_REOPEN,
            f"reopened by {tx.caller.party_id}",
            notify=record.participants(tx, case.case_id, set(Role)),
            note=request.reason,
        )
        # The promises made at closing no longer hold: the case is live again.
        lifecycle.cancel_deadlines(tx, case_id=case.case_id, kinds=(FOLLOW_UP, RETENTION))
        automation.apply_policy(tx, case)
        tx.session.add(case)
        return case_service_pb2.ReopenCaseResponse(case=record.case_view(tx, case, tx.caller.role))

    return await mutate(cases, caller, request, case_service_pb2.ReopenCaseResponse, work)
