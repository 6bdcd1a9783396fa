"""HandoffService: thin; the engine holds the rules."""

from __future__ import annotations

from typing import Any

from lifeline.hub.v1 import handoff_service_pb2 as pb
from lifeline.hub.v1 import handoff_service_pb2_grpc

from hub import auth
from hub.engine import CaseEngine
from hub.services.party import page_size


class HandoffService(handoff_service_pb2_grpc.HandoffServiceServicer):
    def __init__(self, engine: CaseEngine) -> None:
        self._engine = engine

    async def CreateHandoff(
        self, request: pb.CreateHandoffRequest, context: Any
    ) -> pb.CreateHandoffResponse:
        return await self._engine.create_handoff(auth.caller(), request)

    async def GetHandoff(
        self, request: pb.GetHandoffRequest, context: Any
    ) -> pb.GetHandoffResponse:
        return pb.GetHandoffResponse(
            handoff=await self._engine.get_handoff(auth.caller(), request.handoff_id)
        )

    async def ListHandoffs(
        self, request: pb.ListHandoffsRequest, context: Any
    ) -> pb.ListHandoffsResponse:
        size = page_size(request.page_size, 50, 500)
        return await self._engine.list_handoffs(auth.caller(), request, size)

    async def AcknowledgeHandoff(
        self, request: pb.AcknowledgeHandoffRequest, context: Any
    ) -> pb.AcknowledgeHandoffResponse:
        return await self._engine.acknowledge_handoff(auth.caller(), request)

    async def DeclineHandoff(
        self, request: pb.DeclineHandoffRequest, context: Any
    ) -> pb.DeclineHandoffResponse:
        return await self._engine.decline_handoff(auth.caller(), request)

    async def CompleteHandoff(
        self, request: pb.CompleteHandoffRequest, context: Any
    ) -> pb.CompleteHandoffResponse:
        return await self._engine.complete_handoff(auth.caller(), request)
