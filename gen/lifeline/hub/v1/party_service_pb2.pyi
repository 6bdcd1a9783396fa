from lifeline.hub.v1 import party_pb2 as _party_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCurrentPartyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCurrentPartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _party_pb2.Party
    def __init__(self, party: _Optional[_Union[_party_pb2.Party, _Mapping]] = ...) -> None: ...

class RegisterPartyRequest(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _party_pb2.Party
    def __init__(self, party: _Optional[_Union[_party_pb2.Party, _Mapping]] = ...) -> None: ...

class RegisterPartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _party_pb2.Party
    def __init__(self, party: _Optional[_Union[_party_pb2.Party, _Mapping]] = ...) -> None: ...

class GetPartyRequest(_message.Message):
    __slots__ = ("party_id",)
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    party_id: str
    def __init__(self, party_id: _Optional[str] = ...) -> None: ...

class GetPartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _party_pb2.Party
    def __init__(self, party: _Optional[_Union[_party_pb2.Party, _Mapping]] = ...) -> None: ...

class ListPartiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "role", "jurisdiction_code")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_CODE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    role: _party_pb2.Role
    jurisdiction_code: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., role: _Optional[_Union[_party_pb2.Role, str]] = ..., jurisdiction_code: _Optional[str] = ...) -> None: ...

class ListPartiesResponse(_message.Message):
    __slots__ = ("parties", "next_page_token")
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parties: _containers.RepeatedCompositeFieldContainer[_party_pb2.Party]
    next_page_token: str
    def __init__(self, parties: _Optional[_Iterable[_Union[_party_pb2.Party, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeactivatePartyRequest(_message.Message):
    __slots__ = ("party_id", "reason")
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    party_id: str
    reason: str
    def __init__(self, party_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DeactivatePartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: _party_pb2.Party
    def __init__(self, party: _Optional[_Union[_party_pb2.Party, _Mapping]] = ...) -> None: ...
