"""Helpers to build signals and read inboxes in the case tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2

from connectors import HubClient

MERCHANT = case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT
HOSPITAL = case_pb2.SIGNAL_SOURCE_HOSPITAL
RISK_MODEL = case_pb2.SIGNAL_SOURCE_PLATFORM_RISK_MODEL


def signal(
    source: int,
    *,
    request_id: str = "",
    buyer: str = "",
    phone: str = "",
    address: str = "",
    jurisdiction: str = "",
    orders: list[case_pb2.OrderReference] | None = None,
    parcels: list[case_pb2.ParcelReference] | None = None,
    situation: str = "",
    clinical: str = "",
    hospital: str = "",
    **indicators: bool,
) -> dict[str, Any]:
    """Keyword arguments for HubClient.report_signal."""
    return dict(
        request_id=request_id,
        signal=case_pb2.Signal(
            source=source,  # type: ignore[arg-type]
            subject=case_pb2.SubjectReference(
                buyer_id=buyer,
                phone=phone,
                address=case_pb2.Address(jurisdiction_code=jurisdiction, text=address),
            ),
            orders=orders or [],
            parcels=parcels or [],
            indicators=case_pb2.RiskIndicators(**indicators),
            situation=situation,
            clinical_facts=clinical,
            hospital_party_id=hospital,
        ),
    )


def imminent(buyer: str, jurisdiction: str = "110105") -> dict[str, Any]:
    """A merchant's signal about one person (one per buyer): IMMINENT, so a DISPATCH goes out."""
    return signal(
        MERCHANT,
        buyer=buyer,
        address=f"Flat of {buyer}",
        jurisdiction=jurisdiction,
        situation="will jump once her parents are asleep",
        stated_intent=True,
        method_prepared=True,
        stated_time=True,
    )


async def read_inbox(
    client: HubClient,
    until: Callable[[list[inbox_service_pb2.InboxMessage]], bool],
    *,
    after_sequence: int = 0,
    timeout: float = 10.0,
) -> list[inbox_service_pb2.InboxMessage]:
    """Streams the inbox until `until` holds for what arrived (bounded, never a sleep)."""
    received: list[inbox_service_pb2.InboxMessage] = []

    async def run() -> None:
        async for message in client.subscribe(after_sequence):
            received.append(message)
            if until(received):
                return

    await asyncio.wait_for(run(), timeout)
    return received


def handoffs(messages: list[inbox_service_pb2.InboxMessage]) -> list[handoff_pb2.Handoff]:
    return [m.handoff for m in messages if m.HasField("handoff")]


def has_handoff(
    kind: int, state: int | None = None
) -> Callable[[list[inbox_service_pb2.InboxMessage]], bool]:
    return lambda ms: any(
        h.kind == kind and (state is None or h.state == state) for h in handoffs(ms)
    )
