"""Signed, selectively disclosed case messages (docs/signed-messages.md).

The mechanism of RFC 9901 (SD-JWT), carried in protobuf: every claim becomes a
Disclosure (a 128-bit salt, the claim's name, its JSON value); the signed
payload holds the SHA-256 digests of all disclosures plus decoys, sorted; a
recipient gets the payload and only the disclosures it may see, and checks each
against the digests. The author signs with the key of its mTLS certificate
(ECDSA P-256, SHA-256, DER signature), so even the hub cannot alter what a party
signed. Hub and connectors use this one module (wire/), built on `cryptography` alone.
Signatures are deterministic (RFC 6979): the same payload always gets the same
signature, so no weak random nonce can leak the key, and the examples in
docs/signed-messages.md can be reproduced byte for byte.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf.message import DecodeError
from lifeline.hub.v1 import signed_pb2

from wire import reasons
from wire.errors import LifelineError
from wire.identity import IdentityError, PartyIdentity

ALGORITHM = "ES256"
DIGEST_ALGORITHM = "sha-256"
HUB = "hub"
"""The hub's name as issuer, and the audience of every message sent to it."""
HUB_URI = "lifeline://hub"
SALT_BYTES = 16
DIGEST_BYTES = 32
MAX_DECOYS = 4
PARTY_MESSAGE_LIFETIME = dt.timedelta(minutes=5)
"""How long a party's message lives, and the longest the hub accepts (expiry - issue
time): the hub need remember a message id only this long (plus skew) to refuse replays."""
# The hub's handoffs may wait in an offline party's inbox; they stay valid for a month.
HUB_MESSAGE_LIFETIME = dt.timedelta(days=30)
DEFAULT_SKEW = dt.timedelta(minutes=5)
# A claim is a value or a small object (an address, an order); deeper JSON is refused
# before anything walks it recursively.
MAX_CLAIM_DEPTH = 16
# What cryptography raises for a certificate it cannot read or check: this module's edge
# turns each into SIGNER_CERTIFICATE_INVALID.
_UNREADABLE_CERTIFICATE = (
    ValueError,
    TypeError,
    InvalidSignature,
    UnsupportedAlgorithm,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
)

Kind = signed_pb2.SignedPayload
KIND_SIGNAL = Kind.KIND_SIGNAL
KIND_HANDOFF = Kind.KIND_HANDOFF
KIND_ACKNOWLEDGEMENT = Kind.KIND_ACKNOWLEDGEMENT
KIND_DECLINE = Kind.KIND_DECLINE
KIND_OUTCOME = Kind.KIND_OUTCOME
KIND_PROGRESS = Kind.KIND_PROGRESS
KIND_CASE_UPDATE = Kind.KIND_CASE_UPDATE

Claim = tuple[str, Any]


class SignedMessageError(LifelineError):
    """A signed message failed a check; ``reason`` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, reason=reason)


def _fail(reason: str, message: str) -> SignedMessageError:
    return SignedMessageError(reason, message)


def signer_name(cert: x509.Certificate) -> str:
    """Who a certificate speaks for: "hub", or the party id in its SAN URI."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise _fail(
            reasons.SIGNER_CERTIFICATE_INVALID, "the signer's certificate has no SAN"
        ) from None
    except _UNREADABLE_CERTIFICATE:
        raise _fail(
            reasons.SIGNER_CERTIFICATE_INVALID, "the signer's certificate is malformed"
        ) from None
    if HUB_URI in san.get_values_for_type(x509.UniformResourceIdentifier):
        return HUB
    try:
        # PartyIdentity refuses the party id "hub": it is the hub's alone.
        return PartyIdentity.from_certificate(cert).party_id
    except IdentityError:
        raise _fail(
            reasons.SIGNER_CERTIFICATE_INVALID,
            "the signer's certificate names no party and is not the hub's",
        ) from None


def digest(disclosure: bytes) -> bytes:
    return hashlib.sha256(disclosure).digest()


def payload_digest(message: signed_pb2.SignedMessage) -> str:
    """A short handle for a signed message on the timeline: SHA-256 of its payload."""
    return hashlib.sha256(message.payload).hexdigest()


