"""Paging people out of band: inbox messages that need a person now, POSTed to a webhook.

A party in the directory may have a webhook (its SMS or phone gateway) and a secret.
New work that must wake someone (a DISPATCH or DUTY_ALERT handoff awaiting
acknowledgement, and every CASE_UPDATE) is then also POSTed there. The inbox stream
stays the source of truth; the webhook only gets a person to look at it.

- Durable: :func:`enqueue` writes a delivery row in the transaction that writes the
  inbox message, so a crash loses no page. The row points at the inbox message; the
  body is made from it when sent, so it carries exactly what the party's stream
  carries, narrowed by the disclosure policy, and retention leaves no copy here.
- :class:`WebhookDeliverer` (started with the hub) POSTs due deliveries, signed with
  HMAC-SHA256 over the timestamp and the body (docs/webhooks.md), and retries a
  failure with exponential backoff and jitter on the hub's clock, up to
  ``WebhookPolicy.attempts``; then the delivery is failed, and logged once.
- Each attempt is a row of the delivery log (`lifeline webhooks log`).
- A party's deliveries go one at a time, in order, and a bounded number of parties
  at once: a dead gateway holds up its own party's pages only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from google.protobuf import json_format
from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2
from sqlmodel import Session, col, select

from hub.domain.clock import Clock
from hub.domain.errors import HubError, log_round_failed
from hub.domain.limits import WEBHOOK_SECRET, WEBHOOK_URL
from hub.domain.timestamps import as_utc
from hub.store import db
from hub.store.db import Database
from hub.store.models import (
    WEBHOOK_ERROR_WIDTH,
    InboxRow,
    PartyRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Lifeline-Signature"
TIMESTAMP_HEADER = "X-Lifeline-Timestamp"
DELIVERY_HEADER = "X-Lifeline-Delivery"
EVENT_HEADER = "X-Lifeline-Event"

DISPATCH = "dispatch"
DUTY_ALERT = "duty_alert"
CASE_UPDATE = "case_update"

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"

_PARTIES = db.table(PartyRow)
_WEBHOOK_URL = sa.select(_PARTIES.c.webhook_url).where(
    _PARTIES.c.party_id == sa.bindparam("party_id")
)
_PAGED_KINDS = {
    handoff_pb2.HANDOFF_KIND_DISPATCH: DISPATCH,
    handoff_pb2.HANDOFF_KIND_DUTY_ALERT: DUTY_ALERT,
}
# A handoff that still waits for its assignee: new, or sent again because unanswered.
# Later changes (acknowledged, completed, cancelled) are for the stream only.
_AWAITING = {handoff_pb2.Handoff.STATE_PENDING, handoff_pb2.Handoff.STATE_DELIVERED}
MIN_SECRET = 16
# Deliveries claimed by one look: the rest wait for the next.
BATCH = 100


def event_of(message: inbox_service_pb2.InboxMessage) -> str | None:
    """The webhook event an inbox message is, or None if it pages nobody."""
    payload = message.WhichOneof("payload")
    if payload == "case_update":
        return CASE_UPDATE
    if payload == "handoff" and message.handoff.state in _AWAITING:
        return _PAGED_KINDS.get(message.handoff.kind)
    return None


def check_url(url: str) -> str | None:
    """Why a webhook URL is unusable, or None. The URL itself is not repeated: it may
    carry a gateway's token."""
    parts = urlsplit(url)
    if (
        len(url) > WEBHOOK_URL.max_length
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in url)
        or not url.isprintable()
    ):
        return f"must be an http(s) URL of at most {WEBHOOK_URL.max_length} characters"
    return None


def check_secret(secret: str) -> str | None:
    """Why a webhook secret is unusable, or None; never says what the secret is."""
    if not MIN_SECRET <= len(secret) <= WEBHOOK_SECRET.max_length or not secret.isprintable():
        return (
            f"must be {MIN_SECRET} to {WEBHOOK_SECRET.max_length} printable characters"
            " (e.g. from `openssl rand -hex 32`)"
        )
    return None


