"""Running the console: its hub link, its accounts and the web server, together.

`start()` is what `lifeline console`, `lifeline demo --console` and the tests use, so
the console the browser tests drive is the one people run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

from connectors import ConnectorConfig
from console.accounts import Accounts
from console.hub_link import HubLink
from console.pages import ROUTES
from console.web import Console, create_app
from wire.addresses import parse_address


@dataclass
class RunningConsole:
    console: Console
    server: uvicorn.Server
    task: asyncio.Task[None]
    url: str

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.console.link.stop()
        self.console.accounts.close()


async def start(
    hub: ConnectorConfig,
    *,
    listen: str = "127.0.0.1:8080",
    accounts: Accounts,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> RunningConsole:
    """Connects to the hub as the certificate's party and serves the console; returns
    once it is listening (port 0 picks a free port: see `url`)."""
    link = HubLink(hub)
    await link.start()
    console = Console(link=link, accounts=accounts, secure_cookies=tls_cert is not None)
    if now is not None:
        console.now = now
    host, port = parse_address(listen)
    config = uvicorn.Config(
        create_app(console, ROUTES),
        host=host,
        port=port,
        log_level="warning",
        # Sign-in throttling counts the peer's address; never a header a client can forge.
        proxy_headers=False,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        # Browsers keep a live stream open; let a stop end them instead of waiting.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(), name="console-web")
    while not server.started:
        if task.done():
            await link.stop()
            task.result()
            raise RuntimeError("the console's web server did not start")
        await asyncio.sleep(0.01)  # uvicorn offers no started event; poll its flag
    bound = server.servers[0].sockets[0].getsockname()
    scheme = "https" if tls_cert else "http"
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return RunningConsole(console, server, task, f"{scheme}://{shown_host}:{bound[1]}")
