"""Page tokens, bound to the query that issued them.

A token carries the last key of its page and an HMAC, under the hub's page-token
key, over (the list request's type, the caller, the request without page_token and
page_size, that last key). So a token is accepted only for the same RPC, the same
filters and the same caller it was issued to (page_size may change between pages,
as AIP-158 allows), and a token the hub did not issue, garbage or a forged huge
number included, is INVALID_PAGE_TOKEN, never INTERNAL. The key is derived from
the matching secret (certs_dir/matching.key), which every hub on one database
shares, so each accepts the others' tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from google.protobuf.message import Message

from hub.domain.errors import HubError
from wire import reasons

_KEY_LABEL = b"lifeline-hub page tokens v1"
_MAC_BYTES = 16
_EXCLUDED = ("page_token", "page_size")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _invalid(why: str) -> HubError:
    return HubError(
        reasons.INVALID_PAGE_TOKEN,
        f"page_token {why}",
        {"field": "page_token"},
    )


class PageTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_secret(cls, secret: bytes) -> PageTokens:
        """The key for a hub whose matching secret is `secret` (kept apart from its other use)."""
        return cls(hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest())

    def _mac(self, caller_id: str, request: Message, last_key: bytes) -> bytes:
        query = type(request)()
        query.CopyFrom(request)
        for name in _EXCLUDED:
            query.ClearField(name)
        parts = [
            request.DESCRIPTOR.full_name.encode(),
            caller_id.encode(),
            query.SerializeToString(deterministic=True),
            last_key,
        ]
        # Length-prefixed, so no two different queries make the same bytes.
        body = b"".join(len(p).to_bytes(4, "big") + p for p in parts)
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_MAC_BYTES]

    def next(self, caller_id: str, request: Message, last_key: str) -> str:
        """The token for the page after the one ending at last_key."""
        key = last_key.encode()
        return f"{_b64(key)}.{_b64(self._mac(caller_id, request, key))}"

    def after(self, caller_id: str, request: Message) -> str | None:
        """The last key of the previous page (None on the first), if the token is this query's."""
        token = str(getattr(request, "page_token", ""))
        if not token:
            return None
        encoded_key, _, encoded_mac = token.partition(".")
        try:
            key, mac = _unb64(encoded_key), _unb64(encoded_mac)
        except (binascii.Error, ValueError):
            raise _invalid("is not one the hub issued") from None
        if not hmac.compare_digest(mac, self._mac(caller_id, request, key)):
            raise _invalid("was not issued by the hub for this query (RPC, filters, caller)")
        return key.decode()
