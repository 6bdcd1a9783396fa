"""The case engine's rules: bad input refused with a stable reason and nothing
half-written, idempotent retries, visibility, the durable inbox, the timeline."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2

from connectors import HubClient
from connectors.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from hub import Hub
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, handoffs, has_handoff, read_inbox, signal
from wire.errors import LifelineError

H = handoff_pb2.Handoff
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH


def _high(buyer: str, request_id: str = "") -> dict[str, Any]:
    return signal(
        MERCHANT,
        request_id=request_id,
        buyer=buyer,
        address=f"Flat of {buyer}",
        jurisdiction="110105",
        situation="intent and method",
        stated_intent=True,
        method_prepared=True,
    )


async def _registered(connect: ClientFactory, hub: Hub, certs_dir: Path, *parties: str) -> None:
    for party in parties:
        await connect(hub, certs_dir, party).whoami()


async def _case_count(platform: HubClient) -> int:
    return len((await platform.cases.ListCases(case_service_pb2.ListCasesRequest())).cases)


@pytest.mark.parametrize(
    "bad, reason, field",
    [
        (
            signal(MERCHANT, situation="no subject", stated_intent=True),
            "SUBJECT_REQUIRED",
            "signal.subject",
        ),
        (
            signal(MERCHANT, buyer="b", address="x", jurisdiction="1101"),
            "INVALID_JURISDICTION",
            "signal.subject.address.jurisdiction_code",
        ),
        (
            signal(MERCHANT, buyer="b", address="somewhere"),
            "INVALID_JURISDICTION",
            "signal.subject.address.jurisdiction_code",
        ),
        (signal(case_pb2.SIGNAL_SOURCE_HOSPITAL, buyer="b"), "INVALID_ARGUMENT", "signal.source"),
        (
            signal(
                MERCHANT,
                buyer="b",
                orders=[case_pb2.OrderReference(order_id="o", merchant_party_id="shop-2")],
            ),
            "INVALID_ARGUMENT",
            "signal.orders[0].merchant_party_id",
        ),
        (signal(MERCHANT, buyer="b", situation="x" * 2001), "INVALID_ARGUMENT", "signal.situation"),
    ],
    ids=[
        "no-subject",
        "short-jurisdiction",
        "address-without-jurisdiction",
        "wrong-source",
        "another-shops-order",
        "long-situation",
    ],
)
async def test_bad_signals_are_refused_and_nothing_is_written(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    db_url: str,
    bad: dict[str, Any],
    reason: str,
    field: str,
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    with pytest.raises(InvalidArgumentError) as refused:
        await connect(hub, certs_dir, "shop-1").report_signal(**bad)
    assert refused.value.reason == reason
    assert refused.value.metadata["field"] == field
    assert await _case_count(platform) == 0


async def test_request_id_makes_retries_idempotent(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    shop = connect(hub, certs_dir, "shop-1")
    first = await shop.report_signal(**_high("buyer-1", "req-1"))
    again = await shop.report_signal(**_high("buyer-1", "req-1"))
    assert again == first
    platform = connect(hub, certs_dir, "duty-desk")
    assert await _case_count(platform) == 1
    events = await platform.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=first.case.case_id)
    )
    assert sum(e.kind == case_pb2.CaseEvent.KIND_SIGNAL for e in events.events) == 1
    with pytest.raises(InvalidArgumentError) as refused:
        await shop.report_signal(**_high("buyer-2", "req-1"))
    assert refused.value.reason == "REQUEST_ID_REUSED"
    # Request ids are per party: another shop may use the same one.
    other = await connect(hub, certs_dir, "shop-2").report_signal(**_high("buyer-3", "req-1"))
    assert other.signal.signal_id != first.signal.signal_id


async def test_unknown_case_and_foreign_handoffs_are_not_found(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105", "police-110100")
    platform = connect(hub, certs_dir, "duty-desk")
    with pytest.raises(NotFoundError) as missing:
        await platform.cases.GetCase(case_service_pb2.GetCaseRequest(case_id="case-nope"))
    assert missing.value.reason == "CASE_NOT_FOUND"
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**_high("buyer-1"))
    dispatch = handoffs(
        await read_inbox(connect(hub, certs_dir, "police-110105"), has_handoff(DISPATCH))
    )[0]
    # Another desk can neither read nor act on it, nor learn that it exists.
    other = connect(hub, certs_dir, "police-110100")
    with pytest.raises(NotFoundError) as refused:
        await other.handoffs.GetHandoff(
            handoff_service_pb2.GetHandoffRequest(handoff_id=dispatch.handoff_id)
        )
    assert refused.value.reason == "HANDOFF_NOT_FOUND"
    with pytest.raises(NotFoundError):
        await other.acknowledge_handoff(handoff_id=dispatch.handoff_id)
    with pytest.raises(NotFoundError):
        await other.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=reported.case.case_id))
    assert (
        list(
            (await other.handoffs.ListHandoffs(handoff_service_pb2.ListHandoffsRequest())).handoffs
        )
        == []
    )
    # A merchant reads its own events of the timeline only (tests/test_visibility.py);
    # the timeline of a case it takes no part in does not exist for it.
    with pytest.raises(NotFoundError) as hidden:
        await connect(hub, certs_dir, "shop-2").cases.ListCaseEvents(
            case_service_pb2.ListCaseEventsRequest(case_id=reported.case.case_id)
        )
    assert hidden.value.reason == "CASE_NOT_FOUND"
    # The duty desk's verbs stay the duty desk's.
    with pytest.raises(PermissionDeniedError) as denied:
        await connect(hub, certs_dir, "shop-1").cases.ConfirmAddress(
            case_service_pb2.ConfirmAddressRequest(case_id=reported.case.case_id)
        )
    assert denied.value.reason == "ROLE_NOT_PERMITTED"


async def test_transitions_out_of_order_are_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105")
    await connect(hub, certs_dir, "shop-1").report_signal(**_high("buyer-1"))
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    safe = handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE)
    with pytest.raises(FailedPreconditionError) as refused:
        await police.complete_handoff(handoff_id=dispatch.handoff_id, outcome=safe)
    assert refused.value.reason == "ILLEGAL_TRANSITION"
    assert refused.value.metadata == {"from": "STATE_PENDING", "to": "STATE_COMPLETED"}
    await police.acknowledge_handoff(handoff_id=dispatch.handoff_id)
    with pytest.raises(InvalidArgumentError) as wrong:
        await police.complete_handoff(
            handoff_id=dispatch.handoff_id,
            outcome=handoff_pb2.Outcome(code=handoff_pb2.OUTCOME_CODE_PARCEL_INTERCEPTED),
        )
    assert wrong.value.reason == "OUTCOME_NOT_FOR_KIND"
    with pytest.raises(FailedPreconditionError):
        await police.decline_handoff(handoff_id=dispatch.handoff_id, reason="too late")
    got = await police.handoffs.GetHandoff(
        handoff_service_pb2.GetHandoffRequest(handoff_id=dispatch.handoff_id)
    )
    assert got.handoff.state == H.STATE_ACKNOWLEDGED


async def test_no_desk_for_the_jurisdiction_keeps_the_case_and_tells_the_platform(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110100")
    reported = await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(
            MERCHANT,
            buyer="b",
            address="x",
            jurisdiction="650102",
            stated_intent=True,
            method_prepared=True,
        )
    )
    board = await read_inbox(
        platform, lambda ms: any("no police desk" in m.case_notice.summary for m in ms)
    )
    assert board[-1].case_id == reported.case.case_id
    case = (
        await platform.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=reported.case.case_id))
    ).case
    assert case.state == case_pb2.Case.STATE_OPEN and case.risk_level == case_pb2.RISK_LEVEL_HIGH
    # The duty desk hands it on by hand, to a desk it knows.
    created = await platform.handoffs.CreateHandoff(
        handoff_service_pb2.CreateHandoffRequest(
            request_id="manual-1",
            case_id=case.case_id,
            kind=DISPATCH,
            assignee_party_id="police-110100",
            instruction="Call the Urumqi desk by phone and relay",
        )
    )
    assert created.handoff.state == H.STATE_PENDING
    with pytest.raises(FailedPreconditionError) as unsuitable:
        await platform.handoffs.CreateHandoff(
            handoff_service_pb2.CreateHandoffRequest(
                case_id=case.case_id, kind=DISPATCH, assignee_party_id="shop-1"
            )
        )
    assert unsuitable.value.reason == "ASSIGNEE_NOT_SUITABLE"


async def test_closed_case_refuses_work_and_can_be_reopened(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**_high("buyer-1"))
    case_id = reported.case.case_id
    await platform.cases.CloseCase(
        case_service_pb2.CloseCaseRequest(
            case_id=case_id,
            resolution=case_pb2.CaseResolution(code=case_pb2.CaseResolution.CODE_FALSE_REPORT),
        )
    )
    with pytest.raises(FailedPreconditionError) as closed:
        await platform.cases.GradeCase(
            case_service_pb2.GradeCaseRequest(
                case_id=case_id, risk_level=case_pb2.RISK_LEVEL_LOW, reason="x"
            )
        )
    assert closed.value.reason == "CASE_CLOSED"
    # A new signal about the same person after closing opens a new case.
    again = await connect(hub, certs_dir, "shop-2").report_signal(**_high("buyer-1"))
    assert again.case.case_id != case_id
    reopened = await platform.cases.ReopenCase(
        case_service_pb2.ReopenCaseRequest(case_id=case_id, reason="new facts")
    )
    assert reopened.case.state == case_pb2.Case.STATE_OPEN


async def test_offline_party_gets_everything_in_order_and_nothing_twice_in_effect(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105")
    shop = connect(hub, certs_dir, "shop-1")
    cases = [(await shop.report_signal(**_high(f"buyer-{i}"))).case.case_id for i in range(5)]
    police = connect(hub, certs_dir, "police-110105")
    first = await read_inbox(police, lambda ms: len(handoffs(ms)) >= 5)
    assert [m.sequence for m in first] == list(range(1, len(first) + 1))
    assert [h.case_id for h in handoffs(first)] == cases
    # It acknowledges the first two messages only, then "the network drops".
    await police.acknowledge_inbox(first[1].sequence)
    resumed = await read_inbox(police, lambda ms: ms[-1].sequence == first[-1].sequence)
    assert [m.message_id for m in resumed] == [m.message_id for m in first[2:]]
    # Resuming from a cursor of its own works too; a cursor from the future does not.
    from_cursor = await read_inbox(
        police, lambda ms: ms[-1].sequence == first[-1].sequence, after_sequence=first[3].sequence
    )
    assert [m.sequence for m in from_cursor] == [m.sequence for m in first[4:]]
    with pytest.raises(LifelineError) as future:
        await read_inbox(police, lambda ms: True, after_sequence=first[-1].sequence + 100)
    assert future.value.reason == "CURSOR_FROM_FUTURE"
    with pytest.raises(LifelineError) as future_ack:
        await police.acknowledge_inbox(first[-1].sequence + 1)
    assert future_ack.value.reason == "CURSOR_FROM_FUTURE"


async def test_inbox_survives_a_hub_restart(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, sqlite_url: str
) -> None:
    hub = await start_hub(certs_dir, sqlite_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105")
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**_high("buyer-1"))
    await hub.stop()
    again = await start_hub(certs_dir, sqlite_url)
    got = handoffs(
        await read_inbox(connect(again, certs_dir, "police-110105"), has_handoff(DISPATCH))
    )
    assert got[0].case_id == reported.case.case_id


async def test_live_stream_gets_new_work_at_once(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    # A long poll interval: only the doorbell can deliver within the test's bound.
    hub = await start_hub(certs_dir, db_url, inbox_poll_seconds=3600)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105")
    police = connect(hub, certs_dir, "police-110105")
    stream = police.subscribe()
    first = asyncio.ensure_future(stream.__anext__())
    await connect(hub, certs_dir, "shop-1").report_signal(**_high("buyer-1"))
    message = await asyncio.wait_for(first, 10)
    assert message.handoff.kind == DISPATCH
    await stream.aclose()


async def test_audit_verify_names_the_first_broken_link(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, sqlite_url: str
) -> None:
    hub = await start_hub(certs_dir, sqlite_url)
    await connect(hub, certs_dir, "duty-desk").whoami()
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**_high("buyer-1"))
    await hub.stop()

    def verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", "audit", "verify", "--db", sqlite_url],
            capture_output=True,
            text=True,
            timeout=60,
        )

    ok = verify()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "1 case timeline(s) checked, 0 broken" in ok.stdout
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE case_event SET summary = 'nothing happened'"
                " WHERE case_id = :c AND sequence = 2"
            ),
            {"c": reported.case.case_id},
        )
    engine.dispose()
    broken = verify()
    assert broken.returncode == 1
    assert (
        f"BROKEN case {reported.case.case_id}, event 2: content does not match its hash"
        in broken.stdout
    )


async def test_a_message_written_by_another_hub_is_delivered(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    # Two hubs on one database: the party streams from one, the work is written by the other.
    writer = await start_hub(certs_dir, db_url, inbox_poll_seconds=0.2)
    reader = await start_hub(certs_dir, db_url, inbox_poll_seconds=0.2)
    await _registered(connect, writer, certs_dir, "duty-desk", "police-110105")
    police = connect(reader, certs_dir, "police-110105")
    stream = police.subscribe()
    first = asyncio.ensure_future(stream.__anext__())
    reported = await connect(writer, certs_dir, "shop-1").report_signal(**_high("buyer-x"))
    message = await asyncio.wait_for(first, 10)
    assert message.handoff.kind == DISPATCH
    assert message.case_id == reported.case.case_id
    await stream.aclose()
