"""The `lifeline` command."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from connectors.desk_cli import desk
from console.cli import console
from hub import logs
from hub.domain.errors import HubError
from hub.store import certs, rota
from hub.store.db import DEFAULT_URL, Database
from hub.store.models import RotaShiftRow
from wire.addresses import ADDRESS, Address
from wire.identity import IdentityError, PartyIdentity, Role


class _OneLineErrors(click.Group):
    """Known failures print one line and exit 1; nobody at a desk should read a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (certs.CertsError, IdentityError, OSError, ValueError) as e:
            raise click.ClickException(str(e)) from None
        except SQLAlchemyError as e:
            first_line = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise click.ClickException(f"database: {first_line}") from None


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """Lifeline Hub: coordinate crisis intervention between platform, merchants,
    couriers, police desks, residents' committees and hospitals."""
    logs.configure(logging.DEBUG if verbose else logging.INFO)


main.add_command(desk)
main.add_command(console)


@main.group("certs", cls=_OneLineErrors)
def certs_group() -> None:
    """Manage the hub's certificate authority and party certificates."""


_DIR = click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Certificate directory.",
)
_FORCE = click.option("--force", is_flag=True, help="Overwrite existing files.")


@certs_group.command("init")
@_DIR
@click.option(
    "--host", "hosts", multiple=True, help="Extra DNS name or IP for the hub (repeatable)."
)
@_FORCE
def certs_init(directory: Path, hosts: tuple[str, ...], force: bool) -> None:
    """Create a dev CA, the hub's server certificate and an empty CRL."""
    certs.CertificateAuthority(directory).init(list(hosts), force=force)
    click.echo(f"CA, hub certificate and CRL written to {directory}")


@certs_group.command("issue")
@_DIR
@click.option("--party-id", required=True, help="The party's id, e.g. police-110105.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--jurisdiction", help="6-digit GB/T 2260 code; required for police and committee.")
@click.option(
    "--days",
    default=certs.LEAF_DAYS,
    show_default=True,
    type=click.IntRange(min=1),
    help="Validity in days.",
)
@_FORCE
def certs_issue(
    directory: Path, party_id: str, role: str, jurisdiction: str | None, days: int, force: bool
) -> None:
    """Issue a client certificate for a party."""
    identity = PartyIdentity(party_id, Role(role), jurisdiction)
    cert_path, key_path = certs.CertificateAuthority(directory).issue(
        identity, days=days, force=force
    )
    click.echo(f"{identity.to_uri()}\n  certificate {cert_path}\n  key         {key_path}")


@certs_group.command("renew-hub")
@_DIR
def certs_renew_hub(directory: Path) -> None:
    """Give the hub a new key and server certificate, from the signing CA, with the names
    it has now. Restart the replicas one at a time to serve it (docs/operations.md)."""
    cert = certs.CertificateAuthority(directory).renew_hub()
    click.echo(
        f"hub certificate renewed: serial {cert.serial_number:x}, issued by"
        f" {cert.issuer.rfc4514_string()}, valid to {cert.not_valid_after_utc:%Y-%m-%d}"
    )


@certs_group.command("rollover")
@_DIR
def certs_rollover(directory: Path) -> None:
    """Start a CA rollover: a new CA signs from now on, and ca.pem trusts it and the old
    one until `certs retire` (the steps: docs/operations.md)."""
    cert = certs.CertificateAuthority(directory).rollover()
    click.echo(
        f"new CA {cert.subject.rfc4514_string()} signs from now on;"
        f" {directory}/ca.pem trusts it and the old CA (step 1 of docs/operations.md's"
        " CA rollover). Next:\n"
        f"  2. copy {directory}/ca.pem to every party and replica; restart the replicas"
        " one at a time\n"
        "  3. reissue each party's certificate: lifeline certs issue --force ...\n"
        f"  4. lifeline certs renew-hub --dir {directory}; restart the replicas one at a time\n"
        f"  5. lifeline certs retire --dir {directory}; copy ca.pem out, restart the replicas"
    )


@certs_group.command("retire")
@_DIR
def certs_retire(directory: Path) -> None:
    """Finish a CA rollover: ca.pem trusts the new CA only (refused while the hub's
    certificate is the old CA's)."""
    old = certs.CertificateAuthority(directory).retire()
    click.echo(
        f"{old.subject.rfc4514_string()} is no longer trusted; give every party and replica"
        f" the new {directory}/ca.pem and restart the replicas one at a time"
    )


