"""What the hub does by itself: the rule grades the case, the policy sends the handoffs

it asks for (hold the orders, intercept the parcels, dispatch, consult, stay in
contact), and a promised follow-up comes due. Whatever it cannot route becomes a duty
alert: the case is never lost.
"""

from __future__ import annotations

from lifeline.hub.v1 import case_pb2, handoff_pb2

from hub.cases import alerts, lifecycle, record, relay
from hub.cases.unit import Unit, by_hub
from hub.domain import caps, grading
from hub.domain.policy import OPEN_STATES
from hub.store import parties
from hub.store.cases import OPEN
from hub.store.models import CaseRow, PartyRow
from hub.store.registry import ACTIVE
from wire import reasons, wording
from wire.identity import Role, jurisdiction_ancestors

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent
_KIND = handoff_pb2.HandoffKind.Name


def desk_for(tx: Unit, role: Role, jurisdiction: str) -> PartyRow | None:
    """The active desk of a role for a jurisdiction: exact code, then city, then province.
    Asked once per unit (a sweep asks it for every follow-up that falls due)."""
    found = tx.cache.desks
    if (role, jurisdiction) not in found:
        codes = jurisdiction_ancestors(jurisdiction)
        desks = parties.desks(tx.session, role, codes)
        found[role, jurisdiction] = min(
            desks, key=lambda d: (codes.index(d.jurisdiction_code or ""), d.party_id), default=None
        )
    return found[role, jurisdiction]


@by_hub
def apply_policy(tx: Unit, case: CaseRow) -> None:
    """Creates the handoffs the policy asks for that the case does not have yet."""
    if case.risk_level not in tx.cases.policy.auto_levels or case.state != OPEN:
        return
    kinds = tx.cases.policy.auto_kinds
    existing = record.handoffs_of(tx, case.case_id)
    facts = record.facts_of(tx, case.case_id)

    def has(kind: int, *, order_id: str = "", tracking: str = "", open_only: bool = False) -> bool:
        return any(
            h.kind == kind
            and (not order_id or h.order_id == order_id)
            and (not tracking or h.tracking_number == tracking)
            and (not open_only or h.state in OPEN_STATES | {H.STATE_COMPLETED})
            for h in existing
        )

    def party(party_id: str, role: Role) -> PartyRow | None:
        row = parties.get(tx.session, party_id)
        return row if row is not None and row.role == role.value and row.state == ACTIVE else None

    def unreachable(what: str, data: dict[str, object]) -> None:
        # The case is not lost: the duty desk is told it must act by hand.
        record.event(
            tx, case, E.KIND_NOTE, f"no handoff possible: {what}; the duty desk must act", data
        )
        alerts.raise_alert(tx, case, alerts.UNROUTABLE, what)

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
                {"kind": _KIND(kind), "reason": reasons.LIMIT_EXCEEDED, **target},
            )
            return
        room -= 1
        instruction = tx.cases.policy.instructions[kind]
        lifecycle.create(
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
            unreachable(f"no jurisdiction known for a {wording.kind(kind)}", {"kind": _KIND(kind)})
            continue
        desk = desk_for(tx, role, case.jurisdiction_code)
        if desk is None:
            unreachable(
                f"no {role} desk for jurisdiction {case.jurisdiction_code}",
                {"kind": _KIND(kind), "reason": reasons.NO_DESK_FOR_JURISDICTION},
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


def regrade(tx: Unit, case: CaseRow, reason: str) -> None:
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
        record.event(
            tx,
            case,
            E.KIND_GRADE,
            wording.graded(level, "the rule", reason),
            {
                "from": case_pb2.RiskLevel.Name(before),
                "to": case_pb2.RiskLevel.Name(level),
                "by": "rule",
            },
            notify=record.participants(
                tx, case.case_id, {Role.POLICE, Role.COMMITTEE, Role.HOSPITAL}
            ),
        )


def follow_up(tx: Unit, case: CaseRow) -> None:
    """A promised follow-up after closing: the committee checks on the person."""
    desk = desk_for(tx, Role.COMMITTEE, case.jurisdiction_code) if case.jurisdiction_code else None
    if desk is None:
        why = "follow-up due, but no residents' committee serves the address"
        record.event(tx, case, E.KIND_NOTE, f"{why}; the duty desk must act")
        alerts.raise_alert(tx, case, alerts.UNROUTABLE, why)
        return
    lifecycle.create(
        tx,
        case,
        handoff_pb2.HANDOFF_KIND_FOLLOW_UP,
        desk,
        tx.cases.policy.instructions[handoff_pb2.HANDOFF_KIND_FOLLOW_UP],
    )
