"""No party can flood the hub: the caps hold (refused with LIMIT_EXCEEDED, nothing
written), a signal names only registered couriers, and one party's burst waits behind
its own work at the database writer. The latency figure is bench/flood.py's."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2, handoff_service_pb2
from sqlmodel import Session

from connectors import HubClient
from connectors.errors import InvalidArgumentError
from hub.domain import caps
from hub.store.db import Database
from hub.store.fair_share import FairShare
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, signal


def _orders(n: int, shop: str = "shop-1") -> list[case_pb2.OrderReference]:
    return [case_pb2.OrderReference(order_id=f"o-{i}", merchant_party_id=shop) for i in range(n)]


def _parcels(n: int, courier: str = "courier-1") -> list[case_pb2.ParcelReference]:
    return [
        case_pb2.ParcelReference(tracking_number=f"SF{i}", courier_party_id=courier)
        for i in range(n)
    ]


async def _cases(desk: HubClient) -> list[case_pb2.Case]:
    return list((await desk.cases.ListCases(case_service_pb2.ListCasesRequest())).cases)


@pytest.mark.parametrize(
    "items, field, limit",
    [
        (dict(orders=_orders(caps.MAX_ORDERS_PER_SIGNAL + 1)), "signal.orders", 5),
        (dict(parcels=_parcels(caps.MAX_PARCELS_PER_SIGNAL + 1)), "signal.parcels", 5),
    ],
    ids=["orders", "parcels"],
)
async def test_a_signal_over_its_caps_is_refused_and_nothing_is_written(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    db_url: str,
    items: dict[str, Any],
    field: str,
    limit: int,
) -> None:
    hub = await start_hub(certs_dir, db_url)
    desk = connect(hub, certs_dir, "duty-desk")
    await connect(hub, certs_dir, "courier-1").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    with pytest.raises(InvalidArgumentError) as refused:
        await shop.report_signal(**signal(MERCHANT, buyer="b", stated_intent=True, **items))
    assert refused.value.reason == "LIMIT_EXCEEDED"
    assert refused.value.metadata == {"field": field, "limit": str(limit)}
    assert await _cases(desk) == []
    # At the cap, the same signal is taken.
    at_cap = {name: value[:limit] for name, value in items.items()}
    await shop.report_signal(**signal(MERCHANT, buyer="b", stated_intent=True, **at_cap))
    assert len(await _cases(desk)) == 1


async def test_a_signal_names_only_registered_couriers(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    desk = connect(hub, certs_dir, "duty-desk")
    shop = connect(hub, certs_dir, "shop-1")
    await connect(hub, certs_dir, "shop-2").whoami()
    for courier in ("courier-nobody", "shop-2"):  # unknown, and a party of another role
        with pytest.raises(InvalidArgumentError) as refused:
            await shop.report_signal(
                **signal(MERCHANT, buyer="b", parcels=_parcels(1, courier), stated_intent=True)
            )
        assert refused.value.reason == "COURIER_NOT_REGISTERED"
        assert refused.value.metadata["field"] == "signal.parcels[0].courier_party_id"
    assert await _cases(desk) == []


async def test_one_reporter_may_send_so_many_signals_an_hour_about_one_person(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str, clock: ManualClock
) -> None:
    # The hub's clock moves an hour; the shops' signatures are made on the real one.
    hub = await start_hub(certs_dir, db_url, clock=clock, signature_skew_seconds=7200)
    shop, other = connect(hub, certs_dir, "shop-1"), connect(hub, certs_dir, "shop-2")
    about_her: dict[str, Any] = dict(buyer="buyer-17", situation="still talking")
    for _ in range(caps.MAX_SIGNALS_PER_CASE_PER_HOUR):
        await shop.report_signal(**signal(MERCHANT, **about_her))
    with pytest.raises(InvalidArgumentError) as refused:
        await shop.report_signal(**signal(MERCHANT, **about_her))
    assert refused.value.reason == "LIMIT_EXCEEDED"
    assert refused.value.metadata["field"] == "signal"
    # Another shop reporting her is not held back, nor is this one about someone else.
    await other.report_signal(**signal(MERCHANT, **about_her))
    await shop.report_signal(**signal(MERCHANT, buyer="buyer-18"))
    # The window slides: an hour later the shop may report her again.
    clock.advance(caps.SIGNAL_WINDOW + dt.timedelta(seconds=1))
    await shop.report_signal(**signal(MERCHANT, **about_her))


async def test_handoffs_per_case_are_capped_and_the_duty_desk_is_told(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(caps, "MAX_HANDOFFS_PER_CASE", 3)
    hub = await start_hub(certs_dir, db_url)
    desk = connect(hub, certs_dir, "duty-desk")
    for party in ("police-110105", "courier-1"):
        await connect(hub, certs_dir, party).whoami()
    response = await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(
            MERCHANT,
            buyer="b",
            address="Flat 8",
            jurisdiction="110105",
            orders=_orders(5),
            stated_intent=True,
            method_prepared=True,
        )
    )
    case_id = response.case.case_id
    listed = await desk.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    assert len(listed.handoffs) == 3
    with pytest.raises(InvalidArgumentError) as refused:
        await desk.handoffs.CreateHandoff(
            handoff_service_pb2.CreateHandoffRequest(
                case_id=case_id,
                kind=handoff_pb2.HANDOFF_KIND_DISPATCH,
                assignee_party_id="police-110105",
            )
        )
    assert refused.value.reason == "LIMIT_EXCEEDED"
    assert refused.value.metadata["field"] == "case_id"
    events = await desk.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id)
    )
    told = [e.summary for e in events.events if "the most it may have" in e.summary]
    assert told and all("the duty desk must act" in s for s in told)


async def test_a_burst_waits_behind_its_own_work_at_the_writer(db_url: str) -> None:
    db = Database(db_url)
    share = FairShare(turns_per_party=100)  # only the writer's fairness is under test here
    ran: list[str] = []
    writing, release = threading.Event(), threading.Event()

    def hold(session: Session) -> None:
        writing.set()
        release.wait()

    def unit(name: str) -> Callable[[Session], None]:
        return lambda session: ran.append(name)

    async def write_as(party: str, name: str) -> None:
        async with share.turn(party):
            await db.write(hold if name == "held" else unit(name))

    try:
        held = asyncio.ensure_future(write_as("shop-1", "held"))
        await asyncio.to_thread(writing.wait)
        burst = [asyncio.ensure_future(write_as("shop-1", f"shop-{i}")) for i in range(20)]
        await asyncio.sleep(0)  # the burst is queued first
        acknowledgement = asyncio.ensure_future(write_as("police-110105", "police"))
        await asyncio.sleep(0)
        release.set()
        await asyncio.gather(held, acknowledgement, *burst)
    finally:
        await asyncio.to_thread(db.close)
    # The police unit goes second at the latest (after one of the shop's, when they tie),
    # not behind the shop's twenty.
    assert ran.index("police") <= 2
    assert [name for name in ran if name.startswith("shop-")] == [f"shop-{i}" for i in range(20)]
