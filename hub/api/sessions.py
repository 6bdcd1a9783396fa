"""Open inbox streams, ended as soon as their party may no longer take part.

The gate checks a call when it starts, but an inbox stream is one call that
lasts until the connection age. So one watcher per hub process looks again
every second or so, at a cost that does not grow with the database: the CRL
file's stamp, the certificate expiry of each open stream (in memory), and the
registry state of the connected parties (one query). A stream whose
certificate was revoked or has expired, or whose party is no longer ACTIVE,
ends with the refusal the gate would give a new call.

A revocation found in ``crl.pem`` also marks the parties REVOKED in the
registry, and a party marked REVOKED or DEACTIVATED has its open work handed
on along the escalation chain (CaseEngine.reroute_from): routing never picks it
again, and nothing it held waits for a desk that is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from cryptography import x509

from hub.cases import escalation
from hub.cases.unit import Cases
from hub.domain.clock import Clock
from hub.domain.errors import HubError, log_round_failed
from hub.store import revocation
from hub.store.models import PartyRow
from hub.store.registry import ACTIVE, PartyRegistry, refusal
from hub.store.revocation import RevocationList

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Stream:
    """One open inbox stream: whose, on which certificate, and why it must end, if so."""

    party_id: str
    serial: int
    not_after: dt.datetime
    bell: asyncio.Event
    """The stream's doorbell: ringing it wakes the stream to notice it has ended."""
    ended: HubError | None = None

    def end(self, why: HubError) -> None:
        if self.ended is None:
            self.ended = why
            self.bell.set()

    def check(self) -> None:
        """Raises the refusal the stream ends with, once it has ended."""
        if self.ended is not None:
            raise self.ended


class Sessions:
    def __init__(
        self,
        cases: Cases,
        registry: PartyRegistry,
        revocations: RevocationList,
        clock: Clock,
    ) -> None:
        self._cases = cases
        self._registry = registry
        self._revocations = revocations
        self._clock = clock
        self._streams: set[Stream] = set()
        # The revocation list whose parties are marked REVOKED; None: not yet done.
        self._applied: frozenset[int] | None = None

    @contextlib.contextmanager
    def open(
        self, party_id: str, certificate: x509.Certificate, bell: asyncio.Event
    ) -> Iterator[Stream]:
        stream = Stream(party_id, certificate.serial_number, certificate.not_valid_after_utc, bell)
        self._streams.add(stream)
        try:
            yield stream
        finally:
            self._streams.discard(stream)

    async def deactivate(self, party_id: str, reason: str) -> PartyRow:
        """Deactivates a party: its streams end and its open work is handed on, now."""
        row = await self._registry.deactivate(party_id, reason)
        for stream in self._streams:
            if stream.party_id == party_id:
                stream.end(refusal(party_id, row.state, format(stream.serial, "x")))
        why = f"{party_id} was deactivated" + (f" ({reason})" if reason else "")
        _cut_off(
            party_id,
            "deactivation",
            reason,
            await escalation.reroute_from(self._cases, party_id, why),
        )
        return row

    async def watch(self, closed: asyncio.Event, interval: float) -> None:
        """Runs check() every `interval` seconds until `closed` is set."""
        while not closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), interval)
            if closed.is_set():
                return
            try:
                await self.check()
            except Exception as e:
                # The database may be briefly away; the next look tries again.
                log_round_failed(log, "checking the open inbox streams", e)

    async def check(self) -> None:
        """Ends the streams that must end; applies a changed revocation list to the registry."""
        self._revocations.refresh()
        revoked = self._revocations.revoked
        now = self._clock.now()
        for stream in self._streams:
            if stream.serial in revoked:
                stream.end(revocation.revoked(stream.party_id, format(stream.serial, "x")))
            elif stream.not_after <= now:
                stream.end(revocation.expired())
        if revoked is not self._applied:
            # Streams first, then the work: a desk must not see its work handed on.
            for party_id in await self._registry.mark_revoked(revoked):
                why = f"{party_id}'s certificate was revoked"
                handed_on = await escalation.reroute_from(self._cases, party_id, why)
                _cut_off(party_id, "revocation", why, handed_on)
            self._applied = revoked
        live = [s for s in self._streams if s.ended is None]
        if not live:
            return
        states = await self._registry.states(sorted({s.party_id for s in live}))
        for stream in live:
            state = states.get(stream.party_id, ACTIVE)
            if state != ACTIVE:
                stream.end(refusal(stream.party_id, state, format(stream.serial, "x")))


def _cut_off(party_id: str, event: str, reason: str, handed_on: int) -> None:
    """One line per party cut off (the process that marked it logs it, no other)."""
    log.warning(
        "party %s cut off; %d open handoff(s) handed on",
        party_id,
        handed_on,
        extra={"event": event, "party_id": party_id, "reason": reason, "handed_on": handed_on},
    )
