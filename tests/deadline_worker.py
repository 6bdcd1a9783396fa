"""A second hub process's deadline firing, for the exactly-once test.

Run as: python -m tests.deadline_worker DB_URL CERTS_DIR NAME
Fires due deadlines until none are left and prints how many it fired.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hub.cases import chase
from hub.cases.unit import Cases
from hub.domain.clock import SystemClock
from hub.domain.matching import load_or_create_secret
from hub.domain.policy import HandoffPolicy
from hub.store import certs
from hub.store.db import Database
from hub.store.inbox import Doorbell
from wire.signed import Signer


async def main(db_url: str, certs_dir: Path, name: str) -> None:
    db = Database(db_url)
    signer = Signer(
        certs.load_private_key(certs_dir / "hub.key"), certs.load_certificate(certs_dir / "hub.pem")
    )
    cases = Cases(
        db,
        SystemClock(),
        load_or_create_secret(certs_dir / "matching.key"),
        HandoffPolicy(),
        Doorbell(),
        signer,
    )
    total = 0
    while late := await chase.fire_due(cases, name, batch=50):
        total += len(late)
    db.close()
    print(total, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3]))
