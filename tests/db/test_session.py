"""Engines and migrations: a silent server fails a connection; processes migrate in turn."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import psycopg
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from db.session import CONNECT_TIMEOUT_SECONDS, alembic_config, engine_for, normalise_url
from tests.databases import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]


def test_a_server_that_never_answers_fails_the_connection() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts the TCP connection, then says nothing
    engine = engine_for(f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/test")
    failures: list[OperationalError] = []

    def connect() -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as failed:
            failures.append(failed)

    attempt = threading.Thread(target=connect, daemon=True)
    try:
        attempt.start()
        attempt.join(timeout=CONNECT_TIMEOUT_SECONDS * 12)
        assert not attempt.is_alive(), "the connection attempt is still waiting"
        assert len(failures) == 1
        assert isinstance(failures[0].orig, psycopg.errors.ConnectionTimeout)
    finally:
        engine.dispose()
        silent.close()


def test_processes_starting_together_migrate_one_database_once(tmp_path: Path) -> None:
    """Four processes migrate a fresh PostgreSQL schema at the same moment; all succeed."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{normalise_url(POSTGRES_URL)}?options=-csearch_path%3D{schema}"
    go = tmp_path / "go"
    script = (
        "import pathlib, sys, time\n"
        "from db.session import migrate\n"
        "while not pathlib.Path(sys.argv[2]).exists(): time.sleep(0.01)\n"
        "migrate(sys.argv[1])\n"
    )
    try:
        starters = [
            subprocess.Popen(
                [sys.executable, "-c", script, url, str(go)],
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        go.touch()
        errors = [p.communicate(timeout=120)[1] for p in starters]
        assert [p.returncode for p in starters] == [0] * 4, "\n".join(errors)
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        with admin.connect() as conn:
            versions = conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version'))
            assert [v for (v,) in versions] == [head]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
