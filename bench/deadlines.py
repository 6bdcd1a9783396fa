"""How late deadlines fire with 100,000 pending, and how long a restarted hub takes
to resume them; beside a baseline measured in the same run: APScheduler alone,
in memory, firing the same schedule with no database.

    .venv/bin/python -m bench.deadlines [--pending 100000] [--probes 2000] [--db URL] [--json FILE]

A real hub (mTLS gRPC, SQLite in a temporary directory unless --db) gets cases
through its API; then `pending` deadlines due tomorrow and `probes` due over the
next seconds are written, and the hub's own scheduler fires the probes. Lateness
is fired_time - due_time, read back from the deadline rows.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlmodel
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from lifeline.hub.v1 import case_pb2
from sqlmodel import col

from connectors import ConnectorConfig, HubClient
from hub import Hub, HubConfig
from hub.store.certs import CertificateAuthority
from hub.store.models import DeadlineRow
from wire.identity import PartyIdentity, Role

CASES = 50
INSERT_BATCH = 5000


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": ordered[-1]}


async def baseline(due_offsets: list[float]) -> dict[str, float]:
    """APScheduler alone: one in-memory job per probe, lateness of each run."""
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.start()
    lateness: list[float] = []
    done = asyncio.Event()
    start = dt.datetime.now(dt.UTC)

    def fire(due: dt.datetime) -> None:
        lateness.append((dt.datetime.now(dt.UTC) - due).total_seconds() * 1000)
        if len(lateness) == len(due_offsets):
            done.set()

    for offset in due_offsets:
        due = start + dt.timedelta(seconds=offset)
        scheduler.add_job(fire, "date", run_date=due, args=[due], misfire_grace_time=None)
    await asyncio.wait_for(done.wait(), timeout=max(due_offsets) + 60)
    scheduler.shutdown(wait=False)
    return percentiles(lateness)


async def _cases(hub: Hub, certs: Path) -> list[str]:
    # A duty desk is on duty, as in any deployment: a follow-up no committee can take
    # becomes its alert (without one, each probe only logged that nobody could take it).
    desk = ConnectorConfig.for_party(certs, "duty-desk", f"127.0.0.1:{hub.port}")
    async with HubClient(desk) as duty:
        await duty.whoami()
    config = ConnectorConfig.for_party(certs, "shop-bench", f"127.0.0.1:{hub.port}")
    async with HubClient(config) as shop:
        ids = []
        for i in range(CASES):
            signal = case_pb2.Signal(
                source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
                situation="benchmark",
                indicators=case_pb2.RiskIndicators(insomnia=True),
            )
            signal.subject.buyer_id = f"bench-{i}"
            ids.append((await shop.report_signal(signal)).case.case_id)
        return ids


def _insert(engine: sa.Engine, rows: list[dict[str, Any]]) -> None:
    # Through the table's types, so times are stored exactly as the hub stores them.
    defaults = {"kind": "follow_up", "attempt": 0, "state": "pending", "fired_by": ""}
    with engine.begin() as conn:
        for i in range(0, len(rows), INSERT_BATCH):
            conn.execute(sa.insert(DeadlineRow), [defaults | r for r in rows[i : i + INSERT_BATCH]])


async def run(pending: int, probes: int, spread: float, db_url: str | None) -> dict[str, Any]:
    # Each probe's alert is a warning in the hub's log: thousands of lines, no figure.
    logging.getLogger("hub.cases").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as tmp:
        certs = Path(tmp) / "certs"
        ca = CertificateAuthority(certs)
        ca.init()
        ca.issue(PartyIdentity("shop-bench", Role.MERCHANT))
        ca.issue(PartyIdentity("duty-desk", Role.PLATFORM))
        url = db_url or f"sqlite:///{tmp}/hub.db"
        config = HubConfig(certs_dir=certs, listen="127.0.0.1:0", db_url=url)
        hub = await Hub.start(config)
        cases = await _cases(hub, certs)
        now = dt.datetime.now(dt.UTC)
        far = now + dt.timedelta(days=1)
        print(f"writing {pending:,} pending deadlines (due tomorrow)...", file=sys.stderr)
        _insert(
            hub.db.engine,
            [
                {
                    "deadline_id": f"far-{i}",
                    "case_id": cases[i % CASES],
                    "due_time": far,
                    "create_time": now,
                }
                for i in range(pending)
            ],
        )
        # Probes start 2 s out, so writing them is done before the first is due.
        start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
        offsets = [spread * i / probes for i in range(probes)]
        _insert(
            hub.db.engine,
            [
                {
                    "deadline_id": f"probe-{i}",
                    "case_id": cases[i % CASES],
                    "due_time": start + dt.timedelta(seconds=o),
                    "create_time": now,
                }
                for i, o in enumerate(offsets)
            ],
        )
        hub.scheduler.wake_by(start)
        print(f"firing {probes:,} probes over {spread:.0f} s...", file=sys.stderr)
        deadline = time.monotonic() + spread + 120
        select = sqlmodel.select(col(DeadlineRow.due_time), col(DeadlineRow.fired_time)).where(
            col(DeadlineRow.deadline_id).like("probe-%"), col(DeadlineRow.state) == "fired"
        )
        while True:
            with hub.db.engine.connect() as conn:
                fired = conn.execute(select).all()
            if len(fired) == probes or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)  # polling the result, not waiting for the system under test
        lateness = [(f - d).total_seconds() * 1000 for d, f in fired if f is not None]
        hub_figures = percentiles(lateness) | {"fired": len(fired)}
        await hub.stop()

        # Restart with everything still pending plus overdue work: time to resume.
        overdue = min(1000, probes)
        back = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        _insert(
            hub.db.engine,
            [
                {
                    "deadline_id": f"overdue-{i}",
                    "case_id": cases[i % CASES],
                    "due_time": back,
                    "create_time": back,
                }
                for i in range(overdue)
            ],
        )
        began = time.perf_counter()
        again = await Hub.start(config)
        resumed_s = time.perf_counter() - began
        await again.scheduler.caught_up.wait()  # the backlog, worked while serving
        backlog_s = time.perf_counter() - began
        fired_at_start = again.scheduler.fired
        await again.stop()
    return {
        "pending": pending,
        "probes": probes,
        "hub": hub_figures,
        "restart": {
            "overdue": overdue,
            "fired_at_start": fired_at_start,
            "resume_s": resumed_s,
            "backlog_s": backlog_s,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=2000)
    parser.add_argument(
        "--spread", type=float, default=20.0, help="seconds the probes fall due over"
    )
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    due_offsets = [args.spread * i / args.probes for i in range(args.probes)]
    base = asyncio.run(baseline(due_offsets))
    figures = asyncio.run(run(args.pending, args.probes, args.spread, args.db))
    figures["baseline_apscheduler"] = base
    hub, restart = figures["hub"], figures["restart"]
    print(
        f"\ndeadline lateness, {args.pending:,} pending,"
        f" {args.probes:,} due over {args.spread:.0f} s"
    )
    print(f"{'':24}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, row in (("APScheduler alone", base), ("hub (durable)", hub)):
        print(f"{name:24}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}{row['max_ms']:>10.1f}")
    print(f"hub/baseline p99: {hub['p99_ms'] / max(base['p99_ms'], 0.001):.1f}x")
    print(
        f"restart with {args.pending + args.probes:,} rows and {restart['overdue']:,} overdue:"
        f" serving again in {restart['resume_s']:.2f} s; the {restart['fired_at_start']:,}"
        f" overdue fired, in the background, within {restart['backlog_s']:.2f} s"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
