"""Which roles may call which RPC: one table, enforced on every call.

An RPC missing from the table is refused for everyone, so a new RPC is closed
until someone decides who may call it.
"""

from __future__ import annotations

from wire.identity import Role

_ALL = frozenset(Role)
_PLATFORM = frozenset({Role.PLATFORM})
_REPORTERS = frozenset({Role.PLATFORM, Role.MERCHANT, Role.HOSPITAL})

_CASE = "/lifeline.hub.v1.CaseService/"
_HANDOFF = "/lifeline.hub.v1.HandoffService/"
_INBOX = "/lifeline.hub.v1.InboxService/"
_PARTY = "/lifeline.hub.v1.PartyService/"
_ROTA = "/lifeline.hub.v1.RotaService/"

PERMISSIONS: dict[str, frozenset[Role]] = {
    _CASE + "ReportSignal": _REPORTERS,
    _CASE + "GetCase": _ALL,
    _CASE + "ListCases": _ALL,
    _CASE + "GradeCase": _PLATFORM,
    _CASE + "AddCaseNote": _ALL - {Role.COURIER},
    # Each role sees the events hub/store/visibility.py gives it.
    _CASE + "ListCaseEvents": _ALL,
    _CASE + "CloseCase": _PLATFORM,
    _CASE + "ReopenCase": _PLATFORM,
    _CASE + "ConfirmAddress": _PLATFORM,
    # Its own view of the case, as GetCase and ListCaseEvents give it (hub/cases/evidence.py).
    _CASE + "ExportEvidence": _ALL,
    _HANDOFF + "CreateHandoff": _PLATFORM,
    _HANDOFF + "GetHandoff": _ALL,
    _HANDOFF + "ListHandoffs": _ALL,
    _HANDOFF + "AcknowledgeHandoff": _ALL,
    _HANDOFF + "DeclineHandoff": _ALL,
    _HANDOFF + "CompleteHandoff": _ALL,
    _HANDOFF + "ReportProgress": _ALL,
    _INBOX + "SubscribeInbox": _ALL,
    _INBOX + "AcknowledgeInbox": _ALL,
    _PARTY + "GetCurrentParty": _ALL,
    _PARTY + "RegisterParty": _PLATFORM,
    _PARTY + "GetParty": _PLATFORM,
    _PARTY + "ListParties": _PLATFORM,
    _PARTY + "DeactivateParty": _PLATFORM,
    _ROTA + "ListShifts": _PLATFORM,
}

# Infrastructure every certificate holder may use without a party identity:
# load balancers probe health, and tools list services.
OPEN_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


def allowed(method: str, role: Role) -> bool:
    return role in PERMISSIONS.get(method, frozenset())


def is_open(method: str) -> bool:
    return method.startswith(OPEN_SERVICES)
