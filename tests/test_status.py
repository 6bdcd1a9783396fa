"""Every reason travels with one gRPC status code, from one table (hub/api/status.py),
and docs/errors.md tells partners the same."""

from __future__ import annotations

import re
from pathlib import Path

import grpc

from hub.api import status
from hub.domain.errors import HubError
from wire import reasons

DOCS = Path(__file__).resolve().parent.parent / "docs" / "errors.md"


def _all_reasons() -> set[str]:
    return {
        value
        for name, value in vars(reasons).items()
        if name.isupper() and isinstance(value, str) and name != "ERROR_DOMAIN"
    }


def test_every_reason_has_a_status_code() -> None:
    assert set(status.STATUS) == _all_reasons()


def test_the_documented_codes_are_the_tables() -> None:
    text = DOCS.read_text()
    documented = dict(re.findall(r"^\| `([A-Z_]+)` \| ([A-Z_]+)", text, re.M))
    assert documented, "docs/errors.md lists the reasons in a table"
    for reason, code in documented.items():
        assert status.STATUS[reason].name == code, reason
    # The signed-message reasons are documented as one rule.
    signed_section = text.split("## Signed messages", 1)[1]
    for reason in re.findall(r"^\| `([A-Z_]+)` \|", signed_section, re.M):
        expected = "PERMISSION_DENIED" if reason == reasons.SIGNER_MISMATCH else "INVALID_ARGUMENT"
        assert status.STATUS[reason].name == expected, reason


def test_a_party_named_by_the_request_is_a_failed_precondition_not_the_callers_refusal() -> None:
    about_caller = HubError(reasons.PARTY_REVOKED, "revoked")
    about_assignee = HubError(reasons.PARTY_REVOKED, "revoked", {"field": "assignee_party_id"})
    assert status.code_of(about_caller) == grpc.StatusCode.UNAUTHENTICATED
    assert status.code_of(about_assignee) == grpc.StatusCode.FAILED_PRECONDITION
