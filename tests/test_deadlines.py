"""Deadlines that chase every handoff: retry, escalation, rota, follow-ups, retention,
restarts; time driven by a manual clock, never by sleeping."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2, party_pb2
from lifeline.hub.v1 import party_service_pb2 as ps

from connectors import HubClient
from hub import Hub
from hub.cases.evidence import export, verify
from hub.domain import deadlines as deadline_kinds
from hub.domain.deadlines import DeadlinePolicy, PolicyError
from hub.store import rota
from hub.store.certs import load_certificate
from hub.store.models import DeadlineRow
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, handoffs, has_handoff, imminent, read_inbox, signal

H = handoff_pb2.Handoff
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
FOLLOW_UP = handoff_pb2.HANDOFF_KIND_FOLLOW_UP
MINUTE = dt.timedelta(minutes=1)
POLICY = DeadlinePolicy(retry_attempts=2, retry_jitter=0.0)
OPTIONS = {
    "deadlines": POLICY,
    "deadline_sweep_seconds": 3600,  # the test sweeps; the safety net stays out of its way
    "signature_skew_seconds": 90 * 86400,  # parties sign in real time; the hub's clock is moved
}


async def _events(platform: HubClient, case_id: str) -> list[case_pb2.CaseEvent]:
    response = await platform.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    return list(response.events)


async def _handoffs(platform: HubClient, case_id: str) -> list[handoff_pb2.Handoff]:
    response = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    return list(response.handoffs)


async def _registered(connect: ClientFactory, hub: Hub, certs_dir: Path, *parties: str) -> None:
    for party in parties:
        await connect(hub, certs_dir, party).whoami()


async def test_a_silent_desk_is_retried_then_escalated_and_a_late_ack_is_recorded(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await _registered(
        connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105", "police-110100"
    )
    platform = connect(hub, certs_dir, "duty-desk")
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    [dispatch] = [h for h in await _handoffs(platform, case_id) if h.kind == DISPATCH]
    # IMMINENT: three minutes to acknowledge.
    assert dispatch.due_time.ToDatetime(dt.UTC) == clock.now() + 3 * MINUTE
    assert await hub.scheduler.sweep() == 0
    clock.advance(3 * MINUTE)
    assert await hub.scheduler.sweep() == 1  # retry 1
    clock.advance(30 * dt.timedelta(seconds=1))
    assert await hub.scheduler.sweep() == 1  # retry 2, after 30 s
    clock.advance(MINUTE)
    assert await hub.scheduler.sweep() == 1  # retries spent: escalate
    chain = {
        h.assignee_party_id: h for h in await _handoffs(platform, case_id) if h.kind == DISPATCH
    }
    assert chain["police-110105"].state == H.STATE_ESCALATED
    # No backup registered: the city desk is next, linked to the first.
    assert chain["police-110100"].escalated_from_handoff_id == dispatch.handoff_id
    summaries = [e.summary for e in await _events(platform, case_id)]
    assert any("retry 1 of 2" in s for s in summaries)
    assert any("retry 2 of 2" in s for s in summaries)
    assert any("escalated to police-110100" in s for s in summaries)
    # The district desk redelivered its DISPATCH three times (first + 2 retries).
    police = connect(hub, certs_dir, "police-110105")
    received = await read_inbox(police, lambda ms: len(handoffs(ms)) >= 4)
    assert [h.state for h in handoffs(received)[:3]] == [H.STATE_PENDING] * 3
    # It answers late: accepted, and recorded as late.
    late = await police.acknowledge_handoff(dispatch.handoff_id)
    assert late.handoff.state == H.STATE_ACKNOWLEDGED
    assert any("late, after escalation" in e.summary for e in await _events(platform, case_id))


async def test_an_acknowledgement_stops_the_chase_at_once(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(certs_dir, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    shop = connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent("b1"))
    stay = handoffs(await read_inbox(shop, has_handoff(handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT)))
    await shop.acknowledge_handoff(stay[0].handoff_id)
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    await police.acknowledge_handoff(dispatch.handoff_id)
    clock.advance(10 * MINUTE)
    # The only handoff was acknowledged: no redelivery, no escalation (the work's own
    # deadlines, progress after 15 minutes, are tests/test_chase.py's).
    assert await hub.scheduler.sweep() == 0
    got = await police.handoffs.GetHandoff(
        handoff_service_pb2.GetHandoffRequest(handoff_id=dispatch.handoff_id)
    )
    assert got.handoff.state == H.STATE_ACKNOWLEDGED


async def test_escalation_ends_with_whoever_is_on_call_then_their_backup(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(
        certs_dir, clock=clock, **{**OPTIONS, "deadlines": DeadlinePolicy(retry_attempts=0)}
    )
    await _registered(connect, hub, certs_dir, "duty-desk", "hospital-1")
    platform = connect(hub, certs_dir, "duty-desk")
    # A second interventionist, on call now, with duty-desk as backup.
    await platform.parties.RegisterParty(
        ps.RegisterPartyRequest(
            party=party_pb2.Party(party_id="duty-night", role=party_pb2.ROLE_PLATFORM)
        )
    )
    local = (
        clock.now()
        .astimezone(rota.zone("Asia/Shanghai"))
        .replace(tzinfo=None, second=0, microsecond=0)
    )
    hub.db.transaction(
        lambda s: rota.add_shift(
            s, "duty-night", local - 2 * MINUTE, local + 600 * MINUTE, "Asia/Shanghai", "duty-desk"
        )
    )
    # A desk in a jurisdiction with no police at all: the chain goes straight to the duty desk.
    await platform.parties.RegisterParty(
        ps.RegisterPartyRequest(
            party=party_pb2.Party(
                party_id="police-650102", role=party_pb2.ROLE_POLICE, jurisdiction_code="650102"
            )
        )
    )
    case_id = (
        await connect(hub, certs_dir, "shop-1").report_signal(
            **imminent("b9", jurisdiction="650102")
        )
    ).case.case_id
    clock.advance(3 * MINUTE)
    await hub.scheduler.sweep()
    chain = {
        h.assignee_party_id: h for h in await _handoffs(platform, case_id) if h.kind == DISPATCH
    }
    assert set(chain) == {"police-650102", "duty-night"}
    assert chain["duty-night"].escalated_from_handoff_id == chain["police-650102"].handoff_id
    clock.advance(30 * MINUTE)
    await hub.scheduler.sweep()
    dispatches = [h for h in await _handoffs(platform, case_id) if h.kind == DISPATCH]
    assert {h.assignee_party_id for h in dispatches} == {"police-650102", "duty-night", "duty-desk"}
    clock.advance(30 * MINUTE)
    await hub.scheduler.sweep()
    # Nobody is left: the last one expires and the duty desk is told to act.
    states = {
        h.assignee_party_id: h.state
        for h in await _handoffs(platform, case_id)
        if h.kind == DISPATCH
    }
    assert states["duty-desk"] == H.STATE_EXPIRED
    assert any("nobody is left" in e.summary for e in await _events(platform, case_id))


async def test_a_decline_escalates_at_once(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(certs_dir, clock=clock, **OPTIONS)
    await _registered(
        connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105", "police-110100"
    )
    platform = connect(hub, certs_dir, "duty-desk")
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    await police.decline_handoff(dispatch.handoff_id, "all units out on a fire")
    chain = {
        h.assignee_party_id: h
        for h in await _handoffs(platform, dispatch.case_id)
        if h.kind == DISPATCH
    }
    assert chain["police-110105"].state == H.STATE_DECLINED
    assert chain["police-110100"].state == H.STATE_PENDING
    notes = [e.note for e in await _events(platform, dispatch.case_id) if e.note]
    assert "all units out on a fire" in notes


async def test_a_parcel_must_be_stopped_before_it_arrives(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(certs_dir, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, "duty-desk", "courier-1")
    eta = clock.now() + 12 * MINUTE
    parcel = case_pb2.ParcelReference(tracking_number="SF1", courier_party_id="courier-1")
    parcel.estimated_delivery_time.FromDatetime(eta)
    await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(MERCHANT, buyer="b", parcels=[parcel], stated_intent=True, method_prepared=True)
    )
    courier = connect(hub, certs_dir, "courier-1")
    intercept = handoffs(
        await read_inbox(courier, has_handoff(handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL))
    )[0]
    # The policy allows 30 minutes; the parcel lands in 12, so 12 it is.
    assert intercept.due_time.ToDatetime(dt.UTC) == eta


async def test_closing_schedules_follow_ups_and_reopening_cancels_them(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(certs_dir, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, "duty-desk", "committee-110105")
    platform = connect(hub, certs_dir, "duty-desk")
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    close = case_service_pb2.CloseCaseRequest(
        case_id=case_id,
        resolution=case_pb2.CaseResolution(code=case_pb2.CaseResolution.CODE_PERSON_SAFE),
    )
    await platform.cases.CloseCase(close)
    clock.advance(dt.timedelta(hours=24))
    await hub.scheduler.sweep()
    follow_ups = [
        h
        for h in await _handoffs(platform, case_id)
        if h.kind == FOLLOW_UP and h.state == H.STATE_PENDING
    ]
    assert [h.assignee_party_id for h in follow_ups] == ["committee-110105"]
    committee = connect(hub, certs_dir, "committee-110105")
    await committee.acknowledge_handoff(follow_ups[0].handoff_id)
    await committee.complete_handoff(
        follow_ups[0].handoff_id,
        handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_FOLLOW_UP_PERSON_WELL),
    )
    await platform.cases.ReopenCase(
        case_service_pb2.ReopenCaseRequest(case_id=case_id, reason="she wrote again")
    )
    before = len(await _handoffs(platform, case_id))
    clock.advance(dt.timedelta(days=40))
    await hub.scheduler.sweep()
    # The 7- and 30-day follow-ups were cancelled by the reopening; only the reopened
    # case's own new handoffs' deadlines fired.
    after = await _handoffs(platform, case_id)
    assert not [
        h for h in after[before:] if h.kind == FOLLOW_UP and not h.escalated_from_handoff_id
    ]


async def test_retention_erases_personal_data_and_evidence_still_verifies(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    sqlite_url: str,
) -> None:
    hub = await start_hub(certs_dir, sqlite_url, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    platform = connect(hub, certs_dir, "duty-desk")
    case_id = (
        await connect(hub, certs_dir, "shop-1").report_signal(
            **signal(
                MERCHANT,
                buyer="b1",
                phone="13800000000",
                address="Flat 8",
                jurisdiction="110105",
                situation="chat text about the 8th floor",
                stated_intent=True,
                method_prepared=True,
            )
        )
    ).case.case_id
    await platform.cases.AddCaseNote(
        case_service_pb2.AddCaseNoteRequest(case_id=case_id, text="her mother: 139...")
    )
    await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            case_id=case_id,
            resolution=case_pb2.CaseResolution(code=case_pb2.CaseResolution.CODE_PERSON_SAFE),
        )
    )
    clock.advance(dt.timedelta(days=181))
    await hub.scheduler.sweep()
    bundle = hub.db.transaction(lambda s: export(s, case_id))
    report = verify(json.loads(json.dumps(bundle)), load_certificate(certs_dir / "ca.pem"))
    assert report.messages >= 2
    signal_message = next(m for m in bundle["messages"] if m["kind"] == "KIND_SIGNAL")
    assert set(signal_message["erased"]) == {
        "subject.buyer_id",
        "subject.phone",
        "subject.address",
        "situation",
    }
    dump = json.dumps(bundle)
    for secret in ("13800000000", "Flat 8", "8th floor"):
        assert secret not in dump
    with hub.db.engine.connect() as conn:
        for table, column in (
            ("signal", "payload"),
            ("handoff", "details"),
            ("signed_message", "message"),
        ):
            for (blob,) in conn.execute(sa.text(f"SELECT {column} FROM {table}")):
                assert b"13800000000" not in blob and b"8th floor" not in blob
    events = await _events(platform, case_id)
    assert "[erased]" in [e.note for e in events]
    assert "personal data erased" in events[-1].summary
    audit = subprocess.run(
        [sys.executable, "-m", "hub", "audit", "verify", "--db", sqlite_url],
        capture_output=True,
        text=True,
    )
    assert audit.returncode == 0, audit.stdout


async def test_overdue_deadlines_fire_once_after_a_restart(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    platform = connect(hub, certs_dir, "duty-desk")
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    await hub.stop()
    clock.advance(10 * MINUTE)  # the hub was down through the deadline
    again = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    # The first sweep after the start works the backlog (the hub serves meanwhile): the
    # overdue DISPATCH (and the shop's STAY_IN_CONTACT) were retried, once each.
    await asyncio.wait_for(again.scheduler.caught_up.wait(), 30)
    assert again.scheduler.fired == 2
    assert await again.scheduler.sweep() == 0
    platform = connect(again, certs_dir, "duty-desk")
    retries = [
        e
        for e in await _events(platform, case_id)
        if "retry 1 of 2" in e.summary and "police-110105" in e.summary
    ]
    assert len(retries) == 1


async def test_the_scheduler_wakes_the_hub_when_a_deadline_is_due(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    # Real time, a tiny deadline, and no sweep by the test: only the scheduler can fire it.
    quick = DeadlinePolicy(
        acknowledge={
            k: {0: dt.timedelta(seconds=0.3)} for k in handoff_pb2.HandoffKind.values()[1:]
        },
        retry_attempts=1,
        retry_jitter=0.0,
    )
    hub = await start_hub(certs_dir, deadlines=quick, deadline_sweep_seconds=3600)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105")
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))
    police = connect(hub, certs_dir, "police-110105")
    # The redelivery arrives on the stream because the scheduler woke at the due time.
    received = await read_inbox(
        police, lambda ms: len([h for h in handoffs(ms) if h.kind == DISPATCH]) >= 2, timeout=20
    )
    assert len({h.handoff_id for h in handoffs(received) if h.kind == DISPATCH}) == 1


async def test_two_hub_processes_fire_thousands_of_deadlines_exactly_once(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, postgres_url: str
) -> None:
    hub = await start_hub(certs_dir, postgres_url, deadline_sweep_seconds=3600)
    shop = connect(hub, certs_dir, "shop-1")
    cases = [
        (
            await shop.report_signal(
                **signal(MERCHANT, buyer=f"p{i}", situation="x", insomnia=True)
            )
        ).case.case_id
        for i in range(40)
    ]
    due = hub.config.clock.now() - MINUTE
    rows = [
        {
            "deadline_id": f"dl-bulk-{i}",
            "kind": "follow_up",
            "case_id": cases[i % len(cases)],
            "due_time": due,
            "attempt": 0,
            "state": "pending",
            "create_time": due,
            "fired_by": "",
        }
        for i in range(3000)
    ]
    await hub.stop()
    with hub.db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO deadline (deadline_id, kind, case_id, due_time, attempt, state,"
                " create_time, fired_by) VALUES (:deadline_id, :kind, :case_id, :due_time,"
                " :attempt, :state, :create_time, :fired_by)"
            ),
            rows,
        )
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.deadline_worker",
            postgres_url,
            str(certs_dir),
            name,
            stdout=asyncio.subprocess.PIPE,
        )
        for name in ("hub-a", "hub-b")
    ]
    counts = [int((await asyncio.wait_for(w.communicate(), 300))[0]) for w in workers]
    assert sum(counts) == 3000, counts
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        fired: dict[str, int] = dict(
            conn.execute(
                sa.text(
                    "SELECT fired_by, count(*) FROM deadline"
                    " WHERE deadline_id LIKE 'dl-bulk-%' GROUP BY fired_by"
                )
            ).all()
        )
        effects = conn.execute(
            sa.text("SELECT count(*) FROM case_event WHERE summary LIKE 'follow-up due%'")
        ).scalar_one()
    engine.dispose()
    # What each process says it fired is what the rows say it claimed: no row twice.
    assert fired == {name: n for name, n in zip(("hub-a", "hub-b"), counts, strict=True) if n}
    # Each deadline's effect was written exactly once.
    assert effects == 3000


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('[deadlines]\nHOLD_ORDER = "5m"\nTELEPORT = "3m"\n', 3, "unknown handoff kind"),
        ('[deadlines]\nHOLD_ORDER = "0m"\n', 2, "not a positive duration"),
        ('[deadlines.DISPATCH]\nIMMINENT = "-3m"\n', 2, "not a positive duration"),
        ('[retry]\nbackoff = "0s"\n', 2, "not a positive duration"),
        (
            '[escalation.backups]\n"police-1" = "police-2"\n'
            '"police-2" = "police-3"\n"police-3" = "police-1"\n',
            2,
            "loop: police-1 -> police-2 -> police-3 -> police-1",
        ),
        ('[escalation]\nsteps = ["backup", "duty_desk", "backup"]\n', 2, "listed twice"),
        ('[escalation]\nsteps = ["backup"]\n', 2, "must end at the duty desk"),
    ],
)
def test_bad_deadline_policy_is_refused_naming_the_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "deadlines.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as error:
        DeadlinePolicy.from_toml(path)
    assert f"deadlines.toml:{line}:" in str(error.value)
    assert message in str(error.value)


def test_a_good_deadline_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "deadlines.toml"
    path.write_text(
        '[deadlines]\nHOLD_ORDER = "2m"\n[deadlines.DISPATCH]\nIMMINENT = "90s"\ndefault = "20m"\n'
        '[retry]\nattempts = 3\nbackoff = "10s"\n'
        '[follow_up]\nafter = ["12h"]\n[retention]\nafter = "30d"\n'
    )
    policy = DeadlinePolicy.from_toml(path)
    assert policy.acknowledge_within(DISPATCH, case_pb2.RISK_LEVEL_IMMINENT) == dt.timedelta(
        seconds=90
    )
    assert policy.acknowledge_within(DISPATCH, case_pb2.RISK_LEVEL_LOW) == dt.timedelta(minutes=20)
    assert policy.acknowledge_within(handoff_pb2.HANDOFF_KIND_HOLD_ORDER, 0) == dt.timedelta(
        minutes=2
    )
    assert policy.retry_attempts == 3 and policy.follow_up_after == (dt.timedelta(hours=12),)
    assert policy.retention == dt.timedelta(days=30)


def test_retry_backoff_is_exponential_with_bounded_jitter() -> None:
    import random

    policy = DeadlinePolicy(
        retry_backoff=dt.timedelta(seconds=30), retry_max_backoff=dt.timedelta(minutes=2)
    )
    rng = random.Random(1)
    for attempt, base in ((1, 30), (2, 60), (3, 120), (4, 120)):
        delay = policy.retry_delay(attempt, rng).total_seconds()
        assert base <= delay <= base * 1.2


def test_rota_is_daylight_saving_safe_and_gaps_are_found(tmp_path: Path) -> None:
    from hub.store.db import Database

    db = Database(f"sqlite:///{tmp_path}/rota.db")
    db.migrate()
    berlin = "Europe/Berlin"
    # The night the clocks go forward (29 March 2026): 20:00 to 08:00 local is 11 hours.
    night = db.transaction(
        lambda s: rota.add_shift(
            s, "duty-a", dt.datetime(2026, 3, 28, 20), dt.datetime(2026, 3, 29, 8), berlin
        )
    )
    assert night.end_time - night.start_time == dt.timedelta(hours=11)
    db.transaction(
        lambda s: rota.add_shift(
            s, "duty-b", dt.datetime(2026, 3, 29, 8), dt.datetime(2026, 3, 29, 19), berlin
        )
    )
    with pytest.raises(rota.RotaError, match="does not exist"):
        db.transaction(
            lambda s: rota.add_shift(
                s, "duty-c", dt.datetime(2026, 3, 29, 2, 30), dt.datetime(2026, 3, 29, 6), berlin
            )
        )
    start = night.start_time
    found = db.transaction(lambda s: rota.gaps(s, start, start + dt.timedelta(hours=24)))
    tz = rota.zone(berlin)
    # 24 hours from 20:00 CET end at 21:00 CEST: the clocks went forward in between.
    assert [(a.astimezone(tz).hour, b.astimezone(tz).hour) for a, b in found] == [(19, 21)]
    handover = rota.to_instant(dt.datetime(2026, 3, 29, 8), tz)
    on_call = db.transaction(lambda s: rota.on_call(s, handover))
    assert on_call is not None and on_call.party_id == "duty-b"
    db.close()
    check = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "rota",
            "check",
            "--start",
            "2026-03-28 20:00",
            "--days",
            "1",
            "--tz",
            berlin,
            "--db",
            f"sqlite:///{tmp_path}/rota.db",
        ],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1
    assert "GAP 2026-03-29 19:00 - 2026-03-29 20:00 Europe/Berlin" in check.stdout


async def test_a_restart_with_a_backlog_serves_at_once_and_works_it_in_the_background(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, sqlite_url: str
) -> None:
    hub = await start_hub(certs_dir, sqlite_url)
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    await hub.stop()
    # The hub was down while a thousand follow-ups fell due (as after a long outage).
    overdue = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    backlog = [
        {
            "deadline_id": f"backlog-{i}",
            "kind": deadline_kinds.FOLLOW_UP,
            "case_id": case_id,
            "due_time": overdue,
            "create_time": overdue,
            "attempt": 0,
            "state": "pending",
            "fired_by": "",
        }
        for i in range(1000)
    ]
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(DeadlineRow), backlog)
    engine.dispose()
    again = await start_hub(certs_dir, sqlite_url)
    # Serving before the backlog is worked: a call is answered meanwhile.
    assert (await connect(again, certs_dir, "duty-desk").whoami()).party_id == "duty-desk"
    assert not again.scheduler.caught_up.is_set()
    await asyncio.wait_for(again.scheduler.caught_up.wait(), 120)
    assert again.scheduler.fired >= 1000
