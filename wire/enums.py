"""IntEnum wrappers over the lifeline.hub.v1 enums, as temporalio's common.py wraps its API's.

Each member's value is the proto number, so a member goes wherever the proto expects
the enum (``Handoff(kind=HandoffKind.DISPATCH)``) and a number read from a message
becomes a member (``HandoffKind(handoff.kind)``), which prints as a name rather than a
number. The names drop the proto's prefix; tests/test_wire.py checks that every
wrapper has exactly the proto's names and numbers.
"""

from __future__ import annotations

from enum import IntEnum

from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2, party_pb2, signed_pb2


class RiskLevel(IntEnum):
    """How urgent a case is (lifeline.hub.v1.RiskLevel)."""

    UNSPECIFIED = case_pb2.RISK_LEVEL_UNSPECIFIED
    LOW = case_pb2.RISK_LEVEL_LOW
    MODERATE = case_pb2.RISK_LEVEL_MODERATE
    HIGH = case_pb2.RISK_LEVEL_HIGH
    IMMINENT = case_pb2.RISK_LEVEL_IMMINENT


class SignalSource(IntEnum):
    """Who raised a signal (lifeline.hub.v1.SignalSource)."""

    UNSPECIFIED = case_pb2.SIGNAL_SOURCE_UNSPECIFIED
    MERCHANT_CHAT = case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT
    PLATFORM_RISK_MODEL = case_pb2.SIGNAL_SOURCE_PLATFORM_RISK_MODEL
    PLATFORM_DUTY_DESK = case_pb2.SIGNAL_SOURCE_PLATFORM_DUTY_DESK
    HOSPITAL = case_pb2.SIGNAL_SOURCE_HOSPITAL


class CaseState(IntEnum):
    """Whether a case is open (lifeline.hub.v1.Case.State)."""

    UNSPECIFIED = case_pb2.Case.STATE_UNSPECIFIED
    OPEN = case_pb2.Case.STATE_OPEN
    CLOSED = case_pb2.Case.STATE_CLOSED


class ResolutionCode(IntEnum):
    """How a case was closed (lifeline.hub.v1.CaseResolution.Code)."""

    UNSPECIFIED = case_pb2.CaseResolution.CODE_UNSPECIFIED
    PERSON_SAFE = case_pb2.CaseResolution.CODE_PERSON_SAFE
    HOSPITALISED = case_pb2.CaseResolution.CODE_HOSPITALISED
    DE_ESCALATED = case_pb2.CaseResolution.CODE_DE_ESCALATED
    FALSE_REPORT = case_pb2.CaseResolution.CODE_FALSE_REPORT
    NOT_FOUND = case_pb2.CaseResolution.CODE_NOT_FOUND
    DUPLICATE = case_pb2.CaseResolution.CODE_DUPLICATE


class CaseEventKind(IntEnum):
    """What a timeline entry records (lifeline.hub.v1.CaseEvent.Kind)."""

    UNSPECIFIED = case_pb2.CaseEvent.KIND_UNSPECIFIED
    SIGNAL = case_pb2.CaseEvent.KIND_SIGNAL
    MERGE = case_pb2.CaseEvent.KIND_MERGE
    GRADE = case_pb2.CaseEvent.KIND_GRADE
    HANDOFF = case_pb2.CaseEvent.KIND_HANDOFF
    DELIVERY = case_pb2.CaseEvent.KIND_DELIVERY
    NOTE = case_pb2.CaseEvent.KIND_NOTE
    CLOSE = case_pb2.CaseEvent.KIND_CLOSE
    REOPEN = case_pb2.CaseEvent.KIND_REOPEN
    ESCALATION = case_pb2.CaseEvent.KIND_ESCALATION
    ADDRESS = case_pb2.CaseEvent.KIND_ADDRESS


