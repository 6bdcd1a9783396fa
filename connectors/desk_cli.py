"""`lifeline desk ROLE ...`: the work of a police desk, committee, courier control
room, shop, hospital or duty desk, for people and for scripts (`--json`)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from google.protobuf import json_format
from lifeline.hub.v1 import handoff_pb2, handoff_service_pb2, inbox_service_pb2

from connectors.client import HubClient
from connectors.config import ConnectorConfig
from connectors.errors import ConfigError, HandshakeError, HubUnavailableError
from connectors.party import PartyConnector, awaits_acknowledgement, by_time_left
from wire import wording
from wire.errors import LifelineError
from wire.identity import Role
from wire.outcomes import outcomes_for

T = TypeVar("T")
H = handoff_pb2.Handoff
CALL_TIMEOUT = 10.0


def _config(
    certs: Path | None, party: str | None, hub: str | None, config_file: Path | None
) -> ConnectorConfig:
    if config_file is not None:
        return ConnectorConfig.from_file(config_file)
    if certs is not None and party is not None:
        return ConnectorConfig.for_party(certs, party, hub or "127.0.0.1:7443")
    return ConnectorConfig.from_env()


def _left(handoff: handoff_pb2.Handoff, now: dt.datetime) -> str:
    if not awaits_acknowledgement(handoff):
        return ""
    return wording.time_left(handoff.due_time.ToDatetime(dt.UTC), now) + " to acknowledge"


def line(handoff: handoff_pb2.Handoff, now: dt.datetime) -> str:
    """One handoff as a desk reads it: what, how grave, how long left, the facts."""
    d = handoff.details
    facts = [
        f"{label}: {value}"
        for label, value in (
            ("order", d.order_id),
            ("parcel", d.tracking_number),
            ("area", d.jurisdiction_code),
            ("situation", d.situation),
            ("address", d.address_text),
            ("phone", d.contact_phone),
            ("clinical", d.clinical_facts),
        )
        if value
    ]
    left = _left(handoff, now)
    risk = wording.level(d.risk_level) if d.risk_level else ""
    return "  ".join(
        [
            f"{handoff.handoff_id}  {wording.kind(handoff.kind):<16}"
            f" {wording.state(handoff.state):<12}",
            *([risk] if risk else []),
            *([left] if left else []),
            *facts,
            f"| {d.instruction}" if d.instruction else "",
        ]
    ).rstrip()


def _json(message: Any) -> str:
    return json.dumps(
        json_format.MessageToDict(message, preserving_proto_field_name=True), ensure_ascii=False
    )


class _Desk:
    def __init__(self, role: Role, config: Callable[[], ConnectorConfig], as_json: bool) -> None:
        self.role = role
        self._config = config
        self.as_json = as_json

    @functools.cached_property
    def config(self) -> ConnectorConfig:
        try:
            return self._config()
        except ValueError as e:
            raise click.ClickException(str(e)) from None

    def run(self, action: Callable[[PartyConnector], Awaitable[T]]) -> T:
        """Runs one action against the hub; any failure is one line and exit 1."""

        async def go() -> T:
            async with HubClient(self.config) as client:
                actual = client.party_id
                me = await asyncio.wait_for(client.whoami(), CALL_TIMEOUT)
                if Role.from_proto(me.role) != self.role:
                    raise click.ClickException(
                        f"{actual} is a {wording.role(me.role)}, not a {self.role}"
                    )
                return await action(PartyConnector(client))

        try:
            return asyncio.run(go())
        except LifelineError as e:
            raise click.ClickException(_explain(e, self.config)) from None
        except TimeoutError:
            raise click.ClickException(
                f"the hub at {self.config.hub_address} did not answer"
            ) from None

    def show(self, handoff: handoff_pb2.Handoff) -> None:
        click.echo(_json(handoff) if self.as_json else line(handoff, dt.datetime.now(dt.UTC)))


def _explain(error: LifelineError, config: ConnectorConfig) -> str:
    if isinstance(error, ConfigError):
        return str(error)
    if isinstance(error, HandshakeError):
        return f"the TLS handshake with {config.hub_address} failed: is {config.ca} the hub's CA?"
    if isinstance(error, HubUnavailableError):
        return f"cannot reach the hub at {config.hub_address} ({error.message})"
    return str(error)


@click.group("desk")
def desk() -> None:
    """Work a desk: see handoffs as they arrive, acknowledge, decline, report outcomes.

    `lifeline desk ROLE [--certs DIR --party ID --hub ADDR | --config FILE] COMMAND`;
    without either, the LIFELINE_* environment variables configure the connector.
    """


def _role_group(role: Role) -> click.Group:
    @click.group(role, help=f"Work as a {role} desk.")
    @click.option(
        "--certs", type=click.Path(file_okay=False, path_type=Path), help="Certificate directory."
    )
    @click.option("--party", help="This desk's party id (with --certs).")
    @click.option("--hub", help="Hub address host:port (with --certs; default 127.0.0.1:7443).")
    @click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Connector config JSON (else --certs/--party, else LIFELINE_* variables).",
    )
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per line, for scripts.")
    @click.pass_context
    def group(
        ctx: click.Context,
        certs: Path | None,
        party: str | None,
        hub: str | None,
        config_file: Path | None,
        as_json: bool,
    ) -> None:
        # Read lazily, so that `--help` on a command works without a configured desk.
        ctx.obj = _Desk(role, lambda: _config(certs, party, hub, config_file), as_json)

    return group


@click.command("list")
@click.option("--all", "everything", is_flag=True, help="Include finished handoffs.")
@click.pass_obj
def list_handoffs(d: _Desk, everything: bool) -> None:
    """This desk's handoffs, most urgent first, with the time left to each deadline."""

    async def action(p: PartyConnector) -> list[handoff_pb2.Handoff]:
        response = await p.hub.handoffs.ListHandoffs(
            handoff_service_pb2.ListHandoffsRequest(page_size=500)
        )
        return list(response.handoffs)

    for handoff in by_time_left(d.run(action)):
        if everything or handoff.state in (
            H.STATE_PENDING,
            H.STATE_DELIVERED,
            H.STATE_ACKNOWLEDGED,
        ):
            d.show(handoff)


