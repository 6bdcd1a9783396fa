"""Errors the hub returns, as gRPC status codes with a stable ErrorInfo reason.

Every refusal the hub makes is a :class:`HubError`. The RPC layer turns it into
a ``google.rpc.Status`` with one ``google.rpc.ErrorInfo`` detail whose ``reason``
is one of the constants below: clients switch on the reason, never on the text.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc

ERROR_DOMAIN = "lifeline.hub"

# Transport and identity.
CLIENT_CERTIFICATE_REQUIRED = "CLIENT_CERTIFICATE_REQUIRED"
PARTY_IDENTITY_MISSING = "PARTY_IDENTITY_MISSING"
PARTY_IDENTITY_INVALID = "PARTY_IDENTITY_INVALID"
PARTY_REVOKED = "PARTY_REVOKED"
PARTY_DEACTIVATED = "PARTY_DEACTIVATED"
PARTY_ROLE_MISMATCH = "PARTY_ROLE_MISMATCH"
ROLE_NOT_PERMITTED = "ROLE_NOT_PERMITTED"
# Requests.
MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"
INVALID_ARGUMENT = "INVALID_ARGUMENT"
INVALID_PAGE_TOKEN = "INVALID_PAGE_TOKEN"
PARTY_NOT_FOUND = "PARTY_NOT_FOUND"
SELF_DEACTIVATION = "SELF_DEACTIVATION"
CASE_NOT_FOUND = "CASE_NOT_FOUND"
HANDOFF_NOT_FOUND = "HANDOFF_NOT_FOUND"
SUBJECT_REQUIRED = "SUBJECT_REQUIRED"
INVALID_JURISDICTION = "INVALID_JURISDICTION"
ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
OUTCOME_NOT_FOR_KIND = "OUTCOME_NOT_FOR_KIND"
CASE_CLOSED = "CASE_CLOSED"
REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
NO_DESK_FOR_JURISDICTION = "NO_DESK_FOR_JURISDICTION"
ASSIGNEE_NOT_SUITABLE = "ASSIGNEE_NOT_SUITABLE"
CURSOR_FROM_FUTURE = "CURSOR_FROM_FUTURE"
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
COURIER_NOT_REGISTERED = "COURIER_NOT_REGISTERED"
ADDRESS_CANDIDATE_NOT_FOUND = "ADDRESS_CANDIDATE_NOT_FOUND"
# The hub itself.
INTERNAL = "INTERNAL"


class HubError(Exception):
    """A refusal with a gRPC status code and a stable reason."""

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})

    def __repr__(self) -> str:
        return f"HubError({self.code.name}, {self.reason!r}, {self.message!r})"


def invalid_argument(message: str, field: str) -> HubError:
    """The common case: one request field is wrong."""
    return HubError(grpc.StatusCode.INVALID_ARGUMENT, INVALID_ARGUMENT, message, {"field": field})
