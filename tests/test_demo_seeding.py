"""`komitmen up` seeds the demo people (public password) into the embedded SQLite only.

Pointed at a database of its own choosing (KOMITMEN_DATABASE_URL set, here a real
PostgreSQL schema), it adds nobody and says why in one line; on the embedded default
it adds all 96 and says how they sign in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import models as m
from db.session import engine_for, session_factory, transaction
from komitmen.cli.serve import demo_refusal, prepare_database
from komitmen.demo import DEMO_PASSWORD
from services.settings import Settings
from services.signin import authenticate
from tests.databases import postgres_database


def people_in(url: str) -> int:
    """How many people the database holds."""
    with transaction(session_factory(url)) as session:
        return session.scalar(select(func.count()).select_from(m.UserAccount)) or 0


def test_only_the_embedded_default_gets_demo_people(tmp_path: Path) -> None:
    assert demo_refusal(Settings(data_dir=tmp_path, database_url="")) is None
    for url in (
        "postgresql://komitmen:rahasia@db.example.internal:5432/komitmen",
        f"sqlite:///{tmp_path / 'chosen.db'}",
    ):
        refusal = demo_refusal(Settings(data_dir=tmp_path, database_url=url))
        assert refusal is not None and "KOMITMEN_DATABASE_URL" in refusal
        assert "\n" not in refusal and "rahasia" not in refusal


def test_a_configured_postgresql_gets_nobody_and_is_told_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with postgres_database() as url:
        prepare_database(Settings(data_dir=tmp_path, database_url=url))
        assert people_in(url) == 0
        engine_for(url).dispose()
    out = capsys.readouterr().out
    said = [line for line in out.splitlines() if line.startswith("demo users:")]
    assert said == [
        "demo users: none added: KOMITMEN_DATABASE_URL is set, and demo people (whose "
        "password is public) go only into the embedded SQLite database"
    ]
    assert DEMO_PASSWORD not in out


def test_the_embedded_default_gets_every_demo_person(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path, database_url="")
    prepare_database(settings)
    assert settings.db_url == f"sqlite:///{(tmp_path / 'komitmen.db').resolve()}"
    assert people_in(settings.db_url) == 96
    with transaction(session_factory(settings.db_url)) as session:
        assert authenticate(session, username="koordinator", password=DEMO_PASSWORD)
    out = capsys.readouterr().out
    assert "demo users: 96 added, 96 in all" in out and repr(DEMO_PASSWORD) in out
    prepare_database(settings)  # a second start adds nobody
    assert "demo users: 0 added, 96 in all" in capsys.readouterr().out
    engine_for(settings.db_url).dispose()
