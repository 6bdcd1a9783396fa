"""PartyService: the registry, for the platform, and 'who am I' for everyone."""

from __future__ import annotations

from typing import Any

from lifeline.hub.v1 import party_pb2, party_service_pb2, party_service_pb2_grpc

from hub.api import auth
from hub.api.sessions import Sessions
from hub.domain import errors
from hub.domain.errors import HubError
from hub.domain.page_tokens import PageTokens
from hub.domain.timestamps import timestamp
from hub.store import directory
from hub.store.models import PartyRow
from hub.store.registry import ACTIVE, DEACTIVATED, REVOKED, PartyRegistry
from wire import reasons
from wire.identity import Role

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_STATES = {
    ACTIVE: party_pb2.Party.STATE_ACTIVE,
    DEACTIVATED: party_pb2.Party.STATE_DEACTIVATED,
    REVOKED: party_pb2.Party.STATE_REVOKED,
}
_ROLE_TO_PROTO: dict[Role, party_pb2.Role] = {
    Role.PLATFORM: party_pb2.ROLE_PLATFORM,
    Role.MERCHANT: party_pb2.ROLE_MERCHANT,
    Role.COURIER: party_pb2.ROLE_COURIER,
    Role.POLICE: party_pb2.ROLE_POLICE,
    Role.COMMITTEE: party_pb2.ROLE_COMMITTEE,
    Role.HOSPITAL: party_pb2.ROLE_HOSPITAL,
}
_ROLE_FROM_PROTO: dict[int, Role] = {v: k for k, v in _ROLE_TO_PROTO.items()}


def role_to_proto(role: Role) -> party_pb2.Role:
    return _ROLE_TO_PROTO[role]


def role_from_proto(value: int, field: str) -> Role:
    try:
        return _ROLE_FROM_PROTO[value]
    except KeyError:
        raise errors.invalid_argument(f"{field} must name a role", field) from None


def party_to_proto(row: PartyRow, viewer: Role) -> party_pb2.Party:
    """A registry row as `viewer` may see it: the webhook's address is the platform's
    to know (its secret is nobody's)."""
    return party_pb2.Party(
        party_id=row.party_id,
        role=role_to_proto(Role(row.role)),
        state=_STATES[row.state],
        jurisdiction_code=row.jurisdiction_code or "",
        display_name=row.display_name,
        backup_party_id=row.backup_party_id or "",
        contact_phone=row.contact_phone,
        certificate_serial=row.certificate_serial or "",
        first_seen_time=timestamp(row.first_seen_time),
        last_seen_time=timestamp(row.last_seen_time),
        webhook_url=row.webhook_url if viewer == Role.PLATFORM else "",
    )


def page_size(requested: int, default: int, maximum: int) -> int:
    """The page size to use (the gate has refused a negative one, hub/domain/limits.py)."""
    return min(requested or default, maximum)


class PartyService(party_service_pb2_grpc.PartyServiceServicer):
    def __init__(
        self, registry: PartyRegistry, sessions: Sessions, page_tokens: PageTokens
    ) -> None:
        self._registry = registry
        self._sessions = sessions
        self._page_tokens = page_tokens

    async def GetCurrentParty(
        self, request: party_service_pb2.GetCurrentPartyRequest, context: Any
    ) -> party_service_pb2.GetCurrentPartyResponse:
        # The row the gate has just admitted the caller with: no second read.
        return party_service_pb2.GetCurrentPartyResponse(
            party=party_to_proto(auth.caller_party(), auth.caller().role)
        )

    async def RegisterParty(
        self, request: party_service_pb2.RegisterPartyRequest, context: Any
    ) -> party_service_pb2.RegisterPartyResponse:
        party = request.party
        if party.webhook_url:
            raise errors.invalid_argument(
                "a webhook is set by the directory file (`lifeline parties import`),"
                " with its secret",
                "party.webhook_url",
            )
        entry = directory.entry(
            party.party_id,
            role_from_proto(party.role, "party.role"),
            party.jurisdiction_code,
            party.display_name,
            party.contact_phone,
            party.backup_party_id,
            field_prefix="party.",
        )
        row = await self._registry.register(entry)
        return party_service_pb2.RegisterPartyResponse(
            party=party_to_proto(row, auth.caller().role)
        )

    async def GetParty(
        self, request: party_service_pb2.GetPartyRequest, context: Any
    ) -> party_service_pb2.GetPartyResponse:
        row = await self._registry.get(request.party_id)
        return party_service_pb2.GetPartyResponse(party=party_to_proto(row, auth.caller().role))

    async def ListParties(
        self, request: party_service_pb2.ListPartiesRequest, context: Any
    ) -> party_service_pb2.ListPartiesResponse:
        role = role_from_proto(request.role, "role") if request.role else None
        jurisdiction = request.jurisdiction_code or None  # its pattern checked at the gate
        caller = auth.caller().party_id
        rows, last = await self._registry.list(
            page_size(request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
            self._page_tokens.after(caller, request),
            role,
            jurisdiction,
        )
        token = self._page_tokens.next(caller, request, last) if last is not None else ""
        return party_service_pb2.ListPartiesResponse(
            parties=[party_to_proto(r, auth.caller().role) for r in rows], next_page_token=token
        )

    async def DeactivateParty(
        self, request: party_service_pb2.DeactivatePartyRequest, context: Any
    ) -> party_service_pb2.DeactivatePartyResponse:
        if request.party_id == auth.caller().party_id:
            raise HubError(
                reasons.SELF_DEACTIVATION,
                "a party cannot deactivate itself",
            )
        row = await self._sessions.deactivate(request.party_id, request.reason)
        return party_service_pb2.DeactivatePartyResponse(
            party=party_to_proto(row, auth.caller().role)
        )
