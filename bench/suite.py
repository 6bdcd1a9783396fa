"""`bench/run [--quick]`: the hub where it matters, beside a ceiling and a peer measured
in the same run (docs/benchmarks.md).

1. Ceiling: a bare grpc.aio unary echo and a bidirectional-stream echo, same mutual
   TLS, same concurrency.
2. Peer: NATS JetStream (127.0.0.1:4222): publish a 1 KiB signed message durably;
   a consumer receives and acknowledges it.
3. The hub (a `lifeline serve` process), SQLite and PostgreSQL, and two replicas on
   PostgreSQL: signal -> DISPATCH delivered on the police desk's inbox stream, at
   offered loads; the highest rate whose p99 stays under 100 ms; the acknowledgement
   round trip; delivery across replicas beside the same replica (bench/replicas.py);
   overload at twice the sustained rate (bench/overload.py).
4. Parties: many parties with open inbox streams (clients in several processes), on
   one hub and spread over two replicas: hub RSS, and delivery latency to one party
   meanwhile.
5. Deadlines: bench.deadlines (lateness with pending deadlines; resume time).

Prints one table with the ratios hub/ceiling and hub/JetStream and writes
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
import psutil
from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2

from bench import deadlines as deadline_bench
from bench import overload as overload_bench
from bench import replicas as replica_bench
from bench.common import (
    BASE_PARTIES,
    hub_settings,
    pct,
    pg_schema,
    pki,
    signal,
)
from connectors import ConnectorConfig, HubClient
from hub.process import spawn_hub
from hub.store.certs import CertificateAuthority
from wire.errors import LifelineError
from wire.identity import PartyIdentity, Role

RESULTS = Path(__file__).parent / "results" / "latest.json"
NATS_URL = os.environ.get("LIFELINE_BENCH_NATS_URL", "nats://127.0.0.1:4222")
CONCURRENCY = 16
PAYLOAD = 1024
BURST = 3000
"""Deadlines falling due at the same moment (issue 14: all fired within 2 s)."""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- 1. ceiling ------------------------------------------------------------------


async def ceiling(certs: Path, seconds: float) -> dict[str, Any]:
    """Echo over the same mTLS as the hub: the most gRPC itself can do here."""
    identity = lambda b: b  # noqa: E731

    async def unary(request: bytes, context: Any) -> bytes:
        return request

    async def bidi(requests: Any, context: Any) -> Any:
        async for request in requests:
            yield request

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary, identity, identity),
            "Stream": grpc.stream_stream_rpc_method_handler(bidi, identity, identity),
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    credentials = grpc.ssl_server_credentials(
        [((certs / "hub.key").read_bytes(), (certs / "hub.pem").read_bytes())],
        root_certificates=(certs / "ca.pem").read_bytes(),
        require_client_auth=True,
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    channel_credentials = grpc.ssl_channel_credentials(
        (certs / "ca.pem").read_bytes(),
        (certs / "parties" / "police-110105.key").read_bytes(),
        (certs / "parties" / "police-110105.pem").read_bytes(),
    )
    payload = os.urandom(PAYLOAD)
    results: dict[str, Any] = {}
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", channel_credentials) as channel:
        call_unary = channel.unary_unary("/bench.Echo/Unary", identity, identity)
        call_stream = channel.stream_stream("/bench.Echo/Stream", identity, identity)

        async def unary_worker(end: float, out: list[float]) -> None:
            while time.perf_counter() < end:
                start = time.perf_counter()
                await call_unary(payload)
                out.append((time.perf_counter() - start) * 1000)

        async def stream_worker(end: float, out: list[float]) -> None:
            call = call_stream()  # type: ignore[call-arg]
            while time.perf_counter() < end:
                start = time.perf_counter()
                await call.write(payload)
                await call.read()
                out.append((time.perf_counter() - start) * 1000)
            await call.done_writing()

        for name, worker in (("unary", unary_worker), ("stream", stream_worker)):
            latencies: list[float] = []
            end = time.perf_counter() + seconds
            await asyncio.gather(*(worker(end, latencies) for _ in range(CONCURRENCY)))
            results[name] = {"rps": len(latencies) / seconds, **pct(latencies)}
    await server.stop(0)
    return results


# -- 2. JetStream peer ----------------------------------------------------------------


async def jetstream(seconds: float) -> dict[str, Any]:
    """Durable publish of a 1 KiB signed message; a consumer receives and acknowledges it."""
    import nats

    client = await nats.connect(NATS_URL, connect_timeout=5)
    js = client.jetstream()
    stream = f"LIFELINE_BENCH_{os.getpid()}"
    await js.add_stream(name=stream, subjects=[f"{stream}.>"], storage="file")
    subject = f"{stream}.dispatch"
    latencies: list[float] = []
    sent: dict[str, float] = {}
    received = asyncio.Event()

    async def on_message(message: Any) -> None:
        token = message.headers["token"]
        latencies.append((time.perf_counter() - sent.pop(token)) * 1000)
        await message.ack()
        if not sent:
            received.set()

    await js.subscribe(subject, cb=on_message, durable=f"{stream}_police", manual_ack=True)
    body = os.urandom(PAYLOAD)
    count = 0

    async def publisher(end: float) -> None:
        nonlocal count
        while time.perf_counter() < end:
            token = f"{id(asyncio.current_task())}-{count}"
            count += 1
            sent[token] = time.perf_counter()
            await js.publish(subject, body, headers={"token": token})  # waits for the durable ack

    end = time.perf_counter() + seconds
    await asyncio.gather(*(publisher(end) for _ in range(CONCURRENCY)))
    if sent:
        await asyncio.wait_for(received.wait(), 30)
    await js.delete_stream(stream)
    await client.close()
    return {"rps": len(latencies) / seconds, **pct(latencies)}


# -- 3. the hub --------------------------------------------------------------------------


async def _offer(
    shops: list[HubClient], tokens: list[str], rate: float, sent: dict[str, float]
) -> int:
    """Sends one signal per token at `rate` a second (open loop); returns how many failed."""
    start = time.perf_counter()
    errors = 0

    async def send(i: int, token: str) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sent[token] = time.perf_counter()
        try:
            await shops[i % len(shops)].report_signal(signal(token))
        except LifelineError:
            errors += 1

    await asyncio.gather(*(send(i, t) for i, t in enumerate(tokens)))
    return errors


async def _spawn_replicas(
    certs: Path, db_url: str, replicas: int, *options: str
) -> list[tuple[asyncio.subprocess.Process, str]]:
    """`replicas` hub processes on one database: (process, address) each."""
    spawned = [await spawn_hub(certs, db_url, *options) for _ in range(replicas)]
    return [(process, f"127.0.0.1:{port}") for process, port in spawned]


async def hub_load(
    certs: Path,
    db_url: str,
    rates: list[int],
    seconds: float,
    drain_seconds: float,
    replicas: int = 1,
) -> dict[str, Any]:
    """Signal -> DISPATCH on the police inbox, open loop at each offered rate. With
    replicas, the shops report through each in turn and the desk streams from the first,
    so most DISPATCHes cross from one replica to the other."""
    hubs = await _spawn_replicas(certs, db_url, replicas, *hub_settings(certs.parent))
    address = hubs[0][1]
    clients = {
        p: HubClient(ConnectorConfig.for_party(certs, p, address))
        for p in ("duty-desk", "police-110105")
    }
    shops = [
        HubClient(ConnectorConfig.for_party(certs, "shop-bench", hubs[i % replicas][1]))
        for i in range(4)
    ]
    for client in clients.values():
        await client.whoami()
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    dispatches: list[str] = []
    police = clients["police-110105"]
    stop = asyncio.Event()
    progress = asyncio.Condition()

    async def on_message(message: Any) -> None:
        h = message.handoff
        if (
            h.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
            and h.state == handoff_pb2.Handoff.STATE_PENDING
            and h.details.situation in sent
            and h.details.situation not in arrived
        ):
            arrived[h.details.situation] = time.perf_counter()
            dispatches.append(h.handoff_id)
            async with progress:
                progress.notify_all()

    worker = asyncio.create_task(police.work(on_message, stop=stop))
    results: dict[str, Any] = {"loads": {}}
    run = 0
    try:
        for rate in rates:
            run += 1
            tokens = [f"bench-{run}-{i}" for i in range(int(rate * seconds))]
            errors = await _offer(shops, tokens, rate, sent)
            # Waits for the deliveries, woken by each one; a bound, since an overloaded
            # hub may never catch up (then the figures say how many arrived).
            deadline = time.perf_counter() + drain_seconds
            async with progress:
                while not all(t in arrived for t in tokens) and time.perf_counter() < deadline:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(progress.wait(), 1)
            latencies = [(arrived[t] - sent[t]) * 1000 for t in tokens if t in arrived]
            delivered = len(latencies)
            results["loads"][str(rate)] = {
                "offered_per_s": rate,
                "sent": len(tokens),
                "delivered": delivered,
                "errors": errors,
                **pct(latencies),
            }
            _say(
                f"  {db_url.split(':')[0]} {rate:>5}/s:"
                f" p99 {results['loads'][str(rate)]['p99_ms']:.1f} ms,"
                f" {delivered}/{len(tokens)} delivered"
            )
        # The acknowledgement round trip: a signed receipt, verified and committed.
        acks: list[float] = []
        for handoff_id in dispatches[:200]:
            begin = time.perf_counter()
            await police.acknowledge_handoff(handoff_id)
            acks.append((time.perf_counter() - begin) * 1000)
        results["ack_round_trip"] = pct(acks)
        results["rss_mib"] = [psutil.Process(p.pid).memory_info().rss / 2**20 for p, _ in hubs]
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)
        for client in (*clients.values(), *shops):
            await client.close()
        for process, _ in hubs:
            process.terminate()
            await process.wait()
    ok = [
        int(r)
        for r, v in results["loads"].items()
        if v["p99_ms"] < 100 and v["delivered"] == v["sent"]
    ]
    results["sustained_signals_per_s"] = max(ok, default=0)
    return results


# -- 4. many parties ------------------------------------------------------------------


def _hold_streams(certs: str, address: str, party_ids: list[str], ready: Any, done: Any) -> None:
    """A client process: one connection and open inbox stream per party, until told to stop."""

    async def main() -> None:
        clients = [HubClient(ConnectorConfig.for_party(Path(certs), p, address)) for p in party_ids]
        streams = []
        for i in range(0, len(clients), 200):
            batch = clients[i : i + 200]
            await asyncio.gather(*(c.whoami() for c in batch))
            for client in batch:
                # A raw stream: held open, never read, as an idle desk's would be.
                request = inbox_service_pb2.SubscribeInboxRequest()
                streams.append(client.inbox.SubscribeInbox(request))
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, done.wait)
        for stream in streams:
            stream.cancel()
        for client in clients:
            await client.close()

    asyncio.run(main())


async def parties(
    certs: Path, count: int, workers: int, db_url: str, replicas: int = 1, prefix: str = "merchant"
) -> dict[str, Any]:
    """`count` parties each holding an inbox stream, spread over `replicas` hubs: RSS of
    each, and delivery to one more desk meanwhile (through the last replica, to a desk
    on the first)."""
    ids = [f"{prefix}-{i:05d}" for i in range(count)]
    ca = CertificateAuthority(certs)
    _say(f"  issuing {count:,} party certificates...")
    for party_id in ids:
        ca.issue(PartyIdentity(party_id, Role.MERCHANT))
    hubs = await _spawn_replicas(certs, db_url, replicas)
    processes = [psutil.Process(process.pid) for process, _ in hubs]
    idle_rss = [p.memory_info().rss / 2**20 for p in processes]
    context = multiprocessing.get_context("spawn")
    done = context.Event()
    procs, readies = [], []
    for w in range(workers):
        ready = context.Event()
        address = hubs[w % replicas][1]
        p = context.Process(
            target=_hold_streams, args=(str(certs), address, ids[w::workers], ready, done)
        )
        p.start()
        procs.append(p)
        readies.append(ready)
    begin = time.perf_counter()
    for ready in readies:
        await asyncio.get_running_loop().run_in_executor(None, ready.wait, 600)
    connect_s = time.perf_counter() - begin
    rss = [p.memory_info().rss / 2**20 for p in processes]
    _say(
        f"  {count:,} parties connected in {connect_s:.1f} s; hub RSS"
        f" {' + '.join(f'{r:.0f}' for r in rss)} MiB"
    )
    # Delivery to one party while the rest stay connected.
    latencies: list[float] = []
    police = HubClient(ConnectorConfig.for_party(certs, "police-110105", hubs[0][1]))
    shop = HubClient(ConnectorConfig.for_party(certs, "shop-bench", hubs[-1][1]))
    await police.whoami()
    stream = police.subscribe()
    for i in range(50):
        token = f"one-{i}"
        start = time.perf_counter()
        await shop.report_signal(signal(token))
        async for message in stream:
            if message.handoff.details.situation == token:
                latencies.append((time.perf_counter() - start) * 1000)
                break
    await stream.aclose()
    await police.close()
    await shop.close()
    done.set()
    for p in procs:
        p.join(60)
    for process, _ in hubs:
        process.terminate()
        await process.wait()
    return {
        "connected_parties": count,
        "replicas": replicas,
        "connect_s": connect_s,
        "hub_rss_mib_idle": max(idle_rss),
        "hub_rss_mib_connected": max(rss),
        "hub_rss_mib_connected_each": rss,
        "delivery_to_one": pct(latencies),
    }


async def parties_alone(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as tmp:
        certs = Path(tmp) / "certs"
        pki(certs, BASE_PARTIES)
        return await parties(certs, count, 4, f"sqlite:///{tmp}/parties.db")


# -- the run ------------------------------------------------------------------------------


async def main(quick: bool) -> dict[str, Any]:
    seconds = 1.0 if quick else 10.0
    # Highest last: a rate the hub cannot keep up with leaves a backlog behind it.
    rates = [50, 200, 500, 1000] if quick else [50, 100, 150, 200, 300, 400, 500, 1000]
    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as tmp:
        certs = Path(tmp) / "certs"
        pki(certs, BASE_PARTIES)
        figures: dict[str, Any] = {"quick": quick}
        _say("ceiling: grpc.aio echo over mTLS...")
        figures["ceiling"] = await ceiling(certs, seconds)
        _say("peer: NATS JetStream...")
        figures["jetstream"] = await jetstream(seconds)
        _say("hub on SQLite...")
        drain = 5.0 if quick else 20.0
        figures["hub_sqlite"] = await hub_load(
            certs, f"sqlite:///{tmp}/bench.db", rates, seconds, drain
        )
        _say("hub on PostgreSQL...")
        with pg_schema("load") as pg_url:
            figures["hub_postgresql"] = await hub_load(certs, pg_url, rates, seconds, drain)
        _say("two hub replicas on PostgreSQL...")
        with pg_schema("replicas_load") as pg_url:
            figures["hub_postgresql_replicas"] = await hub_load(
                certs, pg_url, rates, seconds, drain, replicas=2
            )
        figures["replica_delivery"] = await replica_bench.measure(50 if quick else 200)
        sustained = figures["hub_sqlite"]["sustained_signals_per_s"]
        _say(f"overload: twice the sustained rate ({2 * max(sustained, 25)}/s) on SQLite...")
        figures["overload"] = await overload_bench.measure(
            2 * max(sustained, 25), 2.0 if quick else 10.0, overload_bench.MAX_IN_FLIGHT
        )
        count = 500 if quick else 10_000
        _say(f"{count:,} connected parties...")
        figures["parties"] = await parties(certs, count, 4, f"sqlite:///{tmp}/parties.db")
        _say(f"{count:,} connected parties over two replicas on PostgreSQL...")
        with pg_schema("parties") as pg_url:
            figures["parties_replicas"] = await parties(
                certs, count, 4, pg_url, replicas=2, prefix="desk"
            )
    _say("deadlines...")
    pending = 10_000 if quick else 100_000
    probes, spread = (300, 5.0) if quick else (2000, 20.0)
    figures["deadlines"] = await deadline_bench.run(pending, probes, spread, None)
    figures["deadlines"]["baseline_apscheduler"] = await deadline_bench.baseline(
        [spread * i / probes for i in range(probes)]
    )
    _say(f"a burst of {BURST:,} deadlines due at one moment...")
    figures["burst_sqlite"] = await deadline_bench.run(0, BURST, 0.0, None)
    with pg_schema("burst") as pg_url:
        figures["burst_postgresql"] = await deadline_bench.run(0, BURST, 0.0, pg_url)
    figures["burst_baseline_apscheduler"] = await deadline_bench.baseline([0.0] * BURST)
    return figures


def report(f: dict[str, Any]) -> dict[str, Any]:
    sqlite, pg = f["hub_sqlite"], f["hub_postgresql"]
    at200 = sqlite["loads"].get("200", {})
    summary = {
        "ceiling_unary_rps": f["ceiling"]["unary"]["rps"],
        "ceiling_stream_rps": f["ceiling"]["stream"]["rps"],
        "jetstream_rps": f["jetstream"]["rps"],
        "jetstream_p99_ms": f["jetstream"]["p99_ms"],
        "hub_sustained_signals_per_s": sqlite["sustained_signals_per_s"],
        "hub_sustained_signals_per_s_postgresql": pg["sustained_signals_per_s"],
        "hub_dispatch_p99_ms_at_200": at200.get("p99_ms"),
        "hub_dispatch_p99_ms_at_200_postgresql": pg["loads"].get("200", {}).get("p99_ms"),
        "hub_ack_round_trip_p99_ms": sqlite["ack_round_trip"]["p99_ms"],
        "connected_parties": f["parties"]["connected_parties"],
        "hub_rss_mib_connected": f["parties"]["hub_rss_mib_connected"],
        "delivery_to_one_p99_ms_connected": f["parties"]["delivery_to_one"]["p99_ms"],
        "deadline_lateness_p99_ms": f["deadlines"]["hub"]["p99_ms"],
        "deadline_resume_s": f["deadlines"]["restart"]["resume_s"],
    }
    ceiling_rps = summary["ceiling_unary_rps"]
    jetstream_rps = summary["jetstream_rps"]
    rows = [
        ("ceiling: unary echo rps", ceiling_rps, ""),
        ("ceiling: stream echo rps", summary["ceiling_stream_rps"], ""),
        ("JetStream: durable publish+ack rps", summary["jetstream_rps"], ""),
        ("JetStream: end-to-end p99 ms", summary["jetstream_p99_ms"], ""),
        (
            "hub SQLite: sustained signals/s (p99<100ms)",
            summary["hub_sustained_signals_per_s"],
            f"hub/ceiling {summary['hub_sustained_signals_per_s'] / ceiling_rps:.1%},"
            f" hub/JetStream {summary['hub_sustained_signals_per_s'] / jetstream_rps:.1%}",
        ),
        (
            "hub PostgreSQL: sustained signals/s",
            summary["hub_sustained_signals_per_s_postgresql"],
            f"hub/ceiling {summary['hub_sustained_signals_per_s_postgresql'] / ceiling_rps:.1%},"
            f" hub/JetStream"
            f" {summary['hub_sustained_signals_per_s_postgresql'] / jetstream_rps:.1%}",
        ),
    ]
    for db, data in (("SQLite", sqlite), ("PostgreSQL", pg)):
        for rate, load in data["loads"].items():
            rows.append(
                (
                    f"hub {db}: signal->DISPATCH p50/p99/max ms at {rate}/s",
                    load["p99_ms"],
                    f"p50 {load['p50_ms']:.1f}, max {load['max_ms']:.1f},"
                    f" {load['delivered']}/{load['sent']} delivered",
                )
            )
    two = f["hub_postgresql_replicas"]
    rows.append(
        (
            "hub PostgreSQL, two replicas: sustained signals/s",
            two["sustained_signals_per_s"],
            f"one replica {summary['hub_sustained_signals_per_s_postgresql']}/s;"
            " shops through both, the desk on one",
        )
    )
    for rate, load in two["loads"].items():
        rows.append(
            (
                f"hub PostgreSQL, two replicas: p99 ms at {rate}/s",
                load["p99_ms"],
                f"p50 {load['p50_ms']:.1f}, {load['delivered']}/{load['sent']} delivered",
            )
        )
    across, same = f["replica_delivery"]["across_replicas"], f["replica_delivery"]["same_replica"]
    rows.append(
        (
            "replicas: DISPATCH across replicas p99 ms",
            across["p99_ms"],
            f"p50 {across['p50_ms']:.1f}; same replica p50 {same['p50_ms']:.1f},"
            f" p99 {same['p99_ms']:.1f}",
        )
    )
    over = f["overload"]["overload"]
    rows += [
        (
            f"overload {over['offered_per_s']:.0f}/s: IMMINENT->DISPATCH p99 ms",
            over["imminent_dispatch"]["p99_ms"],
            f"{over['imminent_delivered']}/{over['imminent_sent']} delivered; at half the rate"
            f" p99 {f['overload']['baseline']['imminent_dispatch']['p99_ms']:.1f} ms",
        ),
        (
            f"overload {over['offered_per_s']:.0f}/s: acknowledgement p99 ms",
            over["ack"]["p99_ms"],
            f"{over['answered']}/{over['signals']} signals in,"
            f" {over['low_waited_for_retry']} LOW retried after HUB_OVERLOADED",
        ),
    ]
    rows += [
        ("hub: acknowledgement round trip p99 ms", summary["hub_ack_round_trip_p99_ms"], ""),
        (
            f"hub: RSS MiB with {summary['connected_parties']:,} parties connected",
            summary["hub_rss_mib_connected"],
            f"idle {f['parties']['hub_rss_mib_idle']:.0f} MiB",
        ),
        (
            "hub: delivery to one party p99 ms (all connected)",
            summary["delivery_to_one_p99_ms_connected"],
            f"p50 {f['parties']['delivery_to_one']['p50_ms']:.1f} ms",
        ),
        (
            f"two replicas: RSS MiB of the larger, {summary['connected_parties']:,} parties",
            f["parties_replicas"]["hub_rss_mib_connected"],
            "each "
            + " + ".join(f"{r:.0f}" for r in f["parties_replicas"]["hub_rss_mib_connected_each"])
            + f" MiB; delivery p99 {f['parties_replicas']['delivery_to_one']['p99_ms']:.1f} ms",
        ),
        (
            "deadlines: lateness p99 ms",
            summary["deadline_lateness_p99_ms"],
            f"APScheduler alone {f['deadlines']['baseline_apscheduler']['p99_ms']:.1f} ms",
        ),
        ("deadlines: restart resume s", summary["deadline_resume_s"], ""),
    ]
    for db in ("sqlite", "postgresql"):
        burst = f[f"burst_{db}"]["hub"]
        rows.append(
            (
                f"deadlines: {BURST:,} due at once, {db}: all fired within ms",
                burst["max_ms"],
                f"p99 {burst['p99_ms']:.1f} ms, {burst['fired']:,} fired;"
                f" APScheduler alone max {f['burst_baseline_apscheduler']['max_ms']:.1f} ms",
            )
        )
    print(f"\n{'measure':<58}{'value':>12}  beside")
    for name, value, note in rows:
        shown = "-" if value is None else f"{value:,.1f}"
        print(f"{name:<58}{shown:>12}  {note}")
    return summary


def run() -> None:
    parser = argparse.ArgumentParser(description="Lifeline Hub benchmarks (docs/benchmarks.md)")
    parser.add_argument("--quick", action="store_true", help="a reduced run, about four minutes")
    parser.add_argument(
        "--parties-only", type=int, metavar="N", help="only part 4, with N connected parties"
    )
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # thousands of connections
    if args.parties_only:
        print(json.dumps(asyncio.run(parties_alone(args.parties_only)), indent=2))
        return
    began = time.perf_counter()
    figures = asyncio.run(main(args.quick))
    summary = report(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {**summary, "details": figures, "seconds": time.perf_counter() - began},
            indent=2,
            default=str,
        )
    )
    print(f"\nwritten to {RESULTS} ({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    run()
