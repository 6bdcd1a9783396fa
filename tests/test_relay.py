"""The relay after dispatch (hub/relay.py): shared notes and new words from the chat
reach the desks on their way, signed and narrowed; a late desk learns another is on
its way; the chat stays in contact and its check-in is chased, even after closing; a
message after closing joins the closed case. Time is a manual clock, never a sleep."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    party_pb2,
)

from connectors import HubClient
from connectors import client as client_module
from connectors.duty_desk import DutyDeskConnector
from connectors.errors import InvalidArgumentError, NotFoundError
from connectors.merchant import MerchantConnector
from hub import Hub
from hub.cases.evidence import export, verify
from hub.domain.deadlines import DeadlinePolicy
from hub.domain.policy import HandoffPolicy
from hub.store import inbox
from hub.store.certs import load_certificate
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, handoffs, has_handoff, imminent, read_inbox, signal
from wire import claims, signed
from wire.identity import Role

H = handoff_pb2.Handoff
U = inbox_service_pb2.CaseUpdate
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
STAY = handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT
ALERT = handoff_pb2.HANDOFF_KIND_DUTY_ALERT
SIGNAL = case_pb2.CaseEvent.KIND_SIGNAL
MINUTE = dt.timedelta(minutes=1)
OPTIONS = {
    "deadlines": DeadlinePolicy(retry_attempts=2, retry_jitter=0.0),
    "deadline_sweep_seconds": 3600,  # the test sweeps; the safety net stays out of its way
}
EVERYONE = ("duty-desk", "police-110105", "committee-110105", "shop-1", "courier-1")


@pytest.fixture(autouse=True)
def _connectors_on_hub_time(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connectors sign and verify on the hub's manual clock, hours ahead of real time."""
    monkeypatch.setattr(client_module, "_now", clock.now)


async def _registered(connect: ClientFactory, hub: Hub, certs_dir: Path, *parties: str) -> None:
    for party in parties:
        await connect(hub, certs_dir, party).whoami()


async def _handoffs(platform: HubClient, case_id: str) -> list[handoff_pb2.Handoff]:
    response = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    return list(response.handoffs)


async def _events(platform: HubClient, case_id: str) -> list[case_pb2.CaseEvent]:
    response = await platform.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    return list(response.events)


def _updates(hub: Hub, party_id: str) -> list[inbox_service_pb2.CaseUpdate]:
    """Every case update on a party's inbox, straight from the store: what it was sent,
    whether or not it has connected since."""
    rows = hub.db.transaction(lambda s: inbox.read(s, party_id, 0))
    messages = [inbox_service_pb2.InboxMessage.FromString(r.payload) for r in rows]
    return [m.case_update for m in messages if m.HasField("case_update")]


async def _read_updates(client: HubClient, count: int = 1) -> list[inbox_service_pb2.CaseUpdate]:
    """The party's case updates as its connector receives them (each signature verified)."""
    messages = await read_inbox(
        client, lambda ms: sum(m.HasField("case_update") for m in ms) >= count
    )
    return [m.case_update for m in messages if m.HasField("case_update")]


def _disclosed(update: inbox_service_pb2.CaseUpdate) -> set[str]:
    return {name for _, name, _ in signed.disclosure_names(update.signed_update)}


async def _take(client: HubClient, kind: int) -> handoff_pb2.Handoff:
    """Reads the party's first handoff of a kind and acknowledges it."""
    received = handoffs(await read_inbox(client, has_handoff(kind)))
    handoff = next(h for h in received if h.kind == kind)
    await client.acknowledge_handoff(handoff.handoff_id)
    return handoff


async def _note(
    client: HubClient, case_id: str, text: str, *roles: int, signal_id: str = ""
) -> None:
    await DutyDeskConnector(client).note(case_id, text, share_with=roles, signal_id=signal_id)


