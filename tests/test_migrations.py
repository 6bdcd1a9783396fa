"""The migrations make exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import hub.store.models  # noqa: F401  (registers the tables)
from hub.store.db import Database

pytestmark = pytest.mark.usefixtures("db_url")


def test_migrations_match_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.migrate()
        db.migrate()  # a second run is a no-op
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn)
            diff = [
                d
                for d in compare_metadata(context, SQLModel.metadata)
                if not (
                    isinstance(d, tuple)
                    and d[0] == "remove_table"
                    and d[1].name == "alembic_version"
                )
            ]
        assert diff == []
    finally:
        db.close()
