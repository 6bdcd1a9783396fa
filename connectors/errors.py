"""Typed errors, mapped from the hub's gRPC status and its ErrorInfo reason.

Switch on the class for the kind of failure and on ``reason`` for the exact one
(the reasons are listed in wire/reasons.py and docs/errors.md). The base,
LifelineError, is wire/errors.py's, so that wire's SignedMessageError is one too.
"""

from __future__ import annotations

from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from wire.errors import LifelineError


class ConfigError(LifelineError):
    """The connector's own files are missing or do not fit together."""


class HubUnavailableError(LifelineError):
    """The hub could not be reached, or did not answer in time."""


class HandshakeError(HubUnavailableError):
    """The TLS handshake failed: the hub refused our certificate, or we refused the hub's."""


class AuthenticationError(LifelineError):
    """The hub does not accept who we are (revoked, no party identity, expired)."""


class PermissionDeniedError(LifelineError):
    """Our role may not do this, or the party was deactivated."""


class InvalidArgumentError(LifelineError):
    """The request was refused as malformed; ``metadata['field']`` names the field."""


class NotFoundError(LifelineError):
    pass


class AlreadyExistsError(LifelineError):
    pass


class FailedPreconditionError(LifelineError):
    """The request is well-formed but not allowed in the current state."""


class ResourceExhaustedError(LifelineError):
    """Too large, or too many."""


class HubInternalError(LifelineError):
    """The hub failed; the details are in its log, not here."""


_BY_CODE: dict[grpc.StatusCode, type[LifelineError]] = {
    grpc.StatusCode.UNAVAILABLE: HubUnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: HubUnavailableError,
    # A call the hub cancelled: it is shutting down, and another hub (or it, back) will answer.
    grpc.StatusCode.CANCELLED: HubUnavailableError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPreconditionError,
    grpc.StatusCode.ABORTED: FailedPreconditionError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.INTERNAL: HubInternalError,
}

_HANDSHAKE_MARKERS = ("handshake", "ssl", "tls", "certificate")


def _details(error: Any) -> list[Any]:
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            return list(status_pb2.Status.FromString(value).details)
    return []


def _error_info(error: Any) -> error_details_pb2.ErrorInfo | None:
    for detail in _details(error):
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    return None


def _retry_after(error: Any) -> float | None:
    for detail in _details(error):
        retry = error_details_pb2.RetryInfo()
        if detail.Unpack(retry):
            return retry.retry_delay.ToNanoseconds() / 1e9
    return None


def from_rpc_error(error: Any) -> LifelineError:
    """The typed error for a failed call (a grpc.RpcError that is also a grpc.Call)."""
    code: grpc.StatusCode = error.code()
    details: str = error.details() or code.name
    info = _error_info(error)
    cls = _BY_CODE.get(code, LifelineError)
    if (
        info is None
        and code == grpc.StatusCode.UNAVAILABLE
        and any(marker in details.lower() for marker in _HANDSHAKE_MARKERS)
    ):
        cls = HandshakeError
        details = f"TLS handshake with the hub failed ({details})"
    failure = cls(
        details,
        code=code,
        reason=info.reason if info else "",
        metadata=dict(info.metadata) if info else None,
    )
    failure.retry_after = _retry_after(error)
    return failure