class HandoffKind(IntEnum):
    """What work a handoff asks for (lifeline.hub.v1.HandoffKind)."""

    UNSPECIFIED = handoff_pb2.HANDOFF_KIND_UNSPECIFIED
    HOLD_ORDER = handoff_pb2.HANDOFF_KIND_HOLD_ORDER
    INTERCEPT_PARCEL = handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL
    DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
    MEDICAL_CONSULT = handoff_pb2.HANDOFF_KIND_MEDICAL_CONSULT
    FOLLOW_UP = handoff_pb2.HANDOFF_KIND_FOLLOW_UP
    STAY_IN_CONTACT = handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT
    DUTY_ALERT = handoff_pb2.HANDOFF_KIND_DUTY_ALERT


class HandoffState(IntEnum):
    """Where a handoff is in its life (lifeline.hub.v1.Handoff.State)."""

    UNSPECIFIED = handoff_pb2.Handoff.STATE_UNSPECIFIED
    PENDING = handoff_pb2.Handoff.STATE_PENDING
    DELIVERED = handoff_pb2.Handoff.STATE_DELIVERED
    ACKNOWLEDGED = handoff_pb2.Handoff.STATE_ACKNOWLEDGED
    COMPLETED = handoff_pb2.Handoff.STATE_COMPLETED
    DECLINED = handoff_pb2.Handoff.STATE_DECLINED
    EXPIRED = handoff_pb2.Handoff.STATE_EXPIRED
    ESCALATED = handoff_pb2.Handoff.STATE_ESCALATED
    CANCELLED = handoff_pb2.Handoff.STATE_CANCELLED


class DutyAlertReason(IntEnum):
    """Why the duty desk was alerted (lifeline.hub.v1.DutyAlertReason)."""

    UNSPECIFIED = handoff_pb2.DUTY_ALERT_REASON_UNSPECIFIED
    UNROUTABLE = handoff_pb2.DUTY_ALERT_REASON_UNROUTABLE
    EXPIRED = handoff_pb2.DUTY_ALERT_REASON_EXPIRED
    ADDRESS_CONFLICT = handoff_pb2.DUTY_ALERT_REASON_ADDRESS_CONFLICT
    OUTCOME_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_OUTCOME_OVERDUE
    PROGRESS_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_PROGRESS_OVERDUE
    TRIAGE_OVERDUE = handoff_pb2.DUTY_ALERT_REASON_TRIAGE_OVERDUE
    CHECK_IN_MISSED = handoff_pb2.DUTY_ALERT_REASON_CHECK_IN_MISSED
    DECLINED_BY_ALL = handoff_pb2.DUTY_ALERT_REASON_DECLINED_BY_ALL


class ProgressStage(IntEnum):
    """How far acknowledged work has got (lifeline.hub.v1.ProgressStage)."""

    UNSPECIFIED = handoff_pb2.PROGRESS_STAGE_UNSPECIFIED
    ON_THE_WAY = handoff_pb2.PROGRESS_STAGE_ON_THE_WAY
    ON_SCENE = handoff_pb2.PROGRESS_STAGE_ON_SCENE


