"""The deadlines' rows: the next one due, those due now, their claim and cancellation.

Deadlines are written by plain inserts and updates (never ORM objects changed in a
unit), so the reads here need no autoflush."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from hub.store import db
from hub.store.models import DeadlineRow

PENDING = "pending"
FIRED = "fired"
CANCELLED = "cancelled"

_DEADLINES = db.table(DeadlineRow)
_C = _DEADLINES.c
_CLAIM = (
    sa.update(_DEADLINES)
    .where(_C.deadline_id == sa.bindparam("claimed_id"), _C.state == PENDING)
    .values(state=FIRED, fired_time=sa.bindparam("now"), fired_by=sa.bindparam("by"))
)
_NEXT_DUE = sa.select(sa.func.min(_C.due_time)).where(_C.state == PENDING)
_CANCEL = sa.update(_DEADLINES).values(state=CANCELLED)
_CANCEL_FOR_HANDOFF = _CANCEL.where(
    _C.state == PENDING,
    _C.kind.in_(sa.bindparam("kinds", expanding=True)),
    _C.handoff_id == sa.bindparam("owner"),
)
_CANCEL_FOR_CASE = _CANCEL.where(
    _C.state == PENDING,
    _C.kind.in_(sa.bindparam("kinds", expanding=True)),
    _C.case_id == sa.bindparam("owner"),
)
_PENDING_BY = sa.select(_C.deadline_id).where(
    _C.case_id == sa.bindparam("case_id"),
    _C.kind == sa.bindparam("kind"),
    _C.state == PENDING,
    _C.due_time <= sa.bindparam("due"),
)
_PENDING_DUE_TIMES = (
    sa.select(_C.due_time)
    .where(
        _C.case_id == sa.bindparam("case_id"), _C.kind == sa.bindparam("kind"), _C.state == PENDING
    )
    .order_by(_C.due_time)
)


def next_due(session: Session) -> dt.datetime | None:
    """When the earliest pending deadline is due."""
    due: dt.datetime | None = db.read(session, _NEXT_DUE).scalar_one()
    return due


def due(session: Session, now: dt.datetime, batch: int, *, skip_locked: bool) -> list[DeadlineRow]:
    """Up to `batch` pending deadlines due by `now`, earliest first; with `skip_locked`
    (PostgreSQL), locked, passing over those another hub process holds."""
    query = (
        select(DeadlineRow)
        .where(DeadlineRow.state == PENDING, col(DeadlineRow.due_time) <= now)
        .order_by(col(DeadlineRow.due_time))
        .limit(batch)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query))


def claim(session: Session, row: DeadlineRow, now: dt.datetime, fired_by: str) -> bool:
    """Marks a pending deadline fired; False if another process claimed it first. The
    conditional update is the claim: only one process sees rowcount 1.

    A Core update, and the row object told what it wrote: through the ORM, the update
    first matched its criteria against every object in the session and then read the
    row back, which made a sweep of n due deadlines cost n squared."""
    claimed = session.connection().execute(
        _CLAIM, {"claimed_id": row.deadline_id, "now": now, "by": fired_by}
    )
    if claimed.rowcount != 1:
        return False
    for name, value in (("state", FIRED), ("fired_time", now), ("fired_by", fired_by)):
        set_committed_value(row, name, value)
    return True


def cancel_for_handoff(session: Session, handoff_id: str, kinds: Iterable[str]) -> None:
    session.connection().execute(_CANCEL_FOR_HANDOFF, {"owner": handoff_id, "kinds": list(kinds)})


def cancel_for_case(session: Session, case_id: str, kinds: Iterable[str]) -> None:
    session.connection().execute(_CANCEL_FOR_CASE, {"owner": case_id, "kinds": list(kinds)})


def pending_due_by(session: Session, case_id: str, kind: str, due: dt.datetime) -> str | None:
    """A pending deadline of this kind on the case due by `due`, if any."""
    found: str | None = db.read(
        session, _PENDING_BY, {"case_id": case_id, "kind": kind, "due": due}
    ).scalar()
    return found


def pending_due_times(session: Session, case_id: str, kind: str) -> list[dt.datetime]:
    """When the case's pending deadlines of this kind are due, earliest first."""
    return list(db.read(session, _PENDING_DUE_TIMES, {"case_id": case_id, "kind": kind}).scalars())
