"""Party identity, carried in the certificate's SAN as one URI.

The scheme (see docs/identity.md)::

    lifeline://party/<role>/<party-id>[?jurisdiction=<GB/T 2260 code>]

The hub reads identity from this URI only, never from the subject, in the way
pyca/service-identity checks a SAN rather than matching a common name.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography import x509

from wire.enums import PartyRole

SCHEME = "lifeline"
AUTHORITY = "party"

# What a party id and a jurisdiction may be; hub/domain/limits.py checks request fields by these.
PARTY_ID_MAX_LENGTH = 63
PARTY_ID_PATTERN = r"[a-z0-9][a-z0-9._-]{0,62}"
PARTY_ID_MEANING = "1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
# The hub signs its own messages as "hub" (wire/signed.py): no party may be it.
RESERVED_PARTY_IDS = frozenset({"hub"})
# GB/T 2260: two digits of province (11..82), two of city, two of county.
JURISDICTION_LENGTH = 6
JURISDICTION_PATTERN = r"[1-8][0-9]{5}"
JURISDICTION_MEANING = "a 6-digit GB/T 2260 division code"
_PARTY_ID = re.compile(PARTY_ID_PATTERN)
_JURISDICTION = re.compile(JURISDICTION_PATTERN)


class Role(enum.StrEnum):
    """A party's role; the value is the spelling in the SAN URI and the CLI."""

    PLATFORM = "platform"
    MERCHANT = "merchant"
    COURIER = "courier"
    POLICE = "police"
    COMMITTEE = "committee"
    HOSPITAL = "hospital"

    @property
    def needs_jurisdiction(self) -> bool:
        return self in (Role.POLICE, Role.COMMITTEE)

    @property
    def proto(self) -> PartyRole:
        """The lifeline.hub.v1.Role of this role (ROLE_POLICE for "police")."""
        return PartyRole[self.name]

    @classmethod
    def from_proto(cls, value: int) -> Role | None:
        """The role a lifeline.hub.v1.Role number names; None for ROLE_UNSPECIFIED or
        a number this version does not know."""
        try:
            return cls[PartyRole(value).name]
        except (ValueError, KeyError):
            return None


class IdentityError(ValueError):
    """A certificate or value does not carry a well-formed party identity."""


class MissingIdentityError(IdentityError):
    """The certificate has no lifeline party URI at all."""


def validate_party_id(party_id: str) -> str:
    if not _PARTY_ID.fullmatch(party_id):
        raise IdentityError(f"party id {party_id!r} must be {PARTY_ID_MEANING}")
    return party_id


def validate_new_party_id(party_id: str) -> str:
    """A party id a certificate or the registry may take: not one the hub keeps for itself."""
    if party_id in RESERVED_PARTY_IDS:
        raise IdentityError(f"party id {party_id!r} is reserved for the hub")
    return validate_party_id(party_id)


def validate_jurisdiction(code: str) -> str:
    if not _JURISDICTION.fullmatch(code):
        raise IdentityError(f"jurisdiction {code!r} is not {JURISDICTION_MEANING}")
    return code


def jurisdiction_ancestors(code: str) -> list[str]:
    """The code itself, then its city and its province (most specific first)."""
    validate_jurisdiction(code)
    chain = [code, code[:4] + "00", code[:2] + "0000"]
    return list(dict.fromkeys(chain))


@dataclass(frozen=True, slots=True)
class PartyIdentity:
    party_id: str
    role: Role
    jurisdiction: str | None = None

    def __post_init__(self) -> None:
        validate_party_id(self.party_id)
        if self.jurisdiction is not None:
            validate_jurisdiction(self.jurisdiction)
        if self.role.needs_jurisdiction and self.jurisdiction is None:
            raise IdentityError(f"a {self.role} party needs a jurisdiction")

    def to_uri(self) -> str:
        query = f"?{urlencode({'jurisdiction': self.jurisdiction})}" if self.jurisdiction else ""
        return f"{SCHEME}://{AUTHORITY}/{self.role}/{self.party_id}{query}"

    @classmethod
    def from_uri(cls, uri: str) -> PartyIdentity:
        parts = urlsplit(uri)
        if parts.scheme != SCHEME or parts.netloc != AUTHORITY:
            raise IdentityError(f"{uri!r} is not a {SCHEME}://{AUTHORITY}/ URI")
        segments = parts.path.strip("/").split("/")
        if len(segments) != 2 or parts.fragment:
            raise IdentityError(f"{uri!r} is not {SCHEME}://{AUTHORITY}/<role>/<party-id>")
        try:
            role = Role(segments[0])
        except ValueError:
            raise IdentityError(f"{uri!r} names an unknown role {segments[0]!r}") from None
        query = parse_qs(parts.query, strict_parsing=False)
        if set(query) - {"jurisdiction"} or len(query.get("jurisdiction", [])) > 1:
            raise IdentityError(f"{uri!r} has an unexpected query")
        jurisdiction = query["jurisdiction"][0] if "jurisdiction" in query else None
        return cls(
            party_id=validate_new_party_id(segments[1]), role=role, jurisdiction=jurisdiction
        )

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> PartyIdentity:
        """The one party identity in the certificate's SAN, or an error saying why not."""
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            raise MissingIdentityError("the certificate has no subjectAltName") from None
        uris = [
            u
            for u in san.get_values_for_type(x509.UniformResourceIdentifier)
            if urlsplit(u).scheme == SCHEME and urlsplit(u).netloc == AUTHORITY
        ]
        if not uris:
            raise MissingIdentityError(f"the certificate's subjectAltName has no {SCHEME}:// URI")
        if len(uris) > 1:
            raise IdentityError("the certificate's subjectAltName has more than one party URI")
        return cls.from_uri(uris[0])
