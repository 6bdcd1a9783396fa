"""Case rules run on the use cases directly (tests/in_process.py): no gRPC, no TLS, an
in-process SQLite store, a manual clock. Fast, so the rules can be many."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lifeline.hub.v1 import case_pb2, handoff_pb2

from hub.domain.errors import HubError
from tests.conftest import PARTIES, ManualClock
from tests.in_process import InProcessHub
from wire.identity import PartyIdentity, Role

H = handoff_pb2.Handoff
SHOP, POLICE, BACKUP, DESK = (
    PARTIES["shop-1"],
    PARTIES["police-110105"],
    PARTIES["police-110100"],
    PARTIES["duty-desk"],
)


@pytest.fixture
async def hub(sqlite_url: str, certs_dir: Path, clock: ManualClock) -> AsyncIterator[InProcessHub]:
    opened = await InProcessHub.open(sqlite_url, certs_dir, clock)
    await opened.admit(DESK, SHOP, POLICE, BACKUP)
    yield opened
    opened.close()


def _signal(buyer: str, **indicators: bool) -> case_pb2.Signal:
    return case_pb2.Signal(
        source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
        subject=case_pb2.SubjectReference(
            buyer_id=buyer, address=case_pb2.Address(jurisdiction_code="110105", text="Flat 1")
        ),
        indicators=case_pb2.RiskIndicators(**indicators),
        situation="says goodbye",
    )


async def test_an_imminent_signal_opens_a_case_and_dispatches_the_local_police(
    hub: InProcessHub,
) -> None:
    answer = await hub.report(SHOP, _signal("b-1", stated_intent=True, method_prepared=True))
    assert answer.signal.case_id and not answer.merged
    [dispatch] = [
        h for h in await hub.handoffs_of(POLICE) if h.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
    ]
    assert dispatch.case_id == answer.signal.case_id
    assert dispatch.state == H.STATE_PENDING
    assert dispatch.details.address_text == ""  # disclosed only after acknowledging


async def test_a_second_signal_about_the_same_person_joins_the_open_case(
    hub: InProcessHub,
) -> None:
    first = await hub.report(SHOP, _signal("b-2", stated_intent=True, method_prepared=True))
    second = await hub.report(SHOP, _signal("b-2", stated_intent=True))
    assert second.signal.case_id == first.signal.case_id


async def test_an_unacknowledged_dispatch_is_escalated_to_the_parent_jurisdiction(
    hub: InProcessHub,
) -> None:
    await hub.report(SHOP, _signal("b-3", stated_intent=True, method_prepared=True))
    # Retries first, then escalation: an hour of silence is far past all of them.
    for _ in range(6):
        await hub.pass_time(dt.timedelta(minutes=10))
    states = {h.state for h in await hub.handoffs_of(POLICE)}
    assert H.STATE_ESCALATED in states
    [taken_over] = [
        h for h in await hub.handoffs_of(BACKUP) if h.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
    ]
    assert taken_over.escalated_from.party_id == POLICE.party_id


async def test_an_acknowledged_dispatch_discloses_the_address_and_is_not_escalated(
    hub: InProcessHub,
) -> None:
    await hub.report(SHOP, _signal("b-4", stated_intent=True, method_prepared=True))
    [dispatch] = [
        h for h in await hub.handoffs_of(POLICE) if h.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
    ]
    answer = await hub.acknowledge(POLICE, dispatch.handoff_id)
    assert answer.handoff.state == H.STATE_ACKNOWLEDGED
    assert answer.handoff.details.address_text == "Flat 1"
    await hub.pass_time(dt.timedelta(minutes=10))
    assert not [
        h for h in await hub.handoffs_of(BACKUP) if h.kind == handoff_pb2.HANDOFF_KIND_DISPATCH
    ]


async def test_a_party_of_another_role_is_refused_as_a_reporter(hub: InProcessHub) -> None:
    police_signal = _signal("b-5", stated_intent=True)
    with pytest.raises(HubError) as refused:
        await hub.report(PartyIdentity("police-110105", Role.POLICE, "110105"), police_signal)
    assert refused.value.metadata["field"] == "signal.source"
