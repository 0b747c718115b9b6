"""Throwaway migrated databases for tests: a SQLite file, or a PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from db.session import engine_for, migrate, normalise_url

POSTGRES_URL = os.environ.get(
    "KOMITMEN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    """A migrated SQLite database in `folder`."""
    url = f"sqlite:///{folder / f'komitmen-{uuid.uuid4().hex[:8]}.db'}"
    migrate(url)
    yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL schema of its own, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{normalise_url(POSTGRES_URL)}?options=-csearch_path%3D{schema}"
    try:
        migrate(url)
        yield url
    finally:
        # The app's engines live as long as the process: close this schema's connections,
        # or a whole run holds more than PostgreSQL allows.
        engine_for(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A migrated database of the given kind ("sqlite" or "postgres")."""
    manager = sqlite_database(folder) if kind == "sqlite" else postgres_database()
    with manager as url:
        yield url
