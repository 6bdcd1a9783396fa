"""A desk cut off (revoked, deactivated, expired) is cut off everywhere, within seconds:
its open inbox stream ends, its work is handed on, routing never picks it again."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from lifeline.hub.v1 import (
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    party_pb2,
)
from lifeline.hub.v1 import party_service_pb2 as ps
from sqlmodel import Session

from connectors import ConnectorConfig, HubClient
from connectors.errors import (
    AuthenticationError,
    FailedPreconditionError,
    PermissionDeniedError,
)
from hub import Hub
from hub.store import certs
from hub.store.certs import CertificateAuthority
from hub.store.models import PartyRow
from hub.store.registry import DEACTIVATED
from hub.store.revocation import RevocationList
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import handoffs, imminent, read_inbox
from tests.pki import mint
from wire.errors import LifelineError
from wire.identity import PartyIdentity, Role

H = handoff_pb2.Handoff
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
# The issue's bound: a cut-off desk's stream ends within this. A safety net, not a sleep.
WITHIN = 5.0


async def _registered(connect: ClientFactory, hub: Hub, certs_dir: Path, *parties: str) -> None:
    for party in parties:
        await connect(hub, certs_dir, party).whoami()


async def _dispatch_held_by(client: HubClient) -> tuple[AsyncIterator, handoff_pb2.Handoff]:
    """Opens the desk's inbox stream and reads until its DISPATCH arrives; the stream stays open."""
    stream = client.subscribe()
    while True:
        message = await asyncio.wait_for(anext(stream), WITHIN)
        if message.HasField("handoff") and message.handoff.kind == DISPATCH:
            return stream, message.handoff


async def _end_of(stream: AsyncIterator) -> tuple[LifelineError, list]:
    """Waits for the open stream to end; returns how, and what it delivered meanwhile."""
    delivered: list[inbox_service_pb2.InboxMessage] = []

    async def drain() -> None:
        async for message in stream:
            delivered.append(message)

    with pytest.raises(LifelineError) as ended:
        await asyncio.wait_for(drain(), WITHIN)
    return ended.value, delivered


async def _summaries(platform: HubClient, case_id: str) -> list[str]:
    response = await platform.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    return [e.summary for e in response.events]


async def _dispatch_assignees(platform: HubClient, case_id: str) -> dict[str, H]:
    response = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    return {h.assignee_party_id: h for h in response.handoffs if h.kind == DISPATCH}


async def _handed_on(successor: HubClient, handoff_id: str) -> H:
    """The successor desk's copy of the work escalated from `handoff_id`."""
    received = await read_inbox(
        successor,
        lambda ms: any(h.escalated_from_handoff_id == handoff_id for h in handoffs(ms)),
    )
    return next(h for h in handoffs(received) if h.escalated_from_handoff_id == handoff_id)


