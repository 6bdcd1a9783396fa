"""HandoffService: thin; the engine holds the rules. Receipts are checked here."""

from __future__ import annotations

from typing import Any

from lifeline.hub.v1 import handoff_service_pb2 as pb
from lifeline.hub.v1 import handoff_service_pb2_grpc, signed_pb2

from connectors import claims, signed
from hub import auth
from hub.engine import CaseEngine
from hub.services.party import page_size
from hub.signatures import MessageChecker


class HandoffService(handoff_service_pb2_grpc.HandoffServiceServicer):
    def __init__(self, engine: CaseEngine, checker: MessageChecker) -> None:
        self._engine = engine
        self._checker = checker

    def _check_receipt(
        self,
        receipt: signed_pb2.SignedMessage,
        kind: int,
        handoff_id: str,
        expected: list[signed.Claim],
    ) -> None:
        caller, certificate = auth.caller(), auth.caller_certificate()
        self._checker.check(
            receipt, kind, caller, certificate, expected, handoff_id, field="receipt"
        )

    async def CreateHandoff(
        self, request: pb.CreateHandoffRequest, context: Any
    ) -> pb.CreateHandoffResponse:
        return await self._engine.create_handoff(auth.caller(), request)

    async def GetHandoff(
        self, request: pb.GetHandoffRequest, context: Any
    ) -> pb.GetHandoffResponse:
        handoff = await self._engine.get_handoff(auth.caller(), request.handoff_id)
        return pb.GetHandoffResponse(handoff=handoff)

    async def ListHandoffs(
        self, request: pb.ListHandoffsRequest, context: Any
    ) -> pb.ListHandoffsResponse:
        size = page_size(request.page_size, 50, 500)
        return await self._engine.list_handoffs(auth.caller(), request, size)

    async def AcknowledgeHandoff(
        self, request: pb.AcknowledgeHandoffRequest, context: Any
    ) -> pb.AcknowledgeHandoffResponse:
        self._check_receipt(
            request.receipt,
            signed.KIND_ACKNOWLEDGEMENT,
            request.handoff_id,
            claims.acknowledgement_claims(request.operator),
        )
        return await self._engine.acknowledge_handoff(auth.caller(), request)

    async def DeclineHandoff(
        self, request: pb.DeclineHandoffRequest, context: Any
    ) -> pb.DeclineHandoffResponse:
        self._check_receipt(
            request.receipt,
            signed.KIND_DECLINE,
            request.handoff_id,
            claims.decline_claims(request.reason, request.operator),
        )
        return await self._engine.decline_handoff(auth.caller(), request)

    async def CompleteHandoff(
        self, request: pb.CompleteHandoffRequest, context: Any
    ) -> pb.CompleteHandoffResponse:
        self._check_receipt(
            request.receipt,
            signed.KIND_OUTCOME,
            request.handoff_id,
            claims.outcome_claims(request.outcome, request.operator),
        )
        return await self._engine.complete_handoff(auth.caller(), request)

    async def ReportProgress(
        self, request: pb.ReportProgressRequest, context: Any
    ) -> pb.ReportProgressResponse:
        self._check_receipt(
            request.receipt,
            signed.KIND_PROGRESS,
            request.handoff_id,
            claims.progress_claims(request.stage, request.note, request.operator),
        )
        return await self._engine.report_progress(auth.caller(), request)