async def test_a_shared_note_reaches_the_desks_that_acknowledged_narrowed_for_each(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, *EVERYONE)
    platform = connect(hub, certs_dir, "duty-desk")
    police, shop = connect(hub, certs_dir, "police-110105"), connect(hub, certs_dir, "shop-1")
    courier = connect(hub, certs_dir, "courier-1")
    parcel = case_pb2.ParcelReference(tracking_number="SF1", courier_party_id="courier-1")
    reported = await shop.report_signal(
        **signal(
            MERCHANT,
            buyer="b1",
            address="Building 3, flat 802",
            jurisdiction="110105",
            parcels=[parcel],
            situation="asked for sleeping pills; an earlier overdose failed",
            stated_intent=True,
            method_prepared=True,
            stated_time=True,
        )
    )
    case_id = reported.case.case_id
    await _take(police, DISPATCH)
    await _take(courier, handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL)
    await _take(shop, STAY)
    # The committee has its FOLLOW_UP but has not acknowledged it.

    threat = "She will jump from the 8th floor once her parents are asleep."
    await _note(platform, case_id, threat, party_pb2.ROLE_POLICE, party_pb2.ROLE_COMMITTEE)
    [update] = await _read_updates(police)
    assert update.kind == U.KIND_SHARED_NOTE
    assert update.author_party_id == "duty-desk"
    assert update.text == threat
    assert update.risk_level == case_pb2.RISK_LEVEL_IMMINENT
    assert update.signed_update.disclosures  # verified by the connector as it arrived
    assert _updates(hub, "committee-110105") == []  # not on its way: it has not acknowledged
    assert _updates(hub, "shop-1") == [] and _updates(hub, "courier-1") == []

    # The signal's situation with a note, shared with the police, the shop and the courier:
    # only the police see the situation and the grade; the others only the desk's note.
    signal_id = reported.signal.signal_id
    keep = "Keep her talking; the police are on the way."
    await _note(
        platform,
        case_id,
        keep,
        party_pb2.ROLE_POLICE,
        party_pb2.ROLE_MERCHANT,
        party_pb2.ROLE_COURIER,
        signal_id=signal_id,
    )
    shared = (await _read_updates(police, 2))[1]
    assert shared.text == f"asked for sleeping pills; an earlier overdose failed\n{keep}"
    for party in (shop, courier):
        [narrowed] = await _read_updates(party)
        assert narrowed.text == keep
        assert narrowed.risk_level == case_pb2.RISK_LEVEL_UNSPECIFIED
        assert _disclosed(narrowed) == {claims.UPDATE_KIND, claims.AUTHOR, claims.NOTE}
    assert _disclosed(shared) == {
        claims.UPDATE_KIND,
        claims.AUTHOR,
        claims.SITUATION,
        claims.NOTE,
        claims.RISK_LEVEL,
    }
    # The platform's timeline says who was told; evidence keeps every signed update.
    told = [e.summary for e in await _events(platform, case_id) if " sent to " in e.summary]
    assert [s.split(" sent to ")[1] for s in told] == [
        "police-110105",
        "courier-1",
        "police-110105",
        "shop-1",
    ]
    ca = load_certificate(certs_dir / "ca.pem")
    bundle = hub.db.transaction(lambda s: export(s, case_id))
    kinds = [m["kind"] for m in bundle["messages"]]
    assert kinds.count("KIND_CASE_UPDATE") == 4
    assert verify(bundle, ca).messages == len(kinds)
    mine = hub.db.transaction(lambda s: export(s, case_id, Role.POLICE, "police-110105"))
    assert [m["kind"] for m in mine["messages"]].count("KIND_CASE_UPDATE") == 2


async def test_only_the_platform_shares_and_only_with_roles_working_on_cases(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(certs_dir, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, *EVERYONE)
    platform = connect(hub, certs_dir, "duty-desk")
    police = connect(hub, certs_dir, "police-110105")
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    await _take(police, DISPATCH)
    with pytest.raises(InvalidArgumentError) as refused:
        await _note(police, case_id, "on our way", party_pb2.ROLE_COMMITTEE)
    assert refused.value.metadata["field"] == "share_with"
    with pytest.raises(InvalidArgumentError) as refused:
        await _note(
            platform, case_id, "to ourselves", party_pb2.ROLE_POLICE, party_pb2.ROLE_PLATFORM
        )
    assert refused.value.metadata["field"] == "share_with[1]"
    with pytest.raises(InvalidArgumentError) as refused:
        await _note(platform, case_id, "x", party_pb2.ROLE_POLICE, signal_id="sig-elsewhere")
    assert refused.value.metadata["field"] == "signal_id"
    assert _updates(hub, "police-110105") == []


@pytest.mark.parametrize("forward", [True, False])
async def test_new_words_from_the_chat_reach_the_police_on_their_way_by_policy(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    forward: bool,
) -> None:
    policy = HandoffPolicy() if forward else HandoffPolicy(forward_situation_levels=frozenset())
    hub = await start_hub(certs_dir, db_url, clock=clock, policy=policy, **OPTIONS)
    await _registered(connect, hub, certs_dir, *EVERYONE)
    police, shop = connect(hub, certs_dir, "police-110105"), connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent("b1"))  # 20:00
    await _take(police, DISPATCH)  # 20:10
    clock.advance(170 * MINUTE)
    balcony = signal(MERCHANT, buyer="b1", situation="she is on the balcony")
    await shop.report_signal(**balcony)  # 23:00, the same person: the same case
    if not forward:
        assert _updates(hub, "police-110105") == []
        return
    [update] = await _read_updates(police)
    assert (update.kind, update.author_party_id, update.text) == (
        U.KIND_SITUATION,
        "shop-1",
        "she is on the balcony",
    )
    # The committee, which has not acknowledged, is not a desk on its way.
    assert _updates(hub, "committee-110105") == []