async def test_a_revoked_desk_is_cut_off_everywhere_within_seconds(
    start_hub: HubFactory, connect: ClientFactory, fresh_certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(fresh_certs_dir, db_url)
    await _registered(
        connect,
        hub,
        fresh_certs_dir,
        "duty-desk",
        "police-110105",
        "committee-110105",
        "police-110100",
    )
    platform = connect(hub, fresh_certs_dir, "duty-desk")
    shop = connect(hub, fresh_certs_dir, "shop-1")
    case_id = (await shop.report_signal(**imminent("b1"))).case.case_id
    police = connect(hub, fresh_certs_dir, "police-110105")
    stream, dispatch = await _dispatch_held_by(police)

    CertificateAuthority(fresh_certs_dir).revoke("police-110105")
    ended, delivered = await _end_of(stream)
    assert isinstance(ended, AuthenticationError)
    assert ended.reason == "PARTY_REVOKED"
    assert delivered == []  # not even the news that its work was handed on

    # Its unacknowledged DISPATCH goes up the chain (the city desk), saying why.
    successor = await _handed_on(
        connect(hub, fresh_certs_dir, "police-110100"), dispatch.handoff_id
    )
    assert successor.state == H.STATE_PENDING
    assert (await _dispatch_assignees(platform, case_id))["police-110105"].state == (
        H.STATE_ESCALATED
    )
    assert any(
        "escalated to police-110100" in s and "police-110105's certificate was revoked" in s
        for s in await _summaries(platform, case_id)
    )
    got = await platform.parties.GetParty(ps.GetPartyRequest(party_id="police-110105"))
    assert got.party.state == party_pb2.Party.STATE_REVOKED

    # New work in its district never reaches it, nor can the duty desk hand it any.
    second = (await shop.report_signal(**imminent("b2"))).case.case_id
    assert set(await _dispatch_assignees(platform, second)) == {"police-110100"}
    with pytest.raises(FailedPreconditionError) as refused_handoff:
        await platform.handoffs.CreateHandoff(
            handoff_service_pb2.CreateHandoffRequest(
                case_id=second, kind=DISPATCH, assignee_party_id="police-110105"
            )
        )
    assert refused_handoff.value.reason == "PARTY_REVOKED"
    assert refused_handoff.value.metadata["field"] == "assignee_party_id"

    # A deleted crl.pem re-admits nobody: not this hub, nor one started without the file.
    (fresh_certs_dir / certs.CRL).unlink()
    with pytest.raises(AuthenticationError) as refused:
        await police.whoami()
    assert refused.value.reason == "PARTY_REVOKED"
    await hub.stop()
    again = await start_hub(fresh_certs_dir, db_url)
    with pytest.raises(AuthenticationError) as refused:
        await connect(again, fresh_certs_dir, "police-110105").whoami()
    assert refused.value.reason == "PARTY_REVOKED"
    third = (
        await connect(again, fresh_certs_dir, "shop-1").report_signal(**imminent("b3"))
    ).case.case_id
    assert set(await _dispatch_assignees(connect(again, fresh_certs_dir, "duty-desk"), third)) == {
        "police-110100"
    }


async def test_a_deactivated_desk_is_cut_off_on_every_hub_and_its_acknowledged_work_moves(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    # Two hub processes on one database: the desk is connected to the second,
    # the platform deactivates it through the first.
    hub = await start_hub(certs_dir, db_url)
    other = await start_hub(certs_dir, db_url)
    await _registered(
        connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105", "police-110100"
    )
    platform = connect(hub, certs_dir, "duty-desk")
    shop = connect(hub, certs_dir, "shop-1")
    case_id = (await shop.report_signal(**imminent("b1"))).case.case_id
    police = connect(other, certs_dir, "police-110105")
    stream, dispatch = await _dispatch_held_by(police)
    # It took the job, and then is taken off the rota before finishing it.
    await police.acknowledge_handoff(dispatch.handoff_id)

    await platform.parties.DeactivateParty(
        ps.DeactivatePartyRequest(party_id="police-110105", reason="station merged")
    )
    ended, _ = await _end_of(stream)
    assert isinstance(ended, PermissionDeniedError)
    assert ended.reason == "PARTY_DEACTIVATED"

    # A desk that is gone cannot finish: acknowledged work moves on too.
    await _handed_on(connect(hub, certs_dir, "police-110100"), dispatch.handoff_id)
    assert (await _dispatch_assignees(platform, case_id))["police-110105"].state == (
        H.STATE_ESCALATED
    )
    assert any(
        "police-110105 was deactivated (station merged)" in s
        for s in await _summaries(platform, case_id)
    )
    second = (await shop.report_signal(**imminent("b2"))).case.case_id
    assert set(await _dispatch_assignees(platform, second)) == {"police-110100"}


async def test_a_deadline_never_retries_a_desk_cut_off_since_it_hands_the_work_on(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await start_hub(certs_dir, clock=clock, deadline_sweep_seconds=3600)
    await _registered(
        connect, hub, certs_dir, "duty-desk", "police-110105", "committee-110105", "police-110100"
    )
    platform = connect(hub, certs_dir, "duty-desk")
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))).case.case_id
    dispatch = (await _dispatch_assignees(platform, case_id))["police-110105"]

    # Cut off in the registry with its work still on it, as when a hub stops between the two.
    def deactivate(session: Session) -> None:
        row = session.get(PartyRow, "police-110105")
        assert row is not None
        row.state = DEACTIVATED
        session.add(row)

    hub.db.transaction(deactivate)
    clock.advance(dispatch.due_time.ToDatetime(dt.UTC) - clock.now())
    assert await hub.scheduler.sweep() == 1
    chain = await _dispatch_assignees(platform, case_id)
    assert chain["police-110105"].state == H.STATE_ESCALATED
    assert chain["police-110100"].escalated_from_handoff_id == dispatch.handoff_id
    assert not any("sent again" in s for s in await _summaries(platform, case_id))


