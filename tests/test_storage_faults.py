"""Faults a party does not cause: a burst of first contacts, a full disk, a database
that is briefly away. Each is a clean answer (admitted, or UNAVAILABLE with
STORAGE_UNAVAILABLE, which the SDK treats as "try again"), never INTERNAL, and the
hub works again by itself once the fault is gone."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lifeline.hub.v1 import case_service_pb2
from sqlalchemy import event
from sqlmodel import Session

from connectors import ConnectorConfig, HubClient
from connectors.errors import HubUnavailableError
from hub import Hub
from hub.domain.errors import HubError
from hub.store import timeline
from hub.store.certs import CertificateAuthority
from hub.store.inbox import Doorbell
from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent
from wire import reasons
from wire.identity import PartyIdentity, Role


async def test_a_burst_of_first_contacts_admits_every_party(
    start_hub: HubFactory, db_url: str, fresh_certs_dir: Path
) -> None:
    ca = CertificateAuthority(fresh_certs_dir)
    names = [f"shop-burst-{n}" for n in range(48)]
    for name in names:
        ca.issue(PartyIdentity(name, Role.MERCHANT))
    hub = await start_hub(fresh_certs_dir, db_url)
    address = f"127.0.0.1:{hub.port}"
    clients = [HubClient(ConnectorConfig.for_party(fresh_certs_dir, n, address)) for n in names]
    try:
        # Two calls at once per new party: both are its first contact with the registry.
        answers = await asyncio.gather(*(c.whoami() for c in clients for _ in range(2)))
    finally:
        for client in clients:
            await client.close()
    assert sorted(p.party_id for p in answers) == sorted(names * 2)


def _cap_pages(hub: Hub) -> list[int]:
    """Caps the SQLite file at a page count, as a full disk would, on every transaction:
    the returned list holds the cap (0: no cap), for the test to change."""
    cap = [0]

    def limit(connection: sa.Connection) -> None:
        connection.exec_driver_sql(f"PRAGMA max_page_count = {cap[0] or 1073741823}")

    event.listen(hub.db.engine, "begin", limit)
    return cap


def _intact(hub: Hub) -> None:
    with Session(hub.db.engine) as session:
        assert [broken for _, broken in timeline.verify_all(session) if broken] == []
        empty = session.execute(
            sa.text('SELECT count(*) FROM "case" WHERE last_event_sequence = 0')
        )
        assert empty.scalar_one() == 0


async def test_a_full_disk_is_unavailable_and_the_hub_recovers(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, sqlite_url: str
) -> None:
    hub = await start_hub(certs_dir, sqlite_url)
    shop = connect(hub, certs_dir, "shop-1")
    await shop.report_signal(**imminent("buyer-before"))
    cap = _cap_pages(hub)
    cap[0] = 1  # below the file's size: SQLite caps it where it is
    report = imminent("buyer-full") | {"request_id": "r-full"}
    report["signal"].situation = "界" * 2000  # more than a page: the file must grow
    with pytest.raises(HubUnavailableError) as full:
        await shop.report_signal(**report)
    assert full.value.reason == reasons.STORAGE_UNAVAILABLE
    _intact(hub)
    cap[0] = 0  # space again: the same request goes through, once
    stored = await shop.report_signal(**report)
    again = await shop.report_signal(**report)
    assert again.case.case_id == stored.case.case_id
    _intact(hub)


class _Relay:
    """A TCP relay to PostgreSQL that the test can cut and restore: the database,
    as the hub sees it, goes away and comes back."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers += [writer, upstream_writer]

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@pytest.fixture
async def relay(postgres_url: str) -> AsyncIterator[tuple[_Relay, str]]:
    """A relay to the test's PostgreSQL, and the URL of the database through it."""
    url = sa.make_url(postgres_url)
    running = _Relay(url.host or "127.0.0.1", url.port or 5432)
    await running.open()
    yield running, url.set(host="127.0.0.1", port=running.port).render_as_string(False)
    with contextlib.suppress(AssertionError):
        await running.cut()


async def test_an_unreachable_database_is_unavailable_and_the_hub_recovers(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, relay: tuple[_Relay, str]
) -> None:
    proxy, url = relay
    hub = await start_hub(certs_dir, url)
    platform = connect(hub, certs_dir, "duty-desk")
    case = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-1"))).case
    await proxy.cut()
    note = case_service_pb2.AddCaseNoteRequest(request_id="n-1", case_id=case.case_id, text="hi")
    for call in (
        platform.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case.case_id)),
        platform.cases.AddCaseNote(note),
        connect(hub, certs_dir, "hospital-1").whoami(),  # a first contact: the registry
    ):
        with pytest.raises(HubUnavailableError) as away:
            await call
        assert away.value.reason == reasons.STORAGE_UNAVAILABLE
    await proxy.open()  # back, on the same port
    assert (await platform.cases.AddCaseNote(note)).event.note == "hi"
    assert (await connect(hub, certs_dir, "hospital-1").whoami()).party_id == "hospital-1"


async def test_a_read_whose_connection_dies_is_read_again(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    postgres_url: str,
    postgres_server: str,
) -> None:
    hub = await start_hub(certs_dir, postgres_url)
    platform = connect(hub, certs_dir, "duty-desk")
    case = (await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-1"))).case
    admin = sa.create_engine(postgres_server)
    killed: list[int] = []

    def kill_once(connection: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        # The first read of a case, on a reader thread: its server process is ended
        # under it, as a database restart or a dropped connection would.
        if killed or not threading.current_thread().name.startswith("db_"):
            return
        if 'FROM "case"' in statement and "FOR UPDATE" not in statement:
            pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            killed.append(pid)

    event.listen(hub.db.engine, "before_cursor_execute", kill_once)
    try:
        got = await platform.cases.GetCase(case_service_pb2.GetCaseRequest(case_id=case.case_id))
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", kill_once)
        admin.dispose()
    assert killed and got.case.case_id == case.case_id


@pytest.mark.parametrize(
    "failure",
    [
        HubError(reasons.STORAGE_UNAVAILABLE, "away"),
        RuntimeError("the connection pool broke in a new way"),
    ],
    ids=["database-away", "an-error-nobody-mapped"],
)
async def test_the_inbox_watcher_outlives_a_failed_look(
    failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    """Fault injection without a database: the first look fails, as the database being
    away or as no driver error table foresaw; the watcher logs it and looks again: the
    database away in one line (an outage must not fill the log with tracebacks), the
    error nobody mapped with its traceback (a bug to fix)."""
    doorbell = Doorbell()
    rung = doorbell.register("police-110105")
    reads = 0

    async def marks(party_ids: list[str]) -> dict[str, int]:
        nonlocal reads
        reads += 1
        if reads == 1:
            raise failure
        return dict.fromkeys(party_ids, 7)

    watcher = asyncio.create_task(doorbell.watch(marks, 0.01))
    await asyncio.wait_for(doorbell.wait(rung), 10)  # rung by a read after the failed one
    assert reads >= 2 and not watcher.done()
    doorbell.close()
    await asyncio.wait_for(watcher, 10)
    (logged,) = [r for r in caplog.records if "reading inbox marks failed" in r.getMessage()]
    assert (logged.exc_info is None) == isinstance(failure, HubError)
