"""Helpers for the console's browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
CONSOLE_PASSWORD = "correct horse battery"


async def sign_in(browser: Any, console: Any, name: str = "Li Wei", then: str = "") -> Any:
    """A new browser page, signed in to the console as `name` (where sign-in lands: the
    platform's shift handover, a desk's work), then at the path `then` if one is given."""
    page = await browser.new_page()
    await page.goto(console.url + "/signin")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(lambda url: "/signin" not in url)
    if then:
        await page.goto(console.url + then)
    return page
