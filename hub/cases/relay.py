"""The relay: facts keep flowing to the parties working on a case after dispatch.

Documented in docs/handoffs.md ("Case updates", "Staying in contact"):

- The duty desk shares a note, or a signal's situation, with the roles it chooses
  (AddCaseNote `share_with`, `signal_id`): every party of those roles that has
  acknowledged a handoff on the case gets it.
- New situation text from the reporting merchant or hospital goes to the case's
  acknowledged DISPATCH desks, at the grades the handoff policy names.
- A desk that acknowledges after its work was escalated is told which desk also has
  it, and that desk is told the first one is on its way too.
- A STAY_IN_CONTACT with a check-in time reminds the chat then, and alerts the duty
  desk when no outcome follows within the grace; closing the case leaves a check-in
  still ahead in place (the good-morning comes after the police found her).
- A party on a case may report a signal against it, even closed: it joins that case.

Each update is a CaseUpdate on the recipient's inbox carrying the hub's signed
message (kind CASE_UPDATE, one per recipient, kept as evidence and referenced from
the timeline) narrowed by the disclosure policy; its plain fields are read back from
what the narrowed message discloses, so they cannot say more than it does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
    party_pb2,
)

from hub.cases import alerts, lifecycle, record
from hub.cases.unit import Unit
from hub.domain import disclosure, errors
from hub.domain.policy import OPEN_STATES
from hub.store import cases as case_rows
from hub.store import handoffs, parties, signals, visibility
from hub.store.cases import OPEN
from hub.store.models import CaseRow, DeadlineRow, HandoffRow, PartyRow
from hub.store.registry import ACTIVE
from wire import claims as message_claims
from wire import signed
from wire.identity import PartyIdentity, Role

if TYPE_CHECKING:
    from sqlmodel import Session


H = handoff_pb2.Handoff
E = case_pb2.CaseEvent
U = inbox_service_pb2.CaseUpdate
STAY_IN_CONTACT = handoff_pb2.HANDOFF_KIND_STAY_IN_CONTACT

# Deadline kinds (DeadlineRow.kind): the agreed check-in has come; its grace ran out.
CHECK_IN = "check_in"
CHECK_IN_GRACE = "check_in_grace"
DEADLINES = frozenset({CHECK_IN, CHECK_IN_GRACE})

_WORDS: dict[int, str] = {
    U.KIND_SHARED_NOTE: "shared note",
    U.KIND_SITUATION: "new situation",
    U.KIND_CHECK_IN_DUE: "check-in reminder",
    U.KIND_ANOTHER_DESK_ON_WAY: "another desk on its way",
}
# The chats a person can be in: where the hub asks someone to keep them talking.
_CHATS: dict[int, Role] = {
    case_pb2.SIGNAL_SOURCE_MERCHANT_CHAT: Role.MERCHANT,
    case_pb2.SIGNAL_SOURCE_HOSPITAL: Role.HOSPITAL,
}


def _at(time: dt.datetime) -> str:
    return f"{time:%H:%M} UTC"


# -- sending ---------------------------------------------------------------------


def send(
    tx: Unit,
    case: CaseRow,
    handoff: HandoffRow,
    kind: int,
    author: str,
    *,
    situation: str = "",
    note: str = "",
) -> bool:
    """Relays a fact to the assignee of `handoff`, signed and narrowed for it; returns
    False, and sends nothing, when none of its text is the assignee's to see."""
    recipient = handoff.assignee_party_id
    update_id = f"upd-{uuid.uuid4().hex[:16]}"
    message = tx.cases.signer.sign(
        signed.KIND_CASE_UPDATE,
        recipient,
        message_claims.case_update_claims(
            kind, author, case.risk_level, situation=situation, note=note
        ),
        tx.now,
        lifetime=signed.HUB_MESSAGE_LIFETIME,
        case_id=case.case_id,
        handoff_id=handoff.handoff_id,
        message_id=update_id,
    )
    visible = disclosure.narrow(
        message,
        record.role_of(tx, recipient),
        disclosure.CASE_UPDATE,
        recipient=recipient,
    )
    update = message_claims.case_update_from_claims(
        [(name, value) for _, name, value in signed.disclosure_names(visible)]
    )
    if not update.text:
        return False
    update.update_id = update_id
    update.handoff_id = handoff.handoff_id
    update.create_time.FromDatetime(tx.now)
    update.signed_update.CopyFrom(visible)
    reference = record.issued(tx, message, case.case_id, handoff.handoff_id)
    record.event(
        tx,
        case,
        E.KIND_NOTE,
        f"{_WORDS[kind]} {update_id} sent to {recipient}",
        {
            "update_id": update_id,
            "update_kind": U.Kind.Name(kind),
            "recipient": recipient,
            "handoff_id": handoff.handoff_id,
            **reference,
        },
    )
    tx.post(recipient, inbox_service_pb2.InboxMessage(case_id=case.case_id, case_update=update))
    return True


