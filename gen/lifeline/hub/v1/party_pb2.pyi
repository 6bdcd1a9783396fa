import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_PLATFORM: _ClassVar[Role]
    ROLE_MERCHANT: _ClassVar[Role]
    ROLE_COURIER: _ClassVar[Role]
    ROLE_POLICE: _ClassVar[Role]
    ROLE_COMMITTEE: _ClassVar[Role]
    ROLE_HOSPITAL: _ClassVar[Role]
ROLE_UNSPECIFIED: Role
ROLE_PLATFORM: Role
ROLE_MERCHANT: Role
ROLE_COURIER: Role
ROLE_POLICE: Role
ROLE_COMMITTEE: Role
ROLE_HOSPITAL: Role

class Party(_message.Message):
    __slots__ = ("party_id", "role", "state", "jurisdiction_code", "display_name", "backup_party_id", "certificate_serial", "first_seen_time", "last_seen_time", "contact_phone", "webhook_url")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Party.State]
        STATE_ACTIVE: _ClassVar[Party.State]
        STATE_DEACTIVATED: _ClassVar[Party.State]
        STATE_REVOKED: _ClassVar[Party.State]
    STATE_UNSPECIFIED: Party.State
    STATE_ACTIVE: Party.State
    STATE_DEACTIVATED: Party.State
    STATE_REVOKED: Party.State
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    BACKUP_PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_SERIAL_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_TIME_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    party_id: str
    role: Role
    state: Party.State
    jurisdiction_code: str
    display_name: str
    backup_party_id: str
    certificate_serial: str
    first_seen_time: _timestamp_pb2.Timestamp
    last_seen_time: _timestamp_pb2.Timestamp
    contact_phone: str
    webhook_url: str
    def __init__(self, party_id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., state: _Optional[_Union[Party.State, str]] = ..., jurisdiction_code: _Optional[str] = ..., display_name: _Optional[str] = ..., backup_party_id: _Optional[str] = ..., certificate_serial: _Optional[str] = ..., first_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_phone: _Optional[str] = ..., webhook_url: _Optional[str] = ...) -> None: ...
