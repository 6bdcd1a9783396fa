"""The risk grading rule, after the interventionists' practice (docs/risk-grading.md).

High risk is a stated intent to die together with a prepared method. It is
imminent when there is also a backup plan, an earlier attempt, or a stated time.
Below that, the markers that raise risk (a recent setback, insomnia, a
psychiatric history, searching for methods, an earlier attempt) grade a case
MODERATE when there is an intent, a prepared method, or two markers; else LOW.

Indicators accumulate over a case: what one shop saw and what another saw are
the same person's risk, so the grade is computed from their union.
"""

from __future__ import annotations

from lifeline.hub.v1 import case_pb2

LOW = case_pb2.RISK_LEVEL_LOW
MODERATE = case_pb2.RISK_LEVEL_MODERATE
HIGH = case_pb2.RISK_LEVEL_HIGH
IMMINENT = case_pb2.RISK_LEVEL_IMMINENT

# The RiskIndicators fields, in a fixed order: a case stores their union as a bitmask.
INDICATORS = tuple(f.name for f in case_pb2.RiskIndicators.DESCRIPTOR.fields)
_MARKERS = (
    "recent_setback",
    "insomnia",
    "psychiatric_history",
    "searched_for_methods",
    "earlier_attempt",
)


def to_mask(indicators: case_pb2.RiskIndicators) -> int:
    return sum(1 << i for i, name in enumerate(INDICATORS) if getattr(indicators, name))


def from_mask(mask: int) -> case_pb2.RiskIndicators:
    return case_pb2.RiskIndicators(
        **{name: bool(mask & (1 << i)) for i, name in enumerate(INDICATORS)}
    )


def grade(indicators: case_pb2.RiskIndicators) -> int:
    """The RiskLevel the rule gives for a set of indicators."""
    i = indicators
    if i.stated_intent and i.method_prepared:
        if i.backup_plan or i.earlier_attempt or i.stated_time:
            return IMMINENT
        return HIGH
    markers = sum(bool(getattr(i, name)) for name in _MARKERS)
    if i.stated_intent or i.method_prepared or markers >= 2:
        return MODERATE
    return LOW
