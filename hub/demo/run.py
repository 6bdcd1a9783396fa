"""`lifeline demo` run: the hub, the cast, the console if asked, and the summary at the end."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import signal
import tempfile
from pathlib import Path
from typing import Any

from lifeline.hub.v1 import (
    case_pb2,
    case_service_pb2,
    handoff_pb2,
)

from connectors import ConnectorConfig
from connectors.duty_desk import DutyDeskConnector
from hub.cases.evidence import EvidenceError, export, verify
from hub.demo.cast import (
    CONSOLE_PARTY,
    PARTIES,
    ROLES,
    SILENT,
    UPDATE_KIND,
    Case,
    Demo,
    K,
    deadlines_toml,
    handoffs_of,
    play_party,
    say,
)
from hub.demo.script import play
from hub.domain.disclosure import POLICY, Rule, handoff_kind_key
from hub.process import spawn_hub
from hub.store import rota
from hub.store.certs import CertificateAuthority, load_cas_file
from hub.store.db import Database
from wire import wording


async def _summarise(demo: Demo, cases: list[Case], db_url: str, ca: Path) -> dict[str, Any]:
    duty = DutyDeskConnector(demo.client("duty-desk"))
    rows: list[dict[str, Any]] = []
    db = Database(db_url)
    verified_all = True
    try:
        for case in cases:
            request = case_service_pb2.GetCaseRequest(case_id=case.case_id)
            info = (await duty.hub.cases.GetCase(request)).case
            handoffs = await handoffs_of(duty, case.case_id)
            events = await duty.timeline(case.case_id)
            t0 = events[0].create_time.ToDatetime(dt.UTC)
            say(f"\n{case.title}  [{case.case_id}]")
            for e in events:
                at = (e.create_time.ToDatetime(dt.UTC) - t0).total_seconds() * demo.speed
                who = e.actor_party_id or "hub"
                note = f"  ({e.note})" if e.note else ""
                say(f"  +{int(at // 60):3d}m{int(at % 60):02d}s  {who:<16} {e.summary}{note}")
            police = [
                h
                for h in handoffs
                if h.kind == K.HANDOFF_KIND_DISPATCH and h.HasField("acknowledge_time")
            ]
            ack_seconds = (
                round(
                    min(
                        (h.acknowledge_time.ToDatetime(dt.UTC) - t0).total_seconds() for h in police
                    )
                    * demo.speed
                )
                if police
                else None
            )
            outcomes = [
                handoff_pb2.OutcomeCode.Name(h.outcome.code).removeprefix("OUTCOME_CODE_")
                for h in handoffs
                if h.outcome.code
            ]
            resolution = case_pb2.CaseResolution.Code.Name(info.resolution.code).removeprefix(
                "CODE_"
            )
            case.outcome = (
                case.expected
                if case.expected in (*outcomes, resolution)
                else (outcomes[-1] if outcomes else resolution)
            )
            for h in sorted(handoffs, key=lambda h: h.create_time.ToNanoseconds()):
                if h.kind == K.HANDOFF_KIND_DUTY_ALERT:
                    why = wording.alert_reason(h.alert_reason)
                    say(f"  {h.assignee_party_id:<18} duty alert ({why}): {wording.state(h.state)}")
                else:
                    say(f"  {h.assignee_party_id:<18} knew: {_knew(h)}")
            for (party_id, case_id), updates in sorted(demo.updates.items()):
                for u in updates if case_id == case.case_id else []:
                    say(f"  {party_id:<18} was told: {u.text or UPDATE_KIND(u.kind)}")
            bundle = db.transaction(functools.partial(export, case_id=case.case_id))
            try:
                report = verify(json.loads(json.dumps(bundle)), load_cas_file(ca))
                evidence = f"evidence verified ({report.messages} signed messages)"
            except EvidenceError as e:
                verified_all = False
                evidence = f"EVIDENCE FAILED: {e}"
            say(f"  -> {evidence}")
            rows.append(
                {
                    "case": case.title,
                    "case_id": case.case_id,
                    "risk": case_pb2.RiskLevel.Name(info.risk_level).removeprefix("RISK_LEVEL_"),
                    "handoffs": len(handoffs),
                    "police_ack_seconds": ack_seconds,
                    "escalations": sum(1 for h in handoffs if h.escalated_from_handoff_id),
                    "duty_alerts": [
                        handoff_pb2.DutyAlertReason.Name(h.alert_reason).removeprefix(
                            "DUTY_ALERT_REASON_"
                        )
                        for h in handoffs
                        if h.kind == K.HANDOFF_KIND_DUTY_ALERT
                    ],
                    "outcome": case.outcome,
                    "expected": case.expected,
                }
            )
    finally:
        db.close()
    say(
        f"\n{'case':<36}{'risk':<10}{'handoffs':>9}{'police ack s':>14}{'escal.':>8}"
        f"{'alerts':>8}  outcome"
    )
    for r in rows:
        ack = "-" if r["police_ack_seconds"] is None else str(r["police_ack_seconds"])
        say(
            f"{r['case']:<36}{r['risk']:<10}{r['handoffs']:>9}{ack:>14}{r['escalations']:>8}"
            f"{len(r['duty_alerts']):>8}  {r['outcome']}"
        )
    say("(seconds are case time: real seconds x --speed)")
    return {"cases": rows, "evidence_verified": verified_all}


async def _until_interrupted() -> None:
    """Waits for Ctrl-C (which asyncio.run turns into this task's cancellation)."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.Event().wait()


def _night_shift(db_url: str) -> None:
    """Puts duty-desk on call (duty-desk-2 its backup) for the demo's night."""
    tz = rota.zone("Asia/Shanghai")
    now = dt.datetime.now(tz).replace(tzinfo=None, second=0, microsecond=0)
    db = Database(db_url)
    try:
        db.transaction(
            lambda s: rota.add_shift(
                s,
                "duty-desk",
                now - dt.timedelta(hours=1),
                now + dt.timedelta(hours=13),
                "Asia/Shanghai",
                "duty-desk-2",
            )
        )
    finally:
        db.close()


def _knew(h: handoff_pb2.Handoff) -> str:
    """What the disclosure policy let this assignee see of the case."""
    role = ROLES[h.assignee_party_id]
    rule = POLICY.get((role, handoff_kind_key(h.kind)), Rule())
    if "*" in rule.fields:
        return "everything (duty desk)"
    # Where escalated work came from is only there when the work was escalated.
    hidden = {"kind", "assignee"} | (set() if h.HasField("escalated_from") else {"escalated_from"})
    shown = ", ".join(sorted(rule.fields - hidden))
    if rule.after_acknowledgement and h.HasField("acknowledge_time"):
        shown += " + after acknowledging: " + ", ".join(sorted(rule.after_acknowledgement))
    return shown


DEMO_OPERATOR, DEMO_PASSWORD = "Demo", "lifeline-demo"


async def _start_console(certs: Path, hub_address: str, tmp: str, listen: str) -> Any:
    """The duty console beside the demo, with one demo operator."""
    from console import server
    from console.accounts import Accounts

    CertificateAuthority(certs).issue(CONSOLE_PARTY)
    accounts = Accounts(f"sqlite:///{tmp}/console.db")
    accounts.add(DEMO_OPERATOR, DEMO_PASSWORD, lead=True, language="en")
    running = await server.start(
        ConnectorConfig.for_party(certs, CONSOLE_PARTY.party_id, hub_address),
        listen=listen,
        accounts=accounts,
    )
    say(
        f"duty console at {running.url}: sign in as {DEMO_OPERATOR!r},"
        f" password {DEMO_PASSWORD!r}, and watch the board"
    )
    return running


async def run_demo(
    speed: float = 60.0, json_out: Path | None = None, console_listen: str | None = None
) -> int:
    # SIGTERM unwinds like Ctrl-C: the hub process is stopped and the temporary
    # directory, dev CA keys included, removed.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    with tempfile.TemporaryDirectory(prefix="lifeline-demo-") as tmp:
        certs = Path(tmp) / "certs"
        ca = CertificateAuthority(certs)
        ca.init()
        for identity in PARTIES:
            ca.issue(identity)
        deadlines = Path(tmp) / "deadlines.toml"
        deadlines.write_text(deadlines_toml(speed))
        db_url = f"sqlite:///{tmp}/hub.db"
        say(f"dev CA and {len(PARTIES)} party certificates in {certs}")
        hub, port = await spawn_hub(certs, db_url, "--deadlines", str(deadlines), "--grace", "2")
        say(f"hub running as pid {hub.pid} on 127.0.0.1:{port} (SQLite), time x{speed:g}")
        _night_shift(db_url)
        say("rota: duty-desk on call tonight, duty-desk-2 its backup")
        demo = Demo(speed, certs, f"127.0.0.1:{port}")
        stop = asyncio.Event()
        workers = [asyncio.create_task(play_party(demo, p.party_id, stop)) for p in PARTIES]
        console = None
        try:
            if console_listen is not None:
                console = await _start_console(certs, f"127.0.0.1:{port}", tmp, console_listen)
            for p in PARTIES:
                await demo.client(p.party_id).whoami()  # each desk connects and is registered
            say(
                f"{len(PARTIES)} parties connected over mutual TLS;"
                f" {', '.join(sorted(SILENT))} will"
                " not answer in time"
            )
            cases = await play(demo)
            summary = await _summarise(demo, cases, db_url, certs / "ca.pem")
            if console is not None:
                say(f"\nthe console stays up at {console.url} with the cases; Ctrl-C ends the demo")
                await _until_interrupted()
        finally:
            if console is not None:
                await console.stop()
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
            for client in demo.clients.values():
                await client.close()
            hub.send_signal(signal.SIGTERM)
            await hub.wait()
    if json_out is not None:
        json_out.write_text(json.dumps(summary, indent=2))
    failed = [r["case"] for r in summary["cases"] if r["outcome"] != r["expected"]]
    escalated = sum(r["escalations"] for r in summary["cases"])
    if failed or not summary["evidence_verified"] or escalated == 0:
        say(f"\nNOT AS EXPECTED: {failed or 'evidence or escalation'}")
        return 1
    say("\nall six cases reached their expected outcome; every evidence bundle verified")
    return 0
