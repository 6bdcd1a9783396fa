"""Which calls an overloaded hub may ask to come back later (issue 15).

Past its bound of calls in flight, the hub still takes everything that moves a crisis on:
acknowledgements, outcomes, progress, the duty desk's actions, and signals that grade
HIGH or IMMINENT. Reads, lists and signals that grade lower are refused with
RESOURCE_EXHAUSTED and a delay to retry after (HUB_OVERLOADED), which the SDK honours.
"""

from __future__ import annotations

from typing import Any

from lifeline.hub.v1 import case_pb2

from hub.domain import grading

RETRY_AFTER_SECONDS = 1.0
"""The delay an overloaded hub asks for; the SDK adds its own backoff and jitter."""

_READS = ("Get", "List", "Export")


def may_wait(method: str, request: Any) -> bool:
    """Whether an overloaded hub may refuse this call for now (`method` as gRPC names it,
    "/lifeline.hub.v1.CaseService/ReportSignal")."""
    name = method.rpartition("/")[2]
    if name == "ReportSignal":
        # Added to a case the reporter is on: that case may be IMMINENT, whatever these
        # indicators say alone.
        if request.case_id:
            return False
        return bool(grading.grade(request.signal.indicators) < case_pb2.RISK_LEVEL_HIGH)
    return name.startswith(_READS)
