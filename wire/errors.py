"""The root of the SDK's error tree, here so that wire's own errors belong to it.

:class:`LifelineError` is what a partner catches: connectors/errors.py derives the
errors of a failed call from it, and wire/signed.py's SignedMessageError (a message
from the hub failed its checks) is one too. Its ``reason`` is one of wire/reasons.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # wire needs no grpc at run time; only the SDK's errors carry a code
    import grpc


class LifelineError(Exception):
    """Base of every error the connectors raise."""

    def __init__(
        self,
        message: str,
        *,
        code: grpc.StatusCode | None = None,
        reason: str = "",
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.metadata = metadata or {}
        self.retry_after: float | None = None
        """Seconds after which the hub asks for the call again (google.rpc.RetryInfo)."""

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}" if self.reason else self.message