def json_text(value: Any) -> str:
    """A claim's value as the JSON a Disclosure carries: keys sorted, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_ECDSA = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)


@dataclass(frozen=True)
class Signer:
    """An author's private key and certificate."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def name(self) -> str:
        return signer_name(self.certificate)

    def sign(
        self,
        kind: int,
        audience: str,
        claims: Sequence[Claim],
        now: dt.datetime,
        *,
        lifetime: dt.timedelta = PARTY_MESSAGE_LIFETIME,
        case_id: str = "",
        handoff_id: str = "",
        message_id: str = "",
        entropy: Callable[[int], bytes] = secrets.token_bytes,
    ) -> signed_pb2.SignedMessage:
        """`entropy` gives the salts and decoys; only the documentation's examples fix it."""
        disclosures = [
            signed_pb2.Disclosure(
                salt=entropy(SALT_BYTES), name=name, value=json_text(value)
            ).SerializeToString(deterministic=True)
            for name, value in claims
        ]
        decoys = [entropy(DIGEST_BYTES) for _ in range(1 + entropy(1)[0] % MAX_DECOYS)]
        payload = signed_pb2.SignedPayload(
            message_id=message_id or f"m-{uuid.uuid4().hex}",
            kind=kind,  # type: ignore[arg-type]
            issuer=self.name,
            audience=audience,
            digest_algorithm=DIGEST_ALGORITHM,
            # Sorted, so the order of the digests says nothing about the claims.
            digests=sorted([digest(d) for d in disclosures] + decoys),
            case_id=case_id,
            handoff_id=handoff_id,
        )
        payload.issue_time.FromDatetime(now)
        payload.expire_time.FromDatetime(now + lifetime)
        body = payload.SerializeToString(deterministic=True)
        return signed_pb2.SignedMessage(
            payload=body,
            algorithm=ALGORITHM,
            signature=self.key.sign(body, _ECDSA),
            signer_certificate=self.certificate.public_bytes(serialization.Encoding.DER),
            disclosures=disclosures,
        )


@dataclass(frozen=True)
class Verified:
    """A message whose signature and disclosures checked out."""

    payload: signed_pb2.SignedPayload
    signer: x509.Certificate
    claims: tuple[Claim, ...]
    """The disclosed claims, in the order the disclosures came."""

    def values(self, name: str) -> list[Any]:
        return [value for claim, value in self.claims if claim == name]

    @property
    def names(self) -> set[str]:
        return {name for name, _ in self.claims}


CAs = tuple[x509.Certificate, ...]
"""The CAs trusted at once: one, or during a CA rollover the new one and the one it
replaces (the newest first, as `ca.pem` lists them)."""


def trusted(ca: x509.Certificate | CAs) -> CAs:
    return (ca,) if isinstance(ca, x509.Certificate) else ca


def load_cas(pem: bytes) -> CAs:
    """Every certificate of a PEM file (`ca.pem`); ValueError if it holds none."""
    return tuple(x509.load_pem_x509_certificates(pem))


def check_issued_by(cert: x509.Certificate, cas: CAs) -> None:
    """Raises (ValueError, TypeError or InvalidSignature) unless one of the CAs issued it."""
    failure: Exception = ValueError("no CA to check the certificate against")
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
            return
        except (ValueError, TypeError, InvalidSignature) as e:
            failure = e
    raise failure


@functools.lru_cache(maxsize=4096)
def _issued_by(der: bytes, cas: CAs) -> x509.Certificate:
    """The signer's certificate, checked to be one a trusted CA issued; a party signs
    many messages with one certificate, so the check (the profile's largest cost of
    verifying) is remembered. A certificate that fails raises, and is checked afresh
    next time."""
    cert = x509.load_der_x509_certificate(der)
    check_issued_by(cert, cas)
    return cert


