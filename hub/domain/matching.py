"""Who a signal is about, as keyed hashes: the matching index holds no plaintext.

Each identifier (buyer id, phone, address) is normalised, then hashed with
HMAC-SHA256 under the hub's matching secret. Two signals that share any key are
about the same person. Without the secret, the index cannot be reversed by
hashing a phone book.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from pathlib import Path

from lifeline.hub.v1 import case_pb2

SECRET_BYTES = 32


def load_or_create_secret(path: Path) -> bytes:
    """The matching secret; created (0600) the first time a hub starts with this directory."""
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        secret = secrets.token_bytes(SECRET_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
        return secret
    if len(secret) < SECRET_BYTES:
        raise ValueError(
            f"{path} holds {len(secret)} bytes; a matching secret needs {SECRET_BYTES}"
        )
    return secret


def normalise_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    # +86 / 0086 country prefix on a mainland mobile number.
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def normalise_address(jurisdiction: str, text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    compact = "".join(ch for ch in folded if ch.isalnum())
    return f"{jurisdiction}:{compact}" if compact else ""


def subject_keys(secret: bytes, subject: case_pb2.SubjectReference) -> list[str]:
    """Hex HMACs of each identifier the subject carries (empty ones are skipped)."""
    values = {
        "buyer": subject.buyer_id.strip(),
        "phone": normalise_phone(subject.phone),
        "address": normalise_address(subject.address.jurisdiction_code, subject.address.text),
    }
    return sorted(
        hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        for kind, value in values.items()
        if value
    )
