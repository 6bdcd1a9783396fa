"""The restore drill of docs/operations.md, run for real: back up a hub's PostgreSQL
database with pg_dump while it serves, restore it into a new database with pg_restore,
start a hub on the copy, and find every case there with its timeline's chain intact."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from lifeline.hub.v1 import case_service_pb2

from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent


@pytest.fixture
def two_databases(postgres_server: str) -> Iterator[tuple[str, str]]:
    """The live database and an empty one to restore into."""
    names = [f"drill_{uuid.uuid4().hex[:10]}_{which}" for which in ("live", "restored")]
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(postgres_server)
    yield tuple(url.set(database=n).render_as_string(False) for n in names)  # type: ignore[misc]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(False)


async def test_a_backup_restores_into_a_hub_that_finds_every_case(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    two_databases: tuple[str, str],
    tmp_path: Path,
) -> None:
    live, restored = two_databases
    hub = await start_hub(certs_dir, live)
    await connect(hub, certs_dir, "police-110105").whoami()
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-drill"))
    case_id = reported.case.case_id
    dump = tmp_path / "hub.dump"
    # While the hub serves: pg_dump reads one consistent snapshot.
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _libpq(live)], check=True)
    subprocess.run(["pg_restore", "--no-owner", "-d", _libpq(restored), str(dump)], check=True)
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
