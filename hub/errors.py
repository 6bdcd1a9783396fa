"""Errors the hub returns, as gRPC status codes with a stable ErrorInfo reason.

Every refusal the hub makes is a :class:`HubError`. The RPC layer turns it into
a ``google.rpc.Status`` with one ``google.rpc.ErrorInfo`` detail whose ``reason``
is one of the constants below: clients switch on the reason, never on the text.

The exception tree, and where each branch becomes a status::

    Exception
    ├── HubError                     a refusal: status code, reason, metadata (field, ...)
    │                                hub/auth.py's gate sends it as google.rpc.Status
    ├── hub.identity.IdentityError   (ValueError) a malformed party identity or id;
    │   └── MissingIdentityError     the gate: PARTY_IDENTITY_*; services: INVALID_ARGUMENT
    ├── connectors.errors.LifelineError
    │   └── connectors.signed.SignedMessageError
    │                                a signed message failed a check; hub/signatures.py
    │                                refuses with its reason. connectors/signed.py maps
    │                                the cryptography, JSON and protobuf errors of a
    │                                message it reads into it, at that edge.
    ├── foreign exceptions           mapped once, at their edge, by FOREIGN_ERRORS below:
    │   ├── sqlalchemy OperationalError, InterfaceError, DisconnectionError, TimeoutError
    │   │                            -> UNAVAILABLE, STORAGE_UNAVAILABLE (hub/db.py)
    │   └── google.protobuf DecodeError
    │                                -> INVALID_ARGUMENT, field "request" (the gate)
    └── anything else                a bug: the gate logs it and answers INTERNAL
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import grpc
from google.protobuf.message import DecodeError
from sqlalchemy import exc as sa_exc

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
NOT_ASSIGNEE = "NOT_ASSIGNEE"
HANDOFF_NOT_ACKNOWLEDGED = "HANDOFF_NOT_ACKNOWLEDGED"
# The hub itself.
STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
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


def _storage_unavailable(_error: BaseException) -> HubError:
    # Nothing of the call was stored; the same call (request_id) may be sent again.
    return HubError(
        grpc.StatusCode.UNAVAILABLE,
        STORAGE_UNAVAILABLE,
        "the hub's database cannot be used right now (unreachable, or its disk is full);"
        " nothing was stored, try again",
    )


def _undecodable(_error: BaseException) -> HubError:
    return invalid_argument("the request is not a valid protobuf message", "request")


# Foreign exceptions the hub answers as a refusal, each as its own kind of failure; the
# first entry the exception is an instance of applies. Applied where the foreign code is
# called (hub/db.py, the gate's decoder), to that code's exceptions only; any other
# foreign exception is a bug, and INTERNAL.
FOREIGN_ERRORS: tuple[tuple[type[BaseException], Callable[[BaseException], HubError]], ...] = (
    # The database is down, unreachable, out of disk, or all its connections are busy.
    (sa_exc.OperationalError, _storage_unavailable),
    (sa_exc.InterfaceError, _storage_unavailable),
    (sa_exc.DisconnectionError, _storage_unavailable),
    (sa_exc.TimeoutError, _storage_unavailable),
    (DecodeError, _undecodable),
)


def from_foreign(error: BaseException) -> HubError | None:
    """The refusal a foreign exception stands for, or None if it is a bug."""
    for kind, refusal in FOREIGN_ERRORS:
        if isinstance(error, kind):
            return refusal(error)
    return None
