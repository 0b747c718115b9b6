"""The FastAPI application factory (read-only skeleton until the API issue)."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI
from pydantic import BaseModel

from db import repository
from db.session import session_factory, transaction
from komitmen.settings import Settings, get_settings


class CycleOut(BaseModel):
    """A cycle as listed."""

    id: str
    name: str
    year: int
    status: str
    started_at: datetime


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for the given settings (the process's settings by default)."""
    settings = settings or get_settings()
    sessions = session_factory(settings.db_url)
    app = FastAPI(title="Komitmen", version="0.1.0")

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/cycles")
    def list_cycles() -> list[CycleOut]:
        """Every commitment cycle, newest first."""
        with transaction(sessions) as session:
            return [
                CycleOut(
                    id=c.id, name=c.name, year=c.year, status=c.status, started_at=c.started_at
                )
                for c in repository.list_cycles(session)
            ]

    return app
