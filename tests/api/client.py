"""The real app over httpx, against a running Komitmen (worker, database, Temporal)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from temporalio.client import Client

from api.app import create_app
from db import models as m
from db import people
from db.session import session_factory, transaction
from domain.roles import Acting
from services import signin as security
from tests.harness import Komitmen, running_komitmen


@dataclass
class Api:
    """An httpx client on the app, and the Komitmen behind it."""

    http: httpx.AsyncClient
    k: Komitmen
    app: FastAPI
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The database URL."""
        return self.k.settings.db_url

    def set_clock(self, moment: datetime) -> None:
        """Show people their work as at `moment`, the time-skipping server's clock after
        a test has let it run (`services.runtime.Runtime.clock`)."""
        self.app.state.runtime.clock = lambda: moment

    def token(self, username: str) -> dict[str, str]:
        """Authorization headers for a user (a token issued straight in the database)."""
        if username not in self.tokens:
            with transaction(session_factory(self.url)) as session:
                user = people.get_user(session, username=username)
                assert user is not None, username
                self.tokens[username] = people.create_token(
                    session, user_id=user.id, name="test", now=datetime.now(UTC)
                )
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def set_password(self, username: str, password: str) -> None:
        """Give a demo user a password, keeping the tokens this client already holds.

        Stored straight in the database: `komitmen users passwd` (services.signin)
        would revoke every token of the person, the test's own included.
        """
        hashed = security.hash_password(password)
        with transaction(session_factory(self.url)) as session:
            assert people.set_password(session, username=username, password_hash=hashed)

    def set_acting(self, username: str, acting: str) -> None:
        """Record a person's acting status (plt, plh, pj, an or definitive) on their account,
        as a coordinator would: a signature takes it from there, never from the request."""
        with transaction(session_factory(self.url)) as session:
            user = people.get_user(session, username=username)
            assert user is not None, username
            user.acting = Acting(acting).value

    async def start_cycle(
        self,
        codes: list[str],
        year: int,
        schedule: dict[str, Any] | None = None,
        cycle_id: str | None = None,
    ) -> str:
        """Start a cycle over HTTP as the coordinator (default schedule of the year); its id."""
        cycle_id = cycle_id or f"api-{uuid.uuid4().hex[:8]}"
        self.k.cycle_id, self.k.codes = cycle_id, tuple(codes)
        body = {"cycle_id": cycle_id, "name": "Rakor", "year": year, "regency_codes": codes}
        if schedule is not None:
            body["schedule"] = schedule
        response = await self.http.post("/cycles", json=body, headers=self.token("koordinator"))
        assert response.status_code == 201, response.text
        return cycle_id

    async def post(self, path: str, username: str, body: dict[str, Any]) -> httpx.Response:
        """POST as a user."""
        return await self.http.post(path, json=body, headers=self.token(username))

    async def get(self, path: str, username: str, **params: Any) -> httpx.Response:
        """GET as a user."""
        return await self.http.get(path, params=params or None, headers=self.token(username))

    def audit_rows(self) -> int:
        """Audit rows of human actions (commitments record their own start concurrently)."""
        with transaction(session_factory(self.url)) as s:
            query = select(func.count()).where(m.AuditEvent.action != "started")
            return s.scalar(query.select_from(m.AuditEvent)) or 0

    def commitment_rows(self) -> list[tuple[str, str, int, int]]:
        """(id, stage, round, latest version) of every commitment."""
        with transaction(session_factory(self.url)) as s:
            rows = s.scalars(select(m.Commitment).order_by(m.Commitment.id)).all()
            return [(r.id, r.stage, r.round, r.latest_version) for r in rows]


@asynccontextmanager
async def running_api(
    client: Client, db_url: str, tmp_path: Path, **settings_changes: Any
) -> AsyncIterator[Api]:
    """A worker, the app bound to its task queue, and an httpx client on the app.

    `settings_changes` change the app's settings (e.g. the BSrE service it signs with);
    the worker and the app keep evidence in `tmp_path`, in a folder, or in the database
    with `evidence_store="database"`.
    """
    shared: dict[str, Any] = {"evidence_dir": tmp_path / "evidence"}
    if "evidence_store" in settings_changes:
        shared["evidence_store"] = settings_changes["evidence_store"]
    async with running_komitmen(client, db_url, outbox=tmp_path / "outbox", **shared) as k:
        settings = k.settings.model_copy(
            update={"temporal_task_queue": k.task_queue, **settings_changes}
        )

        async def same_client() -> Client:
            return client

        app = create_app(settings, client_factory=same_client)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://komitmen") as http:
            yield Api(http=http, k=k, app=app)