def test_the_forwarding_grades_come_from_the_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text('[handoffs]\nforward_situation_levels = ["IMMINENT"]\n')
    assert HandoffPolicy.from_toml(path).forward_situation_levels == {case_pb2.RISK_LEVEL_IMMINENT}
    assert HandoffPolicy().forward_situation_levels == {
        case_pb2.RISK_LEVEL_HIGH,
        case_pb2.RISK_LEVEL_IMMINENT,
    }
    path.write_text('[handoffs]\nforward_situation_levels = ["SEVERE"]\n')
    with pytest.raises(ValueError, match="forward_situation_levels"):
        HandoffPolicy.from_toml(path)
    path.write_text('[check_in]\ngrace = "30m"\n')
    assert DeadlinePolicy.from_toml(path).check_in_grace == 30 * MINUTE
    assert DeadlinePolicy().check_in_grace == 15 * MINUTE


async def test_escalated_work_says_where_it_came_from_and_a_late_desk_learns_of_the_other(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, *EVERYONE, "police-110100")
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    for wait in (3 * MINUTE, 30 * dt.timedelta(seconds=1), MINUTE):  # two retries, then on
        clock.advance(wait)
        await hub.scheduler.sweep()
    city = connect(hub, certs_dir, "police-110100")
    [escalated] = handoffs(await read_inbox(city, has_handoff(DISPATCH)))
    origin = escalated.escalated_from
    assert origin.party_id == "police-110105"
    assert origin.handoff_id == escalated.escalated_from_handoff_id
    assert origin.reason == "police-110105 has not acknowledged in time"
    # The hub signed it too (the connector checked the claim against the field).
    messages = await read_inbox(city, has_handoff(DISPATCH))
    assert claims.ESCALATED_FROM in {
        name for _, name, _ in signed.disclosure_names(messages[0].signed_handoff)
    }

    district = connect(hub, certs_dir, "police-110105")
    await district.acknowledge_handoff(origin.handoff_id)  # late
    [told] = await _read_updates(district)
    assert told.kind == U.KIND_ANOTHER_DESK_ON_WAY and told.author_party_id == "hub"
    assert told.handoff_id == origin.handoff_id
    assert f"police-110100 also has this work ({escalated.handoff_id})" in told.text
    [other] = await _read_updates(city)
    assert other.kind == U.KIND_ANOTHER_DESK_ON_WAY and other.handoff_id == escalated.handoff_id
    assert "police-110105" in other.text and "late" in other.text
    platform = connect(hub, certs_dir, "duty-desk")
    assert any("another desk on its way" in e.summary for e in await _events(platform, case_id))


