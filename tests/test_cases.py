"""The domain's real cases, end to end through real gRPC clients over mutual TLS,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2

from connectors import HubClient
from hub import Hub
from hub.store import timeline
from tests.conftest import ClientFactory, HubFactory
from tests.flows import HOSPITAL, MERCHANT, RISK_MODEL, handoffs, has_handoff, read_inbox, signal

pytestmark = pytest.mark.usefixtures("db_url")

H = handoff_pb2.Handoff
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
FOLLOW_UP = handoff_pb2.HANDOFF_KIND_FOLLOW_UP
HOLD_ORDER = handoff_pb2.HANDOFF_KIND_HOLD_ORDER
INTERCEPT = handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL
CONSULT = handoff_pb2.HANDOFF_KIND_MEDICAL_CONSULT
STAY = handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT


async def _events(platform: HubClient, case_id: str) -> list[case_pb2.CaseEvent]:
    response = await platform.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    return list(response.events)


def _chain_ok(hub: Hub) -> None:
    results = hub.db.transaction(lambda s: list(timeline.verify_all(s)))
    assert results and all(link is None for _, link in results), results


async def test_case1_the_twelve_year_old(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    police = connect(hub, certs_dir, "police-110105")
    await platform.whoami()
    await police.whoami()
    await connect(hub, certs_dir, "committee-110105").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    reported = await shop.report_signal(
        **signal(
            MERCHANT,
            request_id="chat-2000",
            buyer="buyer-12",
            phone="139 1111 2222",
            address="Building 3, 8th floor, flat 802",
            jurisdiction="110105",
            situation="Asked for sleeping pills; an earlier overdose failed; will jump from the"
            " 8th floor once her parents are asleep.",
            stated_intent=True,
            method_prepared=True,
            earlier_attempt=True,
            stated_time=True,
        )
    )
    case_id = reported.case.case_id
    assert not reported.merged
    # A merchant sees its case, but not its grade: that is not a merchant's to know.
    assert reported.case.risk_level == case_pb2.RISK_LEVEL_UNSPECIFIED
    case = (await platform.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))).case
    assert case.risk_level == case_pb2.RISK_LEVEL_IMMINENT

    # The police desk of her district gets a DISPATCH: where, how grave, what happened,
    # but not yet the exact address.
    messages = await read_inbox(police, has_handoff(DISPATCH))
    dispatch = handoffs(messages)[0]
    assert dispatch.case_id == case_id
    assert dispatch.details.jurisdiction_code == "110105"
    assert dispatch.details.risk_level == case_pb2.RISK_LEVEL_IMMINENT
    assert "8th floor" in dispatch.details.situation
    assert dispatch.details.address_text == "" and dispatch.details.contact_phone == ""
    await police.acknowledge_inbox(messages[-1].sequence)
    delivered = await police.handoffs.GetHandoff(
        handoff_service_pb2.GetHandoffRequest(handoff_id=dispatch.handoff_id)
    )
    assert delivered.handoff.state == H.STATE_DELIVERED

    acked = await police.acknowledge_handoff(request_id="ack-1", handoff_id=dispatch.handoff_id)
    assert acked.handoff.state == H.STATE_ACKNOWLEDGED
    # Once it has the case, the desk learns the address and phone, on the stream too.
    assert acked.handoff.details.address_text == "Building 3, 8th floor, flat 802"
    assert acked.handoff.details.contact_phone == "139 1111 2222"
    after_ack = await read_inbox(
        police,
        has_handoff(DISPATCH, H.STATE_ACKNOWLEDGED),
        after_sequence=messages[-1].sequence,
    )
    assert handoffs(after_ack)[-1].details.address_text == "Building 3, 8th floor, flat 802"

    done = await police.complete_handoff(
        request_id="done-1",
        handoff_id=dispatch.handoff_id,
        outcome=handoff_pb2.Outcome(
            code=handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE, note="reached the flat at 23:58"
        ),
    )
    assert done.handoff.state == H.STATE_COMPLETED
    closed = await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            request_id="close-1",
            case_id=case_id,
            resolution=case_pb2.CaseResolution(code=case_pb2.CaseResolution.CODE_PERSON_SAFE),
        )
    )
    assert closed.case.state == case_pb2.Case.STATE_CLOSED
    # The committee's open FOLLOW_UP was withdrawn with the case.
    all_handoffs = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    states = {(h.kind, h.state) for h in all_handoffs.handoffs}
    # So was the shop's STAY_IN_CONTACT (it had no check-in ahead).
    assert states == {
        (DISPATCH, H.STATE_COMPLETED),
        (FOLLOW_UP, H.STATE_CANCELLED),
        (STAY, H.STATE_CANCELLED),
    }

    kinds = [e.kind for e in await _events(platform, case_id)]
    assert kinds[:2] == [case_pb2.CaseEvent.KIND_SIGNAL, case_pb2.CaseEvent.KIND_GRADE]
    assert case_pb2.CaseEvent.KIND_DELIVERY in kinds
    assert kinds[-1] == case_pb2.CaseEvent.KIND_CLOSE
    # The duty desk knew every step.
    board = await read_inbox(
        platform,
        lambda ms: any(m.case_notice.event_kind == case_pb2.CaseEvent.KIND_CLOSE for m in ms),
    )
    assert {m.case_id for m in board} == {case_id}
    _chain_ok(hub)


async def test_case2_several_shops_one_person(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    for party in ("police-110105", "committee-110105"):
        await connect(hub, certs_dir, party).whoami()
    first = await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-77",
            phone="+86 138-0013-8000",
            situation="Looking for a large amount of sleeping pills",
            searched_for_methods=True,
        )
    )
    second = await connect(hub, certs_dir, "shop-2").report_signal(
        **signal(
            MERCHANT,
            phone="13800138000",
            address="Room 5, Unit 2",
            jurisdiction="110105",
            situation="'Don't stop me, it's not my first time'",
            stated_intent=True,
            method_prepared=True,
            earlier_attempt=True,
        )
    )
    # A shop is not told that the person already had a case; the duty desk sees the merge.
    assert not first.merged and not second.merged
    assert second.case.case_id == first.case.case_id
    case_id = first.case.case_id
    listed = await platform.cases.ListCases(case_service_pb2.ListCasesRequest())
    assert [c.case_id for c in listed.cases] == [case_id]
    case = listed.cases[0]
    assert case.risk_level == case_pb2.RISK_LEVEL_IMMINENT
    events = await _events(platform, case_id)
    merge = [e for e in events if e.kind == case_pb2.CaseEvent.KIND_MERGE]
    assert len(merge) == 1 and "shop-1" in merge[0].summary and "shop-2" in merge[0].summary
    # The police and the residents' committee near her are contacted; the shop whose
    # chat she is in now keeps her talking.
    made = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    assert {(h.kind, h.assignee_party_id) for h in made.handoffs} == {
        (DISPATCH, "police-110105"),
        (FOLLOW_UP, "committee-110105"),
        (STAY, "shop-2"),
    }
    # Each shop sees the case it took part in; a courier sees nothing.
    for shop in ("shop-1", "shop-2"):
        seen = await connect(hub, certs_dir, shop).cases.ListCases(
            case_service_pb2.ListCasesRequest()
        )
        assert [c.case_id for c in seen.cases] == [case_id]
    courier = await connect(hub, certs_dir, "courier-1").cases.ListCases(
        case_service_pb2.ListCasesRequest()
    )
    assert list(courier.cases) == []
    _chain_ok(hub)


async def test_two_open_cases_found_to_be_one_person_are_merged(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    await platform.whoami()
    a = await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(MERCHANT, buyer="buyer-a", situation="a", recent_setback=True)
    )
    b = await connect(hub, certs_dir, "shop-2").report_signal(
        **signal(MERCHANT, phone="13900000001", situation="b", insomnia=True)
    )
    assert a.case.case_id != b.case.case_id
    bridge = await platform.report_signal(
        **signal(RISK_MODEL, buyer="buyer-a", phone="13900000001", searched_for_methods=True)
    )
    assert bridge.merged and bridge.case.case_id == a.case.case_id
    # Two markers from two shops: the merged case grades higher than either alone.
    assert bridge.case.risk_level == case_pb2.RISK_LEVEL_MODERATE
    absorbed = (
        await platform.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=b.case.case_id))
    ).case
    assert absorbed.state == case_pb2.Case.STATE_CLOSED
    assert absorbed.merged_into_case_id == a.case.case_id
    seen = await connect(hub, certs_dir, "shop-2").cases.GetCase(
        case_service_pb2.GetCaseRequest(case_id=a.case.case_id)
    )
    assert seen.case.case_id == a.case.case_id
    _chain_ok(hub)


async def test_case3_pesticide_shop(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    await platform.whoami()
    await connect(hub, certs_dir, "police-410100").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    reported = await shop.report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-henan",
            address="Village 4, house 12",
            jurisdiction="410102",
            orders=[case_pb2.OrderReference(order_id="o-3", item_summary="pesticide, 1 L")],
            situation="Asked if someone who drinks it would die quickly; mother's medical debts",
            recent_setback=True,
            stated_intent=True,
        )
    )
    case_id = reported.case.case_id
    graded = await platform.cases.GradeCase(
        case_service_pb2.GradeCaseRequest(
            request_id="grade-1",
            case_id=case_id,
            risk_level=case_pb2.RISK_LEVEL_HIGH,
            reason="she has the pesticide in her basket; treat the method as prepared",
        )
    )
    assert graded.case.risk_level == case_pb2.RISK_LEVEL_HIGH and graded.case.risk_overridden
    # The order is held with the merchant; police of the city are sent (no district desk).
    messages = await read_inbox(shop, has_handoff(HOLD_ORDER))
    hold = handoffs(messages)[0]
    assert hold.details.order_id == "o-3"
    # A merchant learns its order and the instruction, nothing of her state of mind.
    assert hold.details.situation == "" and hold.details.risk_level == 0
    made = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    # No residents' committee serves her village: the on-call duty desk gets an alert.
    assert {(h.kind, h.assignee_party_id) for h in made.handoffs} == {
        (HOLD_ORDER, "shop-1"),
        (STAY, "shop-1"),
        (DISPATCH, "police-410100"),
        (handoff_pb2.HANDOFF_KIND_DUTY_ALERT, "duty-desk"),
    }
    alert = next(h for h in made.handoffs if h.kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT)
    assert alert.alert_reason == handoff_pb2.DUTY_ALERT_REASON_UNROUTABLE
    assert "no committee desk for jurisdiction 410102" in alert.details.instruction
    events = await _events(platform, case_id)
    assert any("no committee desk for jurisdiction 410102" in e.summary for e in events)
    await shop.acknowledge_handoff(handoff_id=hold.handoff_id)
    await shop.complete_handoff(
        handoff_id=hold.handoff_id,
        outcome=handoff_pb2.Outcome(
            code=handoff_pb2.OUTCOME_CODE_ORDER_CANCELLED,
            note="talked till midnight; she cancelled the order herself",
        ),
    )
    closed = await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            case_id=case_id,
            resolution=case_pb2.CaseResolution(
                code=case_pb2.CaseResolution.CODE_DE_ESCALATED, note="de-escalated by the merchant"
            ),
        )
    )
    assert closed.case.resolution.code == case_pb2.CaseResolution.CODE_DE_ESCALATED
    _chain_ok(hub)


async def test_case6_hospital_as_the_source(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    police = connect(hub, certs_dir, "police-110105")
    await platform.whoami()
    await police.whoami()
    hospital = connect(hub, certs_dir, "hospital-1")
    reported = await hospital.report_signal(
        **signal(
            HOSPITAL,
            phone="13712345678",
            address="No. 9 Hepingli",
            jurisdiction="110105",
            situation="Patient wrote in the consultation chat that tonight is the end",
            clinical="Major depressive disorder; prescribed sertraline 100 mg",
            stated_intent=True,
            method_prepared=True,
            psychiatric_history=True,
        )
    )
    # The grade is the duty desk's to read; the reporter is told the case id only.
    graded = await platform.cases.GetCase(
        case_service_pb2.GetCaseRequest(case_id=reported.case.case_id)
    )
    assert graded.case.risk_level == case_pb2.RISK_LEVEL_HIGH
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    # Police get the situation, not the clinical record.
    assert dispatch.details.clinical_facts == ""
    # The reporting hospital treats its own patient: it is not sent a consult about them.
    made = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=reported.case.case_id)
    )
    assert not [h for h in made.handoffs if h.kind == CONSULT]
    await police.acknowledge_handoff(handoff_id=dispatch.handoff_id)
    done = await police.complete_handoff(
        handoff_id=dispatch.handoff_id,
        outcome=handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PERSON_TAKEN_TO_HOSPITAL),
    )
    assert done.handoff.outcome.code == handoff_pb2.OUTCOME_CODE_PERSON_TAKEN_TO_HOSPITAL
    _chain_ok(hub)


async def test_parcel_and_courier_see_only_the_parcel(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await connect(hub, certs_dir, "courier-1").whoami()
    await connect(hub, certs_dir, "duty-desk").whoami()
    await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(
            MERCHANT,
            buyer="buyer-chili",
            orders=[case_pb2.OrderReference(order_id="o-9", item_summary="chili peppers, 5 kg")],
            parcels=[
                case_pb2.ParcelReference(
                    tracking_number="SF123", courier_party_id="courier-1", order_id="o-9"
                )
            ],
            situation="Says he will die by eating them",
            stated_intent=True,
            method_prepared=True,
        )
    )
    courier = connect(hub, certs_dir, "courier-1")
    intercept = handoffs(await read_inbox(courier, has_handoff(INTERCEPT)))[0]
    assert intercept.details.tracking_number == "SF123"
    assert intercept.details.instruction
    visible = {f.name for f, _ in intercept.details.ListFields()}
    assert visible == {"tracking_number", "instruction"}
