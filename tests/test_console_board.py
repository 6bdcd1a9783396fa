"""The duty desk's board: the urgency order (a rule test), and in real Chromium a new
IMMINENT case and a duty alert appearing live in two operators' browsers, taken from
the banner, with the hub recording who took them."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from google.protobuf import timestamp_pb2
from lifeline.hub.v1 import case_pb2, handoff_pb2, handoff_service_pb2
from playwright.async_api import expect

from connectors.duty_desk import DutyDeskConnector
from console.board import taken, urgency
from hub.store import rota
from tests.browser import sign_in
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, imminent, signal

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent
DOCS = Path(__file__).parent.parent / "docs"


def _case(level: int) -> case_pb2.Case:
    return case_pb2.Case(risk_level=level)  # type: ignore[arg-type]


def _handoff(kind: int, state: int, due: int | None = None) -> handoff_pb2.Handoff:
    handoff = H(kind=kind, state=state)  # type: ignore[arg-type]
    if due is not None:
        handoff.due_time.CopyFrom(timestamp_pb2.Timestamp(seconds=due))
    return handoff


def test_urgency_puts_alerts_first_then_risk_then_the_nearest_deadline() -> None:
    alert = _handoff(handoff_pb2.HANDOFF_KIND_DUTY_ALERT, H.STATE_DELIVERED, 900)
    taken_alert = _handoff(handoff_pb2.HANDOFF_KIND_DUTY_ALERT, H.STATE_ACKNOWLEDGED, 100)
    soon = _handoff(handoff_pb2.HANDOFF_KIND_DISPATCH, H.STATE_DELIVERED, 200)
    later = _handoff(handoff_pb2.HANDOFF_KIND_DISPATCH, H.STATE_ACKNOWLEDGED, 500)
    done = _handoff(handoff_pb2.HANDOFF_KIND_DISPATCH, H.STATE_COMPLETED, 1)
    board = {
        "low with an alert": (_case(case_pb2.RISK_LEVEL_LOW), [alert]),
        "imminent, alert taken": (_case(case_pb2.RISK_LEVEL_IMMINENT), [taken_alert]),
        "high, due later": (_case(case_pb2.RISK_LEVEL_HIGH), [later, done]),
        "high, due soon": (_case(case_pb2.RISK_LEVEL_HIGH), [later, soon]),
        "high, nothing due": (_case(case_pb2.RISK_LEVEL_HIGH), []),
        "moderate": (_case(case_pb2.RISK_LEVEL_MODERATE), [soon]),
    }
    order = sorted(board, key=lambda name: urgency(*board[name]))
    assert order == [
        "low with an alert",
        "imminent, alert taken",
        "high, due soon",
        "high, due later",
        "high, nothing due",
        "moderate",
    ]


def test_a_case_is_taken_once_a_platform_person_acts_on_it() -> None:
    platform = {"duty-desk"}
    by_rule = E(kind=E.KIND_GRADE, actor_party_id="hub")
    by_merchant = E(kind=E.KIND_NOTE, actor_party_id="shop-1")
    signal_by_desk = E(kind=E.KIND_SIGNAL, actor_party_id="duty-desk")
    assert not taken([by_rule, by_merchant, signal_by_desk], platform)
    assert taken([by_rule, E(kind=E.KIND_NOTE, actor_party_id="duty-desk")], platform)
    assert taken([E(kind=E.KIND_HANDOFF, actor_party_id="duty-desk")], platform)


async def _board_for(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any, connect: ClientFactory
) -> tuple[Any, Any, Any, Any]:
    hub = await start_hub(certs_dir)
    # The desks the hub routes to are the ones that have called it.
    for desk in ("police-110105", "police-110100", "police-410100", "committee-110105"):
        await connect(hub, certs_dir, desk).whoami()
    console = await start_console(hub, certs_dir, "duty-desk", {"Li Wei": "en", "王芳": "zh-CN"})
    english = await sign_in(browser, console, "Li Wei", then="/")
    chinese = await sign_in(browser, console, "王芳", then="/")
    for page in (english, chinese):
        await expect(page.locator("body[data-stream=on]")).to_have_count(1)
    return hub, console, english, chinese


async def test_a_new_imminent_case_alarms_every_operator_until_one_takes_it(
    start_hub: HubFactory, start_console: Any, certs_dir: Path, browser: Any, connect: ClientFactory
) -> None:
    hub, _, english, chinese = await _board_for(
        start_hub, start_console, certs_dir, browser, connect
    )
    shop = connect(hub, certs_dir, "shop-1")
    case_id = (await shop.report_signal(**imminent("buyer-girl"))).case.case_id

    for page in (english, chinese):
        banner = page.get_by_role("alert")
        await expect(banner.locator(f"[data-alarm-id='imminent:{case_id}']")).to_have_count(1)
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=case_id))
        await expect(row).to_have_class("urgent")
        await expect(row).to_contain_text("will jump once her parents are asleep")
        await expect(row).to_contain_text("police-110105")
    await expect(english.get_by_role("table")).to_contain_text("IMMINENT")
    await expect(english.get_by_role("columnheader", name="Risk")).to_be_visible()
    await expect(chinese.get_by_role("columnheader", name="风险")).to_be_visible()
    await expect(chinese.get_by_role("table")).to_contain_text("危急")
    await expect(chinese.get_by_role("table")).to_contain_text("出警")

    await english.get_by_role("button", name=f"Take case {case_id}").click()
    # Gone from the other operator's screen without a reload: someone has it.
    await expect(chinese.get_by_role("alert")).to_have_count(0)
    await expect(english.get_by_role("alert")).to_have_count(0)
    timeline = await DutyDeskConnector(connect(hub, certs_dir, "duty-desk")).timeline(case_id)
    taken_by = [e for e in timeline if e.kind == E.KIND_NOTE and e.note == "Taken by Li Wei"]
    assert taken_by and taken_by[0].operator == "Li Wei"
    for page in (english, chinese):
        await page.close()


async def _report_the_evening(shop: Any, other_shop: Any) -> str:
    """A few of domain.md's cases; returns the one nobody can be dispatched to."""
    await shop.report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-peppers",
            jurisdiction="110100",
            situation="ordered 5 kg of dried chili peppers and said in chat he means to die "
            "by eating them all tonight",
            stated_intent=True,
            method_prepared=True,
            recent_setback=True,
        )
    )
    await other_shop.report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-pesticide",
            jurisdiction="410100",
            situation="asked whether someone who drinks this pesticide would die quickly; "
            "her mother's medical debts are crushing her",
            searched_for_methods=True,
            recent_setback=True,
        )
    )
    await shop.report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-12",
            address="Building 3, 8th floor",
            jurisdiction="110105",
            situation="12-year-old asked for sleeping pills; an earlier overdose failed; "
            "says she will jump from the 8th floor once her parents are asleep",
            stated_intent=True,
            method_prepared=True,
            earlier_attempt=True,
            stated_time=True,
        )
    )
    # No police desk serves 330106 (none has called the hub): the hub alerts the duty desk.
    unroutable = await other_shop.report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-far",
            jurisdiction="330106",
            situation="third shop this week she asked for the same means: "
            "\"don't stop me, it's not my first time\"; says tonight",
            stated_intent=True,
            method_prepared=True,
            earlier_attempt=True,
            stated_time=True,
        )
    )
    return str(unroutable.case.case_id)


