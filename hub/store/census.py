"""What an operator's metrics count, read from the database at each scrape: it is the
source of truth, shared by every replica, so any replica answers for all of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from lifeline.hub.v1 import case_pb2, handoff_pb2
from sqlmodel import Session

from hub.domain.timestamps import as_utc
from hub.store import db
from hub.store.models import CaseRow, HandoffRow, InboxCursorRow, PartyRow

H = handoff_pb2.Handoff
_HANDOFFS = db.table(HandoffRow)
_CASES = db.table(CaseRow)
_CURSORS = db.table(InboxCursorRow)
_PARTIES = db.table(PartyRow)
_WAITING = (H.STATE_PENDING, H.STATE_DELIVERED)
"""A handoff nobody has taken yet: what a duty alert or a DISPATCH is while it is chased."""

_BY_KIND_AND_STATE = sa.select(_HANDOFFS.c.kind, _HANDOFFS.c.state, sa.func.count()).group_by(
    _HANDOFFS.c.kind, _HANDOFFS.c.state
)
_OLDEST_WAITING_ALERT = sa.select(sa.func.min(_HANDOFFS.c.create_time)).where(
    _HANDOFFS.c.kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT, _HANDOFFS.c.state.in_(_WAITING)
)
_OLDEST_WAITING_IMMINENT_DISPATCH = (
    sa.select(sa.func.min(_HANDOFFS.c.create_time))
    .join(_CASES, _CASES.c.case_id == _HANDOFFS.c.case_id)
    .where(
        _HANDOFFS.c.kind == handoff_pb2.HANDOFF_KIND_DISPATCH,
        _HANDOFFS.c.state.in_(_WAITING),
        _CASES.c.risk_level == case_pb2.RISK_LEVEL_IMMINENT,
    )
)
_BACKLOG_BY_ROLE = (
    sa.select(
        _PARTIES.c.role,
        sa.func.sum(_CURSORS.c.last_sequence - _CURSORS.c.acknowledged_sequence),
    )
    .join(_PARTIES, _PARTIES.c.party_id == _CURSORS.c.party_id)
    .group_by(_PARTIES.c.role)
)


@dataclass(frozen=True)
class Census:
    handoffs: dict[tuple[int, int], int] = field(default_factory=dict)
    """(kind, state) -> how many handoffs."""
    oldest_waiting_alert: dt.datetime | None = None
    """When the oldest duty alert nobody has taken was raised."""
    oldest_waiting_imminent_dispatch: dt.datetime | None = None
    """When the oldest unacknowledged DISPATCH of an IMMINENT case was sent."""
    inbox_backlog: dict[str, int] = field(default_factory=dict)
    """Role -> messages written to its parties' inboxes and not yet acknowledged."""


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


def count(session: Session) -> Census:
    connection = session.connection()
    return Census(
        handoffs={(k, s): n for k, s, n in connection.execute(_BY_KIND_AND_STATE)},
        oldest_waiting_alert=_utc(connection.execute(_OLDEST_WAITING_ALERT).scalar()),
        oldest_waiting_imminent_dispatch=_utc(
            connection.execute(_OLDEST_WAITING_IMMINENT_DISPATCH).scalar()
        ),
        inbox_backlog={role: int(n or 0) for role, n in connection.execute(_BACKLOG_BY_ROLE)},
    )
