"""Shift handover: a platform operator signing in reads what changed while they were
away and who is on call, through a real hub, console and Chromium."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from hub.store import rota
from tests.browser import sign_in
from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent

ZONE = "Asia/Shanghai"


def _rota(hub: Any) -> None:
    """duty-desk on call now, duty-night next."""
    now = dt.datetime.now(ZoneInfo(ZONE)).replace(tzinfo=None, second=0, microsecond=0)
    hour = dt.timedelta(hours=1)

    def plan(session: Any) -> None:
        rota.add_shift(session, "duty-desk", now - hour, now + 2 * hour, ZONE)
        rota.add_shift(session, "duty-night", now + 2 * hour, now + 10 * hour, ZONE, "duty-desk")

    hub.db.transaction(plan)


async def test_the_handover_tells_what_changed_since_the_last_shift(
    start_hub: HubFactory, start_console: Any, connect: ClientFactory, certs_dir: Path, browser: Any
) -> None:
    hub = await start_hub(certs_dir)
    _rota(hub)
    console = await start_console(hub, certs_dir, "duty-desk")
    page = await sign_in(browser, console)
    assert page.url.endswith("/handover")
    await expect(page.get_by_text("Your first shift")).to_be_visible()
    await expect(page.locator(".now-shift")).to_contain_text("duty-desk")
    await expect(page.locator(".next-shift")).to_contain_text("duty-night")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/signin")

    # While the operator is away: a case in a covered area, and one nobody serves.
    shop = connect(hub, certs_dir, "shop-1")
    opened = (await shop.report_signal(**imminent("b-away"))).case.case_id
    nowhere = (await shop.report_signal(**imminent("b-nowhere", "310101"))).case.case_id

    await page.close()
    page = await sign_in(browser, console)
    assert page.url.endswith("/handover")
    await expect(page.get_by_text("What changed since your last shift")).to_be_visible()
    await expect(page.locator(".opened")).to_contain_text(opened)
    await expect(page.locator(".opened")).to_contain_text(nowhere)
    await expect(page.locator(".alerts")).to_contain_text("unroutable")
    await expect(page.locator(".alerts")).to_contain_text(nowhere)
    await page.get_by_role("link", name="Go to the board").click()
    await page.wait_for_url(console.url + "/")
    await page.close()


async def test_without_a_rota_the_handover_says_so(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any
) -> None:
    hub = await start_hub(certs_dir)
    console = await start_console(hub, certs_dir, "duty-desk")
    page = await sign_in(browser, console)
    await expect(page.get_by_text("No rota")).to_be_visible()
    await page.close()
