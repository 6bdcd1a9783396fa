"""The hub's side of signed messages: check what parties sign, sign what the hub writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lifeline.hub.v1 import signed_pb2

from hub.domain.clock import Clock
from hub.domain.errors import HubError
from wire import claims, reasons, signed
from wire.claim_types import ClaimValueError
from wire.identity import PartyIdentity
from wire.signed import SignedMessageError, Verified

Claims = list[signed.Claim] | tuple[signed.Claim, ...]


def _refusal(reason: str, message: str, field: str) -> HubError:
    return HubError(reason, message, {"field": field})


@dataclass(frozen=True)
class MessageChecker:
    """Checks a party's signed message as the hub receives it."""

    ca: signed.CAs
    clock: Clock
    skew: dt.timedelta

    def check(
        self,
        message: signed_pb2.SignedMessage,
        kind: int,
        caller: PartyIdentity,
        caller_certificate: x509.Certificate,
        expected_claims: Claims,
        handoff_id: str = "",
        *,
        field: str,
    ) -> Verified:
        """Verified, from the caller, about this handoff, saying what expected_claims say
        (by value: wire/claims.py). A refusal's `field` names the first differing
        claim, or else the request field that carries the message."""
        if not message.payload:
            raise _refusal(
                reasons.SIGNATURE_REQUIRED, "this request must carry a signed message", field
            )
        try:
            verified = signed.verify(
                message,
                ca=self.ca,
                kind=kind,
                audience=signed.HUB,
                now=self.clock.now(),
                skew=self.skew,
            )
        except SignedMessageError as e:
            raise _refusal(e.reason, e.message, field) from None
        payload = verified.payload
        lifetime = payload.expire_time.ToDatetime(dt.UTC) - payload.issue_time.ToDatetime(dt.UTC)
        if lifetime > signed.PARTY_MESSAGE_LIFETIME:
            raise _refusal(
                reasons.MESSAGE_LIFETIME_TOO_LONG,
                f"the message lives {lifetime}; a party's message may live at most"
                f" {signed.PARTY_MESSAGE_LIFETIME}",
                "expire_time",
            )
        der = serialization.Encoding.DER
        if verified.payload.issuer != caller.party_id or verified.signer.public_bytes(
            der
        ) != caller_certificate.public_bytes(der):
            raise _refusal(
                reasons.SIGNER_MISMATCH,
                "the message is not signed with the caller's certificate",
                field,
            )
        if verified.payload.handoff_id != handoff_id:
            raise _refusal(
                reasons.SIGNED_CONTENT_MISMATCH,
                "the signed message is about another handoff",
                "handoff_id",
            )
        try:
            differing = claims.difference(kind, verified.claims, expected_claims)
        except ClaimValueError as e:
            raise _refusal(reasons.DISCLOSURE_MALFORMED, str(e), e.claim) from None
        if differing is not None:
            raise _refusal(
                reasons.SIGNED_CONTENT_MISMATCH,
                f"the request's {differing!r} is not what was signed",
                differing,
            )
        return verified
