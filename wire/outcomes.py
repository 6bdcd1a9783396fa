"""Which roles take which kind of work, and which outcome codes end it (docs/handoffs.md).

The hub refuses any other assignee or outcome; a desk's tools offer only these.
"""

from __future__ import annotations

from wire.enums import HandoffKind as K
from wire.enums import OutcomeCode as O
from wire.identity import Role

# Which roles may be handed each kind of work (and the platform's duty desk, any).
ASSIGNEE_ROLES: dict[int, frozenset[Role]] = {
    K.HOLD_ORDER: frozenset({Role.MERCHANT}),
    K.INTERCEPT_PARCEL: frozenset({Role.COURIER}),
    K.DISPATCH: frozenset({Role.POLICE, Role.COMMITTEE}),
    K.MEDICAL_CONSULT: frozenset({Role.HOSPITAL}),
    K.FOLLOW_UP: frozenset({Role.COMMITTEE}),
    K.STAY_IN_CONTACT: frozenset({Role.MERCHANT, Role.HOSPITAL}),
    K.DUTY_ALERT: frozenset({Role.PLATFORM}),
}

OUTCOMES: dict[int, frozenset[O]] = {
    K.HOLD_ORDER: frozenset({O.ORDER_HELD, O.ORDER_CANCELLED, O.ORDER_ALREADY_SHIPPED}),
    K.INTERCEPT_PARCEL: frozenset(
        {O.PARCEL_INTERCEPTED, O.PARCEL_ALREADY_DELIVERED, O.PARCEL_INTERCEPT_FAILED}
    ),
    K.DISPATCH: frozenset(
        {O.PERSON_FOUND_SAFE, O.PERSON_TAKEN_TO_HOSPITAL, O.PERSON_NOT_FOUND, O.FALSE_REPORT}
    ),
    K.MEDICAL_CONSULT: frozenset({O.DRUG_IDENTIFIED, O.DRUG_NOT_IDENTIFIED, O.REFERRAL_ACCEPTED}),
    K.FOLLOW_UP: frozenset(
        {O.FOLLOW_UP_PERSON_WELL, O.FOLLOW_UP_NEEDS_SUPPORT, O.FOLLOW_UP_UNREACHABLE}
    ),
    K.STAY_IN_CONTACT: frozenset({O.CONTACT_KEPT, O.PERSON_REPLIED, O.CONTACT_LOST}),
    K.DUTY_ALERT: frozenset({O.ALERT_HANDLED}),
}


def may_take(role: Role, kind: int) -> bool:
    """Whether a party of `role` may be handed work of `kind`."""
    return role == Role.PLATFORM or role in ASSIGNEE_ROLES.get(kind, frozenset())


def outcomes_for(role: Role) -> list[O]:
    """The outcome codes a party of `role` may report, in the proto's order."""
    return sorted(
        {code for kind, codes in OUTCOMES.items() if may_take(role, kind) for code in codes}
    )
