"""What the edge hands a use case: one typed input per operation, named by its request.

The edge builds it from the request and, for a signed one, from the signed message it
has already checked (hub/api/signatures.py), so a use case never parses that message
again; a use case reads nothing from the transport.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message

from wire.identity import PartyIdentity
from wire.signed import Verified

RequestT = TypeVar("RequestT", bound=Message)


@dataclass(frozen=True)
class Call(Generic[RequestT]):
    caller: PartyIdentity
    request: RequestT


@dataclass(frozen=True)
class SignedCall(Call[RequestT]):
    signed: Verified
    """The request's signed message (signal or receipt), checked by the edge."""


@dataclass(frozen=True)
class PageCall(Call[RequestT]):
    page_size: int
    """How many the page holds: the request's, within the edge's bounds."""
