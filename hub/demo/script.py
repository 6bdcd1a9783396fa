"""The demo's script: the six real cases of domain.md, played in order through the hub."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    party_pb2,
)

from connectors.duty_desk import DutyDeskConnector
from connectors.hospital import HospitalConnector
from connectors.merchant import MerchantConnector
from hub.demo.cast import (
    BALCONY,
    NIGHT,
    THREAT,
    Case,
    Demo,
    H,
    K,
    R,
    address,
    handoffs_of,
    settled,
    state_of,
)


async def play(demo: Demo) -> list[Case]:
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
        await demo.until(lambda: settled(duty, case.case_id))
        await duty.close(case.case_id, resolution)
        if closed is not None:
            await closed(case.case_id)

    async def of_kind(case_id: str, kind: int) -> list[handoff_pb2.Handoff]:
        return [h for h in await handoffs_of(duty, case_id) if h.kind == kind]

    async def case1() -> str:
        r = await MerchantConnector(c("shop-sleepwell")).report_chat(
            "Asked for sleeping pills 'not for an illness'; an earlier overdose failed.",
            R(stated_intent=True, method_prepared=True, earlier_attempt=True, stated_time=True),
            buyer_id="buyer-1207",
            phone="139 1000 1207",
            address=address("110105", "Building 3, flat 802, Chaoyang"),
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
            return await state_of(duty, morning.handoff_id) == H.STATE_COMPLETED

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
            address=address("310115", "Lane 88, room 5, Pudong"),
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
            address=address("410102", "Village 4, house 12"),
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
            address=address("440305", "Nanshan, block 7"),
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
            address=address("110108", "Haidian, building 12"),
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
