"""Caps on what one party may ask of the hub, so that no party can flood it.

A real report names a handful of orders and parcels, and a shop reports the same
person a few times an hour at most; these caps sit far above that and far below
what would let one party tie up the hub for everyone else (docs/errors.md,
LIMIT_EXCEEDED). The hub's own chase (retries, escalations) is never capped: a
crisis is not dropped because a case is busy.
"""

from __future__ import annotations

import datetime as dt

from lifeline.hub.v1 import case_pb2

from hub.domain.errors import HubError
from wire import reasons

MAX_ORDERS_PER_SIGNAL = 5
MAX_PARCELS_PER_SIGNAL = 5
MAX_HANDOFFS_PER_CASE = 100
"""Handoffs a case may have, counting those the policy creates and CreateHandoff's;
past it the policy stops and tells the duty desk, and CreateHandoff is refused."""
MAX_SIGNALS_PER_CASE_PER_HOUR = 30
"""Signals one reporter may add to one case in SIGNAL_WINDOW."""
SIGNAL_WINDOW = dt.timedelta(hours=1)


def exceeded(message: str, field: str, limit: int) -> HubError:
    return HubError(
        reasons.LIMIT_EXCEEDED,
        message,
        {"field": field, "limit": str(limit)},
    )


def check_signal_size(signal: case_pb2.Signal) -> None:
    for name, cap in (("orders", MAX_ORDERS_PER_SIGNAL), ("parcels", MAX_PARCELS_PER_SIGNAL)):
        count = len(getattr(signal, name))
        if count > cap:
            raise exceeded(
                f"a signal names at most {cap} {name}; this one {count}", f"signal.{name}", cap
            )


def check_signal_rate(recent_from_reporter: int) -> None:
    """Refuses a signal when its reporter already sent the cap to this case in the window."""
    if recent_from_reporter >= MAX_SIGNALS_PER_CASE_PER_HOUR:
        raise exceeded(
            f"at most {MAX_SIGNALS_PER_CASE_PER_HOUR} signals an hour from one reporter"
            " about one person; add to the case with a note instead",
            "signal",
            MAX_SIGNALS_PER_CASE_PER_HOUR,
        )


def handoffs_left(existing: int) -> int:
    return max(0, MAX_HANDOFFS_PER_CASE - existing)


def check_handoffs(existing: int) -> None:
    if not handoffs_left(existing):
        raise exceeded(
            f"the case already has {existing} handoffs, the most one case may have",
            "case_id",
            MAX_HANDOFFS_PER_CASE,
        )
