"""Work chased after acknowledgement, triage, and duty alerts that nobody may ignore;
time driven by a manual clock, never by sleeping."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    party_pb2,
)
from lifeline.hub.v1 import party_service_pb2 as ps

from connectors import HubClient
from connectors.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from hub import Hub
from hub.cases.evidence import export
from hub.domain.deadlines import DeadlinePolicy, PolicyError
from hub.store import rota
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, handoffs, has_handoff, imminent, read_inbox, signal
from wire import claims, reasons, signed

H = handoff_pb2.Handoff
K = handoff_pb2
DISPATCH = K.HANDOFF_KIND_DISPATCH
ALERT = K.HANDOFF_KIND_DUTY_ALERT
ON_THE_WAY = K.PROGRESS_STAGE_ON_THE_WAY
ON_SCENE = K.PROGRESS_STAGE_ON_SCENE
MINUTE = dt.timedelta(minutes=1)
OPTIONS = {
    "deadlines": DeadlinePolicy(retry_attempts=0, retry_jitter=0.0),
    "deadline_sweep_seconds": 3600,  # the test sweeps; the safety net stays out of its way
    "signature_skew_seconds": 90 * 86400,  # parties sign in real time; the hub's clock is moved
}


async def _handoffs(platform: HubClient, case_id: str) -> list[handoff_pb2.Handoff]:
    response = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id, page_size=500)
    )
    return list(response.handoffs)


async def _alerts(platform: HubClient, case_id: str) -> list[handoff_pb2.Handoff]:
    return [h for h in await _handoffs(platform, case_id) if h.kind == ALERT]


async def _events(platform: HubClient, case_id: str) -> list[case_pb2.CaseEvent]:
    response = await platform.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    return list(response.events)


async def _register_platform(platform: HubClient, *party_ids: str) -> None:
    for party_id in party_ids:
        await platform.parties.RegisterParty(
            ps.RegisterPartyRequest(
                party=party_pb2.Party(party_id=party_id, role=party_pb2.ROLE_PLATFORM)
            )
        )


def _on_call(hub: Hub, clock: ManualClock, party_id: str, backup: str | None = None) -> None:
    """A shift in the rota from two minutes ago for ten hours."""
    local = (
        clock.now()
        .astimezone(rota.zone("Asia/Shanghai"))
        .replace(tzinfo=None, second=0, microsecond=0)
    )
    hub.db.transaction(
        lambda s: rota.add_shift(
            s, party_id, local - 2 * MINUTE, local + 600 * MINUTE, "Asia/Shanghai", backup
        )
    )


async def _acknowledged_dispatch(
    hub: Hub, connect: ClientFactory, certs_dir: Path, buyer: str = "b1"
) -> tuple[HubClient, handoff_pb2.Handoff]:
    """An IMMINENT case whose DISPATCH police-110105 has acknowledged (and the shop its
    STAY_IN_CONTACT, so that only the dispatch's deadlines are left to fire)."""
    for party in ("duty-desk", "police-110105", "committee-110105"):
        await connect(hub, certs_dir, party).whoami()
    shop = connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent(buyer))
    stay = handoffs(await read_inbox(shop, has_handoff(K.HANDOFF_KIND_STAY_IN_CONTACT)))
    await shop.acknowledge_handoff(stay[0].handoff_id)
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    await police.acknowledge_handoff(dispatch.handoff_id)
    return police, dispatch