def _working(
    session: Session,
    case_id: str,
    roles: Iterable[Role],
    *,
    kinds: Iterable[int] = (),
    states: Iterable[int] = (H.STATE_ACKNOWLEDGED, H.STATE_COMPLETED),
) -> list[HandoffRow]:
    """The parties of these roles that took work on the case (acknowledged it, and it was
    not cancelled or handed on since), each by its latest such handoff, by party id."""
    taken = handoffs.taken(session, case_id, [r.value for r in roles], kinds, states)
    latest = {h.assignee_party_id: h for h in taken}
    return [latest[party_id] for party_id in sorted(latest)]


# -- the duty desk shares ----------------------------------------------------------


def shared_roles(caller: PartyIdentity, request: case_service_pb2.AddCaseNoteRequest) -> set[Role]:
    """The roles a note is to be shared with; refuses a request only the platform may make."""
    if caller.role != Role.PLATFORM:
        for name in ("share_with", "signal_id"):
            if getattr(request, name):
                raise errors.invalid_argument(f"only the platform may set {name}", name)
    if request.signal_id and not request.share_with:
        raise errors.invalid_argument("signal_id shares a situation: name share_with", "signal_id")
    roles: set[Role] = set()
    for i, value in enumerate(request.share_with):
        name = party_pb2.Role.Name(value) if value in party_pb2.Role.values() else ""
        role = Role.__members__.get(name.removeprefix("ROLE_"))
        if role is None or role == Role.PLATFORM:
            # The platform's desks see every note on the timeline already.
            raise errors.invalid_argument(
                "share_with names the roles of the parties working on the case",
                f"share_with[{i}]",
            )
        roles.add(role)
    return roles


def share(
    tx: Unit,
    case: CaseRow,
    request: case_service_pb2.AddCaseNoteRequest,
    roles: set[Role],
) -> None:
    """AddCaseNote's sharing: the note, or the signal's situation with it, to every
    party of those roles that took work on the case."""
    situation = ""
    if request.signal_id:
        row = signals.get(tx.session, request.signal_id)
        if row is None or row.case_id != case.case_id:
            raise errors.invalid_argument(
                f"no signal {request.signal_id!r} on case {case.case_id}", "signal_id"
            )
        situation = case_pb2.Signal.FromString(row.payload).situation
    for handoff in _working(tx.session, case.case_id, roles):
        send(
            tx,
            case,
            handoff,
            U.KIND_SHARED_NOTE,
            tx.caller.party_id,
            situation=situation,
            note=request.text,
        )


# -- signals after dispatch --------------------------------------------------------


def named_case(tx: Unit, case_id: str) -> CaseRow:
    """The case a signal is reported against (ReportSignalRequest.case_id): one the
    reporter is on, open or closed (any other is not found, like any case it may not
    see); a case merged away stands for the one it was merged into."""
    case = visibility.visible_case(tx.session, tx.caller, case_id, lock=True)
    if case.merged_into:
        case = visibility.visible_case(tx.session, tx.caller, case.merged_into, lock=True)
    return case


def signal_reported(tx: Unit, case: CaseRow, signal: case_pb2.Signal) -> None:
    """After a signal joined a case: a closed case stays closed (the duty desk decides);
    on an open one, new words from the chat reach the desks on their way."""
    if case.state != OPEN:
        record.event(
            tx,
            case,
            E.KIND_NOTE,
            f"signal {signal.signal_id} came on the closed case, which stays closed;"
            " the duty desk decides whether to reopen it",
            {"signal_id": signal.signal_id},
        )
        return
    if (
        not signal.situation
        or case.case_id in tx.cache.new_cases  # nobody has taken work on it yet
        or signal.source not in _CHATS
        or case.risk_level not in tx.cases.policy.forward_situation_levels
    ):
        return
    for handoff in _working(
        tx.session,
        case.case_id,
        {Role.POLICE, Role.COMMITTEE},
        kinds={handoff_pb2.HANDOFF_KIND_DISPATCH},
        states={H.STATE_ACKNOWLEDGED},
    ):
        send(
            tx,
            case,
            handoff,
            U.KIND_SITUATION,
            signal.reporter_party_id,
            situation=signal.situation,
        )


