import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lifeline.hub.v1 import handoff_pb2 as _handoff_pb2
from lifeline.hub.v1 import signed_pb2 as _signed_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateHandoffRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "kind", "assignee_party_id", "instruction", "order_id", "tracking_number", "check_in_time", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CHECK_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    kind: _handoff_pb2.HandoffKind
    assignee_party_id: str
    instruction: str
    order_id: str
    tracking_number: str
    check_in_time: _timestamp_pb2.Timestamp
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., kind: _Optional[_Union[_handoff_pb2.HandoffKind, str]] = ..., assignee_party_id: _Optional[str] = ..., instruction: _Optional[str] = ..., order_id: _Optional[str] = ..., tracking_number: _Optional[str] = ..., check_in_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., operator: _Optional[str] = ...) -> None: ...

class CreateHandoffResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: _handoff_pb2.Handoff
    def __init__(self, handoff: _Optional[_Union[_handoff_pb2.Handoff, _Mapping]] = ...) -> None: ...

class GetHandoffRequest(_message.Message):
    __slots__ = ("handoff_id",)
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    handoff_id: str
    def __init__(self, handoff_id: _Optional[str] = ...) -> None: ...

class GetHandoffResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: _handoff_pb2.Handoff
    def __init__(self, handoff: _Optional[_Union[_handoff_pb2.Handoff, _Mapping]] = ...) -> None: ...

class ListHandoffsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "case_id", "state")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    case_id: str
    state: _handoff_pb2.Handoff.State
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., case_id: _Optional[str] = ..., state: _Optional[_Union[_handoff_pb2.Handoff.State, str]] = ...) -> None: ...

class ListHandoffsResponse(_message.Message):
    __slots__ = ("handoffs", "next_page_token")
    HANDOFFS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    handoffs: _containers.RepeatedCompositeFieldContainer[_handoff_pb2.Handoff]
    next_page_token: str
    def __init__(self, handoffs: _Optional[_Iterable[_Union[_handoff_pb2.Handoff, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AcknowledgeHandoffRequest(_message.Message):
    __slots__ = ("request_id", "handoff_id", "receipt", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    handoff_id: str
    receipt: _signed_pb2.SignedMessage
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., handoff_id: _Optional[str] = ..., receipt: _Optional[_Union[_signed_pb2.SignedMessage, _Mapping]] = ..., operator: _Optional[str] = ...) -> None: ...

class AcknowledgeHandoffResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: _handoff_pb2.Handoff
    def __init__(self, handoff: _Optional[_Union[_handoff_pb2.Handoff, _Mapping]] = ...) -> None: ...

class DeclineHandoffRequest(_message.Message):
    __slots__ = ("request_id", "handoff_id", "reason", "receipt", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    handoff_id: str
    reason: str
    receipt: _signed_pb2.SignedMessage
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., handoff_id: _Optional[str] = ..., reason: _Optional[str] = ..., receipt: _Optional[_Union[_signed_pb2.SignedMessage, _Mapping]] = ..., operator: _Optional[str] = ...) -> None: ...

class DeclineHandoffResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: _handoff_pb2.Handoff
    def __init__(self, handoff: _Optional[_Union[_handoff_pb2.Handoff, _Mapping]] = ...) -> None: ...

class CompleteHandoffRequest(_message.Message):
    __slots__ = ("request_id", "handoff_id", "outcome", "receipt", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    handoff_id: str
    outcome: _handoff_pb2.Outcome
    receipt: _signed_pb2.SignedMessage
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., handoff_id: _Optional[str] = ..., outcome: _Optional[_Union[_handoff_pb2.Outcome, _Mapping]] = ..., receipt: _Optional[_Union[_signed_pb2.SignedMessage, _Mapping]] = ..., operator: _Optional[str] = ...) -> None: ...

class CompleteHandoffResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: _handoff_pb2.Handoff
    def __init__(self, handoff: _Optional[_Union[_handoff_pb2.Handoff, _Mapping]] = ...) -> None: ...

class ReportProgressRequest(_message.Message):
    __slots__ = ("request_id", "handoff_id", "stage", "note", "receipt", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    handoff_id: str
    stage: _handoff_pb2.ProgressStage
    note: str
    receipt: _signed_pb2.SignedMessage
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., handoff_id: _Optional[str] = ..., stage: _Optional[_Union[_handoff_pb2.ProgressStage, str]] = ..., note: _Optional[str] = ..., receipt: _Optional[_Union[_signed_pb2.SignedMessage, _Mapping]] = ..., operator: _Optional[str] = ...) -> None: ...

class ReportProgressResponse(_message.Message):
    __slots__ = ("handoff",)
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    handoff: _handoff_pb2.Handoff
    def __init__(self, handoff: _Optional[_Union[_handoff_pb2.Handoff, _Mapping]] = ...) -> None: ...
