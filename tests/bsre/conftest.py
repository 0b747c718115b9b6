"""Fixtures for the TTE tests: the BSrE stand-in running, and a client of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.tte import BsreClient
from tests.bsre.fixture import RunningBsre, running_bsre


@pytest.fixture
async def bsre(tmp_path: Path) -> AsyncIterator[RunningBsre]:
    """The BSrE stand-in on a free loopback port, with no users yet."""
    async with running_bsre(tmp_path) as service:
        yield service


@pytest.fixture
async def client(bsre: RunningBsre) -> AsyncIterator[BsreClient]:
    """A BsreClient of the running stand-in, with its service account."""
    async with BsreClient(
        bsre.url, bsre.username, bsre.password, timeout_seconds=10
    ) as bsre_client:
        yield bsre_client
