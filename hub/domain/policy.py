"""The handoff policy: who gets which work automatically, and which state changes
are legal (which roles take each kind, and what it may end in, is wire/outcomes.py,
which desks' tools read too). Documented in docs/handoffs.md.

The defaults follow domain.md; a TOML file (`lifeline serve --policy FILE`)
can change which grades trigger automatic handoffs, which kinds are created,
and the instruction text each kind carries.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lifeline.hub.v1 import case_pb2, handoff_pb2

H = handoff_pb2.Handoff
K = handoff_pb2

KIND_NAMES = {
    "HOLD_ORDER": K.HANDOFF_KIND_HOLD_ORDER,
    "INTERCEPT_PARCEL": K.HANDOFF_KIND_INTERCEPT_PARCEL,
    "DISPATCH": K.HANDOFF_KIND_DISPATCH,
    "MEDICAL_CONSULT": K.HANDOFF_KIND_MEDICAL_CONSULT,
    "FOLLOW_UP": K.HANDOFF_KIND_FOLLOW_UP,
    "STAY_IN_CONTACT": K.HANDOFF_KIND_STAY_IN_CONTACT,
    "DUTY_ALERT": K.HANDOFF_KIND_DUTY_ALERT,
}

# Legal state changes. An acknowledgement after escalation is still accepted:
# the desk that finally answers holds the case.
TRANSITIONS: dict[int, frozenset[int]] = {
    H.STATE_PENDING: frozenset(
        {
            H.STATE_DELIVERED,
            H.STATE_ACKNOWLEDGED,
            H.STATE_DECLINED,
            H.STATE_EXPIRED,
            H.STATE_ESCALATED,
            H.STATE_CANCELLED,
        }
    ),
    H.STATE_DELIVERED: frozenset(
        {
            H.STATE_ACKNOWLEDGED,
            H.STATE_DECLINED,
            H.STATE_EXPIRED,
            H.STATE_ESCALATED,
            H.STATE_CANCELLED,
        }
    ),
    # Escalated or expired only when its party is cut off (revoked, deactivated).
    H.STATE_ACKNOWLEDGED: frozenset(
        {H.STATE_COMPLETED, H.STATE_CANCELLED, H.STATE_ESCALATED, H.STATE_EXPIRED}
    ),
    H.STATE_ESCALATED: frozenset({H.STATE_ACKNOWLEDGED}),
    H.STATE_EXPIRED: frozenset({H.STATE_ACKNOWLEDGED}),
    H.STATE_COMPLETED: frozenset(),
    H.STATE_DECLINED: frozenset(),
    H.STATE_CANCELLED: frozenset(),
}
OPEN_STATES = frozenset({H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED})

DEFAULT_INSTRUCTIONS: dict[int, str] = {
    K.HANDOFF_KIND_HOLD_ORDER: (
        "Hold this order and do not ship it; keep the buyer talking if you are in chat."
    ),
    K.HANDOFF_KIND_INTERCEPT_PARCEL: (
        "Intercept this parcel before delivery and return it to the depot."
    ),
    K.HANDOFF_KIND_DISPATCH: (
        "A person at risk of suicide: go to the address now and report what you find."
    ),
    K.HANDOFF_KIND_MEDICAL_CONSULT: "Advise on this case; see the clinical facts.",
    K.HANDOFF_KIND_FOLLOW_UP: "Check on the person and arrange support; report how they are.",
    K.HANDOFF_KIND_STAY_IN_CONTACT: (
        "Keep the person talking in your chat until help arrives; check in at the agreed time."
    ),
    K.HANDOFF_KIND_DUTY_ALERT: "The duty desk must act on this case now.",
}


@dataclass(frozen=True)
class HandoffPolicy:
    """What the hub does by itself when a case is graded."""

    auto_levels: frozenset[int] = frozenset(
        {case_pb2.RISK_LEVEL_HIGH, case_pb2.RISK_LEVEL_IMMINENT}
    )
    """Grades at which handoffs are created automatically."""

    auto_kinds: frozenset[int] = frozenset(KIND_NAMES.values())
    """Which kinds of handoff are created automatically."""

    instructions: dict[int, str] = field(default_factory=lambda: dict(DEFAULT_INSTRUCTIONS))
    """The instruction each kind carries when the hub creates it."""

    forward_situation_levels: frozenset[int] = frozenset(
        {case_pb2.RISK_LEVEL_HIGH, case_pb2.RISK_LEVEL_IMMINENT}
    )
    """Grades at which new situation text from the reporting merchant or hospital is
    forwarded to the case's acknowledged DISPATCH desks (hub/relay.py)."""

    @classmethod
    def from_toml(cls, path: Path) -> HandoffPolicy:
        """Reads [handoffs] auto_levels = [...], auto_kinds = [...],
        forward_situation_levels = [...], [handoffs.instructions]."""
        data = tomllib.loads(path.read_text()).get("handoffs", {})
        unknown = set(data) - {
            "auto_levels",
            "auto_kinds",
            "forward_situation_levels",
            "instructions",
        }
        if unknown:
            raise ValueError(f"{path}: unknown [handoffs] settings {sorted(unknown)}")
        levels = {
            "HIGH": case_pb2.RISK_LEVEL_HIGH,
            "IMMINENT": case_pb2.RISK_LEVEL_IMMINENT,
            "MODERATE": case_pb2.RISK_LEVEL_MODERATE,
            "LOW": case_pb2.RISK_LEVEL_LOW,
        }
        default = cls()

        def kinds(names: list[str], what: str) -> list[int]:
            bad = [n for n in names if n not in KIND_NAMES]
            if bad:
                raise ValueError(f"{path}: {what} names unknown handoff kinds {bad}")
            return [KIND_NAMES[n] for n in names]

        def grades(key: str, default: frozenset[int]) -> frozenset[int]:
            if key not in data:
                return default
            bad = [n for n in data[key] if n not in levels]
            if bad:
                raise ValueError(f"{path}: {key} names unknown risk levels {bad}")
            return frozenset(levels[n] for n in data[key])

        instructions = dict(default.instructions)
        texts = data.get("instructions", {})
        for kind, text in zip(kinds(list(texts), "instructions"), texts.values(), strict=True):
            instructions[kind] = str(text)
        return cls(
            auto_levels=grades("auto_levels", default.auto_levels),
            auto_kinds=frozenset(kinds(data["auto_kinds"], "auto_kinds"))
            if "auto_kinds" in data
            else default.auto_kinds,
            instructions=instructions,
            forward_situation_levels=grades(
                "forward_situation_levels", default.forward_situation_levels
            ),
        )
