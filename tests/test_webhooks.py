"""Paging desks out of band: a real local HTTP server receives what the hub POSTs."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from google.protobuf import json_format
from lifeline.hub.v1 import handoff_pb2, inbox_service_pb2, party_pb2
from lifeline.hub.v1 import party_service_pb2 as ps
from sqlmodel import Session, select

from connectors.errors import InvalidArgumentError
from hub.cli import main
from hub.store import webhooks
from hub.store.db import Database
from hub.store.models import PartyRow, WebhookDeliveryRow
from hub.store.webhooks import WebhookPolicy
from tests.conftest import ClientFactory, HubFactory, ManualClock
from tests.flows import imminent

pytestmark = pytest.mark.usefixtures("db_url")

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
DUTY_ALERT = handoff_pb2.HANDOFF_KIND_DUTY_ALERT
POLICE_SECRET = "police-gateway-secret-0123456789"
DESK_SECRET = "duty-desk-pager-secret-987654321"
PHONE = "13800138000"
OPTIONS = {
    # The test delivers (deliver_due); the background look stays out of its way.
    "webhooks": WebhookPolicy(attempts=3, first_retry_seconds=10, poll_seconds=3600),
    "deadline_sweep_seconds": 3600,
}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Gateway:
    """A pager gateway: answers each POST with the next scripted status (then 200)."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    hold: dict[str, threading.Event] = field(default_factory=dict)
    """Paths whose answer waits for the event: a gateway that hangs."""
    arrived: dict[str, threading.Event] = field(
        default_factory=lambda: defaultdict(threading.Event)
    )


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers["Content-Length"])
            state.received.append(Received(self.path, dict(self.headers), self.rfile.read(length)))
            state.arrived[self.path].set()
            if self.path in state.hold:
                state.hold[self.path].wait(10)
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def _import(db_url: str, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["parties", "import", str(path), "--db", db_url])
    return result.exit_code, result.output


def _directory(db_url: str, tmp_path: Path, gateway: Gateway) -> None:
    """The police desk of 110105 and the duty desk page through the gateway; the desks of
    410100 and the committees have no webhook."""
    path = tmp_path / "directory.csv"
    path.write_text(
        "party_id,role,jurisdiction_code,webhook_url,webhook_secret\n"
        f"police-110105,police,110105,{gateway.url}/police,{POLICE_SECRET}\n"
        f"duty-desk,platform,,{gateway.url}/duty,{DESK_SECRET}\n"
        "police-410100,police,410100,,\n"
        "committee-110105,committee,110105,,\n"
        "committee-410100,committee,410100,,\n"
    )
    assert _import(db_url, path)[0] == 0


def _verified(received: Received, secret: str, now: dt.datetime) -> dict:
    """The body, once its signature and timestamp check out as docs/webhooks.md says."""
    stamp = received.headers["X-Lifeline-Timestamp"]
    assert int(stamp) == int(now.timestamp())
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + received.body, hashlib.sha256)
    assert hmac.compare_digest(
        received.headers["X-Lifeline-Signature"], "sha256=" + expected.hexdigest()
    )
    return received.json


