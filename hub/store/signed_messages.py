"""The signed messages kept as evidence."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from hub.store import db
from hub.store.models import SignedMessageRow

_MESSAGES = db.table(SignedMessageRow)
_C = _MESSAGES.c
_OF_HANDOFF = sa.select(_C.message).where(
    _C.handoff_id == sa.bindparam("handoff_id"), _C.kind == sa.bindparam("kind")
)
_SEEN = sa.select(_C.message_id).where(
    _C.issuer == sa.bindparam("issuer"), _C.message_id == sa.bindparam("message_id")
)


def of_handoff(session: Session, handoff_id: str, kind: int) -> bytes:
    """The one message of this kind about the handoff."""
    message: bytes = db.read(session, _OF_HANDOFF, {"handoff_id": handoff_id, "kind": kind}).one()[
        0
    ]
    return message


def seen(session: Session, issuer: str, message_id: str) -> bool:
    """Whether this issuer's message id was received before."""
    found = db.read(session, _SEEN, {"issuer": issuer, "message_id": message_id}).first()
    return found is not None


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