async def test_a_duty_alert_comes_first_and_is_taken_from_the_banner(
    start_hub: HubFactory,
    start_console: Any,
    certs_dir: Path,
    browser: Any,
    connect: ClientFactory,
    tmp_path: Path,
) -> None:
    hub, _, english, chinese = await _board_for(
        start_hub, start_console, certs_dir, browser, connect
    )
    # Tonight's rota: the duty desk is on call, so its alerts say whose shift they are on.
    local = dt.datetime.now(rota.zone("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    hub.db.transaction(
        lambda s: rota.add_shift(
            s,
            "duty-desk",
            local - dt.timedelta(hours=1),
            local + dt.timedelta(hours=9),
            "Asia/Shanghai",
        )
    )
    case_id = await _report_the_evening(
        connect(hub, certs_dir, "shop-1"), connect(hub, certs_dir, "shop-2")
    )

    banner = english.get_by_role("alert")
    alert = banner.locator("[data-alarm-id^='alert:']").filter(has_text=case_id)
    await expect(alert).to_contain_text("Duty alert: unroutable")
    await expect(alert).to_contain_text("for duty-desk (on call)")
    await expect(chinese.get_by_role("alert")).to_contain_text("值班告警: 无法派送")
    await expect(chinese.get_by_role("alert")).to_contain_text("duty-desk (值班)")
    rows = english.get_by_role("row")
    await expect(rows).to_have_count(5)  # the header and four cases
    await expect(rows.nth(1)).to_contain_text(case_id)  # IMMINENT too, but alerted first
    await expect(rows.nth(1)).to_contain_text("Duty alert")

    shots = DOCS if os.environ.get("LIFELINE_SCREENSHOTS") == "1" else tmp_path
    for page, name in ((english, "console-board-en.png"), (chinese, "console-board-zh.png")):
        await page.set_viewport_size({"width": 1400, "height": 800})
        await page.screenshot(path=str(shots / name), full_page=True)

    await english.get_by_role("button", name=f"Take the alert on case {case_id}").click()
    await expect(
        chinese.locator("[data-alarm-id^='alert:']").filter(has_text=case_id)
    ).to_have_count(0)
    duty = connect(hub, certs_dir, "duty-desk")
    listed = await duty.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    alerts = [h for h in listed.handoffs if h.kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT]
    assert [h.state for h in alerts] == [H.STATE_ACKNOWLEDGED]
    for page in (english, chinese):
        await page.close()


async def test_an_alert_that_expires_unanswered_stays_until_someone_takes_the_case(
    start_hub: HubFactory,
    start_console: Any,
    certs_dir: Path,
    browser: Any,
    connect: ClientFactory,
    clock: ManualClock,
) -> None:
    # The hub's clock is moved by the test; parties sign in real time.
    hub = await start_hub(
        certs_dir, clock=clock, deadline_sweep_seconds=3600, signature_skew_seconds=90 * 86400
    )
    console = await start_console(hub, certs_dir, "duty-desk")
    page = await sign_in(browser, console, "Li Wei", then="/")
    shop = connect(hub, certs_dir, "shop-1")
    # No police desk has ever called the hub: the dispatch cannot be routed.
    case_id = (await shop.report_signal(**imminent("buyer-nobody"))).case.case_id
    banner = page.get_by_role("alert")
    await expect(banner.locator("[data-alarm-id^='alert:']")).to_have_count(1)

    # Nobody at the desk answers: the alert is retried, then expires; the hub says the
    # duty desk must act, and the board must not fall silent at that moment.
    duty = DutyDeskConnector(connect(hub, certs_dir, "duty-desk"))
    for _ in range(20):
        clock.advance(dt.timedelta(minutes=30))
        await hub.scheduler.sweep()
        alerts = [
            h for h in await duty.handoffs(case_id) if h.kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT
        ]
        if alerts and all(h.state == handoff_pb2.Handoff.STATE_EXPIRED for h in alerts):
            break
    else:
        raise AssertionError("the duty alert never expired")
    missed = banner.locator("[data-alarm-id^='missed:']")
    await expect(missed).to_contain_text("Duty alert expired unanswered")
    await expect(page.get_by_role("row").nth(1)).to_contain_text("Duty alert")

    await page.get_by_role("button", name=f"Take the expired alert on case {case_id}").click()
    await expect(missed).to_have_count(0)
    notes = [e for e in await duty.timeline(case_id) if e.kind == case_pb2.CaseEvent.KIND_NOTE]
    assert notes[-1].operator == "Li Wei"
