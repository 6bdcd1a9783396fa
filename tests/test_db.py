"""Group commit: units queued together share a transaction, and one unit's failure
is its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from hub.store import db as store_db
from hub.store.db import Database
from hub.store.models import PartyRow


class Refused(Exception):
    pass


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
    writing, release = threading.Event(), threading.Event()

    def hold_the_writer(session: Session) -> None:
        session.add(PartyRow(party_id="shop-first", role="merchant"))
        session.flush()
        writing.set()
        release.wait()

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
        held = db.write(hold_the_writer)
        await asyncio.to_thread(writing.wait)
        # Queued while the writer is busy: the next group holds all three.
        first = db.write(register("shop-a", refuse=refused_first))
        second = db.write(register("shop-b", refuse=not refused_first))
        last = db.write(register("shop-c"))
        release.set()
        await held
        with pytest.raises(Refused):
            await (first if refused_first else second)
        await (second if refused_first else first)
        await last
        assert len(commits) == 2  # the held unit's, then one for the others
        stored = await db.run(lambda s: sorted(s.exec(select(PartyRow.party_id))))
        kept = ["shop-b", "shop-c"] if refused_first else ["shop-a", "shop-c"]
        assert stored == [*kept, "shop-first"]
    finally:
        release.set()
        await asyncio.to_thread(db.close)
