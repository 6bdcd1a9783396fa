"""Every statement of the hot paths finds its rows through an index on what it selects
by. SQLite plans without statistics, so a query it can start from a low-selectivity
index (a state) walks every open case or pending deadline; that stays unseen in tests
with a handful of rows and costs a deployment a scan per signal. The plan, not a
timing, is what is checked: EXPLAIN QUERY PLAN of each statement the use cases ran."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hub.cases import inbox as inbox_use
from tests.conftest import ManualClock
from tests.in_process import InProcessHub
from tests.test_rules_in_process import BACKUP, DESK, POLICE, SHOP, _signal

# A plan step that reads a whole table, or searches by nothing but a state.
_WALKS = re.compile(r"^SCAN (?!CONSTANT ROW|\(subquery)|INDEX \w+ \(state=\?\)")


async def test_hot_statements_search_by_their_keys(
    sqlite_url: str, certs_dir: Path, clock: ManualClock
) -> None:
    hub = await InProcessHub.open(sqlite_url, certs_dir, clock)
    statements: dict[str, Any] = {}

    def remember(_c: Any, _cursor: Any, statement: str, params: Any, _x: Any, many: bool) -> None:
        if not many and statement.split(None, 1)[0].upper() in ("SELECT", "UPDATE", "DELETE"):
            statements.setdefault(statement, params)

    sa.event.listen(hub.cases.db.engine, "before_cursor_execute", remember)
    try:
        await hub.admit(DESK, SHOP, POLICE, BACKUP)
        for buyer in ("b-1", "b-2", "b-3"):
            await hub.report(SHOP, _signal(buyer, stated_intent=True, method_prepared=True))
        await hub.report(SHOP, _signal("b-1", stated_intent=True))  # joins b-1's case
        for handoff in await hub.handoffs_of(POLICE):
            await hub.acknowledge(POLICE, handoff.handoff_id)
        await hub.inbox(DESK)
        for party in (DESK, POLICE):  # marks each DISPATCH it covers delivered
            await inbox_use.acknowledge(hub.cases, party, len(await hub.inbox(party)))
        assert await hub.pass_time(dt.timedelta(hours=2))  # follow-ups fall due
        await hub.pass_time(dt.timedelta(days=2))
    finally:
        sa.event.remove(hub.cases.db.engine, "before_cursor_execute", remember)

    walks = {}
    with hub.cases.db.engine.connect() as conn:
        for statement, params in statements.items():
            plan = [
                row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            ]
            if any(_WALKS.search(step) for step in plan):
                walks[" ".join(statement.split())] = plan
    hub.close()
    assert len(statements) > 30
    assert walks == {}
