"""A shop's customer-service chat: report what was seen; hold or cancel the order; keep
the person talking and check in at the agreed time."""

from __future__ import annotations

from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2

from connectors.party import PartyConnector
from wire.enums import OutcomeCode


class MerchantConnector(PartyConnector):
    async def report_chat(
        self,
        situation: str,
        indicators: case_pb2.RiskIndicators,
        *,
        buyer_id: str = "",
        phone: str = "",
        address: case_pb2.Address | None = None,
        orders: list[case_pb2.OrderReference] | None = None,
        parcels: list[case_pb2.ParcelReference] | None = None,
        request_id: str = "",
        case_id: str = "",
        operator: str = "",
    ) -> case_service_pb2.ReportSignalResponse:
        """Reports risk seen in a chat; this shop's orders are filled in as its own. With a
        case_id, a message after the case closed joins that case (see HubClient)."""
        signal = case_pb2.Signal(
            source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
            subject=case_pb2.SubjectReference(buyer_id=buyer_id, phone=phone, address=address),
            orders=orders or [],
            parcels=parcels or [],
            indicators=indicators,
            situation=situation,
        )
        for order in signal.orders:
            order.merchant_party_id = order.merchant_party_id or self.hub.party_id
        return await self.hub.report_signal(signal, request_id, case_id, operator=operator)

    async def confirm_held(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id, OutcomeCode.ORDER_HELD, note, request_id, operator=operator
        )

    async def confirm_cancelled(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.ORDER_CANCELLED,
            note,
            request_id,
            operator=operator,
        )

    async def already_shipped(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.ORDER_ALREADY_SHIPPED,
            note,
            request_id,
            operator=operator,
        )

    async def stayed_in_contact(
        self,
        handoff_id: str,
        code: int = OutcomeCode.CONTACT_KEPT,
        note: str = "",
        request_id: str = "",
        *,
        operator: str = "",
    ) -> handoff_pb2.Handoff:
        """A STAY_IN_CONTACT done: contact kept until others took over, the person replied
        at the check-in, or contact was lost. Works after the case is closed too."""
        return await self.finish(handoff_id, code, note, request_id, operator=operator)
