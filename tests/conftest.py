"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from services.temporal import register_search_attributes
from tests.databases import database
from tests.smtp import SmtpSink
from workflows.common import SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent
SPARE_NAMESPACES = ("spare-1", "spare-2", "spare-3")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 collecting the messages sent to it."""
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database, once on SQLite and once on PostgreSQL."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server from the installed binary (no download), one
    per test: it starts in about 0.1 s, and a server shared across tests let one test's
    leftovers (a workflow still open, hours of retried activities) slow or stall the
    clock of every later test."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    try:
        await register_search_attributes(env.client, "default")
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's dev server from the installed binary: the real clock, as in production."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        # Namespaces of their own for tests that run one cycle id more than once.
        dev_server_extra_args=[arg for ns in SPARE_NAMESPACES for arg in ("--namespace", ns)],
    )
    try:
        yield env
    finally:
        await env.shutdown()
