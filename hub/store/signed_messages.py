"""The signed messages kept as evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from hub.store import db
from hub.store.models import SignedMessageRow

_MESSAGES = db.table(SignedMessageRow)
_C = _MESSAGES.c
_OF_HANDOFF = sa.select(_C.message).where(
    _C.handoff_id == sa.bindparam("handoff_id"), _C.kind == sa.bindparam("kind")
)
# A message id seen before is refused by the table's key: the insert that keeps a
# message is also the replay check, one statement instead of a read and a write.
_KEEP_NEW = {
    "sqlite": sqlite.insert(_MESSAGES).on_conflict_do_nothing().returning(_C.message_id),
    "postgresql": postgresql.insert(_MESSAGES).on_conflict_do_nothing().returning(_C.message_id),
}


def of_handoff(session: Session, handoff_id: str, kind: int) -> bytes:
    """The one message of this kind about the handoff."""
    message: bytes = db.read(session, _OF_HANDOFF, {"handoff_id": handoff_id, "kind": kind}).one()[
        0
    ]
    return message


def keep_new(session: Session, row: dict[str, Any]) -> bool:
    """Keeps a received message; False (and nothing written) if its issuer's message id
    was received before."""
    connection = session.connection()
    # RETURNING, not rowcount: psycopg's rowcount is -1 for this statement.
    return connection.execute(_KEEP_NEW[connection.dialect.name], row).first() is not None


def of_cases(session: Session, case_ids: list[str]) -> Sequence[SignedMessageRow]:
    """The messages about these cases, by time, kind and id."""
    return session.exec(
        select(SignedMessageRow)
        .where(col(SignedMessageRow.case_id).in_(case_ids))
        .order_by(
            col(SignedMessageRow.create_time),
            col(SignedMessageRow.kind),
            col(SignedMessageRow.message_id),
        )
    ).all()


def of_case(session: Session, case_id: str) -> Sequence[SignedMessageRow]:
    return session.exec(select(SignedMessageRow).where(SignedMessageRow.case_id == case_id)).all()
