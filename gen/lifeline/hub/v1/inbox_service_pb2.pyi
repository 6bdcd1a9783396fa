import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from lifeline.hub.v1 import case_pb2 as _case_pb2
from lifeline.hub.v1 import handoff_pb2 as _handoff_pb2
from lifeline.hub.v1 import signed_pb2 as _signed_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InboxMessage(_message.Message):
    __slots__ = ("sequence", "message_id", "case_id", "create_time", "handoff", "case_notice", "case_update", "signed_handoff")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_FIELD_NUMBER: _ClassVar[int]
    CASE_NOTICE_FIELD_NUMBER: _ClassVar[int]
    CASE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    SIGNED_HANDOFF_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    message_id: str
    case_id: str
    create_time: _timestamp_pb2.Timestamp
    handoff: _handoff_pb2.Handoff
    case_notice: CaseNotice
    case_update: CaseUpdate
    signed_handoff: _signed_pb2.SignedMessage
    def __init__(self, sequence: _Optional[int] = ..., message_id: _Optional[str] = ..., case_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., handoff: _Optional[_Union[_handoff_pb2.Handoff, _Mapping]] = ..., case_notice: _Optional[_Union[CaseNotice, _Mapping]] = ..., case_update: _Optional[_Union[CaseUpdate, _Mapping]] = ..., signed_handoff: _Optional[_Union[_signed_pb2.SignedMessage, _Mapping]] = ...) -> None: ...

class CaseNotice(_message.Message):
    __slots__ = ("case", "event_kind", "summary")
    CASE_FIELD_NUMBER: _ClassVar[int]
    EVENT_KIND_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    case: _case_pb2.Case
    event_kind: _case_pb2.CaseEvent.Kind
    summary: str
    def __init__(self, case: _Optional[_Union[_case_pb2.Case, _Mapping]] = ..., event_kind: _Optional[_Union[_case_pb2.CaseEvent.Kind, str]] = ..., summary: _Optional[str] = ...) -> None: ...

class SubscribeInboxRequest(_message.Message):
    __slots__ = ("after_sequence",)
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    def __init__(self, after_sequence: _Optional[int] = ...) -> None: ...

class SubscribeInboxResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: InboxMessage
    def __init__(self, message: _Optional[_Union[InboxMessage, _Mapping]] = ...) -> None: ...

class AcknowledgeInboxRequest(_message.Message):
    __slots__ = ("through_sequence",)
    THROUGH_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    through_sequence: int
    def __init__(self, through_sequence: _Optional[int] = ...) -> None: ...

class AcknowledgeInboxResponse(_message.Message):
    __slots__ = ("acknowledged_sequence",)
    ACKNOWLEDGED_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    acknowledged_sequence: int
    def __init__(self, acknowledged_sequence: _Optional[int] = ...) -> None: ...

class CaseUpdate(_message.Message):
    __slots__ = ("update_id", "kind", "handoff_id", "author_party_id", "text", "risk_level", "create_time", "signed_update")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[CaseUpdate.Kind]
        KIND_SHARED_NOTE: _ClassVar[CaseUpdate.Kind]
        KIND_SITUATION: _ClassVar[CaseUpdate.Kind]
        KIND_CHECK_IN_DUE: _ClassVar[CaseUpdate.Kind]
        KIND_ANOTHER_DESK_ON_WAY: _ClassVar[CaseUpdate.Kind]
    KIND_UNSPECIFIED: CaseUpdate.Kind
    KIND_SHARED_NOTE: CaseUpdate.Kind
    KIND_SITUATION: CaseUpdate.Kind
    KIND_CHECK_IN_DUE: CaseUpdate.Kind
    KIND_ANOTHER_DESK_ON_WAY: CaseUpdate.Kind
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RISK_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNED_UPDATE_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    kind: CaseUpdate.Kind
    handoff_id: str
    author_party_id: str
    text: str
    risk_level: _case_pb2.RiskLevel
    create_time: _timestamp_pb2.Timestamp
    signed_update: _signed_pb2.SignedMessage
    def __init__(self, update_id: _Optional[str] = ..., kind: _Optional[_Union[CaseUpdate.Kind, str]] = ..., handoff_id: _Optional[str] = ..., author_party_id: _Optional[str] = ..., text: _Optional[str] = ..., risk_level: _Optional[_Union[_case_pb2.RiskLevel, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signed_update: _Optional[_Union[_signed_pb2.SignedMessage, _Mapping]] = ...) -> None: ...
