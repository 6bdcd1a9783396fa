"""Signed messages: the wire format, 1,000+ mutations refused with stable reasons,
the disclosure policy as a property, and the hub refusing bad messages unharmed."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    signed_pb2,
)

from connectors import ConnectorConfig, HubClient
from connectors.errors import InvalidArgumentError, PermissionDeniedError
from hub.api.signatures import MessageChecker
from hub.domain import disclosure
from hub.domain.clock import SystemClock
from hub.domain.errors import HubError
from hub.store import certs
from tests.conftest import ClientFactory, HubFactory
from tests.flows import MERCHANT, handoffs, has_handoff, read_inbox, signal
from wire import claims, reasons, signed
from wire.errors import LifelineError
from wire.identity import PartyIdentity, Role
from wire.signed import Signer

NOW = dt.datetime.now(dt.UTC)
"""The time of messages checked here with an explicit `now`; messages sent to a live hub
are signed at the time they are sent, since the hub checks them against its clock and a
slow run would otherwise see them expire."""
SKEW = dt.timedelta(minutes=5)


def _signer(certs_dir: Path, party_id: str) -> Signer:
    return Signer(
        certs.load_private_key(certs_dir / "parties" / f"{party_id}.key"),
        certs.load_certificate(certs_dir / "parties" / f"{party_id}.pem"),
    )


def _ca(certs_dir: Path) -> x509.Certificate:
    return certs.load_certificate(certs_dir / "ca.pem")


SIGNAL = signal(
    MERCHANT,
    buyer="buyer-1",
    phone="13800000000",
    address="Flat 8",
    jurisdiction="110105",
    orders=[case_pb2.OrderReference(order_id="o-1", merchant_party_id="shop-1")],
    situation="intent and method",
    stated_intent=True,
    method_prepared=True,
)["signal"]


def test_round_trip_and_selective_disclosure(certs_dir: Path) -> None:
    signer = _signer(certs_dir, "shop-1")
    message = signer.sign(signed.KIND_SIGNAL, signed.HUB, claims.signal_claims(SIGNAL), NOW)
    payload = signed_pb2.SignedPayload.FromString(message.payload)
    # Decoys: more digests than disclosures; sorted, so their order says nothing.
    assert len(payload.digests) > len(message.disclosures)
    assert list(payload.digests) == sorted(payload.digests)
    for raw in message.disclosures:
        assert len(signed_pb2.Disclosure.FromString(raw).salt) >= 16
    verified = signed.verify(
        message, ca=_ca(certs_dir), kind=signed.KIND_SIGNAL, audience=signed.HUB, now=NOW
    )
    assert claims.signal_from_claims(verified.claims) == SIGNAL
    # Withholding disclosures leaves a message that still verifies, saying less.
    narrowed = disclosure.narrow(message, Role.POLICE, disclosure.SIGNAL, recipient="police-110105")
    seen = signed.verify(
        narrowed, ca=_ca(certs_dir), kind=signed.KIND_SIGNAL, audience=None, now=None
    )
    assert seen.names == {claims.ADDRESS, claims.PHONE, claims.SITUATION, claims.INDICATORS}


# -- mutations ----------------------------------------------------------------------


def _resign(
    signer: Signer,
    message: signed_pb2.SignedMessage,
    edit: Callable[[signed_pb2.SignedPayload], None],
) -> signed_pb2.SignedMessage:
    """The author itself signs a payload it has tampered with (digests, times, audience)."""
    payload = signed_pb2.SignedPayload.FromString(message.payload)
    edit(payload)
    body = payload.SerializeToString()
    out = signed_pb2.SignedMessage()
    out.CopyFrom(message)
    out.payload = body
    out.signature = signer.key.sign(body, ec.ECDSA(hashes.SHA256()))
    return out


def _flip(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def _mutations(
    certs_dir: Path, tmp: Path, rng: random.Random
) -> Iterator[tuple[str, signed_pb2.SignedMessage, set[str]]]:
    """(name, mutated message, reasons it may be refused with)."""
    shop = _signer(certs_dir, "shop-1")
    other_party = _signer(certs_dir, "shop-2")
    foreign_ca = certs.CertificateAuthority(tmp / "foreign")
    if not (tmp / "foreign" / "ca.pem").exists():
        foreign_ca.init()
        foreign_ca.issue(PartyIdentity("shop-1", Role.MERCHANT))
    foreign = _signer(tmp / "foreign", "shop-1")

    def fresh() -> signed_pb2.SignedMessage:
        return shop.sign(
            signed.KIND_SIGNAL, signed.HUB, claims.signal_claims(SIGNAL), dt.datetime.now(dt.UTC)
        )

    def field(message: signed_pb2.SignedMessage, **changes: object) -> signed_pb2.SignedMessage:
        out = signed_pb2.SignedMessage()
        out.CopyFrom(message)
        for name, value in changes.items():
            if name == "disclosures":
                del out.disclosures[:]
                out.disclosures.extend(value)  # type: ignore[arg-type]
            else:
                setattr(out, name, value)
        return out

    def flip_disclosure(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        ds = list(m.disclosures)
        i = rng.randrange(len(ds))
        ds[i] = _flip(ds[i], rng)
        return field(m, disclosures=ds)

    def truncate_disclosure(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        ds = list(m.disclosures)
        i = rng.randrange(len(ds))
        ds[i] = ds[i][: rng.randrange(len(ds[i]))]
        return field(m, disclosures=ds)

    def swap_disclosure(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        ds = list(m.disclosures)
        ds[rng.randrange(len(ds))] = rng.choice(list(fresh().disclosures))
        return field(m, disclosures=ds)

    def duplicate_disclosure(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        ds = list(m.disclosures)
        return field(m, disclosures=ds + [rng.choice(ds)])

    def remove_digest(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        known = {signed.digest(d) for d in m.disclosures}

        def edit(p: signed_pb2.SignedPayload) -> None:
            victim = rng.choice([d for d in p.digests if d in known])
            kept = [d for d in p.digests if d != victim]
            del p.digests[:]
            p.digests.extend(kept)

        return _resign(shop, m, edit)

    def duplicate_digest(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        return _resign(shop, m, lambda p: p.digests.append(rng.choice(list(p.digests))))

    def expire(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        def edit(p: signed_pb2.SignedPayload) -> None:
            p.issue_time.FromDatetime(NOW - dt.timedelta(hours=rng.randrange(1, 48)))
            p.expire_time.FromDatetime(NOW - dt.timedelta(minutes=rng.randrange(6, 59)))

        return _resign(shop, m, edit)

    def future(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        def edit(p: signed_pb2.SignedPayload) -> None:
            # From the time of sending, not of import: a slow suite must not let it arrive.
            now = dt.datetime.now(dt.UTC)
            p.issue_time.FromDatetime(now + dt.timedelta(minutes=rng.randrange(6, 600)))
            p.expire_time.FromDatetime(now + dt.timedelta(days=1))

        return _resign(shop, m, edit)

    def audience(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        return _resign(
            shop, m, lambda p: setattr(p, "audience", rng.choice(["police-110105", "", "hub2"]))
        )

    def kind(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        return _resign(shop, m, lambda p: setattr(p, "kind", signed.KIND_OUTCOME))

    def other_key(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        # Another party signs the same claims, with its own certificate.
        return other_party.sign(
            signed.KIND_SIGNAL, signed.HUB, claims.signal_claims(SIGNAL), dt.datetime.now(dt.UTC)
        )

    def other_key_own_cert(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        # Another party's signature over this payload, keeping the caller's certificate.
        return field(m, signature=other_party.key.sign(m.payload, ec.ECDSA(hashes.SHA256())))

    def foreign_ca_cert(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        return foreign.sign(
            signed.KIND_SIGNAL, signed.HUB, claims.signal_claims(SIGNAL), dt.datetime.now(dt.UTC)
        )

    def algorithm(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        return field(m, algorithm=rng.choice(["none", "HS256", "ES384", "es256", ""]))

    def unsigned(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        return signed_pb2.SignedMessage()

    def different_claims(m: signed_pb2.SignedMessage) -> signed_pb2.SignedMessage:
        other = signal(MERCHANT, buyer="someone-else", stated_intent=True)["signal"]
        return shop.sign(
            signed.KIND_SIGNAL, signed.HUB, claims.signal_claims(other), dt.datetime.now(dt.UTC)
        )

    table = [
        (
            "payload bit",
            lambda m: field(m, payload=_flip(m.payload, rng)),
            {reasons.SIGNATURE_INVALID},
        ),
        (
            "signature bit",
            lambda m: field(m, signature=_flip(m.signature, rng)),
            {reasons.SIGNATURE_INVALID},
        ),
        (
            "certificate bit",
            lambda m: field(m, signer_certificate=_flip(m.signer_certificate, rng)),
            {
                reasons.SIGNER_CERTIFICATE_INVALID,
                reasons.SIGNATURE_INVALID,
                reasons.SIGNER_MISMATCH,
            },
        ),
        ("disclosure bit", flip_disclosure, {reasons.DISCLOSURE_UNKNOWN}),
        ("truncated disclosure", truncate_disclosure, {reasons.DISCLOSURE_UNKNOWN}),
        ("swapped disclosure", swap_disclosure, {reasons.DISCLOSURE_UNKNOWN}),
        ("duplicated disclosure", duplicate_disclosure, {reasons.DISCLOSURE_DUPLICATE}),
        ("digest removed", remove_digest, {reasons.DISCLOSURE_UNKNOWN}),
        ("digest duplicated", duplicate_digest, {reasons.DIGEST_DUPLICATE}),
        ("expired", expire, {reasons.MESSAGE_EXPIRED}),
        ("from the future", future, {reasons.MESSAGE_NOT_YET_VALID}),
        ("wrong audience", audience, {reasons.WRONG_AUDIENCE}),
        ("wrong kind", kind, {reasons.WRONG_MESSAGE_KIND}),
        ("another party's key", other_key, {reasons.SIGNER_MISMATCH}),
        ("another party's signature", other_key_own_cert, {reasons.SIGNATURE_INVALID}),
        ("certificate from another CA", foreign_ca_cert, {reasons.SIGNER_CERTIFICATE_INVALID}),
        ("unknown algorithm", algorithm, {reasons.ALGORITHM_UNSUPPORTED}),
        ("unsigned", unsigned, {reasons.SIGNATURE_REQUIRED}),
        ("signed something else", different_claims, {reasons.SIGNED_CONTENT_MISMATCH}),
    ]
    while True:
        for name, mutate, allowed in table:
            yield name, mutate(fresh()), allowed


def test_a_thousand_mutations_are_all_refused_with_stable_reasons(
    certs_dir: Path, tmp_path: Path
) -> None:
    rng = random.Random(9901)
    checker = MessageChecker(certs.load_cas_file(certs_dir / "ca.pem"), SystemClock(), SKEW)
    caller = PartyIdentity("shop-1", Role.MERCHANT)
    caller_cert = certs.load_certificate(certs_dir / "parties" / "shop-1.pem")
    expected = claims.signal_claims(SIGNAL)
    refused: dict[str, int] = {}
    generated = _mutations(certs_dir, tmp_path, rng)
    for _ in range(1200):
        name, message, allowed = next(generated)
        with pytest.raises(HubError) as error:
            checker.check(
                message, signed.KIND_SIGNAL, caller, caller_cert, expected, field="signed_signal"
            )
        assert error.value.reason in allowed, (name, error.value)
        # A claim that differs from the request, or is not of its type, is named itself.
        named_claim = error.value.reason in (
            reasons.SIGNED_CONTENT_MISMATCH,
            reasons.DISCLOSURE_MALFORMED,
        )
        assert named_claim or error.value.metadata["field"] == "signed_signal"
        refused[name] = refused.get(name, 0) + 1
    assert sum(refused.values()) >= 1000
    assert len(refused) == 19
    # And the unmutated message passes, so the refusals are the mutations' doing.
    good = _signer(certs_dir, "shop-1").sign(
        signed.KIND_SIGNAL, signed.HUB, expected, dt.datetime.now(dt.UTC)
    )
    checker.check(good, signed.KIND_SIGNAL, caller, caller_cert, expected, field="signed_signal")


async def test_the_hub_refuses_mutated_signals_and_stays_unharmed(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, tmp_path: Path
) -> None:
    hub = await start_hub(certs_dir)
    shop = connect(hub, certs_dir, "shop-1")
    platform = connect(hub, certs_dir, "duty-desk")
    generated = _mutations(certs_dir, tmp_path, random.Random(1))
    for _ in range(57):
        name, message, allowed = next(generated)
        request = case_service_pb2.ReportSignalRequest(signal=SIGNAL, signed_signal=message)
        with pytest.raises(LifelineError) as error:
            await shop.cases.ReportSignal(request)
        assert error.value.reason in allowed, (name, error.value)
        assert error.value.code in (
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.PERMISSION_DENIED,
        )
    assert list((await platform.cases.ListCases(case_service_pb2.ListCasesRequest())).cases) == []
    accepted = await shop.report_signal(SIGNAL)
    assert accepted.case.case_id


async def test_a_replayed_message_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    shop = connect(hub, certs_dir, "shop-1")
    message = shop.signer.sign(
        signed.KIND_SIGNAL, signed.HUB, claims.signal_claims(SIGNAL), dt.datetime.now(dt.UTC)
    )
    first = case_service_pb2.ReportSignalRequest(
        request_id="a", signal=SIGNAL, signed_signal=message
    )
    await shop.cases.ReportSignal(first)
    replay = case_service_pb2.ReportSignalRequest(
        request_id="b", signal=SIGNAL, signed_signal=message
    )
    with pytest.raises(InvalidArgumentError) as error:
        await shop.cases.ReportSignal(replay)
    assert error.value.reason == reasons.MESSAGE_REPLAYED
    # A retry of the first request (same request_id) is not a replay: it gets the first answer.
    assert (await shop.cases.ReportSignal(first)).signal.signal_id


async def test_receipt_signed_by_someone_else_is_refused(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    for party in ("duty-desk", "police-110105"):
        await connect(hub, certs_dir, party).whoami()
    await connect(hub, certs_dir, "shop-1").report_signal(SIGNAL)
    police = connect(hub, certs_dir, "police-110105")
    dispatch = handoffs(await read_inbox(police, has_handoff(handoff_pb2.HANDOFF_KIND_DISPATCH)))[0]
    forged = _signer(certs_dir, "police-110100").sign(
        signed.KIND_ACKNOWLEDGEMENT,
        signed.HUB,
        claims.acknowledgement_claims(),
        dt.datetime.now(dt.UTC),
        handoff_id=dispatch.handoff_id,
    )
    with pytest.raises(PermissionDeniedError) as error:
        await police.handoffs.AcknowledgeHandoff(
            handoff_service_pb2.AcknowledgeHandoffRequest(
                handoff_id=dispatch.handoff_id, receipt=forged
            )
        )
    assert error.value.reason == reasons.SIGNER_MISMATCH
    about_other = police.signer.sign(
        signed.KIND_ACKNOWLEDGEMENT,
        signed.HUB,
        claims.acknowledgement_claims(),
        dt.datetime.now(dt.UTC),
        handoff_id="ho-x",
    )
    with pytest.raises(InvalidArgumentError) as mismatch:
        await police.handoffs.AcknowledgeHandoff(
            handoff_service_pb2.AcknowledgeHandoffRequest(
                handoff_id=dispatch.handoff_id, receipt=about_other
            )
        )
    assert mismatch.value.reason == reasons.SIGNED_CONTENT_MISMATCH
    assert (await police.acknowledge_handoff(dispatch.handoff_id)).handoff.state == (
        handoff_pb2.Handoff.STATE_ACKNOWLEDGED
    )


# -- the disclosure policy as a property --------------------------------------------

_MENTAL_HEALTH = {
    claims.SITUATION,
    claims.INDICATORS,
    claims.CLINICAL_FACTS,
    "risk_level",
    "clinical_facts",
    "situation",
    claims.ADDRESS,
    claims.PHONE,
    "address_text",
    "contact_phone",
}
_PARTIES = [
    "shop-1",
    "shop-2",
    "courier-1",
    "police-110105",
    "committee-110105",
    "hospital-1",
    "duty-desk",
]
_text = st.text(min_size=1, max_size=20)


@st.composite
def _signals(draw: st.DrawFn) -> case_pb2.Signal:
    s = case_pb2.Signal(
        source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
        situation=draw(_text),
        clinical_facts=draw(st.sampled_from(["", "sertraline"])),
        indicators=case_pb2.RiskIndicators(stated_intent=draw(st.booleans()), insomnia=True),
    )
    s.subject.buyer_id = draw(_text)
    if draw(st.booleans()):
        s.subject.phone = "13800000000"
        s.subject.address.jurisdiction_code = "110105"
        s.subject.address.text = draw(_text)
    for i in range(draw(st.integers(0, 3))):
        s.orders.add(
            order_id=f"o-{i}", merchant_party_id=draw(st.sampled_from(["shop-1", "shop-2"]))
        )
    for i in range(draw(st.integers(0, 2))):
        s.parcels.add(
            tracking_number=f"T{i}",
            courier_party_id=draw(st.sampled_from(["courier-1", "courier-2"])),
        )
    return s


@st.composite
def _handoffs(draw: st.DrawFn) -> handoff_pb2.Handoff:
    return handoff_pb2.Handoff(
        handoff_id="ho-1",
        kind=draw(st.sampled_from(list(handoff_pb2.HandoffKind.values())[1:])),  # type: ignore[arg-type]
        assignee_party_id=draw(st.sampled_from(_PARTIES)),
        details=handoff_pb2.HandoffDetails(
            instruction=draw(_text),
            order_id="o-1",
            tracking_number="T1",
            jurisdiction_code="110105",
            risk_level=case_pb2.RISK_LEVEL_HIGH,
            situation=draw(_text),
            address_text=draw(_text),
            contact_phone="139",
            clinical_facts=draw(_text),
        ),
    )


def _oracle(
    role: Role, kind: str, name: str, value: object, recipient: str, issuer: str, acked: bool
) -> bool:
    """The policy table read directly: what the rule says this recipient may see."""
    rule = disclosure.POLICY.get((role, kind), disclosure.Rule())
    if "*" in rule.fields or name in rule.fields or (acked and name in rule.after_acknowledgement):
        return True
    if name not in rule.own:
        return False
    if kind == disclosure.SIGNAL:
        assert isinstance(value, dict)
        return recipient in (value.get("merchant_party_id"), value.get("courier_party_id"))
    return issuer == recipient


@settings(max_examples=150, deadline=None)
@given(
    message=st.one_of(_signals(), _handoffs()),
    role=st.sampled_from(list(Role)),
    recipient=st.sampled_from(_PARTIES),
    acknowledged=st.booleans(),
)
def test_what_a_recipient_receives_is_within_the_policy(
    certs_dir: Path,
    message: case_pb2.Signal | handoff_pb2.Handoff,
    role: Role,
    recipient: str,
    acknowledged: bool,
) -> None:
    hub = Signer(
        certs.load_private_key(certs_dir / "hub.key"), certs.load_certificate(certs_dir / "hub.pem")
    )
    if isinstance(message, case_pb2.Signal):
        kinds, message_claims, issuer = [disclosure.SIGNAL], claims.signal_claims(message), "shop-1"
    else:
        kinds = [disclosure.handoff_kind_key(message.kind)]
        message_claims, issuer = claims.handoff_claims(message), signed.HUB
    full = hub.sign(signed.KIND_SIGNAL, recipient, message_claims, NOW)
    for kind in kinds:
        narrowed = disclosure.narrow(
            full, role, kind, recipient=recipient, issuer=issuer, acknowledged=acknowledged
        )
        received = signed.verify(
            narrowed, ca=_ca(certs_dir), kind=signed.KIND_SIGNAL, audience=None, now=None
        )
        for name, value in received.claims:
            assert _oracle(role, kind, name, value, recipient, issuer, acknowledged), (
                role,
                kind,
                name,
            )
        if role == Role.COURIER:
            assert not received.names & _MENTAL_HEALTH
        if role == Role.MERCHANT:
            assert all(v["merchant_party_id"] == recipient for v in received.values(claims.ORDER))


def test_connector_refuses_a_handoff_that_differs_from_what_the_hub_signed(certs_dir: Path) -> None:
    hub = Signer(
        certs.load_private_key(certs_dir / "hub.key"), certs.load_certificate(certs_dir / "hub.pem")
    )
    handoff = handoff_pb2.Handoff(
        handoff_id="ho-1",
        kind=handoff_pb2.HANDOFF_KIND_INTERCEPT_PARCEL,
        assignee_party_id="courier-1",
        details=handoff_pb2.HandoffDetails(instruction="intercept", tracking_number="SF1"),
    )
    message = inbox_service_pb2.InboxMessage(
        handoff=handoff,
        signed_handoff=hub.sign(
            signed.KIND_HANDOFF,
            "courier-1",
            claims.handoff_claims(handoff),
            NOW,
            lifetime=signed.HUB_MESSAGE_LIFETIME,
            handoff_id="ho-1",
        ),
    )
    client = HubClient(ConnectorConfig.for_party(certs_dir, "courier-1", "127.0.0.1:1"))
    client.verify_handoff(message)
    message.handoff.details.tracking_number = "SF2"  # altered on the way
    with pytest.raises(signed.SignedMessageError) as error:
        client.verify_handoff(message)
    assert error.value.reason == reasons.SIGNED_CONTENT_MISMATCH
    message.handoff.details.tracking_number = "SF1"
    other = HubClient(ConnectorConfig.for_party(certs_dir, "shop-1", "127.0.0.1:1"))
    with pytest.raises(signed.SignedMessageError) as error:
        other.verify_handoff(message)
    assert error.value.reason == reasons.WRONG_AUDIENCE
