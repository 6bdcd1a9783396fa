"""What the benchmarks share: the parties, the hub's settings, a CA, a signal, a
PostgreSQL schema of their own, percentiles."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from lifeline.hub.v1 import case_pb2

from hub.store.certs import CertificateAuthority
from wire.identity import PartyIdentity, Role

PG_URL = os.environ.get(
    "LIFELINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BASE_PARTIES = [
    PartyIdentity("duty-desk", Role.PLATFORM),
    PartyIdentity("shop-bench", Role.MERCHANT),
    PartyIdentity("police-110105", Role.POLICE, "110105"),
]
# The load test's police desk never acknowledges: without this, its handoffs would
# come due in the middle of a long run, and the retries and escalations they cause
# would be measured as if they were the cost of signals.
UNHURRIED_DEADLINES = """\
[deadlines]
HOLD_ORDER = "1d"
[deadlines.DISPATCH]
IMMINENT = "1d"
HIGH = "1d"
default = "1d"
"""
# A hub signal in the figures is what issue 14 measures: a new case with one DISPATCH.
# The built-in policy would also ask a committee for a FOLLOW_UP, and with none
# registered each signal would raise a duty alert besides, measured as its cost.
DISPATCH_ONLY = """\
[handoffs]
auto_kinds = ["DISPATCH"]
"""


def hub_settings(directory: Path) -> list[str]:
    """`lifeline serve` options for the hub benchmarks: unhurried deadlines, DISPATCH only."""
    deadlines, policy = directory / "unhurried-deadlines.toml", directory / "dispatch-only.toml"
    deadlines.write_text(UNHURRIED_DEADLINES)
    policy.write_text(DISPATCH_ONLY)
    return ["--deadlines", str(deadlines), "--policy", str(policy)]


def pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    ordered = sorted(values)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": ordered[-1]}


def pki(directory: Path, parties: list[PartyIdentity]) -> CertificateAuthority:
    ca = CertificateAuthority(directory)
    ca.init()
    for party in parties:
        ca.issue(party)
    return ca


def signal(token: str, jurisdiction: str = "110105") -> case_pb2.Signal:
    return case_pb2.Signal(
        source=case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT,
        subject=case_pb2.SubjectReference(
            buyer_id=token, address=case_pb2.Address(jurisdiction_code=jurisdiction, text=token)
        ),
        indicators=case_pb2.RiskIndicators(stated_intent=True, method_prepared=True),
        situation=token,
    )


@contextlib.contextmanager
def pg_schema(name: str) -> Iterator[str]:
    """A PostgreSQL URL whose tables live in a schema of their own, dropped afterwards."""
    engine = sa.create_engine(PG_URL)
    schema = f"bench_{name}_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
