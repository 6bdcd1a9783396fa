"""Intake: a signal comes in, joins the open case of the same person or opens one, and
the hub makes of it what it can (merge, address, grade, the policy's handoffs).

Subject keys are keyed hashes (hub/domain/matching.py): the hub matches people without
keeping who they are in the clear.
"""

from __future__ import annotations

from collections.abc import Iterable

from lifeline.hub.v1 import case_pb2, case_service_pb2

from hub.cases import addresses, automation, chase, record, relay
from hub.cases.inputs import SignedCall
from hub.cases.unit import Cases, Unit, mutate, new_id
from hub.domain import caps, errors, grading, matching
from hub.domain.errors import HubError
from hub.store import cases as case_rows
from hub.store import db, parties, signals, visibility
from hub.store.cases import CLOSED
from hub.store.models import (
    CaseRow,
    SignalRow,
    SubjectKeyRow,
)
from wire import reasons
from wire.identity import PartyIdentity, Role

E = case_pb2.CaseEvent

_SOURCES_BY_ROLE = {
    Role.MERCHANT: {case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT},
    Role.HOSPITAL: {case_pb2.SIGNAL_SOURCE_HOSPITAL},
    Role.PLATFORM: {
        case_pb2.SIGNAL_SOURCE_PLATFORM_RISK_MODEL,
        case_pb2.SIGNAL_SOURCE_PLATFORM_DUTY_DESK,
    },
}


async def report_signal(
    cases: Cases, call: SignedCall[case_service_pb2.ReportSignalRequest]
) -> case_service_pb2.ReportSignalResponse:
    caller, request = call.caller, call.request
    signal = case_pb2.Signal()
    signal.CopyFrom(request.signal)
    _validate_signal(caller, signal)
    keys = matching.subject_keys(cases.secret, signal.subject)

    def work(tx: Unit) -> case_service_pb2.ReportSignalResponse:
        session = tx.session
        if not cases.db.is_sqlite:
            # Two signals about one new person must not open two cases.
            case_rows.lock_subjects(session, keys)
        # Most signals are about someone new: a plain read finds that out cheaply,
        # and only open cases it finds are loaded (and locked) as rows to change.
        # A signal reported against a case joins that one, without matching.
        candidates = set() if request.case_id else case_rows.open_ids_with_keys(session, keys)
        matched = case_rows.open_locked(session, candidates) if candidates else []
        merged = bool(matched)
        if request.case_id:
            case = relay.named_case(tx, request.case_id)
        elif matched:
            case = matched[0]
        else:
            case = db.insert(
                session, CaseRow(case_id=new_id("case"), create_time=tx.now, update_time=tx.now)
            )
            tx.cache.new_cases.add(case.case_id)
        _check_reporter(tx, case.case_id, signal)
        signal.signal_id = new_id("sig")
        signal.reporter_party_id = caller.party_id
        signal.case_id = case.case_id
        if not signal.HasField("observe_time"):
            signal.observe_time.FromDatetime(tx.now)
        db.append(
            session,
            SignalRow,
            {
                "signal_id": signal.signal_id,
                "case_id": case.case_id,
                "reporter_party_id": caller.party_id,
                "source": signal.source,
                "payload": signal.SerializeToString(),
                "create_time": tx.now,
            },
        )
        record.signal_added(tx, case.case_id, signal)
        record.join(tx, case.case_id, caller.party_id)
        _remember_keys(tx, case.case_id, keys)
        source = case_pb2.SignalSource.Name(signal.source).removeprefix("SIGNAL_SOURCE_").lower()
        record.event(
            tx,
            case,
            E.KIND_SIGNAL,
            f"signal {signal.signal_id} from {caller.party_id} ({source.replace('_', ' ')})",
            {
                "signal_id": signal.signal_id,
                "source": source,
                **record.received(
                    tx, request.signed_signal, call.signed, case.case_id, field="signed_signal"
                ),
            },
            # The situation in the reporter's words, for the duty desk's timeline.
            note=signal.situation,
        )
        # What the hub makes of it (merge, address, grade, the policy's handoffs)
        # is the hub's doing, not the reporter's.
        with tx.by_hub():
            for other in matched[1:]:
                _absorb(tx, case, other)
            if merged:
                sources = sorted(signals.reporters(session, case.case_id))
                record.event(
                    tx,
                    case,
                    E.KIND_MERGE,
                    f"signal {signal.signal_id} joined the open case;"
                    f" sources: {', '.join(sources)}",
                    {
                        "signal_id": signal.signal_id,
                        "sources": sources,
                        "absorbed_cases": [c.case_id for c in matched[1:]],
                    },
                )
            addresses.reported(tx, case)
            case.indicators_mask |= grading.to_mask(signal.indicators)
            case.update_time = tx.now
            automation.regrade(tx, case, f"signal {signal.signal_id}")
            automation.apply_policy(tx, case)
            chase.await_triage(tx, case)
            relay.signal_reported(tx, case, signal)
        session.add(case)
        if caller.role != Role.PLATFORM:
            # Whether the person already had a case is not the reporter's to learn.
            return case_service_pb2.ReportSignalResponse(
                signal=signal, case=visibility.report_answer(case.case_id)
            )
        return case_service_pb2.ReportSignalResponse(
            signal=signal, case=record.case_view(tx, case, caller.role), merged=merged
        )

    return await mutate(cases, caller, request, case_service_pb2.ReportSignalResponse, work)


