"""Fixtures: a dev CA per test session, hubs on port 0, SQLite and PostgreSQL.

PostgreSQL comes from LIFELINE_TEST_PG_URL (set by .ci/run), else from a
testcontainers container when Docker runs, else its tests skip, saying why;
under CI (CI=true) they fail instead of skipping.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors import ConnectorConfig, HubClient
from hub import Hub, HubConfig
from hub.store.certs import CertificateAuthority
from hub.store.db import normalise_url
from tests.browser import CHROMIUM, CONSOLE_PASSWORD
from wire.identity import PartyIdentity, Role

PARTIES = {
    "duty-desk": PartyIdentity("duty-desk", Role.PLATFORM),
    "shop-1": PartyIdentity("shop-1", Role.MERCHANT),
    "shop-2": PartyIdentity("shop-2", Role.MERCHANT),
    "courier-1": PartyIdentity("courier-1", Role.COURIER),
    "police-110105": PartyIdentity("police-110105", Role.POLICE, "110105"),
    "police-110100": PartyIdentity("police-110100", Role.POLICE, "110100"),
    "committee-110105": PartyIdentity("committee-110105", Role.COMMITTEE, "110105"),
    "hospital-1": PartyIdentity("hospital-1", Role.HOSPITAL),
    "police-410100": PartyIdentity("police-410100", Role.POLICE, "410100"),
}


@pytest.fixture(scope="session")
def certs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("certs")
    ca = CertificateAuthority(directory)
    ca.init()
    for identity in PARTIES.values():
        ca.issue(identity)
    return directory


@pytest.fixture
def fresh_certs_dir(tmp_path: Path, certs_dir: Path) -> Path:
    """A copy of the session CA that a test may revoke in without touching the others."""
    return Path(shutil.copytree(certs_dir, tmp_path / "certs"))


def _postgres_url() -> Iterator[str]:
    url = os.environ.get("LIFELINE_TEST_PG_URL")
    if url:
        yield normalise_url(url)
        return
    if shutil.which("docker") and os.path.exists("/var/run/docker.sock"):
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver="psycopg") as pg:
            yield pg.get_connection_url()
        return
    reason = "PostgreSQL tests need LIFELINE_TEST_PG_URL or a running Docker engine"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI never skips them")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    yield from _postgres_url()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A URL to an empty schema of its own, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_server)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(postgres_server).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/hub.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/hub.db"


HubFactory = Callable[..., Awaitable[Hub]]


@pytest.fixture
async def start_hub(sqlite_url: str) -> AsyncIterator[HubFactory]:
    """Starts hubs on port 0; each is stopped after the test."""
    hubs: list[Hub] = []

    async def start(certs: Path, db_url: str = sqlite_url, **options: object) -> Hub:
        listen = str(options.pop("listen", "127.0.0.1:0"))
        hub = await Hub.start(
            HubConfig(certs_dir=certs, listen=listen, db_url=db_url, **options)  # type: ignore[arg-type]
        )
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        await hub.stop()


ClientFactory = Callable[[Hub, Path, str], HubClient]


@pytest.fixture
async def connect() -> AsyncIterator[ClientFactory]:
    """Connects as a party of the CA in a certificate directory; closed after the test."""
    clients: list[HubClient] = []

    def open_client(hub: Hub, certs: Path, party_id: str) -> HubClient:
        client = HubClient(ConnectorConfig.for_party(certs, party_id, f"127.0.0.1:{hub.port}"))
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        await client.close()


class ManualClock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self._now = dt.datetime.now(dt.UTC)
        self._mono = 0.0

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta
        self._mono += delta.total_seconds()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


# -- the console: a real browser against a console on port 0 ----------------------------


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """Debian's headless Chromium driven by Playwright (its own download does not work here)."""
    from playwright.async_api import async_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        yield chromium
        await chromium.close()


ConsoleFactory = Callable[..., Awaitable[Any]]


@pytest.fixture
async def start_console(tmp_path: Path) -> AsyncIterator[ConsoleFactory]:
    """Starts consoles on port 0 for a hub, each with its own accounts database (or the
    one given) holding the operators asked for (password CONSOLE_PASSWORD); stopped
    after the test."""
    from console import server
    from console.accounts import Accounts

    consoles: list[Any] = []

    async def start(
        hub: Hub,
        certs: Path,
        party_id: str,
        operators: dict[str, str] | None = None,
        *,
        accounts_db: Path | None = None,
        **options: Any,
    ) -> Any:
        database = accounts_db or tmp_path / f"console-{len(consoles)}.db"
        accounts = Accounts(f"sqlite:///{database}")
        known = {operator.name for operator in accounts.operators()}
        for name, language in (operators or {"Li Wei": "en"}).items():
            if name not in known:
                accounts.add(name, CONSOLE_PASSWORD, language=language)
        running = await server.start(
            ConnectorConfig.for_party(certs, party_id, f"127.0.0.1:{hub.port}"),
            listen="127.0.0.1:0",
            accounts=accounts,
            **options,
        )
        consoles.append(running)
        return running

    yield start
    for running in consoles:
        await running.stop()


class OwnDatabase:
    """A PostgreSQL database of a test's own, which it may close to every connection (as
    an outage would) and open again."""

    def __init__(self, server_url: str, admin: sa.Engine, tag: str) -> None:
        self.name = f"{tag}_{uuid.uuid4().hex[:10]}"
        self._admin = admin
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        self.url = sa.make_url(server_url).set(database=self.name).render_as_string(False)

    def close(self) -> None:
        """No connection is let in, and those open are ended."""
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                ),
                {"d": self.name},
            )

    def open(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))

    def take_writes(self, writable: bool) -> None:
        """Read-only (as a standby is) for connections opened from now on, or writable
        again; with read_only, those open are ended so that the new ones are read-only."""
        with self._admin.connect() as conn:
            if writable:
                conn.execute(
                    sa.text(f'ALTER DATABASE "{self.name}" RESET default_transaction_read_only')
                )
                return
            conn.execute(
                sa.text(f'ALTER DATABASE "{self.name}" SET default_transaction_read_only = on')
            )
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                ),
                {"d": self.name},
            )

    def drop(self) -> None:
        self.open()
        with self._admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))


DatabaseFactory = Callable[[str], OwnDatabase]


@pytest.fixture
def new_database(postgres_server: str) -> Iterator[DatabaseFactory]:
    """Makes PostgreSQL databases of the test's own (tagged), dropped after it."""
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    made: list[OwnDatabase] = []

    def make(tag: str) -> OwnDatabase:
        made.append(OwnDatabase(postgres_server, admin, tag))
        return made[-1]

    yield make
    for database in made:
        database.drop()
    admin.dispose()


@pytest.fixture
async def replicas(start_hub: HubFactory, certs_dir: Path, postgres_url: str) -> tuple[Hub, Hub]:
    """Two hubs on one PostgreSQL schema, as two replicas."""
    return await start_hub(certs_dir, postgres_url), await start_hub(certs_dir, postgres_url)
