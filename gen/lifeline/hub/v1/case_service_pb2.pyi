import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lifeline.hub.v1 import case_pb2 as _case_pb2
from lifeline.hub.v1 import party_pb2 as _party_pb2
from lifeline.hub.v1 import signed_pb2 as _signed_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReportSignalRequest(_message.Message):
    __slots__ = ("request_id", "signal", "signed_signal", "case_id", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    SIGNED_SIGNAL_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    signal: _case_pb2.Signal
    signed_signal: _signed_pb2.SignedMessage
    case_id: str
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., signal: _Optional[_Union[_case_pb2.Signal, _Mapping]] = ..., signed_signal: _Optional[_Union[_signed_pb2.SignedMessage, _Mapping]] = ..., case_id: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class ReportSignalResponse(_message.Message):
    __slots__ = ("signal", "case", "merged")
    SIGNAL_FIELD_NUMBER: _ClassVar[int]
    CASE_FIELD_NUMBER: _ClassVar[int]
    MERGED_FIELD_NUMBER: _ClassVar[int]
    signal: _case_pb2.Signal
    case: _case_pb2.Case
    merged: bool
    def __init__(self, signal: _Optional[_Union[_case_pb2.Signal, _Mapping]] = ..., case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., merged: _Optional[bool] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class GetCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "minimum_risk_level", "updated_after")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_RISK_LEVEL_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: _case_pb2.Case.State
    minimum_risk_level: _case_pb2.RiskLevel
    updated_after: _timestamp_pb2.Timestamp
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[_case_pb2.Case.State, str]] = ..., minimum_risk_level: _Optional[_Union[_case_pb2.RiskLevel, str]] = ..., updated_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListCasesResponse(_message.Message):
    __slots__ = ("cases", "next_page_token")
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[_case_pb2.Case]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[_case_pb2.Case, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GradeCaseRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "risk_level", "reason", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    RISK_LEVEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    risk_level: _case_pb2.RiskLevel
    reason: str
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., risk_level: _Optional[_Union[_case_pb2.RiskLevel, str]] = ..., reason: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class GradeCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ...) -> None: ...

class AddCaseNoteRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "text", "share_with", "signal_id", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SHARE_WITH_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    text: str
    share_with: _containers.RepeatedScalarFieldContainer[_party_pb2.Role]
    signal_id: str
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., text: _Optional[str] = ..., share_with: _Optional[_Iterable[_Union[_party_pb2.Role, str]]] = ..., signal_id: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class AddCaseNoteResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _case_pb2.CaseEvent
    def __init__(self, event: _Optional[_Union[_case_pb2.CaseEvent, _Mapping]] = ...) -> None: ...

class ListCaseEventsRequest(_message.Message):
    __slots__ = ("case_id", "page_size", "page_token")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    page_size: int
    page_token: str
    def __init__(self, case_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCaseEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_case_pb2.CaseEvent]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[_case_pb2.CaseEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CloseCaseRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "resolution", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    resolution: _case_pb2.CaseResolution
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., resolution: _Optional[_Union[_case_pb2.CaseResolution, _Mapping]] = ..., operator: _Optional[str] = ...) -> None: ...

class CloseCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ...) -> None: ...

class ReopenCaseRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "reason", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    reason: str
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., reason: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class ReopenCaseResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ...) -> None: ...

class ConfirmAddressRequest(_message.Message):
    __slots__ = ("request_id", "case_id", "candidate_id", "operator")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    case_id: str
    candidate_id: str
    operator: str
    def __init__(self, request_id: _Optional[str] = ..., case_id: _Optional[str] = ..., candidate_id: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class ConfirmAddressResponse(_message.Message):
    __slots__ = ("case",)
    CASE_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ...) -> None: ...

class ExportEvidenceRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class ExportEvidenceResponse(_message.Message):
    __slots__ = ("bundle_json", "file_name")
    BUNDLE_JSON_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    bundle_json: str
    file_name: str
    def __init__(self, bundle_json: _Optional[str] = ..., file_name: _Optional[str] = ...) -> None: ...
