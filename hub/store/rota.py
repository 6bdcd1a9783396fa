"""The platform duty desk's 24/7 on-call rota.

Shifts are entered in local wall-clock time with an IANA time zone and stored as
UTC instants, so they mean the same moment however the zone shifts its clocks.
A local time that does not exist (skipped by a daylight-saving change) is
refused; one that happens twice (clocks going back) means its first occurrence.
Handover is the instant one shift ends and the next begins.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from hub.store.models import RotaShiftRow


class RotaError(ValueError):
    """A shift that cannot be entered as asked."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RotaError(
            f"unknown time zone {name!r} (use an IANA name like Asia/Shanghai)"
        ) from None


def to_instant(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A wall-clock time in a zone, as an aware UTC instant; refuses times that do not exist."""
    instant = local.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local:
        raise RotaError(
            f"{local:%Y-%m-%d %H:%M} does not exist in {tz.key} (a daylight-saving change)"
        )
    return instant


def add_shift(
    session: Session,
    party_id: str,
    start: dt.datetime,
    end: dt.datetime,
    tz_name: str,
    backup_party_id: str | None = None,
) -> RotaShiftRow:
    """A shift from local `start` to local `end` in `tz_name`."""
    tz = zone(tz_name)
    start_at, end_at = to_instant(start, tz), to_instant(end, tz)
    if end_at <= start_at:
        raise RotaError("a shift must end after it starts")
    if backup_party_id == party_id:
        raise RotaError("a shift's backup must be someone else")
    row = RotaShiftRow(
        shift_id=f"shift-{uuid.uuid4().hex[:12]}",
        party_id=party_id,
        backup_party_id=backup_party_id,
        start_time=start_at,
        end_time=end_at,
        timezone=tz.key,
    )
    session.add(row)
    return row


def shifts(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    *,
    after: str | None = None,
    limit: int | None = None,
) -> list[RotaShiftRow]:
    """Shifts that overlap [start, end), by start (then id, so pages are stable); `after`:
    only those after that shift in this order (ListShifts' pages)."""
    query = (
        select(RotaShiftRow)
        .where(col(RotaShiftRow.start_time) < end, col(RotaShiftRow.end_time) > start)
        .order_by(col(RotaShiftRow.start_time), col(RotaShiftRow.shift_id))
        .limit(limit)
    )
    if after is not None:
        last = (
            select(RotaShiftRow.start_time).where(RotaShiftRow.shift_id == after).scalar_subquery()
        )
        query = query.where(
            or_(
                col(RotaShiftRow.start_time) > last,
                and_(col(RotaShiftRow.start_time) == last, col(RotaShiftRow.shift_id) > after),
            )
        )
    return list(session.exec(query))


def on_call(session: Session, at: dt.datetime) -> RotaShiftRow | None:
    """The shift on call at an instant; of overlapping shifts, the one that began last
    (the incoming one, during a handover)."""
    covering = [s for s in shifts(session, at, at + dt.timedelta(microseconds=1))]
    return covering[-1] if covering else None


def gaps(
    session: Session, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The stretches of [start, end) that no shift covers."""
    found: list[tuple[dt.datetime, dt.datetime]] = []
    covered_to = start
    for shift in shifts(session, start, end):
        if shift.start_time > covered_to:
            found.append((covered_to, shift.start_time))
        covered_to = max(covered_to, shift.end_time)
    if covered_to < end:
        found.append((covered_to, end))
    return found
