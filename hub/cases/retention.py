"""Retention: after the retention period a closed case's personal data is erased;
digests and the timeline stay, so the chain still verifies."""

from __future__ import annotations

import json

from lifeline.hub.v1 import case_pb2, handoff_pb2, signed_pb2

from hub.cases import record
from hub.cases.unit import Unit
from hub.store import cases as case_rows
from hub.store import handoffs, inbox, signals, signed_messages
from hub.store.models import (
    CaseRow,
)
from wire import claims as message_claims
from wire import signed

E = case_pb2.CaseEvent

# Claims retention erases from stored signed messages.
PERSONAL_CLAIMS = frozenset(
    {
        message_claims.BUYER_ID,
        message_claims.PHONE,
        message_claims.ADDRESS,
        message_claims.SITUATION,
        message_claims.CLINICAL_FACTS,
        message_claims.REASON,
        message_claims.NOTE,
        message_claims.ORDER,
        "address_text",
        "contact_phone",
        "situation",
        "clinical_facts",
    }
)


def erase(tx: Unit, case: CaseRow) -> None:
    """Retention: erases the case's personal data; digests and the timeline stay."""
    session = tx.session
    for row in signals.of_case(session, case.case_id):
        signal = case_pb2.Signal.FromString(row.payload)
        signal.subject.Clear()
        for name in ("situation", "clinical_facts"):
            signal.ClearField(name)
        for order in signal.orders:
            order.ClearField("item_summary")
        row.payload = signal.SerializeToString()
        session.add(row)
    record.signals_changed(tx, case.case_id)
    for handoff in handoffs.of_case(session, case.case_id):
        details = handoff_pb2.HandoffDetails.FromString(handoff.details)
        for name in ("situation", "address_text", "contact_phone", "clinical_facts"):
            details.ClearField(name)
        handoff.details = details.SerializeToString()
        handoff.outcome_note = handoff.decline_reason = ""
        session.add(handoff)
    for stored in signed_messages.of_case(session, case.case_id):
        message = signed_pb2.SignedMessage.FromString(stored.message)
        keep = {
            raw for raw, name, _ in signed.disclosure_names(message) if name not in PERSONAL_CLAIMS
        }
        erased = sorted(
            {name for raw, name, _ in signed.disclosure_names(message) if raw not in keep}
            | set(json.loads(stored.erased_claims))
        )
        stored.message = signed.disclose_only(message, keep).SerializeToString()
        stored.erased_claims = json.dumps(erased)
        session.add(stored)
    for note in case_rows.notes(session, case.case_id):
        note.text, note.erased = "", True
        session.add(note)
    case_rows.forget_subject_keys(session, case.case_id)
    inbox.drop_for_case(session, case.case_id)
    case.override_reason = case.resolution_note = ""
    record.event(
        tx,
        case,
        E.KIND_NOTE,
        "personal data erased after the retention period; digests and timeline kept",
    )
