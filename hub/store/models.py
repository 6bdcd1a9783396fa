"""Tables, as SQLModel classes. The schema itself is made by the migrations in
hub/migrations; a test checks the two agree. What a party sends is stored in columns
sized by hub/domain/limits.py, the table the request validation checks against too."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from hub.domain.limits import (
    CERTIFICATE_SERIAL,
    DISPLAY_NAME,
    HUB_ID,
    JURISDICTION,
    MESSAGE_ID,
    NOTE,
    ORDER_ID,
    PARTY_ID,
    PHONE,
    REQUEST_ID,
    TRACKING_NUMBER,
    WEBHOOK_SECRET,
    WEBHOOK_URL,
)


class PartyRow(SQLModel, table=True):
    __tablename__ = "party"
    # The duty desk is found by role among every shop, courier and desk.
    __table_args__ = (sa.Index("ix_party_role_state", "role", "state"),)

    party_id: str = Field(primary_key=True, max_length=PARTY_ID.max_length)
    role: str = Field(max_length=16)
    state: str = Field(default="active", max_length=16)
    jurisdiction_code: str | None = Field(
        default=None, max_length=JURISDICTION.max_length, index=True
    )
    display_name: str = Field(default="", max_length=DISPLAY_NAME.max_length)
    backup_party_id: str | None = Field(default=None, max_length=PARTY_ID.max_length)
    certificate_serial: str | None = Field(default=None, max_length=CERTIFICATE_SERIAL.max_length)
    first_seen_time: dt.datetime | None = None
    last_seen_time: dt.datetime | None = None
    deactivation_reason: str = Field(default="", max_length=NOTE.max_length)
    contact_phone: str = Field(default="", max_length=PHONE.max_length)
    webhook_url: str = Field(default="", max_length=WEBHOOK_URL.max_length)
    # HMAC-SHA256 key of the party's webhook; never returned by the API.
    webhook_secret: str = Field(default="", max_length=WEBHOOK_SECRET.max_length)


class CaseRow(SQLModel, table=True):
    __tablename__ = "case"

    case_id: str = Field(primary_key=True, max_length=HUB_ID.max_length)
    state: str = Field(default="open", max_length=16, index=True)
    risk_level: int = 0
    computed_risk_level: int = 0
    # Highest grade the case ever had: follow-ups after closing depend on it.
    peak_risk_level: int = 0
    risk_overridden: bool = False
    override_reason: str = Field(default="", max_length=NOTE.max_length)
    indicators_mask: int = 0
    jurisdiction_code: str | None = Field(default=None, max_length=JURISDICTION.max_length)
    create_time: dt.datetime
    update_time: dt.datetime
    close_time: dt.datetime | None = None
    resolution_code: int = 0
    resolution_note: str = Field(default="", max_length=NOTE.max_length)
    merged_into: str | None = Field(default=None, max_length=HUB_ID.max_length)
    # Head of the hash-chained timeline, so appending needs no scan.
    last_event_sequence: int = 0
    last_event_hash: str = Field(default="", max_length=64)


class SignalRow(SQLModel, table=True):
    __tablename__ = "signal"

    signal_id: str = Field(primary_key=True, max_length=HUB_ID.max_length)
    case_id: str = Field(foreign_key="case.case_id", index=True, max_length=HUB_ID.max_length)
    reporter_party_id: str = Field(max_length=PARTY_ID.max_length)
    source: int
    # The Signal message as reported (with the hub's ids filled in).
    payload: bytes
    create_time: dt.datetime


class SubjectKeyRow(SQLModel, table=True):
    """Keyed hashes of a case's identifiers; see hub/domain/matching.py."""

    __tablename__ = "subject_key"

    key_hash: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(
        primary_key=True, foreign_key="case.case_id", max_length=HUB_ID.max_length, index=True
    )


class CasePartyRow(SQLModel, table=True):
    """Who takes part in a case: reporters and assignees. Visibility follows it."""

    __tablename__ = "case_party"

    case_id: str = Field(primary_key=True, foreign_key="case.case_id", max_length=HUB_ID.max_length)
    party_id: str = Field(primary_key=True, max_length=PARTY_ID.max_length, index=True)


