"""CaseService: thin; the engine holds the rules."""

from __future__ import annotations

from typing import Any

from lifeline.hub.v1 import case_service_pb2 as pb
from lifeline.hub.v1 import case_service_pb2_grpc

from connectors import claims, signed
from hub import auth, evidence
from hub.db import Database
from hub.engine import CaseEngine
from hub.services.party import page_size
from hub.signatures import MessageChecker


class CaseService(case_service_pb2_grpc.CaseServiceServicer):
    def __init__(self, engine: CaseEngine, checker: MessageChecker, db: Database) -> None:
        self._engine = engine
        self._checker = checker
        self._db = db

    async def ReportSignal(
        self, request: pb.ReportSignalRequest, context: Any
    ) -> pb.ReportSignalResponse:
        caller = auth.caller()
        self._checker.check(
            request.signed_signal,
            signed.KIND_SIGNAL,
            caller,
            auth.caller_certificate(),
            claims.signal_claims(request.signal, request.operator),
            field="signed_signal",
        )
        return await self._engine.report_signal(caller, request)

    async def GetCase(self, request: pb.GetCaseRequest, context: Any) -> pb.GetCaseResponse:
        return pb.GetCaseResponse(case=await self._engine.get_case(auth.caller(), request.case_id))

    async def ListCases(self, request: pb.ListCasesRequest, context: Any) -> pb.ListCasesResponse:
        size = page_size(request.page_size, 50, 500)
        return await self._engine.list_cases(auth.caller(), request, size)

    async def GradeCase(self, request: pb.GradeCaseRequest, context: Any) -> pb.GradeCaseResponse:
        return await self._engine.grade_case(auth.caller(), request)

    async def AddCaseNote(
        self, request: pb.AddCaseNoteRequest, context: Any
    ) -> pb.AddCaseNoteResponse:
        return await self._engine.add_note(auth.caller(), request)

    async def ListCaseEvents(
        self, request: pb.ListCaseEventsRequest, context: Any
    ) -> pb.ListCaseEventsResponse:
        size = page_size(request.page_size, 100, 1000)
        return await self._engine.list_events(auth.caller(), request, size)

    async def CloseCase(self, request: pb.CloseCaseRequest, context: Any) -> pb.CloseCaseResponse:
        return await self._engine.close_case(auth.caller(), request)

    async def ReopenCase(
        self, request: pb.ReopenCaseRequest, context: Any
    ) -> pb.ReopenCaseResponse:
        return await self._engine.reopen_case(auth.caller(), request)

    async def ConfirmAddress(
        self, request: pb.ConfirmAddressRequest, context: Any
    ) -> pb.ConfirmAddressResponse:
        return await self._engine.confirm_address(auth.caller(), request)

    async def ExportEvidence(
        self, request: pb.ExportEvidenceRequest, context: Any
    ) -> pb.ExportEvidenceResponse:
        caller = auth.caller()
        name, bundle = await self._db.run(
            lambda session: evidence.for_caller(session, request.case_id, caller)
        )
        return pb.ExportEvidenceResponse(bundle_json=bundle, file_name=name)
