"""The person at a party who acted: how the timeline records and names them.

A request may name its operator (an interventionist signed in to the console, an
officer at a police desk). The hub keeps the name in the event's data, so the hash
chain commits to it, and every line that says who acted says it as
"duty-desk (Li Wei)": the platform's line as the engine wrote it, and the line
hub/store/visibility.py writes for another role, through the same function.
"""

from __future__ import annotations

import re
from typing import Any

KEY = "operator"
"""The event data's key for the operator's name."""


def of(data: dict[str, Any]) -> str:
    """The operator an event's data names, or ""."""
    return str(data.get(KEY, ""))


def stamp(
    data: dict[str, object] | None, summary: str, actor: str, operator: str
) -> tuple[dict[str, object] | None, str]:
    """An event's data and summary with the operator recorded and named (as they
    were when nobody is named: the hub's own acts, old clients)."""
    if not operator:
        return data, summary
    return {**(data or {}), KEY: operator}, attributed(summary, actor, operator)


def attributed(summary: str, actor: str, operator: str) -> str:
    """The line with the actor named as "actor (operator)": where the line names the
    actor, there; otherwise in front of it."""
    if not operator or not actor:
        return summary
    named = f"{actor} ({operator})"
    # The party id as a whole word: "shop-1" must not match inside "shop-10".
    whole = re.compile(rf"(?<![\w.-]){re.escape(actor)}(?![\w.-])")
    if whole.search(summary):
        return whole.sub(lambda _: named, summary, count=1)
    return f"{named}: {summary}"
