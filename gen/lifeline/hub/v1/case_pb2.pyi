import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RiskLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RISK_LEVEL_UNSPECIFIED: _ClassVar[RiskLevel]
    RISK_LEVEL_LOW: _ClassVar[RiskLevel]
    RISK_LEVEL_MODERATE: _ClassVar[RiskLevel]
    RISK_LEVEL_HIGH: _ClassVar[RiskLevel]
    RISK_LEVEL_IMMINENT: _ClassVar[RiskLevel]

class SignalSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNAL_SOURCE_UNSPECIFIED: _ClassVar[SignalSource]
    SIGNAL_SOURCE_MERCHANT_CHAT: _ClassVar[SignalSource]
    SIGNAL_SOURCE_PLATFORM_RISK_MODEL: _ClassVar[SignalSource]
    SIGNAL_SOURCE_PLATFORM_DUTY_DESK: _ClassVar[SignalSource]
    SIGNAL_SOURCE_HOSPITAL: _ClassVar[SignalSource]
RISK_LEVEL_UNSPECIFIED: RiskLevel
RISK_LEVEL_LOW: RiskLevel
RISK_LEVEL_MODERATE: RiskLevel
RISK_LEVEL_HIGH: RiskLevel
RISK_LEVEL_IMMINENT: RiskLevel
SIGNAL_SOURCE_UNSPECIFIED: SignalSource
SIGNAL_SOURCE_MERCHANT_CHAT: SignalSource
SIGNAL_SOURCE_PLATFORM_RISK_MODEL: SignalSource
SIGNAL_SOURCE_PLATFORM_DUTY_DESK: SignalSource
SIGNAL_SOURCE_HOSPITAL: SignalSource

