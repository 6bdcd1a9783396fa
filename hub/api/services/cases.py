"""CaseService: the gRPC edge of the case use cases (hub/cases/)."""

from __future__ import annotations

from typing import Any

from lifeline.hub.v1 import case_pb2, case_service_pb2_grpc
from lifeline.hub.v1 import case_service_pb2 as pb

from hub.api import auth
from hub.api.services.party import page_size
from hub.api.signatures import MessageChecker
from hub.cases import administration, evidence, intake
from hub.cases.inputs import Call, PageCall, SignedCall
from hub.cases.unit import Cases
from hub.runtime.metrics import HubMetrics
from hub.store.db import Database
from wire import claims, signed


class CaseService(case_service_pb2_grpc.CaseServiceServicer):
    def __init__(
        self, cases: Cases, checker: MessageChecker, db: Database, metrics: HubMetrics
    ) -> None:
        self._cases = cases
        self._checker = checker
        self._db = db
        self._metrics = metrics

    async def ReportSignal(
        self, request: pb.ReportSignalRequest, context: Any
    ) -> pb.ReportSignalResponse:
        caller = auth.caller()
        verified = self._checker.check(
            request.signed_signal,
            signed.KIND_SIGNAL,
            caller,
            auth.caller_certificate(),
            claims.signal_claims(request.signal, request.operator),
            field="signed_signal",
        )
        answer = await intake.report_signal(self._cases, SignedCall(caller, request, verified))
        source = case_pb2.SignalSource.Name(request.signal.source).removeprefix("SIGNAL_SOURCE_")
        self._metrics.signals.labels(source).inc()
        return answer

    async def GetCase(self, request: pb.GetCaseRequest, context: Any) -> pb.GetCaseResponse:
        return pb.GetCaseResponse(
            case=await administration.get_case(self._cases, Call(auth.caller(), request))
        )

    async def ListCases(self, request: pb.ListCasesRequest, context: Any) -> pb.ListCasesResponse:
        size = page_size(request.page_size, 50, 500)
        return await administration.list_cases(self._cases, PageCall(auth.caller(), request, size))

    async def GradeCase(self, request: pb.GradeCaseRequest, context: Any) -> pb.GradeCaseResponse:
        return await administration.grade_case(self._cases, Call(auth.caller(), request))

    async def AddCaseNote(
        self, request: pb.AddCaseNoteRequest, context: Any
    ) -> pb.AddCaseNoteResponse:
        return await administration.add_note(self._cases, Call(auth.caller(), request))

    async def ListCaseEvents(
        self, request: pb.ListCaseEventsRequest, context: Any
    ) -> pb.ListCaseEventsResponse:
        size = page_size(request.page_size, 100, 1000)
        return await administration.list_events(self._cases, PageCall(auth.caller(), request, size))

    async def CloseCase(self, request: pb.CloseCaseRequest, context: Any) -> pb.CloseCaseResponse:
        return await administration.close_case(self._cases, Call(auth.caller(), request))

    async def ReopenCase(
        self, request: pb.ReopenCaseRequest, context: Any
    ) -> pb.ReopenCaseResponse:
        return await administration.reopen_case(self._cases, Call(auth.caller(), request))

    async def ConfirmAddress(
        self, request: pb.ConfirmAddressRequest, context: Any
    ) -> pb.ConfirmAddressResponse:
        return await administration.confirm_address(self._cases, Call(auth.caller(), request))

    async def ExportEvidence(
        self, request: pb.ExportEvidenceRequest, context: Any
    ) -> pb.ExportEvidenceResponse:
        caller = auth.caller()
        name, bundle = await self._db.run(
            lambda session: evidence.for_caller(session, request.case_id, caller)
        )
        return pb.ExportEvidenceResponse(bundle_json=bundle, file_name=name)
