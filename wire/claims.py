"""The claims each kind of signed message carries: one table, used to sign and to compare.

One disclosure per claim, so each can be shown or withheld on its own: a signal's
orders and parcels are one claim each ("order", "parcel"), so a merchant can be
shown its own order and nothing of another shop's. ``SCHEMA`` gives, per message
kind, every claim's name and value type (wire/claim_types.py); the builders
below write claims through it, and ``difference`` compares a signed message with
a request through it, by value. docs/signed-messages.md lists the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format
from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2

from wire import signed
from wire.claim_types import TEXT, TIME, ClaimType, ClaimValueError, enum, message
from wire.signed import Claim

# Claim names of a signal.
SIGNAL_SOURCE = "source"
BUYER_ID = "subject.buyer_id"
PHONE = "subject.phone"
ADDRESS = "subject.address"
ORDER = "order"
PARCEL = "parcel"
INDICATORS = "indicators"
SITUATION = "situation"
CLINICAL_FACTS = "clinical_facts"
HOSPITAL = "hospital_party_id"
OBSERVE_TIME = "observe_time"

# Claim names of a handoff (besides the HandoffDetails fields, by their names).
HANDOFF_KIND = "kind"
ASSIGNEE = "assignee"
DUE_TIME = "due_time"
ESCALATED_FROM = "escalated_from"

# Claim names of receipts.
STATE = "state"
REASON = "reason"
OUTCOME_CODE = "outcome_code"
NOTE = "note"
STAGE = "stage"

# Who at the signing party acted (a person at a desk); absent when the request names nobody.
OPERATOR = "operator"

# Claim names of a case update (besides SITUATION and NOTE): a signal's situation
# and a note are separate claims, so a party may be shown the one and not the other.
UPDATE_KIND = "update_kind"
AUTHOR = "author"
RISK_LEVEL = "risk_level"

_DETAIL_FIELDS = handoff_pb2.HandoffDetails.DESCRIPTOR.fields


def _detail_type(field: Any) -> ClaimType:
    """A HandoffDetails field's claim type: its enum, or text."""
    return enum(field.enum_type) if field.enum_type is not None else TEXT


# Every claim of every kind, in the order docs/signed-messages.md lists them; a
# mismatch names the first claim, in this order, on which two messages differ.
SCHEMA: dict[int, dict[str, ClaimType]] = {
    signed.KIND_SIGNAL: {
        SIGNAL_SOURCE: enum(case_pb2.SignalSource.DESCRIPTOR),
        BUYER_ID: TEXT,
        PHONE: TEXT,
        ADDRESS: message(case_pb2.Address),
        ORDER: message(case_pb2.OrderReference),
        PARCEL: message(case_pb2.ParcelReference),
        INDICATORS: message(case_pb2.RiskIndicators),
        SITUATION: TEXT,
        CLINICAL_FACTS: TEXT,
        HOSPITAL: TEXT,
        OBSERVE_TIME: TIME,
        OPERATOR: TEXT,
    },
    signed.KIND_HANDOFF: {
        HANDOFF_KIND: enum(handoff_pb2.HandoffKind.DESCRIPTOR),
        ASSIGNEE: TEXT,
        **{field.name: _detail_type(field) for field in _DETAIL_FIELDS},
        DUE_TIME: TIME,
        ESCALATED_FROM: message(handoff_pb2.EscalatedFrom),
    },
    signed.KIND_ACKNOWLEDGEMENT: {STATE: TEXT, OPERATOR: TEXT},
    signed.KIND_DECLINE: {STATE: TEXT, REASON: TEXT, OPERATOR: TEXT},
    signed.KIND_OUTCOME: {
        STATE: TEXT,
        OUTCOME_CODE: enum(handoff_pb2.OutcomeCode.DESCRIPTOR),
        NOTE: TEXT,
        OPERATOR: TEXT,
    },
    signed.KIND_PROGRESS: {
        STAGE: enum(handoff_pb2.ProgressStage.DESCRIPTOR),
        NOTE: TEXT,
        OPERATOR: TEXT,
    },
    signed.KIND_CASE_UPDATE: {
        UPDATE_KIND: enum(inbox_service_pb2.CaseUpdate.Kind.DESCRIPTOR),
        AUTHOR: TEXT,
        SITUATION: TEXT,
        NOTE: TEXT,
        RISK_LEVEL: enum(case_pb2.RiskLevel.DESCRIPTOR),
    },
}


