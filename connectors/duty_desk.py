"""The platform's duty desk: the case board, grading, handing work on, sharing notes
with the parties working on a case, closing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2

from connectors.party import PartyConnector


class DutyDeskConnector(PartyConnector):
    async def case_board(
        self, minimum: int = case_pb2.RISK_LEVEL_UNSPECIFIED
    ) -> list[case_pb2.Case]:
        """Open cases, gravest first."""
        cases: list[case_pb2.Case] = []
        token = ""
        while True:
            page = await self.hub.cases.ListCases(
                case_service_pb2.ListCasesRequest(
                    state=case_pb2.Case.STATE_OPEN,
                    minimum_risk_level=minimum,  # type: ignore[arg-type]
                    page_size=500,
                    page_token=token,
                )
            )
            cases += page.cases
            token = page.next_page_token
            if not token:
                return sorted(cases, key=lambda c: (-c.risk_level, c.create_time.seconds))

    async def report(
        self, signal: case_pb2.Signal, request_id: str = ""
    ) -> case_service_pb2.ReportSignalResponse:
        """A signal from the risk model or an interventionist."""
        return await self.hub.report_signal(signal, request_id)

    async def grade(
        self, case_id: str, level: int, reason: str, request_id: str = ""
    ) -> case_pb2.Case:
        response = await self.hub.cases.GradeCase(
            case_service_pb2.GradeCaseRequest(
                request_id=request_id,
                case_id=case_id,
                risk_level=level,  # type: ignore[arg-type]
                reason=reason,
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
            )
        )

    async def close(
        self, case_id: str, code: int, note: str = "", request_id: str = ""
    ) -> case_pb2.Case:
        response = await self.hub.cases.CloseCase(
            case_service_pb2.CloseCaseRequest(
                request_id=request_id,
                case_id=case_id,
                resolution=case_pb2.CaseResolution(code=code, note=note),  # type: ignore[arg-type]
            )
        )
        return response.case
