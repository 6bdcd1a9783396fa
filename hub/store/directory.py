"""The party directory: which desks exist before they ever call the hub.

The platform names its police desks, committees, couriers and hospitals ahead
of time, one by one (RegisterParty) or from a file (`lifeline parties import`).
Both go through :func:`entry` (validation) and :func:`upsert` (the write), so a
row the RPC would refuse is refused by the import too, with the same field.
A file is validated whole before anything is written, and written in one
transaction: it is imported entirely or not at all.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session

from hub.domain import errors
from hub.domain.errors import HubError
from hub.store import webhooks
from hub.store.models import PartyRow
from wire import reasons
from wire.identity import (
    IdentityError,
    Role,
    validate_jurisdiction,
    validate_new_party_id,
    validate_party_id,
)

COLUMNS = (
    "party_id",
    "role",
    "jurisdiction_code",
    "display_name",
    "contact_phone",
    "backup_party_id",
    "webhook_url",
    "webhook_secret",
)
MAX_DISPLAY_NAME = 200
# Digits, spaces and dashes, an optional leading '+': what a desk's phone looks like on paper.
_PHONE = re.compile(r"\+?[0-9][0-9 -]{2,30}")


@dataclass(frozen=True)
class Webhook:
    """Where the hub also POSTs the party's pages, and the key it signs them with."""

    url: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Entry:
    """One party as the directory names it."""

    party_id: str
    role: Role
    jurisdiction_code: str | None
    display_name: str
    contact_phone: str
    backup_party_id: str | None
    webhook: Webhook | None = None


def entry(
    party_id: str,
    role: Role,
    jurisdiction_code: str,
    display_name: str,
    contact_phone: str,
    backup_party_id: str,
    webhook_url: str = "",
    webhook_secret: str = "",
    *,
    field_prefix: str = "",
) -> Entry:
    """A checked directory entry; empty strings mean "not given"."""

    def checked(check: object, value: str, name: str) -> str:
        try:
            return str(check(value))  # type: ignore[operator]
        except IdentityError as e:
            raise errors.invalid_argument(str(e), field_prefix + name) from None

    party_id = checked(validate_new_party_id, party_id, "party_id")
    jurisdiction = (
        checked(validate_jurisdiction, jurisdiction_code, "jurisdiction_code")
        if jurisdiction_code
        else None
    )
    if role.needs_jurisdiction and jurisdiction is None:
        raise errors.invalid_argument(
            f"a {role} party needs a jurisdiction_code", field_prefix + "jurisdiction_code"
        )
    if len(display_name) > MAX_DISPLAY_NAME or not display_name.isprintable():
        raise errors.invalid_argument(
            f"display_name must be printable and at most {MAX_DISPLAY_NAME} characters",
            field_prefix + "display_name",
        )
    if contact_phone and not _PHONE.fullmatch(contact_phone):
        raise errors.invalid_argument(
            f"contact_phone {contact_phone!r} is not a telephone number"
            " (digits, spaces, '-', an optional leading '+')",
            field_prefix + "contact_phone",
        )
    backup = (
        checked(validate_party_id, backup_party_id, "backup_party_id") if backup_party_id else None
    )
    if backup == party_id:
        raise errors.invalid_argument(
            "a party cannot be its own backup", field_prefix + "backup_party_id"
        )
    return Entry(
        party_id,
        role,
        jurisdiction,
        display_name,
        contact_phone,
        backup,
        _webhook(webhook_url, webhook_secret, field_prefix),
    )


def _webhook(url: str, secret: str, field_prefix: str) -> Webhook | None:
    """A checked webhook: a URL and its secret come together, or neither."""
    if not url and not secret:
        return None
    if not url:
        raise errors.invalid_argument(
            "a webhook_secret needs a webhook_url", field_prefix + "webhook_url"
        )
    if (why := webhooks.check_url(url)) is not None:
        raise errors.invalid_argument(f"webhook_url {why}", field_prefix + "webhook_url")
    if (why := webhooks.check_secret(secret)) is not None:
        raise errors.invalid_argument(f"webhook_secret {why}", field_prefix + "webhook_secret")
    return Webhook(url, secret)


