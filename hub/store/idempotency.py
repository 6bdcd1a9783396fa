"""The answers kept for requests that carry a request_id."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from hub.store import db
from hub.store.models import IdempotencyRow

_KEPT = db.table(IdempotencyRow)
_ANSWER = sa.select(_KEPT.c.method, _KEPT.c.request_hash, _KEPT.c.response).where(
    _KEPT.c.party_id == sa.bindparam("party_id"), _KEPT.c.request_id == sa.bindparam("request_id")
)


def answer(session: Session, party_id: str, request_id: str) -> sa.Row[Any] | None:
    """The kept answer (method, request_hash, response) to the party's request of this
    id, if it made one (a plain read: answers are only ever appended)."""
    return db.read(session, _ANSWER, {"party_id": party_id, "request_id": request_id}).first()
