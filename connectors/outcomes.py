"""Which outcome codes end which kind of work (docs/handoffs.md): the hub refuses any
other, and a desk's tools offer only these."""

from __future__ import annotations

from lifeline.hub.v1 import handoff_pb2

K = handoff_pb2

OUTCOMES: dict[int, frozenset[int]] = {
    K.HANDOFF_KIND_HOLD_ORDER: frozenset(
        {
            K.OUTCOME_CODE_ORDER_HELD,
            K.OUTCOME_CODE_ORDER_CANCELLED,
            K.OUTCOME_CODE_ORDER_ALREADY_SHIPPED,
        }
    ),
    K.HANDOFF_KIND_INTERCEPT_PARCEL: frozenset(
        {
            K.OUTCOME_CODE_PARCEL_INTERCEPTED,
            K.OUTCOME_CODE_PARCEL_ALREADY_DELIVERED,
            K.OUTCOME_CODE_PARCEL_INTERCEPT_FAILED,
        }
    ),
    K.HANDOFF_KIND_DISPATCH: frozenset(
        {
            K.OUTCOME_CODE_PERSON_FOUND_SAFE,
            K.OUTCOME_CODE_PERSON_TAKEN_TO_HOSPITAL,
            K.OUTCOME_CODE_PERSON_NOT_FOUND,
            K.OUTCOME_CODE_FALSE_REPORT,
        }
    ),
    K.HANDOFF_KIND_MEDICAL_CONSULT: frozenset(
        {
            K.OUTCOME_CODE_DRUG_IDENTIFIED,
            K.OUTCOME_CODE_DRUG_NOT_IDENTIFIED,
            K.OUTCOME_CODE_REFERRAL_ACCEPTED,
        }
    ),
    K.HANDOFF_KIND_FOLLOW_UP: frozenset(
        {
            K.OUTCOME_CODE_FOLLOW_UP_PERSON_WELL,
            K.OUTCOME_CODE_FOLLOW_UP_NEEDS_SUPPORT,
            K.OUTCOME_CODE_FOLLOW_UP_UNREACHABLE,
        }
    ),
    K.HANDOFF_KIND_STAY_IN_CONTACT: frozenset(
        {
            K.OUTCOME_CODE_CONTACT_KEPT,
            K.OUTCOME_CODE_PERSON_REPLIED,
            K.OUTCOME_CODE_CONTACT_LOST,
        }
    ),
    K.HANDOFF_KIND_DUTY_ALERT: frozenset({K.OUTCOME_CODE_ALERT_HANDLED}),
}