def upsert(session: Session, new: Entry, *, keep_webhook: bool = False) -> tuple[PartyRow, bool]:
    """Writes an entry in the caller's transaction; returns the row and whether it is new.

    What the registry learnt on first contact (certificate, times) and the party's
    state are kept; a party cannot change its role. The webhook is the directory
    file's to set (RegisterParty cannot carry its secret): `keep_webhook` leaves it.
    """
    row = session.get(PartyRow, new.party_id, with_for_update=True)
    created = row is None
    if row is None:
        row = PartyRow(party_id=new.party_id, role=new.role.value)
    elif row.role != new.role:
        raise HubError(
            reasons.PARTY_ROLE_MISMATCH,
            f"party {new.party_id!r} is already registered as {row.role}",
            {"field": "role"},
        )
    row.jurisdiction_code = new.jurisdiction_code
    row.display_name = new.display_name
    row.contact_phone = new.contact_phone
    row.backup_party_id = new.backup_party_id
    if not keep_webhook:
        row.webhook_url = new.webhook.url if new.webhook else ""
        row.webhook_secret = new.webhook.secret if new.webhook else ""
    session.add(row)
    return row, created


class DirectoryFileError(ValueError):
    """A directory file that cannot be imported; names the line and the field."""

    def __init__(self, path: Path, line: int, field: str, message: str) -> None:
        super().__init__(f"{path}, line {line}, {field}: {message}; nothing was imported")
        self.line = line
        self.field = field


def load(path: Path) -> list[tuple[int, Entry]]:
    """Every entry of a CSV or TOML directory file with its line, checked; or the first error."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        records = _csv_records(path, text)
    elif path.suffix.lower() == ".toml":
        records = _toml_records(path, text)
    else:
        raise DirectoryFileError(path, 1, "file", "the file must end in .csv or .toml")
    entries: list[tuple[int, Entry]] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        try:
            role = Role(record.get("role", ""))
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise DirectoryFileError(path, line, "role", f"must be one of {roles}") from None
        try:
            checked = entry(role=role, **{k: record.get(k, "") for k in COLUMNS if k != "role"})
        except HubError as e:
            raise DirectoryFileError(path, line, e.metadata["field"], e.message) from None
        if checked.party_id in first_line:
            raise DirectoryFileError(
                path,
                line,
                "party_id",
                f"{checked.party_id!r} is already on line {first_line[checked.party_id]}",
            )
        first_line[checked.party_id] = line
        entries.append((line, checked))
    return entries


def _csv_records(path: Path, text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or "party_id" not in header or "role" not in header:
        raise DirectoryFileError(
            path,
            1,
            unknown[0] if unknown else "header",
            f"the header must name columns from {', '.join(COLUMNS)}"
            " (party_id and role are required)",
        )
    records = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank lines are allowed, as spreadsheets write them
        if len(row) != len(header):
            raise DirectoryFileError(
                path, reader.line_num, "row", f"has {len(row)} cells; the header has {len(header)}"
            )
        records.append((reader.line_num, {k: v.strip() for k, v in zip(header, row, strict=True)}))
    return records


def _toml_records(path: Path, text: str) -> list[tuple[int, dict[str, str]]]:
    try:
        parties = tomllib.loads(text).get("party", [])
    except tomllib.TOMLDecodeError as e:
        # Python 3.11's error carries its position only in the text: "(at line 3, column 1)".
        at = re.search(r"line (\d+)", str(e))
        raise DirectoryFileError(
            path, int(at.group(1)) if at else 1, "file", f"not valid TOML: {e}"
        ) from None
    # tomllib keeps no positions: each [[party]] table is found by its header line.
    headers = [i for i, s in enumerate(text.splitlines(), 1) if s.strip() == "[[party]]"]
    if not isinstance(parties, list) or len(headers) != len(parties):
        raise DirectoryFileError(path, 1, "party", "write each party as a [[party]] table")
    records = []
    for line, table in zip(headers, parties, strict=True):
        for key, value in table.items():
            if key not in COLUMNS:
                raise DirectoryFileError(path, line, key, f"is not one of {', '.join(COLUMNS)}")
            if not isinstance(value, str):
                raise DirectoryFileError(path, line, key, "must be a string")
        records.append((line, {k: v.strip() for k, v in table.items()}))
    return records
