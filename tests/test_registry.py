"""The party registry, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from lifeline.hub.v1 import party_pb2, party_service_pb2

from connectors.errors import (
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from tests.conftest import PARTIES, ClientFactory, HubFactory

pytestmark = pytest.mark.usefixtures("db_url")


async def test_first_contact_records_the_party(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    police = await connect(hub, certs_dir, "police-110105").whoami()
    assert police.role == party_pb2.ROLE_POLICE
    assert police.state == party_pb2.Party.STATE_ACTIVE
    assert police.jurisdiction_code == "110105"
    assert police.certificate_serial
    assert police.first_seen_time.seconds > 0
    got = await connect(hub, certs_dir, "duty-desk").parties.GetParty(
        party_service_pb2.GetPartyRequest(party_id="police-110105")
    )
    assert got.party == police


async def test_register_ahead_of_first_contact(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    registered = await platform.parties.RegisterParty(
        party_service_pb2.RegisterPartyRequest(
            party=party_pb2.Party(
                party_id="police-110105",
                role=party_pb2.ROLE_POLICE,
                jurisdiction_code="110105",
                display_name="Dongcheng desk",
                backup_party_id="police-110100",
            )
        )
    )
    assert registered.party.display_name == "Dongcheng desk"
    assert not registered.party.HasField("first_seen_time")
    police = await connect(hub, certs_dir, "police-110105").whoami()
    assert police.backup_party_id == "police-110100"
    assert police.HasField("first_seen_time")


async def test_list_parties_pages_and_filters(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    for party_id in PARTIES:
        await connect(hub, certs_dir, party_id).whoami()
    platform = connect(hub, certs_dir, "duty-desk")
    seen: list[str] = []
    token = ""
    while True:
        page = await platform.parties.ListParties(
            party_service_pb2.ListPartiesRequest(page_size=3, page_token=token)
        )
        assert len(page.parties) <= 3
        seen += [p.party_id for p in page.parties]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(PARTIES)
    police = await platform.parties.ListParties(
        party_service_pb2.ListPartiesRequest(role=party_pb2.ROLE_POLICE)
    )
    assert [p.party_id for p in police.parties] == [
        "police-110100",
        "police-110105",
        "police-410100",
    ]
    # A city code finds the desks of its districts; a district code only its own.
    in_city = await platform.parties.ListParties(
        party_service_pb2.ListPartiesRequest(jurisdiction_code="110100")
    )
    assert {p.party_id for p in in_city.parties} == {
        "police-110100",
        "police-110105",
        "committee-110105",
    }
    in_district = await platform.parties.ListParties(
        party_service_pb2.ListPartiesRequest(jurisdiction_code="110105")
    )
    assert {p.party_id for p in in_district.parties} == {"police-110105", "committee-110105"}


async def test_bad_registry_requests_are_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    with pytest.raises(InvalidArgumentError) as refused:
        await platform.parties.ListParties(party_service_pb2.ListPartiesRequest(page_token="%%%"))
    assert refused.value.reason == "INVALID_PAGE_TOKEN"
    with pytest.raises(InvalidArgumentError) as refused:
        await platform.parties.RegisterParty(
            party_service_pb2.RegisterPartyRequest(
                party=party_pb2.Party(
                    party_id="police-x", role=party_pb2.ROLE_POLICE, jurisdiction_code="1101"
                )
            )
        )
    assert refused.value.metadata["field"] == "party.jurisdiction_code"
    with pytest.raises(InvalidArgumentError):
        await platform.parties.RegisterParty(
            party_service_pb2.RegisterPartyRequest(
                party=party_pb2.Party(party_id="committee-x", role=party_pb2.ROLE_COMMITTEE)
            )
        )
    with pytest.raises(NotFoundError) as missing:
        await platform.parties.GetParty(party_service_pb2.GetPartyRequest(party_id="nobody"))
    assert missing.value.reason == "PARTY_NOT_FOUND"
    # Nothing half-written: the refused registrations left no rows.
    listed = await platform.parties.ListParties(party_service_pb2.ListPartiesRequest())
    assert [p.party_id for p in listed.parties] == ["duty-desk"]


async def test_role_in_certificate_must_match_the_registry(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    await platform.parties.RegisterParty(
        party_service_pb2.RegisterPartyRequest(
            party=party_pb2.Party(party_id="shop-1", role=party_pb2.ROLE_HOSPITAL)
        )
    )
    with pytest.raises(PermissionDeniedError) as refused:
        await connect(hub, certs_dir, "shop-1").whoami()
    assert refused.value.reason == "PARTY_ROLE_MISMATCH"


async def test_deactivated_party_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    courier = connect(hub, certs_dir, "courier-1")
    await courier.whoami()
    platform = connect(hub, certs_dir, "duty-desk")
    result = await platform.parties.DeactivateParty(
        party_service_pb2.DeactivatePartyRequest(party_id="courier-1", reason="contract ended")
    )
    assert result.party.state == party_pb2.Party.STATE_DEACTIVATED
    with pytest.raises(PermissionDeniedError) as refused:
        await courier.whoami()
    assert refused.value.reason == "PARTY_DEACTIVATED"


async def test_registry_survives_a_restart(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await connect(hub, certs_dir, "hospital-1").whoami()
    await hub.stop()
    again = await start_hub(certs_dir, db_url)
    got = await connect(again, certs_dir, "duty-desk").parties.GetParty(
        party_service_pb2.GetPartyRequest(party_id="hospital-1")
    )
    assert got.party.role == party_pb2.ROLE_HOSPITAL
