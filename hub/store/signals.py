"""The signals' rows: payloads, reporters, the cap's count, the latest chat."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.store import db
from hub.store.models import SignalRow

_SIGNALS = db.table(SignalRow)
_C = _SIGNALS.c
_PAYLOADS = (
    sa.select(_C.payload).where(_C.case_id == sa.bindparam("case_id")).order_by(_C.create_time)
)
_REPORTERS = sa.select(_C.reporter_party_id).where(_C.case_id == sa.bindparam("case_id"))
_LATEST_FROM = (
    select(SignalRow)
    .where(
        col(SignalRow.case_id) == sa.bindparam("case_id"),
        col(SignalRow.source).in_(sa.bindparam("sources", expanding=True)),
    )
    .order_by(col(SignalRow.create_time).desc(), col(SignalRow.signal_id).desc())
    .limit(1)
)
_RECENT = sa.select(sa.func.count()).where(
    _C.case_id == sa.bindparam("case_id"),
    _C.reporter_party_id == sa.bindparam("reporter"),
    _C.create_time > sa.bindparam("since"),
)


def get(session: Session, signal_id: str) -> SignalRow | None:
    return session.get(SignalRow, signal_id)


def payloads(session: Session, case_id: str) -> list[bytes]:
    """The case's signals as stored, oldest first."""
    return list(db.read(session, _PAYLOADS, {"case_id": case_id}).scalars())


def reporters(session: Session, case_id: str) -> set[str]:
    """Who reported the case's signals."""
    return set(db.read(session, _REPORTERS, {"case_id": case_id}).scalars())


def count_since(session: Session, case_id: str, reporter: str, since: dt.datetime) -> int:
    """How many signals the reporter made about the case after `since`."""
    recent = {"case_id": case_id, "reporter": reporter, "since": since}
    return int(db.read(session, _RECENT, recent).scalar_one())


def of_case(session: Session, case_id: str) -> Sequence[SignalRow]:
    return session.exec(select(SignalRow).where(SignalRow.case_id == case_id)).all()


def latest_from(session: Session, case_id: str, sources: Iterable[int]) -> SignalRow | None:
    """The case's latest signal from any of these sources."""
    params = {"case_id": case_id, "sources": list(sources)}
    return session.exec(_LATEST_FROM, params=params).first()
