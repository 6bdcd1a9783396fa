import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignedMessage(_message.Message):
    __slots__ = ("payload", "algorithm", "signature", "signer_certificate", "disclosures")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SIGNER_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    DISCLOSURES_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    algorithm: str
    signature: bytes
    signer_certificate: bytes
    disclosures: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, payload: _Optional[bytes] = ..., algorithm: _Optional[str] = ..., signature: _Optional[bytes] = ..., signer_certificate: _Optional[bytes] = ..., disclosures: _Optional[_Iterable[bytes]] = ...) -> None: ...

class SignedPayload(_message.Message):
    __slots__ = ("message_id", "kind", "issuer", "audience", "issue_time", "expire_time", "digest_algorithm", "digests", "case_id", "handoff_id")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[SignedPayload.Kind]
        KIND_SIGNAL: _ClassVar[SignedPayload.Kind]
        KIND_HANDOFF: _ClassVar[SignedPayload.Kind]
        KIND_ACKNOWLEDGEMENT: _ClassVar[SignedPayload.Kind]
        KIND_DECLINE: _ClassVar[SignedPayload.Kind]
        KIND_OUTCOME: _ClassVar[SignedPayload.Kind]
        KIND_PROGRESS: _ClassVar[SignedPayload.Kind]
        KIND_CASE_UPDATE: _ClassVar[SignedPayload.Kind]
    KIND_UNSPECIFIED: SignedPayload.Kind
    KIND_SIGNAL: SignedPayload.Kind
    KIND_HANDOFF: SignedPayload.Kind
    KIND_ACKNOWLEDGEMENT: SignedPayload.Kind
    KIND_DECLINE: SignedPayload.Kind
    KIND_OUTCOME: SignedPayload.Kind
    KIND_PROGRESS: SignedPayload.Kind
    KIND_CASE_UPDATE: SignedPayload.Kind
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    ISSUE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    DIGESTS_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    HANDOFF_ID_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    kind: SignedPayload.Kind
    issuer: str
    audience: str
    issue_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    digest_algorithm: str
    digests: _containers.RepeatedScalarFieldContainer[bytes]
    case_id: str
    handoff_id: str
    def __init__(self, message_id: _Optional[str] = ..., kind: _Optional[_Union[SignedPayload.Kind, str]] = ..., issuer: _Optional[str] = ..., audience: _Optional[str] = ..., issue_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., digest_algorithm: _Optional[str] = ..., digests: _Optional[_Iterable[bytes]] = ..., case_id: _Optional[str] = ..., handoff_id: _Optional[str] = ...) -> None: ...

class Disclosure(_message.Message):
    __slots__ = ("salt", "name", "value")
    SALT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    salt: bytes
    name: str
    value: str
    def __init__(self, salt: _Optional[bytes] = ..., name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
