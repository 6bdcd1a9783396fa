"""Group commit: units queued together share a transaction, and one unit's failure
is its own; their inbox mail is written once per group, last (hub/store/group.py)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from collections.abc import AsyncIterator, Callable

import pytest
from lifeline.hub.v1 import inbox_service_pb2
from sqlalchemy import event
from sqlmodel import Session, select

from hub.store import db as store_db
from hub.store import inbox
from hub.store.db import Database
from hub.store.models import PartyRow


class Refused(Exception):
    pass


@contextlib.asynccontextmanager
async def held_writer(db: Database) -> AsyncIterator[None]:
    """Keeps the writer busy with a unit of its own (a party, "shop-first") until the
    block ends, so that every unit queued inside it runs in the next group."""
    writing, release = threading.Event(), threading.Event()

    def hold_the_writer(session: Session) -> None:
        session.add(PartyRow(party_id="shop-first", role="merchant"))
        session.flush()
        writing.set()
        release.wait()

    held = db.write(hold_the_writer)
    try:
        await asyncio.to_thread(writing.wait)
        yield
    finally:
        release.set()
        await held


@pytest.mark.parametrize("refused_first", [False, True], ids=["second-refused", "first-refused"])
async def test_units_queued_together_share_a_commit_and_fail_alone(
    db_url: str, refused_first: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused unit is undone alone: the first of a group with the transaction (which
    then goes on for the others), a later one to its savepoint."""
    # A busy machine must not split the group by its time budget: the commits are counted.
    monkeypatch.setattr(store_db, "GROUP_SECONDS", 60.0)
    db = Database(db_url)
    await asyncio.to_thread(db.migrate)

    def register(party_id: str, *, refuse: bool = False) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            session.add(PartyRow(party_id=party_id, role="merchant"))
            session.flush()  # written, then undone if refused
            if refuse:
                raise Refused(party_id)

        return work

    commits: list[object] = []
    event.listen(db.engine, "commit", commits.append)

    try:
        async with held_writer(db):
            # Queued while the writer is busy: the next group holds all three.
            first = db.write(register("shop-a", refuse=refused_first))
            second = db.write(register("shop-b", refuse=not refused_first))
            last = db.write(register("shop-c"))
        with pytest.raises(Refused):
            await (first if refused_first else second)
        await (second if refused_first else first)
        await last
        assert len(commits) == 2  # the held unit's, then one for the others
        stored = await db.run(lambda s: sorted(s.exec(select(PartyRow.party_id))))
        kept = ["shop-b", "shop-c"] if refused_first else ["shop-a", "shop-c"]
        assert stored == [*kept, "shop-first"]
    finally:
        await asyncio.to_thread(db.close)


async def test_a_groups_mail_is_written_once_per_party_in_the_order_it_was_sent(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Units of one group that mail one desk: the desk's cursor moves once for all of
    them, its messages keep the units' order with consecutive sequences, and a refused
    unit's message is not among them."""
    monkeypatch.setattr(store_db, "GROUP_SECONDS", 60.0)
    db = Database(db_url)
    await asyncio.to_thread(db.migrate)
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)

    def mail(case_id: str, *, refuse: bool = False) -> Callable[[Session], None]:
        def work(session: Session) -> None:
            message = inbox_service_pb2.InboxMessage(case_id=case_id)
            inbox.send(session, inbox.Mail("duty-desk", message, now))
            if refuse:
                raise Refused(case_id)

        return work

    cursor_moves: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE inbox_cursor"):
            cursor_moves.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        async with held_writer(db):
            sent = [db.write(mail(f"case-{i}", refuse=i == 2)) for i in range(5)]
        for i, unit in enumerate(sent):
            if i == 2:
                with pytest.raises(Refused):
                    await unit
            else:
                await unit
        assert len(cursor_moves) == 1
        entries = await db.run(lambda s: inbox.read(s, "duty-desk", 0))
        cases = [inbox_service_pb2.InboxMessage.FromString(e.payload).case_id for e in entries]
        assert cases == ["case-0", "case-1", "case-3", "case-4"]
        assert [e.sequence for e in entries] == [1, 2, 3, 4]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        await asyncio.to_thread(db.close)


async def test_a_row_locked_in_a_group_is_read_once_and_again_after_a_refused_unit(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row a transaction holds locked is the session's object the next time a unit of
    the group asks (a sweep of many deadlines of one case locked the case for each);
    after a unit is refused, what it locked is read and locked again."""
    monkeypatch.setattr(store_db, "GROUP_SECONDS", 60.0)
    db = Database(db_url)
    await asyncio.to_thread(db.migrate)
    await db.write(lambda session: session.add(PartyRow(party_id="police-1", role="police")))
    reads: list[str] = []

    def count(_c: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith("SELECT"):
            reads.append(statement)

    def lock(name: str, *, refuse: bool = False) -> Callable[[Session], int]:
        def work(session: Session) -> int:
            before = len(reads)
            row = store_db.locked(session, PartyRow, "police-1")
            assert row is not None and row is store_db.locked(session, PartyRow, "police-1")
            row.display_name = name
            if refuse:
                raise Refused
            return len(reads) - before

        return work

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        async with held_writer(db):
            first = db.write(lock("first"))
            second = db.write(lock("second"))
            refused = db.write(lock("refused", refuse=True))
            after = db.write(lock("after"))
        answers = await asyncio.gather(first, second, refused, after, return_exceptions=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert answers[:2] == [1, 0] and isinstance(answers[2], Refused) and answers[3] == 1
    stored = await db.run(lambda session: session.get(PartyRow, "police-1"))
    assert stored is not None and stored.display_name == "after"
    db.close()
