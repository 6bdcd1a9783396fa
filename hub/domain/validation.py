"""Request validation: every field of a request against its limit, in one place.

The gate calls :func:`check_request` on every request before any handler sees it.
It walks the message, the messages inside it, and the signed payload and
disclosures inside a signed message, and refuses the first field that breaks its
limit in hub/domain/limits.py, a number that names no value of its enum, or required text
that is blank. A refusal is INVALID_ARGUMENT with the field's path (as
``signal.orders[0].order_id``) in the ErrorInfo's ``field``. What depends on who
calls or on stored state (a merchant reports its own orders, a handoff's outcome
fits its kind) stays with the engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message
from lifeline.hub.v1 import signed_pb2

from hub.domain import errors, limits
from hub.domain.errors import HubError
from wire import reasons

# Text a request must not leave blank, by request type: an empty id is a request to
# fix (INVALID_ARGUMENT, its field named), not a case or handoff that was not found.
_CASE = "case_id"
_HANDOFF = "handoff_id"
REQUIRED_TEXT: dict[str, tuple[str, ...]] = {
    f"lifeline.hub.v1.{name}Request": fields
    for name, fields in {
        "GetCase": (_CASE,),
        "GradeCase": (_CASE, "reason"),
        "AddCaseNote": (_CASE, "text"),
        "ListCaseEvents": (_CASE,),
        "CloseCase": (_CASE,),
        "ReopenCase": (_CASE, "reason"),
        "ConfirmAddress": (_CASE,),
        "ExportEvidence": (_CASE,),
        "CreateHandoff": (_CASE,),
        "GetHandoff": (_HANDOFF,),
        "AcknowledgeHandoff": (_HANDOFF,),
        "DeclineHandoff": (_HANDOFF, "reason"),
        "CompleteHandoff": (_HANDOFF,),
        "ReportProgress": (_HANDOFF,),
    }.items()
}
# Bytes fields that hold a serialized message, checked like any other. One that does
# not parse is left to the signature check, which refuses it with its own reason.
EMBEDDED: dict[str, type[Message]] = {
    "lifeline.hub.v1.SignedMessage.payload": signed_pb2.SignedPayload,
    "lifeline.hub.v1.SignedMessage.disclosures": signed_pb2.Disclosure,
}

_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_ENUM = FieldDescriptor.TYPE_ENUM
_BYTES = FieldDescriptor.TYPE_BYTES
_BOOL = FieldDescriptor.TYPE_BOOL


def _refusal(limit: limits.Text | limits.Number, problem: str, field: str) -> HubError:
    reason = limit.reason if isinstance(limit, limits.Text) else reasons.INVALID_ARGUMENT
    return HubError(reason, f"{field} {problem}", {"field": field})


def check_request(request: Message) -> None:
    """Refuses the request (HubError) at its first field that is not acceptable."""
    _check_message(request, "")
    for name in REQUIRED_TEXT.get(request.DESCRIPTOR.full_name, ()):
        if not getattr(request, name).strip():
            raise errors.invalid_argument(f"{name} is required", name)


def page_sequence(key: str | None) -> int:
    """The sequence a page token of a timeline holds (0 for the first page)."""
    if key is None:
        return 0
    if not key.isascii() or not key.isdigit() or limits.SEQUENCE.problem(int(key)) is not None:
        raise HubError(
            reasons.INVALID_PAGE_TOKEN,
            "page_token is not valid",
            {"field": "page_token"},
        )
    return int(key)


def _check_message(message: Message, prefix: str) -> None:
    for descriptor, value in message.ListFields():
        path = prefix + descriptor.name
        if descriptor.is_repeated:
            for i, item in enumerate(value):
                _check_field(descriptor, item, f"{path}[{i}]")
        else:
            _check_field(descriptor, value, path)


def _check_field(descriptor: FieldDescriptor, value: object, path: str) -> None:
    if descriptor.type == _MESSAGE:
        assert isinstance(value, Message)
        _check_message(value, path + ".")
    elif descriptor.type == _ENUM:
        enum = descriptor.enum_type
        assert enum is not None
        if value not in enum.values_by_number:
            names = _names(enum.values_by_name)
            raise errors.invalid_argument(f"{path} is {value}, which names none of {names}", path)
    elif descriptor.type == _BYTES:
        embedded = EMBEDDED.get(descriptor.full_name)
        if embedded is not None:
            assert isinstance(value, bytes)
            try:
                inner = embedded.FromString(value)
            except DecodeError:
                return
            _check_message(inner, path + ".")
    elif descriptor.type != _BOOL:
        limit = limits.FIELDS[descriptor.full_name]
        problem = limit.problem(value)  # type: ignore[arg-type]
        if problem is not None:
            raise _refusal(limit, problem, path)


def _names(names: Iterable[str]) -> str:
    return ", ".join(n for n in names if not n.endswith("_UNSPECIFIED"))
