"""Refusals: what the hub says no with, as a stable reason and no transport.

Every refusal the hub makes is a :class:`HubError` carrying one of wire/reasons.py's
reasons: clients switch on the reason, never on the text. Which gRPC status code a
reason travels with is the edge's business, in one table (hub/api/status.py); the
gate sends the refusal as a ``google.rpc.Status`` with one ``ErrorInfo`` detail.

The exception tree, and where each branch becomes a status::

    Exception
    ├── HubError                     a refusal: reason, message, metadata (field, ...);
    │                                hub/api/status.py gives its code, hub/api/auth.py's
    │                                gate sends it
    ├── wire.identity.IdentityError  (ValueError) a malformed party identity or id;
    │   └── MissingIdentityError     the gate: PARTY_IDENTITY_*; services: INVALID_ARGUMENT
    ├── wire.errors.LifelineError
    │   └── wire.signed.SignedMessageError
    │                                a signed message failed a check; hub/api/signatures.py
    │                                refuses with its reason. wire/signed.py maps the
    │                                cryptography, JSON and protobuf errors of a message it
    │                                reads into it, at that edge.
    ├── foreign exceptions           mapped once, at their edge, each through one table:
    │   ├── sqlalchemy OperationalError, InterfaceError, DisconnectionError, TimeoutError,
    │   │   and a write refused as read-only (PostgreSQL 25006, SQLITE_READONLY)
    │   │                            -> STORAGE_UNAVAILABLE (hub/store/db.py, STORAGE_ERRORS)
    │   └── google.protobuf DecodeError
    │                                -> INVALID_ARGUMENT, field "request" (the gate)
    └── anything else                a bug: the gate logs it and answers INTERNAL

A background task (the inbox watcher, the stream checks, the deadline sweeper, the
webhook deliverer) outlives its failures and logs each through `log_round_failed`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from wire import reasons


class HubError(Exception):
    """A refusal with a stable reason (wire/reasons.py) and its metadata (field, ...)."""

    def __init__(
        self,
        reason: str,
        message: str,
        metadata: Mapping[str, str] | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})
        self.retry_after = retry_after
        """Seconds after which the same call may succeed (sent as google.rpc.RetryInfo)."""

    def __repr__(self) -> str:
        return f"HubError({self.reason!r}, {self.message!r})"


def invalid_argument(message: str, field: str) -> HubError:
    """The common case: one request field is wrong."""
    return HubError(reasons.INVALID_ARGUMENT, message, {"field": field})


def log_round_failed(log: logging.Logger, what: str, error: Exception) -> None:
    """Logs one failed round of a background task that goes on to the next: a refusal
    (the database away) in one line, anything else (a bug) with its traceback."""
    if isinstance(error, HubError):
        log.warning("%s failed: %s", what, error.message)
    else:
        log.error("%s failed", what, exc_info=error)
