"""A replica killed outright (SIGKILL) with a deadline about to fall due and a desk
streaming from it: the other replica fires the deadline, once, and the desk's SDK moves
there and carries on from its cursor, nothing lost and nothing handled twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lifeline.hub.v1 import case_service_pb2, handoff_pb2, inbox_service_pb2

from connectors import ConnectorConfig, HubClient
from hub.process import spawn_hub
from tests.flows import imminent

# The police have two seconds to acknowledge an IMMINENT DISPATCH, then it is sent once
# more; nothing else falls due during the test.
QUICK = """\
[deadlines.DISPATCH]
IMMINENT = "2s"
default = "2s"
[retry]
attempts = 1
backoff = "1h"
jitter = 0.0
"""


async def test_the_other_replica_fires_the_deadline_once_and_the_desk_carries_on(
    certs_dir: Path, postgres_url: str, tmp_path: Path
) -> None:
    policy = tmp_path / "deadlines.toml"
    policy.write_text(QUICK)
    options = ("--deadlines", str(policy), "--grace", "1")
    first, first_port = await spawn_hub(certs_dir, postgres_url, *options)
    second, second_port = await spawn_hub(certs_dir, postgres_url, *options)
    both = f"127.0.0.1:{first_port},127.0.0.1:{second_port}"

    def client(party: str) -> HubClient:
        return HubClient(ConnectorConfig.for_party(certs_dir, party, both))

    try:
        async with client("police-110105") as police, client("shop-1") as shop:
            await police.whoami()
            seen: list[int] = []
            dispatches: asyncio.Queue[handoff_pb2.Handoff] = asyncio.Queue()

            async def on_message(message: inbox_service_pb2.InboxMessage) -> None:
                seen.append(message.sequence)
                if message.handoff.kind == handoff_pb2.HANDOFF_KIND_DISPATCH:
                    dispatches.put_nowait(message.handoff)

            stop = asyncio.Event()
            desk = asyncio.create_task(police.work(on_message, stop=stop, max_backoff=0.5))
            case_id = (await shop.report_signal(**imminent("buyer-killed"))).case.case_id
            dispatch = await asyncio.wait_for(dispatches.get(), 30)
            first.kill()  # no drain, no goodbye: the machine died
            await first.wait()
            # Not acknowledged in time: the surviving replica sends it again, once.
            again = await asyncio.wait_for(dispatches.get(), 30)
            assert again.handoff_id == dispatch.handoff_id
            acknowledged = await police.acknowledge_handoff(dispatch.handoff_id)
            assert acknowledged.handoff.state == handoff_pb2.Handoff.STATE_ACKNOWLEDGED
            stop.set()
            await asyncio.wait_for(desk, 30)
            assert seen == sorted(set(seen))  # in order, none handed over twice
            async with client("duty-desk") as platform:
                events = await platform.cases.ListCaseEvents(
                    case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
                )
            resent = [e for e in events.events if "sent again" in e.summary]
            assert len(resent) == 1, [e.summary for e in events.events]
    finally:
        for process in (first, second):
            if process.returncode is None:
                process.terminate()
                await process.wait()
