"""Fair share under a flood: six merchants send maximal signals as fast as they can,
while a police desk acknowledges live DISPATCHes. The figure is the acknowledgement's
round trip, beside the same round trip on the idle hub measured in the same run.

    .venv/bin/python -m bench.flood [--db URL] [--seconds 20] [--items N]

The hub is a `lifeline serve` process; the merchants run in a process of their own,
so their load does not share an event loop with the police desk being measured.
"--items" is the orders and the parcels per signal (default: the hub's caps); the
figure for the hub before the caps was taken with a larger value (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import case_pb2, handoff_pb2, handoff_service_pb2

from bench.common import UNHURRIED_DEADLINES, pct, pki
from connectors import ConnectorConfig, HubClient
from hub.domain import caps, limits
from hub.process import spawn_hub
from wire.errors import LifelineError
from wire.identity import PartyIdentity, Role

MERCHANTS = [PartyIdentity(f"shop-flood-{i}", Role.MERCHANT) for i in range(6)]
COURIER = PartyIdentity("courier-flood", Role.COURIER)
PARTIES = [
    PartyIdentity("duty-desk", Role.PLATFORM),
    PartyIdentity("police-110105", Role.POLICE, "110105"),
    COURIER,
    *MERCHANTS,
]
# Calls each merchant keeps in flight: "as fast as they can" from a busy shop.
IN_FLIGHT_PER_MERCHANT = 4
ACKS = 40
"""Acknowledgements measured on the idle hub; under the flood, as many as fit in it."""


def _maximal_signal(shop: str, token: str, items: int) -> case_pb2.Signal:
    """The largest signal a merchant may send: every order and parcel the caps allow,
    and the longest texts."""
    return case_pb2.Signal(
        source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
        subject=case_pb2.SubjectReference(
            buyer_id=token,
            phone="13800000000",
            address=case_pb2.Address(jurisdiction_code="110105", text=token.ljust(200, "x")),
        ),
        indicators=case_pb2.RiskIndicators(stated_intent=True, method_prepared=True),
        situation=token.ljust(limits.NOTE.max_length, "s"),
        orders=[
            case_pb2.OrderReference(
                order_id=f"{token}-o{i}", merchant_party_id=shop, item_summary="x" * 200
            )
            for i in range(items)
        ],
        parcels=[
            case_pb2.ParcelReference(
                tracking_number=f"{token}-p{i}", courier_party_id=COURIER.party_id
            )
            for i in range(items)
        ],
    )


def _flood(certs: str, address: str, items: int, started: Any, stop: Any, counts: Any) -> None:
    """The merchants' process: closed-loop senders until told to stop."""

    async def main() -> None:
        clients = [
            HubClient(ConnectorConfig.for_party(Path(certs), m.party_id, address))
            for m in MERCHANTS
        ]
        for client in clients:
            await client.whoami()
        started.set()
        accepted = refused = 0

        async def sender(client: HubClient, worker: int) -> None:
            nonlocal accepted, refused
            n = 0
            while not stop.is_set():
                n += 1
                token = f"{client.party_id}-{worker}-{n}"
                try:
                    await client.report_signal(_maximal_signal(client.party_id, token, items))
                    accepted += 1
                except LifelineError:
                    refused += 1

        await asyncio.gather(
            *(sender(client, w) for client in clients for w in range(IN_FLIGHT_PER_MERCHANT))
        )
        counts.put((accepted, refused))
        for client in clients:
            await client.close()

    asyncio.run(main())


async def _acknowledge(
    police: HubClient, handoff_ids: list[str], until: float = float("inf")
) -> list[float]:
    """Acknowledges one live DISPATCH after another (until a time, when given, but at
    least three); returns each round trip in ms."""
    latencies: list[float] = []
    for handoff_id in handoff_ids:
        if len(latencies) >= 3 and time.perf_counter() > until:
            break
        began = time.perf_counter()
        await police.acknowledge_handoff(handoff_id)
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


async def measure(db_url: str | None, seconds: float, items: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lifeline-flood-") as tmp:
        certs = Path(tmp) / "certs"
        pki(certs, PARTIES)
        deadlines = Path(tmp) / "deadlines.toml"
        deadlines.write_text(UNHURRIED_DEADLINES)
        process, port = await spawn_hub(
            certs, db_url or f"sqlite:///{tmp}/hub.db", "--deadlines", str(deadlines)
        )
        address = f"127.0.0.1:{port}"
        desk, police, courier = (
            HubClient(ConnectorConfig.for_party(certs, p.party_id, address)) for p in PARTIES[:3]
        )
        try:
            for client in (desk, police, courier):
                await client.whoami()  # known to the hub before any work names them
            dispatches = []
            # Enough live DISPATCHes for the idle round trips and those under the flood.
            for i in range(3 * ACKS):
                response = await desk.report_signal(
                    case_pb2.Signal(
                        source=case_pb2.SIGNAL_SOURCE_PLATFORM_DUTY_DESK,
                        subject=case_pb2.SubjectReference(
                            buyer_id=f"live-{i}",
                            address=case_pb2.Address(jurisdiction_code="110105", text=f"live-{i}"),
                        ),
                        indicators=case_pb2.RiskIndicators(
                            stated_intent=True, method_prepared=True
                        ),
                    )
                )
                listed = await desk.handoffs.ListHandoffs(
                    handoff_service_pb2.ListHandoffsRequest(case_id=response.case.case_id)
                )
                dispatches += [
                    h.handoff_id
                    for h in listed.handoffs
                    if h.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
                ]
            idle = await _acknowledge(police, dispatches[:ACKS])
            context = multiprocessing.get_context("spawn")
            started, stop, counts = context.Event(), context.Event(), context.Queue()
            flood = context.Process(
                target=_flood, args=(str(certs), address, items, started, stop, counts)
            )
            flood.start()
            await asyncio.to_thread(started.wait)
            began = time.perf_counter()
            # Let the flood build up before measuring.
            await asyncio.sleep(seconds / 4)
            flooded = await _acknowledge(police, dispatches[ACKS:], until=began + seconds)
            stop.set()
            accepted, refused = await asyncio.to_thread(counts.get)
            elapsed = time.perf_counter() - began
            await asyncio.to_thread(flood.join)
        finally:
            for client in (desk, police, courier):
                await client.close()
            process.terminate()
            await process.wait()
    return {
        "items_per_signal": items,
        "ack_idle": pct(idle),
        "ack_under_flood": pct(flooded),
        "flood_signals_per_s": accepted / elapsed,
        "flood_refused": refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the flood runs")
    parser.add_argument(
        "--items",
        type=int,
        default=caps.MAX_ORDERS_PER_SIGNAL,
        help="orders and parcels per signal (default: the hub's cap)",
    )
    args = parser.parse_args()
    print(
        f"flooding for {args.seconds:.0f} s with {args.items} orders and parcels per signal...",
        file=sys.stderr,
    )
    r = asyncio.run(measure(args.db, args.seconds, args.items))
    for name in ("ack_idle", "ack_under_flood"):
        p = r[name]
        print(
            f"{name:>16}: p50 {p['p50_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms,"
            f" max {p['max_ms']:.1f} ms"
        )
    print(
        f"flood: {r['flood_signals_per_s']:.1f} signals/s accepted from six merchants,"
        f" {r['flood_refused']} refused"
    )


if __name__ == "__main__":
    main()
