"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import ListOpenWorkflowExecutionsRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
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


@pytest.fixture(scope="session")
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server from the installed binary (no download)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    try:
        await register_search_attributes(env.client, "default")
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def own_time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, for a test that leaves the server slow to
    skip afterwards (a mail outage's hours of retried activities), so later tests share
    a server that skips at full speed."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(BIN / "temporal-test-server"),
    )
    try:
        await register_search_attributes(env.client, "default")
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def time_skipping_env(
    time_skipping_server: WorkflowEnvironment,
) -> AsyncIterator[WorkflowEnvironment]:
    """The shared time-skipping server, left with nothing running when the test ends.

    The server skips time only while no workflow waits on a worker: one a test leaves
    open (a cycle it started but did not stop, a test that failed half-way) would stall
    the clock of every later test, so whatever is still open is terminated here.
    """
    yield time_skipping_server
    await terminate_open_workflows(time_skipping_server.client)


async def terminate_open_workflows(client: Client) -> None:
    """Terminate every open workflow of the default namespace (the test server lists them
    with ListOpenWorkflowExecutions; it has no visibility queries)."""
    service = client.workflow_service
    for _ in range(10):  # a bound: the list shrinks by each page terminated
        listed = await service.list_open_workflow_executions(
            ListOpenWorkflowExecutionsRequest(namespace=client.namespace, maximum_page_size=1000)
        )
        if not listed.executions:
            return
        for execution in listed.executions:
            handle = client.get_workflow_handle(
                execution.execution.workflow_id, run_id=execution.execution.run_id
            )
            with contextlib.suppress(RPCError):  # it ended meanwhile
                await handle.terminate("the test ended")


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
