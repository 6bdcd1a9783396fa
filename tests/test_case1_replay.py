"""Domain case 1 replayed with its real time gaps, step by step: who knew what, and when.

A 12-year-old asks shop-1's chat for sleeping pills at 20:00; an earlier overdose
failed; she says she will jump from the 8th floor once her parents are asleep. The
police of her district reach the flat near midnight; at 08:44 the chat sends the
good-morning they agreed on, and she answers. Every party connects through its
connector over mutual TLS; a manual clock plays the twelve hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
from sqlmodel import select

from connectors import client as client_module
from connectors.duty_desk import DutyDeskConnector
from hub import Hub
from hub.domain.deadlines import DeadlinePolicy
from hub.store import rota
from hub.store.models import InboxRow
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, handoffs, read_inbox, signal

H = handoff_pb2.Handoff
K = handoff_pb2
U = inbox_service_pb2.CaseUpdate
MINUTE = dt.timedelta(minutes=1)
BUYER = "buyer-1207"
THREAT = "She says she will jump from the 8th floor once her parents are asleep."
BALCONY = "23:00: she says she is on the balcony now."


def _updates(messages: list[inbox_service_pb2.InboxMessage]) -> list[U]:
    return [m.case_update for m in messages if m.HasField("case_update")]


def _mail(hub: Hub, party_id: str) -> list[inbox_service_pb2.InboxMessage]:
    """Everything the hub has put on a party's inbox so far (its outbox rows)."""
    rows = hub.db.transaction(
        lambda s: s.exec(select(InboxRow).where(InboxRow.party_id == party_id)).all()
    )
    return [inbox_service_pb2.InboxMessage.FromString(r.payload) for r in rows]


def _ours(kind: int, assignee: str) -> Callable[[list[inbox_service_pb2.InboxMessage]], bool]:
    def until(messages: list[inbox_service_pb2.InboxMessage]) -> bool:
        return any(h.kind == kind and h.assignee_party_id == assignee for h in handoffs(messages))

    return until


async def _handoffs(duty: DutyDeskConnector, case_id: str) -> list[H]:
    response = await duty.hub.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id, page_size=500)
    )
    return list(response.handoffs)


