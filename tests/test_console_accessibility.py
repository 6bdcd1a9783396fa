"""The console's pages pass an axe-core audit (WCAG 2 A/AA rules) in Chromium, with
cases, alerts and handoffs on them, and the board can be worked from the keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser import CONSOLE_PASSWORD
from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent

AXE = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"


async def _audit(page: Any) -> list[str]:
    """Serious and critical axe violations on the page, as readable lines."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
async def audited(browser: Any) -> Any:
    """A browser context that lets the audit script in past the console's CSP."""
    context = await browser.new_context(bypass_csp=True)
    yield context
    await context.close()


async def _sign_in(context: Any, url: str, name: str = "Li Wei") -> Any:
    page = await context.new_page()
    await page.goto(url + "/signin")
    assert await _audit(page) == []
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(lambda u: "/signin" not in u)
    return page


async def test_the_duty_desks_pages_pass_an_accessibility_audit(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, connect: ClientFactory, audited: Any
) -> None:
    hub = await start_hub(certs_dir)
    await connect(hub, certs_dir, "police-110105").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    reported = await shop.report_signal(**imminent("buyer-a11y"))
    console = await start_console(hub, certs_dir, "duty-desk")
    page = await _sign_in(audited, console.url)
    for path in ("/", f"/cases/{reported.case.case_id}", "/handover"):
        await page.goto(console.url + path)
        assert await _audit(page) == [], path


async def test_the_board_works_from_the_keyboard(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, connect: ClientFactory, audited: Any
) -> None:
    hub = await start_hub(certs_dir)
    await connect(hub, certs_dir, "police-110105").whoami()
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-keys"))
    console = await start_console(hub, certs_dir, "duty-desk")
    page = await _sign_in(audited, console.url)
    await page.goto(console.url + "/")
    # Tab to the banner's Take button for the new case and press Enter.
    label = f"Take case {reported.case.case_id}"
    take = page.get_by_role("button", name=label)
    for _ in range(40):
        await page.keyboard.press("Tab")
        # Read in one step in the page: a live refresh may redraw the button between
        # resolving a locator and comparing it with the focus.
        if await page.evaluate("() => document.activeElement.getAttribute('aria-label')") == label:
            break
    else:
        raise AssertionError("the Take button cannot be reached with Tab")
    await page.keyboard.press("Enter")
    await expect(take).to_have_count(0)
