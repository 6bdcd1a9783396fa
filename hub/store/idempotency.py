"""The answers kept for requests that carry a request_id."""

from __future__ import annotations

from sqlmodel import Session

from hub.store.models import IdempotencyRow


def answer(session: Session, party_id: str, request_id: str) -> IdempotencyRow | None:
    """The kept answer to the party's request of this id, if it made one."""
    return session.get(IdempotencyRow, (party_id, request_id))
