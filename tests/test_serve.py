"""`lifeline serve` as a process: it starts, serves, and stops cleanly on a signal."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from connectors import ConnectorConfig, HubClient
from connectors.channel import secure_channel
from hub.process import spawn_hub


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
