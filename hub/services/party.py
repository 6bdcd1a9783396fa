"""PartyService: the registry, for the platform, and 'who am I' for everyone."""

from __future__ import annotations

from typing import Any

import grpc
from lifeline.hub.v1 import party_pb2, party_service_pb2, party_service_pb2_grpc

from hub import auth, errors
from hub.errors import HubError
from hub.identity import (
    IdentityError,
    Role,
    validate_jurisdiction,
    validate_new_party_id,
    validate_party_id,
)
from hub.models import PartyRow
from hub.registry import ACTIVE, PartyRegistry
from hub.timestamps import timestamp

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

_STATES = {
    ACTIVE: party_pb2.Party.STATE_ACTIVE,
    "deactivated": party_pb2.Party.STATE_DEACTIVATED,
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


def party_to_proto(row: PartyRow) -> party_pb2.Party:
    return party_pb2.Party(
        party_id=row.party_id,
        role=role_to_proto(Role(row.role)),
        state=_STATES[row.state],
        jurisdiction_code=row.jurisdiction_code or "",
        display_name=row.display_name,
        backup_party_id=row.backup_party_id or "",
        certificate_serial=row.certificate_serial or "",
        first_seen_time=timestamp(row.first_seen_time),
        last_seen_time=timestamp(row.last_seen_time),
    )


def page_size(requested: int, default: int, maximum: int) -> int:
    if requested < 0:
        raise errors.invalid_argument("page_size must not be negative", "page_size")
    return min(requested or default, maximum)


def _checked(check: Any, value: str, field: str) -> str:
    try:
        return str(check(value))
    except IdentityError as e:
        raise errors.invalid_argument(str(e), field) from None


class PartyService(party_service_pb2_grpc.PartyServiceServicer):
    def __init__(self, registry: PartyRegistry) -> None:
        self._registry = registry

    async def GetCurrentParty(
        self, request: party_service_pb2.GetCurrentPartyRequest, context: Any
    ) -> party_service_pb2.GetCurrentPartyResponse:
        row = await self._registry.get(auth.caller().party_id)
        return party_service_pb2.GetCurrentPartyResponse(party=party_to_proto(row))

    async def RegisterParty(
        self, request: party_service_pb2.RegisterPartyRequest, context: Any
    ) -> party_service_pb2.RegisterPartyResponse:
        party = request.party
        party_id = _checked(validate_new_party_id, party.party_id, "party.party_id")
        role = role_from_proto(party.role, "party.role")
        jurisdiction = (
            _checked(validate_jurisdiction, party.jurisdiction_code, "party.jurisdiction_code")
            if party.jurisdiction_code
            else None
        )
        if role.needs_jurisdiction and jurisdiction is None:
            raise errors.invalid_argument(
                f"a {role} party needs a jurisdiction_code", "party.jurisdiction_code"
            )
        backup = (
            _checked(validate_party_id, party.backup_party_id, "party.backup_party_id")
            if party.backup_party_id
            else None
        )
        row = await self._registry.register(
            party_id, role, jurisdiction, party.display_name, backup
        )
        return party_service_pb2.RegisterPartyResponse(party=party_to_proto(row))

    async def GetParty(
        self, request: party_service_pb2.GetPartyRequest, context: Any
    ) -> party_service_pb2.GetPartyResponse:
        row = await self._registry.get(request.party_id)
        return party_service_pb2.GetPartyResponse(party=party_to_proto(row))

    async def ListParties(
        self, request: party_service_pb2.ListPartiesRequest, context: Any
    ) -> party_service_pb2.ListPartiesResponse:
        role = role_from_proto(request.role, "role") if request.role else None
        jurisdiction = (
            _checked(validate_jurisdiction, request.jurisdiction_code, "jurisdiction_code")
            if request.jurisdiction_code
            else None
        )
        rows, token = await self._registry.list(
            page_size(request.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
            request.page_token,
            role,
            jurisdiction,
        )
        return party_service_pb2.ListPartiesResponse(
            parties=[party_to_proto(r) for r in rows], next_page_token=token
        )

    async def DeactivateParty(
        self, request: party_service_pb2.DeactivatePartyRequest, context: Any
    ) -> party_service_pb2.DeactivatePartyResponse:
        if request.party_id == auth.caller().party_id:
            raise HubError(
                grpc.StatusCode.FAILED_PRECONDITION,
                errors.SELF_DEACTIVATION,
                "a party cannot deactivate itself",
            )
        row = await self._registry.deactivate(request.party_id, request.reason)
        return party_service_pb2.DeactivatePartyResponse(party=party_to_proto(row))
