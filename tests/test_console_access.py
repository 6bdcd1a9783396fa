"""Who may use the console: accounts, sessions, CSRF and throttled sign-in, through a
real console on port 0 (httpx for the refusals, Chromium for people)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import expect

from console.web import CSRF_FIELD, SESSION_COOKIE
from tests.browser import CONSOLE_PASSWORD, sign_in
from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent


async def _hub_and_console(start_hub: HubFactory, start_console: Any, certs_dir: Path) -> Any:
    hub = await start_hub(certs_dir)
    return hub, await start_console(hub, certs_dir, "duty-desk")


async def _session(client: httpx.AsyncClient, name: str = "Li Wei") -> None:
    form = await client.get("/signin")
    token = form.cookies.get("lifeline_sign_in_csrf") or client.cookies["lifeline_sign_in_csrf"]
    response = await client.post(
        "/signin", data={"name": name, "password": CONSOLE_PASSWORD, CSRF_FIELD: token}
    )
    assert response.status_code == 303, response.text
    assert SESSION_COOKIE in client.cookies


async def test_pages_need_a_session(
    start_hub: HubFactory, start_console: Any, certs_dir: Path
) -> None:
    _, console = await _hub_and_console(start_hub, start_console, certs_dir)
    async with httpx.AsyncClient(base_url=console.url) as client:
        page = await client.get("/")
        assert page.status_code == 303 and page.headers["location"].startswith("/signin")
        assert (await client.get("/events")).status_code == 401
        refused = await client.post("/signout", data={})
        assert refused.status_code == 303 and refused.headers["location"].startswith("/signin")


async def test_session_cookie_is_httponly_and_strict(
    start_hub: HubFactory, start_console: Any, certs_dir: Path
) -> None:
    _, console = await _hub_and_console(start_hub, start_console, certs_dir)
    async with httpx.AsyncClient(base_url=console.url) as client:
        form = await client.get("/signin")
        token = client.cookies["lifeline_sign_in_csrf"]
        response = await client.post(
            "/signin", data={"name": "Li Wei", "password": CONSOLE_PASSWORD, CSRF_FIELD: token}
        )
        cookie = next(
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith(SESSION_COOKIE)
        )
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "default-src 'self'" in form.headers["content-security-policy"]


async def test_a_form_without_the_csrf_token_is_refused(
    start_hub: HubFactory, start_console: Any, certs_dir: Path
) -> None:
    _, console = await _hub_and_console(start_hub, start_console, certs_dir)
    async with httpx.AsyncClient(base_url=console.url) as client:
        await _session(client)
        refused = await client.post("/signout", data={})
        assert refused.status_code == 403
        wrong = await client.post("/signout", data={CSRF_FIELD: "not-the-token"})
        assert wrong.status_code == 403
        assert (await client.get("/")).status_code == 200  # still signed in
        # Signing in has its own token too: a forged sign-in form is refused.
        forged = await client.post("/signin", data={"name": "Li Wei", "password": CONSOLE_PASSWORD})
        assert forged.status_code == 403


async def test_wrong_passwords_are_throttled(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any
) -> None:
    _, console = await _hub_and_console(start_hub, start_console, certs_dir)
    page = await browser.new_page()
    await page.goto(console.url + "/signin")
    for _ in range(5):
        await page.get_by_label("Name").fill("Li Wei")
        await page.get_by_label("Password").fill("not the password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_have_text("Wrong name or password.")
    # Now even the right password waits: guessing cannot go on at speed.
    await page.get_by_label("Name").fill("Li Wei")
    await page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    assert "/signin" in page.url
    await page.close()


async def test_signing_in_and_out(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any
) -> None:
    _, console = await _hub_and_console(start_hub, start_console, certs_dir)
    page = await sign_in(browser, console)
    await expect(page.get_by_text("Li Wei", exact=True)).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/signin")
    await page.goto(console.url + "/")
    await page.wait_for_url("**/signin?next=%2F")
    await page.close()


async def test_a_new_case_appears_on_the_board_without_reloading(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any, connect: ClientFactory
) -> None:
    hub, console = await _hub_and_console(start_hub, start_console, certs_dir)
    page = await sign_in(browser, console)
    await page.goto(console.url + "/")  # the platform lands on the shift handover
    await expect(page.locator("body[data-stream=on]")).to_have_count(1)
    shop = connect(hub, certs_dir, "shop-1")
    reported = await shop.report_signal(**imminent("buyer-live"))
    board = page.get_by_role("table")
    await expect(board.get_by_role("link", name=reported.case.case_id)).to_be_visible(timeout=5000)
    await page.close()


async def test_restarting_the_console_loses_nothing(
    start_hub: HubFactory,
    start_console: Any,
    certs_dir: Path,
    browser: Any,
    connect: ClientFactory,
    tmp_path: Path,
) -> None:
    hub = await start_hub(certs_dir)
    accounts_db = tmp_path / "accounts.db"
    first = await start_console(hub, certs_dir, "duty-desk", accounts_db=accounts_db)
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-restart"))
    page = await sign_in(browser, first)
    await expect(page.get_by_text(reported.case.case_id).first).to_be_visible()
    await first.stop()
    # A new process with the same accounts: the operator is still signed in, and the
    # case is still on the board, because the hub is the record.
    second = await start_console(hub, certs_dir, "duty-desk", accounts_db=accounts_db)
    await page.goto(second.url + "/")
    assert "/signin" not in page.url
    await expect(page.get_by_text(reported.case.case_id).first).to_be_visible()
    await page.close()


async def test_a_hub_that_is_down_is_said_not_crashed(
    start_hub: HubFactory, start_console: Any, certs_dir: Path
) -> None:
    hub, console = await _hub_and_console(start_hub, start_console, certs_dir)
    async with httpx.AsyncClient(base_url=console.url) as client:
        await _session(client)
        await hub.stop()
        page = await client.get("/")
        assert page.status_code == 503
        assert "The hub cannot be reached" in page.text and "Traceback" not in page.text


async def test_an_open_board_says_when_the_hub_goes_away_and_comes_back(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any, connect: ClientFactory
) -> None:
    hub, console = await _hub_and_console(start_hub, start_console, certs_dir)
    page = await sign_in(browser, console, then="/")
    stale = page.get_by_text("The hub cannot be reached")
    await expect(stale).to_be_hidden()
    port = hub.port
    await hub.stop()
    await expect(stale).to_be_visible(timeout=15_000)
    await start_hub(certs_dir, listen=f"127.0.0.1:{port}")
    await expect(stale).to_be_hidden(timeout=15_000)
    await page.close()


async def test_when_the_session_ends_an_open_page_goes_to_sign_in_and_back(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any, connect: ClientFactory
) -> None:
    hub, console = await _hub_and_console(start_hub, start_console, certs_dir)
    page = await sign_in(browser, console, then="/")
    await expect(page.locator("body[data-stream=on]")).to_have_count(1)
    cookie = next(c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE)
    console.console.accounts.sign_out(cookie["value"])  # as an idle hour would end it
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-late"))
    await page.wait_for_url("**/signin?next=%2F")
    await page.get_by_label("Name").fill("Li Wei")
    await page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(console.url + "/")
    await expect(page.get_by_role("table")).to_be_visible()
    await page.close()


async def test_a_live_refresh_keeps_the_keyboard_focus(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any, connect: ClientFactory
) -> None:
    hub, console = await _hub_and_console(start_hub, start_console, certs_dir)
    shop = connect(hub, certs_dir, "shop-1")
    first = (await shop.report_signal(**imminent("buyer-first"))).case.case_id
    page = await sign_in(browser, console, then="/")
    take = page.get_by_role("button", name=f"Take case {first}")
    await take.focus()
    await shop.report_signal(**imminent("buyer-second"))
    await expect(page.get_by_role("row")).to_have_count(3)
    # A web-first assertion: the locator is resolved again on each try, since a further
    # refresh may redraw the region between resolving a button and reading the focus.
    await expect(take).to_be_focused()
    await page.close()
