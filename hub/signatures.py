"""The hub's side of signed messages: check what parties sign, sign what the hub writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lifeline.hub.v1 import signed_pb2

from connectors import claims, signed
from connectors.claim_types import ClaimValueError
from connectors.signed import SignedMessageError, Verified
from hub.clock import Clock
from hub.errors import HubError
from hub.identity import PartyIdentity

Claims = list[signed.Claim] | tuple[signed.Claim, ...]


def _refusal(reason: str, message: str, field: str) -> HubError:
    code = (
        grpc.StatusCode.PERMISSION_DENIED
        if reason == signed.SIGNER_MISMATCH
        else grpc.StatusCode.INVALID_ARGUMENT
    )
    return HubError(code, reason, message, {"field": field})


@dataclass(frozen=True)
class MessageChecker:
    """Checks a party's signed message as the hub receives it."""

    ca: x509.Certificate
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
        (by value: connectors/claims.py). A refusal's `field` names the first differing
        claim, or else the request field that carries the message."""
        if not message.payload:
            raise _refusal(
                signed.SIGNATURE_REQUIRED, "this request must carry a signed message", field
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
                signed.MESSAGE_LIFETIME_TOO_LONG,
                f"the message lives {lifetime}; a party's message may live at most"
                f" {signed.PARTY_MESSAGE_LIFETIME}",
                "expire_time",
            )
        der = serialization.Encoding.DER
        if verified.payload.issuer != caller.party_id or verified.signer.public_bytes(
            der
        ) != caller_certificate.public_bytes(der):
            raise _refusal(
                signed.SIGNER_MISMATCH,
                "the message is not signed with the caller's certificate",
                field,
            )
        if verified.payload.handoff_id != handoff_id:
            raise _refusal(
                signed.SIGNED_CONTENT_MISMATCH,
                "the signed message is about another handoff",
                "handoff_id",
            )
        try:
            differing = claims.difference(kind, verified.claims, expected_claims)
        except ClaimValueError as e:
            raise _refusal(signed.DISCLOSURE_MALFORMED, str(e), e.claim) from None
        if differing is not None:
            raise _refusal(
                signed.SIGNED_CONTENT_MISMATCH,
                f"the request's {differing!r} is not what was signed",
                differing,
            )
        return verified
