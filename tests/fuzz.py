"""Hostile requests for every mutation RPC and the list reads, and a harness that sends
them to a real hub over mTLS and sorts the answers: accepted, refused cleanly, or not.

tests/test_validation_fuzz.py asserts on the answers; run as a module, this counts them
instead (the figures of issue 11), on a fresh database per URL:

    .venv/bin/python -m tests.fuzz sqlite postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import secrets
import sys
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from google.protobuf import json_format
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifeline.hub.v1 import case_pb2, handoff_pb2, party_pb2, signed_pb2
from lifeline.hub.v1 import case_service_pb2 as cs
from lifeline.hub.v1 import handoff_service_pb2 as hs
from lifeline.hub.v1 import inbox_service_pb2 as ib
from lifeline.hub.v1 import party_service_pb2 as ps
from sqlmodel import Session, select

from connectors import ConnectorConfig, HubClient
from hub import Hub, HubConfig
from hub.store import timeline
from hub.store.models import CaseRow
from wire import claims, signed
from wire.errors import LifelineError
from wire.signed import Signer

T = TypeVar("T")

CALLERS = ("duty-desk", "shop-1", "courier-1", "police-110105", "committee-110105", "hospital-1")
SPARES = {"spare-1": party_pb2.ROLE_MERCHANT, "spare-2": party_pb2.ROLE_COURIER}

# -- hostile values -------------------------------------------------------------------

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\r", "\n", "\t", "\u2028"]
# Around every column width and text limit, and far beyond.
LENGTHS = [0, 1, 6, 7, 39, 40, 41, 63, 64, 99, 100, 101, 199, 200, 201, 499, 500, 501, 999]
LENGTHS += [1000, 1001, 1999, 2000, 2001, 5000, 60_000]
INT64 = st.one_of(
    st.sampled_from([-(2**63), -(2**31) - 1, -1, 0, 1, 2**31 - 1, 2**31, 2**63 - 1]),
    st.integers(-(2**63), 2**63 - 1),
)
INT32 = st.one_of(
    st.sampled_from([-(2**31), -1, 0, 1, 50, 1000, 1001, 2**31 - 1]),
    st.integers(-(2**31), 2**31 - 1),
)
# 0001-01-01 and 9999-12-31T23:59:59, the Timestamp's range, and one past each end.
SECONDS = st.one_of(
    st.sampled_from([-62135596801, -62135596800, 0, 253402300799, 253402300800]),
    st.sampled_from([-(2**63), 2**63 - 1]),
    st.integers(-(2**63), 2**63 - 1),
)
NANOS = st.sampled_from([0, 0, 0, -1, 999_999_999, 1_000_000_000, -(2**31), 2**31 - 1])
TIMESTAMPS = st.one_of(
    st.none(),
    st.integers(-86400 * 365, 86400 * 365).map(
        lambda s: Timestamp(seconds=int(dt.datetime.now(dt.UTC).timestamp()) + s)
    ),
    st.builds(Timestamp, seconds=SECONDS, nanos=NANOS),
)


def hostile(*valid: str) -> st.SearchStrategy[str]:
    """A valid value, or one made hostile: a control character or a trailing newline
    in it, a length around some limit, or any text."""
    sample = st.sampled_from(valid or ("",))
    return st.one_of(
        *[sample] * 4,
        sample.map(lambda v: v + "\n"),
        st.tuples(sample, st.sampled_from(CONTROLS), st.integers(0, 64)).map(
            lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :]
        ),
        st.tuples(st.sampled_from(LENGTHS), st.sampled_from("x界")).map(lambda t: t[1] * t[0]),
        st.text(max_size=40),
    )


def enum(values: Any) -> st.SearchStrategy[int]:
    """A value of the enum, or a number it does not name."""
    return st.one_of(
        st.sampled_from(list(values.values())),
        st.sampled_from([-1, 99, 2**31 - 1, -(2**31)]),
        st.integers(-(2**31), 2**31 - 1),
    )


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


PAGE_TOKENS = st.one_of(
    hostile(""),
    st.sampled_from(
        ["after:" + n for n in ("99999999999999999999", "-1", str(2**63), "\x00", "9" * 5000)]
    ).map(_token),
    st.text(max_size=30).map(lambda s: _token("after:" + s)),
)
REQUEST_IDS = st.one_of(st.uuids().map(str), hostile("", "r-1"))


@dataclass(frozen=True)
class Hostility:
    """How a signed message is made wrong (all defaults: an honest message)."""

    message_id: str | None = None
    issue_seconds: int | None = None
    expire_seconds: int | None = None
    nesting: int = 0
    bad_version: bool = False


SIGNING = st.one_of(
    st.just(Hostility()),
    st.just(Hostility()),
    st.builds(Hostility, message_id=hostile("m-1")),
    st.builds(Hostility, issue_seconds=SECONDS, expire_seconds=SECONDS),
    st.builds(Hostility, nesting=st.sampled_from([40, 1000, 100_000])),
    st.just(Hostility(bad_version=True)),
)


@dataclass(frozen=True)
class Call:
    caller: str
    request: Message
    signing: Hostility = Hostility()

    @property
    def method(self) -> str:
        return type(self.request).__name__.removesuffix("Request")


@dataclass(frozen=True)
class Seed:
    """What the hub holds before the fuzzing starts, for requests to aim at."""

    case_ids: tuple[str, ...]
    handoff_ids: tuple[str, ...]


@st.composite
def _signal(draw: st.DrawFn) -> case_pb2.Signal:
    signal = case_pb2.Signal(
        signal_id=draw(hostile("")),
        reporter_party_id=draw(hostile("")),
        subject=case_pb2.SubjectReference(
            buyer_id=draw(hostile("buyer-1", "buyer-2", "")),
            phone=draw(hostile("13800138000", "")),
            address=case_pb2.Address(
                jurisdiction_code=draw(hostile("110105", "110100", "")),
                text=draw(hostile("Flat 8, Building 3", "")),
            ),
        ),
        indicators=case_pb2.RiskIndicators(
            stated_intent=draw(st.booleans()), method_prepared=draw(st.booleans())
        ),
        situation=draw(hostile("says she will jump tonight", "")),
        clinical_facts=draw(hostile("")),
        hospital_party_id=draw(hostile("", "hospital-1")),
        case_id=draw(hostile("")),
    )
    observed = draw(TIMESTAMPS)
    if observed is not None:
        signal.observe_time.CopyFrom(observed)
    for _ in range(draw(st.integers(0, 2))):
        signal.orders.add(
            order_id=draw(hostile("o-1", "o-2")),
            merchant_party_id=draw(hostile("shop-1", "")),
            item_summary=draw(hostile("rope", "")),
        )
    for _ in range(draw(st.integers(0, 2))):
        parcel = signal.parcels.add(
            tracking_number=draw(hostile("SF100", "SF200")),
            courier_party_id=draw(hostile("courier-1")),
            order_id=draw(hostile("", "o-1")),
        )
        arrival = draw(TIMESTAMPS)
        if arrival is not None:
            parcel.estimated_delivery_time.CopyFrom(arrival)
    return signal


def _sourced(request: cs.ReportSignalRequest, source: int) -> cs.ReportSignalRequest:
    request.signal.source = source  # type: ignore[assignment]
    return request


def _case_id(seed: Seed) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(seed.case_ids), hostile("case-nope"))


def _handoff_id(seed: Seed) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(seed.handoff_ids), hostile("ho-nope"))


def _party(draw: st.DrawFn) -> party_pb2.Party:
    party = party_pb2.Party(
        party_id=draw(hostile("spare-3", "hub", "police-999", "police-999\n")),
        role=draw(enum(party_pb2.Role)),  # type: ignore[arg-type]
        state=draw(enum(party_pb2.Party.State)),  # type: ignore[arg-type]
        jurisdiction_code=draw(hostile("110105", "110105\n", "")),
        display_name=draw(hostile("Chaoyang police desk", "")),
        backup_party_id=draw(hostile("", "police-110100")),
        certificate_serial=draw(hostile("")),
    )
    for name in ("first_seen_time", "last_seen_time"):
        seen = draw(TIMESTAMPS)
        if seen is not None:
            getattr(party, name).CopyFrom(seen)
    return party


def strategies(seed: Seed) -> dict[str, st.SearchStrategy[Call]]:
    """Per RPC (the twelve mutations, then the list reads), hostile calls to it."""
    platform = "duty-desk"
    calls: dict[str, st.SearchStrategy[Call]] = {
        "ReportSignal": st.builds(
            lambda caller, request, signing: Call(caller[0], _sourced(request, caller[1]), signing),
            st.one_of(
                *[st.just(("shop-1", case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT))] * 3,
                st.just(("hospital-1", case_pb2.SIGNAL_SOURCE_HOSPITAL)),
                st.tuples(
                    st.sampled_from(["shop-1", "hospital-1", platform]),
                    enum(case_pb2.SignalSource),
                ),
            ),
            st.builds(cs.ReportSignalRequest, request_id=REQUEST_IDS, signal=_signal()),
            SIGNING,
        ),
        "GradeCase": st.builds(
            Call,
            st.just(platform),
            st.builds(
                cs.GradeCaseRequest,
                request_id=REQUEST_IDS,
                case_id=_case_id(seed),
                risk_level=enum(case_pb2.RiskLevel),
                reason=hostile("spoke to her again"),
            ),
        ),
        "AddCaseNote": st.builds(
            Call,
            st.sampled_from([platform, "shop-1", "police-110105"]),
            st.builds(
                cs.AddCaseNoteRequest,
                request_id=REQUEST_IDS,
                case_id=_case_id(seed),
                text=hostile("she answered the good-morning message"),
            ),
        ),
        "CloseCase": st.builds(
            Call,
            st.just(platform),
            st.builds(
                cs.CloseCaseRequest,
                request_id=REQUEST_IDS,
                case_id=_case_id(seed),
                resolution=st.builds(
                    case_pb2.CaseResolution,
                    code=enum(case_pb2.CaseResolution.Code),
                    note=hostile("safe at home"),
                ),
            ),
        ),
        "ReopenCase": st.builds(
            Call,
            st.just(platform),
            st.builds(
                cs.ReopenCaseRequest,
                request_id=REQUEST_IDS,
                case_id=_case_id(seed),
                reason=hostile("new messages tonight"),
            ),
        ),
        "CreateHandoff": st.builds(
            Call,
            st.just(platform),
            st.builds(
                hs.CreateHandoffRequest,
                request_id=REQUEST_IDS,
                case_id=_case_id(seed),
                kind=enum(handoff_pb2.HandoffKind),
                assignee_party_id=hostile("police-110105", "shop-1", "courier-1", "hospital-1"),
                instruction=hostile("", "go now"),
                order_id=hostile("", "o-1"),
                tracking_number=hostile("", "SF100"),
            ),
        ),
        "AcknowledgeHandoff": st.builds(
            Call,
            st.just(platform),
            st.builds(
                hs.AcknowledgeHandoffRequest,
                request_id=REQUEST_IDS,
                handoff_id=_handoff_id(seed),
            ),
            SIGNING,
        ),
        "DeclineHandoff": st.builds(
            Call,
            st.just(platform),
            st.builds(
                hs.DeclineHandoffRequest,
                request_id=REQUEST_IDS,
                handoff_id=_handoff_id(seed),
                reason=hostile("no unit free"),
            ),
            SIGNING,
        ),
        "CompleteHandoff": st.builds(
            Call,
            st.just(platform),
            st.builds(
                hs.CompleteHandoffRequest,
                request_id=REQUEST_IDS,
                handoff_id=_handoff_id(seed),
                outcome=st.builds(
                    handoff_pb2.Outcome,
                    code=enum(handoff_pb2.OutcomeCode),
                    note=hostile("", "found safe"),
                ),
            ),
            SIGNING,
        ),
        "AcknowledgeInbox": st.builds(
            Call,
            st.sampled_from(CALLERS),
            st.builds(ib.AcknowledgeInboxRequest, through_sequence=INT64),
        ),
        "RegisterParty": st.builds(
            Call,
            st.just(platform),
            st.builds(ps.RegisterPartyRequest, party=st.composite(_party)()),
        ),
        "DeactivateParty": st.builds(
            Call,
            st.just(platform),
            st.builds(
                ps.DeactivatePartyRequest,
                party_id=hostile(*SPARES),
                reason=hostile("closed down"),
            ),
        ),
        "ListCases": st.builds(
            Call,
            st.sampled_from(CALLERS),
            st.builds(
                cs.ListCasesRequest,
                page_size=INT32,
                page_token=PAGE_TOKENS,
                state=enum(case_pb2.Case.State),
                minimum_risk_level=enum(case_pb2.RiskLevel),
            ),
        ),
        "ListCaseEvents": st.builds(
            Call,
            st.sampled_from([platform, "police-110105"]),
            st.builds(
                cs.ListCaseEventsRequest,
                case_id=_case_id(seed),
                page_size=INT32,
                page_token=PAGE_TOKENS,
            ),
        ),
        "ListHandoffs": st.builds(
            Call,
            st.sampled_from(CALLERS),
            st.builds(
                hs.ListHandoffsRequest,
                page_size=INT32,
                page_token=PAGE_TOKENS,
                case_id=st.one_of(st.just(""), _case_id(seed)),
                state=enum(handoff_pb2.Handoff.State),
            ),
        ),
        "ListParties": st.builds(
            Call,
            st.just(platform),
            st.builds(
                ps.ListPartiesRequest,
                page_size=INT32,
                page_token=PAGE_TOKENS,
                role=enum(party_pb2.Role),
                jurisdiction_code=hostile("", "110000", "110105\n"),
            ),
        ),
    }
    return calls


MUTATIONS = (
    "ReportSignal",
    "GradeCase",
    "AddCaseNote",
    "CloseCase",
    "ReopenCase",
    "CreateHandoff",
    "AcknowledgeHandoff",
    "DeclineHandoff",
    "CompleteHandoff",
    "AcknowledgeInbox",
    "RegisterParty",
    "DeactivateParty",
)
READS = ("ListCases", "ListCaseEvents", "ListHandoffs", "ListParties")

# -- signing ----------------------------------------------------------------------------

# Which field of a request carries its signed message, and what the message must say.
_SIGNED: dict[str, tuple[str, int, Callable[[Any], list[signed.Claim]]]] = {
    "ReportSignal": (
        "signed_signal",
        signed.KIND_SIGNAL,
        lambda r: claims.signal_claims(r.signal, r.operator),
    ),
    "AcknowledgeHandoff": (
        "receipt",
        signed.KIND_ACKNOWLEDGEMENT,
        lambda r: claims.acknowledgement_claims(r.operator),
    ),
    "DeclineHandoff": (
        "receipt",
        signed.KIND_DECLINE,
        lambda r: claims.decline_claims(r.reason, r.operator),
    ),
    "CompleteHandoff": (
        "receipt",
        signed.KIND_OUTCOME,
        lambda r: claims.outcome_claims(r.outcome, r.operator),
    ),
}
# The DER of an X.509 v3 certificate's version field, [0] EXPLICIT INTEGER 2.
_VERSION_3 = b"\xa0\x03\x02\x01\x02"


def sign(signer: Signer, call: Call) -> Message:
    """The request with its signed message, made as the hostility says."""
    if call.method not in _SIGNED:
        return call.request
    field, kind, expected = _SIGNED[call.method]
    try:
        message_claims = expected(call.request)
    except (ValueError, json_format.Error):  # the request cannot be put in claims: sign other
        message_claims = [("unsayable", True)]
    hostility = call.signing
    disclosures = [
        signed_pb2.Disclosure(
            salt=secrets.token_bytes(signed.SALT_BYTES),
            name=name,
            value=json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        ).SerializeToString(deterministic=True)
        for name, value in message_claims
    ]
    if hostility.nesting:
        disclosures.append(
            signed_pb2.Disclosure(
                salt=secrets.token_bytes(signed.SALT_BYTES),
                name="nested",
                value="[" * hostility.nesting + "]" * hostility.nesting,
            ).SerializeToString()
        )
    now = int(dt.datetime.now(dt.UTC).timestamp())
    payload = signed_pb2.SignedPayload(
        message_id=hostility.message_id
        if hostility.message_id is not None
        else f"m-{uuid.uuid4().hex}",
        kind=kind,  # type: ignore[arg-type]
        issuer=signer.name,
        audience=signed.HUB,
        digest_algorithm=signed.DIGEST_ALGORITHM,
        digests=sorted(signed.digest(d) for d in disclosures),
        handoff_id=getattr(call.request, "handoff_id", ""),
    )
    payload.issue_time.seconds = now if hostility.issue_seconds is None else hostility.issue_seconds
    payload.expire_time.seconds = (
        now + 300 if hostility.expire_seconds is None else hostility.expire_seconds
    )
    body = payload.SerializeToString(deterministic=True)
    certificate = signer.certificate.public_bytes(serialization.Encoding.DER)
    if hostility.bad_version:
        certificate = certificate.replace(_VERSION_3, b"\xa0\x03\x02\x01\x05", 1)
    request = type(call.request)()
    request.CopyFrom(call.request)
    getattr(request, field).CopyFrom(
        signed_pb2.SignedMessage(
            payload=body,
            algorithm=signed.ALGORITHM,
            signature=signer.key.sign(body, ec.ECDSA(hashes.SHA256())),
            signer_certificate=certificate,
            disclosures=disclosures,
        )
    )
    return request


# -- the harness ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    method: str
    code: str
    reason: str = ""
    field: str = ""

    @property
    def verdict(self) -> str:
        """accepted; refused (with a reason, and for a bad argument the field); unclear
        (refused without them); or INTERNAL (the hub failed, or gRPC's UNKNOWN)."""
        if self.code == "OK":
            return "accepted"
        if self.code in ("INTERNAL", "UNKNOWN"):
            return "INTERNAL"
        if self.reason and (self.code != "INVALID_ARGUMENT" or self.field):
            return "refused"
        return "unclear"


_STUBS = {
    "case_service": "cases",
    "handoff_service": "handoffs",
    "inbox_service": "inbox",
    "party_service": "parties",
}


class Harness:
    """A hub on an event loop of its own thread, with a client per party, so that
    hypothesis (which runs synchronous tests) can drive it call by call."""

    def __init__(self, certs: Path, db_url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.hub = self.run(
            Hub.start(HubConfig(certs_dir=certs, listen="127.0.0.1:0", db_url=db_url))
        )
        self.clients = self.run(self._connect(certs))
        self.seed = self.run(self._seed())

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=120)

    async def _connect(self, certs: Path) -> dict[str, HubClient]:
        address = f"127.0.0.1:{self.hub.port}"
        return {p: HubClient(ConnectorConfig.for_party(certs, p, address)) for p in CALLERS}

    async def _seed(self) -> Seed:
        for client in self.clients.values():
            await client.whoami()  # first contact: the registry knows every desk
        platform = self.clients["duty-desk"]
        for party_id, role in SPARES.items():
            await platform.parties.RegisterParty(
                ps.RegisterPartyRequest(party=party_pb2.Party(party_id=party_id, role=role))
            )
        case_ids = []
        for n in range(3):
            signal = case_pb2.Signal(
                source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
                subject=case_pb2.SubjectReference(
                    buyer_id=f"seed-{n}",
                    address=case_pb2.Address(jurisdiction_code="110105", text=f"Flat {n}"),
                ),
                orders=[case_pb2.OrderReference(order_id=f"o-{n}")],
                parcels=[
                    case_pb2.ParcelReference(tracking_number=f"SF{n}", courier_party_id="courier-1")
                ],
                indicators=case_pb2.RiskIndicators(
                    stated_intent=True, method_prepared=True, stated_time=True
                ),
                situation="will jump once her parents are asleep",
            )
            case_ids.append((await self.clients["shop-1"].report_signal(signal)).case.case_id)
        listed = await platform.handoffs.ListHandoffs(hs.ListHandoffsRequest(page_size=100))
        return Seed(tuple(case_ids), tuple(h.handoff_id for h in listed.handoffs))

    def send(self, call: Call) -> Answer:
        return self.run(self._send(call))

    async def _send(self, call: Call) -> Answer:
        client = self.clients[call.caller]
        request = sign(client.signer, call)
        module = type(request).DESCRIPTOR.file.name.rsplit("/", 1)[-1].removesuffix(".proto")
        stub = getattr(client, _STUBS[module])
        try:
            await getattr(stub, call.method)(request, timeout=60)
        except LifelineError as e:
            code = e.code.name if e.code is not None else "UNKNOWN"
            return Answer(call.method, code, e.reason, e.metadata.get("field", ""))
        return Answer(call.method, "OK")

    def half_written(self) -> list[str]:
        """Cases whose timeline does not verify, or that have no events at all."""
        with Session(self.hub.db.engine) as session:
            problems = [str(broken) for _, broken in timeline.verify_all(session) if broken]
            problems += [
                f"case {case_id} has no events"
                for case_id in session.exec(
                    select(CaseRow.case_id).where(CaseRow.last_event_sequence == 0)
                )
            ]
        return problems

    def explore(
        self,
        method: str,
        examples: int,
        answered: Callable[[Answer], None],
        *,
        derandomize: bool = False,
    ) -> None:
        """Sends `examples` hostile calls to one RPC; `answered` judges each answer.
        Derandomized, two runs send the same calls (to count before and after a change)."""

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=derandomize,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategies(self.seed)[method])
        def send_one(call: Call) -> None:
            answered(self.send(call))

        send_one()

    def close(self) -> None:
        async def stop() -> None:
            for client in self.clients.values():
                await client.close()
            await self.hub.stop()

        self.run(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


# -- counting ----------------------------------------------------------------------------


def count(certs: Path, db_url: str, examples: int) -> Counter[tuple[str, str]]:
    """(method, "tried" or a verdict) -> how many."""
    tally: Counter[tuple[str, str]] = Counter()

    def answered(answer: Answer) -> None:
        tally[answer.method, "tried"] += 1
        tally[answer.method, answer.verdict] += 1

    harness = Harness(certs, db_url)
    try:
        for method in MUTATIONS + READS:
            harness.explore(method, examples, answered, derandomize=True)
        for problem in harness.half_written():
            tally["half-written case", "INTERNAL"] += 1
            print(problem, file=sys.stderr)
    finally:
        harness.close()
    return tally


@contextlib.contextmanager
def _fresh(url: str, scratch: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if url == "sqlite":
        yield f"sqlite:///{scratch}/fuzz.db"
        return
    schema = f"fuzz_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            sa.make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


COLUMNS = ("tried", "accepted", "refused", "unclear", "INTERNAL")


def main(urls: list[str], examples: int = 100) -> None:
    from hub.store.certs import CertificateAuthority
    from tests.conftest import PARTIES

    with tempfile.TemporaryDirectory() as scratch:
        certs = Path(scratch) / "certs"
        ca = CertificateAuthority(certs)
        ca.init()
        for party_id in CALLERS:
            ca.issue(PARTIES[party_id])
        for url in urls:
            with _fresh(url, Path(scratch)) as db_url:
                tally = count(certs, db_url, examples)
            print(f"\n{url}\n{'rpc':<20}" + "".join(f"{c:>10}" for c in COLUMNS))
            for method in [*MUTATIONS, *READS, "half-written case"]:
                if any(tally[method, c] for c in COLUMNS):
                    print(f"{method:<20}" + "".join(f"{tally[method, c]:>10}" for c in COLUMNS))
            total = {c: sum(tally[m, c] for m in MUTATIONS) for c in COLUMNS}
            print("mutations: " + ", ".join(f"{c} {n}" for c, n in total.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