def _claim(kind: int, name: str, value: Any) -> Claim:
    """A claim as signed: its value written by the claim's type, so in canonical form."""
    return name, SCHEMA[kind][name].write(value)


def _canonical(kind: int, claims: Sequence[Claim]) -> dict[str, list[str]]:
    """Each claim's canonical values (as JSON text, sorted), defaults left out."""
    table = SCHEMA[kind]
    values: dict[str, list[str]] = {}
    for name, value in claims:
        claim_type = table.get(name)
        if claim_type is None:  # not a claim of this kind: it can only differ
            values.setdefault(name, []).append(signed.json_text(value))
            continue
        try:
            canonical = claim_type.read(value)
        except ValueError as e:
            raise ClaimValueError(name, str(e)) from None
        if canonical != claim_type.default:
            values.setdefault(name, []).append(signed.json_text(canonical))
    return {name: sorted(texts) for name, texts in values.items()}


def difference(kind: int, signed_claims: Sequence[Claim], request: Sequence[Claim]) -> str | None:
    """The first claim on which a signed message and a request differ, by value; None if none.

    Raises ClaimValueError for a signed claim whose value is not of its type.
    """
    said, asked = _canonical(kind, signed_claims), _canonical(kind, request)
    extra = sorted((said.keys() | asked.keys()) - SCHEMA[kind].keys())
    for name in [*SCHEMA[kind], *extra]:
        if said.get(name, []) != asked.get(name, []):
            return name
    return None


def _operator(kind: int, operator: str) -> list[Claim]:
    """The operator claim, only when a person is named: an old client's message has none."""
    return [_claim(kind, OPERATOR, operator)] if operator else []


def signal_claims(signal: case_pb2.Signal, operator: str = "") -> list[Claim]:
    kind = signed.KIND_SIGNAL
    claims = [_claim(kind, SIGNAL_SOURCE, signal.source)]
    subject = signal.subject
    if subject.buyer_id:
        claims.append(_claim(kind, BUYER_ID, subject.buyer_id))
    if subject.phone:
        claims.append(_claim(kind, PHONE, subject.phone))
    if subject.HasField("address") and (subject.address.text or subject.address.jurisdiction_code):
        claims.append(_claim(kind, ADDRESS, subject.address))
    claims += [_claim(kind, ORDER, o) for o in signal.orders]
    claims += [_claim(kind, PARCEL, p) for p in signal.parcels]
    if signal.indicators.ListFields():
        claims.append(_claim(kind, INDICATORS, signal.indicators))
    for name in (SITUATION, CLINICAL_FACTS, HOSPITAL):
        if getattr(signal, name):
            claims.append(_claim(kind, name, getattr(signal, name)))
    if signal.HasField("observe_time"):
        claims.append(_claim(kind, OBSERVE_TIME, signal.observe_time))
    return claims + _operator(kind, operator)


def signal_from_claims(claims: Sequence[Claim]) -> case_pb2.Signal:
    signal = case_pb2.Signal()
    for name, value in claims:
        if name == SIGNAL_SOURCE:
            signal.source = case_pb2.SignalSource.Value(value)  # type: ignore[assignment]
        elif name == BUYER_ID:
            signal.subject.buyer_id = value
        elif name == PHONE:
            signal.subject.phone = value
        elif name == ADDRESS:
            json_format.ParseDict(value, signal.subject.address)
        elif name == ORDER:
            json_format.ParseDict(value, signal.orders.add())
        elif name == PARCEL:
            json_format.ParseDict(value, signal.parcels.add())
        elif name == INDICATORS:
            json_format.ParseDict(value, signal.indicators)
        elif name == OBSERVE_TIME:
            signal.observe_time.FromJsonString(TIME.read(value))
        elif name in (SITUATION, CLINICAL_FACTS, HOSPITAL):
            setattr(signal, name, value)
        elif name == OPERATOR:
            continue  # the request's, not the signal's
        else:
            raise ValueError(f"unknown signal claim {name!r}")
    return signal


