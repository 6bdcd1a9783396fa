"""Tables, as SQLModel classes. The schema itself is made by the migrations in
hub/migrations; a test checks the two agree."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class PartyRow(SQLModel, table=True):
    __tablename__ = "party"

    party_id: str = Field(primary_key=True, max_length=63)
    role: str = Field(max_length=16)
    state: str = Field(default="active", max_length=16)
    jurisdiction_code: str | None = Field(default=None, max_length=6, index=True)
    display_name: str = Field(default="", max_length=200)
    backup_party_id: str | None = Field(default=None, max_length=63)
    certificate_serial: str | None = Field(default=None, max_length=40)
    first_seen_time: dt.datetime | None = None
    last_seen_time: dt.datetime | None = None
    deactivation_reason: str = Field(default="", max_length=500)