def enqueue(
    session: Session,
    party_id: str,
    messages: list[inbox_service_pb2.InboxMessage],
    now: dt.datetime,
) -> None:
    """Writes a delivery for each of these just-posted inbox messages that pages the
    party, if it has a webhook, in the caller's transaction."""
    paged = [(m, event) for m in messages if (event := event_of(m)) is not None]
    if not paged:
        return
    if not db.read(session, _WEBHOOK_URL, {"party_id": party_id}).scalar():
        return
    db.append(
        session,
        WebhookDeliveryRow,
        [
            {
                "delivery_id": f"whk-{uuid.uuid4().hex[:16]}",
                "party_id": party_id,
                "sequence": message.sequence,
                "case_id": message.case_id,
                "event": event,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_time": now,
                "create_time": now,
                "finish_time": None,
            }
            for message, event in paged
        ],
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of "<timestamp>." followed by the body."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body(delivery: WebhookDeliveryRow, attempt: int, message: bytes) -> bytes:
    """The JSON body: what the party's stream carries, and which delivery this is."""
    inbox_message = inbox_service_pb2.InboxMessage.FromString(message)
    document = {
        "delivery_id": delivery.delivery_id,
        "event": delivery.event,
        "party_id": delivery.party_id,
        "attempt": attempt,
        "message": json_format.MessageToDict(inbox_message),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class WebhookPolicy:
    """How the hub POSTs to webhooks (docs/webhooks.md)."""

    attempts: int = 8
    """POSTs of one delivery before it is given up as failed."""
    first_retry_seconds: float = 10.0
    """The wait before the second attempt; each later wait doubles, with jitter."""
    max_retry_seconds: float = 900.0
    timeout_seconds: float = 10.0
    """For one POST, connecting and answering."""
    concurrency: int = 16
    """Parties whose webhooks are being POSTed to at once."""
    poll_seconds: float = 1.0
    """How often the deliverer looks for due deliveries."""

    def retry_delay(self, failures: int, rng: random.Random) -> dt.timedelta:
        """Exponential, with half of it random, so gateways that came back are not
        hit by every hub's retries at the same instant."""
        full = min(self.max_retry_seconds, self.first_retry_seconds * 2 ** (failures - 1))
        return dt.timedelta(seconds=full / 2 + rng.uniform(0, full / 2))

    @property
    def lease(self) -> dt.timedelta:
        """How long a claimed delivery is left to its sender before another may take it
        (its process may have died in the middle)."""
        return dt.timedelta(seconds=self.timeout_seconds + 60)


@dataclass(frozen=True)
class _Send:
    """A claimed delivery, with what it takes to send it."""

    delivery: WebhookDeliveryRow
    url: str
    secret: str
    message: bytes | None
    """The inbox message, or None if retention erased it or the webhook is gone."""


@dataclass
class WebhookDeliverer:
    database: Database
    clock: Clock
    policy: WebhookPolicy = field(default_factory=WebhookPolicy)
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=self.policy.timeout_seconds, follow_redirects=False
        )
        self._slots = asyncio.Semaphore(self.policy.concurrency)
        self._busy: dict[str, asyncio.Task[int]] = {}
        self._claiming = asyncio.Lock()
        self._loop: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name="webhook-deliverer")

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The deliverer's loop, once started."""
        return self._loop

    async def stop(self) -> None:
        """Stops looking and sending; a POST cut short is sent again after its lease."""
        self._stopping.set()
        tasks = [t for t in (self._loop, *self._busy.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._start_due()
            except Exception as e:  # never the end of deliveries: the next look tries again
                log_round_failed(log, "looking for due webhook deliveries", e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.policy.poll_seconds)

    async def deliver_due(self) -> int:
        """Sends every delivery due now and waits for all sends under way; returns how
        many POSTs were made (the tests' handle, like the scheduler's sweep())."""
        await self._start_due()
        results = await asyncio.gather(*self._busy.values())
        return sum(results)

    async def _start_due(self) -> None:
        # One claimer at a time: a test's deliver_due() then also waits for the sends
        # the background look claimed.
        async with self._claiming:
            busy = set(self._busy)
            claimed = await self.database.write(lambda s: self._claim(s, busy))
            for party_id, sends in claimed.items():
                task = asyncio.create_task(self._send_all(sends))
                self._busy[party_id] = task
                task.add_done_callback(functools.partial(self._done, party_id))

    def _done(self, party_id: str, _task: asyncio.Task[int]) -> None:
        self._busy.pop(party_id, None)

    def _claim(self, session: Session, busy: set[str]) -> dict[str, list[_Send]]:
        """Takes the due deliveries of parties not being sent to, by moving their next
        attempt past a lease; another hub process skips them meanwhile."""
        now = self.clock.now()
        rows = session.exec(
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.state == PENDING,
                col(WebhookDeliveryRow.next_attempt_time) <= now,
                col(WebhookDeliveryRow.party_id).not_in(busy),
            )
            .order_by(col(WebhookDeliveryRow.party_id), col(WebhookDeliveryRow.sequence))
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        claimed: dict[str, list[_Send]] = {}
        for row in rows:
            row.next_attempt_time = now + self.policy.lease
            session.add(row)
            party = session.get(PartyRow, row.party_id)
            inbox_row = session.get(InboxRow, (row.party_id, row.sequence))
            url = party.webhook_url if party is not None else ""
            secret = party.webhook_secret if party is not None else ""
            message = inbox_row.payload if inbox_row is not None and url else None
            claimed.setdefault(row.party_id, []).append(_Send(row, url, secret, message))
        return claimed

    async def _send_all(self, sends: list[_Send]) -> int:
        async with self._slots:
            for send in sends:
                try:
                    await self._send(send)
                except HubError as e:
                    # The attempt could not be recorded: the lease runs out and it is sent again.
                    log.warning(
                        "recording webhook delivery %s failed: %s",
                        send.delivery.delivery_id,
                        e.message,
                    )
        return len(sends)

    async def _send(self, send: _Send) -> None:
        delivery = send.delivery
        attempt = delivery.attempts + 1
        status: int | None = None
        if send.message is None:
            error = "nothing to send: the party's webhook was removed, or retention erased it"
        else:
            content = body(delivery, attempt, send.message)
            stamp = str(int(self.clock.now().timestamp()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(send.secret, stamp, content),
                DELIVERY_HEADER: delivery.delivery_id,
                EVENT_HEADER: delivery.event,
            }
            try:
                response = await self._client.post(send.url, content=content, headers=headers)
                status, error = response.status_code, ""
            except httpx.HTTPError as e:
                error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        final = await self.database.write(
            lambda s: self._record(s, delivery.delivery_id, attempt, status, error, send)
        )
        if final == FAILED:
            log.warning(
                "webhook delivery %s (%s for %s, case %s) failed after %d attempt(s): %s",
                delivery.delivery_id,
                delivery.event,
                delivery.party_id,
                delivery.case_id,
                attempt,
                error or f"HTTP {status}",
            )

    def _record(
        self,
        session: Session,
        delivery_id: str,
        attempt: int,
        status: int | None,
        error: str,
        send: _Send,
    ) -> str:
        """Logs the attempt and settles the delivery: delivered, failed, or due again."""
        now = self.clock.now()
        db.append(
            session,
            WebhookAttemptRow,
            {
                "delivery_id": delivery_id,
                "attempt": attempt,
                "time": now,
                "status_code": status,
                "error": error[:WEBHOOK_ERROR_WIDTH],
            },
        )
        row = session.get(WebhookDeliveryRow, delivery_id, with_for_update=True)
        assert row is not None
        row.attempts = attempt
        if status is not None and 200 <= status < 300:
            row.state, row.finish_time = DELIVERED, now
        elif send.message is None or attempt >= self.policy.attempts:
            row.state, row.finish_time = FAILED, now
        else:
            row.next_attempt_time = now + self.policy.retry_delay(attempt, self.rng)
        session.add(row)
        return row.state


def log_lines(session: Session, party_id: str | None, limit: int) -> Iterator[str]:
    """The delivery log, newest delivery last: each delivery, then its attempts."""
    query = select(WebhookDeliveryRow)
    if party_id:
        query = query.where(WebhookDeliveryRow.party_id == party_id)
    query = query.order_by(
        col(WebhookDeliveryRow.create_time).desc(), col(WebhookDeliveryRow.delivery_id)
    )
    deliveries = list(reversed(session.exec(query.limit(limit)).all()))
    attempts: dict[str, list[WebhookAttemptRow]] = {}
    ids = [d.delivery_id for d in deliveries]
    for i in range(0, len(ids), 500):  # within SQLite's limit on bound variables
        for attempt in session.exec(
            select(WebhookAttemptRow)
            .where(col(WebhookAttemptRow.delivery_id).in_(ids[i : i + 500]))
            .order_by(col(WebhookAttemptRow.attempt))
        ):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    for d in deliveries:
        state = d.state if d.state != PENDING else f"pending, next try {_time(d.next_attempt_time)}"
        yield (
            f"{d.delivery_id} {d.event} for {d.party_id}, case {d.case_id},"
            f" inbox #{d.sequence}: {state} ({d.attempts} attempt(s))"
        )
        for a in attempts.get(d.delivery_id, []):
            result = f"HTTP {a.status_code}" if a.status_code is not None else a.error
            yield f"  {_time(a.time)}  attempt {a.attempt}: {result}"


def _time(when: dt.datetime) -> str:
    return as_utc(when).strftime("%Y-%m-%d %H:%M:%S UTC")
