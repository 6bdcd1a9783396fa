"""Field limits: the one table that request validation and the schema both come from.

A limit says what a value may be: its length in characters, its characters, a
pattern the whole value must match (``fullmatch``: ``$`` would let a trailing
newline through), or the range of a number. hub/store/models.py sizes its columns from
these limits (the migrations follow the models, and a test checks they agree), and
hub/domain/validation.py checks every field of every request against the limit
:data:`FIELDS` gives it before any handler runs, so that no value a party sends can
reach the database and fail there, on SQLite or PostgreSQL.

Text never holds NUL or another control character (PostgreSQL refuses NUL; the others
have no business in a party's words), except that free text may break lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wire import identity, reasons, requests

# C0, DEL and C1 controls; for one-line text also the Unicode line and paragraph separators.
_ONE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTILINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Text:
    """A string: at most max_length characters (as PostgreSQL's varchar counts them)."""

    max_length: int
    multiline: bool = False
    """Free text may hold tab, line feed and carriage return; other text no control at all."""
    pattern: str | None = None
    """What the whole value must match, when it is not empty."""
    meaning: str = ""
    """The pattern in words, for the refusal."""
    reason: str = reasons.INVALID_ARGUMENT
    """The ErrorInfo reason of a refusal."""
    _compiled: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.pattern) if self.pattern else None)

    def problem(self, value: str) -> str | None:
        """What is wrong with the value (to follow the field's name), or None."""
        if len(value) > self.max_length:
            return f"is over {self.max_length} characters"
        forbidden = (_MULTILINE_FORBIDDEN if self.multiline else _ONE_LINE_FORBIDDEN).search(value)
        if forbidden:
            return f"holds a control character (U+{ord(forbidden.group()):04X})"
        if self._compiled is not None and value and not self._compiled.fullmatch(value):
            return f"is not {self.meaning}"
        return None


@dataclass(frozen=True)
class Number:
    """An integer, from minimum to maximum inclusive."""

    minimum: int
    maximum: int

    def problem(self, value: int) -> str | None:
        if not self.minimum <= value <= self.maximum:
            return f"must be from {self.minimum} to {self.maximum}"
        return None


Limit = Text | Number

