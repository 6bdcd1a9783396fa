"""Writes the canonical examples of docs/signed-messages.md, one per message kind,
with their exact bytes, from the code that signs (wire/signed.py and claims.py).

The keys, salts, decoys, message ids and times are fixed, and signatures are
deterministic (RFC 6979), so the bytes are the same on every run; a partner can
check its own encoding against them. `--check` exits 1 if the document differs
from what the code makes now (tests/test_signed_examples.py runs it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lifeline.hub.v1 import case_pb2, handoff_pb2, signed_pb2

from wire import claims, signed
from wire.signed import Claim, Signer

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "signed-messages.md"
BEGIN = "<!-- examples: made by scripts/signed_examples.py; do not edit by hand -->"
END = "<!-- end of examples -->"
ISSUE_TIME = dt.datetime(2025, 3, 1, 15, 58, tzinfo=dt.UTC)
WRAP = 64


def _key(seed: str) -> ec.EllipticCurvePrivateKey:
    """A fixed P-256 key; for examples only, never for a real party."""
    scalar = int.from_bytes(hashlib.sha256(f"lifeline example key {seed}".encode()).digest())
    return ec.derive_private_key(scalar % (2**255), ec.SECP256R1())


def _signer(uri: str, seed: str) -> Signer:
    key = _key(seed)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, seed)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(ISSUE_TIME - dt.timedelta(days=1))
        .not_valid_after(ISSUE_TIME + dt.timedelta(days=365))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return Signer(key, certificate)


def _entropy(seed: str) -> Callable[[int], bytes]:
    """Fixed "random" bytes: SHA-256 of the seed and a counter."""
    counter = iter(range(1_000_000))

    def take(n: int) -> bytes:
        return hashlib.sha256(f"{seed} {next(counter)}".encode()).digest()[:n]

    return take


SHOP = "lifeline://party/merchant/shop-1"
POLICE = "lifeline://party/police/police-110105?jurisdiction=110105"
HANDOFF_ID = "ho-8642914ab3ea4a57"
CASE_ID = "case-5b1f0c2d9e7a4f18"


def _signal() -> case_pb2.Signal:
    signal = case_pb2.Signal(
        source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
        subject=case_pb2.SubjectReference(
            buyer_id="buyer-7781",
            phone="13910001207",
            address=case_pb2.Address(jurisdiction_code="110105", text="Building 3, flat 802"),
        ),
        orders=[
            case_pb2.OrderReference(
                order_id="o-20250301-1", merchant_party_id="shop-1", item_summary="sleeping pills"
            )
        ],
        indicators=case_pb2.RiskIndicators(stated_intent=True, earlier_attempt=True),
        situation="asked for sleeping pills; says she will jump tonight",
    )
    signal.observe_time.FromDatetime(ISSUE_TIME - dt.timedelta(minutes=2))
    return signal


def _handoff() -> handoff_pb2.Handoff:
    handoff = handoff_pb2.Handoff(
        handoff_id=HANDOFF_ID,
        kind=handoff_pb2.HANDOFF_KIND_DISPATCH,
        assignee_party_id="police-110105",
        details=handoff_pb2.HandoffDetails(
            instruction="A person at risk of suicide: go to the address now.",
            jurisdiction_code="110105",
            risk_level=case_pb2.RISK_LEVEL_IMMINENT,
            situation="asked for sleeping pills; says she will jump tonight",
            address_text="Building 3, flat 802",
            contact_phone="13910001207",
        ),
    )
    handoff.due_time.FromDatetime(ISSUE_TIME + dt.timedelta(minutes=3))
    return handoff


# (title, kind, author's SAN URI, audience, claims, case_id, handoff_id, lifetime)
EXAMPLES: list[tuple[str, int, str, str, list[Claim], str, str, dt.timedelta]] = [
    (
        "SIGNAL (a merchant reports)",
        signed.KIND_SIGNAL,
        SHOP,
        signed.HUB,
        claims.signal_claims(_signal()),
        "",
        "",
        signed.PARTY_MESSAGE_LIFETIME,
    ),
    (
        "HANDOFF (the hub dispatches a police desk)",
        signed.KIND_HANDOFF,
        signed.HUB_URI,
        "police-110105",
        claims.handoff_claims(_handoff()),
        CASE_ID,
        HANDOFF_ID,
        signed.HUB_MESSAGE_LIFETIME,
    ),
    (
        "ACKNOWLEDGEMENT",
        signed.KIND_ACKNOWLEDGEMENT,
        POLICE,
        signed.HUB,
        claims.acknowledgement_claims(),
        "",
        HANDOFF_ID,
        signed.PARTY_MESSAGE_LIFETIME,
    ),
    (
        "DECLINE",
        signed.KIND_DECLINE,
        POLICE,
        signed.HUB,
        claims.decline_claims("no officer free in this district"),
        "",
        HANDOFF_ID,
        signed.PARTY_MESSAGE_LIFETIME,
    ),
    (
        "OUTCOME",
        signed.KIND_OUTCOME,
        POLICE,
        signed.HUB,
        claims.outcome_claims(
            handoff_pb2.Outcome(
                code=handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE, note="reached the flat at 16:20"
            )
        ),
        "",
        HANDOFF_ID,
        signed.PARTY_MESSAGE_LIFETIME,
    ),
]


def _hex(data: bytes, indent: str = "    ") -> list[str]:
    text = data.hex()
    return [indent + text[i : i + WRAP] for i in range(0, len(text), WRAP)] or [indent]


def _example(
    title: str,
    kind: int,
    uri: str,
    audience: str,
    message_claims: list[Claim],
    case_id: str,
    handoff_id: str,
    lifetime: dt.timedelta,
) -> list[str]:
    name = signed.Kind.Kind.Name(kind)
    signer = _signer(uri, name)
    message = signer.sign(
        kind,
        audience,
        message_claims,
        ISSUE_TIME,
        lifetime=lifetime,
        case_id=case_id,
        handoff_id=handoff_id,
        message_id=f"m-example-{name.removeprefix('KIND_').lower()}",
        entropy=_entropy(name),
    )
    payload = signed_pb2.SignedPayload.FromString(message.payload)
    point = signer.key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    lines = [f"### {title}", "", "```"]
    for i, raw in enumerate(message.disclosures, 1):
        disclosure = signed_pb2.Disclosure.FromString(raw)
        lines += [
            f"disclosure {i}: name {disclosure.name!r}, value {disclosure.value}",
            f"  salt   {disclosure.salt.hex()}",
            "  bytes",
            *_hex(raw),
            f"  sha-256 {signed.digest(raw).hex()}",
        ]
    known = {signed.digest(raw) for raw in message.disclosures}
    lines += [f"decoy: {d.hex()}" for d in payload.digests if d not in known]
    lines += [
        "SignedPayload:",
        f"  message_id {payload.message_id!r}, kind {name} ({kind}),"
        f" issuer {payload.issuer!r}, audience {payload.audience!r}",
        f"  issue_time {payload.issue_time.ToJsonString()},"
        f" expire_time {payload.expire_time.ToJsonString()}, digest_algorithm 'sha-256'",
        f"  case_id {payload.case_id!r}, handoff_id {payload.handoff_id!r},"
        f" digests: the {len(payload.digests)} above, sorted",
        "  bytes (what is signed)",
        *_hex(message.payload),
        "signature (ES256, DER, deterministic per RFC 6979)",
        *_hex(message.signature),
        "signer's public key (P-256, uncompressed point; the certificate is not shown)",
        *_hex(point),
        "```",
        "",
    ]
    return lines


def render() -> str:
    """The examples section, between its markers."""
    lines = [BEGIN, ""]
    for example in EXAMPLES:
        lines += _example(*example)
    return "\n".join([*lines, END])


def _spliced(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + render() + text[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the document is stale")
    args = parser.parse_args()
    text = DOC.read_text()
    fresh = _spliced(text)
    if args.check:
        if fresh != text:
            print(f"{DOC} is out of date: run python scripts/signed_examples.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
