"""Cross-replica wake-ups on PostgreSQL: LISTEN/NOTIFY.

A unit that writes to parties' inboxes also sends `NOTIFY lifeline_inbox` with their
ids, in its own transaction: PostgreSQL delivers it at the commit, and only if it
commits (save, then notify). Every hub process listens on a connection of its own and
rings the streams of the parties named, so a DISPATCH written through one replica
reaches a desk streaming from another at once, not at the inbox watcher's next look
(which stays, as the safety net, and is all SQLite has). A change to a party's registry
row (registered, deactivated, revoked, imported) sends `NOTIFY lifeline_registry`, and
every process forgets what it cached of those parties, so the change holds on every
replica at once rather than when the cache expires.
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

INBOX = "lifeline_inbox"
REGISTRY = "lifeline_registry"
_NOTIFY = sa.text("SELECT pg_notify(:channel, :parties)")
_MAX_PAYLOAD = 7000  # PostgreSQL's limit is 8000 bytes


def notify(session: Session, party_ids: Iterable[str], channel: str = INBOX) -> None:
    """Tells every hub process, at this transaction's commit, which parties' inboxes got
    mail (INBOX) or which parties' registry rows changed (REGISTRY)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    batch: list[str] = []
    size = 0
    for party_id in sorted(party_ids):
        if batch and size + len(party_id) > _MAX_PAYLOAD:
            connection.execute(_NOTIFY, {"channel": channel, "parties": ",".join(batch)})
            batch, size = [], 0
        batch.append(party_id)
        size += len(party_id) + 1
    if batch:
        connection.execute(_NOTIFY, {"channel": channel, "parties": ",".join(batch)})


def libpq_url(sqlalchemy_url: str) -> str:
    """The database URL as libpq takes it (no SQLAlchemy driver name)."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def listen(
    url: str,
    handlers: dict[str, Callable[[list[str]], None]],
    closed: asyncio.Event,
    retry_seconds: float = 1.0,
) -> None:
    """Hands the parties each notification names to its channel's handler, until
    `closed`. A lost connection (the database restarting) is opened again; meanwhile the
    inbox watcher's looks and the registry cache's expiry cover."""
    while not closed.is_set():
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                for channel in handlers:
                    await conn.execute(f"LISTEN {channel}")
                log.info("listening for other hub processes' writes (%s)", ", ".join(handlers))
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
                    notice = arrival.result()
                    handlers[notice.channel](notice.payload.split(","))
        except Exception as e:  # never the end of wake-ups: connect again
            if closed.is_set():
                return
            log.warning("listening for other hub processes' writes failed (%s); again shortly", e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), retry_seconds)
