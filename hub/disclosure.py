"""What each party may learn of a case: one declarative table, role x handoff kind.

Follows domain.md: a courier needs a parcel number and an instruction, never a
mental-health detail; a merchant its own order; police the location, contact,
risk and situation (the exact address and phone only once the desk has
acknowledged, and only that desk); a hospital the clinical facts.
"""

from __future__ import annotations

from lifeline.hub.v1 import handoff_pb2

from hub.identity import Role

K = handoff_pb2

# (role, kind) -> (fields on creation, fields added once the assignee acknowledges)
DISCLOSURE: dict[tuple[Role, int], tuple[frozenset[str], frozenset[str]]] = {
    (Role.MERCHANT, K.HANDOFF_KIND_HOLD_ORDER): (
        frozenset({"instruction", "order_id"}),
        frozenset(),
    ),
    (Role.COURIER, K.HANDOFF_KIND_INTERCEPT_PARCEL): (
        frozenset({"instruction", "tracking_number"}),
        frozenset(),
    ),
    (Role.POLICE, K.HANDOFF_KIND_DISPATCH): (
        frozenset({"instruction", "jurisdiction_code", "risk_level", "situation"}),
        frozenset({"address_text", "contact_phone"}),
    ),
    (Role.COMMITTEE, K.HANDOFF_KIND_DISPATCH): (
        frozenset({"instruction", "jurisdiction_code", "risk_level", "situation"}),
        frozenset({"address_text", "contact_phone"}),
    ),
    (Role.COMMITTEE, K.HANDOFF_KIND_FOLLOW_UP): (
        frozenset({"instruction", "jurisdiction_code", "risk_level", "situation"}),
        frozenset({"address_text", "contact_phone"}),
    ),
    (Role.HOSPITAL, K.HANDOFF_KIND_MEDICAL_CONSULT): (
        frozenset({"instruction", "risk_level", "situation", "clinical_facts"}),
        frozenset(),
    ),
}

# The platform's duty desk takes over any kind of work when it is escalated to it.
for _kind in (
    K.HANDOFF_KIND_HOLD_ORDER,
    K.HANDOFF_KIND_INTERCEPT_PARCEL,
    K.HANDOFF_KIND_DISPATCH,
    K.HANDOFF_KIND_MEDICAL_CONSULT,
    K.HANDOFF_KIND_FOLLOW_UP,
):
    DISCLOSURE[(Role.PLATFORM, _kind)] = (
        frozenset(f.name for f in handoff_pb2.HandoffDetails.DESCRIPTOR.fields),
        frozenset(),
    )


def allowed_fields(role: Role, kind: int, acknowledged: bool) -> frozenset[str]:
    before, after = DISCLOSURE.get((role, kind), (frozenset(), frozenset()))
    return before | after if acknowledged else before


def disclose(
    full: handoff_pb2.HandoffDetails, role: Role, kind: int, acknowledged: bool
) -> handoff_pb2.HandoffDetails:
    """The details with every field the recipient may not see cleared."""
    visible = handoff_pb2.HandoffDetails()
    for name in allowed_fields(role, kind, acknowledged):
        setattr(visible, name, getattr(full, name))
    return visible