def _log(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["webhooks", "log", "--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.output


async def test_a_dispatch_pages_the_police_desk_signed_and_without_the_address(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    tmp_path: Path,
    gateway: Gateway,
) -> None:
    _directory(db_url, tmp_path, gateway)
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await connect(hub, certs_dir, "duty-desk").whoami()
    report = imminent("b1")
    report["signal"].subject.phone = PHONE
    case_id = (await connect(hub, certs_dir, "shop-1").report_signal(**report)).case.case_id

    assert await hub.webhooks.deliver_due() == 1
    [page] = gateway.received
    assert page.path == "/police"
    document = _verified(page, POLICE_SECRET, clock.now())
    assert (document["event"], document["party_id"], document["attempt"]) == (
        "dispatch",
        "police-110105",
        1,
    )
    assert page.headers["X-Lifeline-Event"] == "dispatch"
    assert page.headers["X-Lifeline-Delivery"] == document["delivery_id"]
    message = json_format.ParseDict(document["message"], inbox_service_pb2.InboxMessage())
    assert message.case_id == case_id
    assert message.handoff.kind == DISPATCH
    assert message.handoff.details.situation == "will jump once her parents are asleep"
    # Before acknowledgement the police see no address or phone (docs/visibility.md).
    assert not message.handoff.details.address_text and not message.handoff.details.contact_phone
    assert b"Flat of b1" not in page.body and PHONE.encode() not in page.body

    # Acknowledging is news for the stream, not a page.
    police = connect(hub, certs_dir, "police-110105")
    await police.acknowledge_handoff(message.handoff.handoff_id)
    assert await hub.webhooks.deliver_due() == 0
    assert len(gateway.received) == 1
    assert "HTTP 200" in _log(db_url, "--party", "police-110105")


async def test_an_unroutable_case_pages_the_duty_desk_and_a_desk_without_webhook_gets_nothing(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    tmp_path: Path,
    gateway: Gateway,
) -> None:
    _directory(db_url, tmp_path, gateway)
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await connect(hub, certs_dir, "duty-desk").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent("b2", jurisdiction="410100"))  # its desk has no webhook
    await shop.report_signal(**imminent("b3", jurisdiction="310115"))  # no police desk at all

    assert await hub.webhooks.deliver_due() == 1
    [page] = gateway.received
    assert page.path == "/duty"
    document = _verified(page, DESK_SECRET, clock.now())
    assert (document["event"], document["party_id"]) == ("duty_alert", "duty-desk")
    alert = json_format.ParseDict(document["message"], inbox_service_pb2.InboxMessage()).handoff
    assert alert.kind == DUTY_ALERT
    assert alert.alert_reason == handoff_pb2.DUTY_ALERT_REASON_UNROUTABLE

    def deliveries(session: Session) -> list[str]:
        return [r.party_id for r in session.exec(select(WebhookDeliveryRow))]

    assert await hub.db.run(deliveries) == ["duty-desk"]


async def test_a_failing_gateway_is_retried_with_backoff_and_the_log_shows_each_attempt(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    tmp_path: Path,
    gateway: Gateway,
) -> None:
    _directory(db_url, tmp_path, gateway)
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await connect(hub, certs_dir, "duty-desk").whoami()
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b4"))
    # The page is stored with the dispatch: a hub that stops before sending loses nothing.
    await hub.stop()
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)

    gateway.statuses = [500]
    assert await hub.webhooks.deliver_due() == 1
    assert "attempt 1: HTTP 500" in _log(db_url)
    # Backoff: not again at once, but within the first retry delay.
    assert await hub.webhooks.deliver_due() == 0
    clock.advance(dt.timedelta(seconds=10))
    assert await hub.webhooks.deliver_due() == 1
    first, second = gateway.received
    assert first.json["delivery_id"] == second.json["delivery_id"]
    assert (first.json["attempt"], second.json["attempt"]) == (1, 2)
    _verified(second, POLICE_SECRET, clock.now())

    log = _log(db_url, "--party", "police-110105").splitlines()
    assert "dispatch for police-110105" in log[0] and "delivered (2 attempt(s))" in log[0]
    assert log[1].endswith("attempt 1: HTTP 500") and log[2].endswith("attempt 2: HTTP 200")
    assert _log(db_url, "--party", "police-410100") == "no webhook deliveries for police-410100\n"


async def test_a_dead_gateway_fails_after_the_attempts_and_is_logged_once(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    tmp_path: Path,
    gateway: Gateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _directory(db_url, tmp_path, gateway)
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await connect(hub, certs_dir, "duty-desk").whoami()
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("b5"))
    gateway.statuses = [503, 503, 503]
    for _ in range(3):
        assert await hub.webhooks.deliver_due() == 1
        clock.advance(dt.timedelta(minutes=1))
    assert await hub.webhooks.deliver_due() == 0
    assert "failed (3 attempt(s))" in _log(db_url)
    assert len([r for r in caplog.records if "failed after 3 attempt(s)" in r.message]) == 1


