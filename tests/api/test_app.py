"""The app answers from the database, to authenticated users only."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.app import create_app
from db import people, records
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from domain.cycle import CycleEvent
from domain.roles import Actor, Role
from domain.schedule import default_schedule
from services import signin as security
from services.actions import build_cycle_spec
from services.settings import Settings


def test_cycles_are_listed(db_url: str) -> None:
    actor = Actor(name="Koordinator", role=Role.COORDINATOR)
    spec = build_cycle_spec(
        cycle_id="rakor-2026",
        name="Rakor PB NTT 2025",
        year=2026,
        catalog=load_catalog(),
        schedule=default_schedule(2026),
        started_by=actor,
        regency_codes=["53.01"],
    )
    with transaction(session_factory(db_url)) as session:
        records.record_cycle_event(
            session,
            event=CycleEvent(
                cycle_id="rakor-2026",
                seq=1,
                action="started",
                status="running",
                actor=actor,
                occurred_at=datetime(2025, 11, 20, 2, tzinfo=UTC),
                spec=spec,
            ),
        )
    with transaction(session_factory(db_url)) as session:
        people.add_user(
            session,
            username="manajer",
            full_name="Manajer",
            email="manajer@example.org",
            role="manager",
            regency_code=None,
            office=None,
            now=datetime(2025, 11, 20, tzinfo=UTC),
        )
        security.set_password(session, username="manajer", password="rahasia-sekali")
    client = TestClient(create_app(Settings(database_url=db_url)))
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/cycles").status_code == 401
    login = client.post("/auth/token", json={"username": "manajer", "password": "rahasia-sekali"})
    assert login.status_code == 201, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    cycles = client.get("/cycles", headers=headers).json()
    assert [(c["id"], c["year"], c["status"]) for c in cycles] == [("rakor-2026", 2026, "running")]
