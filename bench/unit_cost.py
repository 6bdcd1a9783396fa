"""What one signal's and one acknowledgement's unit of work costs inside the hub, without
gRPC: Python function calls on the writer thread (cProfile; a count no load changes) and
SQL statements (a before_cursor_execute listener), per unit.

    .venv/bin/python -m bench.unit_cost [--signals 200]

The use cases run as the edge calls them, on an in-process SQLite store, with messages
signed by the parties' real keys (tests/in_process.py); each signal opens a case with one
DISPATCH (the policy asks for DISPATCH only, as bench/signal_cost.py's hub does), and the
police desk then acknowledges each. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import pstats
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import handoff_pb2
from sqlalchemy import event

from bench.common import signal
from hub.store import db as store_db
from hub.store.certs import CertificateAuthority
from tests.conftest import PARTIES, ManualClock
from tests.in_process import InProcessHub


async def _counted(
    hub: InProcessHub, calls: list[Callable[[], Awaitable[Any]]]
) -> tuple[float, float]:
    """(writer-thread function calls, SQL statements) per call, over all of `calls`."""
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    profile = cProfile.Profile()
    commit = store_db._GroupCommitter._commit

    def profiled(writer: Any) -> None:
        profile.enable()
        try:
            commit(writer)
        finally:
            profile.disable()

    event.listen(hub.cases.db.engine, "before_cursor_execute", count)
    store_db._GroupCommitter._commit = profiled  # type: ignore[method-assign,assignment]
    try:
        for call in calls:
            await call()
    finally:
        store_db._GroupCommitter._commit = commit  # type: ignore[method-assign]
        event.remove(hub.cases.db.engine, "before_cursor_execute", count)
    total = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return total / len(calls), statements / len(calls)


async def measure(signals: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="lifeline-units-") as tmp:
        certs = Path(tmp) / "certs"
        ca = CertificateAuthority(certs)
        ca.init()
        for party in PARTIES.values():
            ca.issue(party)
        hub = await InProcessHub.open(f"sqlite:///{tmp}/hub.db", certs, ManualClock())
        hub.cases.policy = dataclasses.replace(
            hub.cases.policy, auto_kinds=frozenset({handoff_pb2.HANDOFF_KIND_DISPATCH})
        )
        shop, police = PARTIES["shop-1"], PARTIES["police-110105"]
        await hub.admit(shop, police, PARTIES["duty-desk"])
        try:
            for i in range(20):  # warm-up: statement caches, first rows
                await hub.report(shop, signal(f"warm-{i}"))
            figures = {
                "signal": await _counted(
                    hub,
                    [
                        lambda i=i: hub.report(shop, signal(f"signal-{i}"))  # type: ignore[misc]
                        for i in range(signals)
                    ],
                )
            }
            pending = [
                h.handoff_id
                for h in await hub.handoffs_of(police)
                if h.state == handoff_pb2.Handoff.STATE_PENDING
            ]
            figures["acknowledgement"] = await _counted(
                hub,
                [lambda h=h: hub.acknowledge(police, h) for h in pending],  # type: ignore[misc]
            )
        finally:
            hub.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=200)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.signals))
    print(f"{'unit':<18}{'calls':>10}{'statements':>12}")
    for unit, (calls, statements) in figures.items():
        print(f"{unit:<18}{calls:>10.0f}{statements:>12.1f}")


if __name__ == "__main__":
    main()
