"""The case use cases without a network: hub/cases/ on an in-process SQLite store,
called the way the gRPC edge calls them, with messages signed by the parties' real
keys (the session's dev CA). Rule tests use this; end-to-end tests use a real hub."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    signed_pb2,
)

from hub.api.signatures import MessageChecker
from hub.cases import chase, handoffs, intake
from hub.cases import inbox as inbox_use
from hub.cases.inputs import RequestT, SignedCall
from hub.cases.unit import Cases
from hub.domain.policy import HandoffPolicy
from hub.store import certs
from hub.store.db import Database
from hub.store.inbox import Doorbell
from hub.store.registry import PartyRegistry
from tests.conftest import ManualClock
from wire import claims, signed
from wire.identity import PartyIdentity
from wire.signed import Signer


def signer_of(certs_dir: Path, party_id: str) -> Signer:
    ca = certs.CertificateAuthority(certs_dir)
    return Signer(
        certs.load_private_key(ca.party_key_path(party_id)),
        certs.load_certificate(ca.party_cert_path(party_id)),
    )


def hub_signer(certs_dir: Path) -> Signer:
    ca = certs.CertificateAuthority(certs_dir)
    return Signer(
        certs.load_private_key(ca.path(certs.HUB_KEY)),
        certs.load_certificate(ca.path(certs.HUB_CERT)),
    )


@dataclass
class InProcessHub:
    """The use cases over one store; parties are admitted as the gate would admit them."""

    cases: Cases
    checker: MessageChecker
    certs_dir: Path
    clock: ManualClock
    signers: dict[str, Signer] = field(default_factory=dict)

    @classmethod
    async def open(cls, db_url: str, certs_dir: Path, clock: ManualClock) -> InProcessHub:
        db = Database(db_url)
        db.migrate()
        cases = Cases(db, clock, b"rules" * 7, HandoffPolicy(), Doorbell(), hub_signer(certs_dir))
        ca = certs.load_cas_file(certs.CertificateAuthority(certs_dir).path(certs.CA_CERT))
        return cls(cases, MessageChecker(ca, clock, dt.timedelta(minutes=5)), certs_dir, clock)

    async def admit(self, *parties: PartyIdentity) -> None:
        registry = PartyRegistry(self.cases.db, self.clock)
        for party in parties:
            await registry.admit(party, 1)
            self.signers[party.party_id] = signer_of(self.certs_dir, party.party_id)

    def close(self) -> None:
        self.cases.db.close()

    def _signed(
        self,
        party: PartyIdentity,
        request: RequestT,
        message: signed_pb2.SignedMessage,
        kind: int,
        expected: list[signed.Claim],
        handoff_id: str = "",
    ) -> SignedCall[RequestT]:
        """The call as the edge hands it on: its signed message checked once."""
        signer = self.signers[party.party_id]
        verified = self.checker.check(
            message, kind, party, signer.certificate, expected, handoff_id, field="signed"
        )
        return SignedCall(party, request, verified)

    async def report(
        self, party: PartyIdentity, signal: case_pb2.Signal, request_id: str = ""
    ) -> case_service_pb2.ReportSignalResponse:
        expected = claims.signal_claims(signal, "")
        message = self.signers[party.party_id].sign(
            signed.KIND_SIGNAL, signed.HUB, expected, self.clock.now()
        )
        request = case_service_pb2.ReportSignalRequest(
            request_id=request_id, signal=signal, signed_signal=message
        )
        call = self._signed(party, request, message, signed.KIND_SIGNAL, expected)
        return await intake.report_signal(self.cases, call)

    async def acknowledge(
        self, party: PartyIdentity, handoff_id: str
    ) -> handoff_service_pb2.AcknowledgeHandoffResponse:
        expected = claims.acknowledgement_claims("")
        receipt = self.signers[party.party_id].sign(
            signed.KIND_ACKNOWLEDGEMENT,
            signed.HUB,
            expected,
            self.clock.now(),
            handoff_id=handoff_id,
        )
        request = handoff_service_pb2.AcknowledgeHandoffRequest(
            handoff_id=handoff_id, receipt=receipt
        )
        call = self._signed(
            party, request, receipt, signed.KIND_ACKNOWLEDGEMENT, expected, handoff_id
        )
        return await handoffs.acknowledge_handoff(self.cases, call)

    async def inbox(self, party: PartyIdentity) -> list[inbox_service_pb2.InboxMessage]:
        rows = await inbox_use.read(self.cases, party, 0)
        return [inbox_service_pb2.InboxMessage.FromString(row.payload) for row in rows]

    async def handoffs_of(self, party: PartyIdentity) -> list[handoff_pb2.Handoff]:
        latest: dict[str, handoff_pb2.Handoff] = {}
        for message in await self.inbox(party):
            if message.HasField("handoff"):
                latest[message.handoff.handoff_id] = message.handoff
        return list(latest.values())

    async def pass_time(self, delta: dt.timedelta) -> int:
        """Moves the clock on and fires what fell due, as the scheduler would."""
        self.clock.advance(delta)
        fired = 0
        while late := await chase.fire_due(self.cases, "rules"):
            fired += len(late)
        return fired
