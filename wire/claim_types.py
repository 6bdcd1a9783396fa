"""The value types of claims: how each is written when signed, and read when compared.

A partner writes a claim's JSON value the way its own libraries do: RFC 3339 times
with any offset and 0-9 fraction digits, enum names or numbers, message fields by
their proto or JSON names, a default value written out or left out. The hub
compares values, not text: two values are the same claim when their canonical
forms (``read``) are equal, and ``write`` (what the SDK and the hub sign) already
produces the canonical form. docs/signed-messages.md states these rules.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.message import Message


class ClaimValueError(ValueError):
    """A claim's value cannot be read as its type; ``claim`` names the claim."""

    def __init__(self, claim: str, message: str) -> None:
        super().__init__(f"claim {claim!r}: {message}")
        self.claim = claim


@dataclass(frozen=True)
class ClaimType:
    """One kind of claim value.

    ``write`` turns the value the hub or the SDK holds (a str, a Timestamp, an enum
    number, a message) into the JSON value it signs; ``read`` turns any JSON value a
    signer may have written into the canonical one, raising ValueError if it cannot;
    ``default`` is the canonical form of the proto default, which counts as absent.
    """

    write: Callable[[Any], Any]
    read: Callable[[Any], Any]
    default: Any


def _read_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("must be a JSON string")
    return value


TEXT = ClaimType(write=str, read=_read_text, default="")

# RFC 3339 section 5.6, with the lower-case "t"/"z" and the space its note allows.
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))"
)
# The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_MIN_SECONDS = -62_135_596_800
_MAX_SECONDS = 253_402_300_799


def parse_rfc3339(text: str) -> timestamp_pb2.Timestamp:
    """An RFC 3339 time, exactly (nanoseconds); refuses leap seconds and over 9 fraction digits."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an RFC 3339 time with at most 9 fraction digits")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, sign, offset_hours, offset_minutes = match.groups()[6:]
    try:
        local = dt.datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid date and time") from None
    offset = 0
    if sign:
        if int(offset_hours) > 23 or int(offset_minutes) > 59:
            raise ValueError(f"{text!r} has an invalid UTC offset")
        offset = (int(offset_hours) * 60 + int(offset_minutes)) * 60
        offset = offset if sign == "+" else -offset
    seconds = calendar.timegm(local.timetuple()) - offset
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise ValueError(f"{text!r} is outside the years 0001-9999 (UTC)")
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=int((fraction or "").ljust(9, "0")))


def _write_time(value: timestamp_pb2.Timestamp) -> str:
    return value.ToJsonString()


def _read_time(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 time in a JSON string")
    return parse_rfc3339(value).ToJsonString()


TIME = ClaimType(write=_write_time, read=_read_time, default=None)


def enum(descriptor: EnumDescriptor) -> ClaimType:
    """An enum: signed by its full name (e.g. "RISK_LEVEL_HIGH"); its number is read too.

    A number the enum does not know stays a number, so that an unknown value in a
    request is refused by the request's validation, not taken for a bad signature.
    """

    def write(number: int) -> str | int:
        known = descriptor.values_by_number.get(number)
        return known.name if known is not None else number

    def read(value: Any) -> str | int:
        if value is None:
            return write(0)
        if isinstance(value, str) and value in descriptor.values_by_name:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return write(value)
        raise ValueError(f"must be a {descriptor.full_name} name")

    return ClaimType(write=write, read=read, default=write(0))


def message(message_type: type[Message]) -> ClaimType:
    """A message as proto3 JSON: fields by proto name, defaults left out.

    Read with the proto3 JSON rules, so fields may also come by their JSON (camelCase)
    names, enums as names or numbers, and defaults written out; unknown fields are refused.
    """

    def write(value: Message) -> dict[str, Any]:
        return json_format.MessageToDict(value, preserving_proto_field_name=True)

    def read(value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError(f"must be a JSON object ({message_type.DESCRIPTOR.full_name})")
        try:
            parsed = json_format.ParseDict(value, message_type())
        except json_format.ParseError as e:
            raise ValueError(str(e)) from None
        return write(parsed)

    return ClaimType(write=write, read=read, default={})
