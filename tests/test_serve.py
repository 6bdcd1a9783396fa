"""`lifeline serve` as a process: it starts, serves, and stops cleanly on a signal."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from connectors import ConnectorConfig, HubClient
from connectors.channel import secure_channel
from connectors.errors import HubUnavailableError
from hub.process import spawn_hub
from tests.flows import imminent


async def _serve(certs_dir: Path, tmp_path: Path) -> tuple[asyncio.subprocess.Process, str]:
    process, port = await spawn_hub(
        certs_dir, f"sqlite:///{tmp_path}/hub.db", "--grace", "5", stderr=asyncio.subprocess.PIPE
    )
    return process, f"127.0.0.1:{port}"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_stops_gracefully_on_signal(certs_dir: Path, tmp_path: Path, signum: int) -> None:
    process, address = await _serve(certs_dir, tmp_path)
    config = ConnectorConfig.for_party(certs_dir, "police-110105", address)
    async with HubClient(config) as client:
        assert (await client.whoami()).party_id == "police-110105"
    async with secure_channel(config) as channel:
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
        process.send_signal(signum)
        # An open stream hears that the hub is going away before it goes.
        assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    assert process.stderr is not None
    log = (await process.stderr.read()).decode()
    assert "hub stopped" in log
    assert "Traceback" not in log


async def test_a_stalled_database_does_not_keep_the_process_from_exiting(
    certs_dir: Path, postgres_url: str
) -> None:
    """SIGTERM while another session holds the hub's tables locked and a signal waits on
    them: the process ends within its grace period, exit 0, the signal told to send it
    again, instead of waiting for the lock (once 18 s after SIGTERM)."""
    process, port = await spawn_hub(
        certs_dir, postgres_url, "--grace", "1", stderr=asyncio.subprocess.PIPE
    )
    shop = HubClient(ConnectorConfig.for_party(certs_dir, "shop-1", f"127.0.0.1:{port}"))
    await shop.whoami()
    locker = sa.create_engine(postgres_url)
    try:
        with locker.connect() as session:
            session.execute(sa.text('LOCK TABLE "case", signal IN ACCESS EXCLUSIVE MODE'))
            signal_call = asyncio.create_task(shop.report_signal(**imminent("buyer-stalled")))
            await _locks_waited_on(session)
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=10) == 0
            with pytest.raises(HubUnavailableError):
                await signal_call
            session.rollback()
    finally:
        await shop.close()
        locker.dispose()
    assert process.stderr is not None
    assert "did not finish within the grace period" in (await process.stderr.read()).decode()


async def _locks_waited_on(session: sa.Connection) -> None:
    """Returns once another session waits on a lock (the hub's unit, on the tables)."""
    waiting = sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    while not session.execute(waiting).scalar():
        await asyncio.sleep(0.01)


async def test_missing_certs_dir_is_one_clear_line(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "serve",
        "--certs",
        str(tmp_path),
        "--listen",
        "127.0.0.1:0",
        "--db",
        f"sqlite:///{tmp_path}/hub.db",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert "Traceback" not in err.decode()
    assert "ca.pem" in err.decode()


async def test_demo_plays_the_six_cases(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "demo",
        "--json",
        str(out),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stdout.decode() + stderr.decode()
    summary = json.loads(out.read_text())
    assert summary["evidence_verified"] is True
    rows = {row["case"][:2]: row for row in summary["cases"]}
    assert len(rows) == 6
    assert {k for row in summary["cases"] for k in row} >= {
        "case",
        "risk",
        "handoffs",
        "police_ack_seconds",
        "escalations",
        "outcome",
    }
    # The silent Pudong desk: the hub escalated, and the city desk answered.
    assert rows["2."]["escalations"] >= 1 and rows["2."]["outcome"] == "PERSON_FOUND_SAFE"
    assert rows["1."]["risk"] == "IMMINENT"
    assert rows["3."]["outcome"] == "DE_ESCALATED"
    assert rows["5."]["outcome"] == "DRUG_IDENTIFIED"
    text = stdout.decode()
    assert "escalated to police-310100" in text
    assert "police-110105      knew:" in text
