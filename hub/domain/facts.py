"""What a case knows, gathered from its signals: pure, no storage.

The newest value wins, but for the address: every address a reporter gives is kept
as a candidate, named by the signal that first gave it, and dispatch goes to the one
in effect (hub/cases/addresses.py says how the duty desk confirms another).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp
from lifeline.hub.v1 import case_pb2

from hub.domain import limits


@dataclass(frozen=True)
class Candidate:
    candidate_id: str
    """The id of the signal that first gave this address."""
    jurisdiction_code: str
    text: str
    reporter_party_id: str
    observe_time: Timestamp | None = None

    def contradicts(self, other: Candidate) -> bool:
        """A district alone, within the other's district, adds nothing to contradict."""
        same_district = self.jurisdiction_code == other.jurisdiction_code
        return self.candidate_id != other.candidate_id and not (
            same_district and not (self.text and other.text)
        )


def candidates(signals: Iterable[case_pb2.Signal]) -> tuple[Candidate, ...]:
    """Each distinct address the signals give, in the order first reported."""
    found: dict[tuple[str, str], Candidate] = {}
    for signal in signals:
        address = signal.subject.address
        key = (address.jurisdiction_code, address.text.strip())
        if address.jurisdiction_code and key not in found:
            found[key] = Candidate(
                signal.signal_id,
                key[0],
                key[1],
                signal.reporter_party_id,
                signal.observe_time if signal.HasField("observe_time") else None,
            )
    return tuple(found.values())


def in_effect(found: tuple[Candidate, ...], confirmed: str | None) -> Candidate | None:
    """The address dispatch goes to: the confirmed one, else the first reported."""
    for candidate in found:
        if candidate.candidate_id == confirmed:
            return candidate
    if not found:
        return None
    first = found[0]
    if first.text:
        return first
    return next(
        (c for c in found if c.text and c.jurisdiction_code == first.jurisdiction_code), first
    )


@dataclass(frozen=True)
class Facts:
    address_text: str = ""
    address: Candidate | None = None
    address_candidates: tuple[Candidate, ...] = ()
    contact_phone: str = ""
    situation: str = ""
    clinical_facts: str = ""
    orders: tuple[case_pb2.OrderReference, ...] = ()
    parcels: tuple[case_pb2.ParcelReference, ...] = ()
    hospitals: tuple[str, ...] = ()
    signals: tuple[case_pb2.Signal, ...] = ()


def gather(signals: Sequence[case_pb2.Signal], confirmed: str | None) -> Facts:
    """The case's facts from its signals, oldest first, and the address confirmed."""
    phone = ""
    situations: list[str] = []
    clinical: list[str] = []
    orders: dict[str, case_pb2.OrderReference] = {}
    parcels: dict[str, case_pb2.ParcelReference] = {}
    hospitals: dict[str, None] = {}
    for signal in signals:
        phone = signal.subject.phone or phone
        if signal.situation:
            situations.append(signal.situation)
        if signal.clinical_facts:
            clinical.append(signal.clinical_facts)
        orders.update((o.order_id, o) for o in signal.orders)
        parcels.update((p.tracking_number, p) for p in signal.parcels)
        # A hospital named for a consult; the reporting hospital treats its own
        # patient and is not sent a consult about them (domain case 6).
        if signal.hospital_party_id and signal.hospital_party_id != signal.reporter_party_id:
            hospitals[signal.hospital_party_id] = None
    found = candidates(signals)
    address = in_effect(found, confirmed)
    return Facts(
        address_text=address.text if address else "",
        address=address,
        address_candidates=found,
        contact_phone=phone,
        situation=" / ".join(situations)[-limits.NOTE.max_length :],
        clinical_facts=" / ".join(clinical)[-limits.NOTE.max_length :],
        orders=tuple(orders.values()),
        parcels=tuple(parcels.values()),
        hospitals=tuple(hospitals),
        signals=tuple(signals),
    )
