"""The desk view a police station or a shop works from: its own work, live, through a
real hub, a real console and Chromium."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import handoff_pb2, handoff_service_pb2, party_pb2
from playwright.async_api import expect

from connectors.duty_desk import DutyDeskConnector
from tests.browser import sign_in
from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent

H = handoff_pb2.Handoff
DOCS = Path(__file__).resolve().parent.parent / "docs"


def _screenshot(tmp_path: Path, name: str) -> Path:
    """docs/ when asked for (LIFELINE_SCREENSHOTS=1), else out of the way."""
    return (DOCS if os.environ.get("LIFELINE_SCREENSHOTS") == "1" else tmp_path) / name


async def _handoff(client: Any, handoff_id: str) -> handoff_pb2.Handoff:
    response = await client.handoffs.GetHandoff(
        handoff_service_pb2.GetHandoffRequest(handoff_id=handoff_id)
    )
    return response.handoff


async def test_a_police_desk_takes_a_dispatch_from_its_console(
    start_hub: HubFactory,
    start_console: Any,
    connect: ClientFactory,
    certs_dir: Path,
    browser: Any,
    tmp_path: Path,
) -> None:
    hub = await start_hub(certs_dir)
    console = await start_console(
        hub, certs_dir, "police-110105", operators={"Officer Zhang": "en", "Wang Fang": "zh-CN"}
    )
    duty = connect(hub, certs_dir, "duty-desk")
    page = await sign_in(browser, console, "Officer Zhang")
    await expect(page.get_by_text("No open work for this desk.")).to_be_visible()

    # A shop's report makes a DISPATCH: it appears without reloading, address withheld.
    report = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b-desk"))
    case_id = report.case.case_id
    work = page.locator("tbody.work", has_text="dispatch")
    await expect(work).to_be_visible()
    handoff_id = await work.get_attribute("data-handoff-id")
    assert handoff_id
    await expect(work.locator(".risk")).to_have_text("IMMINENT")
    await expect(work.locator(".address")).to_contain_text("Address shown after you acknowledge.")
    await expect(work).not_to_contain_text("Flat of b-desk")
    await expect(work.locator("[data-due]")).to_contain_text("left")

    await work.get_by_role("button", name="Acknowledge").click()
    await expect(work.locator(".address")).to_contain_text("Flat of b-desk")
    await expect(work.locator(".state")).to_have_text("acknowledged")

    await work.get_by_label("Progress", exact=True).select_option(label="on the way")
    await work.get_by_label("Progress note").fill("two officers")
    await work.get_by_role("button", name="Report progress").click()
    await expect(work.locator(".state")).to_contain_text("on the way: two officers")
    held = await _handoff(duty, handoff_id)
    assert held.state == H.STATE_ACKNOWLEDGED
    assert held.progress.stage == handoff_pb2.PROGRESS_STAGE_ON_THE_WAY

    # The timeline this desk may see names the officer who acknowledged.
    await work.get_by_text("Timeline").click()
    await expect(work.locator(".timeline")).to_contain_text("police-110105 (Officer Zhang)")

    # What the duty desk shares with the police arrives live.
    await DutyDeskConnector(duty).note(
        case_id, "he keeps a knife in the kitchen", share_with=[party_pb2.ROLE_POLICE]
    )
    await expect(work.locator(".updates")).to_contain_text("he keeps a knife in the kitchen")
    await page.screenshot(path=_screenshot(tmp_path, "console-desk-en.png"), full_page=True)

    chinese = await sign_in(browser, console, "Wang Fang")
    await expect(chinese.get_by_role("heading", name="我的任务")).to_be_visible()
    await expect(chinese.locator("tbody.work .address")).to_contain_text("Flat of b-desk")
    await chinese.screenshot(path=_screenshot(tmp_path, "console-desk-zh.png"), full_page=True)
    await chinese.close()

    await work.get_by_label("Outcome", exact=True).select_option(label="person found safe")
    await work.get_by_label("Outcome note").fill("talked her down, with her parents")
    await work.get_by_role("button", name="Report outcome").click()
    await expect(page.get_by_text("No open work for this desk.")).to_be_visible()
    done = await _handoff(duty, handoff_id)
    assert done.state == H.STATE_COMPLETED
    assert done.outcome.code == handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE
    await page.close()


async def test_a_shop_sees_that_it_should_keep_the_person_talking(
    start_hub: HubFactory, start_console: Any, connect: ClientFactory, certs_dir: Path, browser: Any
) -> None:
    hub = await start_hub(certs_dir)
    console = await start_console(hub, certs_dir, "shop-1")
    page = await sign_in(browser, console)
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b-chat"))
    work = page.locator("tbody.work", has_text="stay in contact")
    await expect(work).to_contain_text("Keep the person talking")
    await expect(work.get_by_role("button", name="Acknowledge")).to_be_visible()
    await page.close()
