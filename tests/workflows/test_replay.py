"""Replay stored histories against today's workflow code.

The histories under `histories/` were recorded from the year scenario
(`KOMITMEN_RECORD_HISTORIES=1 pytest tests/workflows/test_year.py`). If a change
to a workflow would take a different path on replay, this test fails: such a
change needs `workflow.patched` (see the README) before it may land.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.commitment import CommitmentWorkflow
from workflows.cycle import CycleWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_present() -> None:
    assert {p.stem for p in HISTORIES} >= {
        "cycle",
        "commitment-change-request",
        "commitment-decline",
    }


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=[CycleWorkflow, CommitmentWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
