"""The hub's gRPC server: mutual TLS, the gate, the services, health and reflection."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from lifeline.hub.v1 import (
    case_service_pb2,
    case_service_pb2_grpc,
    handoff_service_pb2,
    handoff_service_pb2_grpc,
    inbox_service_pb2,
    inbox_service_pb2_grpc,
    party_service_pb2,
    party_service_pb2_grpc,
    rota_service_pb2,
    rota_service_pb2_grpc,
)

from hub.api.auth import MAX_REQUEST_BYTES, Gate
from hub.api.ops import Ops, OpsServer
from hub.api.services.cases import CaseService
from hub.api.services.handoffs import HandoffService
from hub.api.services.inbox import InboxService
from hub.api.services.party import PartyService
from hub.api.services.rota import RotaService
from hub.api.sessions import Sessions
from hub.api.signatures import MessageChecker
from hub.cases import inbox as inbox_use
from hub.cases.unit import Cases
from hub.domain.clock import Clock, SystemClock
from hub.domain.deadlines import DeadlinePolicy
from hub.domain.matching import load_or_create_secret
from hub.domain.page_tokens import PageTokens
from hub.domain.policy import HandoffPolicy
from hub.runtime.metrics import HubMetrics
from hub.runtime.scheduler import DeadlineScheduler, process_name
from hub.store import certs, notifications
from hub.store.db import DEFAULT_URL, Database
from hub.store.inbox import Doorbell
from hub.store.registry import PartyRegistry
from hub.store.revocation import RevocationList
from hub.store.webhooks import WebhookDeliverer, WebhookPolicy
from wire.addresses import parse_address
from wire.signed import Signer

log = logging.getLogger(__name__)

READY = "lifeline hub serving on port "
"""The one line `lifeline serve` prints on stdout once it listens (hub/process.py waits for it)."""

SERVICE_NAMES = tuple(
    module.DESCRIPTOR.services_by_name[name].full_name
    for module, name in (
        (case_service_pb2, "CaseService"),
        (handoff_service_pb2, "HandoffService"),
        (inbox_service_pb2, "InboxService"),
        (party_service_pb2, "PartyService"),
        (rota_service_pb2, "RotaService"),
    )
)


@dataclass
class HubConfig:
    """How to run a hub."""

    certs_dir: Path
    """Directory laid out by `lifeline certs init`: ca.pem, hub.pem, hub.key, crl.pem."""

    listen: str = "127.0.0.1:7443"
    """host:port to listen on; port 0 picks a free port (see Hub.port)."""

    db_url: str = DEFAULT_URL
    """SQLAlchemy URL: a SQLite file by default, or postgresql+psycopg://..."""

    grace_seconds: float = 10.0
    """On shutdown, how long in-flight calls may take to finish."""

    max_connection_age_seconds: float = 300.0
    """Connections are closed after this long, so every party re-handshakes and a
    revoked or expired certificate cannot ride an old connection."""

    max_connection_age_grace_seconds: float = 30.0
    """How long a call may run on a connection past its maximum age."""

    policy: HandoffPolicy = field(default_factory=HandoffPolicy)
    """Which handoffs the hub creates by itself (docs/handoffs.md)."""

    matching_secret: Path | None = None
    """Key for the HMACs that match signals to people; default certs_dir/matching.key,
    created on first start. Keep it with the CA: without it, no signal matches an old case."""

    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    """How long parties have, retries, escalation, follow-ups, retention (docs/deadlines.md)."""

    deadline_sweep_seconds: float = 5.0
    """The safety-net sweep for due deadlines; the scheduler also wakes at each due time."""

    signature_skew_seconds: float = 300.0
    """How far a signed message's issue and expiry times may be off the hub's clock."""

    session_check_seconds: float = 1.0
    """How often open inbox streams are checked for a revoked or expired certificate or a
    party no longer active (hub/api/sessions.py); such a stream ends within this, plus a read."""

    inbox_poll_seconds: float = 2.0
    """How often the inbox watcher reads the marks of connected parties (messages
    written by another hub process on the same database arrive within this)."""

    webhooks: WebhookPolicy = field(default_factory=WebhookPolicy)
    """How parties' webhooks are POSTed to: attempts, backoff, timeout (docs/webhooks.md)."""

    clock: Clock = field(default_factory=SystemClock)
    """Source of time; tests pass one they control."""

    max_calls_in_flight: int = 256
    """Past this many unary calls in flight, calls that may wait (reads, lists, signals
    below HIGH) are refused HUB_OVERLOADED with a delay to retry after; acknowledgements,
    outcomes and HIGH or IMMINENT signals are always taken (hub/domain/admission.py)."""

    ops_listen: str | None = None
    """host:port of the operator's plain-HTTP port (/healthz, /readyz, /metrics; hub/api/ops.py),
    or None for none. Port 0 picks a free port (see Hub.ops_port)."""


