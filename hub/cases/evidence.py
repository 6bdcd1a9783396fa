"""Evidence bundles: a case's signed messages, certificates and timeline, checkable
offline with nothing but the CA certificate.

Exported for a role, a bundle holds only what that role may see (the same
disclosure policy the hub applies on the wire, and the same event views as its
live reads, hub/store/visibility.py): withheld disclosures stay as digests and timeline
events as the hashes of their bodies, so the signatures and the chain still verify.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lifeline.hub.v1 import signed_pb2

from hub.domain import disclosure
from hub.store import cases as case_rows
from hub.store import handoffs, parties, signed_messages, timeline, visibility
from wire import signed
from wire.identity import PartyIdentity, Role
from wire.signed import SignedMessageError

if TYPE_CHECKING:
    from sqlmodel import Session

FORMAT = "lifeline-evidence/1"
_RECEIPT_KINDS: dict[int, str] = {
    signed.KIND_ACKNOWLEDGEMENT: disclosure.ACKNOWLEDGEMENT,
    signed.KIND_DECLINE: disclosure.DECLINE,
    signed.KIND_OUTCOME: disclosure.OUTCOME,
    signed.KIND_PROGRESS: disclosure.PROGRESS,
}


class EvidenceError(Exception):
    """The first thing in a bundle that does not verify."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def export(
    session: Session, case_id: str, role: Role | None = None, party_id: str | None = None
) -> dict[str, Any]:
    """The bundle for a case; for a role (and optionally one party of it), narrowed."""
    case = case_rows.get(session, case_id)
    if case is None:
        raise EvidenceError(f"no case {case_id!r}")
    viewer = role or Role.PLATFORM
    cases = [case_id, *case_rows.merged_into(session, case_id)]
    rows = signed_messages.of_cases(session, cases)
    roles = parties.roles(session)
    messages: list[dict[str, Any]] = []
    for row in rows:
        message = signed_pb2.SignedMessage.FromString(row.message)
        handoff = handoffs.get(session, row.handoff_id) if row.handoff_id else None
        if row.kind == signed.KIND_SIGNAL:
            key, own = disclosure.SIGNAL, False
        elif row.kind == signed.KIND_HANDOFF:
            assert handoff is not None
            key = disclosure.handoff_kind_key(handoff.kind)
            own = _mine(handoff.assignee_party_id, viewer, roles, party_id)
        elif row.kind == signed.KIND_CASE_UPDATE:
            # Sent on the recipient's handoff: the recipient's, like the handoff.
            assert handoff is not None
            key = disclosure.CASE_UPDATE
            own = _mine(handoff.assignee_party_id, viewer, roles, party_id)
        else:
            key, own = _RECEIPT_KINDS[row.kind], _mine(row.issuer, viewer, roles, party_id)
        if viewer != Role.PLATFORM and row.kind != signed.KIND_SIGNAL and not own:
            continue
        narrowed = disclosure.narrow(
            message,
            viewer,
            key,
            # A receipt included for a role is its own party's: show what it signed.
            recipient=party_id or (row.issuer if row.kind in _RECEIPT_KINDS else ""),
            issuer=row.issuer,
            acknowledged=handoff is not None and handoff.acknowledge_time is not None,
        )
        if viewer != Role.PLATFORM and not narrowed.disclosures and not own:
            continue  # nothing for this role, and who wrote it is not its business either
        messages.append(
            {
                "kind": signed_pb2.SignedPayload.Kind.Name(row.kind),
                "issuer": row.issuer,
                "message_id": row.message_id,
                "message": _b64(narrowed.SerializeToString()),
                # Claims retention erased: their digests are still in the signed payload.
                "erased": json.loads(row.erased_claims),
            }
        )
    certificates = sorted(
        {
            x509.load_der_x509_certificate(
                signed_pb2.SignedMessage.FromString(
                    base64.b64decode(m["message"])
                ).signer_certificate
            )
            .public_bytes(serialization.Encoding.PEM)
            .decode()
            for m in messages
        }
    )
    return {
        "format": FORMAT,
        "case_id": case_id,
        "for_role": role.value if role else None,
        "for_party": party_id,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "certificates": certificates,
        "messages": messages,
        "timelines": {
            c: _timeline(session, c, visibility.Reader(party_id or "", viewer)) for c in cases
        },
    }


