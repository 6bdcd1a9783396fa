"""Overload that never drops a crisis: a hub offered more signals than it sustains, one in
four IMMINENT and the rest LOW, while a police desk acknowledges each DISPATCH as it
arrives. Measured beside the same mix at half the rate, in the same run.

    .venv/bin/python -m bench.overload [--rate 120] [--seconds 10] [--max-in-flight 32]

The hub is a `lifeline serve` process on SQLite with `--max-calls-in-flight`; past it,
the LOW signals are refused HUB_OVERLOADED and the SDK sends them again after the
RetryInfo delay. Figures: IMMINENT signal -> DISPATCH on the desk's stream and the
acknowledgement's round trip (p50/p99), how many LOW signals were refused at least once,
and whether every signal got in. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2

from bench.common import BASE_PARTIES, hub_settings, pct, pki
from connectors import ConnectorConfig, HubClient
from hub.process import spawn_hub


def signal(token: str, imminent: bool) -> case_pb2.Signal:
    return case_pb2.Signal(
        source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
        subject=case_pb2.SubjectReference(
            buyer_id=token, address=case_pb2.Address(jurisdiction_code="110105", text=token)
        ),
        indicators=case_pb2.RiskIndicators(
            stated_intent=imminent, method_prepared=imminent, stated_time=imminent
        ),
        situation=token,
    )


async def _run(certs: Path, port: int, rate: float, seconds: float, label: str) -> dict[str, Any]:
    address = f"127.0.0.1:{port}"
    shops = [HubClient(ConnectorConfig.for_party(certs, "shop-bench", address)) for _ in range(4)]
    police = HubClient(ConnectorConfig.for_party(certs, "police-110105", address))
    await police.whoami()
    sent: dict[str, float] = {}
    dispatched: dict[str, float] = {}
    acks: list[float] = []
    pending_acks: set[asyncio.Task[None]] = set()

    async def acknowledge(handoff_id: str) -> None:
        began = time.perf_counter()
        await police.acknowledge_handoff(handoff_id)
        acks.append((time.perf_counter() - began) * 1000)

    async def on_message(message: inbox_service_pb2.InboxMessage) -> None:
        h = message.handoff
        if h.kind == handoff_pb2.HANDOFF_KIND_DISPATCH and h.state == h.STATE_PENDING:
            token = h.details.situation
            if token in sent and token not in dispatched:
                dispatched[token] = time.perf_counter()
                task = asyncio.create_task(acknowledge(h.handoff_id))
                pending_acks.add(task)
                task.add_done_callback(pending_acks.discard)

    stop = asyncio.Event()
    desk = asyncio.create_task(police.work(on_message, stop=stop))
    count = int(rate * seconds)
    answered = 0
    refused_once = 0
    start = time.perf_counter()

    async def send(i: int) -> None:
        nonlocal answered, refused_once
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        token = f"{label}-{i}"
        imminent = i % 4 == 0
        began = sent[token] = time.perf_counter()
        await shops[i % len(shops)].report_signal(signal(token, imminent))
        answered += 1
        if not imminent and time.perf_counter() - began > 0.9:  # waited out a RetryInfo
            refused_once += 1

    await asyncio.gather(*(send(i) for i in range(count)))
    imminent_tokens = [f"{label}-{i}" for i in range(0, count, 4)]
    deadline = time.perf_counter() + 60
    while not all(t in dispatched for t in imminent_tokens) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)  # polling the result, not waiting for the system under test
    if pending_acks:
        await asyncio.wait(set(pending_acks))
    stop.set()
    await asyncio.wait_for(desk, 30)
    for client in (*shops, police):
        await client.close()
    latencies = [(dispatched[t] - sent[t]) * 1000 for t in imminent_tokens if t in dispatched]
    return {
        "offered_per_s": rate,
        "signals": count,
        "answered": answered,
        "low_waited_for_retry": refused_once,
        "imminent_dispatch": pct(latencies),
        "imminent_delivered": len(latencies),
        "imminent_sent": len(imminent_tokens),
        "ack": pct(acks),
    }


MAX_IN_FLIGHT = 32
"""The hub's --max-calls-in-flight in this benchmark."""


async def measure(rate: float, seconds: float, max_in_flight: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lifeline-overload-") as tmp:
        certs = Path(tmp) / "certs"
        pki(certs, BASE_PARTIES)
        options = [*hub_settings(Path(tmp)), "--max-calls-in-flight", str(max_in_flight)]
        process, port = await spawn_hub(certs, f"sqlite:///{tmp}/hub.db", *options)
        try:
            baseline = await _run(certs, port, rate / 2, seconds, "half")
            overload = await _run(certs, port, rate, seconds, "full")
        finally:
            process.terminate()
            await process.wait()
    return {"baseline": baseline, "overload": overload}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=120, help="signals offered per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--max-in-flight", type=int, default=MAX_IN_FLIGHT)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.rate, args.seconds, args.max_in_flight))
    print(
        f"overload on SQLite, --max-calls-in-flight {args.max_in_flight}, one signal in four"
        f" IMMINENT ({time.strftime('%Y-%m-%d')})"
    )
    print(
        f"{'offered':>10}{'answered':>10}{'LOW retried':>12}"
        f"{'IMMINENT->DISPATCH p50/p99 ms':>32}{'ack p50/p99 ms':>18}"
    )
    for f in (figures["baseline"], figures["overload"]):
        d, a = f["imminent_dispatch"], f["ack"]
        print(
            f"{f['offered_per_s']:>8.0f}/s{f['answered']:>6}/{f['signals']:<4}"
            f"{f['low_waited_for_retry']:>11}"
            f"{d['p50_ms']:>20.1f} / {d['p99_ms']:<9.1f}{a['p50_ms']:>9.1f} / {a['p99_ms']:.1f}"
        )


if __name__ == "__main__":
    main()
