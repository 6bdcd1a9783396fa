"""Where the person is, when reporters disagree: candidates, the one in effect, confirmation.

Every address a reporter gives is kept as a candidate, named by the signal that first
gave it. Dispatch goes to the address in effect: the first reported (a district alone
is refined by the first street address in it, which contradicts nothing), until the
duty desk confirms another with ConfirmAddress. A later, different address never
replaces it silently: it is recorded as a conflict on the timeline, which tells the
platform's desks. Confirming another address cancels the open dispatches sent to the
old one and sends them anew to the desk of the confirmed address.

The timeline records candidate ids only, never address text: the chain outlives
retention, the signals do not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from lifeline.hub.v1 import case_pb2, handoff_pb2
from sqlmodel import Session, col, select

from hub import alerts, errors
from hub.errors import HubError
from hub.identity import Role
from hub.models import CaseEventRow, CaseRow, HandoffRow, PartyRow

if TYPE_CHECKING:
    from hub.engine import CaseEngine, _Tx

E = case_pb2.CaseEvent
H = handoff_pb2.Handoff
# Handoffs that send someone to the address, and who takes them when not the duty desk.
_SENT_TO_ADDRESS: dict[int, Role] = {
    handoff_pb2.HANDOFF_KIND_DISPATCH: Role.POLICE,
    handoff_pb2.HANDOFF_KIND_FOLLOW_UP: Role.COMMITTEE,
}
_OPEN = (H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED)


@dataclass(frozen=True)
class Candidate:
    candidate_id: str
    """The id of the signal that first gave this address."""
    jurisdiction_code: str
    text: str
    reporter_party_id: str
    observe_time: Timestamp | None = None

    def contradicts(self, other: Candidate) -> bool:
        """A district alone, within the other's district, adds nothing to contradict."""
        same_district = self.jurisdiction_code == other.jurisdiction_code
        return self.candidate_id != other.candidate_id and not (
            same_district and not (self.text and other.text)
        )


def candidates(signals: Iterable[case_pb2.Signal]) -> tuple[Candidate, ...]:
    """Each distinct address the signals give, in the order first reported."""
    found: dict[tuple[str, str], Candidate] = {}
    for signal in signals:
        address = signal.subject.address
        key = (address.jurisdiction_code, address.text.strip())
        if address.jurisdiction_code and key not in found:
            found[key] = Candidate(
                signal.signal_id,
                key[0],
                key[1],
                signal.reporter_party_id,
                signal.observe_time if signal.HasField("observe_time") else None,
            )
    return tuple(found.values())


def in_effect(found: tuple[Candidate, ...], confirmed: str | None) -> Candidate | None:
    """The address dispatch goes to: the confirmed one, else the first reported."""
    for candidate in found:
        if candidate.candidate_id == confirmed:
            return candidate
    if not found:
        return None
    first = found[0]
    if first.text:
        return first
    return next(
        (c for c in found if c.text and c.jurisdiction_code == first.jurisdiction_code), first
    )


def _address_events(session: Session, case_id: str) -> list[dict[str, object]]:
    """The data of the case's address events, newest first."""
    return [
        json.loads(data)
        for data in session.exec(
            select(CaseEventRow.data)
            .where(CaseEventRow.case_id == case_id, CaseEventRow.kind == E.KIND_ADDRESS)
            .order_by(col(CaseEventRow.sequence).desc())
        )
    ]


def confirmed(session: Session, case_id: str) -> str | None:
    """The candidate the duty desk confirmed last, from the case's timeline."""
    return next(
        (str(d["confirmed"]) for d in _address_events(session, case_id) if "confirmed" in d),
        None,
    )


def to_proto(
    found: tuple[Candidate, ...], current: Candidate | None
) -> list[case_pb2.AddressCandidate]:
    return [
        case_pb2.AddressCandidate(
            candidate_id=c.candidate_id,
            address=case_pb2.Address(jurisdiction_code=c.jurisdiction_code, text=c.text),
            reporter_party_id=c.reporter_party_id,
            observe_time=c.observe_time,
            in_effect=c == current,
        )
        for c in found
    ]


