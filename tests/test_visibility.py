"""What each party sees is the policy, through every read (hub/store/visibility.py): the
timeline, case notices, ReportSignal's answer; addresses reporters disagree on."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2

from connectors import HubClient
from connectors.errors import InvalidArgumentError, NotFoundError
from hub import Hub
from hub.cases import evidence
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, handoffs, has_handoff, read_inbox, signal
from wire.identity import Role

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
HOLD = handoff_pb2.HANDOFF_KIND_HOLD_ORDER
E = case_pb2.CaseEvent
PHONE = "13800138000"
OVERRIDE_REASON = "she named the bridge; override"
DESK_NOTE = "mother says she has been drinking"
CLOSE_NOTE = "taken to Anding hospital, psychiatric ward"


def _report(
    shop: str, order: str, *, address: str = "Room 5, Unit 2", code: str = "110105"
) -> dict[str, Any]:
    return signal(
        MERCHANT,
        phone=PHONE,
        address=address,
        jurisdiction=code,
        orders=[case_pb2.OrderReference(order_id=order, item_summary="sleeping pills")],
        parcels=(
            [case_pb2.ParcelReference(tracking_number="SF77", courier_party_id="courier-1")]
            if shop == "shop-1"
            else []
        ),
        situation="'Don't stop me, it's not my first time'",
        stated_intent=True,
        method_prepared=True,
        earlier_attempt=True,
    )


async def _events(client: HubClient, case_id: str, page_size: int = 1000) -> list[E]:
    """Every page of the timeline as this party reads it."""
    events: list[E] = []
    token = ""
    while True:
        page = await client.cases.ListCaseEvents(
            case_service_pb2.ListCaseEventsRequest(
                case_id=case_id, page_size=page_size, page_token=token
            )
        )
        events += page.events
        token = page.next_page_token
        if not token:
            return events


async def _case2(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> tuple[Hub, str, str]:
    """Domain case 2, played through: two shops, one person; her order held, police sent,
    the duty desk's note, override and close with a note."""
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    for party in ("duty-desk", "police-110105", "committee-110105", "courier-1"):
        await connect(hub, certs_dir, party).whoami()
    first = await connect(hub, certs_dir, "shop-1").report_signal(**_report("shop-1", "o-shop1-9"))
    case_id = first.case.case_id
    shop1 = connect(hub, certs_dir, "shop-1")
    hold = handoffs(await read_inbox(shop1, has_handoff(HOLD)))[0]
    await shop1.acknowledge_handoff(hold.handoff_id)
    await shop1.complete_handoff(
        hold.handoff_id, handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_ORDER_HELD)
    )
    await connect(hub, certs_dir, "shop-2").report_signal(**_report("shop-2", "o-shop2-7"))
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    await police.acknowledge_handoff(dispatch.handoff_id)
    await police.report_progress(dispatch.handoff_id, handoff_pb2.PROGRESS_STAGE_ON_SCENE)
    await platform.cases.AddCaseNote(
        case_service_pb2.AddCaseNoteRequest(case_id=case_id, text=DESK_NOTE)
    )
    await platform.cases.GradeCase(
        case_service_pb2.GradeCaseRequest(
            case_id=case_id, risk_level=case_pb2.RISK_LEVEL_IMMINENT, reason=OVERRIDE_REASON
        )
    )
    await police.complete_handoff(
        dispatch.handoff_id,
        handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PERSON_TAKEN_TO_HOSPITAL),
    )
    await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            case_id=case_id,
            resolution=case_pb2.CaseResolution(
                code=case_pb2.CaseResolution.CODE_HOSPITALISED, note=CLOSE_NOTE
            ),
        )
    )
    return hub, case_id, dispatch.handoff_id


def _text(events: list[E]) -> str:
    return "\n".join(f"{e.actor_party_id} {e.summary} {e.note}" for e in events)


