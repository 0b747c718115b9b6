"""Engines: a PostgreSQL server that never answers fails a connection instead of hanging it."""

from __future__ import annotations

import socket
import threading

import psycopg
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db.session import CONNECT_TIMEOUT_SECONDS, engine_for


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