def verify(
    message: signed_pb2.SignedMessage,
    *,
    ca: x509.Certificate | CAs,
    kind: int,
    audience: str | None,
    now: dt.datetime | None,
    skew: dt.timedelta = DEFAULT_SKEW,
) -> Verified:
    """Checks a signed message; raises SignedMessageError naming the first failure.

    `now=None` skips the freshness window: an evidence bundle is checked months later.
    `audience=None` accepts any audience (evidence again).
    """
    if message.algorithm != ALGORITHM:
        raise _fail(
            reasons.ALGORITHM_UNSUPPORTED, f"algorithm {message.algorithm!r} is not {ALGORITHM}"
        )
    try:
        cert = _issued_by(message.signer_certificate, trusted(ca))
        public_key = cert.public_key()
    except _UNREADABLE_CERTIFICATE:
        raise _fail(
            reasons.SIGNER_CERTIFICATE_INVALID, "the signer's certificate is not one the CA issued"
        ) from None
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise _fail(reasons.SIGNER_CERTIFICATE_INVALID, "the signer's key is not an EC key")
    try:
        public_key.verify(message.signature, message.payload, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _fail(reasons.SIGNATURE_INVALID, "the signature does not match the payload") from None
    try:
        payload = signed_pb2.SignedPayload.FromString(message.payload)
    except DecodeError:
        raise _fail(
            reasons.PAYLOAD_MALFORMED, "the signed payload is not a SignedPayload"
        ) from None
    if payload.digest_algorithm != DIGEST_ALGORITHM:
        raise _fail(
            reasons.ALGORITHM_UNSUPPORTED,
            f"digest algorithm {payload.digest_algorithm!r} is not {DIGEST_ALGORITHM}",
        )
    if payload.kind != kind:
        raise _fail(
            reasons.WRONG_MESSAGE_KIND,
            f"a {Kind.Kind.Name(payload.kind)} message where {Kind.Kind.Name(kind)} was expected",
        )
    if audience is not None and payload.audience != audience:
        raise _fail(
            reasons.WRONG_AUDIENCE, f"the message is for {payload.audience!r}, not {audience!r}"
        )
    signer = signer_name(cert)
    if signer != payload.issuer:
        raise _fail(
            reasons.SIGNER_MISMATCH, f"signed by {signer!r} but issued as {payload.issuer!r}"
        )
    try:
        issued = payload.issue_time.ToDatetime(dt.UTC)
        expires = payload.expire_time.ToDatetime(dt.UTC)
    except ValueError:  # beyond the years 1 to 9999, or nanos out of range
        raise _fail(
            reasons.PAYLOAD_MALFORMED, "the payload's issue or expiry time is invalid"
        ) from None
    if not payload.message_id or expires <= issued:
        raise _fail(
            reasons.PAYLOAD_MALFORMED,
            "the payload needs a message id and an expiry after its issue time",
        )
    if now is not None:
        if issued > now + skew:
            raise _fail(
                reasons.MESSAGE_NOT_YET_VALID,
                f"issued at {issued:%Y-%m-%d %H:%M:%S}Z, in the future",
            )
        if expires < now - skew:
            raise _fail(reasons.MESSAGE_EXPIRED, f"expired at {expires:%Y-%m-%d %H:%M:%S}Z")
    if not (cert.not_valid_before_utc <= issued <= cert.not_valid_after_utc):
        raise _fail(
            reasons.SIGNER_CERTIFICATE_INVALID,
            "the signer's certificate was not valid when it signed",
        )
    digests = list(payload.digests)
    if any(len(d) != DIGEST_BYTES for d in digests):
        raise _fail(reasons.DIGEST_MALFORMED, "a digest is not 32 bytes")
    if len(set(digests)) != len(digests):
        raise _fail(reasons.DIGEST_DUPLICATE, "the payload lists a digest twice")
    known = set(digests)
    seen: set[bytes] = set()
    claims: list[Claim] = []
    for raw in message.disclosures:
        d = digest(raw)
        if d not in known:
            raise _fail(reasons.DISCLOSURE_UNKNOWN, "a disclosure matches no digest in the payload")
        if d in seen:
            raise _fail(reasons.DISCLOSURE_DUPLICATE, "a disclosure is given twice")
        seen.add(d)
        try:
            disclosure = signed_pb2.Disclosure.FromString(raw)
            value = json.loads(disclosure.value)
        except (DecodeError, ValueError, RecursionError):
            raise _fail(
                reasons.DISCLOSURE_MALFORMED, "a disclosure is not a Disclosure with a JSON value"
            ) from None
        if _deeper_than(value, MAX_CLAIM_DEPTH):
            raise _fail(
                reasons.DISCLOSURE_MALFORMED,
                f"a disclosure nests deeper than {MAX_CLAIM_DEPTH} levels",
            )
        if len(disclosure.salt) < SALT_BYTES or not disclosure.name:
            raise _fail(
                reasons.DISCLOSURE_MALFORMED, "a disclosure needs a 128-bit salt and a name"
            )
        claims.append((disclosure.name, value))
    return Verified(payload, cert, tuple(claims))


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON arrays and objects nest more than `limit` deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, list | dict):
            if depth > limit:
                return True
            stack.extend(
                (child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return False


def disclose_only(message: signed_pb2.SignedMessage, keep: set[bytes]) -> signed_pb2.SignedMessage:
    """The same signed message with only the disclosures whose bytes are in `keep`."""
    narrowed = signed_pb2.SignedMessage()
    narrowed.CopyFrom(message)
    del narrowed.disclosures[:]
    narrowed.disclosures.extend(d for d in message.disclosures if d in keep)
    return narrowed


def disclosure_names(message: signed_pb2.SignedMessage) -> list[tuple[bytes, str, Any]]:
    """(bytes, name, value) of each disclosure, for a holder deciding what to pass on."""
    out = []
    for raw in message.disclosures:
        disclosure = signed_pb2.Disclosure.FromString(raw)
        out.append((raw, disclosure.name, json.loads(disclosure.value)))
    return out
