"""A fair share of the hub for every party: one party's burst queues behind its own work.

Every call a party makes waits in that party's own line until one of its few turns is
free; the turns of all parties then meet at the database writer, which takes units
from one party after another (hub/store/db.py). So six shops sending as fast as they can
hold at most a few units each in front of a police desk's acknowledgement, however
many calls they have open, and the acknowledgement is answered in a fraction of a
second (bench/flood.py measures it).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

TURNS_PER_PARTY = 2
"""Calls of one party running at once; the rest wait in its line. Two keep a desk's
acknowledgement and its next report from waiting on each other."""


_party: contextvars.ContextVar[str] = contextvars.ContextVar("lifeline_fair_share_party")


def current_party() -> str:
    """Whose turn the running code serves; "" for the hub's own work (deadlines)."""
    return _party.get("")


@dataclass
class _Line:
    turns: asyncio.Semaphore
    waiting: int = field(default=0)


class FairShare:
    def __init__(self, turns_per_party: int = TURNS_PER_PARTY) -> None:
        self._turns = turns_per_party
        self._lines: dict[str, _Line] = {}

    @contextlib.asynccontextmanager
    async def turn(self, party_id: str) -> AsyncIterator[None]:
        """Holds one of the party's turns for the duration of a call."""
        line = self._lines.get(party_id)
        if line is None:
            line = self._lines[party_id] = _Line(asyncio.Semaphore(self._turns))
        line.waiting += 1
        try:
            async with line.turns:
                token = _party.set(party_id)
                try:
                    yield
                finally:
                    _party.reset(token)
        finally:
            line.waiting -= 1
            if not line.waiting:
                # A party with nothing in flight costs nothing: 10,000 idle desks, no lines.
                del self._lines[party_id]
