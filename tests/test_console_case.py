"""The case page, as an interventionist uses it: a real hub, a real console, Chromium.

Each journey starts from the evening of domain.md's case 1 (a girl asks a shop for
sleeping pills and says she will jump once her parents are asleep; a second shop
gives another flat for the same phone) and checks what the hub holds afterwards, not
only what the page says.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2
from playwright.async_api import expect

from console.i18n import catalog
from hub.cases.evidence import verify
from hub.store import certs
from tests.browser import sign_in
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, handoffs, has_handoff, read_inbox, signal
from wire import wording

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
PHONE = "139 1000 1207"
SITUATION = (
    "Asked for sleeping pills 'not for an illness'; an earlier overdose failed. Told they"
    " are not sold, she says she will jump from the 8th floor once her parents are asleep."
)
THREAT = "She says she will jump from the balcony of flat 802 once her parents are asleep."
DOCS = Path(__file__).parent.parent / "docs"


def _case_one(shop: str, address: str, situation: str) -> dict[str, Any]:
    return signal(
        MERCHANT,
        buyer=f"buyer-of-{shop}",
        phone=PHONE,
        address=address,
        jurisdiction="110105",
        orders=[case_pb2.OrderReference(order_id=f"{shop}-o1", item_summary="sleeping pills")],
        situation=situation,
        stated_intent=True,
        method_prepared=True,
        earlier_attempt=True,
        stated_time=True,
    )


async def _scene(
    start_hub: HubFactory,
    start_console: Any,
    connect: ClientFactory,
    certs_dir: Path,
    *,
    conflict: bool = False,
) -> tuple[Any, Any, str]:
    """A hub with the desks of case 1 known to it, a duty console with an English and a
    Chinese operator, and case 1 reported (by a second shop too, at another flat)."""
    hub = await start_hub(certs_dir)
    for party in ("duty-desk", "police-110105", "committee-110105", "courier-1", "shop-2"):
        await connect(hub, certs_dir, party).whoami()
    console = await start_console(
        hub, certs_dir, "duty-desk", operators={"Li Wei": "en", "Wang Fang": "zh-CN"}
    )
    reported = await connect(hub, certs_dir, "shop-1").report_signal(
        **_case_one("shop-1", "Building 3, flat 802", SITUATION)
    )
    if conflict:
        await connect(hub, certs_dir, "shop-2").report_signal(
            **_case_one("shop-2", "Building 3, flat 208", "Asked whether 20 pills would be enough.")
        )
    return hub, console, reported.case.case_id


async def _open_case(browser: Any, console: Any, case_id: str, name: str = "Li Wei") -> Any:
    page = await sign_in(browser, console, name)
    await page.goto(f"{console.url}/cases/{case_id}")
    return page


async def _case(hub: Any, connect: ClientFactory, certs_dir: Path, case_id: str) -> case_pb2.Case:
    duty = connect(hub, certs_dir, "duty-desk")
    return (await duty.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))).case


def _screenshot(name: str, tmp_path: Path) -> Path:
    return (DOCS if os.environ.get("LIFELINE_SCREENSHOTS") == "1" else tmp_path) / name


async def test_reading_a_case_overriding_its_grade_and_working_its_alert(
    start_hub: HubFactory,
    start_console: Any,
    connect: ClientFactory,
    certs_dir: Path,
    browser: Any,
    tmp_path: Path,
) -> None:
    hub, console, case_id = await _scene(
        start_hub, start_console, connect, certs_dir, conflict=True
    )
    page = await _open_case(browser, console, case_id)
    # Opened from its address: the signals, who holds the work, the disagreeing reporters.
    await expect(page.get_by_role("region", name="Signals")).to_contain_text(SITUATION)
    handoff_rows = page.get_by_role("region", name="Handoffs").get_by_role("row")
    await expect(
        handoff_rows.filter(has_text="dispatch").filter(has_text="police-110105")
    ).to_be_visible()
    await expect(
        page.get_by_role("heading", name="Reporters disagree on the address")
    ).to_be_visible()
    await expect(page.get_by_role("alert")).to_contain_text("address conflict")

    # The interventionist overrides the grade, saying why; the hub names her.
    await page.get_by_label("Risk").select_option(label="HIGH")
    grading = page.get_by_role("region", name="Grade or override")
    await grading.get_by_label("Reason").fill("talked her down from the window; parents are home")
    await page.get_by_role("button", name="Grade the case").click()
    timeline = page.get_by_role("region", name="Timeline")
    await expect(timeline).to_contain_text("duty-desk (Li Wei) graded HIGH")
    case = await _case(hub, connect, certs_dir, case_id)
    assert case.risk_level == case_pb2.RISK_LEVEL_HIGH and case.risk_overridden

    # She takes the address-conflict alert, confirms the second flat, completes the alert.
    await page.get_by_role("button", name="Take this alert").click()
    await page.get_by_label("What was done").fill("called shop-2: the buyer lives in flat 208")
    await page.get_by_role("button", name="Confirm this address: Building 3, flat 208").click()
    await expect(page.get_by_role("listitem").filter(has_text="flat 208")).to_contain_text(
        "in effect"
    )
    await page.get_by_label("What was done").fill("called shop-2: the buyer lives in flat 208")
    await page.get_by_role("button", name="Complete the alert").click()
    await expect(page.get_by_role("alert")).to_have_count(0)
    duty = connect(hub, certs_dir, "duty-desk")
    listed = await duty.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id, page_size=500)
    )
    [alert] = [h for h in listed.handoffs if h.kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT]
    assert alert.state == handoff_pb2.Handoff.STATE_COMPLETED
    assert alert.outcome.code == handoff_pb2.OUTCOME_CODE_ALERT_HANDLED
    assert "flat 208" in alert.outcome.note
    case = await _case(hub, connect, certs_dir, case_id)
    assert [c.in_effect for c in case.address_candidates] == [False, True]

    await page.screenshot(path=_screenshot("console-case-en.png", tmp_path), full_page=True)
    chinese = await _open_case(browser, console, case_id, "Wang Fang")
    await expect(chinese.get_by_role("heading", name="时间线")).to_be_visible()
    await expect(chinese.get_by_role("region", name="信号")).to_contain_text(SITUATION)
    await chinese.screenshot(path=_screenshot("console-case-zh.png", tmp_path), full_page=True)
    await chinese.close()
    await page.close()


async def test_a_note_shared_with_the_police_reaches_their_desk_signed(
    start_hub: HubFactory, start_console: Any, connect: ClientFactory, certs_dir: Path, browser: Any
) -> None:
    hub, console, case_id = await _scene(start_hub, start_console, connect, certs_dir)
    police = connect(hub, certs_dir, "police-110105")
    before = await read_inbox(police, has_handoff(DISPATCH))
    [dispatch] = [h for h in handoffs(before) if h.kind == DISPATCH]
    await police.acknowledge_handoff(dispatch.handoff_id)

    page = await _open_case(browser, console, case_id)
    await page.get_by_role("textbox", name="Note", exact=True).fill(THREAT)
    await page.get_by_role("checkbox", name="police").check()
    await page.get_by_role("button", name="Add the note").click()
    await expect(page.get_by_role("region", name="Timeline")).to_contain_text(THREAT)
    await expect(page.get_by_role("status")).to_have_text(
        "Note added and shared with police-110105."
    )

    def shared(messages: list[Any]) -> bool:
        return any(m.HasField("case_update") and THREAT in m.case_update.text for m in messages)

    arrived = await read_inbox(police, shared, after_sequence=before[-1].sequence)
    [update] = [m.case_update for m in arrived if m.HasField("case_update")]
    police.verify_case_update(update)  # signed by the hub; raises if not
    assert update.handoff_id == dispatch.handoff_id
    # The police's news reaches the open page by itself (its live region).
    await police.report_progress(
        dispatch.handoff_id, handoff_pb2.PROGRESS_STAGE_ON_THE_WAY, "car 3 is on its way"
    )
    await expect(page.get_by_role("region", name="Handoffs")).to_contain_text("car 3 is on its way")
    await page.close()


async def test_closing_reopening_and_the_evidence_bundle(
    start_hub: HubFactory, start_console: Any, connect: ClientFactory, certs_dir: Path, browser: Any
) -> None:
    hub, console, case_id = await _scene(start_hub, start_console, connect, certs_dir)
    page = await _open_case(browser, console, case_id)
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_label("Resolution").select_option(label="person safe")
    await page.get_by_label("Closing note").fill("police found her with her parents")
    await page.get_by_role("button", name="Close", exact=True).click()
    await expect(page.get_by_role("heading", name="Reopen the case")).to_be_visible()
    assert (await _case(hub, connect, certs_dir, case_id)).state == case_pb2.Case.STATE_CLOSED

    reopening = page.get_by_role("region", name="Reopen the case")
    await reopening.get_by_label("Reason").fill("the shop says she wrote again at 02:10")
    await page.get_by_role("button", name="Reopen").click()
    await expect(page.get_by_role("heading", name="Close the case")).to_be_visible()
    await expect(page.get_by_role("region", name="Timeline")).to_contain_text(
        "she wrote again at 02:10"
    )
    assert (await _case(hub, connect, certs_dir, case_id)).state == case_pb2.Case.STATE_OPEN

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download the evidence bundle").click()
    download = await downloading.value
    assert download.suggested_filename.endswith(".json")
    bundle = json.loads(Path(await download.path()).read_text())
    report = verify(bundle, certs.load_certificate(certs_dir / "ca.pem"))
    assert bundle["case_id"] == case_id and report.events >= 4
    await page.close()


async def test_refusals_come_back_as_messages(
    start_hub: HubFactory, start_console: Any, connect: ClientFactory, certs_dir: Path, browser: Any
) -> None:
    hub, console, case_id = await _scene(start_hub, start_console, connect, certs_dir)
    page = await _open_case(browser, console, case_id)
    # The directory, searched by role and jurisdiction, offers only those desks.
    await page.get_by_label("Role").select_option(value="police")
    await page.get_by_label("Jurisdiction code").fill("110100")  # Beijing, and within it
    await page.get_by_role("button", name="Search the directory").click()
    desks = page.get_by_label("Desk", exact=True).locator("option")
    await expect(desks.filter(has_text="police-110105")).to_have_count(1)
    await expect(desks.filter(has_text="committee-110105")).to_have_count(0)
    await expect(desks.filter(has_text="courier-1")).to_have_count(0)

    # A courier cannot take a dispatch: the hub refuses, the page says so.
    await page.goto(f"{console.url}/cases/{case_id}")
    await page.get_by_label("Desk", exact=True).select_option(value="courier-1")
    await page.get_by_label("Work").select_option(label="dispatch")
    await page.get_by_role("button", name="Hand off", exact=True).click()
    await expect(page.get_by_role("status")).to_contain_text("Not done")
    await expect(page.get_by_role("status")).to_contain_text("courier")

    # Form input the browser would not send (no reason, a time that is not one).
    token = await page.locator("input[name=csrf_token]").first.input_value()
    for path, form, said in [
        ("grade", {"risk_level": "3", "reason": " "}, "Say why you grade the case so."),
        (
            "stay-in-contact",
            {"assignee": "shop-1", "check_in_time": "tomorrow"},
            "Give the check-in time as a date and a time.",
        ),
        ("hand-off", {"kind": "99", "assignee": "police-110105"}, "Choose what to hand off."),
    ]:
        response = await page.request.post(
            f"{console.url}/cases/{case_id}/{path}",
            form={"csrf_token": token, **form},
            headers={"referer": f"{console.url}/cases/{case_id}"},
        )
        # Followed back to the case page, which says why: not a 500.
        assert response.status == 200 and said in await response.text(), path

    # A check-in the operator gives in her own zone is scheduled with the shop.
    await page.get_by_label("Check-in time").fill("2030-11-24T08:44")
    await page.get_by_role("button", name="Ask to stay in contact").click()
    await expect(page.get_by_role("region", name="Scheduled")).to_contain_text("shop-1")
    listed = await connect(hub, certs_dir, "duty-desk").handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id, page_size=500)
    )
    check_ins = [
        h.check_in_time.ToDatetime(dt.UTC) for h in listed.handoffs if h.check_in_time.seconds
    ]
    assert check_ins == [dt.datetime(2030, 11, 24, 0, 44, tzinfo=dt.UTC)]  # 08:44 in Shanghai
    response = await page.goto(f"{console.url}/cases/no-such-case")
    assert response is not None and response.status == 404
    await page.close()


def test_every_word_the_hub_uses_for_a_case_has_chinese() -> None:
    chinese = catalog("zh-CN")
    words = [
        *(wording.kind(v) for v in handoff_pb2.HandoffKind.values() if v),
        *(wording.state(v) for v in handoff_pb2.Handoff.State.values() if v),
        *(wording.level(v) for v in case_pb2.RiskLevel.values()),
        *(wording.outcome(v) for v in handoff_pb2.OutcomeCode.values() if v),
        *(wording.resolution(v) for v in case_pb2.CaseResolution.Code.values() if v),
        *(wording.alert_reason(v) for v in handoff_pb2.DutyAlertReason.values() if v),
        *(wording.stage(v) for v in handoff_pb2.ProgressStage.values() if v),
    ]
    assert [w for w in words if w not in chinese] == []
