"""The inbox as a desk reads it: where its stream starts, what it has not had, and its
acknowledgement, which marks the handoffs it carried as delivered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifeline.hub.v1 import handoff_pb2

from hub.cases import lifecycle
from hub.cases.unit import Cases, Unit, commit
from hub.store import handoffs, inbox
from wire.identity import PartyIdentity

if TYPE_CHECKING:
    from sqlmodel import Session

H = handoff_pb2.Handoff


async def start(cases: Cases, caller: PartyIdentity, after_sequence: int) -> int:
    return await cases.db.run(lambda s: inbox.start_after(s, caller.party_id, after_sequence))


async def marks(cases: Cases, party_ids: list[str]) -> dict[str, int]:
    return await cases.db.run(lambda s: inbox.marks(s, party_ids))


async def read(cases: Cases, caller: PartyIdentity, after_sequence: int) -> list[inbox.Entry]:
    return await cases.db.run(lambda s: inbox.read(s, caller.party_id, after_sequence))


async def acknowledge(cases: Cases, caller: PartyIdentity, through: int) -> int:
    """Records receipt; a handoff still PENDING in the covered messages becomes DELIVERED."""

    def work(session: Session) -> tuple[int, Unit]:
        tx = Unit(cases, session, cases.clock.now(), caller)
        covered = inbox.covered(session, caller.party_id, through)
        for handoff_id in dict.fromkeys(r.handoff_id for r in covered.entries if r.handoff_id):
            handoff = handoffs.locked(session, handoff_id)
            if handoff is not None and handoff.state == H.STATE_PENDING:
                lifecycle.transition(tx, handoff, H.STATE_DELIVERED, "")
        inbox.acknowledge(session, caller.party_id, through)
        return covered.mark, tx

    return await commit(cases, work)
