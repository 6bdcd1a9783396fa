"""A partner in another language: a Node.js police desk (@grpc/grpc-js and
@grpc/proto-loader) acknowledges a DISPATCH and reports its outcome over mutual
TLS, signing its receipts as docs/signed-messages.md says."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest
from lifeline.hub.v1 import handoff_pb2, handoff_service_pb2

from hub.cases.evidence import export, verify
from hub.store.certs import load_certificate
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, signal

NODE_DIR = Path(__file__).parent / "node"
PROTOS = Path(__file__).parent.parent / "protos"


@pytest.fixture(scope="session")
def node_partner() -> Path:
    """tests/node with its npm packages installed (from package-lock.json)."""
    installed = (NODE_DIR / "node_modules" / "@grpc" / "grpc-js").exists()
    if shutil.which("node") is None or not installed:
        reason = (
            "Node.js and tests/node's packages are needed (scripts/setup installs them with npm)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI never skips this test")
        pytest.skip(reason)
    return NODE_DIR / "police_desk.js"


async def test_a_node_police_desk_acknowledges_and_reports(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    node_partner: Path,
    sqlite_url: str,
) -> None:
    hub = await start_hub(certs_dir, sqlite_url)
    for party in ("duty-desk", "police-110105"):
        await connect(hub, certs_dir, party).whoami()
    reported = await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(
            MERCHANT,
            buyer="b1",
            address="Building 3, flat 802",
            jurisdiction="110105",
            situation="will jump tonight",
            stated_intent=True,
            method_prepared=True,
        )
    )
    parties = certs_dir / "parties"
    process = await asyncio.create_subprocess_exec(
        "node",
        str(node_partner),
        f"127.0.0.1:{hub.port}",
        str(parties / "police-110105.pem"),
        str(parties / "police-110105.key"),
        str(certs_dir / "ca.pem"),
        str(PROTOS),
        "police-110105",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    result = json.loads(out)
    assert result["acknowledged"] == "STATE_ACKNOWLEDGED"
    assert result["completed"] == "STATE_COMPLETED"
    assert result["situation_before_ack"] == "will jump tonight"
    assert result["address_before_ack"] == ""
    assert result["address_after_ack"] == "Building 3, flat 802"
    got = await connect(hub, certs_dir, "duty-desk").handoffs.GetHandoff(
        handoff_service_pb2.GetHandoffRequest(handoff_id=result["handoff_id"])
    )
    assert got.handoff.outcome.code == handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE
    # The Node.js receipts are evidence like any other: they verify offline.
    bundle = hub.db.transaction(lambda s: export(s, reported.case.case_id))
    verify(json.loads(json.dumps(bundle)), load_certificate(certs_dir / "ca.pem"))
    kinds = {(m["kind"], m["issuer"]) for m in bundle["messages"]}
    assert {("KIND_ACKNOWLEDGEMENT", "police-110105"), ("KIND_OUTCOME", "police-110105")} <= kinds
