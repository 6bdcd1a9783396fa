"""`lifeline console`: run the console, and manage the people who sign in to it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from connectors import ConnectorConfig
from console import accounts as accounts_module
from console.accounts import AccountError, Accounts
from console.i18n import LANGUAGES
from wire.addresses import ADDRESS, Address

_DB = click.option(
    "--db",
    "db_url",
    envvar="LIFELINE_CONSOLE_DB",
    default=accounts_module.DEFAULT_URL,
    show_default=True,
    help="The console's own database (operator accounts and sessions only).",
)


@click.group("console", invoke_without_command=True)
@click.option("--hub", "hub_address", envvar="LIFELINE_HUB_ADDRESS", help="Hub HOST:PORT.")
@click.option(
    "--certs",
    "certs_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Certificate directory laid out by `lifeline certs` (ca.pem, parties/ID.pem).",
)
@click.option("--party", "party_id", help="The party the console acts as, e.g. duty-desk.")
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    show_default=True,
    type=ADDRESS,
    help="HOST:PORT to serve.",
)
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True), help="HTTPS certificate.")
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True), help="Its private key.")
@_DB
@click.pass_context
def console(
    ctx: click.Context,
    hub_address: str | None,
    certs_dir: Path | None,
    party_id: str | None,
    listen: Address,
    tls_cert: str | None,
    tls_key: str | None,
    db_url: str,
) -> None:
    """The duty console: a web page operators sign in to and work cases from.

    \b
    lifeline console --hub 127.0.0.1:7443 --certs certs --party duty-desk
    lifeline console users add "Li Wei" --lead
    """
    if ctx.invoked_subcommand is not None:
        return
    missing = [
        n
        for n, v in (("--hub", hub_address), ("--certs", certs_dir), ("--party", party_id))
        if not v
    ]
    if missing:
        raise click.UsageError(f"missing {', '.join(missing)}")
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    assert hub_address and certs_dir and party_id
    config = ConnectorConfig.for_party(certs_dir, party_id, hub_address)
    asyncio.run(_serve(config, str(listen), Accounts(db_url), tls_cert, tls_key))


async def _serve(
    config: ConnectorConfig,
    listen: str,
    accounts: Accounts,
    tls_cert: str | None,
    tls_key: str | None,
) -> None:
    from console import server

    running = await server.start(
        config, listen=listen, accounts=accounts, tls_cert=tls_cert, tls_key=tls_key
    )
    party = running.console.link.party
    click.echo(f"console for {party.party_id} at {running.url} (Ctrl-C stops it)")
    if not accounts.operators():
        click.echo("nobody can sign in yet: add someone with `lifeline console users add NAME`")
    try:
        await running.task
    finally:
        await running.stop()


@console.group("users")
def users() -> None:
    """The people who sign in (each with their own account)."""


@users.command("add")
@click.argument("name")
@click.option("--lead", is_flag=True, help="A shift lead.")
@click.option("--language", type=click.Choice(LANGUAGES), default="zh-CN", show_default=True)
@click.option("--time-zone", default=accounts_module.DEFAULT_TIME_ZONE, show_default=True)
@click.password_option(envvar="LIFELINE_CONSOLE_PASSWORD", help="Asked for when not given.")
@_DB
def users_add(
    name: str, lead: bool, language: str, time_zone: str, password: str, db_url: str
) -> None:
    """Add NAME, who signs in with a password (at least 10 characters)."""
    store = Accounts(db_url)
    try:
        operator = store.add(name, password, lead=lead, language=language, time_zone=time_zone)
    except AccountError as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    click.echo(f"added {operator.name}{' (lead)' if operator.lead else ''}")


@users.command("list")
@_DB
def users_list(db_url: str) -> None:
    """Everyone who may sign in."""
    store = Accounts(db_url)
    try:
        for operator in store.operators():
            lead = " lead" if operator.lead else ""
            click.echo(f"{operator.name}\t{operator.language}\t{operator.time_zone.key}{lead}")
    finally:
        store.close()
