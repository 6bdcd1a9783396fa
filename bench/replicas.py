"""Two hub replicas on one PostgreSQL database: how long a DISPATCH written through one
takes to reach a police desk streaming from the other, beside the same path on one
replica, measured in the same run.

    .venv/bin/python -m bench.replicas [--signals 200]

Two `lifeline serve` processes share a schema of their own; the shop reports through
replica A, one signal at a time; the police desk streams its inbox from replica B (then,
for the baseline, from A). The figure is the time from sending the signal to the
DISPATCH arriving on the stream. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2

from bench.common import BASE_PARTIES, hub_settings, pct, pg_schema, pki, signal
from connectors import ConnectorConfig, HubClient
from hub.process import spawn_hub


async def _deliveries(certs: Path, writer: int, reader: int, signals: int, run: str) -> list[float]:
    """Milliseconds from each signal sent through `writer` to its DISPATCH on `reader`."""
    shop = HubClient(ConnectorConfig.for_party(certs, "shop-bench", f"127.0.0.1:{writer}"))
    police = HubClient(ConnectorConfig.for_party(certs, "police-110105", f"127.0.0.1:{reader}"))
    loop = asyncio.get_running_loop()
    # Case id -> when its DISPATCH arrived (the DISPATCH may come before the answer).
    arrived: dict[str, asyncio.Future[float]] = {}

    async def on_message(message: inbox_service_pb2.InboxMessage) -> None:
        handoff = message.handoff
        if handoff.kind == handoff_pb2.HANDOFF_KIND_DISPATCH:
            waiting = arrived.setdefault(handoff.case_id, loop.create_future())
            if not waiting.done():
                waiting.set_result(time.perf_counter())

    stop = asyncio.Event()
    await police.whoami()
    desk = asyncio.create_task(police.work(on_message, stop=stop))
    latencies = []
    try:
        for i in range(signals):
            began = time.perf_counter()
            case_id = (await shop.report_signal(signal(f"{run}-{i}"))).case.case_id
            waiting = arrived.setdefault(case_id, loop.create_future())
            latencies.append((await asyncio.wait_for(waiting, 30) - began) * 1000)
    finally:
        stop.set()
        await asyncio.wait_for(desk, 30)
        await shop.close()
        await police.close()
    return latencies


async def measure(signals: int) -> dict[str, dict[str, float]]:
    with (
        tempfile.TemporaryDirectory(prefix="lifeline-replicas-") as tmp,
        pg_schema("replicas") as url,
    ):
        certs = Path(tmp) / "certs"
        pki(certs, BASE_PARTIES)
        settings = hub_settings(Path(tmp))
        (a, port_a), (b, port_b) = [await spawn_hub(certs, url, *settings) for _ in range(2)]
        try:
            # Each run about people of its own: a signal about someone with an open case
            # would join it, and send no new DISPATCH.
            await _deliveries(certs, port_a, port_b, 20, "warm")  # connections, caches
            across = await _deliveries(certs, port_a, port_b, signals, "across")
            same = await _deliveries(certs, port_a, port_a, signals, "same")
        finally:
            for process in (a, b):
                process.terminate()
                await process.wait()
    return {"across_replicas": pct(across), "same_replica": pct(same)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=200, help="signals per path")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.signals))
    print(
        f"signal -> DISPATCH on the desk's stream, PostgreSQL, {args.signals} signals one at"
        f" a time ({time.strftime('%Y-%m-%d')})"
    )
    print(f"{'path':<34}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for label, key in (
        ("through A, desk on B (replicas)", "across_replicas"),
        ("through A, desk on A (baseline)", "same_replica"),
    ):
        row = figures[key]
        print(f"{label:<34}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}{row['max_ms']:>10.1f}")


if __name__ == "__main__":
    main()