PARTY_ID = Text(
    identity.PARTY_ID_MAX_LENGTH,
    pattern=identity.PARTY_ID_PATTERN,
    meaning=identity.PARTY_ID_MEANING,
)
JURISDICTION = Text(
    identity.JURISDICTION_LENGTH,
    pattern=identity.JURISDICTION_PATTERN,
    meaning=identity.JURISDICTION_MEANING,
    reason=reasons.INVALID_JURISDICTION,
)
# Ids the hub makes ("case-", "ho-", "sig-" and 16 hex digits) and parties send back.
HUB_ID = Text(
    40, pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}", meaning="an id of up to 40 characters"
)
REQUEST_ID = Text(requests.REQUEST_ID_MAX_LENGTH)
MESSAGE_ID = Text(100)
"""A signed message's id, unique per issuer."""
ORDER_ID = Text(100)
TRACKING_NUMBER = Text(100)
BUYER_ID = Text(100)
PHONE = Text(32)
ADDRESS = Text(500, multiline=True)
ITEM_SUMMARY = Text(200)
DISPLAY_NAME = Text(200)
NOTE = Text(2000, multiline=True)
"""Every free text a party writes: notes, reasons, situations, instructions, outcomes."""
OPERATOR = Text(80)
"""The name of the person at a party who acted, as the timeline shows it."""
CERTIFICATE_SERIAL = Text(40)
WEBHOOK_URL = Text(500, pattern=r"https?://[^\s]+", meaning="an http(s) URL")
"""Where a party's pager gateway listens (hub/store/webhooks.py)."""
WEBHOOK_SECRET = Text(128)
"""The key a party's webhook bodies are signed with (HMAC-SHA256), from the directory."""
ALGORITHM = Text(16)
CLAIM_NAME = Text(100)
CLAIM_VALUE = Text(16_384, multiline=True)
"""A claim's JSON; a signal's longest (its situation, escaped) is well within it."""
PAGE_TOKEN = Text(1024, reason=reasons.INVALID_PAGE_TOKEN)
PAGE_KEY = Text(63, pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", meaning="a row key")
"""What a page token holds: the key of the last row of its page."""
SEQUENCE = Number(0, 2**31 - 1)
"""Timeline and inbox sequences: INTEGER columns, 32 bits on PostgreSQL."""
PAGE_SIZE = Number(0, 2**31 - 1)
# google.protobuf.Timestamp's own range, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z,
# which is also Python's: a time outside it cannot become a datetime.
TIMESTAMP_SECONDS = Number(-62_135_596_800, 253_402_300_799)
TIMESTAMP_NANOS = Number(0, 999_999_999)


def _fields(message: str, **limits: Limit) -> dict[str, Limit]:
    return {f"lifeline.hub.v1.{message}.{name}": limit for name, limit in limits.items()}


FIELDS: dict[str, Limit] = {
    # Requests.
    **_fields("ReportSignalRequest", request_id=REQUEST_ID, case_id=HUB_ID, operator=OPERATOR),
    **_fields(
        "ConfirmAddressRequest",
        request_id=REQUEST_ID,
        case_id=HUB_ID,
        candidate_id=HUB_ID,
        operator=OPERATOR,
    ),
    **_fields("GetCaseRequest", case_id=HUB_ID),
    **_fields("ExportEvidenceRequest", case_id=HUB_ID),
    **_fields("ListCasesRequest", page_size=PAGE_SIZE, page_token=PAGE_TOKEN),
    **_fields(
        "GradeCaseRequest", request_id=REQUEST_ID, case_id=HUB_ID, reason=NOTE, operator=OPERATOR
    ),
    **_fields(
        "AddCaseNoteRequest",
        request_id=REQUEST_ID,
        case_id=HUB_ID,
        text=NOTE,
        signal_id=HUB_ID,
        operator=OPERATOR,
    ),
    **_fields("ListCaseEventsRequest", case_id=HUB_ID, page_size=PAGE_SIZE, page_token=PAGE_TOKEN),
    **_fields("CloseCaseRequest", request_id=REQUEST_ID, case_id=HUB_ID, operator=OPERATOR),
    **_fields(
        "ReopenCaseRequest", request_id=REQUEST_ID, case_id=HUB_ID, reason=NOTE, operator=OPERATOR
    ),
    **_fields(
        "CreateHandoffRequest",
        request_id=REQUEST_ID,
        case_id=HUB_ID,
        assignee_party_id=PARTY_ID,
        instruction=NOTE,
        order_id=ORDER_ID,
        tracking_number=TRACKING_NUMBER,
        operator=OPERATOR,
    ),
    **_fields("GetHandoffRequest", handoff_id=HUB_ID),
    **_fields("ListHandoffsRequest", page_size=PAGE_SIZE, page_token=PAGE_TOKEN, case_id=HUB_ID),
    **_fields(
        "AcknowledgeHandoffRequest", request_id=REQUEST_ID, handoff_id=HUB_ID, operator=OPERATOR
    ),
    **_fields(
        "DeclineHandoffRequest",
        request_id=REQUEST_ID,
        handoff_id=HUB_ID,
        reason=NOTE,
        operator=OPERATOR,
    ),
    **_fields(
        "CompleteHandoffRequest", request_id=REQUEST_ID, handoff_id=HUB_ID, operator=OPERATOR
    ),
    **_fields(
        "ReportProgressRequest",
        request_id=REQUEST_ID,
        handoff_id=HUB_ID,
        note=NOTE,
        operator=OPERATOR,
    ),
    **_fields("SubscribeInboxRequest", after_sequence=SEQUENCE),
    **_fields("AcknowledgeInboxRequest", through_sequence=SEQUENCE),
    **_fields("GetPartyRequest", party_id=PARTY_ID),
    **_fields(
        "ListPartiesRequest",
        page_size=PAGE_SIZE,
        page_token=PAGE_TOKEN,
        jurisdiction_code=JURISDICTION,
    ),
    **_fields("DeactivatePartyRequest", party_id=PARTY_ID, reason=NOTE),
    **_fields("ListShiftsRequest", page_size=PAGE_SIZE, page_token=PAGE_TOKEN),
    # What requests carry.
    **_fields(
        "Signal",
        signal_id=HUB_ID,
        reporter_party_id=PARTY_ID,
        situation=NOTE,
        clinical_facts=NOTE,
        hospital_party_id=PARTY_ID,
        case_id=HUB_ID,
    ),
    **_fields("SubjectReference", buyer_id=BUYER_ID, phone=PHONE),
    **_fields("Address", jurisdiction_code=JURISDICTION, text=ADDRESS),
    **_fields(
        "OrderReference",
        order_id=ORDER_ID,
        merchant_party_id=PARTY_ID,
        item_summary=ITEM_SUMMARY,
    ),
    **_fields(
        "ParcelReference",
        tracking_number=TRACKING_NUMBER,
        courier_party_id=PARTY_ID,
        order_id=ORDER_ID,
    ),
    **_fields("CaseResolution", note=NOTE),
    **_fields("Outcome", note=NOTE),
    **_fields(
        "Party",
        party_id=PARTY_ID,
        jurisdiction_code=JURISDICTION,
        display_name=DISPLAY_NAME,
        backup_party_id=PARTY_ID,
        certificate_serial=CERTIFICATE_SERIAL,
        contact_phone=PHONE,
        webhook_url=WEBHOOK_URL,
    ),
    # Signed messages, and the payload and disclosures inside them.
    **_fields("SignedMessage", algorithm=ALGORITHM),
    **_fields(
        "SignedPayload",
        message_id=MESSAGE_ID,
        issuer=PARTY_ID,
        audience=PARTY_ID,
        digest_algorithm=ALGORITHM,
        case_id=HUB_ID,
        handoff_id=HUB_ID,
    ),
    **_fields("Disclosure", name=CLAIM_NAME, value=CLAIM_VALUE),
    "google.protobuf.Timestamp.seconds": TIMESTAMP_SECONDS,
    "google.protobuf.Timestamp.nanos": TIMESTAMP_NANOS,
}
"""The limit of every string and integer field a request can carry, by its full name."""
