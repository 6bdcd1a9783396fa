"""What one signal costs the hub: 100 signals one after another, then 200 at once,
against a hub in this process (mTLS gRPC, SQLite with durable commits).

    .venv/bin/python -m bench.signal_cost [--db URL]

The figure the hot-path work in docs/benchmarks.md was measured with.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.suite import BASE_PARTIES, _pki, _signal
from connectors import ConnectorConfig, HubClient
from hub import Hub, HubConfig


async def measure(db_url: str | None) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as tmp:
        certs = Path(tmp) / "certs"
        _pki(certs, BASE_PARTIES)
        config = HubConfig(
            certs_dir=certs, listen="127.0.0.1:0", db_url=db_url or f"sqlite:///{tmp}/hub.db"
        )
        hub = await Hub.start(config)
        address = f"127.0.0.1:{hub.port}"
        clients = [
            HubClient(ConnectorConfig.for_party(certs, p.party_id, address)) for p in BASE_PARTIES
        ]
        try:
            for client in clients:
                await client.whoami()  # registers the duty desk and the police desk
            shop = clients[1]
            began = time.perf_counter()
            for i in range(100):
                await shop.report_signal(_signal(f"sequential-{i}"))
            sequential_ms = (time.perf_counter() - began) * 10
            began = time.perf_counter()
            await asyncio.gather(
                *(shop.report_signal(_signal(f"together-{i}")) for i in range(200))
            )
            per_second = 200 / (time.perf_counter() - began)
        finally:
            for client in clients:
                await client.close()
            await hub.stop()
    return sequential_ms, per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary directory)")
    sequential_ms, per_second = asyncio.run(measure(parser.parse_args().db))
    print(f"sequential: {sequential_ms:.1f} ms per signal; 200 at once: {per_second:.1f} signals/s")


if __name__ == "__main__":
    main()
