"""The case engine: signals in, cases merged and graded, handoffs out, all durable.

Every mutation is one database transaction that also writes its timeline events
and the inbox messages it causes (the outbox), so an answered OK means all of it
is stored, and a refusal means none of it is. After the commit, the doorbell
wakes the streams of the parties that got mail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

import grpc
import sqlalchemy as sa
from google.protobuf.message import Message
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    signed_pb2,
)
from sqlmodel import Session, col, select

from connectors import claims as message_claims
from connectors import signed, wording
from connectors.outcomes import OUTCOMES
from connectors.signed import Signer
from hub import (
    addresses,
    alerts,
    caps,
    chase,
    db,
    errors,
    grading,
    inbox,
    limits,
    matching,
    operators,
    relay,
    rota,
    timeline,
    visibility,
    webhooks,
)
from hub.clock import Clock
from hub.db import Database
from hub.deadlines import ACKNOWLEDGE, FOLLOW_UP, RETENTION, DeadlinePolicy
from hub.disclosure import disclose, handoff_kind_key, narrow
from hub.errors import HubError
from hub.identity import PartyIdentity, Role, jurisdiction_ancestors
from hub.models import (
    CaseEventRow,
    CaseNoteRow,
    CasePartyRow,
    CaseRow,
    DeadlineRow,
    HandoffRow,
    IdempotencyRow,
    InboxRow,
    PartyRow,
    SignalRow,
    SignedMessageRow,
    SubjectKeyRow,
)
from hub.page_tokens import PageTokens
from hub.policy import ASSIGNEE_ROLES, OPEN_STATES, TRANSITIONS, HandoffPolicy
from hub.registry import ACTIVE, REVOKED
from hub.timestamps import timestamp

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
R = TypeVar("R")
P = ParamSpec("P")
H = handoff_pb2.Handoff
E = case_pb2.CaseEvent

OPEN = "open"
CLOSED = "closed"

_SOURCES_BY_ROLE = {
    Role.MERCHANT: {case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT},
    Role.HOSPITAL: {case_pb2.SIGNAL_SOURCE_HOSPITAL},
    Role.PLATFORM: {
        case_pb2.SIGNAL_SOURCE_PLATFORM_RISK_MODEL,
        case_pb2.SIGNAL_SOURCE_PLATFORM_DUTY_DESK,
    },
}
_KIND = handoff_pb2.HandoffKind.Name
_STATE = handoff_pb2.Handoff.State.Name


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


_SIGNED = signed_pb2.SignedMessage.DESCRIPTOR.full_name


# The actor of what the hub does by itself (deadlines firing, the rule, the policy).
_HUB = PartyIdentity(wording.HUB, Role.PLATFORM)


def _by_hub(
    method: Callable[Concatenate[CaseEngine, _Tx, P], R],
) -> Callable[Concatenate[CaseEngine, _Tx, P], R]:
    """Marks an engine step as the hub's own (the rule, the policy, the chase)."""

    @functools.wraps(method)
    def step(self: CaseEngine, tx: _Tx, *args: P.args, **kwargs: P.kwargs) -> R:
        with tx.by_hub():
            return method(self, tx, *args, **kwargs)

    return step


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@dataclass
class _Tx:
    """One transaction's session, its time, its caller, and the parties to wake after it."""

    session: Session
    now: dt.datetime
    caller: PartyIdentity
    deadlines: list[dt.datetime] = field(default_factory=list)
    outbox: list[tuple[str, inbox_service_pb2.InboxMessage]] = field(default_factory=list)
    acknowledge: dict[str, int] = field(default_factory=dict)
    """Inbox marks to move (party -> through sequence), with the other inbox locks."""
    marks: dict[str, int] = field(default_factory=dict)
    actor: PartyIdentity | None = None
    """Who the timeline says acted: the caller, or the hub while it acts by itself."""
    operator: str = ""
    """The person at the caller who acted, as the request names them (hub/operators.py)."""
    logs: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)
    """Lines for the operator's log, written once the transaction has committed
    (a unit of work that loses a race runs again, and must not log twice)."""

    def __post_init__(self) -> None:
        self.actor = self.actor or self.caller

    @contextlib.contextmanager
    def by_hub(self) -> Iterator[None]:
        """What happens inside is the hub's own doing, whoever's call set it off."""
        before, self.actor, self.operator = (self.actor, self.operator), _HUB, ""
        try:
            yield
        finally:
            self.actor, self.operator = before

    def log(self, level: int, event: str, message: str, **fields: object) -> None:
        self.logs.append((level, message, {"event": event, **fields}))

    def post(self, party_id: str, message: inbox_service_pb2.InboxMessage) -> None:
        """Queues a message for a party's inbox; written by finish(), in this transaction."""
        self.outbox.append((party_id, message))

    def finish(self) -> None:
        """Writes the queued inbox messages and acknowledgements, taking the parties' inbox
        locks in one order (by party id), last in the transaction, so that concurrent
        transactions on PostgreSQL cannot deadlock on them; each party's messages keep
        the order they were queued in."""
        mail: dict[str, list[inbox_service_pb2.InboxMessage]] = {}
        for recipient, message in self.outbox:
            mail.setdefault(recipient, []).append(message)
        for party_id in sorted(self.acknowledge.keys() | mail.keys()):
            if party_id in self.acknowledge:
                self.marks[party_id] = inbox.acknowledge_through(
                    self.session, party_id, self.acknowledge[party_id]
                )
            if party_id in mail:
                inbox.post(self.session, party_id, mail[party_id], self.now)
                webhooks.enqueue(self.session, party_id, mail[party_id], self.now)

    @property
    def woken(self) -> set[str]:
        return {party_id for party_id, _ in self.outbox}


@dataclass(frozen=True)
class _Aggregate:
    """What a case knows, gathered from its signals (the newest value wins, but for
    the address: see hub/addresses.py)."""

    address_text: str = ""
    address: addresses.Candidate | None = None
    address_candidates: tuple[addresses.Candidate, ...] = ()
    contact_phone: str = ""
    situation: str = ""
    clinical_facts: str = ""
    orders: tuple[case_pb2.OrderReference, ...] = ()
    parcels: tuple[case_pb2.ParcelReference, ...] = ()
    hospitals: tuple[str, ...] = ()
    signals: tuple[case_pb2.Signal, ...] = ()


