"""The handoffs' rows as the use cases read and lock them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.store import db
from hub.store.models import HandoffRow, PartyRow
from hub.store.registry import ACTIVE

_HANDOFFS = db.table(HandoffRow)
_COUNT = sa.select(sa.func.count()).where(_HANDOFFS.c.case_id == sa.bindparam("case_id"))
# The ORM queries of a signal's path, built once too: the session still loads (and
# autoflushes before) them, only the statement is not rebuilt and re-keyed per call.
_OF_CASE = select(HandoffRow).where(col(HandoffRow.case_id) == sa.bindparam("case_id"))
_ALERTS = select(HandoffRow).where(
    col(HandoffRow.case_id) == sa.bindparam("case_id"),
    col(HandoffRow.kind) == sa.bindparam("kind"),
    col(HandoffRow.alert_reason) == sa.bindparam("reason"),
    col(HandoffRow.state).in_(sa.bindparam("states", expanding=True)),
)
_OPEN_ALERT_OF_CASE = _ALERTS.where(col(HandoffRow.alert_handoff_id).is_(None)).limit(1)
_OPEN_ALERT_ABOUT = _ALERTS.where(col(HandoffRow.alert_handoff_id) == sa.bindparam("about")).limit(
    1
)
_TAKEN = (
    select(HandoffRow)
    .join(PartyRow, col(PartyRow.party_id) == col(HandoffRow.assignee_party_id))
    .where(
        col(HandoffRow.case_id) == sa.bindparam("case_id"),
        col(HandoffRow.acknowledge_time).is_not(None),
        col(HandoffRow.state).in_(sa.bindparam("states", expanding=True)),
        col(PartyRow.role).in_(sa.bindparam("roles", expanding=True)),
        PartyRow.state == ACTIVE,
    )
    .order_by(col(HandoffRow.acknowledge_time), col(HandoffRow.handoff_id))
)
_TAKEN_OF_KINDS = _TAKEN.where(col(HandoffRow.kind).in_(sa.bindparam("kinds", expanding=True)))


def get(session: Session, handoff_id: str) -> HandoffRow | None:
    return session.get(HandoffRow, handoff_id)


def locked(session: Session, handoff_id: str) -> HandoffRow | None:
    """The handoff's row, locked for this transaction."""
    return db.locked(session, HandoffRow, handoff_id)


def count(session: Session, case_id: str) -> int:
    """How many handoffs the case has, those added in this transaction included."""
    session.flush()  # what the ORM query's autoflush did: new handoffs count
    return int(db.read(session, _COUNT, {"case_id": case_id}).scalar_one())


def of_case(session: Session, case_id: str) -> list[HandoffRow]:
    return list(session.exec(_OF_CASE, params={"case_id": case_id}))


def of_kinds(
    session: Session, case_id: str, kinds: Iterable[int], states: Iterable[int]
) -> Sequence[HandoffRow]:
    """The case's handoffs of these kinds in these states, oldest first."""
    return session.exec(
        select(HandoffRow)
        .where(
            HandoffRow.case_id == case_id,
            col(HandoffRow.kind).in_(kinds),
            col(HandoffRow.state).in_(states),
        )
        .order_by(col(HandoffRow.create_time), col(HandoffRow.handoff_id))
    ).all()


def cancelled_by_closing(
    session: Session,
    case_id: str,
    states: Iterable[int],
    now: dt.datetime,
    kept_kind: int,
) -> list[HandoffRow]:
    """The case's handoffs in these states that closing it cancels: all but one of
    `kept_kind` whose check-in is still ahead."""
    return list(
        session.exec(
            select(HandoffRow).where(
                HandoffRow.case_id == case_id,
                col(HandoffRow.state).in_(states),
                sa.or_(
                    col(HandoffRow.kind) != kept_kind,
                    col(HandoffRow.check_in_time).is_(None),
                    col(HandoffRow.check_in_time) <= now,
                ),
            )
        )
    )


def open_alert(
    session: Session,
    case_id: str,
    kind: int,
    reason: int,
    about: str | None,
    states: Iterable[int],
) -> HandoffRow | None:
    """The alert of this kind still open on the case for this reason and handoff."""
    params = {"case_id": case_id, "kind": kind, "reason": reason, "states": list(states)}
    if about is None:
        return session.exec(_OPEN_ALERT_OF_CASE, params=params).first()
    return session.exec(_OPEN_ALERT_ABOUT, params={**params, "about": about}).first()


def of_kind(session: Session, case_id: str, kind: int) -> Sequence[HandoffRow]:
    return session.exec(
        select(HandoffRow).where(HandoffRow.case_id == case_id, HandoffRow.kind == kind)
    ).all()


def held(session: Session, party_id: str, states: Iterable[int]) -> list[HandoffRow]:
    """The party's handoffs in these states, by case and id."""
    return list(
        session.exec(
            select(HandoffRow)
            .where(HandoffRow.assignee_party_id == party_id, col(HandoffRow.state).in_(states))
            .order_by(col(HandoffRow.case_id), col(HandoffRow.handoff_id))
        )
    )


def escalated_from(session: Session, handoff_ids: list[str]) -> list[HandoffRow]:
    """The handoffs that escalate any of these, by id."""
    return list(
        session.exec(
            select(HandoffRow)
            .where(col(HandoffRow.escalated_from_handoff_id).in_(handoff_ids))
            .order_by(col(HandoffRow.handoff_id))
        )
    )


def taken(
    session: Session,
    case_id: str,
    roles: Iterable[str],
    kinds: Iterable[int],
    states: Iterable[int],
) -> Sequence[HandoffRow]:
    """The case's acknowledged handoffs in these states (and kinds, if any) of active
    parties of these roles, in the order they were acknowledged."""
    params = {"case_id": case_id, "states": list(states), "roles": list(roles)}
    kinds = list(kinds)
    if kinds:
        return session.exec(_TAKEN_OF_KINDS, params={**params, "kinds": kinds}).all()
    return session.exec(_TAKEN, params=params).all()


def page(
    session: Session,
    *,
    size: int,
    assignee: str | None,
    case_id: str,
    state: int,
    after: str | None,
) -> list[HandoffRow]:
    """A page of handoffs by id (one more than `size`, to tell whether another follows),
    of one assignee's only unless `assignee` is None."""
    query = select(HandoffRow).order_by(col(HandoffRow.handoff_id)).limit(size + 1)
    if assignee is not None:
        query = query.where(HandoffRow.assignee_party_id == assignee)
    if case_id:
        query = query.where(HandoffRow.case_id == case_id)
    if state:
        query = query.where(HandoffRow.state == state)
    if after is not None:
        query = query.where(col(HandoffRow.handoff_id) > after)
    return list(session.exec(query))
