"""Engines, sessions and schema migrations."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 5
# The advisory lock key that serialises migrations ("Komi" in ASCII).
MIGRATION_LOCK = 0x4B6F6D69


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@cache
def engine_for(url: str) -> Engine:
    """One engine per database URL for the life of the process."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # An unreachable host fails a connection within seconds (a readiness probe, a retried
    # activity) instead of leaving a thread waiting on the operating system's timeout.
    # Twenty kept connections cover an API process's requests at 25 clients each: with
    # ten, the connections past them were opened and closed again all the time (395 new
    # PostgreSQL sessions in `bench.api_load`'s 30 s window, 7 to 20 now). LIFO hands out
    # the connection used last, so the busy few stay warm with their prepared statements
    # and the rest sit idle. Two API processes and a worker top out at 90 connections,
    # inside PostgreSQL's default max_connections of 100.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=20,
        pool_use_lifo=True,
        max_overflow=10,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets the API read while the worker writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(url: str) -> sessionmaker[Session]:
    """A session factory bound to the engine of `url`."""
    return sessionmaker(engine_for(url), expire_on_commit=False)


@cache
def _sqlite_writer(engine: Engine) -> threading.Lock:
    return threading.Lock()


def _writing(factory: sessionmaker[Session]) -> AbstractContextManager[object]:
    """On SQLite, the process's turn to write; elsewhere nothing to wait for.

    SQLite lets one transaction write at a time, and one that finds the database locked
    sleeps in its busy handler (1, 2, 5, 10 ... 100 ms) before trying again, so threads
    writing at once wait far longer than the writes take: with 8 threads recording a
    lifecycle each, a record took 4-8 ms at the median and up to 1.5 s. Writers of one
    process take turns here instead and start the moment the last one commits.
    """
    engine = factory.kw.get("bind")
    if isinstance(engine, Engine) and engine.dialect.name == "sqlite":
        return _sqlite_writer(engine)
    return nullcontext()


@contextmanager
def transaction(factory: sessionmaker[Session], *, write: bool = False) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on error.

    `write`: the transaction writes, and on SQLite waits for the process's other
    writers to finish first (`_writing`).
    """
    with _writing(factory) if write else nullcontext(), factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at our migrations and `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema, one process at a time.

    Every worker and API process migrates as it starts. On PostgreSQL, where several
    start together against one database, a transaction-scoped advisory lock makes the
    first do the work and the others find it done, instead of racing to create the
    same tables. SQLite is the single-host default, which `komitmen up` migrates once.
    """
    config = alembic_config(url)
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
