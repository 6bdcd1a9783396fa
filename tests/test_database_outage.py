"""Two hubs on one PostgreSQL database, which goes away for a while and comes back: the
hubs' background work (the inbox watcher that finds what the other hub wrote, the
stream checks, the deadline sweep) outlives the outage, and work written through one
hub afterwards still reaches a desk streaming from the other (issue 15: once, a
six-second outage stopped a replica's watcher for good)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2

from hub.store.inbox import Doorbell
from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
_TERMINATE = sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d")
# The hubs look often, so the outage spans many of their looks.
FAST = {"inbox_poll_seconds": 0.1, "session_check_seconds": 0.1, "deadline_sweep_seconds": 0.2}


@pytest.fixture
def own_database(postgres_server: str) -> Iterator[tuple[str, sa.Engine]]:
    """A database of its own, which the test may close to connections."""
    name = f"outage_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.make_url(postgres_server).set(database=name).render_as_string(False), admin
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


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


async def test_work_written_through_one_hub_reaches_the_other_after_a_database_outage(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    own_database: tuple[str, sa.Engine],
) -> None:
    url, admin = own_database
    name = sa.make_url(url).database
    writer = await start_hub(certs_dir, url, **FAST)
    streamer = await start_hub(certs_dir, url, **FAST)
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

    failed = _Seen("reading inbox marks failed")
    logging.getLogger("hub").addHandler(failed)
    try:
        with admin.connect() as conn:  # the database goes away
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(_TERMINATE, {"d": name})
        # The streaming hub's watcher has met the outage.
        await asyncio.wait_for(failed.event.wait(), 30)
    finally:
        logging.getLogger("hub").removeHandler(failed)
        with admin.connect() as conn:  # and comes back
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

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


async def test_the_inbox_watcher_outlives_an_error_nobody_mapped() -> None:
    # Fault injection without a database: the first look fails as no driver error
    # table foresaw; the watcher logs it and looks again.
    doorbell = Doorbell()
    rung = doorbell.register("police-110105")
    looks = 0

    async def read_marks(party_ids: list[str]) -> dict[str, int]:
        nonlocal looks
        looks += 1
        if looks == 1:
            raise RuntimeError("the connection pool broke in a new way")
        return dict.fromkeys(party_ids, 7)

    watcher = asyncio.create_task(doorbell.watch(read_marks, 0.01))
    await asyncio.wait_for(doorbell.wait(rung), 10)
    assert looks >= 2 and not watcher.done()
    doorbell.close()
    await asyncio.wait_for(watcher, 10)