async def test_the_chat_stays_in_contact_and_the_morning_check_in_is_chased_after_closing(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    """Domain case 1: 20:00 the chat reports; the police reach her near midnight and the
    case is closed; the good-morning agreed for 08:44 is still chased."""
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, *EVERYONE)
    platform = connect(hub, certs_dir, "duty-desk")
    police, shop = connect(hub, certs_dir, "police-110105"), connect(hub, certs_dir, "shop-1")
    evening = clock.now()
    case_id = (await shop.report_signal(**imminent("b1"))).case.case_id
    # The hub asks the reporting shop to keep her talking.
    keep_talking = await _take(shop, STAY)
    assert keep_talking.assignee_party_id == "shop-1"
    assert "Keep the person talking" in keep_talking.details.instruction
    await _take(police, DISPATCH)
    await _take(connect(hub, certs_dir, "committee-110105"), handoff_pb2.HANDOFF_KIND_FOLLOW_UP)

    desk = DutyDeskConnector(platform)
    for kind, when in ((STAY, evening - MINUTE), (DISPATCH, evening + MINUTE)):
        with pytest.raises(InvalidArgumentError) as refused:
            await desk.hand_off(case_id, kind, "shop-1", check_in_time=when)
        assert refused.value.metadata["field"] == "check_in_time"
    morning = evening + dt.timedelta(hours=12, minutes=44)
    check_in = await desk.hand_off(case_id, STAY, "shop-1", check_in_time=morning)
    assert check_in.check_in_time.ToDatetime(dt.UTC) == morning
    await shop.acknowledge_handoff(check_in.handoff_id)

    clock.advance(dt.timedelta(hours=4))  # midnight: found, and the case is closed
    await hub.scheduler.sweep()
    await _found_and_closed(police, platform, case_id)
    states = {h.handoff_id: h.state for h in await _handoffs(platform, case_id)}
    assert states[keep_talking.handoff_id] == H.STATE_CANCELLED
    assert states[check_in.handoff_id] == H.STATE_ACKNOWLEDGED  # the promise outlives the case

    clock.advance(morning - clock.now())  # 08:44
    assert await hub.scheduler.sweep() >= 1
    [reminder] = [u for u in _updates(hub, "shop-1") if u.kind == U.KIND_CHECK_IN_DUE]
    assert reminder.handoff_id == check_in.handoff_id
    assert f"{morning:%H:%M} UTC" in reminder.text

    # (The police's four silent hours raised their own overdue alerts; the check-in's
    # alert is the one this test follows.)
    def missed(handoffs: list[handoff_pb2.Handoff]) -> list[handoff_pb2.Handoff]:
        return [
            h
            for h in handoffs
            if h.kind == ALERT and h.alert_reason == handoff_pb2.DUTY_ALERT_REASON_CHECK_IN_MISSED
        ]

    assert not missed(await _handoffs(platform, case_id))
    clock.advance(15 * MINUTE)  # no word from the shop within the grace
    await hub.scheduler.sweep()
    [alert] = missed(await _handoffs(platform, case_id))
    assert alert.alert_reason == handoff_pb2.DUTY_ALERT_REASON_CHECK_IN_MISSED
    assert alert.alert_handoff_id == check_in.handoff_id
    assert alert.assignee_party_id == "duty-desk"
    # She answered after all: the shop reports it on the closed case.
    replied = await MerchantConnector(shop).stayed_in_contact(
        check_in.handoff_id, handoff_pb2.OUTCOME_CODE_PERSON_REPLIED, "she answered good morning"
    )
    assert replied.state == H.STATE_COMPLETED


async def _found_and_closed(police: HubClient, platform: HubClient, case_id: str) -> None:
    [dispatch] = [h for h in await _handoffs(platform, case_id) if h.kind == DISPATCH]
    await police.complete_handoff(
        dispatch.handoff_id,
        handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE, note="at 23:58"),
    )
    await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            case_id=case_id,
            resolution=case_pb2.CaseResolution(code=case_pb2.CaseResolution.CODE_PERSON_SAFE),
        )
    )


async def test_a_message_after_closing_joins_the_closed_case_and_opens_none(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await _registered(connect, hub, certs_dir, *EVERYONE, "shop-2")
    platform = connect(hub, certs_dir, "duty-desk")
    police, shop = connect(hub, certs_dir, "police-110105"), connect(hub, certs_dir, "shop-1")
    case_id = (await shop.report_signal(**imminent("b1"))).case.case_id
    await _take(police, DISPATCH)
    await _found_and_closed(police, platform, case_id)

    morning = signal(
        MERCHANT, buyer="b1", situation="she answered: good morning", stated_intent=True
    )
    joined = await shop.report_signal(**morning, case_id=case_id)
    assert joined.case.case_id == case_id
    listed = await platform.cases.ListCases(case_service_pb2.ListCasesRequest())
    assert [c.case_id for c in listed.cases] == [case_id]
    assert listed.cases[0].state == case_pb2.Case.STATE_CLOSED
    events = await _events(platform, case_id)
    [arrived] = [e for e in events if joined.signal.signal_id in e.summary and e.kind == SIGNAL]
    assert events.index(arrived) > [e.kind for e in events].index(case_pb2.CaseEvent.KIND_CLOSE)
    assert "came on the closed case, which stays closed" in events[-1].summary
    # The duty desk decides to reopen: the shop is asked again to keep her talking.
    await platform.cases.ReopenCase(
        case_service_pb2.ReopenCaseRequest(case_id=case_id, reason="she wrote again")
    )
    stays = [h.state for h in await _handoffs(platform, case_id) if h.kind == STAY]
    assert sorted(stays) == [H.STATE_PENDING, H.STATE_CANCELLED]
    # A shop not on the case cannot name it, any more than see it; nor a case that is not.
    for party, named in (("shop-2", case_id), ("shop-1", "case-none")):
        with pytest.raises(NotFoundError):
            await connect(hub, certs_dir, party).report_signal(**morning, case_id=named)