async def test_a_hanging_gateway_holds_up_its_own_party_only(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    clock: ManualClock,
    db_url: str,
    tmp_path: Path,
    gateway: Gateway,
) -> None:
    _directory(db_url, tmp_path, gateway)
    hub = await start_hub(certs_dir, db_url, clock=clock, **OPTIONS)
    await connect(hub, certs_dir, "duty-desk").whoami()
    shop = connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent("b6"))  # a dispatch for the police desk
    await shop.report_signal(**imminent("b7", jurisdiction="310115"))  # an alert for the desk
    # The duty desk's gateway hangs (its page is claimed first: parties go by id).
    gateway.hold["/duty"] = threading.Event()
    delivering = asyncio.ensure_future(hub.webhooks.deliver_due())
    try:
        assert await asyncio.to_thread(gateway.arrived["/duty"].wait, 10)
        assert await asyncio.to_thread(gateway.arrived["/police"].wait, 10)
        assert not delivering.done()
    finally:
        gateway.hold["/duty"].set()
    assert await delivering == 2


def test_case_updates_and_waiting_alerts_page_other_changes_do_not() -> None:
    update = inbox_service_pb2.InboxMessage(case_update=inbox_service_pb2.CaseUpdate(text="x"))
    assert webhooks.event_of(update) == "case_update"
    H = handoff_pb2.Handoff
    for kind, state, event in [
        (DISPATCH, H.STATE_PENDING, "dispatch"),
        (DUTY_ALERT, H.STATE_DELIVERED, "duty_alert"),  # sent again: nobody answered
        (DISPATCH, H.STATE_ACKNOWLEDGED, None),
        (handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL, H.STATE_PENDING, None),
    ]:
        message = inbox_service_pb2.InboxMessage(handoff=H(kind=kind, state=state))
        assert webhooks.event_of(message) == event


async def test_the_directory_sets_a_webhook_the_platform_alone_sees_it_the_secret_nobody(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    db_url: str,
    tmp_path: Path,
    gateway: Gateway,
) -> None:
    _directory(db_url, tmp_path, gateway)
    db = Database(db_url)
    try:
        row = db.transaction(lambda s: s.get(PartyRow, "police-110105"))
    finally:
        db.close()
    assert row is not None
    assert (row.webhook_url, row.webhook_secret) == (f"{gateway.url}/police", POLICE_SECRET)
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    seen = (await platform.parties.GetParty(ps.GetPartyRequest(party_id="police-110105"))).party
    assert seen.webhook_url == f"{gateway.url}/police"
    assert POLICE_SECRET not in str(seen)
    assert (await connect(hub, certs_dir, "police-110105").whoami()).webhook_url == ""
    # RegisterParty cannot carry a secret: it keeps the directory's webhook, sets none.
    again = await platform.parties.RegisterParty(
        ps.RegisterPartyRequest(
            party=party_pb2.Party(
                party_id="police-110105", role=party_pb2.ROLE_POLICE, jurisdiction_code="110105"
            )
        )
    )
    assert again.party.webhook_url == f"{gateway.url}/police"
    with pytest.raises(InvalidArgumentError) as refused:
        await platform.parties.RegisterParty(
            ps.RegisterPartyRequest(
                party=party_pb2.Party(
                    party_id="courier-1",
                    role=party_pb2.ROLE_COURIER,
                    webhook_url="https://pager.example/c",
                )
            )
        )
    assert refused.value.metadata["field"] == "party.webhook_url"


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("courier-2,courier,ftp://pager.example/c,0123456789abcdef", "line 3, webhook_url:"),
        ("courier-2,courier,https://,0123456789abcdef", "line 3, webhook_url:"),
        ("courier-2,courier,https://pager.example/c,", "line 3, webhook_secret:"),
        ("courier-2,courier,https://pager.example/c,short", "line 3, webhook_secret:"),
        ("courier-2,courier,,0123456789abcdef", "line 3, webhook_url:"),
    ],
    ids=["scheme", "no-host", "no-secret", "short-secret", "secret-alone"],
)
def test_a_bad_webhook_refuses_the_file_naming_its_line_never_its_secret(
    db_url: str, tmp_path: Path, row: str, where: str
) -> None:
    path = tmp_path / "couriers.csv"
    path.write_text(
        "party_id,role,webhook_url,webhook_secret\n"
        "courier-1,courier,https://pager.example/ok,0123456789abcdef\n"
        f"{row}\n"
    )
    code, output = _import(db_url, path)
    assert code == 1
    assert f"{path}, {where}" in output and "nothing was imported" in output
    secret = row.rsplit(",", 1)[1]
    assert not secret or secret not in output