class OutcomeCode(IntEnum):
    """How work ended (lifeline.hub.v1.OutcomeCode); wire/outcomes.py says which end which kind."""

    UNSPECIFIED = handoff_pb2.OUTCOME_CODE_UNSPECIFIED
    ORDER_HELD = handoff_pb2.OUTCOME_CODE_ORDER_HELD
    ORDER_CANCELLED = handoff_pb2.OUTCOME_CODE_ORDER_CANCELLED
    ORDER_ALREADY_SHIPPED = handoff_pb2.OUTCOME_CODE_ORDER_ALREADY_SHIPPED
    PARCEL_INTERCEPTED = handoff_pb2.OUTCOME_CODE_PARCEL_INTERCEPTED
    PARCEL_ALREADY_DELIVERED = handoff_pb2.OUTCOME_CODE_PARCEL_ALREADY_DELIVERED
    PARCEL_INTERCEPT_FAILED = handoff_pb2.OUTCOME_CODE_PARCEL_INTERCEPT_FAILED
    PERSON_FOUND_SAFE = handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE
    PERSON_TAKEN_TO_HOSPITAL = handoff_pb2.OUTCOME_CODE_PERSON_TAKEN_TO_HOSPITAL
    PERSON_NOT_FOUND = handoff_pb2.OUTCOME_CODE_PERSON_NOT_FOUND
    FALSE_REPORT = handoff_pb2.OUTCOME_CODE_FALSE_REPORT
    DRUG_IDENTIFIED = handoff_pb2.OUTCOME_CODE_DRUG_IDENTIFIED
    DRUG_NOT_IDENTIFIED = handoff_pb2.OUTCOME_CODE_DRUG_NOT_IDENTIFIED
    REFERRAL_ACCEPTED = handoff_pb2.OUTCOME_CODE_REFERRAL_ACCEPTED
    FOLLOW_UP_PERSON_WELL = handoff_pb2.OUTCOME_CODE_FOLLOW_UP_PERSON_WELL
    FOLLOW_UP_NEEDS_SUPPORT = handoff_pb2.OUTCOME_CODE_FOLLOW_UP_NEEDS_SUPPORT
    FOLLOW_UP_UNREACHABLE = handoff_pb2.OUTCOME_CODE_FOLLOW_UP_UNREACHABLE
    CONTACT_KEPT = handoff_pb2.OUTCOME_CODE_CONTACT_KEPT
    PERSON_REPLIED = handoff_pb2.OUTCOME_CODE_PERSON_REPLIED
    CONTACT_LOST = handoff_pb2.OUTCOME_CODE_CONTACT_LOST
    ALERT_HANDLED = handoff_pb2.OUTCOME_CODE_ALERT_HANDLED


class PartyRole(IntEnum):
    """A party's role as the API numbers it (lifeline.hub.v1.Role); wire/identity.py's
    Role is the same role as the SAN URI spells it."""

    UNSPECIFIED = party_pb2.ROLE_UNSPECIFIED
    PLATFORM = party_pb2.ROLE_PLATFORM
    MERCHANT = party_pb2.ROLE_MERCHANT
    COURIER = party_pb2.ROLE_COURIER
    POLICE = party_pb2.ROLE_POLICE
    COMMITTEE = party_pb2.ROLE_COMMITTEE
    HOSPITAL = party_pb2.ROLE_HOSPITAL


class PartyState(IntEnum):
    """Whether a party may call the hub (lifeline.hub.v1.Party.State)."""

    UNSPECIFIED = party_pb2.Party.STATE_UNSPECIFIED
    ACTIVE = party_pb2.Party.STATE_ACTIVE
    DEACTIVATED = party_pb2.Party.STATE_DEACTIVATED
    REVOKED = party_pb2.Party.STATE_REVOKED


class MessageKind(IntEnum):
    """What a signed message is (lifeline.hub.v1.SignedPayload.Kind)."""

    UNSPECIFIED = signed_pb2.SignedPayload.KIND_UNSPECIFIED
    SIGNAL = signed_pb2.SignedPayload.KIND_SIGNAL
    HANDOFF = signed_pb2.SignedPayload.KIND_HANDOFF
    ACKNOWLEDGEMENT = signed_pb2.SignedPayload.KIND_ACKNOWLEDGEMENT
    DECLINE = signed_pb2.SignedPayload.KIND_DECLINE
    OUTCOME = signed_pb2.SignedPayload.KIND_OUTCOME
    PROGRESS = signed_pb2.SignedPayload.KIND_PROGRESS
    CASE_UPDATE = signed_pb2.SignedPayload.KIND_CASE_UPDATE


class CaseUpdateKind(IntEnum):
    """What a case update tells a desk (lifeline.hub.v1.CaseUpdate.Kind)."""

    UNSPECIFIED = inbox_service_pb2.CaseUpdate.KIND_UNSPECIFIED
    SHARED_NOTE = inbox_service_pb2.CaseUpdate.KIND_SHARED_NOTE
    SITUATION = inbox_service_pb2.CaseUpdate.KIND_SITUATION
    CHECK_IN_DUE = inbox_service_pb2.CaseUpdate.KIND_CHECK_IN_DUE
    ANOTHER_DESK_ON_WAY = inbox_service_pb2.CaseUpdate.KIND_ANOTHER_DESK_ON_WAY