class HandoffRow(SQLModel, table=True):
    __tablename__ = "handoff"

    handoff_id: str = Field(primary_key=True, max_length=HUB_ID.max_length)
    case_id: str = Field(foreign_key="case.case_id", index=True, max_length=HUB_ID.max_length)
    kind: int
    state: int
    assignee_party_id: str = Field(max_length=PARTY_ID.max_length, index=True)
    creator_party_id: str = Field(default="", max_length=PARTY_ID.max_length)
    # HandoffDetails as the assignee may see them.
    details: bytes
    order_id: str = Field(default="", max_length=ORDER_ID.max_length)
    tracking_number: str = Field(default="", max_length=TRACKING_NUMBER.max_length)
    create_time: dt.datetime
    update_time: dt.datetime
    due_time: dt.datetime | None = None
    acknowledge_time: dt.datetime | None = None
    outcome_code: int = 0
    outcome_note: str = Field(default="", max_length=NOTE.max_length)
    decline_reason: str = Field(default="", max_length=NOTE.max_length)
    escalated_from_handoff_id: str | None = Field(default=None, max_length=HUB_ID.max_length)
    # Who had the work before this handoff escalated it, and why it moved on.
    escalated_from_party_id: str = Field(default="", max_length=PARTY_ID.max_length)
    escalation_reason: str = Field(default="", max_length=NOTE.max_length)
    # DUTY_ALERT: why, and the handoff it is about.
    alert_reason: int = 0
    alert_handoff_id: str | None = Field(default=None, max_length=HUB_ID.max_length)
    # The latest ReportProgress.
    progress_stage: int = 0
    progress_note: str = Field(default="", max_length=NOTE.max_length)
    progress_time: dt.datetime | None = None
    # STAY_IN_CONTACT: the agreed check-in.
    check_in_time: dt.datetime | None = None


class InboxCursorRow(SQLModel, table=True):
    """Per party: the last sequence written to its inbox and the last it acknowledged."""

    __tablename__ = "inbox_cursor"

    party_id: str = Field(primary_key=True, max_length=PARTY_ID.max_length)
    last_sequence: int = 0
    acknowledged_sequence: int = 0


class InboxRow(SQLModel, table=True):
    """The outbox: written in the transaction of the change that caused it."""

    __tablename__ = "inbox_message"

    party_id: str = Field(primary_key=True, max_length=PARTY_ID.max_length)
    sequence: int = Field(primary_key=True)
    message_id: str = Field(max_length=HUB_ID.max_length)
    case_id: str = Field(max_length=HUB_ID.max_length)
    handoff_id: str | None = Field(default=None, max_length=HUB_ID.max_length)
    # The InboxMessage as the recipient receives it.
    payload: bytes
    create_time: dt.datetime


class CaseEventRow(SQLModel, table=True):
    """The hash-chained timeline; see hub/store/timeline.py."""

    __tablename__ = "case_event"

    case_id: str = Field(primary_key=True, foreign_key="case.case_id", max_length=HUB_ID.max_length)
    sequence: int = Field(primary_key=True)
    kind: int
    actor_party_id: str = Field(default="", max_length=PARTY_ID.max_length)
    create_time: dt.datetime
    summary: str = Field(max_length=2000)
    data: str = Field(default="{}")
    previous_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class IdempotencyRow(SQLModel, table=True):
    """The first answer to a request_id, so a retry gets it again."""

    __tablename__ = "idempotency"

    party_id: str = Field(primary_key=True, max_length=PARTY_ID.max_length)
    request_id: str = Field(primary_key=True, max_length=REQUEST_ID.max_length)
    method: str = Field(max_length=100)
    request_hash: str = Field(max_length=64)
    response: bytes
    create_time: dt.datetime


class SignedMessageRow(SQLModel, table=True):
    """Every signed case message, as received or as the hub signed it, with all its
    disclosures: the evidence. Its key also refuses a replayed message id."""

    __tablename__ = "signed_message"

    issuer: str = Field(primary_key=True, max_length=PARTY_ID.max_length)
    message_id: str = Field(primary_key=True, max_length=MESSAGE_ID.max_length)
    kind: int
    case_id: str = Field(max_length=HUB_ID.max_length, index=True)
    handoff_id: str | None = Field(default=None, max_length=HUB_ID.max_length, index=True)
    message: bytes
    create_time: dt.datetime
    # Claim names whose disclosures retention removed (JSON list); digests stay.
    erased_claims: str = Field(default="[]")


