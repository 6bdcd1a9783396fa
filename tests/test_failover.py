"""The SDK over two hub replicas (one PostgreSQL database): when the address it uses stops
answering, every call moves to the next, not only the inbox stream (issue 15: a client
given A,B kept failing after A died)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lifeline.hub.v1 import case_service_pb2

from connectors import ConnectorConfig, HubClient
from connectors.errors import HubUnavailableError
from tests.conftest import HubFactory
from tests.flows import imminent


async def test_calls_move_to_the_next_replica_when_one_stops(
    start_hub: HubFactory, certs_dir: Path, postgres_url: str
) -> None:
    first = await start_hub(certs_dir, postgres_url)
    second = await start_hub(certs_dir, postgres_url)
    both = f"127.0.0.1:{first.port},127.0.0.1:{second.port}"
    async with HubClient(ConnectorConfig.for_party(certs_dir, "shop-1", both)) as shop:
        await shop.whoami()
        assert shop.channel.address == f"127.0.0.1:{first.port}"
        await first.stop()
        # A read, and a signal (its request_id made by the SDK), are sent again at once.
        assert (await shop.whoami()).party_id == "shop-1"
        assert shop.channel.address == f"127.0.0.1:{second.port}"
        reported = await shop.report_signal(**imminent("buyer-failover"))
        assert reported.case.case_id


async def test_a_mutation_without_request_id_is_not_sent_twice_but_the_next_call_moves_on(
    start_hub: HubFactory, certs_dir: Path, postgres_url: str
) -> None:
    first = await start_hub(certs_dir, postgres_url)
    second = await start_hub(certs_dir, postgres_url)
    both = f"127.0.0.1:{first.port},127.0.0.1:{second.port}"
    async with HubClient(ConnectorConfig.for_party(certs_dir, "shop-1", both)) as shop:
        await shop.whoami()
        await first.stop()
        # Unsigned: it never reaches a hub, A being down.
        bare = case_service_pb2.ReportSignalRequest(signal=imminent("buyer-unsure")["signal"])
        # It may have been carried out before the connection broke: the caller decides.
        with pytest.raises(HubUnavailableError):
            await shop.cases.ReportSignal(bare)
        assert shop.channel.address == f"127.0.0.1:{second.port}"
        assert (await shop.whoami()).party_id == "shop-1"
