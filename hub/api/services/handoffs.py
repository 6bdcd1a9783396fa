"""HandoffService: the gRPC edge of the handoff use cases (hub/cases/handoffs.py).
Receipts are checked here."""

from __future__ import annotations

from typing import Any, TypeVar

from lifeline.hub.v1 import handoff_service_pb2 as pb
from lifeline.hub.v1 import handoff_service_pb2_grpc

from hub.api import auth
from hub.api.services.party import page_size
from hub.api.signatures import MessageChecker
from hub.cases import handoffs
from hub.cases.inputs import Call, PageCall, SignedCall
from hub.cases.unit import Cases
from wire import claims, signed

ReceiptedT = TypeVar(
    "ReceiptedT",
    pb.AcknowledgeHandoffRequest,
    pb.DeclineHandoffRequest,
    pb.CompleteHandoffRequest,
    pb.ReportProgressRequest,
)


class HandoffService(handoff_service_pb2_grpc.HandoffServiceServicer):
    def __init__(self, cases: Cases, checker: MessageChecker) -> None:
        self._cases = cases
        self._checker = checker

    def _receipted(
        self,
        request: ReceiptedT,
        kind: int,
        expected: list[signed.Claim],
    ) -> SignedCall[ReceiptedT]:
        """The call, with its receipt checked once, here."""
        caller = auth.caller()
        verified = self._checker.check(
            request.receipt,
            kind,
            caller,
            auth.caller_certificate(),
            expected,
            request.handoff_id,
            field="receipt",
        )
        return SignedCall(caller, request, verified)

    async def CreateHandoff(
        self, request: pb.CreateHandoffRequest, context: Any
    ) -> pb.CreateHandoffResponse:
        return await handoffs.create_handoff(self._cases, Call(auth.caller(), request))

    async def GetHandoff(
        self, request: pb.GetHandoffRequest, context: Any
    ) -> pb.GetHandoffResponse:
        handoff = await handoffs.get_handoff(self._cases, Call(auth.caller(), request))
        return pb.GetHandoffResponse(handoff=handoff)

    async def ListHandoffs(
        self, request: pb.ListHandoffsRequest, context: Any
    ) -> pb.ListHandoffsResponse:
        size = page_size(request.page_size, 50, 500)
        return await handoffs.list_handoffs(self._cases, PageCall(auth.caller(), request, size))

    async def AcknowledgeHandoff(
        self, request: pb.AcknowledgeHandoffRequest, context: Any
    ) -> pb.AcknowledgeHandoffResponse:
        call = self._receipted(
            request, signed.KIND_ACKNOWLEDGEMENT, claims.acknowledgement_claims(request.operator)
        )
        return await handoffs.acknowledge_handoff(self._cases, call)

    async def DeclineHandoff(
        self, request: pb.DeclineHandoffRequest, context: Any
    ) -> pb.DeclineHandoffResponse:
        call = self._receipted(
            request, signed.KIND_DECLINE, claims.decline_claims(request.reason, request.operator)
        )
        return await handoffs.decline_handoff(self._cases, call)

    async def CompleteHandoff(
        self, request: pb.CompleteHandoffRequest, context: Any
    ) -> pb.CompleteHandoffResponse:
        call = self._receipted(
            request, signed.KIND_OUTCOME, claims.outcome_claims(request.outcome, request.operator)
        )
        return await handoffs.complete_handoff(self._cases, call)

    async def ReportProgress(
        self, request: pb.ReportProgressRequest, context: Any
    ) -> pb.ReportProgressResponse:
        call = self._receipted(
            request,
            signed.KIND_PROGRESS,
            claims.progress_claims(request.stage, request.note, request.operator),
        )
        return await handoffs.report_progress(self._cases, call)
