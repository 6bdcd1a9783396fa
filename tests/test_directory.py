"""The party directory: desks imported from a file get their work before they ever connect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    party_pb2,
)
from lifeline.hub.v1 import party_service_pb2 as ps
from sqlmodel import select

from connectors.errors import InvalidArgumentError
from hub.cli import main
from hub.domain.deadlines import DeadlinePolicy
from hub.store.db import Database
from hub.store.models import PartyRow
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import MERCHANT, handoffs, read_inbox, signal

pytestmark = pytest.mark.usefixtures("db_url")

H = handoff_pb2.Handoff
INTERCEPT = handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL

STATIONS_CSV = """\
party_id,role,jurisdiction_code,display_name,contact_phone,backup_party_id
police-110105,police,110105,Dongcheng station,+86 10 6524 0000,police-110100
police-110100,police,110100,Beijing city desk,010-110,

courier-1,courier,,SF Express,95338,
"""


def _import(db_url: str, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["parties", "import", str(path), "--db", db_url])
    return result.exit_code, result.output


def _directory(db_url: str) -> dict[str, PartyRow]:
    db = Database(db_url)
    try:
        db.migrate()
        return {r.party_id: r for r in db.transaction(lambda s: list(s.exec(select(PartyRow))))}
    finally:
        db.close()


def test_import_loads_a_csv_then_a_toml_updates_it(db_url: str, tmp_path: Path) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(STATIONS_CSV)
    assert _import(db_url, stations) == (0, "imported 3 parties: 3 new, 0 updated\n")
    rows = _directory(db_url)
    dongcheng = rows["police-110105"]
    assert (dongcheng.role, dongcheng.state, dongcheng.jurisdiction_code) == (
        "police",
        "active",
        "110105",
    )
    assert dongcheng.display_name == "Dongcheng station"
    assert dongcheng.contact_phone == "+86 10 6524 0000"
    assert dongcheng.backup_party_id == "police-110100"
    assert dongcheng.certificate_serial is None and dongcheng.first_seen_time is None
    assert rows["courier-1"].jurisdiction_code is None

    update = tmp_path / "update.toml"
    update.write_text(
        """\
# The city desk moved; a committee joins.
[[party]]
party_id = "police-110100"
role = "police"
jurisdiction_code = "110100"
display_name = "Beijing city desk (new number)"
contact_phone = "010-6524-1100"

