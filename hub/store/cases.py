"""The cases' rows as the use cases read and lock them, their subject keys and notes,
and the moves of a merge."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.domain.timestamps import as_utc
from hub.store import db
from hub.store.models import (
    CaseNoteRow,
    CasePartyRow,
    CaseRow,
    HandoffRow,
    SignalRow,
    SignedMessageRow,
    SubjectKeyRow,
)

OPEN = "open"
CLOSED = "closed"

_CASES = db.table(CaseRow)
_KEYS = db.table(SubjectKeyRow)
_SUBJECT_LOCK = sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))")


@functools.cache
def _open_with_keys(count: int) -> sa.Select[tuple[str]]:
    # Keys first, each case then checked by its id: as a join, SQLite (which plans
    # without statistics) started from the index on the case's state and read every
    # open case.
    is_open = sa.exists().where(_CASES.c.case_id == _KEYS.c.case_id, _CASES.c.state == OPEN)
    return sa.select(_KEYS.c.case_id).where(db.in_list(_KEYS.c.key_hash, "key", count), is_open)


@functools.cache
def _known_keys(count: int) -> sa.Select[tuple[str]]:
    return sa.select(_KEYS.c.key_hash).where(
        _KEYS.c.case_id == sa.bindparam("case_id"), db.in_list(_KEYS.c.key_hash, "key", count)
    )


def get(session: Session, case_id: str) -> CaseRow | None:
    return session.get(CaseRow, case_id)


def locked(session: Session, case_id: str) -> CaseRow | None:
    """The case's row, locked for this transaction."""
    return db.locked(session, CaseRow, case_id)


def lock_subjects(session: Session, keys: Iterable[str]) -> None:
    """PostgreSQL: holds a transaction lock per subject key, so two signals about one
    new person cannot open two cases."""
    for key in keys:
        session.execute(_SUBJECT_LOCK, {"k": key})


def open_ids_with_keys(session: Session, keys: list[str]) -> set[str]:
    """The open cases that have any of these subject keys (a plain read)."""
    return set(db.read(session, _open_with_keys(len(keys)), db.in_values("key", keys)).scalars())


def open_locked(session: Session, case_ids: Iterable[str]) -> list[CaseRow]:
    """Those of these cases that are open (as this transaction has them), locked in the
    one order every lock on cases is taken in (lock_all), oldest first."""
    rows = db.locked_all(session, CaseRow, case_ids)
    return sorted(
        (row for row in rows if row.state == OPEN),
        key=lambda row: (as_utc(row.create_time), row.case_id),
    )


def lock_all(session: Session, case_ids: set[str]) -> None:
    """Locks cases in one order (by id), so two hub processes cannot deadlock on them;
    :func:`locked` then finds each without a statement."""
    db.locked_all(session, CaseRow, case_ids)


def merged_into(session: Session, case_id: str) -> list[str]:
    """The cases merged into this one."""
    return list(session.exec(select(CaseRow.case_id).where(CaseRow.merged_into == case_id)))


def page(
    session: Session,
    *,
    size: int,
    member: str | None,
    after: str | None,
    state: str | None,
    minimum_risk_level: int,
    updated_since: dt.datetime | None,
) -> list[CaseRow]:
    """A page of cases by id (one more than `size`, to tell whether another follows),
    of one member's only unless `member` is None."""
    query = select(CaseRow).order_by(col(CaseRow.case_id)).limit(size + 1)
    if member is not None:
        query = query.join(CasePartyRow, col(CasePartyRow.case_id) == col(CaseRow.case_id)).where(
            CasePartyRow.party_id == member
        )
    if after is not None:
        query = query.where(col(CaseRow.case_id) > after)
    if state is not None:
        query = query.where(CaseRow.state == state)
    if minimum_risk_level:
        query = query.where(col(CaseRow.risk_level) >= minimum_risk_level)
    if updated_since is not None:
        query = query.where(col(CaseRow.update_time) >= updated_since)
    return list(session.exec(query))


def known_keys(session: Session, case_id: str, keys: set[str]) -> set[str]:
    """Which of these subject keys the case has already (a plain read)."""
    params = {"case_id": case_id, **db.in_values("key", sorted(keys))}
    return set(db.read(session, _known_keys(len(keys)), params).scalars())


def subject_keys(session: Session, case_id: str) -> Sequence[str]:
    return session.exec(
        select(SubjectKeyRow.key_hash).where(SubjectKeyRow.case_id == case_id)
    ).all()


def forget_subject_keys(session: Session, case_id: str) -> None:
    session.execute(sa.delete(SubjectKeyRow).where(col(SubjectKeyRow.case_id) == case_id))


def move_rows(session: Session, from_case: str, to_case: str) -> None:
    """A merge: the absorbed case's signals, handoffs and signed messages move over."""
    for model in (SignalRow, HandoffRow, SignedMessageRow):
        session.execute(
            sa.update(model).where(col(model.case_id) == from_case).values(case_id=to_case)
        )


def notes(session: Session, case_id: str) -> Sequence[CaseNoteRow]:
    return session.exec(select(CaseNoteRow).where(CaseNoteRow.case_id == case_id)).all()
