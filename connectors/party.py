"""What every party connector shares: its client, its inbox, taking work on and finishing it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
)

from connectors.client import HubClient

H = handoff_pb2.Handoff
_OPEN = (H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED)


async def every_page(call: Callable[[Any], Awaitable[Any]], request: Any, items: str) -> list[Any]:
    """Every item of a List RPC, page after page (the largest pages the hub allows)."""
    found: list[Any] = []
    request.page_size = 500
    while True:
        page = await call(request)
        found += getattr(page, items)
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token


def awaits_acknowledgement(handoff: handoff_pb2.Handoff) -> bool:
    """Whether the hub waits for the desk to take this on, and chases it at due_time."""
    return handoff.HasField("due_time") and handoff.state in (H.STATE_PENDING, H.STATE_DELIVERED)


def by_time_left(handoffs: Iterable[handoff_pb2.Handoff]) -> list[handoff_pb2.Handoff]:
    """Most urgent first: work awaiting acknowledgement by its deadline, then the rest
    (taken on, finished) oldest first."""
    return sorted(
        handoffs,
        key=lambda h: (
            (0, h.due_time.ToNanoseconds())
            if awaits_acknowledgement(h)
            else (1, h.create_time.ToNanoseconds())
        ),
    )


class PartyConnector:
    """A thin layer over HubClient in a party's own words; subclasses add the verbs."""

    def __init__(self, hub: HubClient) -> None:
        self.hub = hub

    async def work(
        self, handle: Callable[[inbox_service_pb2.InboxMessage], Awaitable[None]], **options: object
    ) -> None:
        """Every message on this party's inbox, verified, in order, resumed after a cut."""
        await self.hub.work(handle, **options)  # type: ignore[arg-type]

    async def open_work(self) -> list[handoff_pb2.Handoff]:
        """This party's unfinished handoffs, most urgent first."""
        every: list[handoff_pb2.Handoff] = await every_page(
            self.hub.handoffs.ListHandoffs, handoff_service_pb2.ListHandoffsRequest(), "handoffs"
        )
        mine = (h for h in every if h.assignee_party_id == self.hub.party_id)
        return by_time_left(h for h in mine if h.state in _OPEN)

    async def timeline(self, case_id: str) -> list[case_pb2.CaseEvent]:
        """The case's events as this party may see them (hub/store/visibility.py): the platform
        all of them, another party its own work's."""
        events: list[case_pb2.CaseEvent] = await every_page(
            self.hub.cases.ListCaseEvents,
            case_service_pb2.ListCaseEventsRequest(case_id=case_id),
            "events",
        )
        return events

    async def evidence(self, case_id: str) -> tuple[str, str]:
        """The case's evidence bundle as this party may see it: (file name, JSON), to check
        offline with `lifeline evidence verify`."""
        response = await self.hub.cases.ExportEvidence(
            case_service_pb2.ExportEvidenceRequest(case_id=case_id)
        )
        return response.file_name, response.bundle_json

    # Each verb takes a request_id; without one it uses the same id each time for the same
    # handoff, and doing again what is already done returns the handoff (HubClient._once),
    # so a handler that meets a redelivered message may simply act on it again. `operator`
    # names the person at this party who acted (signed with the receipt).

    async def acknowledge(
        self, handoff_id: str, request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        """Takes the work on (a signed receipt); stops the hub's chase."""
        return (
            await self.hub.acknowledge_handoff(handoff_id, request_id, operator=operator)
        ).handoff

    async def decline(
        self, handoff_id: str, reason: str, request_id: str = "", *, operator: str = ""
    ) -> handoff_pb2.Handoff:
        """Refuses the work, saying why; the hub hands it to the next party at once."""
        return (
            await self.hub.decline_handoff(handoff_id, reason, request_id, operator=operator)
        ).handoff

    async def progress(
        self,
        handoff_id: str,
        stage: int,
        note: str = "",
        request_id: str = "",
        *,
        operator: str = "",
    ) -> handoff_pb2.Handoff:
        """Tells the hub how acknowledged work is going; restarts the time it allows
        without news."""
        return (
            await self.hub.report_progress(handoff_id, stage, note, request_id, operator=operator)
        ).handoff

    async def finish(
        self,
        handoff_id: str,
        code: int,
        note: str = "",
        request_id: str = "",
        *,
        operator: str = "",
    ) -> handoff_pb2.Handoff:
        """Reports the outcome, acknowledging first if that was not done yet."""
        current = await self.hub.handoffs.GetHandoff(
            handoff_service_pb2.GetHandoffRequest(handoff_id=handoff_id)
        )
        if current.handoff.state not in (H.STATE_ACKNOWLEDGED, H.STATE_COMPLETED):
            await self.acknowledge(
                handoff_id, f"{request_id}:ack" if request_id else "", operator=operator
            )
        outcome = handoff_pb2.Outcome(code=code, note=note)  # type: ignore[arg-type]
        return (
            await self.hub.complete_handoff(handoff_id, outcome, request_id, operator=operator)
        ).handoff
