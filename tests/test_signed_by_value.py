"""A partner in another language signs what docs/signed-messages.md says, in its own
JSON: the hub compares claims by value, names the first real difference, enforces
the party message lifetime, and the document's byte-exact examples are the code's."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import timestamp_pb2
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    signed_pb2,
)

from connectors.errors import InvalidArgumentError
from hub.api.signatures import MessageChecker
from hub.domain.clock import SystemClock
from hub.domain.errors import HubError
from hub.store import certs
from tests.conftest import ClientFactory, HubFactory
from tests.flows import handoffs, has_handoff, read_inbox
from wire import claims, reasons, signed
from wire.claim_types import parse_rfc3339
from wire.identity import PartyIdentity, Role
from wire.signed import Signer

ROOT = Path(__file__).resolve().parent.parent
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH


def _signer(certs_dir: Path, party_id: str) -> Signer:
    return Signer(
        certs.load_private_key(certs_dir / "parties" / f"{party_id}.key"),
        certs.load_certificate(certs_dir / "parties" / f"{party_id}.pem"),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _observed() -> timestamp_pb2.Timestamp:
    """A minute ago, with nanoseconds."""
    return timestamp_pb2.Timestamp(seconds=int(_now().timestamp()) - 60, nanos=123456789)


def _in_beijing(ts: timestamp_pb2.Timestamp) -> str:
    """The same instant as a partner in Beijing writes it: +08:00 and 9 fraction digits."""
    local = dt.datetime.fromtimestamp(ts.seconds, dt.timezone(dt.timedelta(hours=8)))
    return f"{local:%Y-%m-%dT%H:%M:%S}.{ts.nanos:09d}+08:00"


def _signal(observed: timestamp_pb2.Timestamp) -> case_pb2.Signal:
    signal = case_pb2.Signal(
        source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
        subject=case_pb2.SubjectReference(
            buyer_id="buyer-42",
            phone="13800000000",
            address=case_pb2.Address(jurisdiction_code="110105", text="Flat 8"),
        ),
        orders=[case_pb2.OrderReference(order_id="o-1", merchant_party_id="shop-1")],
        indicators=case_pb2.RiskIndicators(stated_intent=True, method_prepared=True),
        situation="says tonight is the end",
    )
    signal.observe_time.CopyFrom(observed)
    return signal


def _partner_claims(observed: timestamp_pb2.Timestamp) -> list[tuple[str, Any]]:
    """The signal's claims as another language's JSON writes them: an offset time with
    9 digits, JSON (camelCase) field names, defaults written out, an enum by number."""
    return [
        ("source", case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT),
        ("subject.buyer_id", "buyer-42"),
        ("subject.phone", "13800000000"),
        ("subject.address", {"jurisdictionCode": "110105", "text": "Flat 8"}),
        ("order", {"order_id": "o-1", "merchant_party_id": "shop-1", "item_summary": ""}),
        (
            "indicators",
            {"stated_intent": True, "method_prepared": True, "insomnia": False},
        ),
        ("situation", "says tonight is the end"),
        ("clinical_facts", ""),
        ("hospital_party_id", None),
        ("observe_time", _in_beijing(observed)),
    ]


def _checker(certs_dir: Path) -> MessageChecker:
    return MessageChecker(
        certs.load_cas_file(certs_dir / "ca.pem"), SystemClock(), dt.timedelta(minutes=5)
    )


SHOP = PartyIdentity("shop-1", Role.MERCHANT)


def _check(certs_dir: Path, message: signed_pb2.SignedMessage, expected: list[Any]) -> None:
    _checker(certs_dir).check(
        message,
        signed.KIND_SIGNAL,
        SHOP,
        certs.load_certificate(certs_dir / "parties" / "shop-1.pem"),
        expected,
        field="signed_signal",
    )


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2025-03-01T23:58:00+08:00", "2025-03-01T15:58:00Z"),
        ("2025-03-01t15:58:00z", "2025-03-01T15:58:00Z"),
        ("2025-03-01 10:28:00.5-05:30", "2025-03-01T15:58:00.500Z"),
        ("2025-03-01T15:58:00.000000001Z", "2025-03-01T15:58:00.000000001Z"),
        ("2025-03-02T00:00:00.123456789+08:00", "2025-03-01T16:00:00.123456789Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ],
)
def test_any_rfc3339_time_reads_as_its_instant(text: str, utc: str) -> None:
    assert parse_rfc3339(text).ToJsonString() == utc


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01T15:58:00",  # no offset
        "2025-03-01T15:58:00.1234567891Z",  # 10 fraction digits
        "2025-03-01T23:59:60Z",  # a leap second
        "2025-02-30T00:00:00Z",
        "2025-03-01T15:58:00+24:00",
        "0001-01-01T00:00:00+00:01",  # before year 1 in UTC
        "2025-03-01T15:58:00Z\n",
    ],
)
def test_what_is_not_an_rfc3339_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_a_partners_own_json_is_accepted_and_a_real_difference_is_named(certs_dir: Path) -> None:
    observed = _observed()
    expected = claims.signal_claims(_signal(observed))
    shop = _signer(certs_dir, "shop-1")
    _check(
        certs_dir,
        shop.sign(signed.KIND_SIGNAL, signed.HUB, _partner_claims(observed), _now()),
        expected,
    )

    def refused(edit: dict[str, Any]) -> HubError:
        edited = [(n, edit.get(n, v)) for n, v in _partner_claims(observed)]
        message = shop.sign(signed.KIND_SIGNAL, signed.HUB, edited, _now())
        with pytest.raises(HubError) as error:
            _check(certs_dir, message, expected)
        return error.value

    one_nanosecond_later = timestamp_pb2.Timestamp(
        seconds=observed.seconds, nanos=observed.nanos + 1
    )
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"subject.phone": "13800000001"}, reasons.SIGNED_CONTENT_MISMATCH, "subject.phone"),
        (
            {"observe_time": _in_beijing(one_nanosecond_later)},
            reasons.SIGNED_CONTENT_MISMATCH,
            "observe_time",
        ),
        ({"indicators": {"stated_intent": True}}, reasons.SIGNED_CONTENT_MISMATCH, "indicators"),
        ({"clinical_facts": "sertraline"}, reasons.SIGNED_CONTENT_MISMATCH, "clinical_facts"),
        ({"source": "SIGNAL_SOURCE_HOSPITAL"}, reasons.SIGNED_CONTENT_MISMATCH, "source"),
        # Two differences: the first in the documented order is named.
        (
            {"order": {"order_id": "o-2"}, "situation": "x"},
            reasons.SIGNED_CONTENT_MISMATCH,
            "order",
        ),
        ({"observe_time": "yesterday evening"}, reasons.DISCLOSURE_MALFORMED, "observe_time"),
        ({"subject.address": {"street": "x"}}, reasons.DISCLOSURE_MALFORMED, "subject.address"),
        ({"source": "MERCHANT_CHAT"}, reasons.DISCLOSURE_MALFORMED, "source"),
    ]
    for edit, reason, field in cases:
        error = refused(edit)
        assert (error.reason, error.metadata.get("field")) == (reason, field), edit
    # A claim the kind does not have is a difference too.
    extra = shop.sign(
        signed.KIND_SIGNAL, signed.HUB, [*_partner_claims(observed), ("mood", "low")], _now()
    )
    with pytest.raises(HubError) as raised:
        _check(certs_dir, extra, expected)
    assert raised.value.metadata == {"field": "mood"}


async def test_the_hub_accepts_a_partners_signal_and_receipts_in_its_own_json(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    for party in ("duty-desk", "police-110105"):
        await connect(hub, certs_dir, party).whoami()
    shop, police = connect(hub, certs_dir, "shop-1"), connect(hub, certs_dir, "police-110105")
    observed = _observed()
    signal = _signal(observed)
    signal.indicators.stated_time = True  # IMMINENT: a DISPATCH goes out
    partner = [(n, v) for n, v in _partner_claims(observed) if n != "indicators"]
    partner.append(
        ("indicators", {"statedIntent": True, "methodPrepared": True, "statedTime": True})
    )
    reported = await shop.cases.ReportSignal(
        case_service_pb2.ReportSignalRequest(
            signal=signal,
            signed_signal=shop.signer.sign(signed.KIND_SIGNAL, signed.HUB, partner, _now()),
        )
    )
    assert reported.case.case_id
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]

    def receipt(kind: int, receipt_claims: list[tuple[str, Any]]) -> signed_pb2.SignedMessage:
        return police.signer.sign(
            kind, signed.HUB, receipt_claims, _now(), handoff_id=dispatch.handoff_id
        )

    await police.handoffs.AcknowledgeHandoff(
        handoff_service_pb2.AcknowledgeHandoffRequest(
            handoff_id=dispatch.handoff_id,
            receipt=receipt(signed.KIND_ACKNOWLEDGEMENT, [("state", "ACKNOWLEDGED")]),
        )
    )
    outcome = handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE)
    completed = await police.handoffs.CompleteHandoff(
        handoff_service_pb2.CompleteHandoffRequest(
            handoff_id=dispatch.handoff_id,
            outcome=outcome,
            # The code by number, the empty note written out.
            receipt=receipt(
                signed.KIND_OUTCOME,
                [
                    ("state", "COMPLETED"),
                    ("outcome_code", handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE),
                    ("note", ""),
                ],
            ),
        )
    )
    assert completed.handoff.state == handoff_pb2.Handoff.STATE_COMPLETED


async def test_a_party_message_living_over_five_minutes_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    shop = connect(hub, certs_dir, "shop-1")
    signal = _signal(_observed())

    def report(lifetime: dt.timedelta) -> case_service_pb2.ReportSignalRequest:
        message = shop.signer.sign(
            signed.KIND_SIGNAL, signed.HUB, claims.signal_claims(signal), _now(), lifetime=lifetime
        )
        return case_service_pb2.ReportSignalRequest(signal=signal, signed_signal=message)

    with pytest.raises(InvalidArgumentError) as error:
        await shop.cases.ReportSignal(
            report(signed.PARTY_MESSAGE_LIFETIME + dt.timedelta(seconds=1))
        )
    assert error.value.reason == reasons.MESSAGE_LIFETIME_TOO_LONG
    assert error.value.metadata == {"field": "expire_time"}
    assert (await shop.cases.ReportSignal(report(signed.PARTY_MESSAGE_LIFETIME))).case.case_id


def _hex_after(lines: list[str], label: str) -> bytes:
    """The hex lines that follow a label line in an example block."""
    i = next(i for i, line in enumerate(lines) if line.strip().startswith(label))
    out = []
    for line in lines[i + 1 :]:
        if not line.startswith("    "):
            break
        out.append(line.strip())
    return bytes.fromhex("".join(out))


def test_the_documents_examples_are_what_the_code_makes_and_verify() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "signed_examples.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    text = (ROOT / "docs" / "signed-messages.md").read_text()
    blocks = text.split("### ")[1:]
    kinds = ["SIGNAL", "HANDOFF", "ACKNOWLEDGEMENT", "DECLINE", "OUTCOME"]
    assert [b.split()[0] for b in blocks] == kinds
    # Read back from the document alone, each example is a true signed message.
    for block in blocks:
        lines = block.split("```")[1].splitlines()
        payload_bytes = _hex_after(lines, "bytes (what is signed)")
        payload = signed_pb2.SignedPayload.FromString(payload_bytes)
        key = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), _hex_after(lines, "signer's public key")
        )
        key.verify(_hex_after(lines, "signature"), payload_bytes, ec.ECDSA(hashes.SHA256()))
        disclosures = [
            _hex_after(lines[i:], "bytes")
            for i, line in enumerate(lines)
            if line.startswith("disclosure ")
        ]
        assert {signed.digest(d) for d in disclosures} <= set(payload.digests)
        assert len(payload.digests) > len(disclosures)  # decoys
        parsed = [signed_pb2.Disclosure.FromString(d) for d in disclosures]
        assert all(len(d.salt) == signed.SALT_BYTES for d in parsed)
        names = {d.name for d in parsed}
        assert names <= claims.SCHEMA[payload.kind].keys()
    # The claim table lists every claim of the schema, due_time included.
    table = text[text.index("## Claims") : text.index("## Examples")]
    for schema in claims.SCHEMA.values():
        for name in schema:
            assert f"`{name}`" in table, name
    assert "due_time" in blocks[1]
