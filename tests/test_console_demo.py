"""`lifeline demo --console`: the six cases show on the console's board as they play,
in a real browser, and Ctrl-C afterwards leaves nothing running."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from typing import Any

from playwright.async_api import expect

from hub.demo import DEMO_OPERATOR, DEMO_PASSWORD

_CASE_ID = re.compile(r"\[(case-[0-9a-f]{16})\]")

# Collects every case id the board ever shows, however briefly (cases close as they end).
_WATCH_BOARD = """
window.seenCases = new Set();
const look = () => {
  for (const id of document.body.innerHTML.matchAll(/case-[0-9a-f]{16}/g)) {
    window.seenCases.add(id[0]);
  }
};
look();
new MutationObserver(look).observe(document.body, {subtree: true, childList: true});
"""


async def _start_demo(*options: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "demo",
        *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


def _assert_stopped(hub_pid: int) -> None:
    try:
        os.kill(hub_pid, 0)
    except ProcessLookupError:
        return
    raise AssertionError(f"the demo's hub (pid {hub_pid}) is still running")


async def _line(demo: asyncio.subprocess.Process, pattern: str, seen: list[str]) -> re.Match[str]:
    assert demo.stdout is not None
    while True:
        raw = await asyncio.wait_for(demo.stdout.readline(), timeout=240)
        assert raw, "the demo ended early:\n" + "".join(seen)
        seen.append(raw.decode())
        found = re.search(pattern, seen[-1])
        if found:
            return found


async def test_the_demo_plays_on_the_board(browser: Any) -> None:
    demo = await _start_demo("--console", "--console-listen", "127.0.0.1:0")
    output: list[str] = []
    try:
        hub_pid = int((await _line(demo, r"hub running as pid (\d+)", output)).group(1))
        url = (await _line(demo, r"duty console at (http://\S+):", output)).group(1)
        page = await browser.new_page()
        await page.goto(url + "/signin")
        await page.get_by_label("Name").fill(DEMO_OPERATOR)
        await page.get_by_label("Password").fill(DEMO_PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url("**/handover")  # the shift handover, then the board
        await page.get_by_role("link", name="Go to the board").click()
        await expect(page.locator("body[data-stream=on]")).to_have_count(1)
        await page.evaluate(_WATCH_BOARD)
        await _line(demo, r"the console stays up", output)
        played = set(_CASE_ID.findall("".join(output)))
        assert len(played) == 6, "".join(output)
        shown = set(await page.evaluate("[...window.seenCases]"))
        assert played <= shown, f"never on the board: {played - shown}"
        await page.close()
    finally:
        if demo.returncode is None:
            demo.send_signal(signal.SIGINT)
        rest, _ = await asyncio.wait_for(demo.communicate(), timeout=60)
    text = "".join(output) + rest.decode()
    assert "all six cases reached their expected outcome" in text, text
    _assert_stopped(hub_pid)


async def test_sigterm_stops_the_demo_and_removes_its_files() -> None:
    demo = await _start_demo()
    output: list[str] = []
    certs = (await _line(demo, r"certificates in (\S+)/certs", output)).group(1)
    hub_pid = int((await _line(demo, r"hub running as pid (\d+)", output)).group(1))
    demo.send_signal(signal.SIGTERM)
    await asyncio.wait_for(demo.communicate(), timeout=60)
    assert demo.returncode == 143
    assert not os.path.exists(certs), "the demo's temporary directory (dev CA keys) is left"
    _assert_stopped(hub_pid)