class Hub:
    """A running hub. Use `await Hub.start(config)`, then `await hub.stop()`."""

    def __init__(
        self,
        config: HubConfig,
        server: grpc.aio.Server,
        db: Database,
        port: int,
        health_servicer: Any,
        cases: Cases,
        scheduler: DeadlineScheduler,
        sessions: Sessions,
        watchers: list[asyncio.Task[None]],
        webhooks: WebhookDeliverer,
        ops: OpsServer | None,
        gate: Gate,
    ) -> None:
        self.gate = gate
        self.webhooks = webhooks
        self._ops = ops
        self.ops_port = ops.port if ops is not None else None
        """The operator's HTTP port, if the config asked for one."""
        self._watchers = watchers
        self.sessions = sessions
        self.config = config
        self.cases = cases
        self.scheduler = scheduler
        self._stopped = False
        self.server = server
        self.db = db
        self.port = port
        self._health = health_servicer

    @classmethod
    async def start(cls, config: HubConfig) -> Hub:
        listen = parse_address(config.listen)  # a bad one before anything starts
        ca = certs.CertificateAuthority(config.certs_dir)
        ca_pem = ca.path(certs.CA_CERT).read_bytes()
        credentials = grpc.ssl_server_credentials(
            [(ca.path(certs.HUB_KEY).read_bytes(), ca.path(certs.HUB_CERT).read_bytes())],
            root_certificates=ca_pem,
            require_client_auth=True,
        )
        # Bound first: a port another process holds stops the start before anything else.
        ops = OpsServer(config.ops_listen) if config.ops_listen else None
        db = Database(config.db_url)
        await asyncio.to_thread(db.migrate)
        metrics = HubMetrics(process_name())
        db.on_group_commit(metrics.group_size.observe)
        registry = PartyRegistry(db, config.clock)
        trusted = certs.load_cas_file(ca.path(certs.CA_CERT))  # two during a CA rollover
        revocations = RevocationList(ca.path(certs.CRL), trusted)
        gate = Gate(revocations, registry, config.clock, metrics, config.max_calls_in_flight)
        server = grpc.aio.server(
            interceptors=[gate],
            options=[
                ("grpc.max_connection_age_ms", int(config.max_connection_age_seconds * 1000)),
                (
                    "grpc.max_connection_age_grace_ms",
                    int(config.max_connection_age_grace_seconds * 1000),
                ),
                # Above the gate's own limit, so an oversized request reaches the gate
                # and gets a MESSAGE_TOO_LARGE reason instead of a bare status.
                ("grpc.max_receive_message_length", 4 * MAX_REQUEST_BYTES),
                ("grpc.keepalive_time_ms", 60_000),
                # Connectors ping every 30 s to keep idle inbox streams alive through
                # NATs and proxies; allow it, or the hub answers with GOAWAY too_many_pings.
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
                ("grpc.http2.max_ping_strikes", 0),
                # A port another process holds is refused, not silently shared with it.
                ("grpc.so_reuseport", 0),
            ],
        )
        secret = load_or_create_secret(config.matching_secret or config.certs_dir / "matching.key")
        signer = Signer(
            certs.load_private_key(ca.path(certs.HUB_KEY)),
            certs.load_certificate(ca.path(certs.HUB_CERT)),
        )
        checker = MessageChecker(
            trusted,
            config.clock,
            dt.timedelta(seconds=config.signature_skew_seconds),
        )
        cases = Cases(db, config.clock, secret, config.policy, Doorbell(), signer, config.deadlines)
        sessions = Sessions(cases, registry, revocations, config.clock)
        party_service_pb2_grpc.add_PartyServiceServicer_to_server(
            PartyService(registry, sessions, PageTokens.from_secret(secret)), server
        )
        case_service_pb2_grpc.add_CaseServiceServicer_to_server(
            CaseService(cases, checker, db, metrics), server
        )
        handoff_service_pb2_grpc.add_HandoffServiceServicer_to_server(
            HandoffService(cases, checker), server
        )
        inbox_service_pb2_grpc.add_InboxServiceServicer_to_server(
            InboxService(cases, sessions), server
        )
        rota_service_pb2_grpc.add_RotaServiceServicer_to_server(
            RotaService(db, config.clock, PageTokens.from_secret(secret)), server
        )
        health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        reflection.enable_server_reflection(
            (
                *SERVICE_NAMES,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            server,
        )
        try:
            port = server.add_secure_port(str(listen), credentials)
        except RuntimeError:  # grpc's way of saying the bind failed
            port = 0
        if port == 0:
            db.close()
            if ops is not None:
                await ops.stop()
            raise OSError(f"cannot listen on {listen} (is another process on it?)")
        await server.start()
        scheduler = DeadlineScheduler(cases, config.deadline_sweep_seconds, metrics)
        await scheduler.start()
        deliverer = WebhookDeliverer(db, config.clock, config.webhooks)
        deliverer.start()
        watchers = [
            asyncio.create_task(
                cases.doorbell.watch(
                    functools.partial(inbox_use.marks, cases), config.inbox_poll_seconds
                ),
                name="inbox-watcher",
            ),
            asyncio.create_task(
                sessions.watch(cases.doorbell.closed, config.session_check_seconds),
                name="stream-checks",
            ),
        ]
        if not db.is_sqlite:  # other hub processes' writes wake this one's streams at once
            watchers.append(
                asyncio.create_task(
                    notifications.listen(
                        notifications.libpq_url(db.url),
                        {
                            notifications.INBOX: cases.doorbell.ring,
                            notifications.REGISTRY: registry.forget,
                        },
                        cases.doorbell.closed,
                    ),
                    name="notify-listener",
                )
            )
        hub = cls(
            config,
            server,
            db,
            port,
            health_servicer,
            cases,
            scheduler,
            sessions,
            watchers,
            deliverer,
            ops,
            gate,
        )
        if ops is not None:
            await ops.start(Ops(cases, revocations, metrics, hub.background_tasks))
        for name in ("", *SERVICE_NAMES):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("hub listening on %s (port %d), database %s", config.listen, port, db.engine.url)
        if ops is not None:
            log.info("operator's port (/healthz, /readyz, /metrics) on port %d", ops.port)
        return hub

    def background_tasks(self) -> list[asyncio.Task[None]]:
        """What the hub runs besides its calls: the inbox watcher, the stream checks, the
        deadline sweeper, the webhook deliverer. Each runs until the hub stops."""
        tasks = [*self._watchers, self.scheduler.task, self.webhooks.task]
        return [t for t in tasks if t is not None]

    async def stop(self) -> bool:
        """Stops taking calls, lets in-flight ones finish within the grace period; returns
        whether the database was closed within it too (see `serve`)."""
        if self._stopped:
            return True
        self._stopped = True
        began = time.monotonic()
        grace = self.config.grace_seconds
        await self._health.enter_graceful_shutdown()
        # Inbox streams end now; their parties reconnect elsewhere and resume.
        self.cases.doorbell.close()
        self.scheduler.stop()
        # No new calls (GOAWAY); those in flight get the grace period, then end
        # UNAVAILABLE (HUB_SHUTTING_DOWN) through the gate, before the server's own stop
        # would cancel them. The background tasks end beside them: one waiting on a
        # stalled database (a lock, an outage) must not hold up the calls' drain.
        stopping = asyncio.create_task(self.server.stop(grace))
        await asyncio.gather(
            self.gate.drain(max(0.0, grace - 0.5)),
            self.webhooks.stop(),
            self._end_watchers(max(0.0, grace - 0.5)),
        )
        await stopping
        if self._ops is not None:
            await self._ops.stop()
        closed = await _close_within(self.db, max(1.0, grace - (time.monotonic() - began)))
        if not closed:
            log.warning(
                "the database did not finish within the grace period; stopping without it"
                " (what it was writing is rolled back, and its callers were told to send it"
                " again)"
            )
        log.info("hub stopped")
        return closed

    async def _end_watchers(self, seconds: float) -> None:
        """The watchers end when the doorbell closes; one still waiting on the database
        after `seconds` is cancelled. One that died (a bug) stops nothing."""
        if not self._watchers:
            return
        _, waiting = await asyncio.wait(self._watchers, timeout=seconds)
        for watcher in waiting:
            watcher.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)


async def _close_within(db: Database, seconds: float) -> bool:
    """Closes the database, waiting at most `seconds` for the units in flight to end
    (a thread of its own: one blocked on a lock must not keep the event loop's)."""
    closed = threading.Event()

    def close() -> None:
        db.close()
        closed.set()

    threading.Thread(target=close, name="db-close", daemon=True).start()
    return await asyncio.to_thread(closed.wait, seconds)


async def serve(config: HubConfig) -> None:
    """Runs a hub until SIGTERM or SIGINT, then stops it gracefully."""
    hub = await Hub.start(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # One line on stdout that tools (and `lifeline demo`) read to find the port.
    print(f"{READY}{hub.port}", flush=True)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        if not await hub.stop():
            # Threads still waiting on the database would hold the process's exit
            # until it answers; the grace period is over, and the process ends now.
            logging.shutdown()
            sys.stdout.flush()
            os._exit(0)