async def test_progress_is_recorded_signed_and_restarts_the_silence_allowed(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    police, dispatch = await _acknowledged_dispatch(hub, connect, certs_dir)
    platform = connect(hub, certs_dir, "duty-desk")
    acknowledged = clock.now()
    got = await police.handoffs.GetHandoff(
        handoff_service_pb2.GetHandoffRequest(handoff_id=dispatch.handoff_id)
    )
    # Once acknowledged, due_time says when the outcome is expected: IMMINENT, 2 hours.
    assert got.handoff.due_time.ToDatetime(dt.UTC) == acknowledged + 120 * MINUTE
    clock.advance(10 * MINUTE)
    reported = (
        await police.report_progress(dispatch.handoff_id, ON_THE_WAY, "two officers, 5 minutes")
    ).handoff
    assert reported.state == H.STATE_ACKNOWLEDGED
    assert reported.progress.stage == ON_THE_WAY
    assert reported.progress.note == "two officers, 5 minutes"
    assert reported.progress.report_time.ToDatetime(dt.UTC) == clock.now()
    # The same report again is answered, not recorded twice (the default request_id).
    again = await police.report_progress(dispatch.handoff_id, ON_THE_WAY, "two officers, 5 minutes")
    assert again.handoff.progress.report_time == reported.progress.report_time
    events = await _events(platform, dispatch.case_id)
    [line] = [e for e in events if "progress from police-110105" in e.summary]
    assert line.summary.endswith(": on the way") and line.note == "two officers, 5 minutes"
    # The signed statement is kept as evidence, bound to the timeline.
    bundle = hub.db.transaction(lambda s: export(s, dispatch.case_id))
    [kept] = [m for m in bundle["messages"] if m["kind"] == "KIND_PROGRESS"]
    assert kept["issuer"] == "police-110105"
    # 20 minutes after acknowledging, but 10 after the report: within the 15 allowed.
    clock.advance(10 * MINUTE)
    assert await hub.scheduler.sweep() == 0
    assert not await _alerts(platform, dispatch.case_id)
    clock.advance(5 * MINUTE)
    assert await hub.scheduler.sweep() == 1
    [alert] = await _alerts(platform, dispatch.case_id)
    assert alert.alert_reason == K.DUTY_ALERT_REASON_PROGRESS_OVERDUE
    assert "within 15m of its last progress report" in alert.details.instruction
    # The outcome ends the chase: nothing fires any more for the dispatch.
    await police.complete_handoff(
        dispatch.handoff_id, handoff_pb2.Outcome(code=K.OUTCOME_CODE_PERSON_FOUND_SAFE)
    )
    await platform.acknowledge_handoff(alert.handoff_id)
    clock.advance(300 * MINUTE)
    assert await hub.scheduler.sweep() == 0


async def test_progress_is_refused_unless_from_the_assignee_of_acknowledged_work(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(certs_dir, clock=clock, **OPTIONS)
    for party in ("duty-desk", "police-110105", "committee-110105", "police-110100"):
        await connect(hub, certs_dir, party).whoami()
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    hid = dispatch.handoff_id
    with pytest.raises(FailedPreconditionError) as pending:
        await police.report_progress(hid, ON_THE_WAY)
    assert pending.value.reason == "HANDOFF_NOT_ACKNOWLEDGED"
    await police.acknowledge_handoff(hid)
    with pytest.raises(InvalidArgumentError) as no_stage:
        await police.report_progress(hid, K.PROGRESS_STAGE_UNSPECIFIED)
    assert no_stage.value.metadata["field"] == "stage"
    with pytest.raises(InvalidArgumentError) as unknown_stage:
        await police.report_progress(hid, 9)
    assert unknown_stage.value.metadata["field"] == "stage"
    # Another desk cannot see the handoff; the platform sees it, but it is not its work.
    with pytest.raises(NotFoundError):
        await connect(hub, certs_dir, "police-110100").report_progress(hid, ON_THE_WAY)
    with pytest.raises(FailedPreconditionError) as platform:
        await connect(hub, certs_dir, "duty-desk").report_progress(hid, ON_THE_WAY)
    assert platform.value.reason == "NOT_ASSIGNEE"
    # What is signed must be what is asked.
    with pytest.raises(InvalidArgumentError) as mismatch:
        await police.handoffs.ReportProgress(
            handoff_service_pb2.ReportProgressRequest(
                handoff_id=hid,
                stage=ON_THE_WAY,
                receipt=police._sign(
                    signed.KIND_PROGRESS, claims.progress_claims(ON_SCENE, ""), hid
                ),
            )
        )
    assert mismatch.value.reason == reasons.SIGNED_CONTENT_MISMATCH
    assert mismatch.value.metadata["field"] == "stage"
    await police.complete_handoff(hid, handoff_pb2.Outcome(code=K.OUTCOME_CODE_PERSON_NOT_FOUND))
    with pytest.raises(FailedPreconditionError) as done:
        await police.report_progress(hid, ON_SCENE)
    assert done.value.reason == "HANDOFF_NOT_ACKNOWLEDGED"


async def test_missed_progress_and_outcome_alert_once_each_and_leave_the_work_in_place(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    police, dispatch = await _acknowledged_dispatch(hub, connect, certs_dir)
    platform = connect(hub, certs_dir, "duty-desk")
    with caplog.at_level(logging.WARNING, logger="hub.cases.alerts"):
        clock.advance(15 * MINUTE)
        assert await hub.scheduler.sweep() == 1
        [progress] = await _alerts(platform, dispatch.case_id)
        assert progress.alert_reason == K.DUTY_ALERT_REASON_PROGRESS_OVERDUE
        assert progress.alert_handoff_id == dispatch.handoff_id
        assert progress.assignee_party_id == "duty-desk"
        await platform.acknowledge_handoff(progress.handoff_id)
        # Four hours on: the outcome (2 h) is overdue too; the progress alert is not raised
        # again, and the dispatch is not handed to anyone else.
        clock.advance(240 * MINUTE)
        await hub.scheduler.sweep()
    alerts = await _alerts(platform, dispatch.case_id)
    assert sorted(a.alert_reason for a in alerts) == [
        K.DUTY_ALERT_REASON_OUTCOME_OVERDUE,
        K.DUTY_ALERT_REASON_PROGRESS_OVERDUE,
    ]
    outcome = next(a for a in alerts if a.alert_reason == K.DUTY_ALERT_REASON_OUTCOME_OVERDUE)
    assert "police-110105 has sent no outcome within 2h of acknowledging" in (
        outcome.details.instruction
    )
    [still] = [h for h in await _handoffs(platform, dispatch.case_id) if h.kind == DISPATCH]
    assert still.handoff_id == dispatch.handoff_id
    assert still.state == H.STATE_ACKNOWLEDGED
    assert still.assignee_party_id == "police-110105"
    summaries = [e.summary for e in await _events(platform, dispatch.case_id)]
    assert any("the work stays with police-110105" in s for s in summaries)
    # One structured log line per alert raised, with the ids as fields.
    raised = [r for r in caplog.records if r.getMessage() == "duty alert raised"]
    assert [(r.reason, r.about_handoff_id) for r in raised] == [  # type: ignore[attr-defined]
        ("DUTY_ALERT_REASON_PROGRESS_OVERDUE", dispatch.handoff_id),
        ("DUTY_ALERT_REASON_OUTCOME_OVERDUE", dispatch.handoff_id),
    ]
    assert {r.case_id for r in raised} == {dispatch.case_id}  # type: ignore[attr-defined]


async def test_a_moderate_case_must_be_triaged_and_grading_it_cancels_the_deadline(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await connect(hub, certs_dir, "duty-desk").whoami()
    platform = connect(hub, certs_dir, "duty-desk")
    shop = connect(hub, certs_dir, "shop-1")
    # A stated intent alone: MODERATE, no handoff goes out by itself.
    unseen, seen = [
        (
            await shop.report_signal(
                **signal(MERCHANT, buyer=buyer, situation="says she is tired", stated_intent=True)
            )
        ).case.case_id
        for buyer in ("b1", "b2")
    ]
    assert not await _handoffs(platform, unseen)
    clock.advance(20 * MINUTE)
    await platform.cases.GradeCase(
        case_service_pb2.GradeCaseRequest(
            case_id=seen, risk_level=case_pb2.RISK_LEVEL_MODERATE, reason="read the chat; watch"
        )
    )
    clock.advance(10 * MINUTE)
    assert await hub.scheduler.sweep() == 1
    [alert] = await _handoffs(platform, unseen)
    assert alert.kind == ALERT and alert.alert_reason == K.DUTY_ALERT_REASON_TRIAGE_OVERDUE
    assert "within 30m" in alert.details.instruction
    assert not await _handoffs(platform, seen)


async def test_an_unroutable_case_alerts_the_on_call_party_once(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await connect(hub, certs_dir, "duty-desk").whoami()
    platform = connect(hub, certs_dir, "duty-desk")
    await _register_platform(platform, "duty-night")
    _on_call(hub, clock, "duty-night", backup="duty-desk")
    shop = connect(hub, certs_dir, "shop-1")
    # No police desk, and no committee, anywhere in 650102's city or province.
    case_id = (await shop.report_signal(**imminent("b1", jurisdiction="650102"))).case.case_id
    await connect(hub, certs_dir, "shop-2").report_signal(**imminent("b1", jurisdiction="650102"))
    [alert] = await _alerts(platform, case_id)
    assert alert.alert_reason == K.DUTY_ALERT_REASON_UNROUTABLE
    assert alert.assignee_party_id == "duty-night"
    assert "no police desk for jurisdiction 650102" in alert.details.instruction


async def test_an_alert_nobody_takes_goes_to_the_backup_then_to_every_platform_party(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    for party in ("duty-desk", "police-110105", "committee-110105"):
        await connect(hub, certs_dir, party).whoami()
    platform = connect(hub, certs_dir, "duty-desk")
    await _register_platform(platform, "duty-night", "duty-wang", "duty-li")
    _on_call(hub, clock, "duty-night", backup="duty-wang")
    shop = connect(hub, certs_dir, "shop-1")
    case_id = (await shop.report_signal(**imminent("b1", jurisdiction="650102"))).case.case_id
    [first] = await _alerts(platform, case_id)
    assert first.assignee_party_id == "duty-night"
    # IMMINENT: a minute to acknowledge an alert; then the shift's backup.
    clock.advance(MINUTE)
    await hub.scheduler.sweep()
    chain = {h.assignee_party_id: h for h in await _alerts(platform, case_id)}
    assert set(chain) == {"duty-night", "duty-wang"}
    assert chain["duty-night"].state == H.STATE_ESCALATED
    backup = chain["duty-wang"]
    assert backup.escalated_from_handoff_id == first.handoff_id
    assert backup.alert_reason == K.DUTY_ALERT_REASON_UNROUTABLE
    # Then everyone on the platform at once, each with a handoff linked to the backup's.
    clock.advance(MINUTE)
    await hub.scheduler.sweep()
    everyone = [
        h
        for h in await _alerts(platform, case_id)
        if h.escalated_from_handoff_id == backup.handoff_id
    ]
    assert sorted(h.assignee_party_id for h in everyone) == ["duty-desk", "duty-li"]
    assert {h.state for h in everyone} == {H.STATE_PENDING}
    # Never to a desk of another role.
    assert {h.assignee_party_id for h in await _alerts(platform, case_id)} <= {
        "duty-night",
        "duty-wang",
        "duty-desk",
        "duty-li",
    }
    # The first to acknowledge takes it; the other copy is withdrawn.
    mine = next(h for h in everyone if h.assignee_party_id == "duty-desk")
    await platform.acknowledge_handoff(mine.handoff_id)
    states = {h.assignee_party_id: h.state for h in await _alerts(platform, case_id)}
    assert states["duty-desk"] == H.STATE_ACKNOWLEDGED
    assert states["duty-li"] == H.STATE_CANCELLED
    clock.advance(60 * MINUTE)
    await hub.scheduler.sweep()
    assert len(await _alerts(platform, case_id)) == 4


async def test_the_alert_says_declined_by_all_or_expired_as_the_chain_ended(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    for party in ("duty-desk", "police-110105", "committee-110105"):
        await connect(hub, certs_dir, party).whoami()
    platform = connect(hub, certs_dir, "duty-desk")
    police = connect(hub, certs_dir, "police-110105")
    shop = connect(hub, certs_dir, "shop-1")
    declined = (await shop.report_signal(**imminent("b1"))).case.case_id
    silent = (await shop.report_signal(**imminent("b2"))).case.case_id
    [dispatch] = [h for h in await _handoffs(platform, declined) if h.kind == DISPATCH]
    await police.decline_handoff(dispatch.handoff_id, "no car free")
    # The chain ends at the duty desk, which declines too.
    [desk] = [
        h
        for h in await _handoffs(platform, declined)
        if h.kind == DISPATCH and h.assignee_party_id == "duty-desk"
    ]
    await platform.decline_handoff(desk.handoff_id, "cannot go out")
    [alert] = await _alerts(platform, declined)
    assert alert.alert_reason == K.DUTY_ALERT_REASON_DECLINED_BY_ALL
    assert alert.alert_handoff_id == desk.handoff_id
    # Nobody answers on the other case: police, then the duty desk, run out of time.
    clock.advance(3 * MINUTE)
    await hub.scheduler.sweep()
    clock.advance(3 * MINUTE)
    await hub.scheduler.sweep()
    [alert] = await _alerts(platform, silent)
    assert alert.alert_reason == K.DUTY_ALERT_REASON_EXPIRED


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('[outcome]\nHOLD_ORDER = "1h"\nTELEPORT = "3m"\n', 3, "unknown handoff kind"),
        ('[outcome.DISPATCH]\nIMMINENT = "0h"\n', 2, "not a positive duration"),
        ('[progress.DISPATCH]\nHIGH = "30m"\nURGENT = "5m"\n', 3, "unknown risk level"),
        ('[progress.FOLLOW_UP]\nHIGH = "12h"\n', 1, "needs a default"),
        ('[retry]\nattempts = 1\n[triage]\nMODERATE = "soon"\n', 4, "not a positive duration"),
        ('[triage]\ndefault = "4h"\nSEVERE = "1m"\n', 3, "unknown risk level"),
    ],
)
def test_bad_chase_deadlines_are_refused_naming_the_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "deadlines.toml"
    path.write_text(text)
    with pytest.raises(PolicyError) as error:
        DeadlinePolicy.from_toml(path)
    assert f"deadlines.toml:{line}:" in str(error.value)
    assert message in str(error.value)


def test_chase_deadlines_from_a_policy_file_over_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "deadlines.toml"
    path.write_text(
        '[outcome]\nHOLD_ORDER = "10m"\n[outcome.DISPATCH]\nIMMINENT = "90m"\n'
        '[progress.FOLLOW_UP]\ndefault = "1d"\n'
        '[triage]\nMODERATE = "20m"\n'
    )
    policy = DeadlinePolicy.from_toml(path)
    imminent_, high, moderate, low = (
        case_pb2.RISK_LEVEL_IMMINENT,
        case_pb2.RISK_LEVEL_HIGH,
        case_pb2.RISK_LEVEL_MODERATE,
        case_pb2.RISK_LEVEL_LOW,
    )
    assert policy.outcome_within(DISPATCH, imminent_) == 90 * MINUTE
    assert policy.outcome_within(DISPATCH, high) == 240 * MINUTE  # the default stays
    assert policy.outcome_within(K.HANDOFF_KIND_HOLD_ORDER, low) == 10 * MINUTE
    assert policy.outcome_within(K.HANDOFF_KIND_STAY_IN_CONTACT, high) is None
    assert policy.progress_within(DISPATCH, imminent_) == 15 * MINUTE
    assert policy.progress_within(K.HANDOFF_KIND_FOLLOW_UP, low) == dt.timedelta(days=1)
    assert policy.triage_within(moderate) == 20 * MINUTE
    assert policy.triage_within(low) == dt.timedelta(hours=4)