# -- escalated work answered late ----------------------------------------------------


def acknowledged_late(tx: Unit, handoff: HandoffRow) -> None:
    """A desk took on work that had moved on: it and each desk that still has the work
    learn that the other is on its way too."""
    case = case_rows.get(tx.session, handoff.case_id)
    assert case is not None
    later = [handoff]
    while later:
        successors = handoffs.escalated_from(tx.session, [h.handoff_id for h in later])
        for other in successors:
            if other.state not in OPEN_STATES:
                continue
            send(
                tx,
                case,
                handoff,
                U.KIND_ANOTHER_DESK_ON_WAY,
                signed.HUB,
                note=f"{other.assignee_party_id} also has this work ({other.handoff_id}):"
                f" it was escalated because {other.escalation_reason}.",
            )
            send(
                tx,
                case,
                other,
                U.KIND_ANOTHER_DESK_ON_WAY,
                signed.HUB,
                note=f"{handoff.assignee_party_id}, which had this work before you"
                f" ({handoff.handoff_id}), has acknowledged it late and is on its way too.",
            )
        later = successors


# -- staying in contact ----------------------------------------------------------------


def chat_party(session: Session, case_id: str) -> PartyRow | None:
    """The merchant or hospital whose chat the person is in: the reporter of the case's
    latest chat signal, if it is active."""
    row = signals.latest_from(session, case_id, _CHATS)
    if row is None:
        return None
    party = parties.get(session, row.reporter_party_id)
    if party is None or party.state != ACTIVE or party.role != _CHATS[row.source].value:
        return None
    return party


def check_in_time(
    request: handoff_service_pb2.CreateHandoffRequest, now: dt.datetime
) -> dt.datetime | None:
    """CreateHandoffRequest.check_in_time: for STAY_IN_CONTACT only, and ahead."""
    if not request.HasField("check_in_time"):
        return None
    if request.kind != STAY_IN_CONTACT:
        raise errors.invalid_argument("only a STAY_IN_CONTACT has a check-in time", "check_in_time")
    try:
        time = request.check_in_time.ToDatetime(dt.UTC)
    except ValueError:
        raise errors.invalid_argument("check_in_time is not a time", "check_in_time") from None
    if time <= now:
        raise errors.invalid_argument("check_in_time must be in the future", "check_in_time")
    return time


def schedule_check_in(tx: Unit, handoff: HandoffRow) -> None:
    if handoff.check_in_time is not None:
        lifecycle.schedule(tx, CHECK_IN, handoff.case_id, handoff.handoff_id, handoff.check_in_time)


def cancelled_by_closing(tx: Unit, case: CaseRow) -> list[HandoffRow]:
    """The open handoffs closing a case cancels: all but a STAY_IN_CONTACT whose
    check-in is still ahead; the chat keeps that promise after the case is closed."""
    return handoffs.cancelled_by_closing(
        tx.session,
        case.case_id,
        [H.STATE_PENDING, H.STATE_DELIVERED, H.STATE_ACKNOWLEDGED],
        tx.now,
        STAY_IN_CONTACT,
    )


def fire(tx: Unit, case: CaseRow, deadline: DeadlineRow) -> None:
    """The check-in time came (remind the chat), or its grace ran out (alert the duty
    desk); nothing if the chat has reported an outcome, or the work was cancelled."""
    handoff = handoffs.locked(tx.session, deadline.handoff_id) if deadline.handoff_id else None
    if handoff is None or handoff.state not in OPEN_STATES:
        return
    assert handoff.check_in_time is not None
    agreed = _at(handoff.check_in_time)
    if deadline.kind == CHECK_IN:
        send(
            tx,
            case,
            handoff,
            U.KIND_CHECK_IN_DUE,
            signed.HUB,
            note=f"It is {agreed}, the check-in agreed with the person: write to them now,"
            " then report how they answered (person replied, or contact lost).",
        )
        grace = tx.cases.deadlines.check_in_grace
        lifecycle.schedule(tx, CHECK_IN_GRACE, case.case_id, handoff.handoff_id, tx.now + grace)
        return
    alerts.raise_alert(
        tx,
        case,
        alerts.CHECK_IN_MISSED,
        f"{handoff.assignee_party_id} has reported nothing since the {agreed} check-in"
        f" of {handoff.handoff_id}",
        about=handoff,
    )
