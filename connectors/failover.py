"""A channel over several hub addresses (replicas): every unary call that cannot reach
the current one moves on to the next and is sent there.

The generated stubs take any object with `unary_unary`/`unary_stream`, so they are
built once on this channel and keep working across a move. A call is sent again on the
next address only when sending it twice cannot do a thing twice: a read (its request
has no `request_id`) or a mutation that names its `request_id` (the hub answers a
repeat from its record). A mutation without one moves the channel on for the next call
and reports the failure, since it may have been carried out (docs/errors.md). Inbox
streams use the current address; `HubClient.work()` moves on itself when its stream
breaks.

A call an overloaded hub refused for now (HUB_OVERLOADED, with a google.rpc.RetryInfo
delay) is sent again after that delay, growing with jitter, up to OVERLOAD_ATTEMPTS
times: nothing was done with it, so any call may be.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from connectors.errors import HandshakeError, HubUnavailableError
from wire import reasons

OVERLOAD_ATTEMPTS = 12
MAX_OVERLOAD_DELAY = 10.0
RETIRE_GRACE = 5.0
"""How long calls still on a channel moved away from may take before it is closed (closing
at once would cancel them: a health check in flight would end CancelledError)."""


def _unreachable(error: Exception) -> bool:
    """The address did not answer (no reply from a hub, which would carry a reason), or
    its hub stopped before answering."""
    return (
        isinstance(error, HubUnavailableError)
        and not isinstance(error, HandshakeError)
        and error.reason in ("", reasons.HUB_SHUTTING_DOWN)
    )


def _overload_delay(error: Exception, attempt: int) -> float | None:
    """How long to wait before sending again a call an overloaded hub refused, or None."""
    if getattr(error, "reason", "") != reasons.HUB_OVERLOADED or attempt >= OVERLOAD_ATTEMPTS:
        return None
    asked = getattr(error, "retry_after", None) or 1.0
    return float(min(MAX_OVERLOAD_DELAY, asked * 1.5**attempt) * random.uniform(0.8, 1.2))


def _repeatable(request: Any) -> bool:
    fields = request.DESCRIPTOR.fields_by_name
    return "request_id" not in fields or bool(request.request_id)


class FailoverChannel:
    def __init__(self, addresses: Sequence[str], connect: Callable[[str], grpc.aio.Channel]):
        self._addresses = list(addresses)
        self._connect = connect
        self._index = 0
        self.current = connect(self._addresses[0])
        # Channels moved away from: closed once no stream can still be reading them
        # (closing one under a live stream would cancel it).
        self._retired: list[grpc.aio.Channel] = []

    @property
    def address(self) -> str:
        return self._addresses[self._index % len(self._addresses)]

    def move_on(self, stale: grpc.aio.Channel | None = None) -> None:
        """Connects to the next address (or again to the only one). With `stale`, only if
        the channel is still that one: calls that failed together move it once."""
        if stale is not None and stale is not self.current:
            return
        self._retired.append(self.current)
        self._index += 1
        self.current = self._connect(self.address)

    async def close_retired(self) -> None:
        """Closes the channels moved away from (when no stream reads them any more), once
        the calls still on them have ended (they fail by themselves: their hub is gone)."""
        retired, self._retired = self._retired, []
        for channel in retired:
            await channel.close(RETIRE_GRACE)

    async def close(self, grace: float | None = None) -> None:
        await self.close_retired()
        await self.current.close(grace)

    def unary_unary(
        self,
        method: str,
        request_serializer: Callable[[Any], bytes] | None = None,
        response_deserializer: Callable[[bytes], Any] | None = None,
        **kwargs: Any,
    ) -> Callable[..., Any]:
        async def call(request: Any, **options: Any) -> Any:
            tries = len(self._addresses)
            overloaded = 0
            while True:
                channel = self.current
                send = channel.unary_unary(
                    method, request_serializer, response_deserializer, **kwargs
                )
                try:
                    return await send(request, **options)
                except Exception as e:
                    delay = _overload_delay(e, overloaded)
                    if delay is not None:
                        overloaded += 1
                        await asyncio.sleep(delay)  # the hub asked for it: RetryInfo
                        continue
                    tries -= 1
                    if not _unreachable(e):
                        raise
                    self.move_on(channel)
                    if tries == 0 or not _repeatable(request):
                        raise

        return call

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        # Resolved at each call, on the channel current then.
        return lambda request, **options: self.current.unary_stream(method, *args, **kwargs)(
            request, **options
        )

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        return lambda requests=None, **options: self.current.stream_stream(method, *args, **kwargs)(
            requests, **options
        )
