"""The unit of work every use case runs in, and what the use cases share.

A mutation is one database transaction (through the one group-commit writer,
hub/store/db.py) that also writes its timeline events and the inbox messages it causes
(the outbox), so an answered OK means all of it is stored, and a refusal means
none of it is. Only after the commit does the unit notify: the doorbell wakes the
streams of the parties that got mail, the scheduler learns of new deadlines, and
the operator's log gets its lines (a unit that lost a race runs again, and must not
log twice).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from google.protobuf.message import Message
from lifeline.hub.v1 import case_pb2, inbox_service_pb2, signed_pb2

from hub.domain.clock import Clock
from hub.domain.deadlines import DeadlinePolicy
from hub.domain.errors import HubError
from hub.domain.facts import Facts
from hub.domain.page_tokens import PageTokens
from hub.domain.policy import HandoffPolicy
from hub.store import db, idempotency, inbox
from hub.store.db import Database
from hub.store.models import HandoffRow, IdempotencyRow, PartyRow
from wire import reasons, wording
from wire.identity import PartyIdentity, Role
from wire.signed import Signer

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger("hub.cases")

M = TypeVar("M", bound=Message)
R = TypeVar("R")
P = ParamSpec("P")

HUB = PartyIdentity(wording.HUB, Role.PLATFORM)
"""The actor of what the hub does by itself (deadlines firing, the rule, the policy)."""


@dataclass
class Cases:
    """What every use case is given: the store, the time, the hub's key and policies."""

    db: Database
    clock: Clock
    secret: bytes
    policy: HandoffPolicy
    doorbell: inbox.Doorbell
    signer: Signer
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    rng: random.Random = field(default_factory=random.Random)
    on_deadline: Callable[[dt.datetime], None] | None = None
    """Called after a commit that wrote deadlines, with the earliest (the scheduler's)."""

    @functools.cached_property
    def pages(self) -> PageTokens:
        return PageTokens.from_secret(self.secret)


@dataclass
class UnitCache:
    """Party lookups and case facts, read many times in one unit and never written by
    it: read once (the profile showed re-reading them was most of a signal's cost)."""

    platform_parties: list[str] | None = None
    roles: dict[str, Role] = field(default_factory=dict)
    desks: dict[tuple[Role, str], PartyRow | None] = field(default_factory=dict)
    """The desk of a role for a jurisdiction (hub/cases/automation.py's desk_for)."""
    joined: set[tuple[str, str]] = field(default_factory=set)
    facts: dict[str, Facts] = field(default_factory=dict)
    signals: dict[str, list[case_pb2.Signal]] = field(default_factory=dict)
    """The signals of cases read in this unit, and of those it opened (never read back)."""
    new_cases: set[str] = field(default_factory=set)
    """Cases opened in this unit: nothing about them is stored yet but what it wrote,
    which the unit keeps below, so it need not read any of it back."""
    new_handoffs: dict[str, list[HandoffRow]] = field(default_factory=dict)
    """The handoffs of the cases opened in this unit."""
    scheduled: set[tuple[str, str]] = field(default_factory=set)
    """(case, deadline kind) this unit scheduled."""


@dataclass
class Unit:
    """One transaction's session, its time, its caller, and what to do after it."""

    cases: Cases
    session: Session
    now: dt.datetime
    caller: PartyIdentity
    operator: str = ""
    """The person at the caller who acted, as the request names them (hub/domain/operators.py)."""
    actor: PartyIdentity | None = None
    """Who the timeline says acted: the caller, or the hub while it acts by itself."""
    cache: UnitCache = field(default_factory=UnitCache)
    deadlines: list[dt.datetime] = field(default_factory=list)
    woken: set[str] = field(default_factory=set)
    """The parties this unit sent mail to: their streams are rung after the commit."""
    logs: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.actor = self.actor or self.caller
        if self.caller != HUB:  # the gate checked the caller's role against the registry
            self.cache.roles.setdefault(self.caller.party_id, self.caller.role)

    @property
    def actor_id(self) -> str:
        return self.actor.party_id if self.actor else wording.HUB

    @contextlib.contextmanager
    def by_hub(self) -> Iterator[None]:
        """What happens inside is the hub's own doing, whoever's call set it off."""
        before, self.actor, self.operator = (self.actor, self.operator), HUB, ""
        try:
            yield
        finally:
            self.actor, self.operator = before

    def log(self, level: int, event: str, message: str, **fields: object) -> None:
        self.logs.append((level, message, {"event": event, **fields}))

    def post(self, party_id: str, message: inbox_service_pb2.InboxMessage) -> None:
        """Sends a message to a party's inbox: written last in this transaction, with the
        rest of its group's mail (hub/store/inbox.py), and dropped if the unit fails."""
        inbox.send(self.session, inbox.Mail(party_id, message, self.now))
        self.woken.add(party_id)


