"""`lifeline demo`: the six real cases of domain.md, played through a real hub.

A fresh dev CA and a SQLite hub in a temporary directory; the hub runs as its
own process (`lifeline serve`) and every party talks to it through its connector
over mutual-TLS gRPC, exactly as in production. Time is compressed by --speed
(the deadline policy is divided by it), and one police desk stays silent so that
the hub's escalation is seen. At the end every case's evidence bundle is
exported and verified offline against the CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import signal
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    party_pb2,
)

from connectors import ConnectorConfig, HubClient, wording
from connectors.courier import CourierConnector
from connectors.desk import DeskConnector
from connectors.duty_desk import DutyDeskConnector
from connectors.hospital import HospitalConnector
from connectors.merchant import MerchantConnector
from hub import rota
from hub.certs import CertificateAuthority, load_certificate
from hub.db import Database
from hub.disclosure import POLICY, Rule, handoff_kind_key
from hub.evidence import EvidenceError, export, verify
from hub.identity import PartyIdentity, Role
from hub.process import spawn_hub

H = handoff_pb2.Handoff
K = handoff_pb2
R = case_pb2.RiskIndicators
_UPDATE = inbox_service_pb2.CaseUpdate.Kind.Name
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
_ROLES = {p.party_id: p.role for p in [*PARTIES, CONSOLE_PARTY]}
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


def _deadlines_toml(speed: float) -> str:
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


async def _party(demo: Demo, party_id: str, stop: asyncio.Event) -> None:
    """One party's connector at work: it answers what arrives on its inbox."""
    client = demo.client(party_id)
    role = _ROLES[party_id]

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


async def _handoffs(duty: DutyDeskConnector, case_id: str) -> list[handoff_pb2.Handoff]:
    response = await duty.hub.handoffs.ListHandoffs(
        handoff_service_pb2.ListHandoffsRequest(case_id=case_id, page_size=500)
    )
    return list(response.handoffs)


# Work that goes on after the crisis: the committee's follow-up, the chat's contact.
_ONGOING = {K.HANDOFF_KIND_FOLLOW_UP, K.HANDOFF_KIND_STAY_IN_CONTACT}


async def _settled(duty: DutyDeskConnector, case_id: str) -> bool:
    """Every handoff but ongoing contact and follow-up has run its course."""
    handoffs = await _handoffs(duty, case_id)
    return bool(handoffs) and all(
        h.state in CLOSED_STATES or (h.kind in _ONGOING and h.state == H.STATE_ACKNOWLEDGED)
        for h in handoffs
    )


async def _state(duty: DutyDeskConnector, handoff_id: str) -> int:
    request = handoff_service_pb2.GetHandoffRequest(handoff_id=handoff_id)
    return (await duty.hub.handoffs.GetHandoff(request)).handoff.state


def _address(code: str, text: str) -> case_pb2.Address:
    return case_pb2.Address(jurisdiction_code=code, text=text)