class CaseEngine:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        secret: bytes,
        policy: HandoffPolicy,
        doorbell: inbox.Doorbell,
        signer: Signer,
        deadline_policy: DeadlinePolicy | None = None,
    ) -> None:
        self._signer = signer
        self._deadlines = deadline_policy or DeadlinePolicy()
        self._rng = random.Random()
        self.on_deadline: Callable[[dt.datetime], None] | None = None
        """Called after a commit that wrote deadlines, with the earliest (the scheduler's hook)."""
        self._db = db
        self._clock = clock
        self._secret = secret
        self._pages = PageTokens.from_secret(secret)
        self._policy = policy
        self.doorbell = doorbell

    # -- transactions ------------------------------------------------------

    async def _mutate(
        self,
        caller: PartyIdentity,
        request_id: str,
        request: Message,
        response_type: type[M],
        work: Callable[[_Tx], M],
    ) -> M:
        """Runs work in one transaction, once per (caller, request_id), and wakes inboxes."""
        method = type(request).__name__.removesuffix("Request")
        request_hash = _request_hash(method, request)

        def transaction(session: Session) -> tuple[M, _Tx]:
            tx = _Tx(session, self._clock.now(), caller, operator=getattr(request, "operator", ""))
            if request_id:
                seen = session.get(IdempotencyRow, (caller.party_id, request_id))
                if seen is not None:
                    if seen.method != method or seen.request_hash != request_hash:
                        raise HubError(
                            grpc.StatusCode.INVALID_ARGUMENT,
                            errors.REQUEST_ID_REUSED,
                            f"request_id {request_id!r} was used for a different request",
                            {"field": "request_id"},
                        )
                    return response_type.FromString(seen.response), tx
            response = work(tx)
            tx.finish()
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
                        "create_time": tx.now,
                    },
                )
            return response, tx

        return await self._commit(transaction)

    async def _commit(self, unit: Callable[[Session], tuple[R, _Tx]]) -> R:
        """Writes a unit of work (run again if it lost a race), then wakes whom it concerns."""
        result, tx = await self._db.write(unit)
        self._after_commit(tx)
        return result

    def _after_commit(self, tx: _Tx) -> None:
        """Wakes the streams that got mail, and the scheduler for new deadlines."""
        self.doorbell.ring(tx.woken)
        for level, message, fields in tx.logs:
            log.log(level, message, extra=fields)
        if tx.deadlines and self.on_deadline is not None:
            self.on_deadline(min(tx.deadlines))

    async def _read(self, work: Callable[[Session], M]) -> M:
        return await self._db.run(work)

    # -- helpers inside a transaction --------------------------------------

    def _event(
        self,
        tx: _Tx,
        case: CaseRow,
        kind: int,
        summary: str,
        data: dict[str, object] | None = None,
        *,
        notify: Iterable[str] = (),
        note: str = "",
    ) -> CaseEventRow:
        """Appends to the timeline; the platform's desks, and anyone in notify, are told.

        Free text (`note`) is kept beside the chain, which records its digest, so
        retention can erase it without breaking the chain.
        """
        if note:
            data = {**(data or {}), "note_digest": hashlib.sha256(note.encode()).hexdigest()}
        assert tx.actor is not None
        data, summary = operators.stamp(data, summary, tx.actor.party_id, tx.operator)
        event = timeline.append(tx.session, case, kind, tx.actor.party_id, summary, tx.now, data)
        if note:
            db.append(
                tx.session,
                CaseNoteRow,
                {"case_id": case.case_id, "sequence": event.sequence, "text": note},
            )
        recipients = set(self._platform_parties(tx.session)) | set(notify)
        body = timeline.event_body(event)
        facts = self._facts(tx.session, case)
        for party_id in sorted(recipients):
            role = self._role_of(tx.session, party_id)
            reader = visibility.Reader(party_id, role)
            view = visibility.event_view(reader, body, note, visibility.assignees(tx.session))
            if view is None:
                continue
            tx.post(
                party_id,
                inbox_service_pb2.InboxMessage(
                    case_id=case.case_id,
                    case_notice=inbox_service_pb2.CaseNotice(
                        case=visibility.case_to_proto(case, role, facts),
                        event_kind=kind,  # type: ignore[arg-type]
                        summary=view.summary,
                    ),
                ),
            )
        return event

    # Party lookups are read many times in one transaction and never written by it:
    # they are remembered for the transaction (session.info) and read without
    # autoflush, which the profile showed was most of the cost of a signal.

    @staticmethod
    def _platform_parties(session: Session) -> list[str]:
        if "platform_parties" not in session.info:
            with session.no_autoflush:
                session.info["platform_parties"] = list(
                    session.exec(
                        select(PartyRow.party_id).where(
                            PartyRow.role == Role.PLATFORM.value, PartyRow.state == ACTIVE
                        )
                    )
                )
        return list(session.info["platform_parties"])

    @staticmethod
    def _role_of(session: Session, party_id: str) -> Role:
        roles: dict[str, Role] = session.info.setdefault("roles", {})
        if party_id not in roles:
            with session.no_autoflush:
                row = session.get(PartyRow, party_id)
            if row is None:
                raise HubError(
                    grpc.StatusCode.NOT_FOUND, errors.PARTY_NOT_FOUND, f"no party {party_id!r}"
                )
            roles[party_id] = Role(row.role)
        return roles[party_id]

    @staticmethod
    def _join(session: Session, case_id: str, party_id: str) -> None:
        joined: set[tuple[str, str]] = session.info.setdefault("joined", set())
        if (case_id, party_id) in joined:
            return
        joined.add((case_id, party_id))
        table = db.table(CasePartyRow)
        known = db.read(
            session,
            sa.select(table.c.party_id).where(
                table.c.case_id == case_id, table.c.party_id == party_id
            ),
        ).first()
        if known is None:
            db.append(session, CasePartyRow, {"case_id": case_id, "party_id": party_id})

    @staticmethod
    def _signals(session: Session, case_id: str) -> list[case_pb2.Signal]:
        table = db.table(SignalRow)
        rows = db.read(
            session,
            sa.select(table.c.payload)
            .where(table.c.case_id == case_id)
            .order_by(table.c.create_time),
        )
        return [case_pb2.Signal.FromString(payload) for payload in rows.scalars()]

    @staticmethod
    def _signals_changed(session: Session, *case_ids: str) -> None:
        for case_id in case_ids:
            session.info.get("aggregates", {}).pop(case_id, None)

    def _aggregate(self, session: Session, case_id: str) -> _Aggregate:
        """What the case's signals say; computed once per transaction until they change."""
        cache: dict[str, _Aggregate] = session.info.setdefault("aggregates", {})
        if case_id not in cache:
            cache[case_id] = self._gather(session, case_id)
        return cache[case_id]

    def _gather(self, session: Session, case_id: str) -> _Aggregate:
        phone = ""
        situations: list[str] = []
        clinical: list[str] = []
        orders: dict[str, case_pb2.OrderReference] = {}
        parcels: dict[str, case_pb2.ParcelReference] = {}
        hospitals: dict[str, None] = {}
        signals = self._signals(session, case_id)
        for signal in signals:
            subject = signal.subject
            phone = subject.phone or phone
            if signal.situation:
                situations.append(signal.situation)
            if signal.clinical_facts:
                clinical.append(signal.clinical_facts)
            orders.update((o.order_id, o) for o in signal.orders)
            parcels.update((p.tracking_number, p) for p in signal.parcels)
            # A hospital named for a consult; the reporting hospital treats its own
            # patient and is not sent a consult about them (domain case 6).
            if signal.hospital_party_id and signal.hospital_party_id != signal.reporter_party_id:
                hospitals[signal.hospital_party_id] = None
        found = addresses.candidates(signals)
        address = addresses.in_effect(found, addresses.confirmed(session, case_id))
        return _Aggregate(
            address_text=address.text if address else "",
            address=address,
            address_candidates=found,
            contact_phone=phone,
            situation=" / ".join(situations)[-limits.NOTE.max_length :],
            clinical_facts=" / ".join(clinical)[-limits.NOTE.max_length :],
            orders=tuple(orders.values()),
            parcels=tuple(parcels.values()),
            hospitals=tuple(hospitals),
            signals=tuple(signals),
        )

    def _facts(self, session: Session, row: CaseRow) -> visibility.CaseFacts:
        """What the case's other rows add to it: its signals, its follow-ups to come."""
        follow_ups: list[dt.datetime] = []
        if row.state == CLOSED:  # follow-ups are scheduled at closing, dropped at reopening
            follow_ups = list(
                session.exec(
                    select(DeadlineRow.due_time)
                    .where(
                        DeadlineRow.case_id == row.case_id,
                        DeadlineRow.kind == FOLLOW_UP,
                        DeadlineRow.state == "pending",
                    )
                    .order_by(col(DeadlineRow.due_time))
                )
            )
        return visibility.CaseFacts(
            self._aggregate(session, row.case_id).signals, tuple(follow_ups)
        )

    def _case(
        self, session: Session, row: CaseRow, role: Role, *, with_signals: bool = False
    ) -> case_pb2.Case:
        return visibility.case_to_proto(
            row, role, self._facts(session, row), with_signals=with_signals
        )

    @staticmethod
    def _record_message(
        tx: _Tx,
        message: signed_pb2.SignedMessage,
        case_id: str,
        handoff_id: str | None = None,
        field: str = "receipt",
    ) -> dict[str, object]:
        """Keeps a signed message (from the request's `field`) as evidence; refuses a
        message id seen before.

        Returns the reference the timeline event carries, binding the chain to it.
        """
        payload = signed_pb2.SignedPayload.FromString(message.payload)
        table = db.table(SignedMessageRow)
        seen = db.read(
            tx.session,
            sa.select(table.c.message_id).where(
                table.c.issuer == payload.issuer, table.c.message_id == payload.message_id
            ),
        ).first()
        if seen is not None:
            raise HubError(
                grpc.StatusCode.INVALID_ARGUMENT,
                signed.MESSAGE_REPLAYED,
                f"message {payload.message_id!r} from {payload.issuer!r} was already received",
                {"field": f"{field}.payload.message_id"},
            )
        db.append(
            tx.session,
            SignedMessageRow,
            {
                "issuer": payload.issuer,
                "message_id": payload.message_id,
                "kind": payload.kind,
                "case_id": case_id,
                "handoff_id": handoff_id,
                "message": message.SerializeToString(),
                "create_time": tx.now,
            },
        )
        return {"message_id": payload.message_id, "message_digest": signed.payload_digest(message)}

    def _post_handoff(
        self, tx: _Tx, handoff: HandoffRow, message: signed_pb2.SignedMessage | None = None
    ) -> None:
        """Puts the handoff on its assignee's inbox, with the hub's signed message
        (stored, unless just made) narrowed to what the assignee may see now."""
        role = self._role_of(tx.session, handoff.assignee_party_id)
        if message is None:
            stored = tx.session.exec(
                select(SignedMessageRow).where(
                    SignedMessageRow.handoff_id == handoff.handoff_id,
                    SignedMessageRow.kind == signed.KIND_HANDOFF,
                )
            ).one()
            message = signed_pb2.SignedMessage.FromString(stored.message)
        visible = narrow(
            message,
            role,
            handoff_kind_key(handoff.kind),
            recipient=handoff.assignee_party_id,
            acknowledged=handoff.acknowledge_time is not None,
        )
        tx.post(
            handoff.assignee_party_id,
            inbox_service_pb2.InboxMessage(
                case_id=handoff.case_id,
                handoff=handoff_to_proto(handoff, role),
                signed_handoff=visible,
            ),
        )

    def _create_handoff(
        self,
        tx: _Tx,
        case: CaseRow,
        kind: int,
        assignee: PartyRow,
        instruction: str,
        *,
        order_id: str = "",
        tracking_number: str = "",
        escalated_from: str | None = None,
        escalated_from_party_id: str = "",
        escalation_reason: str = "",
        alert_reason: int = 0,
        alert_handoff_id: str | None = None,
        check_in_time: dt.datetime | None = None,
    ) -> HandoffRow:
        if Role(assignee.role) not in ASSIGNEE_ROLES[kind] | {Role.PLATFORM}:
            raise HubError(
                grpc.StatusCode.FAILED_PRECONDITION,
                errors.ASSIGNEE_NOT_SUITABLE,
                f"a {assignee.role} party cannot take {_KIND(kind)}",
                {"field": "assignee_party_id"},
            )
        if assignee.state != ACTIVE:
            raise HubError(
                grpc.StatusCode.FAILED_PRECONDITION,
                errors.PARTY_REVOKED if assignee.state == REVOKED else errors.PARTY_DEACTIVATED,
                f"party {assignee.party_id!r} is {assignee.state}",
                {"field": "assignee_party_id"},
            )
        facts = self._aggregate(tx.session, case.case_id)
        details = handoff_pb2.HandoffDetails(
            instruction=instruction or self._policy.instructions[kind],
            order_id=order_id,
            tracking_number=tracking_number,
            jurisdiction_code=case.jurisdiction_code or "",
            risk_level=case.risk_level,  # type: ignore[arg-type]
            situation=facts.situation,
            address_text=facts.address_text,
            contact_phone=facts.contact_phone,
            clinical_facts=facts.clinical_facts,
        )
        handoff = HandoffRow(
            handoff_id=_new_id("ho"),
            case_id=case.case_id,
            kind=kind,
            state=H.STATE_PENDING,
            assignee_party_id=assignee.party_id,
            # Only the platform calls CreateHandoff; anything else is the hub's own.
            creator_party_id=tx.actor.party_id if tx.actor else wording.HUB,
            details=details.SerializeToString(),
            order_id=order_id,
            tracking_number=tracking_number,
            create_time=tx.now,
            update_time=tx.now,
            due_time=self._acknowledge_by(tx, case, kind, tracking_number),
            escalated_from_handoff_id=escalated_from,
            escalated_from_party_id=escalated_from_party_id,
            escalation_reason=escalation_reason,
            alert_reason=alert_reason,
            alert_handoff_id=alert_handoff_id,
            check_in_time=check_in_time,
        )
        tx.session.add(handoff)
        assert handoff.due_time is not None
        self._schedule(tx, ACKNOWLEDGE, case.case_id, handoff.handoff_id, handoff.due_time)
        message = self._signer.sign(
            signed.KIND_HANDOFF,
            assignee.party_id,
            message_claims.handoff_claims(handoff_to_proto(handoff, Role.PLATFORM)),
            tx.now,
            lifetime=signed.HUB_MESSAGE_LIFETIME,
            case_id=case.case_id,
            handoff_id=handoff.handoff_id,
        )
        reference = self._record_message(tx, message, case.case_id, handoff.handoff_id)
        self._join(tx.session, case.case_id, assignee.party_id)
        target = f"order {order_id}" if order_id else ""
        target = f"parcel {tracking_number}" if tracking_number else target
        self._event(
            tx,
            case,
            E.KIND_HANDOFF,
            wording.handoff_created(kind, handoff.handoff_id, assignee.party_id, target),
            {
                "handoff_id": handoff.handoff_id,
                "kind": _KIND(kind),
                "assignee": assignee.party_id,
                **reference,
            },
        )
        self._post_handoff(tx, handoff, message)
        return handoff

    def _transition(
        self,
        tx: _Tx,
        handoff: HandoffRow,
        state: int,
        summary: str,
        data: dict[str, object] | None = None,
        *,
        note: str = "",
    ) -> None:
        if state not in TRANSITIONS[handoff.state]:
            raise HubError(
                grpc.StatusCode.FAILED_PRECONDITION,
                errors.ILLEGAL_TRANSITION,
                f"handoff {handoff.handoff_id} is {_STATE(handoff.state)};"
                f" it cannot become {_STATE(state)}",
                {"from": H.State.Name(handoff.state), "to": H.State.Name(state)},
            )
        handoff.state = state
        handoff.update_time = tx.now
        tx.session.add(handoff)
        case = tx.session.get(CaseRow, handoff.case_id, with_for_update=True)
        assert case is not None
        if state not in (H.STATE_PENDING, H.STATE_DELIVERED):
            # Nobody is waiting for an answer any more: the chase stops at once; on
            # acknowledgement the chase of the work itself begins (hub/chase.py).
            self._cancel_deadlines(
                tx, handoff_id=handoff.handoff_id, kinds=(ACKNOWLEDGE, *chase.WORK)
            )
        if state == H.STATE_ACKNOWLEDGED:
            chase.expect_work(self, tx, case, handoff)
        self._event(
            tx,
            case,
            E.KIND_DELIVERY if state == H.STATE_DELIVERED else E.KIND_HANDOFF,
            wording.handoff_changed(
                handoff.kind,
                state,
                handoff.handoff_id,
                handoff.assignee_party_id,
                summary,
                actor=tx.actor.party_id if tx.actor else "",
            ),
            {
                "handoff_id": handoff.handoff_id,
                "kind": _KIND(handoff.kind),
                "state": H.State.Name(state),
                **(data or {}),
            },
            note=note,
        )
        if state != H.STATE_DELIVERED:
            self._post_handoff(tx, handoff)

    # -- deadlines -------------------------------------------------------------

    def _schedule(
        self,
        tx: _Tx,
        kind: str,
        case_id: str,
        handoff_id: str | None,
        due: dt.datetime,
        attempt: int = 0,
    ) -> None:
        db.append(
            tx.session,
            DeadlineRow,
            {
                "deadline_id": _new_id("dl"),
                "kind": kind,
                "case_id": case_id,
                "handoff_id": handoff_id,
                "due_time": due,
                "attempt": attempt,
                "create_time": tx.now,
            },
        )
        tx.deadlines.append(due)

    @staticmethod
    def _cancel_deadlines(
        tx: _Tx,
        *,
        kinds: tuple[str, ...],
        handoff_id: str | None = None,
        case_id: str | None = None,
    ) -> None:
        query = sa.update(DeadlineRow).where(
            col(DeadlineRow.state) == "pending", col(DeadlineRow.kind).in_(kinds)
        )
        if handoff_id is not None:
            query = query.where(col(DeadlineRow.handoff_id) == handoff_id)
        if case_id is not None:
            query = query.where(col(DeadlineRow.case_id) == case_id)
        tx.session.execute(query.values(state="cancelled"))

    def _acknowledge_by(self, tx: _Tx, case: CaseRow, kind: int, parcel: str) -> dt.datetime:
        due = tx.now + self._deadlines.acknowledge_within(kind, case.risk_level)
        if parcel:
            # A parcel must be stopped before it arrives, however long the policy allows.
            for known in self._aggregate(tx.session, case.case_id).parcels:
                if known.tracking_number == parcel and known.HasField("estimated_delivery_time"):
                    arrival = known.estimated_delivery_time.ToDatetime(dt.UTC)
                    due = max(tx.now, min(due, arrival))
        return due

    async def next_deadline(self) -> dt.datetime | None:
        def work(session: Session) -> dt.datetime | None:
            return session.exec(
                select(sa.func.min(DeadlineRow.due_time)).where(DeadlineRow.state == "pending")
            ).one()

        return await self._db.run(work)

    async def reroute_from(self, party_id: str, why: str) -> int:
        """Hands the open work of a party that was cut off (revoked, deactivated) to the
        next in each handoff's escalation chain, as a decline would; returns how many.

        Acknowledged work is handed on too: a desk that is gone cannot complete it.
        """

        def work(session: Session) -> tuple[int, _Tx]:
            tx = _Tx(session, self._clock.now(), _HUB)
            held = list(
                session.exec(
                    select(HandoffRow)
                    .where(
                        HandoffRow.assignee_party_id == party_id,
                        col(HandoffRow.state).in_(OPEN_STATES),
                    )
                    .order_by(col(HandoffRow.case_id), col(HandoffRow.handoff_id))
                )
            )
            self._lock_cases(session, {h.case_id for h in held})
            for handoff in held:
                self._escalate(tx, handoff, why)
            tx.finish()
            return len(held), tx

        return await self._commit(work)

    @staticmethod
    def _lock_cases(session: Session, case_ids: set[str]) -> None:
        """Locks cases in one order (by id), so two hub processes cannot deadlock on them."""
        session.exec(
            select(CaseRow.case_id)
            .where(col(CaseRow.case_id).in_(case_ids))
            .order_by(col(CaseRow.case_id))
            .with_for_update()
        ).all()

    async def fire_due(self, fired_by: str, batch: int = 200) -> int:
        """Claims and fires up to `batch` due deadlines in one transaction; returns how many."""

        def work(session: Session) -> tuple[int, _Tx]:
            tx = _Tx(session, self._clock.now(), _HUB)
            query = (
                select(DeadlineRow)
                .where(DeadlineRow.state == "pending", col(DeadlineRow.due_time) <= tx.now)
                .order_by(col(DeadlineRow.due_time))
                .limit(batch)
            )
            if not self._db.is_sqlite:
                # Another hub process skips what this one holds, and vice versa.
                query = query.with_for_update(skip_locked=True)
            due = list(session.exec(query))
            # Effects lock their cases: in one order, by case.
            due.sort(key=lambda r: (r.case_id, r.due_time))
            self._lock_cases(session, {r.case_id for r in due})
            fired = 0
            for row in due:
                # The conditional update is the claim: only one process sees rowcount 1.
                claimed = session.execute(
                    sa.update(DeadlineRow)
                    .where(
                        col(DeadlineRow.deadline_id) == row.deadline_id,
                        col(DeadlineRow.state) == "pending",
                    )
                    .values(state="fired", fired_time=tx.now, fired_by=fired_by)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                session.refresh(row)
                self._fire(tx, row)
                fired += 1
            tx.finish()
            return fired, tx

        return await self._commit(work)

    def _fire(self, tx: _Tx, deadline: DeadlineRow) -> None:
        case = tx.session.get(CaseRow, deadline.case_id, with_for_update=True)
        assert case is not None
        if deadline.kind == ACKNOWLEDGE:
            assert deadline.handoff_id is not None
            handoff = tx.session.get(HandoffRow, deadline.handoff_id, with_for_update=True)
            assert handoff is not None
            if handoff.state not in (H.STATE_PENDING, H.STATE_DELIVERED):
                return
            late = f"{handoff.assignee_party_id} has not acknowledged in time"
            assignee = tx.session.get(PartyRow, handoff.assignee_party_id)
            # A desk cut off since is not sent the work again (its work is normally
            # handed on when it is cut off; this covers a hub that stopped in between).
            if deadline.attempt < self._deadlines.retry_attempts and (
                assignee is not None and assignee.state == ACTIVE
            ):
                attempt = deadline.attempt + 1
                due = tx.now + self._deadlines.retry_delay(attempt, self._rng)
                handoff.due_time = due
                tx.session.add(handoff)
                self._event(
                    tx,
                    case,
                    E.KIND_ESCALATION,
                    f"the {wording.kind(handoff.kind)} ({handoff.handoff_id}): {late}; sent again"
                    f" (retry {attempt} of {self._deadlines.retry_attempts})",
                    {"handoff_id": handoff.handoff_id, "retry": attempt},
                )
                self._post_handoff(tx, handoff)
                self._schedule(tx, ACKNOWLEDGE, case.case_id, handoff.handoff_id, due, attempt)
            else:
                self._escalate(tx, handoff, late)
        elif deadline.kind == FOLLOW_UP:
            self._follow_up(tx, case)
        elif deadline.kind == RETENTION:
            self._erase(tx, case)
        elif deadline.kind in chase.KINDS and case.state == OPEN:
            chase.fire(self, tx, case, deadline)
        elif deadline.kind in relay.DEADLINES:
            relay.fire(self, tx, case, deadline)

    def _chain(self, session: Session, handoff: HandoffRow) -> list[HandoffRow]:
        """The handoff and those it escalates, back to the first."""
        chain = [handoff]
        while chain[-1].escalated_from_handoff_id:
            previous = session.get(HandoffRow, chain[-1].escalated_from_handoff_id)
            assert previous is not None
            chain.append(previous)
        return chain

    def _next_assignees(self, tx: _Tx, handoff: HandoffRow, case: CaseRow) -> list[PartyRow]:
        """Who the chase goes to next: along the policy's steps, skipping whoever had it;
        a duty alert along its own (hub/alerts.py)."""
        if handoff.kind == alerts.DUTY_ALERT:
            return alerts.next_takers(self, tx, handoff)
        session = tx.session
        chain = self._chain(session, handoff)
        tried = {h.assignee_party_id for h in chain}
        origin = session.get(PartyRow, chain[-1].assignee_party_id)
        assert origin is not None
        candidates: list[str] = []
        for step in self._deadlines.escalation_steps:
            if step == "backup":
                candidates += [
                    b
                    for b in (self._deadlines.backups.get(origin.party_id), origin.backup_party_id)
                    if b
                ]
            elif (
                step == "parent_jurisdiction"
                and case.jurisdiction_code
                and origin.role in (Role.POLICE.value, Role.COMMITTEE.value)
            ):
                for code in jurisdiction_ancestors(case.jurisdiction_code)[1:]:
                    candidates += list(
                        session.exec(
                            select(PartyRow.party_id)
                            .where(
                                PartyRow.role == origin.role,
                                PartyRow.state == ACTIVE,
                                PartyRow.jurisdiction_code == code,
                            )
                            .order_by(col(PartyRow.party_id))
                        )
                    )
            elif step == "duty_desk":
                shift = rota.on_call(session, tx.now)
                if shift is not None:
                    candidates += [p for p in (shift.party_id, shift.backup_party_id) if p]
                candidates += sorted(self._platform_parties(session))
        for party_id in dict.fromkeys(candidates):
            party = session.get(PartyRow, party_id)
            if (
                party_id not in tried
                and party is not None
                and party.state == ACTIVE
                and Role(party.role) in ASSIGNEE_ROLES[handoff.kind] | {Role.PLATFORM}
            ):
                return [party]
        return []

    @_by_hub
    def _escalate(self, tx: _Tx, handoff: HandoffRow, why: str) -> None:
        """Hands the work to the next party in the chain, linked to this handoff."""
        case = tx.session.get(CaseRow, handoff.case_id, with_for_update=True)
        assert case is not None
        if case.state != OPEN:
            return
        successors = self._next_assignees(tx, handoff, case)
        if handoff.state in OPEN_STATES:
            self._transition(tx, handoff, H.STATE_ESCALATED if successors else H.STATE_EXPIRED, why)
        what = f"the {wording.kind(handoff.kind)} ({handoff.handoff_id})"
        if not successors:
            self._event(
                tx,
                case,
                E.KIND_ESCALATION,
                f"{what}: {why}, and nobody is left to escalate to; the duty desk must act",
                {"handoff_id": handoff.handoff_id},
            )
            tx.log(
                logging.WARNING,
                "expiry",
                "handoff expired: nobody is left to escalate to",
                case_id=case.case_id,
                handoff_id=handoff.handoff_id,
                party_id=handoff.assignee_party_id,
                reason=why,
            )
            chain = self._chain(tx.session, handoff)
            alerts.raise_alert(
                self,
                tx,
                case,
                alerts.DECLINED_BY_ALL if alerts.declined_by_all(chain) else alerts.EXPIRED,
                f"{what}: {why}; nobody is left to take it",
                about=handoff,
            )
            return
        for successor in successors:
            self._hand_on(tx, case, handoff, successor, why)

    def _hand_on(
        self, tx: _Tx, case: CaseRow, handoff: HandoffRow, successor: PartyRow, why: str
    ) -> None:
        """One step of a chase: the work, to the successor, linked to this handoff."""
        what = f"the {wording.kind(handoff.kind)} ({handoff.handoff_id})"
        details = handoff_pb2.HandoffDetails.FromString(handoff.details)
        successor_handoff = self._create_handoff(
            tx,
            case,
            handoff.kind,
            successor,
            details.instruction,
            order_id=handoff.order_id,
            tracking_number=handoff.tracking_number,
            escalated_from=handoff.handoff_id,
            escalated_from_party_id=handoff.assignee_party_id,
            escalation_reason=why,
            alert_reason=handoff.alert_reason,
            alert_handoff_id=handoff.alert_handoff_id,
        )
        self._event(
            tx,
            case,
            E.KIND_ESCALATION,
            f"{what} escalated to {successor.party_id} as {successor_handoff.handoff_id}: {why}",
            {
                "from": handoff.handoff_id,
                "to": successor_handoff.handoff_id,
                "assignee": successor.party_id,
            },
        )
        tx.log(
            logging.WARNING,
            "escalation",
            "handoff escalated",
            case_id=case.case_id,
            handoff_id=successor_handoff.handoff_id,
            party_id=successor.party_id,
            reason=why,
            from_handoff_id=handoff.handoff_id,
        )

    def _follow_up(self, tx: _Tx, case: CaseRow) -> None:
        """A promised follow-up after closing: the committee checks on the person."""
        desk = (
            self._desk_for(tx.session, Role.COMMITTEE, case.jurisdiction_code)
            if case.jurisdiction_code
            else None
        )
        if desk is None:
            why = "follow-up due, but no residents' committee serves the address"
            self._event(tx, case, E.KIND_NOTE, f"{why}; the duty desk must act")
            alerts.raise_alert(self, tx, case, alerts.UNROUTABLE, why)
            return
        self._create_handoff(
            tx,
            case,
            handoff_pb2.HANDOFF_KIND_FOLLOW_UP,
            desk,
            self._policy.instructions[handoff_pb2.HANDOFF_KIND_FOLLOW_UP],
        )

    def _erase(self, tx: _Tx, case: CaseRow) -> None:
        """Retention: erases the case's personal data; digests and the timeline stay."""
        session = tx.session
        for row in session.exec(select(SignalRow).where(SignalRow.case_id == case.case_id)):
            signal = case_pb2.Signal.FromString(row.payload)
            signal.subject.Clear()
            for name in ("situation", "clinical_facts"):
                signal.ClearField(name)
            for order in signal.orders:
                order.ClearField("item_summary")
            row.payload = signal.SerializeToString()
            session.add(row)
        self._signals_changed(session, case.case_id)
        for handoff in session.exec(select(HandoffRow).where(HandoffRow.case_id == case.case_id)):
            details = handoff_pb2.HandoffDetails.FromString(handoff.details)
            for name in ("situation", "address_text", "contact_phone", "clinical_facts"):
                details.ClearField(name)
            handoff.details = details.SerializeToString()
            handoff.outcome_note = handoff.decline_reason = ""
            session.add(handoff)
        for stored in session.exec(
            select(SignedMessageRow).where(SignedMessageRow.case_id == case.case_id)
        ):
            message = signed_pb2.SignedMessage.FromString(stored.message)
            keep = {
                raw
                for raw, name, _ in signed.disclosure_names(message)
                if name not in PERSONAL_CLAIMS
            }
            erased = sorted(
                {name for raw, name, _ in signed.disclosure_names(message) if raw not in keep}
                | set(json.loads(stored.erased_claims))
            )
            stored.message = signed.disclose_only(message, keep).SerializeToString()
            stored.erased_claims = json.dumps(erased)
            session.add(stored)
        for note in session.exec(select(CaseNoteRow).where(CaseNoteRow.case_id == case.case_id)):
            note.text, note.erased = "", True
            session.add(note)
        session.execute(sa.delete(SubjectKeyRow).where(col(SubjectKeyRow.case_id) == case.case_id))
        session.execute(sa.delete(InboxRow).where(col(InboxRow.case_id) == case.case_id))
        case.override_reason = case.resolution_note = ""
        self._event(
            tx,
            case,
            E.KIND_NOTE,
            "personal data erased after the retention period; digests and timeline kept",
        )

    def _desk_for(self, session: Session, role: Role, jurisdiction: str) -> PartyRow | None:
        """The active desk of a role for a jurisdiction: exact code, then city, then province."""
        codes = jurisdiction_ancestors(jurisdiction)
        party = db.table(PartyRow)
        desks = db.read(
            session,
            sa.select(party.c.party_id, party.c.jurisdiction_code).where(
                party.c.role == role.value,
                party.c.state == ACTIVE,
                party.c.jurisdiction_code.in_(codes),
            ),
        ).all()
        if not desks:
            return None
        nearest = min(desks, key=lambda d: (codes.index(d.jurisdiction_code), d.party_id))
        with session.no_autoflush:
            return session.get(PartyRow, nearest.party_id)

    @_by_hub
    def _apply_policy(self, tx: _Tx, case: CaseRow) -> None:
        """Creates the handoffs the policy asks for that the case does not have yet."""
        if case.risk_level not in self._policy.auto_levels or case.state != OPEN:
            return
        kinds = self._policy.auto_kinds
        existing = list(
            tx.session.exec(select(HandoffRow).where(HandoffRow.case_id == case.case_id))
        )
        facts = self._aggregate(tx.session, case.case_id)

        def has(
            kind: int, *, order_id: str = "", tracking: str = "", open_only: bool = False
        ) -> bool:
            return any(
                h.kind == kind
                and (not order_id or h.order_id == order_id)
                and (not tracking or h.tracking_number == tracking)
                and (not open_only or h.state in OPEN_STATES | {H.STATE_COMPLETED})
                for h in existing
            )

        def party(party_id: str, role: Role) -> PartyRow | None:
            row = tx.session.get(PartyRow, party_id)
            return (
                row if row is not None and row.role == role.value and row.state == ACTIVE else None
            )

        def unreachable(what: str, data: dict[str, object]) -> None:
            # The case is not lost: the duty desk is told it must act by hand.
            self._event(
                tx, case, E.KIND_NOTE, f"no handoff possible: {what}; the duty desk must act", data
            )
            alerts.raise_alert(self, tx, case, alerts.UNROUTABLE, what)

        room = caps.handoffs_left(len(existing))

        def create(
            kind: int, assignee: PartyRow, order_id: str = "", tracking_number: str = ""
        ) -> None:
            target = {
                k: v for k, v in (("order_id", order_id), ("tracking_number", tracking_number)) if v
            }
            nonlocal room
            if room == 0:
                unreachable(
                    f"the case has {caps.MAX_HANDOFFS_PER_CASE} handoffs, the most it may have",
                    {"kind": _KIND(kind), "reason": errors.LIMIT_EXCEEDED, **target},
                )
                return
            room -= 1
            instruction = self._policy.instructions[kind]
            self._create_handoff(
                tx,
                case,
                kind,
                assignee,
                instruction,
                order_id=order_id,
                tracking_number=tracking_number,
            )

        if handoff_pb2.HANDOFF_KIND_HOLD_ORDER in kinds:
            shipped = {p.order_id for p in facts.parcels if p.order_id}
            for order in facts.orders:
                if order.order_id in shipped or has(
                    handoff_pb2.HANDOFF_KIND_HOLD_ORDER, order_id=order.order_id
                ):
                    continue
                merchant = party(order.merchant_party_id, Role.MERCHANT)
                if merchant is None:
                    unreachable(
                        f"merchant {order.merchant_party_id!r} is not registered",
                        {"order": order.order_id},
                    )
                    continue
                create(handoff_pb2.HANDOFF_KIND_HOLD_ORDER, merchant, order_id=order.order_id)
        if handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL in kinds:
            for parcel in facts.parcels:
                if has(handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL, tracking=parcel.tracking_number):
                    continue
                courier = party(parcel.courier_party_id, Role.COURIER)
                if courier is None:
                    unreachable(
                        f"courier {parcel.courier_party_id!r} is not registered",
                        {"parcel": parcel.tracking_number},
                    )
                    continue
                create(
                    handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL,
                    courier,
                    tracking_number=parcel.tracking_number,
                )
        for kind, role in (
            (handoff_pb2.HANDOFF_KIND_DISPATCH, Role.POLICE),
            (handoff_pb2.HANDOFF_KIND_FOLLOW_UP, Role.COMMITTEE),
        ):
            if kind not in kinds or has(kind, open_only=True):
                continue
            if not case.jurisdiction_code:
                unreachable(
                    f"no jurisdiction known for a {wording.kind(kind)}", {"kind": _KIND(kind)}
                )
                continue
            desk = self._desk_for(tx.session, role, case.jurisdiction_code)
            if desk is None:
                unreachable(
                    f"no {role} desk for jurisdiction {case.jurisdiction_code}",
                    {"kind": _KIND(kind), "reason": errors.NO_DESK_FOR_JURISDICTION},
                )
                continue
            create(kind, desk)
        if handoff_pb2.HANDOFF_KIND_MEDICAL_CONSULT in kinds:
            for hospital_id in facts.hospitals:
                if any(
                    h.kind == handoff_pb2.HANDOFF_KIND_MEDICAL_CONSULT
                    and h.assignee_party_id == hospital_id
                    for h in existing
                ):
                    continue
                hospital = party(hospital_id, Role.HOSPITAL)
                if hospital is None:
                    unreachable(
                        f"hospital {hospital_id!r} is not registered", {"hospital": hospital_id}
                    )
                    continue
                create(handoff_pb2.HANDOFF_KIND_MEDICAL_CONSULT, hospital)
        if handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT in kinds:
            chat = relay.chat_party(tx.session, case.case_id)
            if chat is not None and not any(
                h.kind == handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT
                and h.assignee_party_id == chat.party_id
                and h.state != H.STATE_CANCELLED  # withdrawn at closing: asked again
                for h in existing
            ):
                create(handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT, chat)

    def _regrade(self, tx: _Tx, case: CaseRow, reason: str) -> None:
        computed = grading.grade(grading.from_mask(case.indicators_mask))
        case.computed_risk_level = computed
        level = case.risk_level
        if not case.risk_overridden or computed > case.risk_level:
            # An override holds until the evidence grades the case higher than it.
            level = computed
            case.risk_overridden = False
        if level != case.risk_level:
            before = case.risk_level
            case.risk_level = level
            case.peak_risk_level = max(case.peak_risk_level, level)
            self._event(
                tx,
                case,
                E.KIND_GRADE,
                wording.graded(level, "the rule", reason),
                {
                    "from": case_pb2.RiskLevel.Name(before),
                    "to": case_pb2.RiskLevel.Name(level),
                    "by": "rule",
                },
                notify=self._participants(
                    tx.session, case.case_id, {Role.POLICE, Role.COMMITTEE, Role.HOSPITAL}
                ),
            )

    def _participants(self, session: Session, case_id: str, roles: set[Role]) -> list[str]:
        party, member = db.table(PartyRow), db.table(CasePartyRow)
        rows = db.read(
            session,
            sa.select(party.c.party_id)
            .join(member, member.c.party_id == party.c.party_id)
            .where(member.c.case_id == case_id, party.c.role.in_([r.value for r in roles])),
        )
        return list(rows.scalars())

    # -- cases ---------------------------------------------------------------

    async def report_signal(
        self, caller: PartyIdentity, request: case_service_pb2.ReportSignalRequest
    ) -> case_service_pb2.ReportSignalResponse:
        signal = case_pb2.Signal()
        signal.CopyFrom(request.signal)
        self._validate_signal(caller, signal)
        keys = matching.subject_keys(self._secret, signal.subject)

        def work(tx: _Tx) -> case_service_pb2.ReportSignalResponse:
            session = tx.session
            if self._db.engine.dialect.name == "postgresql":
                # Two signals about one new person must not open two cases.
                for key in keys:
                    session.execute(
                        sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key}
                    )
            # Most signals are about someone new: a plain read finds that out cheaply,
            # and only open cases it finds are loaded (and locked) as rows to change.
            # A signal reported against a case joins that one, without matching.
            known, cases = db.table(SubjectKeyRow), db.table(CaseRow)
            candidates = (
                set()
                if request.case_id
                else set(
                    db.read(
                        session,
                        sa.select(known.c.case_id)
                        .join(cases, cases.c.case_id == known.c.case_id)
                        .where(known.c.key_hash.in_(keys), cases.c.state == OPEN),
                    ).scalars()
                )
            )
            matched = (
                list(
                    session.exec(
                        select(CaseRow)
                        .where(col(CaseRow.case_id).in_(candidates), CaseRow.state == OPEN)
                        .order_by(col(CaseRow.create_time), col(CaseRow.case_id))
                        .with_for_update()
                    )
                )
                if candidates
                else []
            )
            merged = bool(matched)
            if request.case_id:
                case = relay.named_case(tx, request.case_id)
            elif matched:
                case = matched[0]
            else:
                case = CaseRow(case_id=_new_id("case"), create_time=tx.now, update_time=tx.now)
                session.add(case)
                session.flush()
            self._check_reporter(tx, case.case_id, signal)
            signal.signal_id = _new_id("sig")
            signal.reporter_party_id = caller.party_id
            signal.case_id = case.case_id
            if not signal.HasField("observe_time"):
                signal.observe_time.FromDatetime(tx.now)
            db.append(
                session,
                SignalRow,
                {
                    "signal_id": signal.signal_id,
                    "case_id": case.case_id,
                    "reporter_party_id": caller.party_id,
                    "source": signal.source,
                    "payload": signal.SerializeToString(),
                    "create_time": tx.now,
                },
            )
            self._signals_changed(session, case.case_id)
            self._join(session, case.case_id, caller.party_id)
            self._remember_keys(session, case.case_id, keys)
            source = (
                case_pb2.SignalSource.Name(signal.source).removeprefix("SIGNAL_SOURCE_").lower()
            )
            self._event(
                tx,
                case,
                E.KIND_SIGNAL,
                f"signal {signal.signal_id} from {caller.party_id} ({source.replace('_', ' ')})",
                {
                    "signal_id": signal.signal_id,
                    "source": source,
                    **self._record_message(
                        tx, request.signed_signal, case.case_id, field="signed_signal"
                    ),
                },
                # The situation in the reporter's words, for the duty desk's timeline.
                note=signal.situation,
            )
            # What the hub makes of it (merge, address, grade, the policy's handoffs)
            # is the hub's doing, not the reporter's.
            with tx.by_hub():
                for other in matched[1:]:
                    self._absorb(tx, case, other)
                if merged:
                    sources = sorted(
                        {
                            r.reporter_party_id
                            for r in session.exec(
                                select(SignalRow).where(SignalRow.case_id == case.case_id)
                            )
                        }
                    )
                    self._event(
                        tx,
                        case,
                        E.KIND_MERGE,
                        f"signal {signal.signal_id} joined the open case;"
                        f" sources: {', '.join(sources)}",
                        {
                            "signal_id": signal.signal_id,
                            "sources": sources,
                            "absorbed_cases": [c.case_id for c in matched[1:]],
                        },
                    )
                addresses.reported(self, tx, case)
                case.indicators_mask |= grading.to_mask(signal.indicators)
                case.update_time = tx.now
                self._regrade(tx, case, f"signal {signal.signal_id}")
                self._apply_policy(tx, case)
                chase.await_triage(self, tx, case)
                relay.signal_reported(self, tx, case, signal)
            session.add(case)
            if caller.role != Role.PLATFORM:
                # Whether the person already had a case is not the reporter's to learn.
                return case_service_pb2.ReportSignalResponse(
                    signal=signal, case=visibility.report_answer(case.case_id)
                )
            return case_service_pb2.ReportSignalResponse(
                signal=signal, case=self._case(session, case, caller.role), merged=merged
            )

        return await self._mutate(
            caller, request.request_id, request, case_service_pb2.ReportSignalResponse, work
        )

    @staticmethod
    def _check_reporter(tx: _Tx, case_id: str, signal: case_pb2.Signal) -> None:
        """What a signal may ask of the hub: couriers it names are registered ones, and
        its reporter stays within the cap on signals about one person."""
        for i, parcel in enumerate(signal.parcels):
            courier = tx.session.get(PartyRow, parcel.courier_party_id)
            if courier is None or courier.role != Role.COURIER.value:
                raise HubError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    errors.COURIER_NOT_REGISTERED,
                    f"{parcel.courier_party_id!r} is not a registered courier",
                    {"field": f"signal.parcels[{i}].courier_party_id"},
                )
        signals = db.table(SignalRow)
        recent = db.read(
            tx.session,
            sa.select(sa.func.count()).where(
                signals.c.case_id == case_id,
                signals.c.reporter_party_id == tx.caller.party_id,
                signals.c.create_time > tx.now - caps.SIGNAL_WINDOW,
            ),
        ).scalar_one()
        caps.check_signal_rate(recent)

    @staticmethod
    def _remember_keys(session: Session, case_id: str, keys: Iterable[str]) -> None:
        """Adds the subject keys the case does not have yet."""
        table = db.table(SubjectKeyRow)
        keys = set(keys)
        known = (
            session.connection()
            .execute(
                sa.select(table.c.key_hash).where(
                    table.c.case_id == case_id, table.c.key_hash.in_(keys)
                )
            )
            .scalars()
        )
        new = sorted(keys - set(known))
        if new:
            db.append(session, SubjectKeyRow, [{"key_hash": k, "case_id": case_id} for k in new])

    def _absorb(self, tx: _Tx, survivor: CaseRow, other: CaseRow) -> None:
        """Merges another open case of the same person into the survivor."""
        session = tx.session
        session.execute(
            sa.update(SignalRow)
            .where(col(SignalRow.case_id) == other.case_id)
            .values(case_id=survivor.case_id)
        )
        session.execute(
            sa.update(HandoffRow)
            .where(col(HandoffRow.case_id) == other.case_id)
            .values(case_id=survivor.case_id)
        )
        session.execute(
            sa.update(SignedMessageRow)
            .where(col(SignedMessageRow.case_id) == other.case_id)
            .values(case_id=survivor.case_id)
        )
        self._remember_keys(
            session,
            survivor.case_id,
            session.exec(
                select(SubjectKeyRow.key_hash).where(SubjectKeyRow.case_id == other.case_id)
            ).all(),
        )
        for member in session.exec(
            select(CasePartyRow).where(CasePartyRow.case_id == other.case_id)
        ):
            self._join(session, survivor.case_id, member.party_id)
        self._signals_changed(session, survivor.case_id, other.case_id)
        survivor.indicators_mask |= other.indicators_mask
        survivor.peak_risk_level = max(survivor.peak_risk_level, other.peak_risk_level)
        if other.risk_overridden and other.risk_level > survivor.risk_level:
            survivor.risk_level, survivor.risk_overridden = other.risk_level, True
        other.state = CLOSED
        other.close_time = tx.now
        other.update_time = tx.now
        other.merged_into = survivor.case_id
        other.resolution_code = case_pb2.CaseResolution.CODE_DUPLICATE
        session.add(other)
        self._event(
            tx,
            other,
            E.KIND_CLOSE,
            f"merged into {survivor.case_id}: the same person",
            {"merged_into": survivor.case_id},
        )

    def _validate_signal(self, caller: PartyIdentity, signal: case_pb2.Signal) -> None:
        caps.check_signal_size(signal)
        if signal.source not in _SOURCES_BY_ROLE.get(caller.role, set()):
            raise errors.invalid_argument(
                f"a {caller.role} party cannot report a signal with source "
                f"{case_pb2.SignalSource.Name(signal.source)}",
                "signal.source",
            )
        subject = signal.subject
        if not (subject.buyer_id.strip() or subject.phone.strip() or subject.address.text.strip()):
            raise HubError(
                grpc.StatusCode.INVALID_ARGUMENT,
                errors.SUBJECT_REQUIRED,
                "a signal needs a subject reference: a buyer id, a phone or an address",
                {"field": "signal.subject"},
            )
        if subject.address.text and not subject.address.jurisdiction_code:
            raise HubError(
                grpc.StatusCode.INVALID_ARGUMENT,
                errors.INVALID_JURISDICTION,
                "an address needs its 6-digit jurisdiction code",
                {"field": "signal.subject.address.jurisdiction_code"},
            )
        for i, order in enumerate(signal.orders):
            if not order.order_id:
                raise errors.invalid_argument(
                    "every order needs an order_id", f"signal.orders[{i}].order_id"
                )
            if not order.merchant_party_id:
                if caller.role != Role.MERCHANT:
                    raise errors.invalid_argument(
                        "every order needs its merchant_party_id",
                        f"signal.orders[{i}].merchant_party_id",
                    )
                order.merchant_party_id = caller.party_id
            elif caller.role == Role.MERCHANT and order.merchant_party_id != caller.party_id:
                raise errors.invalid_argument(
                    "a merchant reports its own orders only",
                    f"signal.orders[{i}].merchant_party_id",
                )
        for i, parcel in enumerate(signal.parcels):
            if not parcel.tracking_number or not parcel.courier_party_id:
                raise errors.invalid_argument(
                    "every parcel needs a tracking_number and a courier_party_id",
                    f"signal.parcels[{i}]",
                )

    async def get_case(self, caller: PartyIdentity, case_id: str) -> case_pb2.Case:
        return await self._read(
            lambda s: self._case_with_addresses(
                s, visibility.visible_case(s, caller, case_id), caller
            )
        )

    def _case_with_addresses(
        self, session: Session, row: CaseRow, caller: PartyIdentity
    ) -> case_pb2.Case:
        case = self._case(session, row, caller.role, with_signals=True)
        if caller.role == Role.PLATFORM:
            facts = self._aggregate(session, row.case_id)
            found = addresses.to_proto(facts.address_candidates, facts.address)
            case.address_candidates.extend(found)
        return case

    async def confirm_address(
        self, caller: PartyIdentity, request: case_service_pb2.ConfirmAddressRequest
    ) -> case_service_pb2.ConfirmAddressResponse:
        def work(tx: _Tx) -> case_service_pb2.ConfirmAddressResponse:
            case = self._open_case(tx, request.case_id)
            addresses.confirm(self, tx, case, request.candidate_id)
            return case_service_pb2.ConfirmAddressResponse(
                case=self._case_with_addresses(tx.session, case, tx.caller)
            )

        return await self._mutate(
            caller, request.request_id, request, case_service_pb2.ConfirmAddressResponse, work
        )

    async def list_cases(
        self, caller: PartyIdentity, request: case_service_pb2.ListCasesRequest, page_size: int
    ) -> case_service_pb2.ListCasesResponse:
        if request.minimum_risk_level and caller.role not in visibility.SEES_CASE_DETAIL:
            raise errors.invalid_argument("grades are not yours to filter on", "minimum_risk_level")
        if request.HasField("updated_after") and caller.role not in visibility.SEES_CASE_DETAIL:
            raise errors.invalid_argument(
                "update times are not yours to filter on", "updated_after"
            )
        after = self._pages.after(caller.party_id, request)

        def work(session: Session) -> case_service_pb2.ListCasesResponse:
            query = select(CaseRow).order_by(col(CaseRow.case_id)).limit(page_size + 1)
            if caller.role != Role.PLATFORM:
                query = query.join(
                    CasePartyRow, col(CasePartyRow.case_id) == col(CaseRow.case_id)
                ).where(CasePartyRow.party_id == caller.party_id)
            if after is not None:
                query = query.where(col(CaseRow.case_id) > after)
            if request.state:
                query = query.where(
                    CaseRow.state == (OPEN if request.state == case_pb2.Case.STATE_OPEN else CLOSED)
                )
            if request.minimum_risk_level:
                query = query.where(col(CaseRow.risk_level) >= request.minimum_risk_level)
            if request.HasField("updated_after"):
                since = request.updated_after.ToDatetime(dt.UTC)
                query = query.where(col(CaseRow.update_time) >= since)
            rows = list(session.exec(query))
            token = (
                self._pages.next(caller.party_id, request, rows[page_size - 1].case_id)
                if len(rows) > page_size
                else ""
            )
            return case_service_pb2.ListCasesResponse(
                cases=[self._case(session, r, caller.role) for r in rows[:page_size]],
                next_page_token=token,
            )

        return await self._read(work)

    async def grade_case(
        self, caller: PartyIdentity, request: case_service_pb2.GradeCaseRequest
    ) -> case_service_pb2.GradeCaseResponse:
        if request.risk_level not in (
            grading.LOW,
            grading.MODERATE,
            grading.HIGH,
            grading.IMMINENT,
        ):
            raise errors.invalid_argument("risk_level must name a grade", "risk_level")

        def work(tx: _Tx) -> case_service_pb2.GradeCaseResponse:
            case = self._open_case(tx, request.case_id)
            before = case.risk_level
            case.risk_level = request.risk_level
            case.risk_overridden = True
            case.override_reason = request.reason
            case.peak_risk_level = max(case.peak_risk_level, request.risk_level)
            case.update_time = tx.now
            self._event(
                tx,
                case,
                E.KIND_GRADE,
                wording.overridden(request.risk_level, tx.caller.party_id),
                {
                    "from": case_pb2.RiskLevel.Name(before),
                    "to": case_pb2.RiskLevel.Name(request.risk_level),
                    "by": "override",
                },
                notify=self._participants(
                    tx.session, case.case_id, {Role.POLICE, Role.COMMITTEE, Role.HOSPITAL}
                ),
                note=request.reason,
            )
            chase.triaged(self, tx, case)
            self._apply_policy(tx, case)
            tx.session.add(case)
            return case_service_pb2.GradeCaseResponse(
                case=self._case(tx.session, case, tx.caller.role)
            )

        return await self._mutate(
            caller, request.request_id, request, case_service_pb2.GradeCaseResponse, work
        )

    def _open_case(self, tx: _Tx, case_id: str) -> CaseRow:
        case = visibility.visible_case(tx.session, tx.caller, case_id, lock=True)
        if case.state != OPEN:
            raise HubError(
                grpc.StatusCode.FAILED_PRECONDITION,
                errors.CASE_CLOSED,
                f"case {case_id} is closed"
                + (f" (merged into {case.merged_into})" if case.merged_into else ""),
            )
        return case

    async def add_note(
        self, caller: PartyIdentity, request: case_service_pb2.AddCaseNoteRequest
    ) -> case_service_pb2.AddCaseNoteResponse:
        share_with = relay.shared_roles(caller, request)

        def work(tx: _Tx) -> case_service_pb2.AddCaseNoteResponse:
            case = visibility.visible_case(tx.session, tx.caller, request.case_id, lock=True)
            event = self._event(
                tx, case, E.KIND_NOTE, f"note from {tx.caller.party_id}", note=request.text
            )
            if tx.caller.role == Role.PLATFORM:
                chase.triaged(self, tx, case)
            if share_with:
                relay.share(self, tx, case, request, share_with)
            return case_service_pb2.AddCaseNoteResponse(
                event=visibility.event_for(tx.session, tx.caller, event, request.text)
            )

        return await self._mutate(
            caller, request.request_id, request, case_service_pb2.AddCaseNoteResponse, work
        )

    async def list_events(
        self, caller: PartyIdentity, request: case_service_pb2.ListCaseEventsRequest, page_size: int
    ) -> case_service_pb2.ListCaseEventsResponse:
        after = self._pages.after(caller.party_id, request)
        after_sequence = int(after) if after is not None else 0  # the hub's own, so a number

        def work(session: Session) -> case_service_pb2.ListCaseEventsResponse:
            visibility.visible_case(session, caller, request.case_id)
            page, after = visibility.page_of_events(
                session, caller, request.case_id, after_sequence, page_size
            )
            return case_service_pb2.ListCaseEventsResponse(
                events=page,
                next_page_token=self._pages.next(caller.party_id, request, str(after))
                if after
                else "",
            )

        return await self._read(work)

    async def close_case(
        self, caller: PartyIdentity, request: case_service_pb2.CloseCaseRequest
    ) -> case_service_pb2.CloseCaseResponse:
        if not request.resolution.code:
            raise errors.invalid_argument("a resolution code is required", "resolution.code")

        def work(tx: _Tx) -> case_service_pb2.CloseCaseResponse:
            case = self._open_case(tx, request.case_id)
            for handoff in tx.session.exec(
                select(HandoffRow).where(
                    HandoffRow.case_id == case.case_id,
                    col(HandoffRow.state).in_(
                        [H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED]
                    ),
                    relay.cancelled_by_closing(tx.now),
                )
            ):
                self._transition(tx, handoff, H.STATE_CANCELLED, "the case was closed")
            case.state = CLOSED
            case.close_time = tx.now
            case.update_time = tx.now
            case.resolution_code = request.resolution.code
            case.resolution_note = request.resolution.note
            chase.triaged(self, tx, case)
            code = (
                case_pb2.CaseResolution.Code.Name(request.resolution.code)
                .removeprefix("CODE_")
                .lower()
            )
            self._event(
                tx,
                case,
                E.KIND_CLOSE,
                f"closed by {tx.caller.party_id}: {wording.resolution(code)}",
                {"resolution": code},
                notify=self._participants(tx.session, case.case_id, set(Role)),
                note=request.resolution.note,
            )
            if case.peak_risk_level >= grading.HIGH:
                for after in self._deadlines.follow_up_after:
                    self._schedule(tx, FOLLOW_UP, case.case_id, None, tx.now + after)
            self._schedule(tx, RETENTION, case.case_id, None, tx.now + self._deadlines.retention)
            tx.session.add(case)
            return case_service_pb2.CloseCaseResponse(
                case=self._case(tx.session, case, tx.caller.role)
            )

        return await self._mutate(
            caller, request.request_id, request, case_service_pb2.CloseCaseResponse, work
        )

    async def reopen_case(
        self, caller: PartyIdentity, request: case_service_pb2.ReopenCaseRequest
    ) -> case_service_pb2.ReopenCaseResponse:

        def work(tx: _Tx) -> case_service_pb2.ReopenCaseResponse:
            case = visibility.visible_case(tx.session, tx.caller, request.case_id, lock=True)
            if case.state == OPEN or case.merged_into:
                raise HubError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    errors.ILLEGAL_TRANSITION,
                    f"case {case.case_id} is open or was merged; it cannot be reopened",
                )
            case.state = OPEN
            case.close_time = None
            case.resolution_code = 0
            case.resolution_note = ""
            case.update_time = tx.now
            self._event(
                tx,
                case,
                E.KIND_REOPEN,
                f"reopened by {tx.caller.party_id}",
                notify=self._participants(tx.session, case.case_id, set(Role)),
                note=request.reason,
            )
            # The promises made at closing no longer hold: the case is live again.
            self._cancel_deadlines(tx, case_id=case.case_id, kinds=(FOLLOW_UP, RETENTION))
            self._apply_policy(tx, case)
            tx.session.add(case)
            return case_service_pb2.ReopenCaseResponse(
                case=self._case(tx.session, case, tx.caller.role)
            )

        return await self._mutate(
            caller, request.request_id, request, case_service_pb2.ReopenCaseResponse, work
        )

    # -- handoffs -------------------------------------------------------------

    async def create_handoff(
        self, caller: PartyIdentity, request: handoff_service_pb2.CreateHandoffRequest
    ) -> handoff_service_pb2.CreateHandoffResponse:
        if request.kind not in ASSIGNEE_ROLES:
            raise errors.invalid_argument("kind must name a handoff kind", "kind")
        if request.kind == handoff_pb2.HANDOFF_KIND_HOLD_ORDER and not request.order_id:
            raise errors.invalid_argument("HOLD_ORDER needs the order_id", "order_id")
        if (
            request.kind == handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL
            and not request.tracking_number
        ):
            raise errors.invalid_argument(
                "INTERCEPT_PARCEL needs the tracking_number", "tracking_number"
            )

        def work(tx: _Tx) -> handoff_service_pb2.CreateHandoffResponse:
            case = self._open_case(tx, request.case_id)
            caps.check_handoffs(
                tx.session.exec(
                    select(sa.func.count()).where(HandoffRow.case_id == case.case_id)
                ).one()
            )
            assignee = tx.session.get(PartyRow, request.assignee_party_id)
            if assignee is None:
                raise HubError(
                    grpc.StatusCode.NOT_FOUND,
                    errors.PARTY_NOT_FOUND,
                    f"no party {request.assignee_party_id!r}",
                    {"field": "assignee_party_id"},
                )
            handoff = self._create_handoff(
                tx,
                case,
                request.kind,
                assignee,
                request.instruction,
                order_id=request.order_id,
                tracking_number=request.tracking_number,
                check_in_time=relay.check_in_time(request, tx.now),
            )
            chase.triaged(self, tx, case)
            relay.schedule_check_in(self, tx, handoff)
            return handoff_service_pb2.CreateHandoffResponse(
                handoff=handoff_to_proto(handoff, tx.caller.role)
            )

        return await self._mutate(
            caller, request.request_id, request, handoff_service_pb2.CreateHandoffResponse, work
        )

    async def get_handoff(self, caller: PartyIdentity, handoff_id: str) -> handoff_pb2.Handoff:
        return await self._read(
            lambda s: handoff_to_proto(
                visibility.visible_handoff(s, caller, handoff_id), caller.role
            )
        )

    async def list_handoffs(
        self,
        caller: PartyIdentity,
        request: handoff_service_pb2.ListHandoffsRequest,
        page_size: int,
    ) -> handoff_service_pb2.ListHandoffsResponse:
        after = self._pages.after(caller.party_id, request)

        def work(session: Session) -> handoff_service_pb2.ListHandoffsResponse:
            query = select(HandoffRow).order_by(col(HandoffRow.handoff_id)).limit(page_size + 1)
            if caller.role != Role.PLATFORM:
                query = query.where(HandoffRow.assignee_party_id == caller.party_id)
            if request.case_id:
                query = query.where(HandoffRow.case_id == request.case_id)
            if request.state:
                query = query.where(HandoffRow.state == request.state)
            if after is not None:
                query = query.where(col(HandoffRow.handoff_id) > after)
            rows = list(session.exec(query))
            token = (
                self._pages.next(caller.party_id, request, rows[page_size - 1].handoff_id)
                if len(rows) > page_size
                else ""
            )
            return handoff_service_pb2.ListHandoffsResponse(
                handoffs=[handoff_to_proto(r, caller.role) for r in rows[:page_size]],
                next_page_token=token,
            )

        return await self._read(work)

    def _own_handoff(self, tx: _Tx, handoff_id: str) -> HandoffRow:
        """The caller's own handoff, locked; the platform may act on any."""
        return visibility.visible_handoff(tx.session, tx.caller, handoff_id, lock=True)

    async def acknowledge_handoff(
        self, caller: PartyIdentity, request: handoff_service_pb2.AcknowledgeHandoffRequest
    ) -> handoff_service_pb2.AcknowledgeHandoffResponse:
        def work(tx: _Tx) -> handoff_service_pb2.AcknowledgeHandoffResponse:
            handoff = self._own_handoff(tx, request.handoff_id)
            late = handoff.state in (H.STATE_ESCALATED, H.STATE_EXPIRED)
            receipt = self._record_message(tx, request.receipt, handoff.case_id, handoff.handoff_id)
            handoff.acknowledge_time = tx.now
            self._transition(
                tx,
                handoff,
                H.STATE_ACKNOWLEDGED,
                "late, after escalation" if late else "",
                {"late": late, **receipt},
            )
            alerts.taken(self, tx, handoff)
            if late:
                relay.acknowledged_late(self, tx, handoff)
            return handoff_service_pb2.AcknowledgeHandoffResponse(
                handoff=handoff_to_proto(handoff, tx.caller.role)
            )

        return await self._mutate(
            caller,
            request.request_id,
            request,
            handoff_service_pb2.AcknowledgeHandoffResponse,
            work,
        )

    async def decline_handoff(
        self, caller: PartyIdentity, request: handoff_service_pb2.DeclineHandoffRequest
    ) -> handoff_service_pb2.DeclineHandoffResponse:

        def work(tx: _Tx) -> handoff_service_pb2.DeclineHandoffResponse:
            handoff = self._own_handoff(tx, request.handoff_id)
            receipt = self._record_message(tx, request.receipt, handoff.case_id, handoff.handoff_id)
            handoff.decline_reason = request.reason
            self._transition(tx, handoff, H.STATE_DECLINED, "", receipt, note=request.reason)
            # Someone must still have it: a decline moves the chase on at once.
            self._escalate(tx, handoff, f"{tx.caller.party_id} declined")
            return handoff_service_pb2.DeclineHandoffResponse(
                handoff=handoff_to_proto(handoff, tx.caller.role)
            )

        return await self._mutate(
            caller, request.request_id, request, handoff_service_pb2.DeclineHandoffResponse, work
        )

    async def complete_handoff(
        self, caller: PartyIdentity, request: handoff_service_pb2.CompleteHandoffRequest
    ) -> handoff_service_pb2.CompleteHandoffResponse:

        def work(tx: _Tx) -> handoff_service_pb2.CompleteHandoffResponse:
            handoff = self._own_handoff(tx, request.handoff_id)
            if request.outcome.code not in OUTCOMES[handoff.kind]:
                raise HubError(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    errors.OUTCOME_NOT_FOR_KIND,
                    f"{handoff_pb2.OutcomeCode.Name(request.outcome.code)}"
                    f" is not an outcome of {_KIND(handoff.kind)}",
                    {"field": "outcome.code"},
                )
            handoff.outcome_code = request.outcome.code
            handoff.outcome_note = request.outcome.note
            outcome = (
                handoff_pb2.OutcomeCode.Name(request.outcome.code)
                .removeprefix("OUTCOME_CODE_")
                .lower()
            )
            receipt = self._record_message(tx, request.receipt, handoff.case_id, handoff.handoff_id)
            self._transition(
                tx,
                handoff,
                H.STATE_COMPLETED,
                wording.outcome(request.outcome.code),
                {"outcome": outcome, **receipt},
            )
            return handoff_service_pb2.CompleteHandoffResponse(
                handoff=handoff_to_proto(handoff, tx.caller.role)
            )

        return await self._mutate(
            caller, request.request_id, request, handoff_service_pb2.CompleteHandoffResponse, work
        )

    async def report_progress(
        self, caller: PartyIdentity, request: handoff_service_pb2.ReportProgressRequest
    ) -> handoff_service_pb2.ReportProgressResponse:
        chase.check_stage(request.stage)

        def work(tx: _Tx) -> handoff_service_pb2.ReportProgressResponse:
            handoff = self._own_handoff(tx, request.handoff_id)
            chase.report_progress(self, tx, handoff, request)
            return handoff_service_pb2.ReportProgressResponse(
                handoff=handoff_to_proto(handoff, tx.caller.role)
            )

        return await self._mutate(
            caller, request.request_id, request, handoff_service_pb2.ReportProgressResponse, work
        )

    # -- inbox ----------------------------------------------------------------

    async def inbox_start(self, caller: PartyIdentity, after_sequence: int) -> int:
        return await self._db.run(lambda s: inbox.start_after(s, caller.party_id, after_sequence))

    async def inbox_marks(self, party_ids: list[str]) -> dict[str, int]:
        return await self._db.run(lambda s: inbox.marks(s, party_ids))

    async def inbox_read(self, caller: PartyIdentity, after_sequence: int) -> list[InboxRow]:
        return await self._db.run(lambda s: inbox.read(s, caller.party_id, after_sequence))

    async def inbox_acknowledge(self, caller: PartyIdentity, through: int) -> int:
        """Records receipt; a handoff still PENDING in the covered messages becomes DELIVERED."""

        def work(session: Session) -> tuple[int, _Tx]:
            tx = _Tx(session, self._clock.now(), caller)
            covered = inbox.covered(session, caller.party_id, through)
            for handoff_id in dict.fromkeys(r.handoff_id for r in covered if r.handoff_id):
                handoff = session.get(HandoffRow, handoff_id, with_for_update=True)
                if handoff is not None and handoff.state == H.STATE_PENDING:
                    self._transition(tx, handoff, H.STATE_DELIVERED, "")
            tx.acknowledge[caller.party_id] = through
            tx.finish()
            return tx.marks[caller.party_id], tx

        return await self._commit(work)


