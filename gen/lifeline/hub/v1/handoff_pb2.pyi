import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lifeline.hub.v1 import case_pb2 as _case_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HandoffKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDOFF_KIND_UNSPECIFIED: _ClassVar[HandoffKind]
    HANDOFF_KIND_HOLD_ORDER: _ClassVar[HandoffKind]
    HANDOFF_KIND_INTERCEPT_PARCEL: _ClassVar[HandoffKind]
    HANDOFF_KIND_DISPATCH: _ClassVar[HandoffKind]
    HANDOFF_KIND_MEDICAL_CONSULT: _ClassVar[HandoffKind]
    HANDOFF_KIND_FOLLOW_UP: _ClassVar[HandoffKind]
    HANDOFF_KIND_STAY_IN_CONTACT: _ClassVar[HandoffKind]
    HANDOFF_KIND_DUTY_ALERT: _ClassVar[HandoffKind]

class DutyAlertReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DUTY_ALERT_REASON_UNSPECIFIED: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_UNROUTABLE: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_EXPIRED: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_ADDRESS_CONFLICT: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_OUTCOME_OVERDUE: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_PROGRESS_OVERDUE: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_TRIAGE_OVERDUE: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_CHECK_IN_MISSED: _ClassVar[DutyAlertReason]
    DUTY_ALERT_REASON_DECLINED_BY_ALL: _ClassVar[DutyAlertReason]

class ProgressStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRESS_STAGE_UNSPECIFIED: _ClassVar[ProgressStage]
    PROGRESS_STAGE_ON_THE_WAY: _ClassVar[ProgressStage]
    PROGRESS_STAGE_ON_SCENE: _ClassVar[ProgressStage]

class OutcomeCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OUTCOME_CODE_UNSPECIFIED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_ORDER_HELD: _ClassVar[OutcomeCode]
    OUTCOME_CODE_ORDER_CANCELLED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_ORDER_ALREADY_SHIPPED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_PARCEL_INTERCEPTED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_PARCEL_ALREADY_DELIVERED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_PARCEL_INTERCEPT_FAILED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_PERSON_FOUND_SAFE: _ClassVar[OutcomeCode]
    OUTCOME_CODE_PERSON_TAKEN_TO_HOSPITAL: _ClassVar[OutcomeCode]
    OUTCOME_CODE_PERSON_NOT_FOUND: _ClassVar[OutcomeCode]
    OUTCOME_CODE_FALSE_REPORT: _ClassVar[OutcomeCode]
    OUTCOME_CODE_DRUG_IDENTIFIED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_DRUG_NOT_IDENTIFIED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_REFERRAL_ACCEPTED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_FOLLOW_UP_PERSON_WELL: _ClassVar[OutcomeCode]
    OUTCOME_CODE_FOLLOW_UP_NEEDS_SUPPORT: _ClassVar[OutcomeCode]
    OUTCOME_CODE_FOLLOW_UP_UNREACHABLE: _ClassVar[OutcomeCode]
    OUTCOME_CODE_CONTACT_KEPT: _ClassVar[OutcomeCode]
    OUTCOME_CODE_PERSON_REPLIED: _ClassVar[OutcomeCode]
    OUTCOME_CODE_CONTACT_LOST: _ClassVar[OutcomeCode]
    OUTCOME_CODE_ALERT_HANDLED: _ClassVar[OutcomeCode]
