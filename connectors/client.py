"""HubClient: the generated stubs over one mutual-TLS channel, with typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from lifeline.hub.v1 import (
    case_service_pb2_grpc,
    handoff_service_pb2_grpc,
    inbox_service_pb2,
    inbox_service_pb2_grpc,
    party_pb2,
    party_service_pb2,
    party_service_pb2_grpc,
)

from connectors.channel import secure_channel
from connectors.config import ConnectorConfig
from connectors.errors import from_rpc_error


class _Guarded:
    """A stub whose unary calls raise typed LifelineErrors instead of grpc.RpcError."""

    def __init__(self, stub: object) -> None:
        self._stub = stub

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._stub, name)

        async def call(request: Any, **kwargs: Any) -> Any:
            try:
                return await method(request, **kwargs)
            except grpc.RpcError as e:
                raise from_rpc_error(e) from None

        return call


class HubClient:
    """One party's connection to the hub. Use as ``async with HubClient(config) as hub:``."""

    def __init__(self, config: ConnectorConfig) -> None:
        self.config = config
        self.channel = secure_channel(config)
        self.cases = _Guarded(case_service_pb2_grpc.CaseServiceStub(self.channel))
        self.handoffs = _Guarded(handoff_service_pb2_grpc.HandoffServiceStub(self.channel))
        self._inbox_stub = inbox_service_pb2_grpc.InboxServiceStub(self.channel)
        self.inbox = _Guarded(self._inbox_stub)
        self.parties = _Guarded(party_service_pb2_grpc.PartyServiceStub(self.channel))
        self._health = _Guarded(health_pb2_grpc.HealthStub(self.channel))

    async def subscribe(
        self, after_sequence: int = 0
    ) -> AsyncIterator[inbox_service_pb2.InboxMessage]:
        """This party's inbox from a cursor (0: after the last acknowledged), then live."""
        call = self._inbox_stub.SubscribeInbox(
            inbox_service_pb2.SubscribeInboxRequest(after_sequence=after_sequence)
        )
        try:
            async for response in call:
                yield response.message
        except grpc.RpcError as e:
            raise from_rpc_error(e) from None
        finally:
            call.cancel()

    async def acknowledge_inbox(self, through_sequence: int) -> int:
        """Marks every message up to through_sequence received; returns the hub's mark."""
        response = await self.inbox.AcknowledgeInbox(
            inbox_service_pb2.AcknowledgeInboxRequest(through_sequence=through_sequence)
        )
        return int(response.acknowledged_sequence)

    async def whoami(self) -> party_pb2.Party:
        """The party the hub sees behind this connector's certificate."""
        response = await self.parties.GetCurrentParty(party_service_pb2.GetCurrentPartyRequest())
        return response.party

    async def serving(self, timeout: float = 5.0) -> bool:
        response = await self._health.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)

    async def close(self) -> None:
        await self.channel.close(None)

    async def __aenter__(self) -> HubClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