async def test_case1_the_relay_keeps_everyone_informed(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The parties sign and check signatures on the replay's clock, twelve hours of it.
    monkeypatch.setattr(client_module, "_now", clock.now)
    hub = await start_hub(
        certs_dir,
        db_url,
        clock=clock,
        deadlines=DeadlinePolicy(retry_attempts=1, retry_jitter=0.0),
        deadline_sweep_seconds=3600,  # the test sweeps
        signature_skew_seconds=86400,  # parties sign in real time; the hub's clock is moved
    )
    for party in ("duty-desk", "shop-1", "police-110105", "committee-110105", "courier-1"):
        await connect(hub, certs_dir, party).whoami()
    # The night shift of the duty desk is on call from 19:00 to 09:00.
    local = clock.now().astimezone(rota.zone("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    hub.db.transaction(
        lambda s: rota.add_shift(
            s, "night", local - 60 * MINUTE, local + 13 * 60 * MINUTE, "Asia/Shanghai", "duty-desk"
        )
    )
    start = clock.now()

    def at(hours: int, minutes: int) -> None:
        """Moves the clock to a time of the evening (20:00 is the start), then sweeps."""
        clock.advance(start + dt.timedelta(hours=hours - 20, minutes=minutes) - clock.now())

    shop = connect(hub, certs_dir, "shop-1")
    police = connect(hub, certs_dir, "police-110105")
    duty = DutyDeskConnector(connect(hub, certs_dir, "duty-desk"))

    # 20:00 The chat flags her: IMMINENT by the rule (an earlier attempt, a stated time).
    reported = await shop.report_signal(
        **signal(
            MERCHANT,
            buyer=BUYER,
            phone="139 1000 1207",
            address="Building 3, flat 802",
            jurisdiction="110105",
            situation="Asked for sleeping pills 'not for an illness'; an earlier overdose failed.",
            stated_intent=True,
            method_prepared=True,
            earlier_attempt=True,
            stated_time=True,
        )
    )
    case_id = reported.case.case_id
    case = (await duty.hub.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))).case
    assert case.risk_level == case_pb2.RISK_LEVEL_IMMINENT

    # The shop is told to keep her talking; the police desk of her district is dispatched.
    shop_inbox = await read_inbox(shop, _ours(K.HANDOFF_KIND_STAY_IN_CONTACT, "shop-1"))
    [keep_talking] = [h for h in handoffs(shop_inbox) if h.kind == K.HANDOFF_KIND_STAY_IN_CONTACT]
    assert "talking" in keep_talking.details.instruction
    await shop.acknowledge_handoff(handoff_id=keep_talking.handoff_id)
    police_inbox = await read_inbox(police, _ours(K.HANDOFF_KIND_DISPATCH, "police-110105"))
    [dispatch] = [h for h in handoffs(police_inbox) if h.kind == K.HANDOFF_KIND_DISPATCH]
    assert dispatch.details.risk_level == case_pb2.RISK_LEVEL_IMMINENT
    assert dispatch.details.address_text == ""  # not before the desk takes the case on

    # 20:02 Police acknowledge; the address and phone are theirs now.
    at(20, 2)
    taken = (await police.acknowledge_handoff(handoff_id=dispatch.handoff_id)).handoff
    assert taken.details.address_text == "Building 3, flat 802"

    # 20:05 The duty desk shares the threat, written in a note, with the police.
    at(20, 5)
    await duty.hub.cases.AddCaseNote(
        case_service_pb2.AddCaseNoteRequest(
            case_id=case_id, text=THREAT, share_with=[party_pb2.ROLE_POLICE]
        )
    )
    police_inbox = await read_inbox(police, lambda ms: any(THREAT in u.text for u in _updates(ms)))
    [shared] = [u for u in _updates(police_inbox) if THREAT in u.text]
    assert shared.kind == U.KIND_SHARED_NOTE and shared.handoff_id == dispatch.handoff_id
    police.verify_case_update(shared)  # signed by the hub, narrowed for the police
    # Nobody else was told: neither the shop nor the committee (not shared, not acknowledged).
    assert not [u for p in ("shop-1", "committee-110105") for u in _updates(_mail(hub, p))]

    # Between acknowledgement and report, the police are chased: no progress by the
    # deadline alerts the on-call duty desk; the dispatch stays with the police.
    within = hub.config.deadlines.progress_within(
        K.HANDOFF_KIND_DISPATCH, case_pb2.RISK_LEVEL_IMMINENT
    )
    assert within is not None
    due = taken.acknowledge_time.ToDatetime(dt.UTC) + within
    clock.advance(due - clock.now() + dt.timedelta(seconds=1))
    await hub.scheduler.sweep()
    work = await _handoffs(duty, case_id)
    [alert] = [h for h in work if h.kind == K.HANDOFF_KIND_DUTY_ALERT]
    assert alert.alert_reason == K.DUTY_ALERT_REASON_PROGRESS_OVERDUE
    assert alert.assignee_party_id == "duty-desk" and alert.alert_handoff_id == dispatch.handoff_id
    assert next(h for h in work if h.handoff_id == dispatch.handoff_id).state == (
        H.STATE_ACKNOWLEDGED
    )
    await duty.hub.acknowledge_handoff(handoff_id=alert.handoff_id)
    await police.report_progress(
        handoff_id=dispatch.handoff_id,
        stage=K.PROGRESS_STAGE_ON_THE_WAY,
        note="car 3 on its way; the family's door is locked",
    )
    await duty.hub.complete_handoff(
        handoff_id=alert.handoff_id,
        outcome=K.Outcome(code=K.OUTCOME_CODE_ALERT_HANDLED, note="called the station"),
    )

    # 23:00 The chat sees more; the policy forwards it to the acknowledged police desk.
    at(23, 0)
    again = await shop.report_signal(
        **signal(MERCHANT, buyer=BUYER, situation=BALCONY, stated_intent=True)
    )
    assert again.case.case_id == case_id
    police_inbox = await read_inbox(police, lambda ms: any(BALCONY in u.text for u in _updates(ms)))
    [forwarded] = [u for u in _updates(police_inbox) if BALCONY in u.text]
    assert forwarded.kind == U.KIND_SITUATION and forwarded.author_party_id == "shop-1"

    # 23:50 On scene; 23:58 found safe. The chat kept her talking all along.
    at(23, 50)
    await police.report_progress(handoff_id=dispatch.handoff_id, stage=K.PROGRESS_STAGE_ON_SCENE)
    at(23, 58)
    await police.complete_handoff(
        handoff_id=dispatch.handoff_id,
        outcome=K.Outcome(code=K.OUTCOME_CODE_PERSON_FOUND_SAFE, note="with her parents"),
    )
    await shop.complete_handoff(
        handoff_id=keep_talking.handoff_id,
        outcome=K.Outcome(code=K.OUTCOME_CODE_CONTACT_KEPT, note="talked for four hours"),
    )
    # They agreed on a good-morning at 08:44: the duty desk schedules the check-in.
    check_in = start + dt.timedelta(hours=12, minutes=44)
    request = handoff_service_pb2.CreateHandoffRequest(
        case_id=case_id,
        kind=K.HANDOFF_KIND_STAY_IN_CONTACT,
        assignee_party_id="shop-1",
        instruction="Send the good-morning you agreed on and tell us whether she answers.",
    )
    request.check_in_time.FromDatetime(check_in)
    morning = (await duty.hub.handoffs.CreateHandoff(request)).handoff
    assert morning.check_in_time.ToDatetime(dt.UTC) == check_in
    await shop.acknowledge_handoff(handoff_id=morning.handoff_id)

    # 00:10 The case is closed; the check-in is not.
    at(24, 10)
    await duty.close(case_id, case_pb2.CaseResolution.CODE_PERSON_SAFE, "safe with her parents")
    [kept] = [h for h in await _handoffs(duty, case_id) if h.handoff_id == morning.handoff_id]
    assert kept.state == H.STATE_ACKNOWLEDGED

    # 08:44 The shop is reminded; she answers; it is reported against the closed case.
    at(32, 44)
    await hub.scheduler.sweep()
    shop_inbox = await read_inbox(
        shop, lambda ms: any(u.kind == U.KIND_CHECK_IN_DUE for u in _updates(ms))
    )
    [reminder] = [u for u in _updates(shop_inbox) if u.kind == U.KIND_CHECK_IN_DUE]
    assert reminder.handoff_id == morning.handoff_id
    replied = await shop.report_signal(
        case_id=case_id,
        **signal(MERCHANT, buyer=BUYER, situation="08:45 she answered the good-morning."),
    )
    assert replied.case.case_id == case_id
    await shop.complete_handoff(
        handoff_id=morning.handoff_id,
        outcome=K.Outcome(code=K.OUTCOME_CODE_PERSON_REPLIED, note="she answered at 08:45"),
    )
    # Nothing opened a second case, and the grace after the check-in alerts nobody.
    clock.advance(dt.timedelta(hours=1))
    await hub.scheduler.sweep()
    board = await duty.hub.cases.ListCases(case_service_pb2.ListCasesRequest(page_size=100))
    assert [c.case_id for c in board.cases] == [case_id]
    alerts = [h for h in await _handoffs(duty, case_id) if h.kind == K.HANDOFF_KIND_DUTY_ALERT]
    assert [a.alert_reason for a in alerts] == [K.DUTY_ALERT_REASON_PROGRESS_OVERDUE]
    # The platform sees the whole story; the shop never learnt the police's report.
    final = (await duty.hub.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case_id))).case
    assert final.state == case_pb2.Case.STATE_CLOSED and final.signal_count == 3
    assert [s.situation for s in final.signals][-1] == "08:45 she answered the good-morning."
    shop_mail = _mail(hub, "shop-1")
    assert not any("with her parents" in str(m) for m in shop_mail)
    assert not any(h.kind == K.HANDOFF_KIND_DISPATCH for h in handoffs(shop_mail))