async def test_a_stream_ends_when_its_certificate_expires(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    hub = await start_hub(certs_dir, clock=clock)
    await _registered(connect, hub, certs_dir, "police-110105")
    # A second duty desk, on a certificate that expires in an hour.
    cert, key = mint(
        tmp_path,
        "duty-2",
        issuer_dir=certs_dir,
        san=[x509.UniformResourceIdentifier("lifeline://party/platform/duty-2")],
        not_after=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    duty = HubClient(ConnectorConfig(f"127.0.0.1:{hub.port}", cert, key, certs_dir / certs.CA_CERT))
    try:
        await duty.whoami()
        await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))
        stream = duty.subscribe()
        # The stream is open and serving (the platform hears of every case).
        assert (await asyncio.wait_for(anext(stream), WITHIN)).HasField("case_notice")
        clock.advance(dt.timedelta(hours=2))
        ended, _ = await _end_of(stream)
    finally:
        await duty.close()
    assert isinstance(ended, AuthenticationError)
    assert ended.reason == "PARTY_IDENTITY_INVALID"
    assert "expired" in str(ended)


async def test_a_revoked_party_with_a_new_certificate_is_active_again(
    start_hub: HubFactory, connect: ClientFactory, fresh_certs_dir: Path
) -> None:
    hub = await start_hub(fresh_certs_dir)
    await _registered(connect, hub, fresh_certs_dir, "duty-desk", "courier-1")
    ca = CertificateAuthority(fresh_certs_dir)
    ca.revoke("courier-1")
    platform = connect(hub, fresh_certs_dir, "duty-desk")

    async def state() -> int:
        got = await platform.parties.GetParty(ps.GetPartyRequest(party_id="courier-1"))
        return got.party.state

    await hub.sessions.check()  # what the watcher does each second, done now
    assert await state() == party_pb2.Party.STATE_REVOKED
    ca.issue(PartyIdentity("courier-1", Role.COURIER), force=True)
    assert (await connect(hub, fresh_certs_dir, "courier-1").whoami()).party_id == "courier-1"
    assert await state() == party_pb2.Party.STATE_ACTIVE


def test_a_deleted_or_unreadable_crl_keeps_the_last_good_list(
    fresh_certs_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    [serial] = CertificateAuthority(fresh_certs_dir).revoke("courier-1")
    crl = fresh_certs_dir / certs.CRL
    written = crl.read_bytes()
    crl.unlink()
    # A hub started before the CA wrote any CRL runs with nothing revoked...
    revocations = RevocationList(crl, certs.load_cas_file(fresh_certs_dir / certs.CA_CERT))
    assert not revocations.is_revoked(serial)
    crl.write_bytes(written)
    assert revocations.is_revoked(serial)
    # ...but once it has read one, losing the file never clears it.
    with caplog.at_level(logging.ERROR, logger="hub.store.revocation"):
        crl.write_text("not a CRL")
        assert revocations.is_revoked(serial)
        crl.unlink()
        assert revocations.is_revoked(serial)
    assert len([r for r in caplog.records if "last good" in r.message]) == 2
