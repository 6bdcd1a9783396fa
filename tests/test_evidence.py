"""Evidence: a case's signed messages, receipts and timeline, verified offline, in
full and narrowed for a role; and the address released to the acknowledging desk only."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from lifeline.hub.v1 import case_pb2, handoff_pb2, signed_pb2

from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, handoffs, has_handoff, read_inbox, signal
from wire import claims, reasons

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH


async def _played_case(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> tuple[str, str]:
    """A case with a signal, a DISPATCH, its acknowledgement and outcome, an order and a parcel."""
    hub = await start_hub(certs_dir, db_url)
    for party in ("duty-desk", "police-110105", "courier-1"):
        await connect(hub, certs_dir, party).whoami()
    reported = await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-1",
            phone="13800000000",
            address="Flat 8, Building 3",
            jurisdiction="110105",
            orders=[case_pb2.OrderReference(order_id="o-1")],
            parcels=[case_pb2.ParcelReference(tracking_number="SF1", courier_party_id="courier-1")],
            situation="will jump tonight",
            stated_intent=True,
            method_prepared=True,
        )
    )
    police = connect(hub, certs_dir, "police-110105")
    before = await read_inbox(police, has_handoff(DISPATCH))
    dispatch = handoffs(before)[0]
    names = {
        signed_pb2.Disclosure.FromString(d).name for d in before[-1].signed_handoff.disclosures
    }
    assert "address_text" not in names and "situation" in names
    await police.acknowledge_handoff(dispatch.handoff_id)
    after = await read_inbox(
        police,
        has_handoff(DISPATCH, handoff_pb2.Handoff.STATE_ACKNOWLEDGED),
        after_sequence=before[-1].sequence,
    )
    names = {signed_pb2.Disclosure.FromString(d).name for d in after[-1].signed_handoff.disclosures}
    assert {"address_text", "contact_phone"} <= names
    await police.complete_handoff(
        dispatch.handoff_id, handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE)
    )
    await hub.stop()
    return reported.case.case_id, dispatch.handoff_id


def _lifeline(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], capture_output=True, text=True, timeout=120
    )


def _messages(bundle: dict) -> list[tuple[str, str, set[str]]]:
    out = []
    for item in bundle["messages"]:
        message = signed_pb2.SignedMessage.FromString(base64.b64decode(item["message"]))
        names = {signed_pb2.Disclosure.FromString(d).name for d in message.disclosures}
        out.append((item["kind"], item["issuer"], names))
    return out


async def test_full_bundle_verifies_and_names_the_first_tampering(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, sqlite_url: str, tmp_path: Path
) -> None:
    case_id, _ = await _played_case(start_hub, connect, certs_dir, sqlite_url)
    out = tmp_path / "case.json"
    exported = _lifeline("evidence", "export", case_id, "--out", str(out), "--db", sqlite_url)
    assert exported.returncode == 0, exported.stderr
    bundle = json.loads(out.read_text())
    kinds = {(kind, issuer) for kind, issuer, _ in _messages(bundle)}
    # The signal, the hub's handoffs, and the desk's signed receipts: who held the case, and when.
    assert {
        ("KIND_SIGNAL", "shop-1"),
        ("KIND_HANDOFF", "hub"),
        ("KIND_ACKNOWLEDGEMENT", "police-110105"),
        ("KIND_OUTCOME", "police-110105"),
    } <= kinds
    ok = _lifeline("evidence", "verify", str(out), "--ca", str(certs_dir / "ca.pem"))
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("OK:")

    # Tamper with a disclosure of the signal: the bundle fails, naming the message.
    message = signed_pb2.SignedMessage.FromString(
        base64.b64decode(bundle["messages"][0]["message"])
    )
    forged = signed_pb2.Disclosure.FromString(message.disclosures[0])
    forged.value = json.dumps("nothing to see")
    message.disclosures[0] = forged.SerializeToString()
    bad = dict(
        bundle,
        messages=[
            {
                **bundle["messages"][0],
                "message": base64.b64encode(message.SerializeToString()).decode(),
            },
            *bundle["messages"][1:],
        ],
    )
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    failed = _lifeline(
        "evidence", "verify", str(tmp_path / "bad.json"), "--ca", str(certs_dir / "ca.pem")
    )
    assert failed.returncode == 1
    assert failed.stdout.startswith("FAILED: message 1 (KIND_SIGNAL")
    assert reasons.DISCLOSURE_UNKNOWN in failed.stdout

    # Rewrite history on the timeline: the chain names the event.
    timeline = bundle["timelines"][case_id]
    timeline[1]["body"]["summary"] = "graded LOW"
    (tmp_path / "bad2.json").write_text(json.dumps(bundle))
    failed = _lifeline(
        "evidence", "verify", str(tmp_path / "bad2.json"), "--ca", str(certs_dir / "ca.pem")
    )
    assert failed.returncode == 1
    assert f"timeline of case {case_id}, event 2: content does not match its hash" in failed.stdout

    # Against another CA, nothing verifies.
    other = tmp_path / "other"
    assert _lifeline("certs", "init", "--dir", str(other)).returncode == 0
    failed = _lifeline("evidence", "verify", str(out), "--ca", str(other / "ca.pem"))
    assert failed.returncode == 1 and reasons.SIGNER_CERTIFICATE_INVALID in failed.stdout


async def test_bundles_for_a_role_hold_only_what_it_may_see_and_still_verify(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, sqlite_url: str, tmp_path: Path
) -> None:
    case_id, _ = await _played_case(start_hub, connect, certs_dir, sqlite_url)
    seen: dict[str, dict] = {}
    for role, party in (("courier", "courier-1"), ("police", ""), ("merchant", "")):
        out = tmp_path / f"{role}.json"
        narrowing = ["--for-role", role] + (["--party", party] if party else [])
        assert (
            _lifeline(
                "evidence", "export", case_id, "--out", str(out), "--db", sqlite_url, *narrowing
            ).returncode
            == 0
        )
        ok = _lifeline("evidence", "verify", str(out), "--ca", str(certs_dir / "ca.pem"))
        assert ok.returncode == 0, ok.stdout
        seen[role] = json.loads(out.read_text())
    courier = _messages(seen["courier"])
    # The courier's bundle: its parcel, its own handoff; not a word about her state of mind.
    assert ("KIND_SIGNAL", "shop-1", {claims.PARCEL}) in courier
    assert all(
        not names & {claims.SITUATION, claims.INDICATORS, claims.ADDRESS, "situation", "risk_level"}
        for _, _, names in courier
    )
    assert not any(issuer == "police-110105" for _, issuer, _ in courier)
    police = _messages(seen["police"])
    assert ("KIND_ACKNOWLEDGEMENT", "police-110105", {claims.STATE}) in police
    assert any(kind == "KIND_HANDOFF" and "address_text" in names for kind, _, names in police)
    assert all(claims.ORDER not in names for _, _, names in police)
    # Timeline bodies are withheld for roles, their hashes kept.
    assert any("body_hash" in e for e in seen["police"]["timelines"][case_id])
    # A merchant, without naming which, is shown no order of anyone's.
    assert all(claims.ORDER not in names for _, _, names in _messages(seen["merchant"]))
