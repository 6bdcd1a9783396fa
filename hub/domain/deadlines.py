"""The deadline policy: when each handoff must be acknowledged, its outcome and
progress reported, a case triaged, a follow-up made, personal data erased; how often
and how soon work is sent again, and where escalation goes. Documented in
docs/deadlines.md; hub/runtime/scheduler.py wakes the hub for the deadlines it sets, and
hub/cases/chase.py fires them.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifeline.hub.v1 import case_pb2, handoff_pb2

from hub.domain.policy import KIND_NAMES

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

ACKNOWLEDGE = "acknowledge"
FOLLOW_UP = "follow_up"
RETENTION = "retention"
# After acknowledgement (hub/chase.py): the outcome, and a progress report, are due.
OUTCOME = "outcome"
PROGRESS = "progress"
# A case the duty desk must look at (hub/chase.py).
TRIAGE = "triage"

STEPS = ("backup", "parent_jurisdiction", "duty_desk")
_LEVELS = {
    "LOW": case_pb2.RISK_LEVEL_LOW,
    "MODERATE": case_pb2.RISK_LEVEL_MODERATE,
    "HIGH": case_pb2.RISK_LEVEL_HIGH,
    "IMMINENT": case_pb2.RISK_LEVEL_IMMINENT,
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class PolicyError(ValueError):
    """A deadline policy file that cannot be used; the message names the line."""


def _minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def _hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def _default_acknowledge() -> dict[int, dict[int, dt.timedelta]]:
    k = handoff_pb2
    return {
        k.HANDOFF_KIND_DISPATCH: {
            case_pb2.RISK_LEVEL_IMMINENT: _minutes(3),
            case_pb2.RISK_LEVEL_HIGH: _minutes(10),
            0: _minutes(30),
        },
        k.HANDOFF_KIND_HOLD_ORDER: {0: _minutes(5)},
        k.HANDOFF_KIND_INTERCEPT_PARCEL: {0: _minutes(30)},
        k.HANDOFF_KIND_MEDICAL_CONSULT: {0: _minutes(30)},
        k.HANDOFF_KIND_FOLLOW_UP: {0: dt.timedelta(hours=24)},
        k.HANDOFF_KIND_STAY_IN_CONTACT: {0: _minutes(5)},
        k.HANDOFF_KIND_DUTY_ALERT: {
            case_pb2.RISK_LEVEL_IMMINENT: _minutes(1),
            case_pb2.RISK_LEVEL_HIGH: _minutes(2),
            0: _minutes(5),
        },
    }


def _default_outcome() -> dict[int, dict[int, dt.timedelta]]:
    k = handoff_pb2
    return {
        k.HANDOFF_KIND_DISPATCH: {
            case_pb2.RISK_LEVEL_IMMINENT: _hours(2),
            case_pb2.RISK_LEVEL_HIGH: _hours(4),
            0: _hours(8),
        },
        k.HANDOFF_KIND_HOLD_ORDER: {0: _minutes(30)},
        k.HANDOFF_KIND_INTERCEPT_PARCEL: {0: _hours(4)},
        k.HANDOFF_KIND_MEDICAL_CONSULT: {
            case_pb2.RISK_LEVEL_IMMINENT: _hours(1),
            case_pb2.RISK_LEVEL_HIGH: _hours(2),
            0: _hours(4),
        },
        k.HANDOFF_KIND_FOLLOW_UP: {0: dt.timedelta(days=3)},
    }


def _default_progress() -> dict[int, dict[int, dt.timedelta]]:
    return {
        handoff_pb2.HANDOFF_KIND_DISPATCH: {
            case_pb2.RISK_LEVEL_IMMINENT: _minutes(15),
            case_pb2.RISK_LEVEL_HIGH: _minutes(30),
            0: _minutes(60),
        },
    }


def _default_triage() -> dict[int, dt.timedelta]:
    return {
        case_pb2.RISK_LEVEL_IMMINENT: _minutes(5),
        case_pb2.RISK_LEVEL_HIGH: _minutes(10),
        case_pb2.RISK_LEVEL_MODERATE: _minutes(30),
        0: dt.timedelta(hours=4),
    }


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long each party has, what the hub does when it is late, and what it
    promises after a case closes."""

    acknowledge: dict[int, dict[int, dt.timedelta]] = field(default_factory=_default_acknowledge)
    """Kind -> risk level (0: any other) -> time to acknowledge. An INTERCEPT_PARCEL
    is also due before its parcel's estimated delivery, whichever is first."""

    outcome: dict[int, dict[int, dt.timedelta]] = field(default_factory=_default_outcome)
    """Kind -> risk level (0: any other) -> time from acknowledgement to the outcome. A
    kind not listed has no such deadline (STAY_IN_CONTACT: its check-in is chased;
    DUTY_ALERT: the duty desk is not alerted about itself)."""

    progress: dict[int, dict[int, dt.timedelta]] = field(default_factory=_default_progress)
    """Kind -> risk level (0: any other) -> longest silence after acknowledgement, and
    after each progress report, before the duty desk is alerted."""

    triage: dict[int, dt.timedelta] = field(default_factory=_default_triage)
    """Risk level (0: any other) -> time for the duty desk to look at a case the rule
    graded below HIGH, or one with no handoff yet."""

    retry_attempts: int = 2
    """Redeliveries to a late party before the hub escalates."""

    retry_backoff: dt.timedelta = dt.timedelta(seconds=30)
    """Wait before the first redelivery's deadline; doubled for each further one."""

    retry_max_backoff: dt.timedelta = dt.timedelta(minutes=5)
    """Cap on the wait between redeliveries."""

    retry_jitter: float = 0.2
    """Each wait is stretched by up to this fraction at random, so that many late
    parties are not all redelivered at once."""

    escalation_steps: tuple[str, ...] = STEPS
    """Where a handoff goes when nobody answered: the desk's backup, the desk of the
    parent jurisdiction (city, then province), the platform's duty desk (on call,
    then its backup). The duty desk is always the last step."""

    backups: dict[str, str] = field(default_factory=dict)
    """Party id -> backup party id, on top of the backups in the registry."""

    follow_up_after: tuple[dt.timedelta, ...] = (
        dt.timedelta(hours=24),
        dt.timedelta(days=7),
        dt.timedelta(days=30),
    )
    """After closing a case that reached HIGH or above: when the residents'
    committee is asked to follow up."""

    retention: dt.timedelta = dt.timedelta(days=180)
    """After closing a case: when its personal data (address, phone, chat text) is erased."""

    check_in_grace: dt.timedelta = dt.timedelta(minutes=15)
    """How long after a STAY_IN_CONTACT's check-in time the chat has to report how
    the person answered before the duty desk is alerted (CHECK_IN_MISSED)."""

    def acknowledge_within(self, kind: int, risk_level: int) -> dt.timedelta:
        by_level = self.acknowledge[kind]
        return by_level.get(risk_level, by_level[0])

    def outcome_within(self, kind: int, risk_level: int) -> dt.timedelta | None:
        return _by_level(self.outcome.get(kind), risk_level)

    def progress_within(self, kind: int, risk_level: int) -> dt.timedelta | None:
        return _by_level(self.progress.get(kind), risk_level)

    def triage_within(self, risk_level: int) -> dt.timedelta:
        return self.triage.get(risk_level, self.triage[0])

    def retry_delay(self, attempt: int, rng: random.Random) -> dt.timedelta:
        """Exponential backoff with jitter for redelivery number `attempt` (1, 2, ...)."""
        base = min(self.retry_backoff * (2 ** (attempt - 1)), self.retry_max_backoff)
        return base * (1 + rng.uniform(0, self.retry_jitter))

    @classmethod
    def from_toml(cls, path: Path) -> DeadlinePolicy:
        """Reads a policy file; refuses unknown kinds, non-positive durations and
        escalation chains that loop, naming the line."""
        text = path.read_text()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise PolicyError(f"{path}: {e}") from None
        lines = text.splitlines()

        def fail(key: str, message: str) -> PolicyError:
            pattern = re.compile(
                rf'^\s*(\[[^\]]*\b{re.escape(key)}\b[^\]]*\]|"?{re.escape(key)}"?\s*=)'
            )
            number = next((i for i, line in enumerate(lines, 1) if pattern.search(line)), 0)
            return PolicyError(f"{path}:{number}: {message}")

        def duration(key: str, value: Any) -> dt.timedelta:
            match = _DURATION.match(str(value))
            if not match or float(match.group(1)) <= 0:
                raise fail(
                    key,
                    f"{key} = {value!r} is not a positive duration like '90s', '5m', '24h', '7d'",
                )
            return dt.timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})

        def levels(under: str, table: dict[str, Any]) -> dict[int, dt.timedelta]:
            """`IMMINENT = "3m"`, ..., `default = "30m"`: risk level (0: default) -> duration."""
            found = {}
            for level_name, value in table.items():
                if level_name != "default" and level_name not in _LEVELS:
                    raise fail(level_name, f"unknown risk level {level_name!r} under {under}")
                found[_LEVELS.get(level_name, 0)] = duration(level_name, value)
            return found

        def by_kind(
            section: str, defaults: dict[int, dict[int, dt.timedelta]]
        ) -> dict[int, dict[int, dt.timedelta]]:
            """A [section] of `KIND = "5m"` or [section.KIND] tables by risk level, over
            the defaults."""
            table = dict(defaults)
            for kind_name, value in data.get(section, {}).items():
                if kind_name not in KIND_NAMES:
                    raise fail(
                        kind_name,
                        f"unknown handoff kind {kind_name!r}; known: {sorted(KIND_NAMES)}",
                    )
                kind = KIND_NAMES[kind_name]
                if isinstance(value, dict):
                    table[kind] = {**table.get(kind, {}), **levels(kind_name, value)}
                    if 0 not in table[kind]:
                        raise fail(kind_name, f"[{section}.{kind_name}] needs a default = duration")
                else:
                    table[kind] = {0: duration(kind_name, value)}
            return table

        unknown = set(data) - {
            "deadlines",
            "outcome",
            "progress",
            "triage",
            "retry",
            "escalation",
            "follow_up",
            "retention",
            "check_in",
        }
        if unknown:
            raise fail(sorted(unknown)[0], f"unknown section [{sorted(unknown)[0]}]")
        acknowledge = by_kind("deadlines", _default_acknowledge())
        retry = data.get("retry", {})
        attempts = retry.get("attempts", cls.retry_attempts)
        if not isinstance(attempts, int) or attempts < 0:
            raise fail("attempts", f"attempts = {attempts!r} must be a whole number, 0 or more")
        jitter = retry.get("jitter", cls.retry_jitter)
        if not isinstance(jitter, int | float) or not 0 <= jitter <= 1:
            raise fail("jitter", f"jitter = {jitter!r} must be between 0 and 1")
        escalation = data.get("escalation", {})
        steps = tuple(escalation.get("steps", STEPS))
        for step in steps:
            if step not in STEPS:
                raise fail("steps", f"unknown escalation step {step!r}; known: {list(STEPS)}")
        if len(set(steps)) != len(steps):
            raise fail("steps", "an escalation step is listed twice: the chain would loop")
        if not steps or steps[-1] != "duty_desk":
            raise fail("steps", "the escalation chain must end at the duty desk")
        backups = {str(k): str(v) for k, v in escalation.get("backups", {}).items()}
        for start in backups:
            seen, party = [start], backups[start]
            while party in backups:
                if party in seen:
                    loop = " -> ".join([*seen[seen.index(party) :], party])
                    raise fail(start, f"escalation backups loop: {loop}")
                seen.append(party)
                party = backups[party]
        follow = data.get("follow_up", {})
        retention = data.get("retention", {})
        check_in = data.get("check_in", {})
        return cls(
            acknowledge=acknowledge,
            outcome=by_kind("outcome", _default_outcome()),
            progress=by_kind("progress", _default_progress()),
            triage={**_default_triage(), **levels("triage", data.get("triage", {}))},
            retry_attempts=attempts,
            retry_backoff=duration("backoff", retry["backoff"])
            if "backoff" in retry
            else cls.retry_backoff,
            retry_max_backoff=duration("max_backoff", retry["max_backoff"])
            if "max_backoff" in retry
            else cls.retry_max_backoff,
            retry_jitter=float(jitter),
            escalation_steps=steps,
            backups=backups,
            follow_up_after=tuple(duration("after", v) for v in follow["after"])
            if "after" in follow
            else cls().follow_up_after,
            retention=duration("after", retention["after"])
            if "after" in retention
            else cls.retention,
            check_in_grace=duration("grace", check_in["grace"])
            if "grace" in check_in
            else cls.check_in_grace,
        )


def _by_level(table: dict[int, dt.timedelta] | None, risk_level: int) -> dt.timedelta | None:
    if table is None:
        return None
    return table.get(risk_level, table[0])