@certs_group.command("revoke")
@_DIR
@click.option("--party-id", required=True)
def certs_revoke(directory: Path, party_id: str) -> None:
    """Revoke every certificate issued to a party (a running hub notices within seconds)."""
    serials = certs.CertificateAuthority(directory).revoke(party_id)
    if serials:
        click.echo(f"revoked {len(serials)} certificate(s) of {party_id}")
    else:
        click.echo(f"{party_id}'s certificates were already revoked")


@main.command()
@click.option(
    "--certs",
    "certs_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory made by `lifeline certs init`.",
)
@click.option(
    "--listen",
    default="127.0.0.1:7443",
    show_default=True,
    type=ADDRESS,
    help="HOST:PORT (port 0: any).",
)
@click.option(
    "--db",
    "db_url",
    default=DEFAULT_URL,
    show_default=True,
    help="SQLite or postgresql+psycopg URL.",
)
@click.option(
    "--grace",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds in-flight calls get on shutdown.",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML handoff policy (docs/handoffs.md); default: the built-in one.",
)
@click.option(
    "--deadlines",
    "deadlines_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML deadline policy (docs/deadlines.md); default: the built-in one.",
)
@click.option(
    "--max-calls-in-flight",
    default=256,
    show_default=True,
    type=click.IntRange(min=1),
    help="Past this many calls in flight, reads, lists and signals below HIGH are refused"
    " HUB_OVERLOADED with a delay to retry after; acknowledgements, outcomes and HIGH or"
    " IMMINENT signals are always taken.",
)
@click.option(
    "--ops-listen",
    type=ADDRESS,
    help="Plain-HTTP port for /healthz, /readyz and /metrics (Prometheus); off by default."
    " Bind it where only operators reach it (docs/operations.md).",
)
@click.option(
    "--log-format",
    type=click.Choice(logs.FORMATS),
    default="text",
    show_default=True,
    help="json: one JSON object per line, with case_id, handoff_id, party_id, reason, event.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Default: info (debug with -v); debug also shows APScheduler's runs.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    certs_dir: Path,
    listen: Address,
    db_url: str,
    grace: float,
    policy_file: Path | None,
    deadlines_file: Path | None,
    max_calls_in_flight: int,
    ops_listen: Address | None,
    log_format: str,
    log_level: str | None,
) -> None:
    """Run the hub until SIGTERM or SIGINT."""
    verbose = ctx.find_root().params["verbose"]
    level = log_level.upper() if log_level else ("DEBUG" if verbose else "INFO")
    logs.configure(logging.getLevelNamesMapping()[level], log_format)
    from hub.api.server import HubConfig
    from hub.api.server import serve as run
    from hub.domain.deadlines import DeadlinePolicy
    from hub.domain.policy import HandoffPolicy

    # Both files are read before anything starts: a bad one stops the hub with its line.
    config = HubConfig(
        certs_dir=certs_dir,
        listen=str(listen),
        db_url=db_url,
        grace_seconds=grace,
        policy=HandoffPolicy.from_toml(policy_file) if policy_file else HandoffPolicy(),
        deadlines=DeadlinePolicy.from_toml(deadlines_file) if deadlines_file else DeadlinePolicy(),
        max_calls_in_flight=max_calls_in_flight,
        ops_listen=str(ops_listen) if ops_listen else None,
    )
    asyncio.run(run(config))


@main.group("audit", cls=_OneLineErrors)
def audit_group() -> None:
    """Check the integrity of stored case timelines."""


@audit_group.command("verify")
@click.option("--db", "db_url", default=DEFAULT_URL, show_default=True, help="Database URL.")
def audit_verify(db_url: str) -> None:
    """Check every case's hash chain; name the first broken link. Exit 1 if any."""
    from hub.store.db import Database
    from hub.store.timeline import verify_all

    db = Database(db_url)
    try:
        results = db.transaction(lambda s: list(verify_all(s)))
        broken = [link for _case_id, link in results if link is not None]
        for link in broken:
            click.echo(f"BROKEN {link}")
        click.echo(f"{len(results)} case timeline(s) checked, {len(broken)} broken")
    finally:
        db.close()
    if broken:
        raise SystemExit(1)


@main.group("rota", cls=_OneLineErrors)
def rota_group() -> None:
    """The duty desk's 24/7 on-call rota (local times in an IANA zone; DST-safe)."""


