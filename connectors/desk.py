"""A police desk or a residents' committee: take the dispatch, go, report what was found."""

from __future__ import annotations

from lifeline.hub.v1 import handoff_pb2

from connectors.party import PartyConnector
from wire.enums import OutcomeCode


class DeskConnector(PartyConnector):
    async def found_safe(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id, OutcomeCode.PERSON_FOUND_SAFE, note, request_id, operator=operator
        )

    async def taken_to_hospital(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.PERSON_TAKEN_TO_HOSPITAL,
            note,
            request_id,
            operator=operator,
        )

    async def not_found(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id, OutcomeCode.PERSON_NOT_FOUND, note, request_id, operator=operator
        )

    async def false_report(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id, OutcomeCode.FALSE_REPORT, note, request_id, operator=operator
        )

    async def followed_up(
        self,
        handoff_id: str,
        code: int = OutcomeCode.FOLLOW_UP_PERSON_WELL,
        note: str = "",
        request_id: str = "",
        *,
        operator: str = "",
    ) -> handoff_pb2.Handoff:
        """A FOLLOW_UP done: the person is well, needs support, or was unreachable."""
        return await self.finish(handoff_id, code, note, request_id, operator=operator)
