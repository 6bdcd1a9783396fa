"""The duty console's API (issue 13): the person who acted on every timeline line and
signed receipt, the rota, evidence over the API, and what changed since a time."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import grpc
import pytest
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    rota_service_pb2,
    signed_pb2,
)

from connectors import HubClient
from connectors.duty_desk import DutyDeskConnector
from connectors.errors import InvalidArgumentError, NotFoundError, PermissionDeniedError
from connectors.party import PartyConnector
from hub import Hub
from hub.cases import evidence
from hub.store import certs, rota
from tests.conftest import ClientFactory, HubFactory
from tests.flows import RISK_MODEL, handoffs, has_handoff, imminent, read_inbox, signal
from wire import claims, reasons, signed

DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
E = case_pb2.CaseEvent


async def _registered(connect: ClientFactory, hub: Hub, certs_dir: Path, *parties: str) -> None:
    for party in parties:
        await connect(hub, certs_dir, party).whoami()


async def _dispatched(
    connect: ClientFactory, hub: Hub, certs_dir: Path, buyer: str
) -> tuple[str, str, HubClient]:
    """An IMMINENT case and its DISPATCH, as the police desk received it."""
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**imminent(buyer))
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(DISPATCH)))[0]
    return reported.case.case_id, dispatch.handoff_id, police


def _claim(item: dict, name: str) -> str | None:
    message = signed_pb2.SignedMessage.FromString(base64.b64decode(item["message"]))
    for raw in message.disclosures:
        disclosure = signed_pb2.Disclosure.FromString(raw)
        if disclosure.name == name:
            return str(json.loads(disclosure.value))
    return None


async def test_the_timeline_names_the_operator_and_the_receipt_signs_them(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105")
    desk = DutyDeskConnector(connect(hub, certs_dir, "duty-desk"))
    low = await desk.hub.report_signal(
        **signal(RISK_MODEL, buyer="b-low", searched_for_methods=True)
    )
    graded = low.case.case_id
    await desk.grade(graded, case_pb2.RISK_LEVEL_HIGH, "she stopped answering", operator="Li Wei")
    grade = [e for e in await desk.timeline(graded) if e.kind == E.KIND_GRADE][-1]
    assert grade.summary.startswith("duty-desk (Li Wei) graded HIGH")
    assert (grade.actor_party_id, grade.operator) == ("duty-desk", "Li Wei")
    # What the hub then did by itself (the policy's handoffs) is the hub's, with nobody named.
    assert all(not e.operator for e in await desk.timeline(graded) if e.actor_party_id == "hub")

    case_id, handoff_id, police = await _dispatched(connect, hub, certs_dir, "b-1")
    await PartyConnector(police).acknowledge(handoff_id, operator="Officer Zhang")
    line = f"police-110105 (Officer Zhang) acknowledged the dispatch ({handoff_id})"
    platform_line = [e for e in await desk.timeline(case_id) if e.summary.startswith(line)]
    assert [e.operator for e in platform_line] == ["Officer Zhang"]
    own = await police.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    assert [e.operator for e in own.events if e.summary.startswith(line)] == ["Officer Zhang"]

    # The acknowledgement's signed receipt carries the operator; both bundles verify.
    ca = certs.load_certificate(certs_dir / "ca.pem")
    name, police_json = await PartyConnector(police).evidence(case_id)
    assert name == f"{case_id}-evidence.json" and name.startswith("case-")
    police_bundle = json.loads(police_json)
    assert (police_bundle["for_role"], police_bundle["for_party"]) == ("police", "police-110105")
    evidence.verify(police_bundle, ca)
    [ack] = [m for m in police_bundle["messages"] if m["kind"] == "KIND_ACKNOWLEDGEMENT"]
    assert _claim(ack, claims.OPERATOR) == "Officer Zhang"
    # Narrowed to the police: none of the shop's own claims, no event bodies.
    [sig] = [m for m in police_bundle["messages"] if m["kind"] == "KIND_SIGNAL"]
    assert _claim(sig, claims.ORDER) is None and _claim(sig, claims.BUYER_ID) is None
    assert all("body" not in e for e in police_bundle["timelines"][case_id])

    _, full_json = await desk.evidence(case_id)
    full = json.loads(full_json)
    evidence.verify(full, ca)
    bodies = [e["body"] for e in full["timelines"][case_id]]
    assert [b["data"]["operator"] for b in bodies if b["summary"].startswith(line)] == [
        "Officer Zhang"
    ]
    assert _claim(
        [m for m in full["messages"] if m["kind"] == "KIND_ACKNOWLEDGEMENT"][0], claims.OPERATOR
    ) == ("Officer Zhang")


async def test_an_operator_the_receipt_does_not_sign_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    await _registered(connect, hub, certs_dir, "duty-desk", "police-110105")
    _, handoff_id, police = await _dispatched(connect, hub, certs_dir, "b-2")

    def request(signed_as: str, named: str) -> handoff_service_pb2.AcknowledgeHandoffRequest:
        receipt = police.signer.sign(
            signed.KIND_ACKNOWLEDGEMENT,
            signed.HUB,
            claims.acknowledgement_claims(signed_as),
            dt.datetime.now(dt.UTC),
            handoff_id=handoff_id,
        )
        return handoff_service_pb2.AcknowledgeHandoffRequest(
            handoff_id=handoff_id, receipt=receipt, operator=named
        )

    # Another name, a name the receipt does not sign, a signed name the request leaves out.
    for signed_as, named in (
        ("Officer Zhang", "Officer Wang"),
        ("", "Officer Zhang"),
        ("Officer Zhang", ""),
    ):
        with pytest.raises(InvalidArgumentError) as refused:
            await police.handoffs.AcknowledgeHandoff(request(signed_as, named))
        assert refused.value.reason == reasons.SIGNED_CONTENT_MISMATCH
        assert refused.value.metadata["field"] == claims.OPERATOR
    # An old client names nobody and signs nobody: still accepted.
    acknowledged = await police.handoffs.AcknowledgeHandoff(request("", ""))
    assert acknowledged.handoff.state == handoff_pb2.Handoff.STATE_ACKNOWLEDGED


@pytest.mark.parametrize("operator", ["x" * 81, "Li\nWei", "Li\x00Wei"])
async def test_an_operator_name_must_be_short_plain_text(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, operator: str
) -> None:
    hub = await start_hub(certs_dir)
    desk = DutyDeskConnector(connect(hub, certs_dir, "duty-desk"))
    case_id = (await desk.hub.report_signal(**signal(RISK_MODEL, buyer="b-3"))).case.case_id
    with pytest.raises(InvalidArgumentError) as refused:
        await desk.grade(case_id, case_pb2.RISK_LEVEL_HIGH, "why", operator=operator)
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.metadata["field"] == "operator"
    await desk.grade(case_id, case_pb2.RISK_LEVEL_HIGH, "why", operator="x" * 80)


async def test_the_rota_is_the_platforms_and_pages_earliest_first(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    hour = dt.timedelta(hours=1)
    # (party, starts in hours from now, lasts hours): one ended, three ahead, one beyond 48h.
    planned = [("duty-a", -10, 2), ("duty-b", 30, 12), ("duty-a", -1, 8), ("duty-c", 7, 12)]
    planned.append(("duty-b", 60, 8))
    hub.db.transaction(
        lambda s: [
            rota.add_shift(s, p, now + h * hour, now + (h + n) * hour, "UTC", backup_party_id="x")
            for p, h, n in planned
        ]
    )
    desk = DutyDeskConnector(connect(hub, certs_dir, "duty-desk"))
    ahead = await desk.shifts()  # now .. now + 48h
    assert [(s.party_id, s.backup_party_id) for s in ahead] == [
        ("duty-a", "x"),
        ("duty-c", "x"),
        ("duty-b", "x"),
    ]
    assert ahead[0].start_time.ToDatetime() == now - hour and ahead[0].time_zone == "UTC"
    everything = await desk.shifts(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), now + 100 * hour)
    assert [s.party_id for s in everything] == ["duty-a", "duty-a", "duty-c", "duty-b", "duty-b"]

    # One a page: the same shifts, a token a page.
    seen, token = [], ""
    request = rota_service_pb2.ListShiftsRequest(page_size=1)
    request.start_time.FromDatetime(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    request.end_time.FromDatetime(now + 100 * hour)
    while True:
        request.page_token = token
        page = await desk.hub.rota.ListShifts(request)
        seen += [s.shift_id for s in page.shifts]
        token = page.next_page_token
        if not token:
            break
    assert seen == [s.shift_id for s in everything]

    with pytest.raises(InvalidArgumentError) as refused:
        await desk.shifts(dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC) - hour)
    assert refused.value.metadata["field"] == "end_time"
    shop = connect(hub, certs_dir, "shop-1")
    with pytest.raises(PermissionDeniedError):
        await shop.rota.ListShifts(rota_service_pb2.ListShiftsRequest())


async def test_evidence_is_refused_for_a_case_the_caller_may_not_see(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    await _registered(connect, hub, certs_dir, "duty-desk")
    case_id = (
        await connect(hub, certs_dir, "duty-desk").report_signal(**signal(RISK_MODEL, buyer="b-4"))
    ).case.case_id
    shop = PartyConnector(connect(hub, certs_dir, "shop-2"))
    for unseen in (case_id, "case-0000000000000000"):
        with pytest.raises(NotFoundError):
            await shop.evidence(unseen)


async def test_changed_since_lists_cases_updated_at_or_after_a_time(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    desk = DutyDeskConnector(connect(hub, certs_dir, "duty-desk"))
    first = (await desk.hub.report_signal(**signal(RISK_MODEL, buyer="b-5"))).case
    since = (await desk.case(first.case_id)).update_time.ToDatetime(dt.UTC)
    since += dt.timedelta(microseconds=1)
    later = [
        (await desk.hub.report_signal(**signal(RISK_MODEL, buyer=f"b-6{i}"))).case.case_id
        for i in range(3)
    ]
    closed = await desk.close(
        later[0], case_pb2.CaseResolution.CODE_FALSE_REPORT, operator="Li Wei"
    )
    assert closed.state == case_pb2.Case.STATE_CLOSED
    assert sorted(c.case_id for c in await desk.changed_since(since)) == sorted(later)
    assert first.case_id in {c.case_id for c in await desk.changed_since(since - dt.timedelta(1))}

    # With paging and another filter: the token keeps the filter.
    request = case_service_pb2.ListCasesRequest(page_size=1, state=case_pb2.Case.STATE_OPEN)
    request.updated_after.FromDatetime(since)
    seen = []
    while True:
        page = await desk.hub.cases.ListCases(request)
        seen += [c.case_id for c in page.cases]
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    assert sorted(seen) == sorted(later[1:])

    # When a case changed is not a reporter's to learn (like its grade).
    shop = connect(hub, certs_dir, "shop-1")
    asked = case_service_pb2.ListCasesRequest()
    asked.updated_after.FromDatetime(since)
    with pytest.raises(InvalidArgumentError) as refused:
        await shop.cases.ListCases(asked)
    assert refused.value.metadata["field"] == "updated_after"
