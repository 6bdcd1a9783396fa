"""The SDK over two hub replicas (one PostgreSQL database): when the address it uses stops
answering, every call moves to the next, not only the inbox stream (issue 15: a client
given A,B kept failing after A died)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lifeline.hub.v1 import case_service_pb2, handoff_pb2, inbox_service_pb2, party_service_pb2

from connectors import ConnectorConfig, HubClient
from connectors.errors import HubUnavailableError, PermissionDeniedError
from hub import Hub
from tests.conftest import HubFactory
from tests.flows import imminent
from wire import reasons


@pytest.fixture
async def shop(replicas: tuple[Hub, Hub], certs_dir: Path) -> AsyncIterator[HubClient]:
    """A shop given both replicas' addresses, connected to the first."""
    first, second = replicas
    both = f"127.0.0.1:{first.port},127.0.0.1:{second.port}"
    async with HubClient(ConnectorConfig.for_party(certs_dir, "shop-1", both)) as client:
        await client.whoami()
        assert client.channel.address == f"127.0.0.1:{first.port}"
        yield client


async def test_calls_move_to_the_next_replica_when_one_stops(
    replicas: tuple[Hub, Hub], shop: HubClient
) -> None:
    first, second = replicas
    await first.stop()
    # A read, and a signal (its request_id made by the SDK), are sent again at once.
    assert (await shop.whoami()).party_id == "shop-1"
    assert shop.channel.address == f"127.0.0.1:{second.port}"
    reported = await shop.report_signal(**imminent("buyer-failover"))
    assert reported.case.case_id


async def test_a_mutation_without_request_id_is_not_sent_twice_but_the_next_call_moves_on(
    replicas: tuple[Hub, Hub], shop: HubClient
) -> None:
    first, second = replicas
    await first.stop()
    # Unsigned: it never reaches a hub, A being down.
    bare = case_service_pb2.ReportSignalRequest(signal=imminent("buyer-unsure")["signal"])
    # It may have been carried out before the connection broke: the caller decides.
    with pytest.raises(HubUnavailableError):
        await shop.cases.ReportSignal(bare)
    assert shop.channel.address == f"127.0.0.1:{second.port}"
    assert (await shop.whoami()).party_id == "shop-1"


async def test_work_written_through_one_replica_wakes_a_desk_on_another_without_polling(
    start_hub: HubFactory, certs_dir: Path, postgres_url: str
) -> None:
    # The inbox watcher's safety-net look is an hour away: only LISTEN/NOTIFY can
    # bring the DISPATCH across in time.
    unhurried = {"inbox_poll_seconds": 3600}
    writer = await start_hub(certs_dir, postgres_url, **unhurried)
    streamer = await start_hub(certs_dir, postgres_url, **unhurried)
    config = ConnectorConfig.for_party
    async with (
        HubClient(config(certs_dir, "police-110105", f"127.0.0.1:{streamer.port}")) as police,
        HubClient(config(certs_dir, "shop-1", f"127.0.0.1:{writer.port}")) as shop,
    ):
        await police.whoami()
        arrived: asyncio.Queue[str] = asyncio.Queue()

        async def on_message(message: inbox_service_pb2.InboxMessage) -> None:
            if message.handoff.kind == handoff_pb2.HANDOFF_KIND_DISPATCH:
                arrived.put_nowait(message.handoff.case_id)

        stop = asyncio.Event()
        desk = asyncio.create_task(police.work(on_message, stop=stop))
        for buyer in ("buyer-n1", "buyer-n2"):  # the second while the stream is open
            case_id = (await shop.report_signal(**imminent(buyer))).case.case_id
            assert await asyncio.wait_for(arrived.get(), 20) == case_id
        stop.set()
        await asyncio.wait_for(desk, 20)


async def test_a_party_deactivated_through_one_replica_is_refused_by_another_at_once(
    replicas: tuple[Hub, Hub], certs_dir: Path
) -> None:
    first, second = replicas
    config = ConnectorConfig.for_party
    async with (
        HubClient(config(certs_dir, "duty-desk", f"127.0.0.1:{first.port}")) as desk,
        HubClient(config(certs_dir, "courier-1", f"127.0.0.1:{second.port}")) as courier,
    ):
        await desk.whoami()
        await courier.whoami()  # the second replica now holds the courier's row in its cache
        await desk.parties.DeactivateParty(
            party_service_pb2.DeactivatePartyRequest(party_id="courier-1", reason="left")
        )
        # The first replica's NOTIFY makes the second forget it at once, not when its
        # cache expires (5 s): within a second the courier is refused there.
        refused_by = asyncio.get_running_loop().time() + 1.0
        while True:
            try:
                await courier.whoami()
            except PermissionDeniedError as e:
                assert e.reason == reasons.PARTY_DEACTIVATED
                break
            assert asyncio.get_running_loop().time() < refused_by, "still admitted after 1 s"
            await asyncio.sleep(0.02)
