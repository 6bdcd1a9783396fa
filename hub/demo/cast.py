"""The demo's cast: the parties of domain.md's six cases, and how each answers its work
(a police desk that stays silent, a courier that intercepts, a hospital that consults)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from lifeline.hub.v1 import (
    case_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
)

from connectors import ConnectorConfig, HubClient
from connectors.courier import CourierConnector
from connectors.desk import DeskConnector
from connectors.duty_desk import DutyDeskConnector
from connectors.hospital import HospitalConnector
from connectors.merchant import MerchantConnector
from wire.identity import PartyIdentity, Role

H = handoff_pb2.Handoff
K = handoff_pb2
R = case_pb2.RiskIndicators
UPDATE_KIND = inbox_service_pb2.CaseUpdate.Kind.Name
CLOSED_STATES = {
    H.STATE_COMPLETED,
    H.STATE_CANCELLED,
    H.STATE_ESCALATED,
    H.STATE_EXPIRED,
    H.STATE_DECLINED,
}

PARTIES = [
    PartyIdentity("duty-desk", Role.PLATFORM),
    PartyIdentity("duty-desk-2", Role.PLATFORM),
    PartyIdentity("shop-sleepwell", Role.MERCHANT),
    PartyIdentity("shop-pharmacy", Role.MERCHANT),
    PartyIdentity("shop-agri", Role.MERCHANT),
    PartyIdentity("shop-grocery", Role.MERCHANT),
    PartyIdentity("courier-sf", Role.COURIER),
    PartyIdentity("police-110105", Role.POLICE, "110105"),
    PartyIdentity("police-110108", Role.POLICE, "110108"),
    PartyIdentity("police-310115", Role.POLICE, "310115"),
    PartyIdentity("police-310100", Role.POLICE, "310100"),
    PartyIdentity("police-410102", Role.POLICE, "410102"),
    PartyIdentity("police-440305", Role.POLICE, "440305"),
    PartyIdentity("committee-110105", Role.COMMITTEE, "110105"),
    PartyIdentity("committee-410102", Role.COMMITTEE, "410102"),
    PartyIdentity("hospital-anding", Role.HOSPITAL),
    PartyIdentity("hospital-online", Role.HOSPITAL),
]
# The console watches as a platform party of its own: the demo's scripted duty desk
# keeps duty-desk's inbox, and every platform party sees every case.
CONSOLE_PARTY = PartyIdentity("duty-console", Role.PLATFORM)
# Every party's role; the console's too, as duty alerts fanned out reach it.
ROLES = {p.party_id: p.role for p in [*PARTIES, CONSOLE_PARTY]}
# The Pudong district desk is out on another call: it never acknowledges.
SILENT = {"police-310115"}
THREAT = (
    "Told the pills are not sold, she says she will jump from the 8th floor"
    " once her parents are asleep."
)
BALCONY = "She writes that she is on the balcony now."
# Case 1's good-morning at 08:44 is 12 h 44 min after 20:00; the demo skips the night.
NIGHT = dt.timedelta(minutes=20)


def say(text: str = "") -> None:
    print(text, flush=True)


def deadlines_toml(speed: float) -> str:
    """The default deadline policy, compressed by `speed`."""

    def s(seconds: float) -> str:
        return f'"{seconds / speed:.3f}s"'

    return (
        f"[deadlines]\nHOLD_ORDER = {s(300)}\nINTERCEPT_PARCEL = {s(1800)}\n"
        f"MEDICAL_CONSULT = {s(1800)}\nFOLLOW_UP = {s(86400)}\n"
        f"[deadlines.DISPATCH]\nIMMINENT = {s(180)}\nHIGH = {s(600)}\ndefault = {s(1800)}\n"
        f"[retry]\nattempts = 1\nbackoff = {s(30)}\nmax_backoff = {s(300)}\n"
    )


@dataclass
class Case:
    title: str
    expected: str
    case_id: str = ""
    start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    outcome: str = ""


@dataclass
class Demo:
    speed: float
    certs: Path
    address: str
    clients: dict[str, HubClient] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    answered: set[str] = field(default_factory=set)
    """Handoffs a party has taken up (its inbox shows each again as its state changes)."""
    hospital_cases: set[str] = field(default_factory=set)
    """Cases whose person the police take to hospital rather than find safe at home."""
    updates: dict[tuple[str, str], list[inbox_service_pb2.CaseUpdate]] = field(default_factory=dict)
    """Case updates received, by (party, case)."""

    def client(self, party_id: str) -> HubClient:
        if party_id not in self.clients:
            self.clients[party_id] = HubClient(
                ConnectorConfig.for_party(self.certs, party_id, self.address)
            )
        return self.clients[party_id]

    async def pause(self, case_seconds: float) -> None:
        """Time passing in the case (a drive to the address, a conversation)."""
        await asyncio.sleep(case_seconds / self.speed)

    async def until(self, check: Callable[[], Awaitable[bool]], case_limit: float = 1800) -> None:
        """Waits, woken by the duty desk's inbox, until `check` holds; gives up after
        `case_limit` seconds of case time (30 real seconds at the default speed), so a
        slower demo, to watch on the console, waits as long in case time."""
        loop = asyncio.get_running_loop()
        end = loop.time() + case_limit / self.speed
        while not await check():
            if loop.time() > end:
                raise TimeoutError("the demo case did not reach its expected state")
            async with self.changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), timeout=0.5)


async def play_party(demo: Demo, party_id: str, stop: asyncio.Event) -> None:
    """One party's connector at work: it answers what arrives on its inbox."""
    client = demo.client(party_id)
    role = ROLES[party_id]

    async def handle(message: inbox_service_pb2.InboxMessage) -> None:
        async with demo.changed:
            demo.changed.notify_all()
        if message.HasField("case_update"):
            update = message.case_update
            demo.updates.setdefault((party_id, message.case_id), []).append(update)
            if update.kind == inbox_service_pb2.CaseUpdate.KIND_CHECK_IN_DUE:
                asyncio.create_task(_check_in(demo, client, message.case_id, update.handoff_id))
            return
        h = message.handoff
        if not message.HasField("handoff") or h.state not in (H.STATE_PENDING, H.STATE_DELIVERED):
            return
        if party_id in SILENT or h.handoff_id in demo.answered:
            return
        demo.answered.add(h.handoff_id)
        asyncio.create_task(_answer(demo, client, role, h))

    await client.work(handle, stop=stop)


