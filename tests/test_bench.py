"""Smoke tests of the benchmarks: each one starts and explains itself (they run on demand)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "name",
    ["lifecycle", "fanout", "queries", "api_load", "memory", "reminders", "signin_burst", "pdf"],
)
def test_benchmark_explains_itself(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "--quick" in done.stdout
