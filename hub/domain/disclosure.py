"""What each party may learn: one declarative policy, role x message kind -> claims.

Follows domain.md. A courier needs a parcel number and an instruction, never a
mental-health detail; a merchant its own order and the instruction; police the
jurisdiction, grade and situation, then the address and phone once the desk has
acknowledged (and only that desk); a hospital the clinical facts; a committee
what follow-up needs. The hub applies it when it puts a signed message on a
party's inbox and when it exports evidence for a role; nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lifeline.hub.v1 import handoff_pb2, signed_pb2

from wire import claims as c
from wire.identity import Role
from wire.signed import disclose_only, disclosure_names

SIGNAL = "signal"
ACKNOWLEDGEMENT = "acknowledgement"
DECLINE = "decline"
OUTCOME = "outcome"
PROGRESS = "progress"
CASE_UPDATE = "case_update"
HANDOFF_KINDS = [n.removeprefix("HANDOFF_KIND_") for n in handoff_pb2.HandoffKind.keys()[1:]]
MESSAGE_KINDS = [SIGNAL, *HANDOFF_KINDS, ACKNOWLEDGEMENT, DECLINE, OUTCOME, PROGRESS, CASE_UPDATE]


@dataclass(frozen=True)
class Rule:
    fields: frozenset[str] = frozenset()
    """Claims the role always sees."""

    after_acknowledgement: frozenset[str] = frozenset()
    """Claims released to the assignee once it has acknowledged the handoff."""

    own: frozenset[str] = frozenset()
    """Claims the role sees only when they concern it: its own order or parcel in a
    signal, its own receipts."""


# Where escalated work came from, and why, is the assignee's to know whatever its role.
_HANDOFF_BASE = frozenset({c.HANDOFF_KIND, c.ASSIGNEE, c.DUE_TIME, "instruction", c.ESCALATED_FROM})
# A case update's note is written for the parties it is sent to (the duty desk chose
# them, or it is the hub's own reminder); a signal's situation and the grade are
# mental-health detail, for those who act on the person only.
_UPDATE_BASE = frozenset({c.UPDATE_KIND, c.AUTHOR, c.NOTE})
_UPDATE_ALL = Rule(fields=_UPDATE_BASE | {c.SITUATION, c.RISK_LEVEL})
_RECEIPT = frozenset({c.STATE, c.REASON, c.OUTCOME_CODE, c.NOTE, c.STAGE, c.OPERATOR})
_ALL = Rule(fields=frozenset({"*"}))

POLICY: dict[tuple[Role, str], Rule] = {
    # Signals, as a party may see them in evidence exported for its role.
    (Role.MERCHANT, SIGNAL): Rule(own=frozenset({c.ORDER})),
    (Role.COURIER, SIGNAL): Rule(own=frozenset({c.PARCEL})),
    (Role.POLICE, SIGNAL): Rule(fields=frozenset({c.ADDRESS, c.PHONE, c.SITUATION, c.INDICATORS})),
    (Role.COMMITTEE, SIGNAL): Rule(fields=frozenset({c.ADDRESS, c.PHONE, c.SITUATION})),
    (Role.HOSPITAL, SIGNAL): Rule(fields=frozenset({c.SITUATION, c.CLINICAL_FACTS, c.INDICATORS})),
    # Handoffs, to their assignees.
    (Role.MERCHANT, "HOLD_ORDER"): Rule(fields=_HANDOFF_BASE | {"order_id"}),
    (Role.COURIER, "INTERCEPT_PARCEL"): Rule(fields=_HANDOFF_BASE | {"tracking_number"}),
    (Role.POLICE, "DISPATCH"): Rule(
        fields=_HANDOFF_BASE | {"jurisdiction_code", "risk_level", "situation"},
        after_acknowledgement=frozenset({"address_text", "contact_phone"}),
    ),
    (Role.COMMITTEE, "DISPATCH"): Rule(
        fields=_HANDOFF_BASE | {"jurisdiction_code", "risk_level", "situation"},
        after_acknowledgement=frozenset({"address_text", "contact_phone"}),
    ),
    (Role.COMMITTEE, "FOLLOW_UP"): Rule(
        fields=_HANDOFF_BASE | {"jurisdiction_code", "risk_level", "situation"},
        after_acknowledgement=frozenset({"address_text", "contact_phone"}),
    ),
    (Role.HOSPITAL, "MEDICAL_CONSULT"): Rule(
        fields=_HANDOFF_BASE | {"risk_level", "situation", "clinical_facts"}
    ),
    # The chat the person is in: it wrote the situation itself; it needs the instruction.
    (Role.MERCHANT, "STAY_IN_CONTACT"): Rule(fields=_HANDOFF_BASE | {"risk_level"}),
    (Role.HOSPITAL, "STAY_IN_CONTACT"): Rule(fields=_HANDOFF_BASE | {"risk_level"}),
    # Case updates (docs/handoffs.md): a merchant or courier only the note for its work.
    (Role.MERCHANT, CASE_UPDATE): Rule(fields=_UPDATE_BASE),
    (Role.COURIER, CASE_UPDATE): Rule(fields=_UPDATE_BASE),
    (Role.POLICE, CASE_UPDATE): _UPDATE_ALL,
    (Role.COMMITTEE, CASE_UPDATE): _UPDATE_ALL,
    (Role.HOSPITAL, CASE_UPDATE): _UPDATE_ALL,
    # Receipts: a party sees its own.
    **{
        (role, kind): Rule(own=_RECEIPT)
        for role in Role
        for kind in (ACKNOWLEDGEMENT, DECLINE, OUTCOME, PROGRESS)
    },
    # The platform's duty desk sees everything, and takes over any work escalated to it.
    **{(Role.PLATFORM, kind): _ALL for kind in MESSAGE_KINDS},
}


def handoff_kind_key(kind: int) -> str:
    return handoff_pb2.HandoffKind.Name(kind).removeprefix("HANDOFF_KIND_")


def allowed(
    role: Role,
    message_kind: str,
    name: str,
    value: Any,
    *,
    recipient: str,
    issuer: str = "",
    acknowledged: bool = False,
) -> bool:
    """May a party of this role (with this id) see this claim of this kind of message?"""
    rule = POLICY.get((role, message_kind), Rule())
    if "*" in rule.fields or name in rule.fields:
        return True
    if acknowledged and name in rule.after_acknowledgement:
        return True
    if name in rule.own:
        if message_kind == SIGNAL:
            owner = value.get("merchant_party_id") or value.get("courier_party_id")
            return bool(owner) and owner == recipient
        return issuer == recipient
    return False


def narrow(
    message: signed_pb2.SignedMessage,
    role: Role,
    message_kind: str,
    *,
    recipient: str,
    issuer: str = "",
    acknowledged: bool = False,
) -> signed_pb2.SignedMessage:
    """The signed message with only the disclosures the recipient may see; it still verifies."""
    keep = {
        raw
        for raw, name, value in disclosure_names(message)
        if allowed(
            role,
            message_kind,
            name,
            value,
            recipient=recipient,
            issuer=issuer,
            acknowledged=acknowledged,
        )
    }
    return disclose_only(message, keep)


def disclose(
    full: handoff_pb2.HandoffDetails, role: Role, kind: int, acknowledged: bool, recipient: str
) -> handoff_pb2.HandoffDetails:
    """Handoff details with every field the recipient may not see cleared (same policy)."""
    visible = handoff_pb2.HandoffDetails()
    key = handoff_kind_key(kind)
    for field, value in full.ListFields():
        if allowed(role, key, field.name, value, recipient=recipient, acknowledged=acknowledged):
            setattr(visible, field.name, value)
    return visible
