"""Cross-replica wake-ups on PostgreSQL: LISTEN/NOTIFY.

A unit that writes to parties' inboxes also sends `NOTIFY lifeline_inbox` with their
ids, in its own transaction: PostgreSQL delivers it at the commit, and only if it
commits (save, then notify). Every hub process listens on a connection of its own and
rings the streams of the parties named, so a DISPATCH written through one replica
reaches a desk streaming from another at once, not at the inbox watcher's next look
(which stays, as the safety net, and is all SQLite has).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

log = logging.getLogger(__name__)

CHANNEL = "lifeline_inbox"
_NOTIFY = sa.text(f"SELECT pg_notify('{CHANNEL}', :parties)")
_MAX_PAYLOAD = 7000  # PostgreSQL's limit is 8000 bytes


def notify(session: Session, party_ids: Iterable[str]) -> None:
    """Tells every hub process, at this transaction's commit, whose inbox got mail."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    batch: list[str] = []
    for party_id in sorted(party_ids):
        if batch and sum(len(p) + 1 for p in batch) + len(party_id) > _MAX_PAYLOAD:
            connection.execute(_NOTIFY, {"parties": ",".join(batch)})
            batch = []
        batch.append(party_id)
    if batch:
        connection.execute(_NOTIFY, {"parties": ",".join(batch)})


def libpq_url(sqlalchemy_url: str) -> str:
    """The database URL as libpq takes it (no SQLAlchemy driver name)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def listen(
    url: str, ring: Callable[[list[str]], None], closed: asyncio.Event, retry_seconds: float = 1.0
) -> None:
    """Rings the parties each notification names, until `closed`. A lost connection (the
    database restarting) is opened again; meanwhile the inbox watcher's looks cover."""
    while not closed.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                log.info("listening for other hub processes' inbox writes")
                notifies = conn.notifies()
                while not closed.is_set():
                    arrival = asyncio.ensure_future(anext(notifies))
                    closing = asyncio.ensure_future(closed.wait())
                    done, _ = await asyncio.wait(
                        {arrival, closing}, return_when=asyncio.FIRST_COMPLETED
                    )
                    closing.cancel()
                    if arrival not in done:
                        arrival.cancel()
                        return
                    ring(arrival.result().payload.split(","))
        except Exception as e:  # never the end of wake-ups: connect again
            if closed.is_set():
                return
            log.warning("listening for inbox writes failed (%s); again shortly", e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), retry_seconds)
