"""Page tokens are bound to their query: on every list RPC, a token reused with other
filters, by another caller or on another RPC, or not issued by the hub at all
(garbage, a forged huge number), is INVALID_PAGE_TOKEN; two hubs on one database
accept each other's tokens."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    party_pb2,
    party_service_pb2,
)

from connectors import HubClient
from connectors.errors import InvalidArgumentError
from tests.conftest import PARTIES, ClientFactory, HubFactory
from tests.flows import MERCHANT, imminent, signal

H = handoff_pb2.Handoff

# Forgeries: the old unsigned format, with a huge number and a plain key; garbage.
FORGED = [
    base64.urlsafe_b64encode(b"after:" + b"9" * 40).decode(),
    base64.urlsafe_b64encode(b"after:case-0").decode(),
    "%%%",
    "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5.AAAAAAAAAAAAAAAAAAAAAA",
    ".",
    "x" * 1000,
]


async def _refused(call: Awaitable[Any]) -> None:
    with pytest.raises(InvalidArgumentError) as error:
        await call
    assert error.value.reason == "INVALID_PAGE_TOKEN"
    assert error.value.metadata == {"field": "page_token"}


async def _check_binding(
    rpc: Callable[[Any], Awaitable[Any]],
    first: Message,
    others: list[Message],
    *,
    foreign_token: str = "",
) -> str:
    """Pages `first` to its end; its token is refused with each of `others`' filters."""
    page = await rpc(first)
    token = page.next_page_token
    assert token, "the query must span more than one page"
    for other in others:
        reused = type(other)()
        reused.CopyFrom(other)
        reused.page_token = token  # type: ignore[attr-defined]
        await _refused(rpc(reused))
    for forged in [*FORGED, foreign_token] if foreign_token else FORGED:
        request = type(first)()
        request.CopyFrom(first)
        request.page_token = forged  # type: ignore[attr-defined]
        await _refused(rpc(request))
    # The same query, another page size (AIP-158 allows it), pages on.
    following = type(first)()
    following.CopyFrom(first)
    following.page_token = token  # type: ignore[attr-defined]
    following.page_size += 1  # type: ignore[attr-defined]
    assert await rpc(following)
    return str(token)


async def test_page_tokens_are_bound_to_their_query_on_every_list_rpc(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    clients: dict[str, HubClient] = {p: connect(hub, certs_dir, p) for p in PARTIES}
    for client in clients.values():
        await client.whoami()
    platform, police = clients["duty-desk"], clients["police-110105"]
    shop = clients["shop-1"]
    for i in range(3):
        await shop.report_signal(**imminent(f"buyer-{i}"))
    case_id = (
        await shop.report_signal(**signal(MERCHANT, buyer="b-x", insomnia=True))
    ).case.case_id

    parties = await _check_binding(
        platform.parties.ListParties,
        party_service_pb2.ListPartiesRequest(page_size=2),
        [
            party_service_pb2.ListPartiesRequest(page_size=2, role=party_pb2.ROLE_POLICE),
            party_service_pb2.ListPartiesRequest(page_size=2, jurisdiction_code="110100"),
        ],
    )
    cases = await _check_binding(
        platform.cases.ListCases,
        case_service_pb2.ListCasesRequest(page_size=1),
        [
            case_service_pb2.ListCasesRequest(page_size=1, state=case_pb2.Case.STATE_OPEN),
            case_service_pb2.ListCasesRequest(
                page_size=1, minimum_risk_level=case_pb2.RISK_LEVEL_HIGH
            ),
        ],
        foreign_token=parties,
    )
    await _check_binding(
        platform.handoffs.ListHandoffs,
        handoff_service_pb2.ListHandoffsRequest(page_size=1),
        [
            handoff_service_pb2.ListHandoffsRequest(page_size=1, case_id=case_id),
            handoff_service_pb2.ListHandoffsRequest(page_size=1, state=H.STATE_PENDING),
        ],
        foreign_token=cases,
    )
    listed = await platform.cases.ListCases(case_service_pb2.ListCasesRequest())
    # Case ids are random: the other case is whichever is not this one.
    other_case = next(c.case_id for c in listed.cases if c.case_id != case_id)
    events = await _check_binding(
        platform.cases.ListCaseEvents,
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1),
        [case_service_pb2.ListCaseEventsRequest(case_id=other_case, page_size=1)],
        foreign_token=cases,
    )
    # Another caller cannot use the platform's token, even on the same query.
    await _refused(
        police.cases.ListCaseEvents(
            case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1, page_token=events)
        )
    )

    # A second hub on the same database and certificate directory accepts the tokens.
    other = connect(await start_hub(certs_dir, db_url), certs_dir, "duty-desk")
    page = await other.cases.ListCases(case_service_pb2.ListCasesRequest(page_size=1))
    again = await other.cases.ListCases(
        case_service_pb2.ListCasesRequest(page_size=1, page_token=page.next_page_token)
    )
    first = await platform.cases.ListCases(
        case_service_pb2.ListCasesRequest(page_size=1, page_token=page.next_page_token)
    )
    assert [c.case_id for c in again.cases] == [c.case_id for c in first.cases]