async def _answer(demo: Demo, client: HubClient, role: Role, h: handoff_pb2.Handoff) -> None:
    """What each kind of party does with its work, after a realistic delay."""
    if h.kind == K.HANDOFF_KIND_STAY_IN_CONTACT:
        # The chat takes it on and keeps the person talking; the case's end releases it.
        await client.acknowledge_handoff(handoff_id=h.handoff_id)
    elif h.kind == K.HANDOFF_KIND_DUTY_ALERT:
        await demo.pause(30)
        await client.acknowledge_handoff(handoff_id=h.handoff_id)
        await demo.pause(120)
        await client.complete_handoff(
            handoff_id=h.handoff_id,
            outcome=handoff_pb2.Outcome(
                code=K.OUTCOME_CODE_ALERT_HANDLED,
                note="phoned the desk from the party directory; it takes the visit",
            ),
        )
    elif role == Role.MERCHANT:
        merchant = MerchantConnector(client)
        await demo.pause(60)
        if h.details.order_id == "o-pesticide":
            await merchant.confirm_cancelled(
                h.handoff_id, "talked till midnight; she cancelled it herself"
            )
        else:
            await merchant.confirm_held(h.handoff_id, "order held; chat kept open")
    elif role == Role.COURIER:
        courier = CourierConnector(client)
        await courier.acknowledge(h.handoff_id)
        await demo.pause(600)
        await courier.intercepted(h.handoff_id, "stopped at the Nanshan depot")
    elif role in (Role.POLICE, Role.COMMITTEE):
        desk = DeskConnector(client)
        await demo.pause(45)
        taken = await desk.acknowledge(h.handoff_id)
        if h.kind == K.HANDOFF_KIND_FOLLOW_UP:
            return  # the committee keeps it for the follow-up visits
        await demo.pause(60)
        await client.report_progress(
            handoff_id=h.handoff_id, stage=K.PROGRESS_STAGE_ON_THE_WAY, note="car on its way"
        )
        await demo.pause(600)
        await client.report_progress(handoff_id=h.handoff_id, stage=K.PROGRESS_STAGE_ON_SCENE)
        await demo.pause(240)
        where = taken.details.address_text or "the address"
        if h.case_id in demo.hospital_cases:
            await desk.taken_to_hospital(h.handoff_id, f"reached {where}; taken to hospital")
        else:
            await desk.found_safe(h.handoff_id, f"reached {where}; she is safe, family with her")
    elif role == Role.HOSPITAL:
        hospital = HospitalConnector(client)
        await client.acknowledge_handoff(handoff_id=h.handoff_id)
        # The team identifies the drug through its makers and passes it on (case 5).
        await demo.until(lambda: _told(demo, client.party_id, h.case_id))
        await demo.pause(300)
        await hospital.drug_identified(
            h.handoff_id, "treating for quetiapine overdose, as the duty desk identified"
        )


async def _told(demo: Demo, party_id: str, case_id: str) -> bool:
    """Whether the duty desk has shared something about the case with this party."""
    return any(
        u.kind == inbox_service_pb2.CaseUpdate.KIND_SHARED_NOTE
        for u in demo.updates.get((party_id, case_id), [])
    )


async def _check_in(demo: Demo, client: HubClient, case_id: str, handoff_id: str) -> None:
    """The agreed good-morning: she answers, and the chat says so on the closed case."""
    await demo.pause(60)
    await client.report_signal(
        case_pb2.Signal(
            source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
            subject=case_pb2.SubjectReference(buyer_id="buyer-1207"),
            situation="08:45: she answered the good-morning.",
        ),
        case_id=case_id,
    )
    await client.complete_handoff(
        handoff_id=handoff_id,
        outcome=handoff_pb2.Outcome(
            code=K.OUTCOME_CODE_PERSON_REPLIED, note="she answered the good-morning"
        ),
    )


async def handoffs_of(duty: DutyDeskConnector, case_id: str) -> list[handoff_pb2.Handoff]:
    response = await duty.hub.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id, page_size=500)
    )
    return list(response.handoffs)


# Work that goes on after the crisis: the committee's follow-up, the chat's contact.
_ONGOING = {K.HANDOFF_KIND_FOLLOW_UP, K.HANDOFF_KIND_STAY_IN_CONTACT}


async def settled(duty: DutyDeskConnector, case_id: str) -> bool:
    """Every handoff but ongoing contact and follow-up has run its course."""
    handoffs = await handoffs_of(duty, case_id)
    return bool(handoffs) and all(
        h.state in CLOSED_STATES or (h.kind in _ONGOING and h.state == H.STATE_ACKNOWLEDGED)
        for h in handoffs
    )


async def state_of(duty: DutyDeskConnector, handoff_id: str) -> int:
    request = handoff_service_pb2.GetHandoffRequest(handoff_id=handoff_id)
    return (await duty.hub.handoffs.GetHandoff(request)).handoff.state


def address(code: str, text: str) -> case_pb2.Address:
    return case_pb2.Address(jurisdiction_code=code, text=text)
