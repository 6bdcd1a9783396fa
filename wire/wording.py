"""How the hub says things to people: enum values, timeline lines and durations.

One place for the words, so that the timeline the engine writes, the views other
roles get (hub/store/visibility.py) and the desk CLIs say the same thing the same way,
and nobody at a desk reads `HANDOFF_KIND_DISPATCH` or `1439m59s`. It lives in wire,
shared by the hub and the SDK, because a partner's desk tool must not need the hub's code.
"""

from __future__ import annotations

import datetime as dt

from lifeline.hub.v1 import case_pb2, handoff_pb2, inbox_service_pb2, party_pb2

H = handoff_pb2.Handoff

HUB = "hub"
"""The actor of what the hub does by itself: the rule's grade, the policy's handoffs,
escalations, deadlines."""


def _words(name: str, prefix: str) -> str:
    return name.removeprefix(prefix).replace("_", " ").lower()


def kind(value: int | str) -> str:
    """HANDOFF_KIND_HOLD_ORDER (or its number) -> "hold order"; events written before
    their data named the kind say "handoff"."""
    name = value if isinstance(value, str) else handoff_pb2.HandoffKind.Name(value)
    return _words(name, "HANDOFF_KIND_") if name else "handoff"


def alert_reason(value: int) -> str:
    """DUTY_ALERT_REASON_OUTCOME_OVERDUE -> "outcome overdue"."""
    return _words(handoff_pb2.DutyAlertReason.Name(value), "DUTY_ALERT_REASON_")


def state(value: int | str) -> str:
    """STATE_ACKNOWLEDGED (or its number) -> "acknowledged"."""
    name = value if isinstance(value, str) else H.State.Name(value)
    return _words(name, "STATE_")


def level(value: int | str) -> str:
    """RISK_LEVEL_IMMINENT (or its number) -> "IMMINENT": grades are read in capitals."""
    name = value if isinstance(value, str) else case_pb2.RiskLevel.Name(value)
    return name.removeprefix("RISK_LEVEL_")


def outcome(value: int) -> str:
    """OUTCOME_CODE_PERSON_FOUND_SAFE -> "person found safe"."""
    return _words(handoff_pb2.OutcomeCode.Name(value), "OUTCOME_CODE_")


def resolution(value: int | str) -> str:
    """CODE_RESOLVED_SAFE (or its number, or "resolved_safe" as events store it) ->
    "resolved safe"."""
    name = value if isinstance(value, str) else case_pb2.CaseResolution.Code.Name(value)
    return _words(name, "CODE_")


def stage(value: int | str) -> str:
    """PROGRESS_STAGE_ON_THE_WAY (or its number) -> "on the way"."""
    name = value if isinstance(value, str) else handoff_pb2.ProgressStage.Name(value)
    return _words(name, "PROGRESS_STAGE_")


def update_kind(value: int) -> str:
    """CaseUpdate.KIND_SHARED_NOTE -> "shared note"."""
    return _words(inbox_service_pb2.CaseUpdate.Kind.Name(value), "KIND_")


def role(value: int) -> str:
    """ROLE_POLICE -> "police"."""
    return _words(party_pb2.Role.Name(value), "ROLE_")


def duration(seconds: float) -> str:
    """A span as a desk reads it: two units, the larger first (`2d03h`, `23h59m`,
    `4m05s`, `9s`), rounded down."""
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{s:02d}s"
    return f"{s}s"


def time_left(due: dt.datetime, now: dt.datetime) -> str:
    """`23h59m left` or `OVERDUE by 4m05s`."""
    seconds = (due - now).total_seconds()
    return f"OVERDUE by {duration(-seconds)}" if seconds < 0 else f"{duration(seconds)} left"


# -- timeline lines --------------------------------------------------------------


def handoff_created(kind_value: int | str, handoff_id: str, assignee: str, target: str = "") -> str:
    """ "dispatch to police-110105 (ho-1)", "hold order to shop-2 (ho-2, order o-9)"."""
    return f"{kind(kind_value)} to {assignee} ({handoff_id}{', ' + target if target else ''})"


def handoff_changed(
    kind_value: int | str,
    state_value: int | str,
    handoff_id: str,
    assignee: str,
    detail: str = "",
    actor: str = "",
) -> str:
    """One line for a handoff's new state, said of whoever acts in it (the actor
    when it answered the handoff itself, else the assignee):
    "police-110105 acknowledged the dispatch (ho-1)", "the dispatch to police-110105
    (ho-1) escalated: police-110105 has not acknowledged in time"."""
    what, words, who = kind(kind_value), state(state_value), actor or assignee
    said = {
        "delivered": f"the {what} reached {assignee} ({handoff_id})",
        "acknowledged": f"{who} acknowledged the {what} ({handoff_id})",
        "declined": f"{who} declined the {what} ({handoff_id})",
        "completed": f"{who} completed the {what} ({handoff_id})",
    }.get(words, f"the {what} to {assignee} ({handoff_id}) {words}")
    return f"{said}: {detail}" if detail else said


def progress(handoff_id: str, reporter: str, stage_value: int | str) -> str:
    """ "ho-1 progress from police-110105: on the way"."""
    return f"{handoff_id} progress from {reporter}: {stage(stage_value)}"


def graded(level_value: int | str, by: str, why: str = "") -> str:
    """ "graded IMMINENT by the rule (signal sig-1)"."""
    return f"graded {level(level_value)} by {by}" + (f" ({why})" if why else "")


def overridden(level_value: int | str, by: str) -> str:
    """ "duty-1 graded HIGH (override)": said of the party, as its operator is named
    ("duty-1 (Li Wei) graded HIGH (override)")."""
    return f"{by} graded {level(level_value)} (override)"