[[party]]
party_id = "committee-110105"
role = "committee"
jurisdiction_code = "110105"
"""
    )
    assert _import(db_url, update) == (0, "imported 2 parties: 1 new, 1 updated\n")
    rows = _directory(db_url)
    assert rows["police-110100"].contact_phone == "010-6524-1100"
    assert rows["committee-110105"].role == "committee"
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        (
            "bad.csv",
            "party_id,role,jurisdiction_code\n"
            "police-1,police,110105\n"
            "police-2,police,1101\n"
            "police-3,police,110105\n",
            "line 3, jurisdiction_code:",
        ),
        (
            "bad.csv",
            "party_id,role\npolice-1,police\n",
            "line 2, jurisdiction_code: a police party needs a jurisdiction_code",
        ),
        ("bad.csv", "party_id,role\nshop-1,shop\n", "line 2, role: must be one of"),
        (
            "bad.csv",
            "party_id,role\ncourier-1,courier\ncourier-1,courier\n",
            "line 3, party_id: 'courier-1' is already on line 2",
        ),
        ("bad.csv", "party_id,role,fax\n", "line 1, fax:"),
        (
            "bad.toml",
            '[[party]]\nparty_id = "courier-1"\nrole = "courier"\n\n'
            '[[party]]\nparty_id = "courier-2"\nrole = "courier"\ncontact_phone = "call me"\n',
            "line 5, contact_phone:",
        ),
        ("bad.toml", '[[party]]\nparty_id = "a"\nrole = courier\n', "line 3, file: not valid TOML"),
        ("bad.txt", "", "line 1, file: the file must end in .csv or .toml"),
    ],
    ids=[
        "csv-jurisdiction",
        "csv-missing-jurisdiction",
        "csv-role",
        "csv-duplicate",
        "csv-unknown-column",
        "toml-phone",
        "toml-syntax",
        "suffix",
    ],
)
def test_a_bad_row_refuses_the_whole_file_naming_its_line(
    db_url: str, tmp_path: Path, name: str, text: str, where: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    code, output = _import(db_url, path)
    assert code == 1
    assert f"{path}, {where}" in output and "nothing was imported" in output
    assert "Traceback" not in output
    assert _directory(db_url) == {}


def test_a_role_change_refuses_the_whole_file(db_url: str, tmp_path: Path) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(STATIONS_CSV)
    assert _import(db_url, stations)[0] == 0
    # Valid on its face, refused by what the directory holds: found in the write, rolled back.
    changed = tmp_path / "changed.csv"
    changed.write_text(
        "party_id,role,display_name\nhospital-1,hospital,New\ncourier-1,merchant,X\n"
    )
    code, output = _import(db_url, changed)
    assert code == 1
    assert "line 3, role: party 'courier-1' is already registered as courier" in output
    assert "hospital-1" not in _directory(db_url)


async def test_register_party_keeps_the_contact_phone_and_checks_it(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    registered = await platform.parties.RegisterParty(
        ps.RegisterPartyRequest(
            party=party_pb2.Party(
                party_id="courier-1", role=party_pb2.ROLE_COURIER, contact_phone="95338"
            )
        )
    )
    assert registered.party.contact_phone == "95338"
    with pytest.raises(InvalidArgumentError) as refused:
        await platform.parties.RegisterParty(
            ps.RegisterPartyRequest(
                party=party_pb2.Party(
                    party_id="courier-1", role=party_pb2.ROLE_COURIER, contact_phone="call me"
                )
            )
        )
    assert refused.value.metadata["field"] == "party.contact_phone"


async def test_a_courier_that_never_connected_gets_its_parcel_and_was_chased(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    tmp_path: Path,
) -> None:
    stations = tmp_path / "stations.csv"
    stations.write_text(STATIONS_CSV)
    assert _import(db_url, stations)[0] == 0
    hub = await start_hub(
        certs_dir,
        db_url,
        clock=clock,
        deadlines=DeadlinePolicy(retry_attempts=2, retry_jitter=0.0),
        deadline_sweep_seconds=3600,  # the test sweeps
        signature_skew_seconds=86400,  # parties sign in real time; the hub's clock is moved
    )
    for party in ("duty-desk", "shop-1"):
        await connect(hub, certs_dir, party).whoami()
    parcel = case_pb2.ParcelReference(tracking_number="SF1", courier_party_id="courier-1")
    case_id = (
        await connect(hub, certs_dir, "shop-1").report_signal(
            **signal(
                MERCHANT, buyer="b", parcels=[parcel], stated_intent=True, method_prepared=True
            )
        )
    ).case.case_id
    platform = connect(hub, certs_dir, "duty-desk")
    listed = await platform.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id)
    )
    [intercept] = [h for h in listed.handoffs if h.kind == INTERCEPT]
    assert intercept.assignee_party_id == "courier-1"
    # No address, so no police desk: the duty desk is alerted and takes that on.
    [alert] = [h for h in listed.handoffs if h.kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT]
    await platform.acknowledge_handoff(handoff_id=alert.handoff_id)
    # The shop takes on keeping her talking.
    [stay] = [h for h in listed.handoffs if h.kind == handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT]
    await connect(hub, certs_dir, "shop-1").acknowledge_handoff(stay.handoff_id)
    # Nobody answers: the deadline chases it while the courier has never called.
    clock.advance(intercept.due_time.ToDatetime(dt.UTC) - clock.now())
    assert await hub.scheduler.sweep() == 1
    events = await platform.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    assert any(
        "courier-1 has not acknowledged in time; sent again" in e.summary for e in events.events
    )

    courier = connect(hub, certs_dir, "courier-1")
    received = handoffs(await read_inbox(courier, lambda ms: len(handoffs(ms)) >= 2))
    assert [(h.handoff_id, h.state) for h in received[:2]] == [
        (intercept.handoff_id, H.STATE_PENDING)
    ] * 2
    assert received[0].details.tracking_number == "SF1"
    assert (await courier.whoami()).HasField("first_seen_time")
