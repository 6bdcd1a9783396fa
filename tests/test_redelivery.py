"""Redelivery never breaks a connector: the README's police desk handler meets every
message again and does no harm, the verbs are idempotent, work() outlives failing
handlers and transient errors, and a hub SIGKILLed as it answers a completion
redelivers the DISPATCH to a handler that runs again, with the outcome recorded once."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lifeline.hub.v1 import (
    case_service_pb2,
    handoff_pb2,
    handoff_service_pb2,
    inbox_service_pb2,
)

from connectors import ConnectorConfig, HubClient
from connectors.client import HandlerFailure
from connectors.desk import DeskConnector
from connectors.errors import FailedPreconditionError
from connectors.examples import police_desk
from connectors.examples.police_desk import dispatch_handler
from hub.process import spawn_hub
from tests.conftest import ClientFactory, HubFactory
from tests.flows import imminent

H = handoff_pb2.Handoff
DISPATCH = handoff_pb2.HANDOFF_KIND_DISPATCH
ROOT = Path(__file__).resolve().parent.parent
Message = inbox_service_pb2.InboxMessage


def test_the_readme_shows_exactly_the_tested_handler() -> None:
    code = Path(police_desk.__file__).read_text()
    body = code[code.index("# README: begin\n") + 16 : code.index("# README: end")]
    body = body.rstrip("\n") + "\n"
    indented = "".join("   " + line if line.strip() else line for line in body.splitlines(True))
    assert indented in (ROOT / "README.md").read_text()


def _watch(
    handle: Callable[[Message], Awaitable[None]], until: Callable[[Message], bool]
) -> tuple[Callable[[Message], Awaitable[None]], list[Message], asyncio.Event]:
    """The handler, recording each message it returned from; the event is set once
    `until` holds for one."""
    seen: list[Message] = []
    reached = asyncio.Event()

    async def watched(message: Message) -> None:
        await handle(message)
        seen.append(message)
        if until(message):
            reached.set()

    return watched, seen, reached


def _completed(handoff_id: str | None = None) -> Callable[[Message], bool]:
    return lambda m: (
        m.handoff.kind == DISPATCH
        and m.handoff.state == H.STATE_COMPLETED
        and handoff_id in (None, m.handoff.handoff_id)
    )


async def _outcome_events(client: HubClient, case_id: str, handoff_id: str) -> list[str]:
    events = await client.cases.ListCaseEvents(
        case_service_pb2.ListCaseEventsRequest(case_id=case_id, page_size=1000)
    )
    return [
        e.summary for e in events.events if f"completed the dispatch ({handoff_id})" in e.summary
    ]


async def _stopped(work: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await asyncio.wait_for(work, 30)  # re-raises if work() died


async def test_the_readme_handler_meets_every_message_again_and_does_no_harm(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path, db_url: str
) -> None:
    hub = await start_hub(certs_dir, db_url)
    platform, police = (
        connect(hub, certs_dir, "duty-desk"),
        connect(hub, certs_dir, "police-110105"),
    )
    await platform.whoami()
    await police.whoami()  # registered before the signal, so the hub routes the dispatch to it
    desk = DeskConnector(police)
    sent: list[str] = []

    async def send_officers(handoff: handoff_pb2.Handoff) -> None:
        sent.append(handoff.handoff_id)

    handle = dispatch_handler(desk, send_officers)
    watched, seen, done = _watch(handle, _completed())
    stop = asyncio.Event()
    work = asyncio.create_task(desk.work(watched, stop=stop))
    reported = await connect(hub, certs_dir, "shop-1").report_signal(**imminent("buyer-r"))
    await asyncio.wait_for(done.wait(), 30)
    await _stopped(work, stop)
    handoff_id = sent[0]
    # The DISPATCH came as PENDING, then again as ACKNOWLEDGED and COMPLETED: it acted once.
    assert [m.handoff.state for m in seen if m.handoff.handoff_id == handoff_id] == [
        H.STATE_PENDING,
        H.STATE_ACKNOWLEDGED,
        H.STATE_COMPLETED,
    ]
    assert sent == [handoff_id]

    # Every message redelivered, twice over (a reconnect, a restarted connector): no error.
    for message in seen + seen:
        await handle(message)
    assert sent == [handoff_id] * 3  # the PENDING one, each time: the desk's own step dedupes
    case_id = reported.case.case_id
    assert len(await _outcome_events(platform, case_id, handoff_id)) == 1

    # Done before under other request_ids: the handoff as it is, not ILLEGAL_TRANSITION.
    again = await desk.acknowledge(handoff_id, request_id="from-the-desk-cli")
    assert again.state == H.STATE_COMPLETED
    same = await desk.found_safe(handoff_id, "reached the flat", request_id="retry-7")
    assert same.state == H.STATE_COMPLETED
    # Twice with one request_id after a separate acknowledgement (finish() used to
    # re-acknowledge under a fresh id and get FAILED_PRECONDITION).
    for _ in range(2):
        assert (await desk.found_safe(handoff_id, request_id="outcome-1")).state == (
            H.STATE_COMPLETED
        )
    # A different outcome is a real conflict, and says so.
    with pytest.raises(FailedPreconditionError) as error:
        await desk.not_found(handoff_id, request_id="outcome-2")
    assert error.value.reason == "ILLEGAL_TRANSITION"
    assert len(await _outcome_events(platform, case_id, handoff_id)) == 1


async def test_work_outlives_failing_handlers_and_reports_what_it_skips(
    start_hub: HubFactory, connect: ClientFactory, certs_dir: Path
) -> None:
    hub = await start_hub(certs_dir)
    platform, police = (
        connect(hub, certs_dir, "duty-desk"),
        connect(hub, certs_dir, "police-110105"),
    )
    await platform.whoami()
    await police.whoami()  # registered, so the dispatches come to it
    shop = connect(hub, certs_dir, "shop-1")
    calls: dict[str, int] = {}

    async def handle(message: Message) -> None:
        case_id = message.handoff.case_id
        calls[case_id] = calls.get(case_id, 0) + 1
        if case_id == poisoned.case.case_id:
            raise RuntimeError("the desk's own system rejects this one")
        if case_id == flaky.case.case_id and calls[case_id] == 1:
            # A real transient error inside the handler: a call that cannot meet its deadline.
            await police.handoffs.GetHandoff(
                handoff_service_pb2.GetHandoffRequest(handoff_id=message.handoff.handoff_id),
                timeout=1e-6,
            )

    failures: list[HandlerFailure] = []

    async def on_failure(failure: HandlerFailure) -> None:
        failures.append(failure)

    poisoned = await shop.report_signal(**imminent("buyer-p"))
    flaky = await shop.report_signal(**imminent("buyer-f"))
    last = await shop.report_signal(**imminent("buyer-l"))
    watched, seen, done = _watch(handle, lambda m: m.handoff.case_id == last.case.case_id)
    stop = asyncio.Event()
    work = asyncio.create_task(police.work(watched, stop=stop, on_failure=on_failure))
    await asyncio.wait_for(done.wait(), 30)
    await _stopped(work, stop)
    # Three attempts on the poisoned message, then reported and skipped, once.
    assert [(f.message.handoff.case_id, f.attempts) for f in failures] == [
        (poisoned.case.case_id, 3)
    ]
    assert isinstance(failures[0].error, RuntimeError)
    assert calls[poisoned.case.case_id] == 3
    # The transient error: handled again after the reconnect, not reported.
    assert calls[flaky.case.case_id] == 2
    # Skipped means acknowledged: the inbox moved past all of it.
    assert await police.acknowledge_inbox(0) >= max(m.sequence for m in seen)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_hub_killed_as_it_answers_a_completion_redelivers_to_a_handler_that_copes(
    certs_dir: Path, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path}/hub.db"
    address = f"127.0.0.1:{_free_port()}"
    processes: list[asyncio.subprocess.Process] = []

    async def serve() -> None:
        with (tmp_path / "hub.log").open("ab") as err:
            process, _ = await spawn_hub(certs_dir, db_url, listen=address, stderr=err)
        processes.append(process)

    def client(party: str) -> HubClient:
        return HubClient(ConnectorConfig.for_party(certs_dir, party, address))

    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(_kill_all, processes)
        await serve()
        platform = await stack.enter_async_context(client("duty-desk"))
        shop = await stack.enter_async_context(client("shop-1"))
        police = await stack.enter_async_context(client("police-110105"))
        for party in (platform, police):
            await party.whoami()  # registered, so the hub routes the dispatch to it
        desk = DeskConnector(police)
        sent: list[str] = []
        sent_twice = asyncio.Event()

        async def send_officers(handoff: handoff_pb2.Handoff) -> None:
            sent.append(handoff.handoff_id)
            if sent.count(sent[0]) == 2:
                sent_twice.set()

        # The first completion is durable on the hub, which is then SIGKILLed before
        # its answer arrives: the handler sees the hub gone, and has not returned, so
        # the DISPATCH is not acknowledged on the inbox.
        real_complete = police.handoffs.CompleteHandoff
        crashed = asyncio.Event()

        async def complete_then_crash(request: Any, **options: Any) -> Any:
            answer = await real_complete(request, **options)
            if crashed.is_set():  # the redelivery, answered by the restarted hub
                return answer
            processes[0].kill()
            await processes[0].wait()
            crashed.set()
            return await real_complete(request, **options)  # the answer is lost: UNAVAILABLE

        police.handoffs.CompleteHandoff = complete_then_crash  # type: ignore[assignment]
        failures: list[HandlerFailure] = []

        async def on_failure(failure: HandlerFailure) -> None:
            failures.append(failure)

        first = await shop.report_signal(**imminent("buyer-k1"))
        later: dict[str, str] = {}
        observed, _, later_done = _watch(
            dispatch_handler(desk, send_officers),
            lambda m: m.handoff.case_id == later.get("case_id") and _completed()(m),
        )
        stop = asyncio.Event()
        work = asyncio.create_task(desk.work(observed, stop=stop, on_failure=on_failure))
        await asyncio.wait_for(crashed.wait(), 30)
        await serve()  # at the same address; work() reconnects by itself
        # Redelivered, the DISPATCH ran the handler again, without an error.
        await asyncio.wait_for(sent_twice.wait(), 60)
        handoff_id = sent[0]
        # And work() keeps going: the next dispatch is handled to the end.
        later["case_id"] = (await shop.report_signal(**imminent("buyer-k2"))).case.case_id
        await asyncio.wait_for(later_done.wait(), 60)
        await _stopped(work, stop)
        assert failures == []
        got = await platform.handoffs.GetHandoff(
            handoff_service_pb2.GetHandoffRequest(handoff_id=handoff_id)
        )
        assert got.handoff.state == H.STATE_COMPLETED
        assert got.handoff.outcome.code == handoff_pb2.OUTCOME_CODE_PERSON_FOUND_SAFE
        assert len(await _outcome_events(platform, first.case.case_id, handoff_id)) == 1


async def _kill_all(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.kill()
            await process.wait()