def _check_reporter(tx: Unit, case_id: str, signal: case_pb2.Signal) -> None:
    """What a signal may ask of the hub: couriers it names are registered ones, and
    its reporter stays within the cap on signals about one person."""
    for i, parcel in enumerate(signal.parcels):
        courier = parties.get(tx.session, parcel.courier_party_id)
        if courier is None or courier.role != Role.COURIER.value:
            raise HubError(
                reasons.COURIER_NOT_REGISTERED,
                f"{parcel.courier_party_id!r} is not a registered courier",
                {"field": f"signal.parcels[{i}].courier_party_id"},
            )
    if case_id not in tx.cache.new_cases:  # a case opened just now has no signals yet
        since = tx.now - caps.SIGNAL_WINDOW
        caps.check_signal_rate(signals.count_since(tx.session, case_id, tx.caller.party_id, since))


def _remember_keys(tx: Unit, case_id: str, keys: Iterable[str]) -> None:
    """Adds the subject keys the case does not have yet."""
    keys = set(keys)
    known = (
        set() if case_id in tx.cache.new_cases else case_rows.known_keys(tx.session, case_id, keys)
    )
    new = sorted(keys - known)
    if new:
        db.append(tx.session, SubjectKeyRow, [{"key_hash": k, "case_id": case_id} for k in new])


def _absorb(tx: Unit, survivor: CaseRow, other: CaseRow) -> None:
    """Merges another open case of the same person into the survivor."""
    session = tx.session
    case_rows.move_rows(session, other.case_id, survivor.case_id)
    _remember_keys(tx, survivor.case_id, case_rows.subject_keys(session, other.case_id))
    for member in parties.members(session, other.case_id):
        record.join(tx, survivor.case_id, member)
    record.signals_changed(tx, survivor.case_id, other.case_id)
    survivor.indicators_mask |= other.indicators_mask
    survivor.peak_risk_level = max(survivor.peak_risk_level, other.peak_risk_level)
    if other.risk_overridden and other.risk_level > survivor.risk_level:
        survivor.risk_level, survivor.risk_overridden = other.risk_level, True
    other.state = CLOSED
    other.close_time = tx.now
    other.update_time = tx.now
    other.merged_into = survivor.case_id
    other.resolution_code = case_pb2.CaseResolution.CODE_DUPLICATE
    session.add(other)
    record.event(
        tx,
        other,
        E.KIND_CLOSE,
        f"merged into {survivor.case_id}: the same person",
        {"merged_into": survivor.case_id},
    )


def _validate_signal(caller: PartyIdentity, signal: case_pb2.Signal) -> None:
    caps.check_signal_size(signal)
    if signal.source not in _SOURCES_BY_ROLE.get(caller.role, set()):
        raise errors.invalid_argument(
            f"a {caller.role} party cannot report a signal with source "
            f"{case_pb2.SignalSource.Name(signal.source)}",
            "signal.source",
        )
    subject = signal.subject
    if not (subject.buyer_id.strip() or subject.phone.strip() or subject.address.text.strip()):
        raise HubError(
            reasons.SUBJECT_REQUIRED,
            "a signal needs a subject reference: a buyer id, a phone or an address",
            {"field": "signal.subject"},
        )
    if subject.address.text and not subject.address.jurisdiction_code:
        raise HubError(
            reasons.INVALID_JURISDICTION,
            "an address needs its 6-digit jurisdiction code",
            {"field": "signal.subject.address.jurisdiction_code"},
        )
    for i, order in enumerate(signal.orders):
        if not order.order_id:
            raise errors.invalid_argument(
                "every order needs an order_id", f"signal.orders[{i}].order_id"
            )
        if not order.merchant_party_id:
            if caller.role != Role.MERCHANT:
                raise errors.invalid_argument(
                    "every order needs its merchant_party_id",
                    f"signal.orders[{i}].merchant_party_id",
                )
            order.merchant_party_id = caller.party_id
        elif caller.role == Role.MERCHANT and order.merchant_party_id != caller.party_id:
            raise errors.invalid_argument(
                "a merchant reports its own orders only",
                f"signal.orders[{i}].merchant_party_id",
            )
    for i, parcel in enumerate(signal.parcels):
        if not parcel.tracking_number or not parcel.courier_party_id:
            raise errors.invalid_argument(
                "every parcel needs a tracking_number and a courier_party_id",
                f"signal.parcels[{i}]",
            )
