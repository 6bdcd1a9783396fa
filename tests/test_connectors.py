"""The party SDK and the desk CLI: resuming after a cut, failover, the sync wrapper,
a police desk's and a courier's session, and bad setups refused in one line."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2

from connectors import ConnectorConfig, HubClient
from connectors.courier import CourierConnector
from connectors.desk import DeskConnector
from connectors.duty_desk import DutyDeskConnector
from connectors.merchant import MerchantConnector
from connectors.sync import SyncHubClient
from hub import Hub, HubConfig
from hub.store.certs import CertificateAuthority
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, handoffs, has_handoff, imminent, read_inbox, signal

H = handoff_pb2.Handoff
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH


async def _lifeline(*args: str, timeout: float = 60) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_work_resumes_after_a_hub_restart_and_handles_nothing_twice(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, sqlite_url: str
) -> None:
    hub = await start_hub(certs_dir, sqlite_url)
    port = hub.port
    for party in ("duty-desk", "police-110105"):
        await connect(hub, certs_dir, party).whoami()
    shop = connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent("b1"))
    police = HubClient(ConnectorConfig.for_party(certs_dir, "police-110105", f"127.0.0.1:{port}"))
    seen: list[str] = []
    got_first, got_second = asyncio.Event(), asyncio.Event()
    stop = asyncio.Event()

    async def handle(message: inbox_service_pb2.InboxMessage) -> None:
        if message.HasField("handoff") and message.handoff.kind == DISPATCH:
            seen.append(message.handoff.case_id)
            (got_second if got_first.is_set() else got_first).set()

    worker = asyncio.create_task(police.work(handle, stop=stop))
    await asyncio.wait_for(got_first.wait(), 10)
    await hub.stop()  # the network is cut: the hub goes away
    again = await start_hub(certs_dir, sqlite_url, listen=f"127.0.0.1:{port}")
    second = await connect(again, certs_dir, "shop-1").report_signal(**imminent("b2"))
    await asyncio.wait_for(got_second.wait(), 30)
    stop.set()
    await asyncio.wait_for(worker, 10)
    await police.close()
    assert seen[-1] == second.case.case_id
    assert len(seen) == len(set(seen)) == 2


async def test_work_fails_over_to_the_next_hub_address(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    for party in ("duty-desk", "police-110105"):
        await connect(hub, certs_dir, party).whoami()
    # The first address has no hub behind it.
    config = ConnectorConfig.for_party(
        certs_dir, "police-110105", f"127.0.0.1:1,127.0.0.1:{hub.port}"
    )
    police = HubClient(config)
    got = asyncio.Event()

    async def handle(message: inbox_service_pb2.InboxMessage) -> None:
        if message.handoff.kind == DISPATCH:
            got.set()

    stop = asyncio.Event()
    worker = asyncio.create_task(police.work(handle, stop=stop))
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b1"))
    await asyncio.wait_for(got.wait(), 30)
    stop.set()
    await asyncio.wait_for(worker, 10)
    await police.close()


def test_the_sync_wrapper_for_partners_without_asyncio(certs_dir: Path, tmp_path: Path) -> None:
    import threading

    started = threading.Event()
    port: list[int] = []
    stop_hub = threading.Event()

    def run_hub() -> None:
        async def main() -> None:
            hub = await Hub.start(
                HubConfig(
                    certs_dir=certs_dir, listen="127.0.0.1:0", db_url=f"sqlite:///{tmp_path}/h.db"
                )
            )
            port.append(hub.port)
            started.set()
            await asyncio.get_running_loop().run_in_executor(None, stop_hub.wait)
            await hub.stop()

        asyncio.run(main())

    thread = threading.Thread(target=run_hub)
    thread.start()
    started.wait(30)
    try:
        with SyncHubClient(
            ConnectorConfig.for_party(certs_dir, "shop-1", f"127.0.0.1:{port[0]}")
        ) as hub:
            assert hub.whoami().party_id == "shop-1"
            reported = hub.report_signal(imminent("b1")["signal"], "sync-1")
            assert reported.case.case_id
            assert hub.report_signal(imminent("b1")["signal"], "sync-1") == reported
    finally:
        stop_hub.set()
        thread.join(30)


async def test_party_connectors_speak_their_own_language(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    for party in ("duty-desk", "police-110105", "courier-1"):
        await connect(hub, certs_dir, party).whoami()
    merchant = MerchantConnector(connect(hub, certs_dir, "shop-1"))
    parcel = case_pb2.ParcelReference(tracking_number="SF9", courier_party_id="courier-1")
    reported = await merchant.report_chat(
        "says he will die by eating them",
        case_pb2.RiskIndicators(stated_intent=True, method_prepared=True),
        buyer_id="b-chili",
        address=case_pb2.Address(jurisdiction_code="110105", text="Flat 1"),
        orders=[case_pb2.OrderReference(order_id="o-9")],
        parcels=[parcel],
    )
    assert reported.case.case_id
    courier = CourierConnector(connect(hub, certs_dir, "courier-1"))
    intercept = handoffs(
        await read_inbox(courier.hub, has_handoff(handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL))
    )[0]
    done = await courier.intercepted(intercept.handoff_id, "stopped at the depot")
    assert done.state == H.STATE_COMPLETED
    assert done.outcome.code == handoff_pb2.OUTCOME_CODE_PARCEL_INTERCEPTED
    desk = DeskConnector(connect(hub, certs_dir, "police-110105"))
    dispatch = handoffs(await read_inbox(desk.hub, has_handoff(DISPATCH)))[0]
    assert (await desk.found_safe(dispatch.handoff_id, "safe")).state == H.STATE_COMPLETED


async def test_a_police_desk_and_a_courier_at_the_command_line(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    for party in ("duty-desk", "police-110105", "courier-1"):
        await connect(hub, certs_dir, party).whoami()
    parcel = case_pb2.ParcelReference(tracking_number="SF7", courier_party_id="courier-1")
    await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(
            MERCHANT,
            buyer="b",
            address="Flat 3",
            jurisdiction="110105",
            parcels=[parcel],
            situation="will jump",
            stated_intent=True,
            method_prepared=True,
        )
    )
    police = [
        "desk",
        "police",
        "--certs",
        str(certs_dir),
        "--party",
        "police-110105",
        "--hub",
        f"127.0.0.1:{hub.port}",
    ]
    code, out, err = await _lifeline(*police, "watch", "--exit-after", "1")
    assert code == 0, err
    assert "dispatch" in out and "left to acknowledge" in out and "situation: will jump" in out
    assert "  HIGH  " in out  # the risk level: how much the minutes matter
    assert "Flat 3" not in out  # not before acknowledging
    handoff_id = out.split()[0]
    code, out, err = await _lifeline(*police, "--json", "ack", handoff_id)
    assert code == 0, err
    acked = json.loads(out)
    assert acked["state"] == "STATE_ACKNOWLEDGED" and acked["details"]["address_text"] == "Flat 3"
    code, out, err = await _lifeline(
        *police, "--json", "progress", handoff_id, "--stage", "on_scene", "--note", "at the door"
    )
    assert code == 0, err
    assert json.loads(out)["progress"]["stage"] == "PROGRESS_STAGE_ON_SCENE"
    code, out, err = await _lifeline(
        *police, "outcome", handoff_id, "--code", "person_found_safe", "--note", "reached the flat"
    )
    assert code == 0, err
    assert "completed" in out
    courier = [
        "desk",
        "courier",
        "--certs",
        str(certs_dir),
        "--party",
        "courier-1",
        "--hub",
        f"127.0.0.1:{hub.port}",
    ]
    code, out, err = await _lifeline(*courier, "--json", "list")
    assert code == 0, err
    [intercept] = [json.loads(line) for line in out.splitlines()]
    assert intercept["details"] == {
        "instruction": intercept["details"]["instruction"],
        "tracking_number": "SF7",
    }
    code, out, err = await _lifeline(
        *courier, "outcome", intercept["handoff_id"], "--code", "ORDER_HELD"
    )
    assert code == 1 and "a courier reports one of" in err
    code, out, err = await _lifeline(
        *courier, "outcome", intercept["handoff_id"], "--code", "PARCEL_INTERCEPTED"
    )
    assert code == 0, err


async def test_bad_setups_are_one_clear_line(
    start_hub: HubFactory, certs_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(certs_dir)
    parties = certs_dir / "parties"
    other = CertificateAuthority(tmp_path / "other")
    other.init()
    base = ["desk", "police"]
    cases = [
        # A key that does not match the certificate.
        (
            [
                "--config",
                str(
                    _config(
                        tmp_path,
                        "mismatch",
                        hub.port,
                        parties / "police-110105.pem",
                        parties / "shop-1.key",
                        certs_dir / "ca.pem",
                    )
                ),
            ],
            "does not match",
        ),
        # A CA that did not sign the hub's certificate.
        (
            [
                "--config",
                str(
                    _config(
                        tmp_path,
                        "wrong-ca",
                        hub.port,
                        parties / "police-110105.pem",
                        parties / "police-110105.key",
                        other.directory / "ca.pem",
                    )
                ),
            ],
            "was not issued by the CA",
        ),
        # No hub there.
        (
            ["--certs", str(certs_dir), "--party", "police-110105", "--hub", "127.0.0.1:1"],
            "cannot reach the hub at 127.0.0.1:1",
        ),
        # The wrong role for this certificate.
        (
            ["--certs", str(certs_dir), "--party", "courier-1", "--hub", f"127.0.0.1:{hub.port}"],
            "courier-1 is a courier, not a police",
        ),
    ]
    for options, message in cases:
        code, out, err = await _lifeline(*base, *options, "list")
        assert code == 1, (options, out, err)
        assert message in err, (message, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err


def _config(tmp: Path, name: str, port: int, cert: Path, key: Path, ca: Path) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(
        json.dumps(
            {"hub_address": f"127.0.0.1:{port}", "cert": str(cert), "key": str(key), "ca": str(ca)}
        )
    )
    return path


async def test_the_duty_desk_board_and_handing_work_on(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    for party in ("duty-desk", "hospital-1"):
        await connect(hub, certs_dir, party).whoami()
    mild = await connect(hub, certs_dir, "shop-1").report_signal(
        **signal(MERCHANT, buyer="b-mild", situation="cannot sleep", insomnia=True)
    )
    grave = await connect(hub, certs_dir, "shop-2").report_signal(**imminent("b-grave"))
    duty = DutyDeskConnector(connect(hub, certs_dir, "duty-desk"))
    board = await duty.case_board()
    # Gravest first.
    assert [c.case_id for c in board] == [grave.case.case_id, mild.case.case_id]
    assert [c.case_id for c in await duty.case_board(case_pb2.RISK_LEVEL_HIGH)] == [
        grave.case.case_id
    ]
    consult = await duty.hand_off(
        grave.case.case_id,
        handoff_pb2.HANDOFF_KIND_MEDICAL_CONSULT,
        "hospital-1",
        "Which drug could this be?",
    )
    assert consult.state == H.STATE_PENDING and consult.assignee_party_id == "hospital-1"
    got = handoffs(
        await read_inbox(
            connect(hub, certs_dir, "hospital-1"),
            has_handoff(handoff_pb2.HANDOFF_KIND_MEDICAL_CONSULT),
        )
    )[0]
    assert got.details.instruction == "Which drug could this be?"
