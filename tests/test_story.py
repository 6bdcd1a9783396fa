"""The timeline tells the story (issue 12, items 6 and 8): the right actors, the
situation and the reporters for the duty desk, lines in words, desk CLIs that put
the most urgent work first, and logs an operator can read."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import signal as signals
import sys
from pathlib import Path

import pytest
from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2

from connectors import ConnectorConfig, HubClient
from hub import Hub, logs
from hub.domain.deadlines import DeadlinePolicy
from hub.process import spawn_hub
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, handoffs, has_handoff, imminent, read_inbox, signal
from wire import wording

H = handoff_pb2.Handoff
E = case_pb2.CaseEvent
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
OPTIONS = {
    "deadlines": DeadlinePolicy(retry_attempts=1, retry_jitter=0.0),
    "deadline_sweep_seconds": 3600,  # the test sweeps
    "signature_skew_seconds": 90 * 86400,  # parties sign in real time; the hub's clock moves
}


async def _events(client: HubClient, case_id: str) -> list[case_pb2.CaseEvent]:
    response = await client.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    return list(response.events)


async def _get(client: HubClient, case_id: str) -> case_pb2.Case:
    return (await client.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))).case


async def _registered(connect: ClientFactory, hub: Hub, certs_dir: Path, *parties: str) -> None:
    for party in parties:
        await connect(hub, certs_dir, party).whoami()


async def test_the_hub_grades_and_dispatches_not_the_shop_that_reported(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    platform = connect(hub, certs_dir, "duty-desk")
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))
    case_id, signal_id = reported.case.case_id, reported.signal.signal_id
    by_kind: dict[int, list[case_pb2.CaseEvent]] = {}
    for e in await _events(platform, case_id):
        by_kind.setdefault(e.kind, []).append(e)
    [reported_event] = by_kind[E.KIND_SIGNAL]
    assert reported_event.actor_party_id == "shop-1"
    [grade] = by_kind[E.KIND_GRADE]
    assert grade.actor_party_id == "hub"
    assert grade.summary == f"graded IMMINENT by the rule (signal {signal_id})"
    made = by_kind[E.KIND_HANDOFF]
    assert made and {e.actor_party_id for e in made} == {"hub"}

    listed = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    assert {h.creator_party_id for h in listed.handoffs} == {"hub"}
    # The duty desk's own handoff names the duty desk.
    made_by_desk = await platform.handoffs.CreateHandoff(
        handoff_service_pb2.CreateHandoffRequest(
            case_id=case_id, kind=DISPATCH, assignee_party_id="police-110105"
        )
    )
    assert made_by_desk.handoff.creator_party_id == "duty-desk"
    last = (await _events(platform, case_id))[-1]
    assert last.actor_party_id == "duty-desk"
    assert last.summary == f"dispatch to police-110105 ({made_by_desk.handoff.handoff_id})"


async def test_the_duty_desk_sees_every_signal_and_who_reported_a_shop_does_not(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    platform = connect(hub, certs_dir, "duty-desk")
    first = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))
    case_id = first.case.case_id
    second = signal(
        MERCHANT,
        buyer="b1",
        situation="don't stop me, it's not my first time",
        stated_intent=True,
    )
    await connect(hub, certs_dir, "shop-2").report_signal(**second)

    case = await _get(platform, case_id)
    assert case.signal_count == 2
    assert list(case.reporter_party_ids) == ["shop-1", "shop-2"]
    assert [s.situation for s in case.signals] == [
        "will jump once her parents are asleep",
        "don't stop me, it's not my first time",
    ]
    notes = [e.note for e in await _events(platform, case_id) if e.kind == E.KIND_SIGNAL]
    assert notes == [s.situation for s in case.signals]

    # A shop learns nothing of the other shop, nor how many reported.
    shop2 = connect(hub, certs_dir, "shop-2")
    theirs = await _get(shop2, case_id)
    assert not theirs.reporter_party_ids and not theirs.signals and theirs.signal_count == 0
    shown = await _events(shop2, case_id)
    seen = " ".join(f"{e.actor_party_id} {e.summary} {e.note}" for e in shown)
    assert "shop-1" not in seen and "parents are asleep" not in seen
    # The police see that two reports came (they see both signal events), not from whom.
    police = await _get(connect(hub, certs_dir, "police-110105"), case_id)
    assert police.signal_count == 2 and not police.reporter_party_ids and not police.signals


async def test_follow_ups_show_on_the_case_as_soon_as_it_is_closed(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    platform = connect(hub, certs_dir, "duty-desk")
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    assert not (await _get(platform, case_id)).follow_up_times
    closed = await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            case_id=case_id,
            resolution=case_pb2.CaseResolution(code=case_pb2.CaseResolution.CODE_HOSPITALISED),
        )
    )
    expected = [clock.now() + after for after in DeadlinePolicy().follow_up_after]
    assert [t.ToDatetime(dt.UTC) for t in closed.case.follow_up_times] == expected
    assert list((await _get(platform, case_id)).follow_up_times) == list(
        closed.case.follow_up_times
    )
    # The committee that will do them is not told when the platform plans to ask.
    committee = await _get(connect(hub, certs_dir, "committee-110105"), case_id)
    assert not committee.follow_up_times
    # The first fires, and is no longer to come.
    clock.advance(dt.timedelta(days=1))
    await hub.scheduler.sweep()
    assert [t.ToDatetime(dt.UTC) for t in (await _get(platform, case_id)).follow_up_times] == (
        expected[1:]
    )


async def test_a_whole_case_reads_in_words_for_every_party(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    parties = ("duty-desk", "police-110105", "police-110100", "committee-110105", "courier-1")
    await _registered(connect, hub, certs_dir, *parties)
    platform = connect(hub, certs_dir, "duty-desk")
    shop = connect(hub, certs_dir, "shop-1")
    # Case 1: the girl asks the shop for sleeping pills; she will jump.
    reported = await shop.report_signal(
        **signal(
            MERCHANT,
            buyer="girl",
            address="8th floor",
            jurisdiction="110105",
            orders=[case_pb2.OrderReference(order_id="o-1")],
            parcels=[case_pb2.ParcelReference(tracking_number="SF1", courier_party_id="courier-1")],
            situation="will jump from the 8th floor once her parents are asleep",
            stated_intent=True,
            method_prepared=True,
            stated_time=True,
        )
    )
    case_id = reported.case.case_id
    # The district desk is silent: sent again, then the city desk has it.
    clock.advance(dt.timedelta(minutes=3))
    await hub.scheduler.sweep()
    clock.advance(dt.timedelta(minutes=1))
    await hub.scheduler.sweep()
    city = connect(hub, certs_dir, "police-110100")
    dispatch = handoffs(await read_inbox(city, has_handoff(DISPATCH)))[0]
    await city.acknowledge_handoff(dispatch.handoff_id)
    await city.complete_handoff(
        dispatch.handoff_id,
        handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE, note="at the door"),
    )
    courier = connect(hub, certs_dir, "courier-1")
    [intercept] = handoffs(
        await read_inbox(courier, has_handoff(handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL))
    )
    await courier.decline_handoff(intercept.handoff_id, "already out for delivery")
    await platform.cases.GradeCase(
        case_service_pb2.GradeCaseRequest(
            case_id=case_id, risk_level=case_pb2.RISK_LEVEL_HIGH, reason="she is asleep"
        )
    )
    await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            case_id=case_id,
            resolution=case_pb2.CaseResolution(code=case_pb2.CaseResolution.CODE_PERSON_SAFE),
        )
    )
    clock.advance(dt.timedelta(days=1))
    await hub.scheduler.sweep()

    summaries = {
        party: [e.summary for e in await _events(connect(hub, certs_dir, party), case_id)]
        for party in (*parties, "shop-1")
    }
    story = summaries["duty-desk"]
    assert f"police-110100 acknowledged the dispatch ({dispatch.handoff_id})" in story
    assert (
        f"police-110100 completed the dispatch ({dispatch.handoff_id}): person found safe" in story
    )
    assert any(s.startswith("dispatch to police-110105 (ho-") for s in story)
    assert any(re.match(r"hold order to shop-1 \(ho-\w+, order o-1\)$", s) for s in story)
    assert any("escalated to police-110100" in s for s in story)
    assert f"graded IMMINENT by the rule (signal {reported.signal.signal_id})" in story
    assert "duty-desk graded HIGH (override)" in story
    assert any(s.startswith("follow up to committee-110105 (ho-") for s in story)
    assert (
        f"police-110100 acknowledged the dispatch ({dispatch.handoff_id})"
        in (summaries["police-110100"])
    )
    for party, lines in summaries.items():
        assert lines, party
        for line in lines:
            for code in ("HANDOFF_KIND_", "STATE_", "RISK_LEVEL_", "OUTCOME_CODE_", "_"):
                assert code not in line.replace("sig-", "").replace("ho-", ""), (party, line)


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "0s"),
        (9, "9s"),
        (59.9, "59s"),
        (60, "1m00s"),
        (245, "4m05s"),
        (3599, "59m59s"),
        (3600, "1h00m"),
        (86399, "23h59m"),
        (86400, "1d00h"),
        (2 * 86400 + 3 * 3600 + 59, "2d03h"),
    ],
)
def test_durations_read_as_a_desk_says_them(seconds: float, said: str) -> None:
    assert wording.duration(seconds) == said


def test_time_left_and_overdue() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert wording.time_left(now + dt.timedelta(hours=23, minutes=59), now) == "23h59m left"
    assert wording.time_left(now - dt.timedelta(minutes=4, seconds=5), now) == "OVERDUE by 4m05s"


async def _lifeline(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_desk_cli_puts_the_most_urgent_work_first(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    shop = connect(hub, certs_dir, "shop-1")
    high = signal(
        MERCHANT, buyer="b-high", address="Flat 1", jurisdiction="110105", stated_intent=True,
        method_prepared=True,
    )  # fmt: skip
    await shop.report_signal(**high)  # HIGH: ten minutes to acknowledge
    await shop.report_signal(**imminent("b-imminent"))  # IMMINENT: three minutes
    code, out, err = await _lifeline(
        "desk",
        "police",
        "--certs",
        str(certs_dir),
        "--party",
        "police-110105",
        "--hub",
        f"127.0.0.1:{hub.port}",
        "list",
    )
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    assert "IMMINENT" in lines[0] and re.search(r" [23]m\d\ds left to acknowledge", lines[0])
    assert "HIGH" in lines[1] and re.search(r" (9|10)m\d\ds left to acknowledge", lines[1])
    assert all(" dispatch " in line and " pending " in line for line in lines)


# -- the operator's log ----------------------------------------------------------


def _record(**extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "hub.cases", "levelno": logging.WARNING, "levelname": "WARNING"}
    )
    record.msg = "handoff escalated"
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_structured_line_as_json_and_as_text() -> None:
    fields = {"event": "escalation", "case_id": "case-1", "handoff_id": "ho-2", "reason": "late"}
    line = json.loads(logs.JsonFormatter().format(_record(**fields, party_id=None)))
    assert line["message"] == "handoff escalated" and line["level"] == "WARNING"
    assert {k: line[k] for k in fields} == fields and "party_id" not in line
    text = logs.TextFormatter().format(_record(**fields))
    assert text.endswith("handoff escalated event=escalation case_id=case-1 handoff_id=ho-2"
                         " reason=late")  # fmt: skip


def test_apscheduler_says_nothing_unless_asked() -> None:
    try:
        logs.configure(logging.INFO)
        assert not logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.INFO)
        logs.configure(logging.DEBUG)
        assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.DEBUG)
    finally:
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)
        logging.getLogger("alembic").setLevel(logging.NOTSET)


async def test_serve_logs_json_lines_an_operator_can_search(
    certs_dir: Path, tmp_path: Path
) -> None:
    process, port = await spawn_hub(
        certs_dir,
        f"sqlite:///{tmp_path}/hub.db",
        "--log-format",
        "json",
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        address = f"127.0.0.1:{port}"

        def client(party: str) -> HubClient:
            return HubClient(ConnectorConfig.for_party(certs_dir, party, address))

        async with (
            client("duty-desk") as platform,
            client("police-110105") as police,
            client("shop-1") as shop,
            client("courier-1") as courier,
        ):
            await platform.whoami()
            await police.whoami()
            case_id = (await shop.report_signal(**imminent("b1"))).case.case_id
            dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
            await police.decline_handoff(dispatch.handoff_id, "no car free")
            with pytest.raises(Exception, match="may not call"):
                await courier.cases.GradeCase(
                    case_service_pb2.GradeCaseRequest(
                        case_id=case_id, risk_level=case_pb2.RISK_LEVEL_LOW, reason="mine"
                    )
                )
    finally:
        process.send_signal(signals.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
    assert process.stderr is not None
    lines = (await process.stderr.read()).decode().splitlines()
    parsed = [json.loads(line) for line in lines]  # every line is JSON
    escalations = [p for p in parsed if p.get("event") == "escalation"]
    assert len(escalations) == 1
    assert escalations[0]["case_id"] == case_id
    assert escalations[0]["party_id"] == "duty-desk"  # nobody else could take it
    assert escalations[0]["reason"] == "police-110105 declined"
    [refusal] = [p for p in parsed if p.get("event") == "refusal"]
    assert refusal["reason"] == "ROLE_NOT_PERMITTED" and refusal["party_id"] == "courier-1"
    assert not [p for p in parsed if p["logger"].startswith("apscheduler")]
