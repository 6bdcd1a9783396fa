"""A hospital or internet hospital: report risk it sees; answer consults."""

from __future__ import annotations

from lifeline.hub.v1 import case_pb2, case_service_pb2, handoff_pb2

from connectors.party import PartyConnector
from wire.enums import OutcomeCode


class HospitalConnector(PartyConnector):
    async def report_patient(
        self,
        situation: str,
        clinical_facts: str,
        indicators: case_pb2.RiskIndicators,
        *,
        phone: str = "",
        address: case_pb2.Address | None = None,
        request_id: str = "",
        operator: str = "",
    ) -> case_service_pb2.ReportSignalResponse:
        signal = case_pb2.Signal(
            source=case_pb2.SIGNAL_SOURCE_HOSPITAL,
            subject=case_pb2.SubjectReference(phone=phone, address=address),
            indicators=indicators,
            situation=situation,
            clinical_facts=clinical_facts,
        )
        return await self.hub.report_signal(signal, request_id, operator=operator)

    async def drug_identified(
        self, handoff_id: str, note: str, request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.DRUG_IDENTIFIED,
            note,
            request_id,
            operator=operator,
        )

    async def drug_not_identified(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.DRUG_NOT_IDENTIFIED,
            note,
            request_id,
            operator=operator,
        )

    async def referral_accepted(
        self, handoff_id: str, note: str = "", request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        return await self.finish(
            handoff_id,
            OutcomeCode.REFERRAL_ACCEPTED,
            note,
            request_id,
            operator=operator,
        )
