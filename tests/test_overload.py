"""Overload that never drops a crisis (hub/domain/admission.py): past its bound of calls
in flight the hub still takes acknowledgements and HIGH or IMMINENT signals, refuses
reads and lower signals with RESOURCE_EXHAUSTED and a RetryInfo delay, and the SDK sends
those again until they are in."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from lifeline.hub.v1 import (
    case_service_pb2,
    case_service_pb2_grpc,
    inbox_service_pb2,
    party_service_pb2,
)
from lifeline.hub.v1 import party_service_pb2_grpc as party_grpc

from connectors import ConnectorConfig
from connectors.channel import secure_channel
from connectors.errors import HubUnavailableError, from_rpc_error
from hub.api.server import Hub
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, imminent, signal
from wire import reasons


def _low(buyer: str) -> dict[str, Any]:
    """A signal that grades LOW: no indicator at all."""
    return signal(MERCHANT, buyer=buyer, address=f"Flat of {buyer}", jurisdiction="110105")


@contextlib.asynccontextmanager
async def _writer_held(hub: Hub) -> AsyncIterator[None]:
    """The hub's writer is held: calls admitted meanwhile stay in flight until it is let go."""
    held = threading.Event()
    holding = hub.db.write(lambda session: held.wait(60))
    try:
        yield
    finally:
        held.set()
        await holding


async def _in_flight(hub: Hub, count: int) -> None:
    while hub.gate.in_flight < count:  # a state the calls reach, not a guess at time
        await asyncio.sleep(0.01)


async def test_an_overloaded_hub_takes_the_crisis_and_asks_the_rest_to_come_back(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir, max_calls_in_flight=2)
    await connect(hub, certs_dir, "police-110105").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    await shop.whoami()  # admitted now: the gate knows both parties without a write
    async with _writer_held(hub):
        low = [asyncio.create_task(shop.report_signal(**_low(f"buyer-low-{i}"))) for i in (1, 2)]
        await _in_flight(hub, 2)
        # At the bound: a read and a LOW signal are refused for now, with a delay...
        address = f"127.0.0.1:{hub.port}"
        raw = secure_channel(ConnectorConfig.for_party(certs_dir, "shop-1", address))
        try:
            for call in (
                party_grpc.PartyServiceStub(raw).GetCurrentParty(
                    party_service_pb2.GetCurrentPartyRequest()
                ),
                case_service_pb2_grpc.CaseServiceStub(raw).ReportSignal(
                    case_service_pb2.ReportSignalRequest(**_low("buyer-low-3"))
                ),
            ):
                with pytest.raises(grpc.RpcError) as refused:
                    await call
                error = from_rpc_error(refused.value)
                assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert error.reason == reasons.HUB_OVERLOADED
                assert error.retry_after == 1.0
        finally:
            await raw.close(None)
        # ...while an IMMINENT signal is taken at once, past the bound.
        crisis = asyncio.create_task(shop.report_signal(**imminent("buyer-imminent")))
        await _in_flight(hub, 3)
        # The SDK sends a refused LOW signal again, as the hub asked, until it is in.
        retried = asyncio.create_task(shop.report_signal(**_low("buyer-low-4")))
    answers = await asyncio.wait_for(asyncio.gather(*low, crisis, retried), 60)
    assert len({a.case.case_id for a in answers}) == 4


async def test_a_call_cut_by_shutdown_ends_unavailable_and_says_to_send_it_again(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir, grace_seconds=1.0)
    shop = connect(hub, certs_dir, "shop-1")
    await shop.whoami()
    async with _writer_held(hub):
        signal = asyncio.create_task(shop.report_signal(**imminent("buyer-cut")))
        await _in_flight(hub, 1)
        stopping = asyncio.create_task(hub.stop())  # SIGTERM: the grace runs out first
        with pytest.raises(HubUnavailableError) as cut:
            await asyncio.wait_for(signal, 30)
        assert cut.value.code == grpc.StatusCode.UNAVAILABLE  # not a bare CANCELLED
        assert cut.value.reason == reasons.HUB_SHUTTING_DOWN
    await asyncio.wait_for(stopping, 30)


async def test_a_stalled_database_does_not_hold_up_the_shutdown(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, postgres_url: str
) -> None:
    """The database stalls (another session holds the hub's tables locked) with a
    signal, a read and the inbox watcher waiting on it: the stop still ends within the
    grace period, and the calls cut say so (their outcome unknown: sent again with the
    same request_id). tests/test_serve.py checks that the process exits too."""
    hub = await start_hub(certs_dir, postgres_url, grace_seconds=1.0, inbox_poll_seconds=0.05)
    desk, shop = connect(hub, certs_dir, "police-110105"), connect(hub, certs_dir, "shop-1")
    stream = desk.inbox.SubscribeInbox(inbox_service_pb2.SubscribeInboxRequest())
    await shop.whoami()
    locker = sa.create_engine(postgres_url)
    try:
        with locker.connect() as session:
            session.execute(
                sa.text('LOCK TABLE "case", signal, inbox_cursor IN ACCESS EXCLUSIVE MODE')
            )
            signal = asyncio.create_task(shop.report_signal(**imminent("buyer-stalled")))
            read = asyncio.ensure_future(shop.cases.ListCases(case_service_pb2.ListCasesRequest()))
            await _in_flight(hub, 2)  # the signal, the read
            began = time.monotonic()
            closed = await asyncio.wait_for(hub.stop(), 30)
            assert not closed and time.monotonic() - began < 5
            for call in (signal, read):
                with pytest.raises(HubUnavailableError) as cut:
                    await asyncio.wait_for(call, 30)
                assert cut.value.reason == reasons.HUB_SHUTTING_DOWN
            session.rollback()
        await asyncio.to_thread(hub.db.close)  # the stalled units end once the lock goes
    finally:
        stream.cancel()
        locker.dispose()