async def test_each_party_reads_the_timeline_the_policy_gives_it(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub, case_id, dispatch_id = await _case2(start_hub, connect, certs_dir, db_url)
    everything = _text(await _events(connect(hub, certs_dir, "duty-desk"), case_id))
    assert "o-shop1-9" in everything and CLOSE_NOTE in everything  # the platform sees it all

    # shop-2: its own signal, hold and STAY_IN_CONTACT (each made, then the hold done and
    # the stay withdrawn at closing), and that its work is over; nothing of shop-1's.
    shop2 = await _events(connect(hub, certs_dir, "shop-2"), case_id, page_size=1)
    seen = _text(shop2)
    assert "shop-1" not in seen and "o-shop1" not in seen and "SF77" not in seen
    assert "hospitalised" not in seen and CLOSE_NOTE not in seen and DESK_NOTE not in seen
    assert [e.kind for e in shop2] == [E.KIND_SIGNAL, *[E.KIND_HANDOFF] * 4, E.KIND_CLOSE]
    assert shop2[-1].summary == "case closed: your work on it is over"
    # No place in the chain: where its first event sits would tell it the case's history.
    assert all(e.sequence == 0 and not e.hash and not e.withheld for e in shop2)

    # The police: its own DISPATCH, the signals and grades; not the shops' holds and
    # outcomes, nor the duty desk's note, override reason or close note.
    police = await _events(connect(hub, certs_dir, "police-110105"), case_id, page_size=4)
    shown = [e for e in police if not e.withheld]
    seen = _text(shown)
    assert f"dispatch to police-110105 ({dispatch_id})" in seen
    assert f"police-110105 completed the dispatch ({dispatch_id}): person taken to hospital" in seen
    assert f"{dispatch_id} progress from police-110105: on scene" in seen
    assert "hold order" not in seen and "order held" not in seen and "shop-" not in seen
    for secret in ("o-shop1-9", "o-shop2-7", "SF77", OVERRIDE_REASON, DESK_NOTE, CLOSE_NOTE):
        assert secret not in seen
    assert "case closed" in seen and "hospitalised" not in seen
    assert {E.KIND_SIGNAL, E.KIND_GRADE, E.KIND_CLOSE} <= {e.kind for e in shown}
    # Withheld events keep their place: the police can check the whole chain.
    assert any(e.withheld for e in police)
    assert [e.sequence for e in police] == list(range(1, len(police) + 1))
    previous = bytes(32)
    for e in police:
        assert e.previous_hash == (previous if e.sequence > 1 else bytes.fromhex("0" * 64))
        assert hashlib.sha256(e.previous_hash + e.body_hash).digest() == e.hash
        previous = e.hash

    # The committee follows her up, so it learns how the case ended; not the close note.
    committee = _text(await _events(connect(hub, certs_dir, "committee-110105"), case_id))
    assert "case closed: hospitalised" in committee and CLOSE_NOTE not in committee


async def test_close_notice_tells_a_courier_its_work_is_over_not_the_resolution(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub, case_id, _ = await _case2(start_hub, connect, certs_dir, db_url)
    for party in ("courier-1", "shop-1"):
        received = await read_inbox(
            connect(hub, certs_dir, party),
            lambda ms: any(m.case_notice.event_kind == E.KIND_CLOSE for m in ms),
        )
        notice = next(m.case_notice for m in received if m.case_notice.event_kind == E.KIND_CLOSE)
        assert notice.summary == "case closed: your work on it is over", party
        assert not notice.case.HasField("resolution")
        notices = " ".join(m.case_notice.summary for m in received)
        assert "hospitalised" not in notices and "duty-desk" not in notices


async def test_report_signal_tells_a_merchant_nothing_of_an_existing_case(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await connect(hub, certs_dir, "duty-desk").whoami()
    # Someone already in crisis, reported by another shop.
    await connect(hub, certs_dir, "shop-2").report_signal(**_report("shop-2", "o-2"))
    shop = connect(hub, certs_dir, "shop-1")
    # Both in grave danger by the shop's own report: either way the shop is asked to keep
    # the person talking (STAY_IN_CONTACT), whether or not a case existed.
    grave: dict[str, Any] = {"stated_intent": True, "method_prepared": True, "stated_time": True}
    known = await shop.report_signal(
        **signal(MERCHANT, phone=PHONE, situation="asks for pills", **grave)
    )
    new = await shop.report_signal(
        **signal(MERCHANT, phone="13900000000", situation="asks for pills", **grave)
    )

    def shape(message: Message) -> set[str]:
        return {field.name for field, _ in message.ListFields()}

    assert shape(known) == shape(new) and not known.merged and not new.merged
    assert shape(known.case) == shape(new.case) == {"case_id", "state"}
    # Reading the case back tells it no more.
    for answer in (known, new):
        case = await shop.cases.GetCase(
            case_service_pb2.GetCaseRequest(case_id=answer.case.case_id)
        )
        assert shape(case.case) == {"case_id", "state"}
        events = await _events(shop, answer.case.case_id)
        assert [e.kind for e in events] == [E.KIND_SIGNAL, E.KIND_HANDOFF]
    # Nor can it sort its cases by a grade it may not see.
    with pytest.raises(InvalidArgumentError) as refused:
        await shop.cases.ListCases(
            case_service_pb2.ListCasesRequest(minimum_risk_level=case_pb2.RISK_LEVEL_HIGH)
        )
    assert refused.value.metadata["field"] == "minimum_risk_level"


async def test_a_second_address_waits_for_the_duty_desk(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    for party in ("duty-desk", "police-110105", "police-110100", "police-410100"):
        await connect(hub, certs_dir, party).whoami()
    first = await connect(hub, certs_dir, "shop-1").report_signal(
        **_report("shop-2", "o-1", address="Flat 8, Building 3", code="110105")
    )
    case_id = first.case.case_id
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    second = await connect(hub, certs_dir, "shop-2").report_signal(
        **_report("shop-2", "o-2", address="No. 9 Wenhua Road", code="410100")
    )
    # The duty desk is told; the case keeps both, and the first stays in effect.
    told = await read_inbox(
        platform, lambda ms: any(m.case_notice.event_kind == E.KIND_ADDRESS for m in ms)
    )
    assert any("address conflict" in m.case_notice.summary for m in told)
    case = (await platform.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))).case
    assert case.jurisdiction_code == "110105"
    assert [(c.address.text, c.in_effect) for c in case.address_candidates] == [
        ("Flat 8, Building 3", True),
        ("No. 9 Wenhua Road", False),
    ]
    assert case.address_candidates[1].candidate_id == second.signal.signal_id
    # Declined, the dispatch escalates along the first address's chain, with its address.
    await police.decline_handoff(dispatch.handoff_id, "no car free")

    async def dispatches() -> list[handoff_pb2.Handoff]:
        listed = await platform.handoffs.ListHandoffs(
            handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
        )
        return [h for h in listed.handoffs if h.kind == DISPATCH]

    escalated = [h for h in await dispatches() if h.escalated_from_handoff_id]
    assert [
        (h.assignee_party_id, h.details.jurisdiction_code, h.details.address_text)
        for h in escalated
    ] == [("police-110100", "110105", "Flat 8, Building 3")]
    # The duty desk confirms the second address: the open dispatch is cancelled, and the
    # desk of the confirmed address gets a new one.
    confirmed = await platform.cases.ConfirmAddress(
        case_service_pb2.ConfirmAddressRequest(
            case_id=case_id, candidate_id=second.signal.signal_id
        )
    )
    assert confirmed.case.jurisdiction_code == "410100"
    assert [c.in_effect for c in confirmed.case.address_candidates] == [False, True]
    after = {h.handoff_id: h for h in await dispatches()}
    assert after[escalated[0].handoff_id].state == handoff_pb2.Handoff.STATE_CANCELLED
    fresh = [h for h in after.values() if h.state == handoff_pb2.Handoff.STATE_PENDING]
    assert [(h.assignee_party_id, h.details.address_text) for h in fresh] == [
        ("police-410100", "No. 9 Wenhua Road")
    ]
    # An id that is not a candidate is refused, naming the field.
    with pytest.raises(NotFoundError) as refused:
        await platform.cases.ConfirmAddress(
            case_service_pb2.ConfirmAddressRequest(case_id=case_id, candidate_id="sig-nope")
        )
    assert refused.value.reason == "ADDRESS_CANDIDATE_NOT_FOUND"
    assert refused.value.metadata["field"] == "candidate_id"


async def test_evidence_for_a_role_equals_the_live_read(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub, case_id, _ = await _case2(start_hub, connect, certs_dir, db_url)
    for party, role in (
        ("police-110105", Role.POLICE),
        ("committee-110105", Role.COMMITTEE),
        ("shop-2", Role.MERCHANT),
        ("courier-1", Role.COURIER),
    ):
        live = await _events(connect(hub, certs_dir, party), case_id, page_size=3)
        bundle = hub.db.transaction(
            lambda s, r=role, p=party: evidence.export(s, case_id, r, p)  # type: ignore[misc]
        )
        chain = bundle["timelines"][case_id]
        exported = [
            (e["view"]["kind"], e["view"]["actor"], e["view"]["summary"], e["view"]["note"])
            for e in chain
            if "view" in e
        ]
        assert exported == [
            (E.Kind.Name(e.kind), e.actor_party_id, e.summary, e.note)
            for e in live
            if not e.withheld
        ], party
        if role in (Role.POLICE, Role.COMMITTEE):
            assert [(e["sequence"], e["hash"], e["body_hash"], "view" not in e) for e in chain] == [
                (e.sequence, e.hash.hex(), e.body_hash.hex(), e.withheld) for e in live
            ], party