@click.command("watch")
@click.option(
    "--exit-after",
    type=click.IntRange(min=1),
    help="Stop after this many handoffs (for scripts).",
)
@click.pass_obj
def watch(d: _Desk, exit_after: int | None) -> None:
    """Show work as it arrives (resuming after a cut); Ctrl-C to stop."""
    seen = 0

    async def action(p: PartyConnector) -> None:
        stop = asyncio.Event()

        async def handle(message: inbox_service_pb2.InboxMessage) -> None:
            nonlocal seen
            if message.HasField("handoff"):
                d.show(message.handoff)
                seen += 1
            elif not d.as_json:
                click.echo(f"case {message.case_id}: {message.case_notice.summary}")
            if exit_after is not None and seen >= exit_after:
                stop.set()

        await p.work(handle, stop=stop)

    with contextlib.suppress(KeyboardInterrupt):
        d.run(action)


@click.command("ack")
@click.argument("handoff_id")
@click.pass_obj
def acknowledge(d: _Desk, handoff_id: str) -> None:
    """Take the work on (signed); stops the hub's chase."""
    d.show(d.run(lambda p: p.acknowledge(handoff_id)))


@click.command("decline")
@click.argument("handoff_id")
@click.option("--reason", required=True)
@click.pass_obj
def decline(d: _Desk, handoff_id: str, reason: str) -> None:
    """Refuse the work (signed, with the reason); the hub escalates at once."""
    d.show(d.run(lambda p: p.decline(handoff_id, reason)))


@click.command("progress")
@click.argument("handoff_id")
@click.option(
    "--stage",
    required=True,
    type=click.Choice(
        [n.removeprefix("PROGRESS_STAGE_") for n in handoff_pb2.ProgressStage.keys()[1:]],
        case_sensitive=False,
    ),
)
@click.option("--note", default="")
@click.pass_obj
def progress(d: _Desk, handoff_id: str, stage: str, note: str) -> None:
    """Report how acknowledged work is going (signed), e.g. --stage ON_SCENE."""
    value = handoff_pb2.ProgressStage.Value("PROGRESS_STAGE_" + stage.upper())
    d.show(d.run(lambda p: p.progress(handoff_id, value, note)))


@click.command("outcome")
@click.argument("handoff_id")
@click.option(
    "--code", required=True, help="e.g. PERSON_FOUND_SAFE, PARCEL_INTERCEPTED, ORDER_HELD."
)
@click.option("--note", default="")
@click.pass_obj
def outcome(d: _Desk, handoff_id: str, code: str, note: str) -> None:
    """Report how it ended (signed); acknowledges first if needed."""
    # As typed on the command line: PERSON_FOUND_SAFE for OUTCOME_CODE_PERSON_FOUND_SAFE.
    may_report = {outcome.name: outcome for outcome in outcomes_for(d.role)}
    if code.upper() not in may_report:
        raise click.ClickException(f"a {d.role} reports one of: {', '.join(may_report)}")
    d.show(d.run(lambda p: p.finish(handoff_id, may_report[code.upper()], note)))


for _role in Role:
    _group = _role_group(_role)
    for _command in (list_handoffs, watch, acknowledge, decline, progress, outcome):
        _group.add_command(_command)
    desk.add_command(_group)