def handoff_claims(handoff: handoff_pb2.Handoff) -> list[Claim]:
    """Everything the hub says in a handoff; the disclosure policy decides who sees which."""
    kind = signed.KIND_HANDOFF
    claims = [
        _claim(kind, HANDOFF_KIND, handoff.kind),
        _claim(kind, ASSIGNEE, handoff.assignee_party_id),
    ]
    claims += [
        _claim(kind, field.name, getattr(handoff.details, field.name))
        for field in _DETAIL_FIELDS
        if getattr(handoff.details, field.name) != field.default_value
    ]
    if handoff.HasField("due_time"):
        claims.append(_claim(kind, DUE_TIME, handoff.due_time))
    if handoff.HasField("escalated_from"):
        claims.append(_claim(kind, ESCALATED_FROM, handoff.escalated_from))
    return claims


def escalated_from_claims(claims: Sequence[Claim]) -> handoff_pb2.EscalatedFrom | None:
    """Where a signed handoff says its work came from, if it says."""
    for name, value in claims:
        if name == ESCALATED_FROM:
            return json_format.ParseDict(value, handoff_pb2.EscalatedFrom())
    return None


def details_from_claims(claims: Sequence[Claim]) -> handoff_pb2.HandoffDetails:
    names = {field.name for field in _DETAIL_FIELDS}
    return json_format.ParseDict(
        {name: value for name, value in claims if name in names},
        handoff_pb2.HandoffDetails(),
    )


def acknowledgement_claims(operator: str = "") -> list[Claim]:
    kind = signed.KIND_ACKNOWLEDGEMENT
    return [_claim(kind, STATE, "ACKNOWLEDGED"), *_operator(kind, operator)]


def decline_claims(reason: str, operator: str = "") -> list[Claim]:
    kind = signed.KIND_DECLINE
    return [
        _claim(kind, STATE, "DECLINED"),
        _claim(kind, REASON, reason),
        *_operator(kind, operator),
    ]


def outcome_claims(outcome: handoff_pb2.Outcome, operator: str = "") -> list[Claim]:
    kind = signed.KIND_OUTCOME
    claims = [_claim(kind, STATE, "COMPLETED"), _claim(kind, OUTCOME_CODE, outcome.code)]
    if outcome.note:
        claims.append(_claim(kind, NOTE, outcome.note))
    return claims + _operator(kind, operator)


def progress_claims(stage: int, note: str, operator: str = "") -> list[Claim]:
    kind = signed.KIND_PROGRESS
    claims = [_claim(kind, STAGE, stage)]
    if note:
        claims.append(_claim(kind, NOTE, note))
    return claims + _operator(kind, operator)


def case_update_claims(
    update_kind: int, author: str, risk_level: int, *, situation: str = "", note: str = ""
) -> list[Claim]:
    """A fact the hub relays; the disclosure policy decides which parts each party sees."""
    kind = signed.KIND_CASE_UPDATE
    claims = [_claim(kind, UPDATE_KIND, update_kind), _claim(kind, AUTHOR, author)]
    for name, text in ((SITUATION, situation), (NOTE, note)):
        if text:
            claims.append(_claim(kind, name, text))
    if risk_level:
        claims.append(_claim(kind, RISK_LEVEL, risk_level))
    return claims


def case_update_from_claims(claims: Sequence[Claim]) -> inbox_service_pb2.CaseUpdate:
    """The plain fields of a CaseUpdate as the claims disclosed to its recipient say them:
    the text is the situation, then the note, each only if disclosed."""
    values = dict(claims)
    update = inbox_service_pb2.CaseUpdate(author_party_id=values.get(AUTHOR, ""))
    if UPDATE_KIND in values:
        update.kind = inbox_service_pb2.CaseUpdate.Kind.Value(values[UPDATE_KIND])  # type: ignore[assignment]
    if RISK_LEVEL in values:
        update.risk_level = case_pb2.RiskLevel.Value(values[RISK_LEVEL])  # type: ignore[assignment]
    update.text = "\n".join(values[n] for n in (SITUATION, NOTE) if values.get(n))
    return update
