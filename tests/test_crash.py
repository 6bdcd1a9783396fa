"""A hub killed with SIGKILL mid-traffic loses nothing it answered OK, and redelivers
every inbox message its party had not acknowledged."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import (
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
)

from connectors import ConnectorConfig, HubClient
from hub.process import spawn_hub
from tests.flows import MERCHANT, read_inbox, signal
from wire.errors import LifelineError

H = handoff_pb2.Handoff
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
MAX_SIGNALS = 1000  # a bound only: the kill comes long before
INBOX_ACK_EVERY = 5  # acknowledging in batches leaves a tail to redeliver


async def _serve(certs: Path, db_url: str, log: Path) -> tuple[asyncio.subprocess.Process, str]:
    # stderr goes to a file: an unread pipe could fill up and stall the hub.
    with log.open("ab") as err:
        process, port = await spawn_hub(certs, db_url, stderr=err)
    return process, f"127.0.0.1:{port}"


def _person(i: int) -> dict[str, Any]:
    # A distinct buyer and address each time: one new HIGH case, one DISPATCH, per signal.
    return signal(
        MERCHANT,
        request_id=f"chat-{i}",
        buyer=f"buyer-{i}",
        address=f"Building {i}, flat {i}",
        jurisdiction="110105",
        situation=f"person {i} says tonight is the end",
        stated_intent=True,
        method_prepared=True,
    )


def _new_dispatch(message: inbox_service_pb2.InboxMessage) -> bool:
    return message.handoff.kind == DISPATCH and message.handoff.state == H.STATE_PENDING


async def test_sigkill_loses_no_answered_call_and_no_unacknowledged_message(
    certs_dir: Path, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path}/hub.db"
    log = tmp_path / "hub.log"
    processes: list[asyncio.subprocess.Process] = []
    tasks: list[asyncio.Task[None]] = []
    async with contextlib.AsyncExitStack() as stack:

        async def start() -> dict[str, HubClient]:
            process, address = await _serve(certs_dir, db_url, log)
            processes.append(process)
            return {
                party: await stack.enter_async_context(
                    HubClient(ConnectorConfig.for_party(certs_dir, party, address))
                )
                for party in ("duty-desk", "shop-1", "police-110105", "committee-110105")
            }

        try:
            hub = await start()
            for party in ("duty-desk", "police-110105", "committee-110105"):
                await hub[party].whoami()  # registered, so the hub routes work to them

            killed = asyncio.Event()
            reported_enough, acked_enough = asyncio.Event(), asyncio.Event()
            reported: list[tuple[dict[str, Any], str, str]] = []
            acked_handoffs: list[str] = []
            seen: list[inbox_service_pb2.InboxMessage] = []
            inbox_ack = {"ok": 0, "sent": 0}

            async def report() -> None:
                for i in range(MAX_SIGNALS):
                    request = _person(i)
                    try:
                        response = await hub["shop-1"].report_signal(**request)
                    except LifelineError:
                        if killed.is_set():
                            return  # the call in flight at the kill: neither OK nor recorded
                        raise
                    reported.append((request, response.case.case_id, response.signal.signal_id))
                    if len(reported) >= 20:
                        reported_enough.set()

            async def police_desk() -> None:
                police = hub["police-110105"]
                try:
                    async for message in police.subscribe(0):
                        seen.append(message)
                        h = message.handoff
                        if _new_dispatch(message):
                            await police.acknowledge_handoff(
                                request_id=f"ack-{h.handoff_id}", handoff_id=h.handoff_id
                            )
                            acked_handoffs.append(h.handoff_id)
                        if len(seen) % INBOX_ACK_EVERY == 0:
                            # One ack at a time: at most one is in flight at the kill.
                            inbox_ack["sent"] = message.sequence
                            assert await police.acknowledge_inbox(message.sequence) == (
                                message.sequence
                            )
                            inbox_ack["ok"] = message.sequence
                        if len(acked_handoffs) >= 5 and inbox_ack["ok"]:
                            acked_enough.set()
                except LifelineError:
                    if not killed.is_set():
                        raise

            tasks += [asyncio.create_task(report()), asyncio.create_task(police_desk())]
            waiting: asyncio.Future[Any] = asyncio.gather(
                reported_enough.wait(), acked_enough.wait()
            )
            done, _ = await asyncio.wait(
                [waiting, *tasks], timeout=60, return_when=asyncio.FIRST_COMPLETED
            )
            assert waiting in done, [t.result() for t in tasks if t in done]
            killed.set()
            processes[0].kill()
            await processes[0].wait()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)

            # The timelines' hash chains are whole after the crash.
            audit = await asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "hub", "audit", "verify", "--db", db_url),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            audit_out, _ = await asyncio.wait_for(audit.communicate(), timeout=60)
            assert audit.returncode == 0, audit_out.decode()

            hub = await start()
            platform, police = hub["duty-desk"], hub["police-110105"]
            for request, case_id, signal_id in reported:
                case = await platform.cases.GetCase(
                    case_service_pb2.GetCaseRequest(case_id=case_id)
                )
                assert case.case.case_id == case_id
                events = await platform.cases.ListCaseEvents(
                    case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
                )
                assert any(signal_id in e.summary for e in events.events), (case_id, signal_id)
                # The idempotency record survived too: a retry is answered, not redone.
                again = await hub["shop-1"].report_signal(**request)
                assert (again.case.case_id, again.signal.signal_id) == (case_id, signal_id)
            for handoff_id in acked_handoffs:
                got = await police.handoffs.GetHandoff(
                    handoff_service_pb2.GetHandoffRequest(handoff_id=handoff_id)
                )
                assert got.handoff.state in (H.STATE_ACKNOWLEDGED, H.STATE_COMPLETED), handoff_id

            # A last signal after the restart is the police's newest message: once it
            # arrives, the stream has delivered everything before it, in order.
            marker = await hub["shop-1"].report_signal(**_person(MAX_SIGNALS))
            after = await read_inbox(
                police,
                lambda ms: any(m.handoff.case_id == marker.case.case_id for m in ms),
                timeout=60,
            )
            start_at = after[0].sequence - 1
            # It resumes after the last acknowledgement, the one in flight if it committed.
            assert start_at in (inbox_ack["ok"], inbox_ack["sent"]), (start_at, inbox_ack)
            assert [m.sequence for m in after] == list(
                range(start_at + 1, start_at + 1 + len(after))
            )
            by_sequence = {m.sequence: m for m in after}
            for m in seen:
                if m.sequence > start_at:
                    assert by_sequence[m.sequence].message_id == m.message_id, m.sequence
            seen_dispatch = {m.case_id: m.sequence for m in seen if _new_dispatch(m)}
            dispatched = {m.case_id for m in after if _new_dispatch(m)}
            for _, case_id, _ in reported:
                if seen_dispatch.get(case_id, start_at + 1) > start_at:
                    assert case_id in dispatched, case_id
        finally:
            for task in tasks:
                task.cancel()
            for process in processes:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
