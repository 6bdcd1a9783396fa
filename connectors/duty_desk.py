"""The platform's duty desk: the case board, grading, handing work on, sharing notes
with the parties working on a case, closing; the directory and the rota it works from.

Every verb takes `operator`, the person at the desk who acted (an interventionist
signed in to the console): the timeline then says "duty-desk (Li Wei) graded HIGH".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    party_pb2,
    party_service_pb2,
    rota_service_pb2,
)

from connectors.party import PartyConnector, every_page


class DutyDeskConnector(PartyConnector):
    async def case_board(
        self, minimum: int = case_pb2.RISK_LEVEL_UNSPECIFIED
    ) -> list[case_pb2.Case]:
        """Open cases, gravest first."""
        cases: list[case_pb2.Case] = await every_page(
            self.hub.cases.ListCases,
            case_service_pb2.ListCasesRequest(
                state=case_pb2.Case.STATE_OPEN,
                minimum_risk_level=minimum,  # type: ignore[arg-type]
            ),
            "cases",
        )
        return sorted(cases, key=lambda c: (-c.risk_level, c.create_time.seconds))

    async def changed_since(self, time: dt.datetime) -> list[case_pb2.Case]:
        """Every case, open or closed, updated at or after `time` (a shift handover)."""
        request = case_service_pb2.ListCasesRequest()
        request.updated_after.FromDatetime(time)
        return await every_page(self.hub.cases.ListCases, request, "cases")

    async def case(self, case_id: str) -> case_pb2.Case:
        """The case with its signals and, where reporters disagree, address candidates."""
        response = await self.hub.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))
        return response.case

    async def handoffs(
        self, case_id: str = "", state: int = handoff_pb2.Handoff.STATE_UNSPECIFIED
    ) -> list[handoff_pb2.Handoff]:
        """Every handoff of a case (or of every case), in a state (or in any), oldest
        first (escalations after the work they took over)."""
        found: list[handoff_pb2.Handoff] = await every_page(
            self.hub.handoffs.ListHandoffs,
            handoff_service_pb2.ListHandoffsRequest(case_id=case_id, state=state),  # type: ignore[arg-type]
            "handoffs",
        )
        return sorted(found, key=lambda h: h.create_time.ToNanoseconds())

    async def parties(
        self, role: int = party_pb2.ROLE_UNSPECIFIED, jurisdiction_code: str = ""
    ) -> list[party_pb2.Party]:
        """The directory: every party, or those of a role and within a jurisdiction."""
        request = party_service_pb2.ListPartiesRequest(
            role=role,  # type: ignore[arg-type]
            jurisdiction_code=jurisdiction_code,
        )
        return await every_page(self.hub.parties.ListParties, request, "parties")

    async def shifts(
        self, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> list[rota_service_pb2.Shift]:
        """On-call shifts overlapping [start, end), earliest first (the hub's defaults:
        now, and 48 hours after the start)."""
        request = rota_service_pb2.ListShiftsRequest()
        if start is not None:
            request.start_time.FromDatetime(start)
        if end is not None:
            request.end_time.FromDatetime(end)
        return await every_page(self.hub.rota.ListShifts, request, "shifts")

    async def report(
        self, signal: case_pb2.Signal, request_id: str = "", *, operator: str = ""
    ) -> case_service_pb2.ReportSignalResponse:
        """A signal from the risk model or an interventionist."""
        return await self.hub.report_signal(signal, request_id, operator=operator)

    async def grade(
        self, case_id: str, level: int, reason: str, request_id: str = "", *, operator: str = ""
    ) -> case_pb2.Case:
        response = await self.hub.cases.GradeCase(
            case_service_pb2.GradeCaseRequest(
                request_id=request_id,
                case_id=case_id,
                risk_level=level,  # type: ignore[arg-type]
                reason=reason,
                operator=operator,
            )
        )
        return response.case

    async def hand_off(
        self,
        case_id: str,
        kind: int,
        assignee_party_id: str,
        instruction: str = "",
        *,
        order_id: str = "",
        tracking_number: str = "",
        check_in_time: dt.datetime | None = None,
        request_id: str = "",
        operator: str = "",
    ) -> handoff_pb2.Handoff:
        """Creates a handoff; a STAY_IN_CONTACT may carry the check-in agreed with the
        person, when its assignee is reminded (and the duty desk alerted without word)."""
        request = handoff_service_pb2.CreateHandoffRequest(
            request_id=request_id,
            case_id=case_id,
            kind=kind,  # type: ignore[arg-type]
            assignee_party_id=assignee_party_id,
            instruction=instruction,
            order_id=order_id,
            tracking_number=tracking_number,
            operator=operator,
        )
        if check_in_time is not None:
            request.check_in_time.FromDatetime(check_in_time)
        response = await self.hub.handoffs.CreateHandoff(request)
        return response.handoff

    async def note(
        self,
        case_id: str,
        text: str,
        *,
        share_with: Sequence[int] = (),
        signal_id: str = "",
        request_id: str = "",
        operator: str = "",
    ) -> None:
        """Notes on the timeline; with `share_with` (party_pb2 roles) also sent, signed, to
        every party of those roles working on the case, with `signal_id` after that
        signal's situation (docs/handoffs.md, "Case updates")."""
        await self.hub.cases.AddCaseNote(
            case_service_pb2.AddCaseNoteRequest(
                request_id=request_id,
                case_id=case_id,
                text=text,
                share_with=share_with,  # type: ignore[arg-type]
                signal_id=signal_id,
                operator=operator,
            )
        )

    async def close(
        self, case_id: str, code: int, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> case_pb2.Case:
        response = await self.hub.cases.CloseCase(
            case_service_pb2.CloseCaseRequest(
                request_id=request_id,
                case_id=case_id,
                resolution=case_pb2.CaseResolution(code=code, note=note),  # type: ignore[arg-type]
                operator=operator,
            )
        )
        return response.case

    async def reopen(
        self, case_id: str, reason: str, *, request_id: str = "", operator: str = ""
    ) -> case_pb2.Case:
        response = await self.hub.cases.ReopenCase(
            case_service_pb2.ReopenCaseRequest(
                request_id=request_id, case_id=case_id, reason=reason, operator=operator
            )
        )
        return response.case

    async def confirm_address(
        self, case_id: str, candidate_id: str, *, request_id: str = "", operator: str = ""
    ) -> case_pb2.Case:
        """Sends dispatch to this one of the case's address candidates."""
        response = await self.hub.cases.ConfirmAddress(
            case_service_pb2.ConfirmAddressRequest(
                request_id=request_id,
                case_id=case_id,
                candidate_id=candidate_id,
                operator=operator,
            )
        )
        return response.case