def reported(engine: CaseEngine, tx: _Tx, case: CaseRow) -> None:
    """After a signal is stored (or a case merged in): the case keeps the jurisdiction in
    effect, and addresses that contradict it, not yet put before the duty desk, are."""
    facts = engine._aggregate(tx.session, case.case_id)
    current = facts.address
    if current is None:
        return
    case.jurisdiction_code = current.jurisdiction_code
    rivals = [c.candidate_id for c in facts.address_candidates if c.contradicts(current)]
    if not rivals:
        return
    told: set[object] = set()
    for data in _address_events(tx.session, case.case_id):
        told.update(data.get("conflict", ()))  # type: ignore[arg-type]
    fresh = [c for c in rivals if c not in told]
    if fresh:
        engine._event(
            tx,
            case,
            E.KIND_ADDRESS,
            f"address conflict: {', '.join(fresh)} give another address than the one in"
            f" effect ({current.candidate_id}); dispatch stays there until the duty desk"
            " confirms one",
            {
                "conflict": fresh,
                "in_effect": current.candidate_id,
                "candidates": [c.candidate_id for c in facts.address_candidates],
            },
        )
        alerts.raise_alert(
            engine,
            tx,
            case,
            alerts.ADDRESS_CONFLICT,
            f"reporters disagree on the address ({', '.join(fresh)} against"
            f" {current.candidate_id}); confirm the one dispatch goes to",
        )


def confirm(engine: CaseEngine, tx: _Tx, case: CaseRow, candidate_id: str) -> None:
    """The duty desk names the address dispatch goes to; open dispatches sent to another
    are cancelled and sent anew to the desk of the confirmed one."""
    session = tx.session
    chosen = next(
        (
            c
            for c in engine._aggregate(session, case.case_id).address_candidates
            if c.candidate_id == candidate_id
        ),
        None,
    )
    if chosen is None:
        raise HubError(
            grpc.StatusCode.NOT_FOUND,
            errors.ADDRESS_CANDIDATE_NOT_FOUND,
            f"case {case.case_id} has no address candidate {candidate_id!r}",
            {"field": "candidate_id"},
        )
    engine._event(
        tx,
        case,
        E.KIND_ADDRESS,
        f"address {candidate_id} confirmed by {tx.caller.party_id}",
        {"confirmed": candidate_id},
    )
    engine._signals_changed(session, case.case_id)
    case.jurisdiction_code = chosen.jurisdiction_code
    case.update_time = tx.now
    session.add(case)
    sent = session.exec(
        select(HandoffRow)
        .where(
            HandoffRow.case_id == case.case_id,
            col(HandoffRow.kind).in_(_SENT_TO_ADDRESS),
            col(HandoffRow.state).in_(_OPEN),
        )
        .order_by(col(HandoffRow.create_time), col(HandoffRow.handoff_id))
    ).all()
    for handoff in sent:
        details = handoff_pb2.HandoffDetails.FromString(handoff.details)
        if (details.jurisdiction_code, details.address_text) == (
            chosen.jurisdiction_code,
            chosen.text,
        ):
            continue
        engine._transition(
            tx, handoff, H.STATE_CANCELLED, f"the duty desk confirmed address {candidate_id}"
        )
        holder = session.get(PartyRow, handoff.assignee_party_id)
        role = Role(holder.role) if holder is not None else Role.PLATFORM
        if role not in (Role.POLICE, Role.COMMITTEE):
            role = _SENT_TO_ADDRESS[handoff.kind]
        desk = engine._desk_for(session, role, chosen.jurisdiction_code)
        if desk is None:
            engine._event(
                tx,
                case,
                E.KIND_NOTE,
                f"no {role} desk for jurisdiction {chosen.jurisdiction_code};"
                " the duty desk must act",
                {
                    "kind": handoff_pb2.HandoffKind.Name(handoff.kind),
                    "reason": errors.NO_DESK_FOR_JURISDICTION,
                },
            )
            alerts.raise_alert(
                engine,
                tx,
                case,
                alerts.UNROUTABLE,
                f"no {role} desk for jurisdiction {chosen.jurisdiction_code}",
            )
            continue
        engine._create_handoff(tx, case, handoff.kind, desk, details.instruction)
