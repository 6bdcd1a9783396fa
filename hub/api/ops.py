"""The operator's port: plain HTTP for Prometheus, load balancers and orchestrators,
which hold no party certificate (`lifeline serve --ops-listen HOST:PORT`, off by default).

    GET /healthz   200 while the process serves (liveness)
    GET /readyz    200 when the database answers and takes writes, its schema is this
                   hub's, the CRL is loaded and the background tasks run; else 503,
                   naming what is wrong
    GET /metrics   Prometheus text format (hub/runtime/metrics.py)

It tells nothing about any case or party: counts only. Bind it where only operators
reach it (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from hub.cases.unit import Cases
from hub.domain.errors import HubError
from hub.runtime.metrics import HubMetrics
from hub.store import census, db
from hub.store.revocation import RevocationList
from wire.addresses import parse_address


@dataclass
class Ops:
    cases: Cases
    revocations: RevocationList
    metrics: HubMetrics
    background: Callable[[], list[asyncio.Task[None]]]
    """The hub's background tasks: one that stopped makes the replica unready."""

    async def problems(self) -> dict[str, str | None]:
        """Each readiness check: None if it passed, else why not."""
        self.revocations.refresh()  # the file as it is now, not as the last call saw it
        checks: dict[str, str | None] = {"crl": self.revocations.problem}
        stopped = [t.get_name() for t in self.background() if t.done()]
        checks["background"] = f"stopped: {', '.join(stopped)}" if stopped else None
        try:
            checks["schema"] = await self.cases.db.run(db.schema_problem)
            checks["database"] = None
        except HubError as e:
            checks["database"] = f"{e.message} ({e.__cause__ or e.reason})"
            checks["schema"] = "unknown: the database cannot be read"
            checks["writes"] = "unknown: the database cannot be read"
            return checks
        try:
            await self.cases.db.check_writes()
            checks["writes"] = None
        except HubError as e:
            checks["writes"] = f"{e.message} ({_first_line(e.__cause__) or e.reason})"
        return checks

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(self, request: Request) -> Response:
        checks = await self.problems()
        ready = not any(checks.values())
        return JSONResponse(
            {"ready": ready, "checks": {k: v or "ok" for k, v in checks.items()}},
            status_code=200 if ready else 503,
        )

    async def metrics_page(self, request: Request) -> Response:
        try:
            counted = await self.cases.db.run(census.count)
        except HubError:
            pass  # the counters still answer; the database's gauges keep their last values
        else:
            self.metrics.take_census(counted, self.cases.clock.now())
        return Response(self.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/healthz", self.healthz),
                Route("/readyz", self.readyz),
                Route("/metrics", self.metrics_page),
            ]
        )


def _first_line(error: BaseException | None) -> str:
    return str(error).splitlines()[0] if error is not None else ""


class OpsServer:
    """The operator's port, served on the hub's event loop."""

    def __init__(self, listen: str) -> None:
        address = parse_address(listen)
        # Bound at once, without SO_REUSEPORT: a port another process holds stops the
        # hub's start, rather than being shared with it.
        try:
            self._socket = socket.create_server(
                (address.host, address.port),
                family=socket.AF_INET6 if ":" in address.host else socket.AF_INET,
            )
        except OSError as e:
            why = os.strerror(e.errno) if e.errno else str(e)
            raise OSError(f"cannot listen on {address} for the operator's port ({why})") from e
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, ops: Ops) -> None:
        config = uvicorn.Config(ops.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve([self._socket]), name="ops-http")
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the operator's port did not start")
            await asyncio.sleep(0.01)  # uvicorn offers no started event; poll its flag

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._socket.close()