def for_caller(session: Session, case_id: str, caller: PartyIdentity) -> tuple[str, str]:
    """ExportEvidence: (file name, bundle JSON) as the caller may see the case: the platform
    everything; another party its role's view, narrowed to its own party."""
    visibility.visible_case(session, caller, case_id)
    if caller.role == Role.PLATFORM:
        bundle = export(session, case_id)
    else:
        bundle = export(session, case_id, caller.role, caller.party_id)
    return f"{case_id}-evidence.json", json.dumps(bundle, indent=1, ensure_ascii=False)


def _mine(author: str, viewer: Role, roles: dict[str, Role], party_id: str | None) -> bool:
    if viewer == Role.PLATFORM:
        return True
    return roles.get(author) == viewer and (party_id is None or author == party_id)


def _timeline(session: Session, case_id: str, reader: visibility.Reader) -> list[dict[str, Any]]:
    """The whole chain; the platform gets every body, a role its views (the same as its
    live reads) beside the hashes of the bodies."""
    events = []
    for entry in visibility.timeline_for(session, reader, case_id):
        item: dict[str, Any] = {
            "sequence": entry.row.sequence,
            "previous_hash": entry.row.previous_hash,
            "hash": entry.row.hash,
        }
        if reader.role == Role.PLATFORM:
            item["body"] = entry.body
        else:
            item["body_hash"] = entry.body_hash
            if entry.view is not None:
                item["view"] = dataclasses.asdict(entry.view)
        events.append(item)
    return events


@dataclass(frozen=True)
class Report:
    messages: int
    events: int
    withheld_events: int


def verify(bundle: dict[str, Any], ca: x509.Certificate | signed.CAs) -> Report:
    """Checks a bundle offline against the CA (or CAs: messages signed before a CA
    rollover are the old CA's); raises EvidenceError naming the first thing that fails."""
    if bundle.get("format") != FORMAT:
        raise EvidenceError(f"not a {FORMAT} bundle")
    case_id = bundle["case_id"]
    listed = {
        x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
        for pem in bundle["certificates"]
    }
    referenced: set[str] = set()
    events = withheld = 0
    for timeline_case, entries in bundle["timelines"].items():
        previous = timeline.GENESIS
        for expected, entry in enumerate(entries, 1):
            where = f"timeline of case {timeline_case}, event {expected}"
            if entry["sequence"] != expected:
                raise EvidenceError(f"{where}: missing")
            if entry["previous_hash"] != previous:
                raise EvidenceError(f"{where}: does not link to the event before it")
            body = entry.get("body")
            if body is not None:
                if body["case_id"] != timeline_case or body["sequence"] != expected:
                    raise EvidenceError(f"{where}: belongs to another case or place")
                content = timeline.body_hash(body)
                if "message_digest" in body["data"]:
                    referenced.add(body["data"]["message_digest"])
            else:
                content = entry["body_hash"]
                withheld += 1
            if timeline.link(previous, content) != entry["hash"]:
                raise EvidenceError(f"{where}: content does not match its hash")
            previous = entry["hash"]
            events += 1
    if not bundle["timelines"].get(case_id):
        raise EvidenceError(f"the bundle has no timeline for case {case_id}")
    for number, item in enumerate(bundle["messages"], 1):
        where = f"message {number} ({item['kind']} {item['message_id']} from {item['issuer']})"
        try:
            message = signed_pb2.SignedMessage.FromString(base64.b64decode(item["message"]))
            kind = signed_pb2.SignedPayload.FromString(message.payload).kind
            verified = signed.verify(message, ca=ca, kind=kind, audience=None, now=None)
        except SignedMessageError as e:
            raise EvidenceError(f"{where}: {e}") from None
        except ValueError as e:
            raise EvidenceError(f"{where}: cannot be read ({e})") from None
        if message.signer_certificate not in listed:
            raise EvidenceError(f"{where}: its signer's certificate is not in the bundle")
        if (verified.payload.issuer, verified.payload.message_id) != (
            item["issuer"],
            item["message_id"],
        ):
            raise EvidenceError(f"{where}: is labelled as another message")
        if withheld == 0 and signed.payload_digest(message) not in referenced:
            raise EvidenceError(f"{where}: is not on the case's timeline")
    return Report(len(bundle["messages"]), events, withheld)