def by_hub(step: Callable[Concatenate[Unit, P], R]) -> Callable[Concatenate[Unit, P], R]:
    """Marks a step as the hub's own (the rule, the policy, the chase)."""

    @functools.wraps(step)
    def own(unit: Unit, *args: P.args, **kwargs: P.kwargs) -> R:
        with unit.by_hub():
            return step(unit, *args, **kwargs)

    return own


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


_SIGNED = signed_pb2.SignedMessage.DESCRIPTOR.full_name


def _request_hash(method: str, request: Message) -> str:
    """What makes two requests the same for idempotency: their content, not their
    signatures (a retry may be signed afresh, with new salts and a new message id)."""
    content = type(request)()
    content.CopyFrom(request)
    for descriptor, _value in request.ListFields():
        if descriptor.message_type is not None and descriptor.message_type.full_name == _SIGNED:
            content.ClearField(descriptor.name)
    body = content.SerializeToString(deterministic=True)
    return hashlib.sha256(method.encode() + body).hexdigest()


async def mutate(
    cases: Cases,
    caller: PartyIdentity,
    request: Message,
    response_type: type[M],
    work: Callable[[Unit], M],
) -> M:
    """Runs work in one unit, once per (caller, request_id), and notifies after commit."""
    method = type(request).__name__.removesuffix("Request")
    request_id: str = getattr(request, "request_id", "")
    request_hash = _request_hash(method, request)

    def transaction(session: Session) -> tuple[M, Unit]:
        unit = Unit(
            cases, session, cases.clock.now(), caller, operator=getattr(request, "operator", "")
        )
        if request_id:
            seen = idempotency.answer(session, caller.party_id, request_id)
            if seen is not None:
                if seen.method != method or seen.request_hash != request_hash:
                    raise HubError(
                        reasons.REQUEST_ID_REUSED,
                        f"request_id {request_id!r} was used for a different request",
                        {"field": "request_id"},
                    )
                return response_type.FromString(seen.response), unit
        response = work(unit)
        if request_id:
            db.append(
                session,
                IdempotencyRow,
                {
                    "party_id": caller.party_id,
                    "request_id": request_id,
                    "method": method,
                    "request_hash": request_hash,
                    "response": response.SerializeToString(),
                    "create_time": unit.now,
                },
            )
        return response, unit

    return await commit(cases, transaction)


async def commit(cases: Cases, work: Callable[[Session], tuple[R, Unit]]) -> R:
    """Writes a unit of work (run again if it lost a race), then notifies whom it concerns."""
    result, unit = await cases.db.write(work)
    cases.doorbell.ring(unit.woken)
    for level, message, fields in unit.logs:
        log.log(level, message, extra=fields)
    if unit.deadlines and cases.on_deadline is not None:
        cases.on_deadline(min(unit.deadlines))
    return result


async def hub_unit(cases: Cases, work: Callable[[Unit], R]) -> R:
    """A unit of the hub's own (deadlines firing, a party cut off): no request, no caller."""

    def transaction(session: Session) -> tuple[R, Unit]:
        unit = Unit(cases, session, cases.clock.now(), HUB)
        result = work(unit)
        return result, unit

    return await commit(cases, transaction)


async def read(cases: Cases, caller: PartyIdentity, work: Callable[[Unit], R]) -> R:
    """Runs a read in a unit of its own (for its cache); nothing is written."""
    return await cases.db.run(lambda session: work(Unit(cases, session, cases.clock.now(), caller)))