async def _play(demo: Demo) -> list[Case]:
    c = demo.client
    duty = DutyDeskConnector(c("duty-desk"))
    cases = [
        Case("1. The 12-year-old (20:00)", "PERSON_FOUND_SAFE"),
        Case("2. Several shops, one person", "PERSON_FOUND_SAFE"),
        Case("3. Pesticide shop", "DE_ESCALATED"),
        Case("4. Ordinary goods (chili peppers)", "PERSON_FOUND_SAFE"),
        Case("5. Unknown drug", "DRUG_IDENTIFIED"),
        Case("6. Hospital as the source", "PERSON_TAKEN_TO_HOSPITAL"),
    ]

    async def one(
        case: Case,
        report: Callable[[], Awaitable[str]],
        after: Callable[[str], Awaitable[None]],
        resolution: int,
        closed: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        case.case_id = await report()
        await after(case.case_id)
        await demo.until(lambda: _settled(duty, case.case_id))
        await duty.close(case.case_id, resolution)
        if closed is not None:
            await closed(case.case_id)

    async def of_kind(case_id: str, kind: int) -> list[handoff_pb2.Handoff]:
        return [h for h in await _handoffs(duty, case_id) if h.kind == kind]

    async def case1() -> str:
        r = await MerchantConnector(c("shop-sleepwell")).report_chat(
            "Asked for sleeping pills 'not for an illness'; an earlier overdose failed.",
            R(stated_intent=True, method_prepared=True, earlier_attempt=True, stated_time=True),
            buyer_id="buyer-1207",
            phone="139 1000 1207",
            address=_address("110105", "Building 3, flat 802, Chaoyang"),
        )
        return r.case.case_id

    async def case1_relay(case_id: str) -> None:
        # The interventionist writes down the threat and shares it with the police desk
        # once it has taken the case on.
        async def dispatch_taken() -> bool:
            return any(
                h.HasField("acknowledge_time")
                for h in await of_kind(case_id, K.HANDOFF_KIND_DISPATCH)
            )

        await demo.until(dispatch_taken)
        await duty.hub.cases.AddCaseNote(
            case_service_pb2.AddCaseNoteRequest(
                case_id=case_id, text=THREAT, share_with=[party_pb2.ROLE_POLICE]
            )
        )
        # Later the chat sees more; the policy forwards it to the police on its own.
        await demo.pause(300)
        await MerchantConnector(c("shop-sleepwell")).report_chat(
            BALCONY, R(stated_intent=True), buyer_id="buyer-1207"
        )

        async def dispatch_done() -> bool:
            return any(
                h.state == H.STATE_COMPLETED
                for h in await of_kind(case_id, K.HANDOFF_KIND_DISPATCH)
            )

        await demo.until(dispatch_done)
        # The chat kept her talking till the police came, and agreed a good-morning.
        shop = c("shop-sleepwell")
        for h in await of_kind(case_id, K.HANDOFF_KIND_STAY_IN_CONTACT):
            await shop.complete_handoff(
                handoff_id=h.handoff_id,
                outcome=handoff_pb2.Outcome(
                    code=K.OUTCOME_CODE_CONTACT_KEPT, note="talked with her till the police came"
                ),
            )
        request = handoff_service_pb2.CreateHandoffRequest(
            case_id=case_id,
            kind=K.HANDOFF_KIND_STAY_IN_CONTACT,
            assignee_party_id="shop-sleepwell",
            instruction="Send the good-morning you agreed on (08:44) and tell us if she answers.",
        )
        request.check_in_time.FromDatetime(dt.datetime.now(dt.UTC) + NIGHT / demo.speed)
        await duty.hub.handoffs.CreateHandoff(request)

    async def case1_morning(case_id: str) -> None:
        [morning] = [
            h
            for h in await of_kind(case_id, K.HANDOFF_KIND_STAY_IN_CONTACT)
            if h.HasField("check_in_time")
        ]

        async def answered() -> bool:
            return await _state(duty, morning.handoff_id) == H.STATE_COMPLETED

        await demo.until(answered, case_limit=3600 + NIGHT.total_seconds())

    async def case2() -> str:
        first = await MerchantConnector(c("shop-pharmacy")).report_chat(
            "Looking for a large amount of sleeping pills, several shops tried already",
            R(searched_for_methods=True, insomnia=True),
            phone="+86 137-0000-2222",
        )
        second = await MerchantConnector(c("shop-grocery")).report_chat(
            "'Don't stop me, it's not my first time'; has charcoal at home",
            R(stated_intent=True, method_prepared=True, earlier_attempt=True),
            phone="13700002222",
            address=_address("310115", "Lane 88, room 5, Pudong"),
        )
        # One case, not two; a shop is not told that (`merged`), the duty desk's timeline is.
        assert first.case.case_id == second.case.case_id
        return second.case.case_id

    async def case3() -> str:
        r = await MerchantConnector(c("shop-agri")).report_chat(
            "Asked whether someone who drank it by accident would go quickly;"
            " mother's medical debts",
            R(stated_intent=True, recent_setback=True),
            buyer_id="buyer-henan",
            address=_address("410102", "Village 4, house 12"),
            orders=[case_pb2.OrderReference(order_id="o-pesticide", item_summary="pesticide, 1 L")],
        )
        return r.case.case_id

    async def case3_grade(case_id: str) -> None:
        await duty.grade(
            case_id,
            case_pb2.RISK_LEVEL_HIGH,
            "the pesticide is in her basket: treat the method as prepared",
        )

    async def case4() -> str:
        parcel = case_pb2.ParcelReference(
            tracking_number="SF-4471", courier_party_id="courier-sf", order_id="o-chili"
        )
        parcel.estimated_delivery_time.FromDatetime(
            dt.datetime.now(dt.UTC) + dt.timedelta(hours=6) / demo.speed
        )
        r = await MerchantConnector(c("shop-grocery")).report_chat(
            "Ordered 5 kg of the hottest chili peppers and says he means to die by eating them",
            R(stated_intent=True, method_prepared=True),
            buyer_id="buyer-chili",
            address=_address("440305", "Nanshan, block 7"),
            orders=[case_pb2.OrderReference(order_id="o-chili", item_summary="chili peppers 5 kg")],
            parcels=[parcel],
        )
        return r.case.case_id

    async def case5_identify(case_id: str) -> None:
        # The team reaches the makers from the tablets' remains and tells the hospital.
        async def consult_taken() -> bool:
            return any(
                h.HasField("acknowledge_time")
                for h in await of_kind(case_id, K.HANDOFF_KIND_MEDICAL_CONSULT)
            )

        await demo.until(consult_taken)
        await demo.pause(600)
        await duty.hub.cases.AddCaseNote(
            case_service_pb2.AddCaseNoteRequest(
                case_id=case_id,
                text="Identified through the makers from the imprint on the remains:"
                " quetiapine 200 mg, about 20 tablets.",
                share_with=[party_pb2.ROLE_HOSPITAL],
            )
        )

    async def case5() -> str:
        signal = case_pb2.Signal(
            source=case_pb2.SIGNAL_SOURCE_PLATFORM_DUTY_DESK,
            subject=case_pb2.SubjectReference(phone="135 5555 0005"),
            indicators=R(stated_intent=True, method_prepared=True, psychiatric_history=True),
            situation="Family asks for help online: their brother swallowed psychiatric drugs"
            " bought"
            " elsewhere; doctors cannot choose a treatment.",
            clinical_facts=(
                "Tablets with the labels torn off; remains photographed; ingested 2 h ago"
            ),
            hospital_party_id="hospital-anding",
        )
        return (await duty.report(signal)).case.case_id

    async def case6() -> str:
        r = await HospitalConnector(c("hospital-online")).report_patient(
            "Patient wrote in the consultation chat that tonight is the end; has saved pills",
            "Major depressive disorder; sertraline 100 mg",
            R(stated_intent=True, method_prepared=True, psychiatric_history=True),
            phone="138 6666 0006",
            address=_address("110108", "Haidian, building 12"),
        )
        demo.hospital_cases.add(r.case.case_id)
        return r.case.case_id

    async def nothing(case_id: str) -> None:
        return None

    def code(name: str) -> int:
        return case_pb2.CaseResolution.Code.Value(f"CODE_{name}")

    await asyncio.gather(
        one(cases[0], case1, case1_relay, code("PERSON_SAFE"), case1_morning),
        one(cases[1], case2, nothing, code("PERSON_SAFE")),
        one(cases[2], case3, case3_grade, code("DE_ESCALATED")),
        one(cases[3], case4, nothing, code("PERSON_SAFE")),
        one(cases[4], case5, case5_identify, code("HOSPITALISED")),
        one(cases[5], case6, nothing, code("HOSPITALISED")),
    )
    return cases


async def _summarise(demo: Demo, cases: list[Case], db_url: str, ca: Path) -> dict[str, Any]:
    duty = DutyDeskConnector(demo.client("duty-desk"))
    rows: list[dict[str, Any]] = []
    db = Database(db_url)
    verified_all = True
    try:
        for case in cases:
            request = case_service_pb2.GetCaseRequest(case_id=case.case_id)
            info = (await duty.hub.cases.GetCase(request)).case
            handoffs = await _handoffs(duty, case.case_id)
            events = await duty.timeline(case.case_id)
            t0 = events[0].create_time.ToDatetime(dt.UTC)
            say(f"\n{case.title}  [{case.case_id}]")
            for e in events:
                at = (e.create_time.ToDatetime(dt.UTC) - t0).total_seconds() * demo.speed
                who = e.actor_party_id or "hub"
                note = f"  ({e.note})" if e.note else ""
                say(f"  +{int(at // 60):3d}m{int(at % 60):02d}s  {who:<16} {e.summary}{note}")
            police = [
                h
                for h in handoffs
                if h.kind == K.HANDOFF_KIND_DISPATCH and h.HasField("acknowledge_time")
            ]
            ack_seconds = (
                round(
                    min(
                        (h.acknowledge_time.ToDatetime(dt.UTC) - t0).total_seconds() for h in police
                    )
                    * demo.speed
                )
                if police
                else None
            )
            outcomes = [
                handoff_pb2.OutcomeCode.Name(h.outcome.code).removeprefix("OUTCOME_CODE_")
                for h in handoffs
                if h.outcome.code
            ]
            resolution = case_pb2.CaseResolution.Code.Name(info.resolution.code).removeprefix(
                "CODE_"
            )
            case.outcome = (
                case.expected
                if case.expected in (*outcomes, resolution)
                else (outcomes[-1] if outcomes else resolution)
            )
            for h in sorted(handoffs, key=lambda h: h.create_time.ToNanoseconds()):
                if h.kind == K.HANDOFF_KIND_DUTY_ALERT:
                    why = wording.alert_reason(h.alert_reason)
                    say(f"  {h.assignee_party_id:<18} duty alert ({why}): {wording.state(h.state)}")
                else:
                    say(f"  {h.assignee_party_id:<18} knew: {_knew(h)}")
            for (party_id, case_id), updates in sorted(demo.updates.items()):
                for u in updates if case_id == case.case_id else []:
                    say(f"  {party_id:<18} was told: {u.text or _UPDATE(u.kind)}")
            bundle = db.transaction(functools.partial(export, case_id=case.case_id))
            try:
                report = verify(json.loads(json.dumps(bundle)), load_certificate(ca))
                evidence = f"evidence verified ({report.messages} signed messages)"
            except EvidenceError as e:
                verified_all = False
                evidence = f"EVIDENCE FAILED: {e}"
            say(f"  -> {evidence}")
            rows.append(
                {
                    "case": case.title,
                    "case_id": case.case_id,
                    "risk": case_pb2.RiskLevel.Name(info.risk_level).removeprefix("RISK_LEVEL_"),
                    "handoffs": len(handoffs),
                    "police_ack_seconds": ack_seconds,
                    "escalations": sum(1 for h in handoffs if h.escalated_from_handoff_id),
                    "duty_alerts": [
                        handoff_pb2.DutyAlertReason.Name(h.alert_reason).removeprefix(
                            "DUTY_ALERT_REASON_"
                        )
                        for h in handoffs
                        if h.kind == K.HANDOFF_KIND_DUTY_ALERT
                    ],
                    "outcome": case.outcome,
                    "expected": case.expected,
                }
            )
    finally:
        db.close()
    say(
        f"\n{'case':<36}{'risk':<10}{'handoffs':>9}{'police ack s':>14}{'escal.':>8}"
        f"{'alerts':>8}  outcome"
    )
    for r in rows:
        ack = "-" if r["police_ack_seconds"] is None else str(r["police_ack_seconds"])
        say(
            f"{r['case']:<36}{r['risk']:<10}{r['handoffs']:>9}{ack:>14}{r['escalations']:>8}"
            f"{len(r['duty_alerts']):>8}  {r['outcome']}"
        )
    say("(seconds are case time: real seconds x --speed)")
    return {"cases": rows, "evidence_verified": verified_all}


async def _until_interrupted() -> None:
    """Waits for Ctrl-C (which asyncio.run turns into this task's cancellation)."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


def _night_shift(db_url: str) -> None:
    """Puts duty-desk on call (duty-desk-2 its backup) for the demo's night."""
    tz = rota.zone("Asia/Shanghai")
    now = dt.datetime.now(tz).replace(tzinfo=None, second=0, microsecond=0)
    db = Database(db_url)
    try:
        db.transaction(
            lambda s: rota.add_shift(
                s,
                "duty-desk",
                now - dt.timedelta(hours=1),
                now + dt.timedelta(hours=13),
                "Asia/Shanghai",
                "duty-desk-2",
            )
        )
    finally:
        db.close()


def _knew(h: handoff_pb2.Handoff) -> str:
    """What the disclosure policy let this assignee see of the case."""
    role = _ROLES[h.assignee_party_id]
    rule = POLICY.get((role, handoff_kind_key(h.kind)), Rule())
    if "*" in rule.fields:
        return "everything (duty desk)"
    # Where escalated work came from is only there when the work was escalated.
    hidden = {"kind", "assignee"} | (set() if h.HasField("escalated_from") else {"escalated_from"})
    shown = ", ".join(sorted(rule.fields - hidden))
    if rule.after_acknowledgement and h.HasField("acknowledge_time"):
        shown += " + after acknowledging: " + ", ".join(sorted(rule.after_acknowledgement))
    return shown


DEMO_OPERATOR, DEMO_PASSWORD = "Demo", "lifeline-demo"


async def _start_console(certs: Path, hub_address: str, tmp: str, listen: str) -> Any:
    """The duty console beside the demo, with one demo operator."""
    from console import server
    from console.accounts import Accounts

    CertificateAuthority(certs).issue(CONSOLE_PARTY)
    accounts = Accounts(f"sqlite:///{tmp}/console.db")
    accounts.add(DEMO_OPERATOR, DEMO_PASSWORD, lead=True, language="en")
    running = await server.start(
        ConnectorConfig.for_party(certs, CONSOLE_PARTY.party_id, hub_address),
        listen=listen,
        accounts=accounts,
    )
    say(
        f"duty console at {running.url}: sign in as {DEMO_OPERATOR!r},"
        f" password {DEMO_PASSWORD!r}, and watch the board"
    )
    return running


async def run_demo(
    speed: float = 60.0, json_out: Path | None = None, console_listen: str | None = None
) -> int:
    # SIGTERM unwinds like Ctrl-C: the hub process is stopped and the temporary
    # directory, dev CA keys included, removed.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    with tempfile.TemporaryDirectory(prefix="lifeline-demo-") as tmp:
        certs = Path(tmp) / "certs"
        ca = CertificateAuthority(certs)
        ca.init()
        for identity in PARTIES:
            ca.issue(identity)
        deadlines = Path(tmp) / "deadlines.toml"
        deadlines.write_text(_deadlines_toml(speed))
        db_url = f"sqlite:///{tmp}/hub.db"
        say(f"dev CA and {len(PARTIES)} party certificates in {certs}")
        hub, port = await spawn_hub(certs, db_url, "--deadlines", str(deadlines), "--grace", "2")
        say(f"hub running as pid {hub.pid} on 127.0.0.1:{port} (SQLite), time x{speed:g}")
        _night_shift(db_url)
        say("rota: duty-desk on call tonight, duty-desk-2 its backup")
        demo = Demo(speed, certs, f"127.0.0.1:{port}")
        stop = asyncio.Event()
        workers = [asyncio.create_task(_party(demo, p.party_id, stop)) for p in PARTIES]
        console = None
        try:
            if console_listen is not None:
                console = await _start_console(certs, f"127.0.0.1:{port}", tmp, console_listen)
            for p in PARTIES:
                await demo.client(p.party_id).whoami()  # each desk connects and is registered
            say(
                f"{len(PARTIES)} parties connected over mutual TLS;"
                f" {', '.join(sorted(SILENT))} will"
                " not answer in time"
            )
            cases = await _play(demo)
            summary = await _summarise(demo, cases, db_url, certs / "ca.pem")
            if console is not None:
                say(f"\nthe console stays up at {console.url} with the cases; Ctrl-C ends the demo")
                await _until_interrupted()
        finally:
            if console is not None:
                await console.stop()
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            for client in demo.clients.values():
                await client.close()
            hub.send_signal(signal.SIGTERM)
            await hub.wait()
    if json_out is not None:
        json_out.write_text(json.dumps(summary, indent=2))
    failed = [r["case"] for r in summary["cases"] if r["outcome"] != r["expected"]]
    escalated = sum(r["escalations"] for r in summary["cases"])
    if failed or not summary["evidence_verified"] or escalated == 0:
        say(f"\nNOT AS EXPECTED: {failed or 'evidence or escalation'}")
        return 1
    say("\nall six cases reached their expected outcome; every evidence bundle verified")
    return 0
