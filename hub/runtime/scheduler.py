"""The scheduler that wakes the hub for its deadlines.

Deadlines are rows in the database, the source of truth (hub/store/models.py,
DeadlineRow). APScheduler (3.x, AsyncIOScheduler, in memory, never a shared job
store) only wakes this process at the next due time, with a periodic sweep as a
safety net. A due row is claimed under a lock (PostgreSQL: FOR UPDATE SKIP
LOCKED; SQLite: BEGIN IMMEDIATE and a conditional update) and its effect is
written in the same transaction (hub/cases/chase.py, fire_due), so however many
hub processes share the database, each deadline fires once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from hub.cases import chase
from hub.cases.unit import Cases
from hub.domain.errors import log_round_failed
from hub.runtime.metrics import HubMetrics

log = logging.getLogger(__name__)


def process_name() -> str:
    """Who fired a deadline, for the record: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class DeadlineScheduler:
    """Wakes the hub when the next deadline is due, and sweeps now and then.

    APScheduler's jobs only ring a bell; one sweeper task answers it. A job that
    did the sweep itself could be skipped while the previous run was still going
    (max_instances), and a wake-up would be lost.
    """

    def __init__(
        self, cases: Cases, sweep_seconds: float = 5.0, metrics: HubMetrics | None = None
    ) -> None:
        self._cases = cases
        self._metrics = metrics
        self._sweep_seconds = sweep_seconds
        self._scheduler = AsyncIOScheduler(timezone=dt.UTC)
        self._lock = asyncio.Lock()
        self._bell = asyncio.Event()
        self._next_wake: dt.datetime | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.fired = 0
        self.caught_up = asyncio.Event()
        """Set once the first sweep after start has fired everything overdue."""

    async def start(self) -> None:
        # Overdue deadlines (the hub was down) fire at once, and once, in the sweeper's
        # first sweep: the hub serves meanwhile, however long the backlog.
        self._scheduler.start()
        self._scheduler.add_job(
            self._ring,
            "interval",
            seconds=self._sweep_seconds,
            id="sweep",
            coalesce=True,
            misfire_grace_time=None,
        )
        self._cases.on_deadline = self.wake_by
        self._sweeper = asyncio.create_task(self._sweep_when_rung(), name="deadline-sweeper")
        # The first sweep: the backlog, then the wake-up for the next deadline.
        self._bell.set()

    async def _ring(self) -> None:
        self._bell.set()

    async def _sweep_when_rung(self) -> None:
        while True:
            await self._bell.wait()
            self._bell.clear()
            try:
                await self.sweep()
            except Exception as e:
                # The next ring tries again; the rows are still there.
                log_round_failed(log, "sweeping deadlines", e)
            else:
                self.caught_up.set()

    def wake_by(self, due: dt.datetime) -> None:
        """A deadline was written for `due`; make sure the hub wakes for it."""
        if self._next_wake is not None and self._next_wake <= due:
            return
        self._next_wake = due
        self._scheduler.add_job(
            self._ring,
            DateTrigger(run_date=due),
            id="wake",
            replace_existing=True,
            misfire_grace_time=None,
        )

    async def sweep(self) -> int:
        """Fires everything due; returns how many fired."""
        async with self._lock:
            self._next_wake = None
            fired = 0
            while late := await chase.fire_due(self._cases, process_name()):
                fired += len(late)
                if self._metrics is not None:
                    self._metrics.observe_lateness(late)
            self.fired += fired
            upcoming = await chase.next_deadline(self._cases)
            if upcoming is not None and self._scheduler.running:
                self.wake_by(upcoming)
            return fired

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The sweeper, once started."""
        return self._sweeper

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
