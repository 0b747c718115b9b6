"""Migration 0010 (the people desk) goes down to 0009 and up again, keeping the accounts."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from db.session import alembic_config, engine_for, migrate


def test_0010_downgrades_and_upgrades(db_url: str) -> None:
    config = alembic_config(db_url)
    command.downgrade(config, "0009")
    inspector = inspect(engine_for(db_url))
    assert not {"account_event", "password_reset"} & set(inspector.get_table_names())
    columns = {c["name"] for c in inspector.get_columns("user_account")}
    assert not {"pangkat", "jabatan"} & columns
    engine_for(db_url).dispose()
    migrate(db_url)
    inspector = inspect(engine_for(db_url))
    assert {"account_event", "password_reset"} <= set(inspector.get_table_names())
    columns = {c["name"] for c in inspector.get_columns("user_account")}
    assert {"pangkat", "jabatan"} <= columns
    unique = inspector.get_unique_constraints("password_reset")
    assert [u["column_names"] for u in unique] == [["token_digest"]]
