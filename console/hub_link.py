"""The console's one connection to the hub, as the party whose certificate it holds.

It is a partner like any other: the connector SDK over mutual TLS. Its inbox is the
console's heartbeat: every message (a new case event, a handoff, a case update)
bumps `version` and wakes every browser's live stream, which then re-reads what it
shows from the hub. Nothing about cases is kept here beyond that counter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc
from lifeline.hub.v1 import inbox_service_pb2, party_pb2

from connectors import ConnectorConfig, HubClient
from connectors.duty_desk import DutyDeskConnector
from connectors.party import PartyConnector
from wire.errors import LifelineError

log = logging.getLogger(__name__)
HEALTH_CHECK_SECONDS = 3.0


class HubLink:
    def __init__(self, config: ConnectorConfig) -> None:
        self.hub = HubClient(config)
        self.party = party_pb2.Party()
        self.version = 0
        self._changed = asyncio.Condition()
        self._stop = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._health: asyncio.Task[None] | None = None
        self.reachable = True
        """Whether the hub answered its last health check; pages say so when it did not."""

    @property
    def is_platform(self) -> bool:
        return self.party.role == party_pb2.ROLE_PLATFORM

    @property
    def desk(self) -> PartyConnector:
        """The party's verbs (acknowledge, decline, progress, outcome, evidence)."""
        return DutyDeskConnector(self.hub) if self.is_platform else PartyConnector(self.hub)

    @property
    def duty_desk(self) -> DutyDeskConnector:
        """The platform's verbs; only a platform console offers them."""
        if not self.is_platform:
            raise PermissionError("only the platform's console works cases")
        return DutyDeskConnector(self.hub)

    async def start(self) -> None:
        self.party = await self.hub.whoami()
        self._worker = asyncio.create_task(self._follow_inbox(), name="console-inbox")
        self._health = asyncio.create_task(self._watch_health(), name="console-hub-health")

    async def _watch_health(self, every: float = HEALTH_CHECK_SECONDS) -> None:
        """Asks the hub how it is every few seconds; a change either way wakes the pages,
        so an operator learns the board went stale when it did, not at the next click."""
        while not self._stop.is_set():
            reachable = await self._reachable(timeout=every)
            if reachable != self.reachable:
                self.reachable = reachable
                log.warning("the hub is %s", "reachable again" if reachable else "unreachable")
                await self.changed()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=every)

    def missed(self) -> None:
        """A page could not reach the hub (its browser now says the page is stale): the
        next health check that reaches it tells the pages, even if the last one before
        had reached it too, so no page stays stale after the hub is back."""
        self.reachable = False

    async def _reachable(self, timeout: float) -> bool:
        try:
            return await self.hub.serving(timeout=timeout)
        except (LifelineError, grpc.RpcError):
            return False

    async def _follow_inbox(self) -> None:
        try:
            await self.hub.work(self._on_message, stop=self._stop)
        except Exception:
            # A bad signature ends work(); the board still reads the hub, only late.
            log.exception("the console stopped following its inbox")

    async def _on_message(self, message: inbox_service_pb2.InboxMessage) -> None:
        await self.changed()

    async def changed(self) -> None:
        """Something the browsers show may have changed (a message, an operator's action)."""
        async with self._changed:
            self.version += 1
            self._changed.notify_all()

    async def wait_change(self, seen: int) -> int:
        """Returns the version once it is past `seen`."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.version > seen or self._stop.is_set())
            return self.version

    async def stop(self) -> None:
        self._stop.set()
        async with self._changed:
            self._changed.notify_all()
        if self._health is not None:
            self._health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._health
        if self._worker is not None:
            # work() ends by itself once told to stop (acknowledging what it handled);
            # cancelling it mid-read would tear its stream down twice.
            done, _ = await asyncio.wait({self._worker}, timeout=5)
            if not done:
                self._worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._worker
        await self.hub.close()
