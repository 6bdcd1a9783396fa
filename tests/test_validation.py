"""Validation equals the schema: one table of limits (hub/domain/limits.py) for every field a
request carries; a value at its limit is stored on both databases, one past it is
refused with its field; patterns match whole values; the party id "hub" is reserved."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.timestamp_pb2 import Timestamp
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    party_pb2,
    party_service_pb2,
    rota_service_pb2,
)

from connectors import HubClient
from connectors.client import default_request_id
from connectors.errors import AuthenticationError, LifelineError
from hub import Hub
from hub.api.server import SERVICE_NAMES
from hub.domain import limits, validation
from hub.store.certs import CertificateAuthority
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, imminent, read_inbox, signal
from tests.fuzz import Call, Hostility, sign
from tests.pki import mint
from wire import reasons, signed
from wire.identity import (
    IdentityError,
    PartyIdentity,
    Role,
    validate_jurisdiction,
    validate_party_id,
)

_CHECKED_TYPES = {FieldDescriptor.TYPE_STRING} | {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
}


def _carried(message: Descriptor, seen: set[str]) -> Iterator[FieldDescriptor]:
    """Every field a request of this type can carry, nested and embedded ones too."""
    if message.full_name in seen:
        return
    seen.add(message.full_name)
    for field in message.fields:
        yield field
        if field.message_type is not None:
            yield from _carried(field.message_type, seen)
        embedded = validation.EMBEDDED.get(field.full_name)
        if embedded is not None:
            yield from _carried(embedded.DESCRIPTOR, seen)  # type: ignore[arg-type]


def test_every_field_a_request_can_carry_has_a_limit() -> None:
    files = (
        case_service_pb2,
        handoff_service_pb2,
        inbox_service_pb2,
        party_service_pb2,
        rota_service_pb2,
    )
    services = [
        s
        for f in files
        for s in f.DESCRIPTOR.services_by_name.values()
        if s.full_name in SERVICE_NAMES
    ]
    seen: set[str] = set()
    fields = [
        field
        for service in services
        for method in service.methods
        for field in _carried(method.input_type, seen)
    ]
    missing = [
        f.full_name for f in fields if f.type in _CHECKED_TYPES and f.full_name not in limits.FIELDS
    ]
    assert missing == []
    assert len(fields) > 80  # the walk reached into signals, parties and signed messages


@pytest.mark.parametrize(
    "check, value",
    [
        (validate_jurisdiction, "110105\n"),
        (validate_jurisdiction, "\n110105"),
        (validate_party_id, "police-999\n"),
        (validate_party_id, "police-999\x00"),
    ],
)
def test_patterns_match_the_whole_value(check: Callable[[str], object], value: str) -> None:
    with pytest.raises(IdentityError):
        check(value)


def test_the_party_id_hub_is_reserved(tmp_path: Path, certs_dir: Path) -> None:
    with pytest.raises(IdentityError, match="reserved"):
        PartyIdentity.from_uri("lifeline://party/platform/hub")
    with pytest.raises(IdentityError, match="reserved"):
        CertificateAuthority(certs_dir).issue(PartyIdentity("hub", Role.PLATFORM))
    # A certificate made outside the CLI does not make its holder the hub's signer.
    cert_path, _ = mint(
        tmp_path,
        "fake-hub",
        issuer_dir=certs_dir,
        san=[x509.UniformResourceIdentifier("lifeline://party/platform/hub")],
    )
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    with pytest.raises(signed.SignedMessageError) as refused:
        signed.signer_name(certificate)
    assert refused.value.reason == reasons.SIGNER_CERTIFICATE_INVALID


async def test_a_certificate_claiming_the_hub_is_refused_at_the_gate(
    start_hub: HubFactory, tmp_path: Path, certs_dir: Path
) -> None:
    from connectors import ConnectorConfig

    hub = await start_hub(certs_dir)
    cert, key = mint(
        tmp_path,
        "fake-hub",
        issuer_dir=certs_dir,
        san=[x509.UniformResourceIdentifier("lifeline://party/platform/hub")],
    )
    client = HubClient(ConnectorConfig(f"127.0.0.1:{hub.port}", cert, key, certs_dir / "ca.pem"))
    try:
        with pytest.raises(AuthenticationError) as refused:
            await client.whoami()
    finally:
        await client.close()
    assert refused.value.reason == "PARTY_IDENTITY_INVALID"


def _register(
    party_id: str, jurisdiction: str = "110105"
) -> party_service_pb2.RegisterPartyRequest:
    return party_service_pb2.RegisterPartyRequest(
        party=party_pb2.Party(
            party_id=party_id, role=party_pb2.ROLE_POLICE, jurisdiction_code=jurisdiction
        )
    )


async def _refused(call: Awaitable[object]) -> tuple[str, str]:
    with pytest.raises(LifelineError) as refused:
        await call
    assert refused.value.code is not None and refused.value.code.name == "INVALID_ARGUMENT"
    return refused.value.reason, refused.value.metadata.get("field", "")


async def test_hostile_values_are_refused_with_their_field(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform, shop = connect(hub, certs_dir, "duty-desk"), connect(hub, certs_dir, "shop-1")
    await connect(hub, certs_dir, "police-110105").whoami()
    case = (await shop.report_signal(**imminent("buyer-1"))).case
    observed = signal(MERCHANT, buyer="b", situation="x")["signal"]
    observed.observe_time.CopyFrom(Timestamp(seconds=253402300800))  # 10000-01-01

    def unsayable(signal: case_pb2.Signal) -> case_service_pb2.ReportSignalRequest:
        """A signal the SDK cannot even put in claims, signed as it stands."""
        request = case_service_pb2.ReportSignalRequest(signal=signal)
        signed_request = sign(shop.signer, Call("shop-1", request))
        assert isinstance(signed_request, case_service_pb2.ReportSignalRequest)
        return signed_request

    cases: list[tuple[Awaitable[object], str]] = [
        (platform.parties.RegisterParty(_register("police-999\n")), "party.party_id"),
        (platform.parties.RegisterParty(_register("hub")), "party.party_id"),
        (
            platform.parties.RegisterParty(_register("police-999", "110105\n")),
            "party.jurisdiction_code",
        ),
        (
            shop.report_signal(**signal(MERCHANT, address="x", jurisdiction="110105\n")),
            "signal.subject.address.jurisdiction_code",
        ),
        (shop.report_signal(**signal(MERCHANT, buyer="b\x00")), "signal.subject.buyer_id"),
        (shop.cases.ReportSignal(unsayable(observed)), "signal.observe_time.seconds"),
        (
            shop.cases.ReportSignal(unsayable(signal(99, buyer="b")["signal"])),
            "signal.source",
        ),
        (
            platform.cases.AddCaseNote(
                case_service_pb2.AddCaseNoteRequest(case_id=case.case_id, text="a\x00b")
            ),
            "text",
        ),
        (
            platform.cases.AddCaseNote(
                case_service_pb2.AddCaseNoteRequest(
                    request_id="r" * 101, case_id=case.case_id, text="hello"
                )
            ),
            "request_id",
        ),
        (
            platform.cases.CloseCase(
                case_service_pb2.CloseCaseRequest(
                    case_id=case.case_id,
                    resolution=case_pb2.CaseResolution(code=77),  # type: ignore[arg-type]
                )
            ),
            "resolution.code",
        ),
        (
            platform.cases.ListCaseEvents(
                case_service_pb2.ListCaseEventsRequest(
                    case_id=case.case_id, page_token="YWZ0ZXI6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"
                )
            ),
            "page_token",
        ),
        (platform.acknowledge_inbox(-(2**63)), "through_sequence"),
        # An empty id is a request to fix, not a case or handoff that was not found.
        (platform.cases.GetCase(case_service_pb2.GetCaseRequest()), "case_id"),
        (platform.handoffs.GetHandoff(handoff_service_pb2.GetHandoffRequest()), "handoff_id"),
    ]
    answers = [await _refused(call) for call, _ in cases]
    assert [field for _, field in answers] == [field for _, field in cases]
    assert answers[2][0] == answers[3][0] == "INVALID_JURISDICTION"
    assert answers[10][0] == "INVALID_PAGE_TOKEN"


async def test_the_sdk_refuses_what_it_cannot_send_naming_the_field_the_hub_would(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    shop = connect(hub, certs_dir, "shop-1")
    police, handoff_id = await _dispatch(hub, certs_dir, connect)
    # The request_id the SDK makes from a handoff id stays valid, so the refusal names
    # the handoff id rather than the request_id made from it.
    assert await _refused(police.acknowledge_handoff("h" * 50_000)) == (
        "INVALID_ARGUMENT",
        "handoff_id",
    )
    assert len(default_request_id("decline", "h" * 50_000, "Li Wei")) <= 100
    assert default_request_id("acknowledge", handoff_id) == f"acknowledge-{handoff_id}"
    # A time no Timestamp holds cannot be signed: refused before sending, as the hub would.
    for time, part in (
        (Timestamp(seconds=253402300800), "seconds"),
        (Timestamp(nanos=-1), "nanos"),
    ):
        observed = signal(MERCHANT, buyer="b", situation="x")["signal"]
        observed.observe_time.CopyFrom(time)
        assert await _refused(shop.report_signal(observed)) == (
            "INVALID_ARGUMENT",
            f"signal.observe_time.{part}",
        )
        parcel = signal(MERCHANT, buyer="b", situation="x")["signal"]
        parcel.parcels.add(
            tracking_number="SF1", courier_party_id="courier-1", estimated_delivery_time=time
        )
        assert await _refused(shop.report_signal(parcel)) == (
            "INVALID_ARGUMENT",
            f"signal.parcels[0].estimated_delivery_time.{part}",
        )


async def _dispatch(hub: Hub, certs_dir: Path, connect: ClientFactory) -> tuple[HubClient, str]:
    police = connect(hub, certs_dir, "police-110105")
    await police.whoami()
    await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-1"))
    inbox = await read_inbox(police, lambda ms: any(m.HasField("handoff") for m in ms))
    handoff = next(m.handoff for m in inbox if m.HasField("handoff"))
    return police, handoff.handoff_id


async def test_a_value_at_its_limit_is_stored_and_one_more_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform = connect(hub, certs_dir, "duty-desk")
    police, handoff_id = await _dispatch(hub, certs_dir, connect)
    note = limits.NOTE.max_length
    with pytest.raises(LifelineError) as long:
        await police.decline_handoff(handoff_id, "x" * (note + 1))
    assert long.value.metadata["field"] == "reason"
    # Columns that were narrower than the text limit take the longest text now.
    declined = await police.decline_handoff(handoff_id, "界\n" * (note // 2), "r" * 100)
    assert declined.handoff.decline_reason == "界\n" * (note // 2)
    case_id = declined.handoff.case_id
    graded = await platform.cases.GradeCase(
        case_service_pb2.GradeCaseRequest(
            case_id=case_id, risk_level=case_pb2.RISK_LEVEL_HIGH, reason="y" * note
        )
    )
    assert graded.case.risk_level == case_pb2.RISK_LEVEL_HIGH
    await platform.parties.RegisterParty(_register("police-spare"))
    gone = await platform.parties.DeactivateParty(
        party_service_pb2.DeactivatePartyRequest(party_id="police-spare", reason="z" * note)
    )
    assert gone.party.state == party_pb2.Party.STATE_DEACTIVATED


@pytest.mark.parametrize(
    "hostility, reason",
    [
        (Hostility(nesting=100_000), "INVALID_ARGUMENT"),  # over the claim's length
        (Hostility(nesting=5000), reasons.DISCLOSURE_MALFORMED),  # deeper than json can go
        (Hostility(nesting=40), reasons.DISCLOSURE_MALFORMED),
        (Hostility(bad_version=True), reasons.SIGNER_CERTIFICATE_INVALID),
        (Hostility(issue_seconds=2**63 - 1), "INVALID_ARGUMENT"),
        (Hostility(message_id="m" * 101), "INVALID_ARGUMENT"),
    ],
    ids=["long JSON", "deep JSON", "nested JSON", "X.509 version", "issue time", "message id"],
)
async def test_a_malformed_signed_message_is_refused(
    start_hub: HubFactory,
    connect: ClientFactory,
    certs_dir: Path,
    hostility: Hostility,
    reason: str,
) -> None:
    hub = await start_hub(certs_dir)
    police, handoff_id = await _dispatch(hub, certs_dir, connect)
    request = handoff_service_pb2.AcknowledgeHandoffRequest(handoff_id=handoff_id)
    signed_request = sign(police.signer, Call("police-110105", request, hostility))
    with pytest.raises(LifelineError) as refused:
        # sign() hands back the request it was given, typed as a Message.
        await police.handoffs.AcknowledgeHandoff(signed_request)  # type: ignore[arg-type]
    assert refused.value.reason == reason
    assert refused.value.metadata["field"].startswith("receipt")
    # The handoff is untouched: an honest receipt is taken.
    acknowledged = await police.acknowledge_handoff(handoff_id)
    assert acknowledged.handoff.state == handoff_pb2.Handoff.STATE_ACKNOWLEDGED