HANDOFF_KIND_UNSPECIFIED: HandoffKind
HANDOFF_KIND_HOLD_ORDER: HandoffKind
HANDOFF_KIND_INTERCEPT_PARCEL: HandoffKind
HANDOFF_KIND_DISPATCH: HandoffKind
HANDOFF_KIND_MEDICAL_CONSULT: HandoffKind
HANDOFF_KIND_FOLLOW_UP: HandoffKind
HANDOFF_KIND_STAY_IN_CONTACT: HandoffKind
HANDOFF_KIND_DUTY_ALERT: HandoffKind
DUTY_ALERT_REASON_UNSPECIFIED: DutyAlertReason
DUTY_ALERT_REASON_UNROUTABLE: DutyAlertReason
DUTY_ALERT_REASON_EXPIRED: DutyAlertReason
DUTY_ALERT_REASON_ADDRESS_CONFLICT: DutyAlertReason
DUTY_ALERT_REASON_OUTCOME_OVERDUE: DutyAlertReason
DUTY_ALERT_REASON_PROGRESS_OVERDUE: DutyAlertReason
DUTY_ALERT_REASON_TRIAGE_OVERDUE: DutyAlertReason
DUTY_ALERT_REASON_CHECK_IN_MISSED: DutyAlertReason
DUTY_ALERT_REASON_DECLINED_BY_ALL: DutyAlertReason
PROGRESS_STAGE_UNSPECIFIED: ProgressStage
PROGRESS_STAGE_ON_THE_WAY: ProgressStage
PROGRESS_STAGE_ON_SCENE: ProgressStage
OUTCOME_CODE_UNSPECIFIED: OutcomeCode
OUTCOME_CODE_ORDER_HELD: OutcomeCode
OUTCOME_CODE_ORDER_CANCELLED: OutcomeCode
OUTCOME_CODE_ORDER_ALREADY_SHIPPED: OutcomeCode
OUTCOME_CODE_PARCEL_INTERCEPTED: OutcomeCode
OUTCOME_CODE_PARCEL_ALREADY_DELIVERED: OutcomeCode
OUTCOME_CODE_PARCEL_INTERCEPT_FAILED: OutcomeCode
OUTCOME_CODE_PERSON_FOUND_SAFE: OutcomeCode
OUTCOME_CODE_PERSON_TAKEN_TO_HOSPITAL: OutcomeCode
OUTCOME_CODE_PERSON_NOT_FOUND: OutcomeCode
OUTCOME_CODE_FALSE_REPORT: OutcomeCode
OUTCOME_CODE_DRUG_IDENTIFIED: OutcomeCode
OUTCOME_CODE_DRUG_NOT_IDENTIFIED: OutcomeCode
OUTCOME_CODE_REFERRAL_ACCEPTED: OutcomeCode
OUTCOME_CODE_FOLLOW_UP_PERSON_WELL: OutcomeCode
OUTCOME_CODE_FOLLOW_UP_NEEDS_SUPPORT: OutcomeCode
OUTCOME_CODE_FOLLOW_UP_UNREACHABLE: OutcomeCode
OUTCOME_CODE_CONTACT_KEPT: OutcomeCode
OUTCOME_CODE_PERSON_REPLIED: OutcomeCode
OUTCOME_CODE_CONTACT_LOST: OutcomeCode
OUTCOME_CODE_ALERT_HANDLED: OutcomeCode

