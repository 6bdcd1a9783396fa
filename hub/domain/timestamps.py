"""Conversions between database times and protobuf Timestamps."""

from __future__ import annotations

import datetime as dt

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(value: dt.datetime | None) -> Timestamp | None:
    """A Timestamp for an aware time, or None to leave the field unset."""
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC time: SQLite hands back naive datetimes, and every
    time the hub stores is UTC."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