# -- messages as each role sees them ---------------------------------------------


# Claims retention erases from stored signed messages.
PERSONAL_CLAIMS = frozenset(
    {
        message_claims.BUYER_ID,
        message_claims.PHONE,
        message_claims.ADDRESS,
        message_claims.SITUATION,
        message_claims.CLINICAL_FACTS,
        message_claims.REASON,
        message_claims.NOTE,
        message_claims.ORDER,
        "address_text",
        "contact_phone",
        "situation",
        "clinical_facts",
    }
)


def handoff_to_proto(row: HandoffRow, role: Role) -> handoff_pb2.Handoff:
    acknowledged = row.acknowledge_time is not None
    details = disclose(
        handoff_pb2.HandoffDetails.FromString(row.details),
        role,
        row.kind,
        acknowledged,
        recipient=row.assignee_party_id,
    )
    handoff = handoff_pb2.Handoff(
        handoff_id=row.handoff_id,
        case_id=row.case_id,
        kind=row.kind,  # type: ignore[arg-type]
        state=row.state,  # type: ignore[arg-type]
        assignee_party_id=row.assignee_party_id,
        creator_party_id=row.creator_party_id,
        details=details,
        create_time=timestamp(row.create_time),
        update_time=timestamp(row.update_time),
        due_time=timestamp(row.due_time),
        acknowledge_time=timestamp(row.acknowledge_time),
        decline_reason=row.decline_reason,
        escalated_from_handoff_id=row.escalated_from_handoff_id or "",
        alert_reason=row.alert_reason,  # type: ignore[arg-type]
        alert_handoff_id=row.alert_handoff_id or "",
        check_in_time=timestamp(row.check_in_time),
    )
    if row.progress_stage:
        handoff.progress.CopyFrom(
            handoff_pb2.Progress(
                stage=row.progress_stage,  # type: ignore[arg-type]
                note=row.progress_note,
                report_time=timestamp(row.progress_time),
            )
        )
    if row.escalated_from_handoff_id:
        handoff.escalated_from.CopyFrom(
            handoff_pb2.EscalatedFrom(
                party_id=row.escalated_from_party_id,
                handoff_id=row.escalated_from_handoff_id,
                reason=row.escalation_reason,
            )
        )
    if row.outcome_code:
        handoff.outcome.code = row.outcome_code  # type: ignore[assignment]
        handoff.outcome.note = row.outcome_note
    return handoff
