"""`lifeline demo`: a hub on a fresh dev CA and SQLite, and parties connecting to it.

The hub runs as its own process (`lifeline serve`) and every party connects over
mutual-TLS gRPC, exactly as in production.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
from pathlib import Path

from lifeline.hub.v1 import party_pb2, party_service_pb2

from connectors import ConnectorConfig, HubClient, LifelineError
from hub.certs import CertificateAuthority
from hub.identity import PartyIdentity, Role

PARTIES = [
    PartyIdentity("duty-desk", Role.PLATFORM),
    PartyIdentity("shop-sleepwell", Role.MERCHANT),
    PartyIdentity("courier-sf", Role.COURIER),
    PartyIdentity("police-110105", Role.POLICE, "110105"),
    PartyIdentity("committee-110105", Role.COMMITTEE, "110105"),
    PartyIdentity("hospital-anding", Role.HOSPITAL),
]


def say(text: str) -> None:
    print(text, flush=True)


async def _start_hub(certs_dir: Path, db_path: Path) -> tuple[asyncio.subprocess.Process, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        "serve",
        "--certs",
        str(certs_dir),
        "--listen",
        "127.0.0.1:0",
        "--db",
        f"sqlite:///{db_path}",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    if not line.startswith(b"lifeline hub serving on port "):
        await process.wait()
        raise RuntimeError(f"the hub did not start (exit {process.returncode})")
    return process, int(line.rsplit(b" ", 1)[1])


async def run_demo() -> int:
    with tempfile.TemporaryDirectory(prefix="lifeline-demo-") as tmp:
        certs_dir = Path(tmp) / "certs"
        ca = CertificateAuthority(certs_dir)
        ca.init()
        say(f"1. dev CA created in {certs_dir}")
        for identity in PARTIES:
            ca.issue(identity)
        say(
            f"   issued {len(PARTIES)} party certificates: "
            + ", ".join(p.party_id for p in PARTIES)
        )
        hub, port = await _start_hub(certs_dir, Path(tmp) / "hub.db")
        address = f"127.0.0.1:{port}"
        say(f"2. hub started (pid {hub.pid}) on {address}, SQLite at {tmp}/hub.db")
        try:
            say("3. each party connects over mutual TLS and asks who the hub sees:")
            for identity in PARTIES:
                async with HubClient(
                    ConnectorConfig.for_party(certs_dir, identity.party_id, address)
                ) as c:
                    party = await c.whoami()
                    where = (
                        f" jurisdiction {party.jurisdiction_code}"
                        if party.jurisdiction_code
                        else ""
                    )
                    say(f"   {party.party_id:<18} role {party_pb2.Role.Name(party.role)}{where}")
            platform = ConnectorConfig.for_party(certs_dir, "duty-desk", address)
            async with HubClient(platform) as c:
                listed = await c.parties.ListParties(party_service_pb2.ListPartiesRequest())
                count = len(listed.parties)
                say(f"4. the duty desk lists the registry: {count} parties, seen on first contact")
            merchant = ConnectorConfig.for_party(certs_dir, "shop-sleepwell", address)
            async with HubClient(merchant) as c:
                try:
                    await c.parties.ListParties(party_service_pb2.ListPartiesRequest())
                    say("   ! a merchant was allowed to list the registry")
                    return 1
                except LifelineError as e:
                    say(f"5. a merchant asking for the registry is refused: {e}")
            ca.revoke("courier-sf")
            courier = ConnectorConfig.for_party(certs_dir, "courier-sf", address)
            async with HubClient(courier) as c:
                try:
                    await c.whoami()
                    say("   ! a revoked courier was let in")
                    return 1
                except LifelineError as e:
                    say(f"6. after `certs revoke`, the courier is refused at once: {e}")
        finally:
            hub.send_signal(signal.SIGTERM)
            await hub.wait()
            say(f"7. hub stopped on SIGTERM (exit {hub.returncode})")
    return 0
