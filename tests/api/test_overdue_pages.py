"""The overdue list across cycles, page by page: each obligation once, longest overdue first."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import security
from api.app import create_app
from db import models as m
from db import repository
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from domain.cycle import CycleEvent
from domain.roles import Actor, Role
from domain.schedule import default_schedule
from komitmen.actions import build_cycle_spec
from komitmen.settings import Settings

CYCLES = ("rakor-2026", "rakor-2026-susulan")
NOW = datetime(2026, 7, 25, 2, tzinfo=UTC)
PASSWORD = "rahasia-sekali"
COORDINATOR = Actor(name="Koordinator", role=Role.COORDINATOR)


def seed(db_url: str) -> None:
    """Two cycles of the 22 regencies: most overdue, some at the same instant, some owing two
    quarterly reports; every fifth not overdue at all."""
    catalog = load_catalog()
    sessions = session_factory(db_url)
    for cycle_id in CYCLES:
        spec = build_cycle_spec(
            cycle_id=cycle_id,
            name=cycle_id,
            year=2026,
            catalog=catalog,
            schedule=default_schedule(2026),
            started_by=COORDINATOR,
            regency_codes=catalog.codes(),
        )
        with transaction(sessions) as session:
            repository.record_cycle_event(
                session,
                event=CycleEvent(
                    cycle_id=cycle_id,
                    seq=1,
                    action="started",
                    status="running",
                    actor=COORDINATOR,
                    occurred_at=NOW - timedelta(days=200),
                    spec=spec,
                ),
            )
    with transaction(sessions) as session:
        for c, cycle_id in enumerate(CYCLES):
            for n, regency in enumerate(catalog.regencies):
                # Pairs of commitments became overdue at the same instant: ids break the tie.
                since = NOW - timedelta(days=60 - (n // 2) - c)
                following = n % 3 == 0
                deadlines = {
                    "drafting": since,
                    "q1": since,
                    "q2": since + timedelta(days=30),
                }
                session.add(
                    m.Commitment(
                        id=f"{cycle_id}:{regency.kemendagri_code}",
                        cycle_id=cycle_id,
                        regency_code=regency.kemendagri_code,
                        regency_name=regency.name,
                        stage="follow_up" if following else "drafting",
                        round=1,
                        latest_version=1,
                        approved_version=1 if following else None,
                        document_hash=None,
                        next_due_at=since,
                        overdue_since=None if n % 5 == 4 else since,
                        deadlines={k: v.isoformat() for k, v in deadlines.items()},
                        last_seq=1,
                        updated_at=NOW - timedelta(days=1),
                    )
                )
        for username, role, regency_code in (
            ("manajer", "manager", None),
            ("operator-5301", "regency_officer", "53.01"),
        ):
            repository.add_user(
                session,
                username=username,
                full_name=username,
                email=f"{username}@example.org",
                role=role,
                regency_code=regency_code,
                office=None,
                now=NOW,
            )
            security.set_password(session, username=username, password=PASSWORD)


def signed_in(client: TestClient, username: str) -> dict[str, str]:
    login = client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert login.status_code == 201, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def walk(client: TestClient, headers: dict[str, str], limit: int) -> list[list[dict[str, Any]]]:
    """Every page of the list across cycles, following the Link headers."""
    url: str | None = f"/overdue?limit={limit}&at={NOW.isoformat().replace('+', '%2B')}"
    pages = []
    while url is not None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        following = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("link", ""))
        url = following.group(1) if following else None
    return pages


def test_pages_hold_every_overdue_obligation_once_longest_overdue_first(db_url: str) -> None:
    seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    headers = signed_in(client, "manajer")
    whole = walk(client, headers, limit=500)
    assert len(whole) == 1
    everything = whole[0]
    # 36 of 44 commitments are overdue; those in follow-up owe two quarters.
    assert len({e["commitment_id"] for e in everything}) == 36
    assert len(everything) == 36 + sum(1 for e in everything if e["deadline_key"] == "q2")
    assert any(e["deadline_key"] == "q2" for e in everything)

    pages = walk(client, headers, limit=7)
    assert len(pages) == 6
    for page in pages[:-1]:
        assert len({e["commitment_id"] for e in page}) == 7
    paged = [e for page in pages for e in page]
    assert paged == everything
    keys = [(e["commitment_id"], e["deadline_key"]) for e in paged]
    assert len(keys) == len(set(keys))
    # Longest overdue first: a commitment's oldest deadline never precedes an earlier one's.
    firsts = [e["due_at"] for e in paged if e["deadline_key"] in ("drafting", "q1")]
    assert firsts == sorted(firsts)


def test_a_regency_user_pages_through_their_own_regency_only(db_url: str) -> None:
    seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    pages = walk(client, signed_in(client, "operator-5301"), limit=1)
    assert [{e["commitment_id"] for e in page} for page in pages] == [
        {f"{CYCLES[0]}:53.01"},
        {f"{CYCLES[1]}:53.01"},
    ]
    other = client.get("/overdue?regency=53.71", headers=signed_in(client, "operator-5301"))
    assert other.status_code == 200 and other.json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJ5ZXN0ZXJkYXkiLCAxXQ", "cursor"),  # ["yesterday", 1]
        ("limit=0", "limit"),
        ("limit=501", "limit"),
    ],
)
def test_bad_paging_is_a_422_naming_the_field(db_url: str, query: str, field: str) -> None:
    seed(db_url)
    client = TestClient(create_app(Settings(database_url=db_url)))
    response = client.get(f"/overdue?{query}", headers=signed_in(client, "manajer"))
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
