"""Writes a transaction makes once, last, from what each of its units queued.

The writer commits units in groups (hub/store/db.py). A row that many units of a group
change, such as a party's inbox cursor (every signal's notice moves the duty desk's),
is then changed once per group, by the last statements before the commit: one
statement per recipient instead of one per unit, and the row is locked for the commit
alone, not from the first unit's change until the group's end, which on PostgreSQL
kept another replica's writer waiting behind this one's whole group. Taking such locks
last, in one order, also means two replicas' groups cannot deadlock on them.

A unit queues with :meth:`Last.queue`; what a unit queued is dropped with it if it
fails (rolled back to its savepoint), and written by :meth:`GroupSession.write_queued`
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlmodel import Session

X = TypeVar("X")


class Last(Generic[X]):
    """A kind of write made once per transaction, last, with every item its units queued
    (in the order they were queued)."""

    def __init__(self, write: Callable[[Session, list[X]], None]) -> None:
        self._write = write

    def queue(self, session: Session, item: X) -> None:
        if not isinstance(session, GroupSession):
            raise TypeError("only the hub's own sessions (Database.write, .transaction) queue")
        session.queued.append((self, item))

    def write(self, session: Session, items: list[X]) -> None:
        self._write(session, items)


class GroupSession(Session):
    """The session of one transaction of the hub's: its units' queued last writes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queued: list[tuple[Last[Any], Any]] = []
        self.locked: dict[tuple[type[Any], str], Any] = {}
        """The rows this transaction holds locked, by (model, key), as the session's
        objects (hub/store/db.py's locked): asked for again, they need no statement.
        Held here too because the session's identity map keeps an unchanged object
        only as long as something else does."""

    def mark(self) -> int:
        """Where the queue stands before a unit runs (see drop_since)."""
        return len(self.queued)

    def drop_since(self, mark: int) -> None:
        """Forgets what a unit that failed had queued, and which rows are locked: its
        savepoint's rollback released the locks it took and expired what it changed."""
        del self.queued[mark:]
        self.locked.clear()

    def write_queued(self) -> None:
        """Makes each kind of last write once, with all its items; called just before
        the commit."""
        kinds: dict[Last[Any], list[Any]] = {}
        for last, item in self.queued:
            kinds.setdefault(last, []).append(item)
        self.queued.clear()
        for last, items in kinds.items():
            last.write(self, items)
