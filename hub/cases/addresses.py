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

from lifeline.hub.v1 import case_pb2, handoff_pb2

from hub.cases import alerts, automation, lifecycle, record
from hub.cases.unit import Unit
from hub.domain.errors import HubError
from hub.domain.facts import Candidate
from hub.store import handoffs, parties
from hub.store.models import CaseRow
from wire import reasons
from wire.identity import Role

E = case_pb2.CaseEvent
H = handoff_pb2.Handoff
# Handoffs that send someone to the address, and who takes them when not the duty desk.
_SENT_TO_ADDRESS: dict[int, Role] = {
    handoff_pb2.HANDOFF_KIND_DISPATCH: Role.POLICE,
    handoff_pb2.HANDOFF_KIND_FOLLOW_UP: Role.COMMITTEE,
}
_OPEN = (H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED)


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


def reported(tx: Unit, case: CaseRow) -> None:
    """After a signal is stored (or a case merged in): the case keeps the jurisdiction in
    effect, and addresses that contradict it, not yet put before the duty desk, are."""
    facts = record.facts_of(tx, case.case_id)
    current = facts.address
    if current is None:
        return
    case.jurisdiction_code = current.jurisdiction_code
    rivals = [c.candidate_id for c in facts.address_candidates if c.contradicts(current)]
    if not rivals:
        return
    told: set[object] = set()
    for data in record.address_events(tx, case.case_id):
        told.update(data.get("conflict", ()))  # type: ignore[arg-type]
    fresh = [c for c in rivals if c not in told]
    if fresh:
        record.event(
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
            tx,
            case,
            alerts.ADDRESS_CONFLICT,
            f"reporters disagree on the address ({', '.join(fresh)} against"
            f" {current.candidate_id}); confirm the one dispatch goes to",
        )


def confirm(tx: Unit, case: CaseRow, candidate_id: str) -> None:
    """The duty desk names the address dispatch goes to; open dispatches sent to another
    are cancelled and sent anew to the desk of the confirmed one."""
    session = tx.session
    chosen = next(
        (
            c
            for c in record.facts_of(tx, case.case_id).address_candidates
            if c.candidate_id == candidate_id
        ),
        None,
    )
    if chosen is None:
        raise HubError(
            reasons.ADDRESS_CANDIDATE_NOT_FOUND,
            f"case {case.case_id} has no address candidate {candidate_id!r}",
            {"field": "candidate_id"},
        )
    record.event(
        tx,
        case,
        E.KIND_ADDRESS,
        f"address {candidate_id} confirmed by {tx.caller.party_id}",
        {"confirmed": candidate_id},
    )
    record.signals_changed(tx, case.case_id)
    case.jurisdiction_code = chosen.jurisdiction_code
    case.update_time = tx.now
    session.add(case)
    sent = handoffs.of_kinds(session, case.case_id, _SENT_TO_ADDRESS, _OPEN)
    for handoff in sent:
        details = handoff_pb2.HandoffDetails.FromString(handoff.details)
        if (details.jurisdiction_code, details.address_text) == (
            chosen.jurisdiction_code,
            chosen.text,
        ):
            continue
        lifecycle.transition(
            tx, handoff, H.STATE_CANCELLED, f"the duty desk confirmed address {candidate_id}"
        )
        holder = parties.get(session, handoff.assignee_party_id)
        role = Role(holder.role) if holder is not None else Role.PLATFORM
        if role not in (Role.POLICE, Role.COMMITTEE):
            role = _SENT_TO_ADDRESS[handoff.kind]
        desk = automation.desk_for(tx, role, chosen.jurisdiction_code)
        if desk is None:
            record.event(
                tx,
                case,
                E.KIND_NOTE,
                f"no {role} desk for jurisdiction {chosen.jurisdiction_code};"
                " the duty desk must act",
                {
                    "kind": handoff_pb2.HandoffKind.Name(handoff.kind),
                    "reason": reasons.NO_DESK_FOR_JURISDICTION,
                },
            )
            alerts.raise_alert(
                tx,
                case,
                alerts.UNROUTABLE,
                f"no {role} desk for jurisdiction {chosen.jurisdiction_code}",
            )
            continue
        lifecycle.create(tx, case, handoff.kind, desk, details.instruction)
