"""The README's police desk: it takes each new DISPATCH, sends officers, reports back.

The part between the README markers is copied verbatim into README.md; a test
checks the copy and runs this code through redeliveries and a hub crash.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2

from connectors.desk import DeskConnector

H = handoff_pb2.Handoff


# README: begin
def dispatch_handler(
    desk: DeskConnector, send_officers: Callable[[handoff_pb2.Handoff], Awaitable[None]]
) -> Callable[[inbox_service_pb2.InboxMessage], Awaitable[None]]:
    async def handle(message: inbox_service_pb2.InboxMessage) -> None:
        # Each inbox message, verified, in order, at least once: after a reconnect the
        # same DISPATCH can come again, so all of this may run twice, doing no harm.
        handoff = message.handoff
        if handoff.kind != handoff_pb2.HANDOFF_KIND_DISPATCH or handoff.state not in (
            H.STATE_PENDING,
            H.STATE_DELIVERED,
        ):
            return  # news of a dispatch already taken on (acknowledged, completed, ...)
        taken = await desk.acknowledge(handoff.handoff_id)  # address now disclosed
        await send_officers(taken)  # your dispatch system, keyed by taken.handoff_id
        await desk.found_safe(taken.handoff_id, "reached the flat")

    return handle


# README: end
