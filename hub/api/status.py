"""The one table from a refusal's reason to the gRPC status code it travels with.

docs/errors.md lists the same, for partners; tests/test_status.py keeps the two, and
wire/reasons.py, in step.
"""

from __future__ import annotations

import grpc

from hub.domain.errors import HubError
from wire import reasons

_C = grpc.StatusCode

STATUS: dict[str, grpc.StatusCode] = {
    # Transport and identity: about the caller.
    reasons.CLIENT_CERTIFICATE_REQUIRED: _C.UNAUTHENTICATED,
    reasons.PARTY_IDENTITY_MISSING: _C.UNAUTHENTICATED,
    reasons.PARTY_IDENTITY_INVALID: _C.UNAUTHENTICATED,
    reasons.PARTY_REVOKED: _C.UNAUTHENTICATED,
    reasons.PARTY_DEACTIVATED: _C.PERMISSION_DENIED,
    reasons.PARTY_ROLE_MISMATCH: _C.PERMISSION_DENIED,
    reasons.ROLE_NOT_PERMITTED: _C.PERMISSION_DENIED,
    # Requests.
    reasons.MESSAGE_TOO_LARGE: _C.RESOURCE_EXHAUSTED,
    reasons.INVALID_ARGUMENT: _C.INVALID_ARGUMENT,
    reasons.INVALID_PAGE_TOKEN: _C.INVALID_ARGUMENT,
    reasons.PARTY_NOT_FOUND: _C.NOT_FOUND,
    reasons.SELF_DEACTIVATION: _C.FAILED_PRECONDITION,
    reasons.CASE_NOT_FOUND: _C.NOT_FOUND,
    reasons.HANDOFF_NOT_FOUND: _C.NOT_FOUND,
    reasons.SUBJECT_REQUIRED: _C.INVALID_ARGUMENT,
    reasons.INVALID_JURISDICTION: _C.INVALID_ARGUMENT,
    reasons.ILLEGAL_TRANSITION: _C.FAILED_PRECONDITION,
    reasons.OUTCOME_NOT_FOR_KIND: _C.INVALID_ARGUMENT,
    reasons.CASE_CLOSED: _C.FAILED_PRECONDITION,
    reasons.REQUEST_ID_REUSED: _C.INVALID_ARGUMENT,
    reasons.NO_DESK_FOR_JURISDICTION: _C.FAILED_PRECONDITION,
    reasons.ASSIGNEE_NOT_SUITABLE: _C.FAILED_PRECONDITION,
    reasons.CURSOR_FROM_FUTURE: _C.OUT_OF_RANGE,
    reasons.LIMIT_EXCEEDED: _C.INVALID_ARGUMENT,
    reasons.COURIER_NOT_REGISTERED: _C.INVALID_ARGUMENT,
    reasons.ADDRESS_CANDIDATE_NOT_FOUND: _C.NOT_FOUND,
    reasons.NOT_ASSIGNEE: _C.FAILED_PRECONDITION,
    reasons.HANDOFF_NOT_ACKNOWLEDGED: _C.FAILED_PRECONDITION,
    # Signed messages: a message that fails a check is a bad argument, but one signed by
    # someone other than the caller is the caller's to be refused.
    reasons.SIGNATURE_REQUIRED: _C.INVALID_ARGUMENT,
    reasons.ALGORITHM_UNSUPPORTED: _C.INVALID_ARGUMENT,
    reasons.SIGNER_CERTIFICATE_INVALID: _C.INVALID_ARGUMENT,
    reasons.SIGNATURE_INVALID: _C.INVALID_ARGUMENT,
    reasons.PAYLOAD_MALFORMED: _C.INVALID_ARGUMENT,
    reasons.WRONG_MESSAGE_KIND: _C.INVALID_ARGUMENT,
    reasons.WRONG_AUDIENCE: _C.INVALID_ARGUMENT,
    reasons.SIGNER_MISMATCH: _C.PERMISSION_DENIED,
    reasons.MESSAGE_EXPIRED: _C.INVALID_ARGUMENT,
    reasons.MESSAGE_NOT_YET_VALID: _C.INVALID_ARGUMENT,
    reasons.MESSAGE_REPLAYED: _C.INVALID_ARGUMENT,
    reasons.DIGEST_MALFORMED: _C.INVALID_ARGUMENT,
    reasons.DIGEST_DUPLICATE: _C.INVALID_ARGUMENT,
    reasons.DISCLOSURE_UNKNOWN: _C.INVALID_ARGUMENT,
    reasons.DISCLOSURE_DUPLICATE: _C.INVALID_ARGUMENT,
    reasons.DISCLOSURE_MALFORMED: _C.INVALID_ARGUMENT,
    reasons.SIGNED_CONTENT_MISMATCH: _C.INVALID_ARGUMENT,
    reasons.MESSAGE_LIFETIME_TOO_LONG: _C.INVALID_ARGUMENT,
    # The hub itself.
    reasons.STORAGE_UNAVAILABLE: _C.UNAVAILABLE,
    reasons.HUB_OVERLOADED: _C.RESOURCE_EXHAUSTED,
    reasons.HUB_SHUTTING_DOWN: _C.UNAVAILABLE,
    reasons.INTERNAL: _C.INTERNAL,
}

ABOUT_A_NAMED_PARTY: dict[str, grpc.StatusCode] = {
    reasons.PARTY_REVOKED: _C.FAILED_PRECONDITION,
    reasons.PARTY_DEACTIVATED: _C.FAILED_PRECONDITION,
    reasons.PARTY_ROLE_MISMATCH: _C.FAILED_PRECONDITION,
}
"""A party's standing, when the refusal is about a party the request names (the error
has a `field`: a handoff's assignee, a directory entry), not about the caller."""


def code_of(error: HubError) -> grpc.StatusCode:
    if "field" in error.metadata and error.reason in ABOUT_A_NAMED_PARTY:
        return ABOUT_A_NAMED_PARTY[error.reason]
    return STATUS[error.reason]
