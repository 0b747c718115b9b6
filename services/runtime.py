"""What a process holds for its whole life: settings, database sessions, a Temporal client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from db.session import session_factory, transaction
from services.evidence import UPLOADS_AT_ONCE
from services.settings import Settings
from services.signin import LoginThrottle
from services.signing import Certifier, TteRetries, certifier_bsre
from services.temporal import connect
from services.tte import Bsre

ClientFactory = Callable[[], Awaitable[Client]]


@dataclass
class Runtime:
    """Settings, sessions and a Temporal client connected on first use."""

    settings: Settings
    sessions: sessionmaker[Session]
    client_factory: ClientFactory
    retries: TteRetries | None = None
    """Certified signatures this process retries while BSrE is unreachable."""
    bsre: Callable[[], Bsre] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    """What "now" is for the work a person is shown (`services.tasks`): the wall clock.
    A test whose workflows run on the time-skipping server's clock sets it to that clock,
    so the list judges deadlines and report openings at the workflows' time."""
    upload_slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(UPLOADS_AT_ONCE)
    )
    """How many evidence files this process reads and checks at once (`services.evidence`)."""
    _client: Client | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def of(cls, settings: Settings, client_factory: ClientFactory | None = None) -> Runtime:
        """The runtime the settings describe (a test may bring its own Temporal client)."""
        return cls(
            settings=settings,
            sessions=session_factory(settings.db_url),
            client_factory=client_factory or (lambda: connect(settings)),
        )

    @property
    def throttle(self) -> LoginThrottle:
        """The sign-in throttle the settings describe."""
        return LoginThrottle(
            max_failures=self.settings.login_max_failures,
            window=timedelta(minutes=self.settings.login_window_minutes),
        )

    def certifier(self, client: Client) -> Certifier:
        """What a certified signature needs, this process's retries included."""
        if self.retries is None:
            self.retries = TteRetries(
                first_pause=self.settings.tte_retry_seconds,
                give_up_after=self.settings.tte_retry_minutes * 60,
            )
        if self.bsre is None:
            self.bsre = certifier_bsre(self.settings)
        return Certifier(
            sessions=self.sessions,
            client=client,
            settings=self.settings,
            retries=self.retries,
            bsre=self.bsre,
        )

    async def client(self) -> Client:
        """The Temporal client, connected on first use."""
        async with self._lock:
            if self._client is None:
                self._client = await self.client_factory()
            return self._client

    async def database_answers(self) -> None:
        """Return once the database answers a query (raises otherwise)."""

        def query() -> None:
            with transaction(self.sessions) as session:
                session.execute(select(1))

        await asyncio.to_thread(query)

    async def temporal_answers(self) -> None:
        """Return once Temporal describes the configured namespace (raises otherwise)."""
        client = await self.client()
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=client.namespace), timeout=timedelta(seconds=3)
        )
