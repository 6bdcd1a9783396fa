"""The restore drill of docs/operations.md, run for real: back up a hub's PostgreSQL
database with pg_dump while it serves, restore it into a new database with pg_restore,
start a hub on the copy, and find every case there with its timeline's chain intact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lifeline.hub.v1 import case_service_pb2

from hub.store import notifications
from tests.conftest import ClientFactory, DatabaseFactory, HubFactory
from tests.flows import imminent


async def test_a_backup_restores_into_a_hub_that_finds_every_case(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    new_database: DatabaseFactory,
    tmp_path: Path,
) -> None:
    live, restored = new_database("drill_live").url, new_database("drill_copy").url
    hub = await start_hub(certs_dir, live)
    await connect(hub, certs_dir, "police-110105").whoami()
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-drill"))
    case_id = reported.case.case_id
    dump = tmp_path / "hub.dump"
    # While the hub serves: pg_dump reads one consistent snapshot.
    source, target = notifications.libpq_url(live), notifications.libpq_url(restored)
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), source], check=True)
    subprocess.run(["pg_restore", "--no-owner", "-d", target, str(dump)], check=True)
    copy = await start_hub(certs_dir, restored)
    desk = connect(copy, certs_dir, "duty-desk")
    found = await desk.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))
    assert found.case.case_id == case_id
    audit = subprocess.run(
        [sys.executable, "-m", "hub", "audit", "verify", "--db", restored],
        capture_output=True,
        text=True,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
