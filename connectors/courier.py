"""A logistics company: intercept a shipped parcel, say how it went."""

from __future__ import annotations

from lifeline.hub.v1 import handoff_pb2

from connectors.party import PartyConnector
from wire.enums import OutcomeCode


class CourierConnector(PartyConnector):
    async def intercepted(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.PARCEL_INTERCEPTED,
            note,
            request_id,
            operator=operator,
        )

    async def already_delivered(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.PARCEL_ALREADY_DELIVERED,
            note,
            request_id,
            operator=operator,
        )

    async def failed(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.PARCEL_INTERCEPT_FAILED,
            note,
            request_id,
            operator=operator,
        )
