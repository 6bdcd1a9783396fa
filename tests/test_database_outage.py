"""Two hubs on one PostgreSQL database, which goes away for a while and comes back: the
hubs' background work (the inbox watcher that finds what the other hub wrote, the
stream checks, the deadline sweep) outlives the outage, and work written through one
hub afterwards still reaches a desk streaming from the other (issue 15: once, a
six-second outage stopped a replica's watcher for good)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2

from hub.api.server import Hub
from hub.store import inbox
from tests.conftest import ClientFactory, DatabaseFactory, HubFactory
from tests.flows import imminent

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
# The hubs look often, so the outage spans many of their looks.
FAST = {"inbox_poll_seconds": 0.1, "session_check_seconds": 0.1, "deadline_sweep_seconds": 0.2}


class _Seen(logging.Handler):
    """Wakes a waiter when a log line containing some text is written."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self._loop.call_soon_threadsafe(self.event.set)


async def _acknowledged(hub: Hub, party_id: str) -> None:
    """Returns once the party has acknowledged every message of its inbox."""
    while True:
        marks = await hub.cases.db.run(lambda s: inbox.cursor_of(s, party_id))
        if marks.acknowledged_sequence == marks.last_sequence > 0:
            return
        await asyncio.sleep(0.01)  # a state the desk reaches, not a guess at time


async def test_work_written_through_one_hub_reaches_the_other_after_a_database_outage(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    new_database: DatabaseFactory,
) -> None:
    database = new_database("outage")
    writer = await start_hub(certs_dir, database.url, **FAST)
    streamer = await start_hub(certs_dir, database.url, **FAST)
    police = connect(streamer, certs_dir, "police-110105")
    await police.whoami()
    dispatched: asyncio.Queue[str] = asyncio.Queue()

    async def on_message(message: inbox_service_pb2.InboxMessage) -> None:
        if message.handoff.kind == DISPATCH:
            dispatched.put_nowait(message.handoff.case_id)

    stop = asyncio.Event()
    desk = asyncio.create_task(police.work(on_message, stop=stop, max_backoff=0.2))
    shop = connect(writer, certs_dir, "shop-1")
    before = (await shop.report_signal(**imminent("buyer-before"))).case.case_id
    assert await asyncio.wait_for(dispatched.get(), 30) == before
    # The desk's acknowledgement is stored before the outage: one refused by it would
    # send the desk away, and with no stream open the watcher has nothing to look for.
    await asyncio.wait_for(_acknowledged(streamer, "police-110105"), 30)

    failed = _Seen("reading inbox marks failed")
    logging.getLogger("hub").addHandler(failed)
    try:
        database.close()  # the database goes away
        # The streaming hub's watcher has met the outage.
        await asyncio.wait_for(failed.event.wait(), 30)
    finally:
        logging.getLogger("hub").removeHandler(failed)
        database.open()  # and comes back

    # Written through the other hub once the database is back: the streaming hub's
    # watcher, still running, finds it and wakes the desk's stream.
    async def report_after() -> str:
        while True:
            try:
                return (await shop.report_signal(**imminent("buyer-after"))).case.case_id
            except Exception:  # the writer's pool may still hold a dead connection
                await asyncio.sleep(0.1)

    after = await asyncio.wait_for(report_after(), 30)
    got = await asyncio.wait_for(dispatched.get(), 30)
    while got != after:
        got = await asyncio.wait_for(dispatched.get(), 30)
    for task in streamer.background_tasks():
        assert not task.done(), f"{task.get_name()} stopped"
    stop.set()
    await asyncio.wait_for(desk, 30)
