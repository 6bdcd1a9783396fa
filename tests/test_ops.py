"""The operator's port (hub/api/ops.py): liveness, readiness and Prometheus metrics over
plain HTTP, for tools that hold no party certificate; and ports another process holds."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import grpc
import httpx
import pytest
from lifeline.hub.v1.handoff_service_pb2 import GetHandoffRequest
from prometheus_client.parser import text_string_to_metric_families

from connectors import HubClient
from connectors.errors import LifelineError
from hub.api.server import Hub
from hub.domain.deadlines import DeadlinePolicy
from tests.conftest import ClientFactory, DatabaseFactory, HubFactory, ManualClock
from tests.flows import imminent
from wire import reasons

OPS = {"ops_listen": "127.0.0.1:0"}


def _ops(hub: Hub) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.ops_port}", timeout=10)


async def _samples(hub: Hub) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with _ops(hub) as http:
        page = await http.get("/metrics")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page.text)
        for s in family.samples
    }


async def test_a_load_balancer_asks_whether_the_hub_lives_and_is_ready(
    start_hub: HubFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir, **OPS)
    async with _ops(hub) as http:
        alive = await http.get("/healthz")
        ready = await http.get("/readyz")
    assert alive.status_code == 200 and alive.text == "ok\n"
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": {
            "background": "ok",
            "crl": "ok",
            "database": "ok",
            "schema": "ok",
            "writes": "ok",
        },
    }


async def test_metrics_count_calls_signals_handoffs_and_backlog(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir, **OPS)
    await connect(hub, certs_dir, "police-110105").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent("buyer-metrics"))
    with pytest.raises(LifelineError):
        await shop.handoffs.GetHandoff(GetHandoffRequest(handoff_id="handoff-missing"))
    samples = await _samples(hub)
    calls = "lifeline_calls_total"
    assert samples[(calls, (("code", "OK"), ("method", "CaseService/ReportSignal")))] == 1
    assert samples[(calls, (("code", "NOT_FOUND"), ("method", "HandoffService/GetHandoff")))] == 1
    assert samples[("lifeline_signals_total", (("source", "MERCHANT_CHAT"),))] == 1
    assert samples[("lifeline_handoffs", (("kind", "DISPATCH"), ("state", "PENDING")))] == 1
    # Nobody has read the police desk's inbox: its DISPATCH waits there.
    assert samples[("lifeline_inbox_backlog_messages", (("role", "police"),))] >= 1
    assert samples[("lifeline_group_commit_units_count", ())] >= 1
    assert samples[("lifeline_open_streams", ())] == 0
    [replica] = [labels for name, labels in samples if name == "lifeline_replica_info"]
    assert dict(replica)["replica"].endswith(f":{os.getpid()}")


async def test_deadline_lateness_is_a_histogram(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(
        certs_dir,
        clock=clock,
        deadlines=DeadlinePolicy(retry_attempts=0, retry_jitter=0.0),
        deadline_sweep_seconds=3600,  # the test sweeps
        signature_skew_seconds=86400,
        **OPS,
    )
    await connect(hub, certs_dir, "police-110105").whoami()
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-late"))
    # The hub was away for a day: everything due fired a day late, or nearly.
    clock.advance(dt.timedelta(days=1))
    assert await hub.scheduler.sweep() >= 1
    samples = await _samples(hub)
    fired = samples[("lifeline_deadline_lateness_seconds_count", ())]
    assert fired >= 1
    assert samples[("lifeline_deadline_lateness_seconds_bucket", (("le", "60.0"),))] == 0
    assert samples[("lifeline_deadline_lateness_seconds_sum", ())] > fired * 20 * 3600


async def test_a_crl_the_hub_cannot_read_makes_it_unready(
    start_hub: HubFactory, fresh_certs_dir: Path
) -> None:
    hub = await start_hub(fresh_certs_dir, **OPS)
    crl = fresh_certs_dir / "crl.pem"
    good = crl.read_bytes()
    crl.write_bytes(b"not a CRL")
    async with _ops(hub) as http:
        unready = await http.get("/readyz")
        assert unready.status_code == 503
        assert "cannot read" in unready.json()["checks"]["crl"]
        crl.write_bytes(good)
        assert (await http.get("/readyz")).status_code == 200


async def test_readiness_follows_the_database_away_and_back(
    start_hub: HubFactory, certs_dir: Path, new_database: DatabaseFactory
) -> None:
    database = new_database("ops")
    hub = await start_hub(certs_dir, database.url, **OPS)
    async with _ops(hub) as http:
        assert (await http.get("/readyz")).status_code == 200
        database.close()  # the database goes away
        away = await http.get("/readyz")
        assert away.status_code == 503
        assert away.json()["checks"]["database"] != "ok"
        assert (await http.get("/healthz")).status_code == 200  # alive all the same
        database.open()
        back = await http.get("/readyz")
        assert back.status_code == 200, back.text


async def _refused_then_taken(
    hub: Hub, shop: HubClient, buyer: str, make_writable: Callable[[], object]
) -> None:
    """While the database takes no writes: /readyz names it and a signal is refused
    UNAVAILABLE (STORAGE_UNAVAILABLE, never INTERNAL), nothing stored; once it takes
    writes again, the hub is ready and the same signal is in, without a restart."""
    async with _ops(hub) as http:
        unready = await http.get("/readyz")
        assert unready.status_code == 503, unready.text
        checks = unready.json()["checks"]
        assert checks["database"] == "ok"  # it still reads
        assert "read-only" in checks["writes"], checks
        with pytest.raises(LifelineError) as refused:
            await shop.report_signal(**imminent(buyer))
        assert refused.value.code == grpc.StatusCode.UNAVAILABLE
        assert refused.value.reason == reasons.STORAGE_UNAVAILABLE
        assert "read-only" in refused.value.message
        make_writable()
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
    taken = await shop.report_signal(**imminent(buyer))
    assert taken.case.case_id


async def test_a_postgresql_that_takes_no_writes_makes_the_hub_unready_not_internal(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    new_database: DatabaseFactory,
) -> None:
    database = new_database("readonly")
    hub = await start_hub(certs_dir, database.url, **OPS)
    shop = connect(hub, certs_dir, "shop-1")
    await shop.whoami()
    database.take_writes(False)  # as a standby after a failover is
    await _refused_then_taken(hub, shop, "buyer-standby", lambda: database.take_writes(True))


async def test_a_sqlite_file_that_takes_no_writes_makes_the_hub_unready_not_internal(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/hub.db"
    await (await start_hub(certs_dir, url)).stop()  # the schema, made
    immutable = subprocess.run(["chattr", "+i", str(tmp_path / "hub.db")], check=False)
    assert immutable.returncode == 0, "chattr +i needs root (the tests run as root)"
    try:
        hub = await start_hub(certs_dir, url, **OPS)  # on a file it cannot write
        shop = connect(hub, certs_dir, "shop-1")
        await _refused_then_taken(
            hub,
            shop,
            "buyer-readonly-file",
            lambda: subprocess.run(["chattr", "-i", str(tmp_path / "hub.db")], check=True),
        )
    finally:
        subprocess.run(["chattr", "-i", str(tmp_path / "hub.db")], check=False)


async def test_a_port_another_process_holds_is_refused(
    start_hub: HubFactory, certs_dir: Path, tmp_path: Path
) -> None:
    first = await start_hub(certs_dir, **OPS)
    other_db = f"sqlite:///{tmp_path}/other.db"
    with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{first.port}"):
        await start_hub(certs_dir, other_db, listen=f"127.0.0.1:{first.port}")
    # One line an operator reads, not the socket module's own wording of it.
    with pytest.raises(OSError, match=r"operator's port \(Address already in use\)$"):
        await start_hub(certs_dir, other_db, ops_listen=f"127.0.0.1:{first.ops_port}")


async def test_the_shipped_alert_rules_and_dashboard_use_only_series_the_hub_exports(
    start_hub: HubFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir, **OPS)
    async with _ops(hub) as http:
        page = (await http.get("/metrics")).text
    exported = {
        name
        for family in text_string_to_metric_families(page)
        for name in (family.name, *(s.name for s in family.samples))
    }
    # A labelled counter's or a histogram's series appear once something is counted;
    # their family is exported from the start.
    suffixes = ("_total", "_bucket", "_sum", "_count")
    exported |= {f"{n}{suffix}" for n in exported for suffix in suffixes}
    shipped = Path(__file__).parent.parent / "docs" / "operations"
    for file in ("alerts.yml", "grafana-dashboard.json"):
        named = set(re.findall(r"\blifeline_[a-z_]+", (shipped / file).read_text()))
        assert named, file
        assert named <= exported, f"{file} names series the hub does not export: {named - exported}"


async def test_a_replica_whose_background_work_stopped_is_not_ready(
    start_hub: HubFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir, **OPS)
    [watcher] = [t for t in hub.background_tasks() if t.get_name() == "inbox-watcher"]
    watcher.cancel()  # as if it had died: its desks would never again get other replicas' work
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    async with _ops(hub) as http:
        unready = await http.get("/readyz")
    assert unready.status_code == 503
    assert unready.json()["checks"]["background"] == "stopped: inbox-watcher"