_LOCAL = click.DateTime(formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"])
_TZ = click.option("--tz", "tz_name", default="Asia/Shanghai", show_default=True, help="IANA zone.")
_DB = click.option("--db", "db_url", default=DEFAULT_URL, show_default=True, help="Database URL.")


def _migrated_db(db_url: str) -> Database:
    db = Database(db_url)
    db.migrate()
    return db


@rota_group.command("add")
@click.option("--party", "party_id", required=True, help="The interventionist on call.")
@click.option("--start", required=True, type=_LOCAL, help="Local start, 'YYYY-MM-DD HH:MM'.")
@click.option("--end", required=True, type=_LOCAL, help="Local end (the handover time).")
@click.option("--backup", "backup_party_id", help="Who takes escalations the party misses.")
@click.option(
    "--repeat-days",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Add the same shift on N days.",
)
@_TZ
@_DB
def rota_add(
    party_id: str,
    start: dt.datetime,
    end: dt.datetime,
    backup_party_id: str | None,
    repeat_days: int,
    tz_name: str,
    db_url: str,
) -> None:
    """Add on-call shifts; repeated shifts keep their local handover times across DST."""
    db = _migrated_db(db_url)

    def add(session: Session, day: int) -> RotaShiftRow:
        step = dt.timedelta(days=day)
        return rota.add_shift(session, party_id, start + step, end + step, tz_name, backup_party_id)

    try:
        for day in range(repeat_days):
            row = db.transaction(lambda s, day=day: add(s, day))  # type: ignore[misc]
            click.echo(
                f"{row.shift_id}  {party_id}  {row.start_time:%Y-%m-%d %H:%M}Z"
                f" - {row.end_time:%Y-%m-%d %H:%M}Z"
            )
    finally:
        db.close()


@rota_group.command("list")
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(min=1),
    help="How far ahead to list.",
)
@_TZ
@_DB
def rota_list(days: int, tz_name: str, db_url: str) -> None:
    """List the shifts from now on, in local time."""
    tz = rota.zone(tz_name)
    db = _migrated_db(db_url)
    now = dt.datetime.now(dt.UTC)
    try:
        for row in db.transaction(lambda s: rota.shifts(s, now, now + dt.timedelta(days=days))):
            backup = f" (backup {row.backup_party_id})" if row.backup_party_id else ""
            click.echo(
                f"{row.shift_id}  {row.start_time.astimezone(tz):%Y-%m-%d %H:%M}"
                f" - {row.end_time.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}"
                f"  {row.party_id}{backup}"
            )
    finally:
        db.close()


@rota_group.command("check")
@click.option("--start", type=_LOCAL, help="Local start of the window (default: now).")
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(min=1), help="Length of the window."
)
@_TZ
@_DB
def rota_check(start: dt.datetime | None, days: int, tz_name: str, db_url: str) -> None:
    """Report gaps in on-call coverage; exit 1 if there are any."""
    tz = rota.zone(tz_name)
    # Days are local calendar days: a window across a DST change is 23 or 25 hours.
    local_start = start or dt.datetime.now(tz).replace(tzinfo=None, second=0, microsecond=0)
    begin = rota.to_instant(local_start, tz)
    end = rota.to_instant(local_start + dt.timedelta(days=days), tz)
    db = _migrated_db(db_url)
    try:
        found = db.transaction(lambda s: rota.gaps(s, begin, end))
    finally:
        db.close()
    for gap_start, gap_end in found:
        click.echo(
            f"GAP {gap_start.astimezone(tz):%Y-%m-%d %H:%M}"
            f" - {gap_end.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}: nobody on call"
        )
    click.echo(f"{len(found)} gap(s) in the next {days} day(s)")
    if found:
        raise SystemExit(1)


@main.group("parties", cls=_OneLineErrors)
def parties_group() -> None:
    """The party directory: the desks the hub knows before they first connect."""


@parties_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_DB
def parties_import(file: Path, db_url: str) -> None:
    """Load or update the directory from FILE (.csv or .toml), e.g. the list of police stations.

    \b
    Columns (CSV header) or keys (TOML [[party]] tables):
      party_id, role              required
      jurisdiction_code           required for police and committee (GB/T 2260)
      display_name, contact_phone, backup_party_id
      webhook_url, webhook_secret the party's pager gateway, and the key its
                                  pages are signed with (docs/webhooks.md)

    Every row is checked first: a bad one refuses the whole file, naming its line
    and field, and nothing is imported. A party already known keeps its state and
    certificate; its directory fields are replaced. Each party still needs its
    certificate (`lifeline certs issue`); it gets its work from the moment it is
    imported, waiting in its inbox until it connects.
    """
    from hub.store import directory, notifications

    entries = directory.load(file)
    db = _migrated_db(db_url)

    def write(session: Session) -> int:
        # Running hubs drop what they cached of these parties when this commits.
        notifications.notify(session, [e.party_id for _, e in entries], notifications.REGISTRY)
        created = 0
        for line, entry in entries:
            try:
                created += directory.upsert(session, entry)[1]
            except HubError as e:
                field = e.metadata.get("field", "party_id")
                raise directory.DirectoryFileError(file, line, field, e.message) from None
        return created

    try:
        created = db.transaction(write)
    finally:
        db.close()
    click.echo(f"imported {len(entries)} parties: {created} new, {len(entries) - created} updated")


