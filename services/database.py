"""The database as a process opens it: a session per unit of work, and the schema's migrations.

The CLI and the process entry points open their sessions here; the API holds a
session factory in its `Runtime` and opens a transaction per request with
`transaction`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from db import session as db_session
from db.session import transaction
from services.settings import Settings


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """A session on the configured database, committed on success, rolled back on error."""
    with db_session.transaction(db_session.session_factory(settings.db_url)) as session:
        yield session


def migrate(settings: Settings) -> None:
    """Bring the configured database to the newest schema (one process at a time)."""
    db_session.migrate(settings.db_url)


__all__ = ["migrate", "open_session", "transaction"]