class Progress(_message.Message):
    __slots__ = ("stage", "note", "report_time")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REPORT_TIME_FIELD_NUMBER: _ClassVar[int]
    stage: ProgressStage
    note: str
    report_time: _timestamp_pb2.Timestamp
    def __init__(self, stage: _Optional[_Union[ProgressStage, str]] = ..., note: _Optional[str] = ..., report_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EscalatedFrom(_message.Message):
    __slots__ = ("party_id", "handoff_id", "reason")
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    party_id: str
    handoff_id: str
    reason: str
    def __init__(self, party_id: _Optional[str] = ..., handoff_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Outcome(_message.Message):
    __slots__ = ("code", "note")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    code: OutcomeCode
    note: str
    def __init__(self, code: _Optional[_Union[OutcomeCode, str]] = ..., note: _Optional[str] = ...) -> None: ...

class HandoffDetails(_message.Message):
    __slots__ = ("instruction", "order_id", "tracking_number", "jurisdiction_code", "risk_level", "situation", "address_text", "contact_phone", "clinical_facts")
    INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_CODE_FIELD_NUMBER: _ClassVar[int]
    RISK_LEVEL_FIELD_NUMBER: _ClassVar[int]
    SITUATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_TEXT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    CLINICAL_FACTS_FIELD_NUMBER: _ClassVar[int]
    instruction: str
    order_id: str
    tracking_number: str
    jurisdiction_code: str
    risk_level: _case_pb2.RiskLevel
    situation: str
    address_text: str
    contact_phone: str
    clinical_facts: str
    def __init__(self, instruction: _Optional[str] = ..., order_id: _Optional[str] = ..., tracking_number: _Optional[str] = ..., jurisdiction_code: _Optional[str] = ..., risk_level: _Optional[_Union[_case_pb2.RiskLevel, str]] = ..., situation: _Optional[str] = ..., address_text: _Optional[str] = ..., contact_phone: _Optional[str] = ..., clinical_facts: _Optional[str] = ...) -> None: ...

class Handoff(_message.Message):
    __slots__ = ("handoff_id", "case_id", "kind", "state", "assignee_party_id", "creator_party_id", "details", "create_time", "update_time", "due_time", "outcome", "decline_reason", "escalated_from_handoff_id", "acknowledge_time", "alert_reason", "alert_handoff_id", "progress", "escalated_from", "check_in_time")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Handoff.State]
        STATE_PENDING: _ClassVar[Handoff.State]
        STATE_DELIVERED: _ClassVar[Handoff.State]
        STATE_ACKNOWLEDGED: _ClassVar[Handoff.State]
        STATE_COMPLETED: _ClassVar[Handoff.State]
        STATE_DECLINED: _ClassVar[Handoff.State]
        STATE_EXPIRED: _ClassVar[Handoff.State]
        STATE_ESCALATED: _ClassVar[Handoff.State]
        STATE_CANCELLED: _ClassVar[Handoff.State]
    STATE_UNSPECIFIED: Handoff.State
    STATE_PENDING: Handoff.State
    STATE_DELIVERED: Handoff.State
    STATE_ACKNOWLEDGED: Handoff.State
    STATE_COMPLETED: Handoff.State
    STATE_DECLINED: Handoff.State
    STATE_EXPIRED: Handoff.State
    STATE_ESCALATED: Handoff.State
    STATE_CANCELLED: Handoff.State
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    CREATOR_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DECLINE_REASON_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FROM_HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGE_TIME_FIELD_NUMBER: _ClassVar[int]
    ALERT_REASON_FIELD_NUMBER: _ClassVar[int]
    ALERT_HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ESCALATED_FROM_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    case_id: str
    kind: HandoffKind
    state: Handoff.State
    assignee_party_id: str
    creator_party_id: str
    details: HandoffDetails
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    outcome: Outcome
    decline_reason: str
    escalated_from_handoff_id: str
    acknowledge_time: _timestamp_pb2.Timestamp
    alert_reason: DutyAlertReason
    alert_handoff_id: str
    progress: Progress
    escalated_from: EscalatedFrom
    check_in_time: _timestamp_pb2.Timestamp
    def __init__(self, handoff_id: _Optional[str] = ..., case_id: _Optional[str] = ..., kind: _Optional[_Union[HandoffKind, str]] = ..., state: _Optional[_Union[Handoff.State, str]] = ..., assignee_party_id: _Optional[str] = ..., creator_party_id: _Optional[str] = ..., details: _Optional[_Union[HandoffDetails, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[Outcome, _Mapping]] = ..., decline_reason: _Optional[str] = ..., escalated_from_handoff_id: _Optional[str] = ..., acknowledge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., alert_reason: _Optional[_Union[DutyAlertReason, str]] = ..., alert_handoff_id: _Optional[str] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., escalated_from: _Optional[_Union[EscalatedFrom, _Mapping]] = ..., check_in_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