@main.group("webhooks", cls=_OneLineErrors)
def webhooks_group() -> None:
    """Pages POSTed to parties' webhooks (docs/webhooks.md)."""


@webhooks_group.command("log")
@click.option("--party", "party_id", help="Only this party's deliveries.")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(min=1),
    help="The newest N deliveries.",
)
@_DB
def webhooks_log(party_id: str | None, limit: int, db_url: str) -> None:
    """Print each delivery (event, party, case, state) and its attempts (time, HTTP status
    or error), oldest first."""
    from hub.store import webhooks

    db = _migrated_db(db_url)
    try:
        lines = db.transaction(lambda s: list(webhooks.log_lines(s, party_id, limit)))
    finally:
        db.close()
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no webhook deliveries" + (f" for {party_id}" if party_id else ""))


@main.group("evidence", cls=_OneLineErrors)
def evidence_group() -> None:
    """Export a case's evidence, and check a bundle offline."""


@evidence_group.command("export")
@click.argument("case_id")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--for-role",
    type=click.Choice([r.value for r in Role]),
    help="Only what this role may see (default: everything, as the platform sees it).",
)
@click.option(
    "--party", "party_id", help="With --for-role: as this party sees it (its own messages, events)."
)
@click.option("--db", "db_url", default=DEFAULT_URL, show_default=True, help="Database URL.")
def evidence_export(
    case_id: str, out: Path, for_role: str | None, party_id: str | None, db_url: str
) -> None:
    """Write CASE_ID's signed messages, receipts, certificates and timeline to a file."""
    import json

    from hub.cases.evidence import EvidenceError, export
    from hub.store.db import Database

    db = Database(db_url)
    try:
        bundle = db.transaction(
            lambda s: export(s, case_id, Role(for_role) if for_role else None, party_id)
        )
    except EvidenceError as e:
        raise click.ClickException(str(e)) from None
    finally:
        db.close()
    out.write_text(json.dumps(bundle, indent=1, ensure_ascii=False))
    click.echo(
        f"{len(bundle['messages'])} signed message(s) and the timeline of case {case_id}"
        f" written to {out}"
    )


@evidence_group.command("verify")
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--ca", "ca_pem", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def evidence_verify(bundle_file: Path, ca_pem: Path) -> None:
    (
        """Check a bundle offline against the CA; name the first thing that fails (exit 1).

    --ca may list several CAs (a ca.pem from a CA rollover, or the old and new CA
    certificates put together): messages signed before a rollover are the old CA's."""
        ""
    )
    import json

    from hub.cases.evidence import EvidenceError, verify

    try:
        report = verify(json.loads(bundle_file.read_text()), certs.load_cas_file(ca_pem))
    except (EvidenceError, KeyError, TypeError, ValueError) as e:
        click.echo(f"FAILED: {e}")
        raise SystemExit(1) from None
    click.echo(
        f"OK: {report.messages} signed message(s) and {report.events} timeline event(s) verified"
        f" ({report.withheld_events} withheld from this role, checked by hash)"
    )


@main.command()
@click.option(
    "--speed",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="How much faster than real time.",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary as JSON.",
)
@click.option(
    "--console",
    "with_console",
    is_flag=True,
    help="Also serve the duty console, to watch the cases on its board in a browser.",
)
@click.option(
    "--console-listen",
    default="127.0.0.1:8080",
    show_default=True,
    type=ADDRESS,
    help="Where it listens.",
)
def demo(speed: float, json_out: Path | None, with_console: bool, console_listen: Address) -> None:
    """Play the six real cases through a real hub (dev CA, SQLite, mutual TLS)."""
    from hub.demo import run_demo

    if speed <= 0:
        raise click.ClickException("--speed must be positive")
    listen = str(console_listen) if with_console else None
    try:
        raise SystemExit(asyncio.run(run_demo(speed, json_out, listen)))
    except asyncio.CancelledError:  # SIGTERM: everything was stopped and removed
        raise SystemExit(143) from None