class DeadlineRow(SQLModel, table=True):
    """A promise the hub must keep at a time: chase a handoff, follow up, erase.

    The database is the source of truth; the scheduler only wakes the hub. A row
    is claimed and its effect written in one transaction, so it fires once."""

    __tablename__ = "deadline"
    # Each index leads with the column its query is most selective on: SQLite plans
    # without statistics, and given an index on `state` alone it walked every pending
    # deadline to cancel one handoff's.
    __table_args__ = (
        sa.Index("ix_deadline_state_due_time", "state", "due_time"),
        sa.Index("ix_deadline_case_id_kind_state_due_time", "case_id", "kind", "state", "due_time"),
        sa.Index("ix_deadline_handoff_id_kind_state", "handoff_id", "kind", "state"),
    )

    deadline_id: str = Field(primary_key=True, max_length=HUB_ID.max_length)
    kind: str = Field(max_length=20)
    case_id: str = Field(max_length=HUB_ID.max_length)
    handoff_id: str | None = Field(default=None, max_length=HUB_ID.max_length)
    due_time: dt.datetime
    attempt: int = 0
    state: str = Field(default="pending", max_length=16)
    create_time: dt.datetime
    fired_time: dt.datetime | None = None
    fired_by: str = Field(default="", max_length=100)


class RotaShiftRow(SQLModel, table=True):
    """One on-call shift of the platform's duty desk, as instants in UTC (the local
    times and zone it was entered in are kept for people)."""

    __tablename__ = "rota_shift"

    shift_id: str = Field(primary_key=True, max_length=HUB_ID.max_length)
    party_id: str = Field(max_length=PARTY_ID.max_length)
    backup_party_id: str | None = Field(default=None, max_length=PARTY_ID.max_length)
    start_time: dt.datetime = Field(index=True)
    end_time: dt.datetime
    timezone: str = Field(max_length=64)


class CaseNoteRow(SQLModel, table=True):
    """Free text that belongs to a timeline event (a note, an override reason, a
    decline reason). Kept apart from the chained event, so retention can erase it
    and the chain still verifies: the event holds the text's digest."""

    __tablename__ = "case_note"

    case_id: str = Field(primary_key=True, foreign_key="case.case_id", max_length=HUB_ID.max_length)
    sequence: int = Field(primary_key=True)
    text: str = Field(max_length=NOTE.max_length)
    erased: bool = False


# What the log keeps of a failed attempt's error.
WEBHOOK_ERROR_WIDTH = 500


class WebhookDeliveryRow(SQLModel, table=True):
    """An inbox message also to be POSTed to its party's webhook (hub/store/webhooks.py).

    Written in the transaction of the inbox message it points at, so a crash loses
    no page; the body is made from that message when sent, so retention, which
    erases the inbox, leaves no copy here."""

    __tablename__ = "webhook_delivery"

    delivery_id: str = Field(primary_key=True, max_length=HUB_ID.max_length)
    party_id: str = Field(max_length=PARTY_ID.max_length, index=True)
    sequence: int
    case_id: str = Field(max_length=HUB_ID.max_length)
    event: str = Field(max_length=32)
    state: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    # When the next attempt is due; while one runs, when it is given up as lost.
    next_attempt_time: dt.datetime = Field(index=True)
    create_time: dt.datetime
    finish_time: dt.datetime | None = None


class WebhookAttemptRow(SQLModel, table=True):
    """The delivery log: one row per POST, with what came back."""

    __tablename__ = "webhook_attempt"

    delivery_id: str = Field(
        primary_key=True, foreign_key="webhook_delivery.delivery_id", max_length=HUB_ID.max_length
    )
    attempt: int = Field(primary_key=True)
    time: dt.datetime
    # The HTTP status, or None when no answer came (then `error` says why).
    status_code: int | None = None
    error: str = Field(default="", max_length=WEBHOOK_ERROR_WIDTH)
