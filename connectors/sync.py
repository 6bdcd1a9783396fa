"""A small blocking wrapper, for partner systems that are not asyncio.

    with SyncHubClient(ConnectorConfig.from_env()) as hub:
        hub.report_signal(signal)

Each call runs on a private event loop in a background thread and returns its
result (or raises the same typed LifelineError the async client would).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from types import TracebackType
from typing import Any, TypeVar

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    party_pb2,
)

from connectors.client import HubClient
from connectors.config import ConnectorConfig

T = TypeVar("T")


class SyncHubClient:
    def __init__(self, config: ConnectorConfig, timeout: float = 30.0) -> None:
        self._timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="lifeline-sync", daemon=True
        )
        self._thread.start()
        self.client: HubClient = self._run(self._make(config))

    @staticmethod
    async def _make(config: ConnectorConfig) -> HubClient:
        return HubClient(config)

    def _run(self, awaitable: Awaitable[T]) -> T:
        async def call() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(self._timeout)

    def whoami(self) -> party_pb2.Party:
        return self._run(self.client.whoami())

    def report_signal(
        self, signal: case_pb2.Signal, request_id: str = ""
    ) -> case_service_pb2.ReportSignalResponse:
        return self._run(self.client.report_signal(signal, request_id))

    def acknowledge_handoff(
        self, handoff_id: str, request_id: str = ""
    ) -> handoff_service_pb2.AcknowledgeHandoffResponse:
        return self._run(self.client.acknowledge_handoff(handoff_id, request_id))

    def decline_handoff(
        self, handoff_id: str, reason: str, request_id: str = ""
    ) -> handoff_service_pb2.DeclineHandoffResponse:
        return self._run(self.client.decline_handoff(handoff_id, reason, request_id))

    def complete_handoff(
        self, handoff_id: str, outcome: handoff_pb2.Outcome, request_id: str = ""
    ) -> handoff_service_pb2.CompleteHandoffResponse:
        return self._run(self.client.complete_handoff(handoff_id, outcome, request_id))

    def list_handoffs(self, **filters: Any) -> list[handoff_pb2.Handoff]:
        request = handoff_service_pb2.ListHandoffsRequest(**filters)
        return list(self._run(self.client.handoffs.ListHandoffs(request)).handoffs)

    def close(self) -> None:
        self._run(self.client.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> SyncHubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