class SubjectReference(_message.Message):
    __slots__ = ("buyer_id", "phone", "address")
    BUYER_ID_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    buyer_id: str
    phone: str
    address: Address
    def __init__(self, buyer_id: _Optional[str] = ..., phone: _Optional[str] = ..., address: _Optional[_Union[Address, _Mapping]] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("jurisdiction_code", "text")
    JURISDICTION_CODE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    jurisdiction_code: str
    text: str
    def __init__(self, jurisdiction_code: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class OrderReference(_message.Message):
    __slots__ = ("order_id", "merchant_party_id", "item_summary")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    MERCHANT_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    merchant_party_id: str
    item_summary: str
    def __init__(self, order_id: _Optional[str] = ..., merchant_party_id: _Optional[str] = ..., item_summary: _Optional[str] = ...) -> None: ...

class ParcelReference(_message.Message):
    __slots__ = ("tracking_number", "courier_party_id", "order_id", "estimated_delivery_time")
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COURIER_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_DELIVERY_TIME_FIELD_NUMBER: _ClassVar[int]
    tracking_number: str
    courier_party_id: str
    order_id: str
    estimated_delivery_time: _timestamp_pb2.Timestamp
    def __init__(self, tracking_number: _Optional[str] = ..., courier_party_id: _Optional[str] = ..., order_id: _Optional[str] = ..., estimated_delivery_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RiskIndicators(_message.Message):
    __slots__ = ("stated_intent", "method_prepared", "backup_plan", "earlier_attempt", "recent_setback", "insomnia", "psychiatric_history", "searched_for_methods", "stated_time")
    STATED_INTENT_FIELD_NUMBER: _ClassVar[int]
    METHOD_PREPARED_FIELD_NUMBER: _ClassVar[int]
    BACKUP_PLAN_FIELD_NUMBER: _ClassVar[int]
    EARLIER_ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    RECENT_SETBACK_FIELD_NUMBER: _ClassVar[int]
    INSOMNIA_FIELD_NUMBER: _ClassVar[int]
    PSYCHIATRIC_HISTORY_FIELD_NUMBER: _ClassVar[int]
    SEARCHED_FOR_METHODS_FIELD_NUMBER: _ClassVar[int]
    STATED_TIME_FIELD_NUMBER: _ClassVar[int]
    stated_intent: bool
    method_prepared: bool
    backup_plan: bool
    earlier_attempt: bool
    recent_setback: bool
    insomnia: bool
    psychiatric_history: bool
    searched_for_methods: bool
    stated_time: bool
    def __init__(self, stated_intent: _Optional[bool] = ..., method_prepared: _Optional[bool] = ..., backup_plan: _Optional[bool] = ..., earlier_attempt: _Optional[bool] = ..., recent_setback: _Optional[bool] = ..., insomnia: _Optional[bool] = ..., psychiatric_history: _Optional[bool] = ..., searched_for_methods: _Optional[bool] = ..., stated_time: _Optional[bool] = ...) -> None: ...

class Signal(_message.Message):
    __slots__ = ("signal_id", "source", "reporter_party_id", "subject", "orders", "parcels", "indicators", "situation", "clinical_facts", "hospital_party_id", "observe_time", "case_id")
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REPORTER_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    PARCELS_FIELD_NUMBER: _ClassVar[int]
    INDICATORS_FIELD_NUMBER: _ClassVar[int]
    SITUATION_FIELD_NUMBER: _ClassVar[int]
    CLINICAL_FACTS_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_TIME_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    signal_id: str
    source: SignalSource
    reporter_party_id: str
    subject: SubjectReference
    orders: _containers.RepeatedCompositeFieldContainer[OrderReference]
    parcels: _containers.RepeatedCompositeFieldContainer[ParcelReference]
    indicators: RiskIndicators
    situation: str
    clinical_facts: str
    hospital_party_id: str
    observe_time: _timestamp_pb2.Timestamp
    case_id: str
    def __init__(self, signal_id: _Optional[str] = ..., source: _Optional[_Union[SignalSource, str]] = ..., reporter_party_id: _Optional[str] = ..., subject: _Optional[_Union[SubjectReference, _Mapping]] = ..., orders: _Optional[_Iterable[_Union[OrderReference, _Mapping]]] = ..., parcels: _Optional[_Iterable[_Union[ParcelReference, _Mapping]]] = ..., indicators: _Optional[_Union[RiskIndicators, _Mapping]] = ..., situation: _Optional[str] = ..., clinical_facts: _Optional[str] = ..., hospital_party_id: _Optional[str] = ..., observe_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., case_id: _Optional[str] = ...) -> None: ...

class Case(_message.Message):
    __slots__ = ("case_id", "state", "risk_level", "risk_overridden", "jurisdiction_code", "signal_count", "reporter_party_ids", "create_time", "update_time", "close_time", "resolution", "merged_into_case_id", "address_candidates", "follow_up_times", "signals")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Case.State]
        STATE_OPEN: _ClassVar[Case.State]
        STATE_CLOSED: _ClassVar[Case.State]
    STATE_UNSPECIFIED: Case.State
    STATE_OPEN: Case.State
    STATE_CLOSED: Case.State
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RISK_LEVEL_FIELD_NUMBER: _ClassVar[int]
    RISK_OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPORTER_PARTY_IDS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_UP_TIMES_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    state: Case.State
    risk_level: RiskLevel
    risk_overridden: bool
    jurisdiction_code: str
    signal_count: int
    reporter_party_ids: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    resolution: CaseResolution
    merged_into_case_id: str
    address_candidates: _containers.RepeatedCompositeFieldContainer[AddressCandidate]
    follow_up_times: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    signals: _containers.RepeatedCompositeFieldContainer[Signal]
    def __init__(self, case_id: _Optional[str] = ..., state: _Optional[_Union[Case.State, str]] = ..., risk_level: _Optional[_Union[RiskLevel, str]] = ..., risk_overridden: _Optional[bool] = ..., jurisdiction_code: _Optional[str] = ..., signal_count: _Optional[int] = ..., reporter_party_ids: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution: _Optional[_Union[CaseResolution, _Mapping]] = ..., merged_into_case_id: _Optional[str] = ..., address_candidates: _Optional[_Iterable[_Union[AddressCandidate, _Mapping]]] = ..., follow_up_times: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ..., signals: _Optional[_Iterable[_Union[Signal, _Mapping]]] = ...) -> None: ...

class AddressCandidate(_message.Message):
    __slots__ = ("candidate_id", "address", "reporter_party_id", "observe_time", "in_effect")
    CANDIDATE_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REPORTER_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_TIME_FIELD_NUMBER: _ClassVar[int]
    IN_EFFECT_FIELD_NUMBER: _ClassVar[int]
    candidate_id: str
    address: Address
    reporter_party_id: str
    observe_time: _timestamp_pb2.Timestamp
    in_effect: bool
    def __init__(self, candidate_id: _Optional[str] = ..., address: _Optional[_Union[Address, _Mapping]] = ..., reporter_party_id: _Optional[str] = ..., observe_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., in_effect: _Optional[bool] = ...) -> None: ...

class CaseResolution(_message.Message):
    __slots__ = ("code", "note")
    class Code(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        CODE_UNSPECIFIED: _ClassVar[CaseResolution.Code]
        CODE_PERSON_SAFE: _ClassVar[CaseResolution.Code]
        CODE_HOSPITALISED: _ClassVar[CaseResolution.Code]
        CODE_DE_ESCALATED: _ClassVar[CaseResolution.Code]
        CODE_FALSE_REPORT: _ClassVar[CaseResolution.Code]
        CODE_NOT_FOUND: _ClassVar[CaseResolution.Code]
        CODE_DUPLICATE: _ClassVar[CaseResolution.Code]
    CODE_UNSPECIFIED: CaseResolution.Code
    CODE_PERSON_SAFE: CaseResolution.Code
    CODE_HOSPITALISED: CaseResolution.Code
    CODE_DE_ESCALATED: CaseResolution.Code
    CODE_FALSE_REPORT: CaseResolution.Code
    CODE_NOT_FOUND: CaseResolution.Code
    CODE_DUPLICATE: CaseResolution.Code
    CODE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    code: CaseResolution.Code
    note: str
    def __init__(self, code: _Optional[_Union[CaseResolution.Code, str]] = ..., note: _Optional[str] = ...) -> None: ...

class CaseEvent(_message.Message):
    __slots__ = ("case_id", "sequence", "kind", "actor_party_id", "create_time", "summary", "hash", "previous_hash", "note", "body_hash", "withheld", "operator")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[CaseEvent.Kind]
        KIND_SIGNAL: _ClassVar[CaseEvent.Kind]
        KIND_MERGE: _ClassVar[CaseEvent.Kind]
        KIND_GRADE: _ClassVar[CaseEvent.Kind]
        KIND_HANDOFF: _ClassVar[CaseEvent.Kind]
        KIND_DELIVERY: _ClassVar[CaseEvent.Kind]
        KIND_NOTE: _ClassVar[CaseEvent.Kind]
        KIND_CLOSE: _ClassVar[CaseEvent.Kind]
        KIND_REOPEN: _ClassVar[CaseEvent.Kind]
        KIND_ESCALATION: _ClassVar[CaseEvent.Kind]
        KIND_ADDRESS: _ClassVar[CaseEvent.Kind]
    KIND_UNSPECIFIED: CaseEvent.Kind
    KIND_SIGNAL: CaseEvent.Kind
    KIND_MERGE: CaseEvent.Kind
    KIND_GRADE: CaseEvent.Kind
    KIND_HANDOFF: CaseEvent.Kind
    KIND_DELIVERY: CaseEvent.Kind
    KIND_NOTE: CaseEvent.Kind
    KIND_CLOSE: CaseEvent.Kind
    KIND_REOPEN: CaseEvent.Kind
    KIND_ESCALATION: CaseEvent.Kind
    KIND_ADDRESS: CaseEvent.Kind
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACTOR_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    BODY_HASH_FIELD_NUMBER: _ClassVar[int]
    WITHHELD_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    sequence: int
    kind: CaseEvent.Kind
    actor_party_id: str
    create_time: _timestamp_pb2.Timestamp
    summary: str
    hash: bytes
    previous_hash: bytes
    note: str
    body_hash: bytes
    withheld: bool
    operator: str
    def __init__(self, case_id: _Optional[str] = ..., sequence: _Optional[int] = ..., kind: _Optional[_Union[CaseEvent.Kind, str]] = ..., actor_party_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[str] = ..., hash: _Optional[bytes] = ..., previous_hash: _Optional[bytes] = ..., note: _Optional[str] = ..., body_hash: _Optional[bytes] = ..., withheld: _Optional[bool] = ..., operator: _Optional[str] = ...) -> None: ...
