"""The claims each kind of signed message carries, and back.

One disclosure per claim, so each can be shown or withheld on its own: a signal's
orders and parcels are one claim each ("order", "parcel"), so a merchant can be
shown its own order and nothing of another shop's. docs/signed-messages.md lists
the names.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format
from lifeline.hub.v1 import case_pb2, handoff_pb2

from connectors.signed import Claim

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

# Claim names of receipts.
STATE = "state"
REASON = "reason"
OUTCOME_CODE = "outcome_code"
NOTE = "note"


def _dict(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def signal_claims(signal: case_pb2.Signal) -> list[Claim]:
    claims: list[Claim] = [(SIGNAL_SOURCE, case_pb2.SignalSource.Name(signal.source))]
    subject = signal.subject
    if subject.buyer_id:
        claims.append((BUYER_ID, subject.buyer_id))
    if subject.phone:
        claims.append((PHONE, subject.phone))
    if subject.HasField("address") and (subject.address.text or subject.address.jurisdiction_code):
        claims.append((ADDRESS, _dict(subject.address)))
    claims += [(ORDER, _dict(o)) for o in signal.orders]
    claims += [(PARCEL, _dict(p)) for p in signal.parcels]
    if _dict(signal.indicators):
        claims.append((INDICATORS, _dict(signal.indicators)))
    for name in (SITUATION, CLINICAL_FACTS, HOSPITAL):
        if getattr(signal, name):
            claims.append((name, getattr(signal, name)))
    if signal.HasField("observe_time"):
        claims.append((OBSERVE_TIME, signal.observe_time.ToJsonString()))
    return claims


def signal_from_claims(claims: list[Claim] | tuple[Claim, ...]) -> case_pb2.Signal:
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
            signal.observe_time.FromJsonString(value)
        elif name in (SITUATION, CLINICAL_FACTS, HOSPITAL):
            setattr(signal, name, value)
        else:
            raise ValueError(f"unknown signal claim {name!r}")
    return signal


_DETAIL_FIELDS = [f.name for f in handoff_pb2.HandoffDetails.DESCRIPTOR.fields]


def handoff_claims(handoff: handoff_pb2.Handoff) -> list[Claim]:
    """Everything the hub says in a handoff; the disclosure policy decides who sees which."""
    claims: list[Claim] = [
        (HANDOFF_KIND, handoff_pb2.HandoffKind.Name(handoff.kind)),
        (ASSIGNEE, handoff.assignee_party_id),
    ]
    details = _dict(handoff.details)
    claims += [(name, details[name]) for name in _DETAIL_FIELDS if name in details]
    if handoff.HasField("due_time"):
        claims.append((DUE_TIME, handoff.due_time.ToJsonString()))
    return claims


def details_from_claims(claims: list[Claim] | tuple[Claim, ...]) -> handoff_pb2.HandoffDetails:
    return json_format.ParseDict(
        {name: value for name, value in claims if name in _DETAIL_FIELDS},
        handoff_pb2.HandoffDetails(),
    )


def acknowledgement_claims() -> list[Claim]:
    return [(STATE, "ACKNOWLEDGED")]


def decline_claims(reason: str) -> list[Claim]:
    return [(STATE, "DECLINED"), (REASON, reason)]


def outcome_claims(outcome: handoff_pb2.Outcome) -> list[Claim]:
    claims: list[Claim] = [
        (STATE, "COMPLETED"),
        (OUTCOME_CODE, handoff_pb2.OutcomeCode.Name(outcome.code)),
    ]
    if outcome.note:
        claims.append((NOTE, outcome.note))
    return claims
