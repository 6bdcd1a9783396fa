"""What one signal and one acknowledgement cost the hub, in CPU time of the hub's own
process (a `lifeline serve` child, mTLS gRPC, durable commits), which a noisy machine
does not distort, beside the wall-clock rates of the same run.

    .venv/bin/python -m bench.signal_cost [--signals 400] [--db sqlite|postgresql|URL ...]

Each signal opens a new case whose one DISPATCH reaches a police desk streaming its
inbox; then the desk acknowledges every DISPATCH (a signed receipt, verified and
committed). The baseline is the same client's WhoAmI call on the same hub: the gate,
the TLS and gRPC itself, with no case work. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil
from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2

from bench.common import BASE_PARTIES, hub_settings, pg_schema, pki, signal
from connectors import ConnectorConfig, HubClient
from hub.process import spawn_hub

IN_FLIGHT = 8


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def _timed(
    hub: psutil.Process, count: int, call: Callable[[int], Awaitable[object]]
) -> tuple[float, float]:
    """Runs call(0..count-1), IN_FLIGHT at a time; returns (hub CPU ms per call, calls per s)."""
    queue = iter(range(count))

    async def lane() -> None:
        for i in queue:
            await call(i)

    cpu, began = _cpu_seconds(hub), time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))
    wall = time.perf_counter() - began
    return (_cpu_seconds(hub) - cpu) * 1000 / count, count / wall


async def measure(db_url: str, signals: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as tmp:
        certs = Path(tmp) / "certs"
        pki(certs, BASE_PARTIES)
        process, port = await spawn_hub(
            certs, db_url or f"sqlite:///{tmp}/hub.db", *hub_settings(Path(tmp))
        )
        hub = psutil.Process(process.pid)
        address = f"127.0.0.1:{port}"
        desk, shop, police = (
            HubClient(ConnectorConfig.for_party(certs, p.party_id, address)) for p in BASE_PARTIES
        )
        dispatches: list[str] = []
        arrived = asyncio.Condition()

        async def on_message(message: inbox_service_pb2.InboxMessage) -> None:
            handoff = message.handoff
            if (
                handoff.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
                and handoff.state == handoff_pb2.Handoff.STATE_PENDING
            ):
                async with arrived:
                    dispatches.append(handoff.handoff_id)
                    arrived.notify_all()

        async def dispatched(total: int) -> None:
            async with arrived:
                await arrived.wait_for(lambda: len(dispatches) >= total)

        stop = asyncio.Event()
        try:
            for client in (desk, shop, police):
                await client.whoami()  # registers each party
            worker = asyncio.create_task(police.work(on_message, stop=stop))
            warm_up = 20
            for i in range(warm_up):
                await shop.report_signal(signal(f"warm-{i}"))
            await dispatched(warm_up)
            figures: dict[str, float] = {}
            figures["whoami_cpu_ms"], figures["whoami_per_s"] = await _timed(
                hub, signals, lambda i: shop.whoami()
            )

            async def report(i: int) -> None:
                await shop.report_signal(signal(f"signal-{i}"))

            # The CPU of the whole signal: its call, and its DISPATCH streamed to the desk.
            cpu, began = _cpu_seconds(hub), time.perf_counter()
            await _timed(hub, signals, report)
            await dispatched(warm_up + signals)
            figures["signal_cpu_ms"] = (_cpu_seconds(hub) - cpu) * 1000 / signals
            figures["signals_per_s"] = signals / (time.perf_counter() - began)
            own = dispatches[warm_up:]
            figures["ack_cpu_ms"], figures["acks_per_s"] = await _timed(
                hub, signals, lambda i: police.acknowledge_handoff(own[i])
            )
            stop.set()
            await asyncio.wait_for(worker, 30)
        finally:
            stop.set()
            for client in (desk, shop, police):
                await client.close()
            process.terminate()
            await process.wait()
    return figures


def _measure(name: str, signals: int) -> dict[str, float]:
    if name == "postgresql":  # LIFELINE_BENCH_PG_URL or the machine's, in a schema of its own
        with pg_schema("cost") as url:
            return asyncio.run(measure(url, signals))
    return asyncio.run(measure("" if name == "sqlite" else name, signals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=400, help="signals (and acks) measured")
    parser.add_argument(
        "--db",
        nargs="+",
        default=["sqlite", "postgresql"],
        help="sqlite, postgresql (LIFELINE_BENCH_PG_URL or the machine's) or a database URL",
    )
    args = parser.parse_args()
    print(
        f"hub process CPU per operation, {args.signals} of each, {IN_FLIGHT} in flight"
        f" ({time.strftime('%Y-%m-%d')})"
    )
    print(f"{'database':<12}{'operation':<24}{'CPU ms':>8}{'per second':>12}")
    for name in args.db:
        f = _measure(name, args.signals)
        label = name if name in ("sqlite", "postgresql") else name.split(":")[0]
        for operation, key, rate in (
            ("WhoAmI (baseline)", "whoami_cpu_ms", "whoami_per_s"),
            ("signal -> DISPATCH", "signal_cpu_ms", "signals_per_s"),
            ("acknowledgement", "ack_cpu_ms", "acks_per_s"),
        ):
            print(f"{label:<12}{operation:<24}{f[key]:>8.2f}{f[rate]:>12.1f}", flush=True)


if __name__ == "__main__":
    main()
