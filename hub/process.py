"""Running `lifeline serve` as a child process, for the demo and for tools that need
a hub of their own: start it, and learn its port from the line it prints."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import IO, Any

from hub.api.server import READY


async def spawn_hub(
    certs: Path,
    db_url: str,
    *options: str,
    stderr: int | IO[Any] = asyncio.subprocess.DEVNULL,
    listen: str = "127.0.0.1:0",
) -> tuple[asyncio.subprocess.Process, int]:
    """Starts a hub (by default on a free port of 127.0.0.1); returns the process and the port."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "hub", "serve", "--certs", str(certs)),
        *("--listen", listen, "--db", db_url, *options),
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
    if not line.startswith(READY):
        await process.wait()
        raise RuntimeError(f"the hub did not start (exit {process.returncode})")
    return process, int(line.removeprefix(READY))
