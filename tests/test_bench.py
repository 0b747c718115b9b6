"""Smoke tests of the benchmarks: each one starts and explains itself (they run on demand)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "name",
    [
        "lifecycle",
        "fanout",
        "queries",
        "api_load",
        "memory",
        "reminders",
        "signin_burst",
        "pdf",
        "evidence",
    ],
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


def test_evidence_quick_run_meets_its_targets() -> None:
    """Issue 15's benchmark in small (8 uploads of 1 MB, both stores): every target met."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.evidence", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    verdict = done.stdout.strip().splitlines()[-1]
    assert "folder: 0 errors" in verdict and "database: 0 errors" in verdict, verdict
    assert verdict.count(": met") == 2, verdict
