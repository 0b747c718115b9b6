"""Replay stored histories against today's workflow code.

The histories under `histories/` were recorded from the year scenario
(`KOMITMEN_RECORD_HISTORIES=1 pytest tests/workflows/test_year.py`). If a change
to a workflow would take a different path on replay, this test fails: such a
change needs `workflow.patched` (see the README) before it may land.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
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


@pytest.mark.parametrize("name", ["commitment-change-request", "commitment-decline"])
def test_a_commitment_continues_as_new_after_a_quarter(name: str) -> None:
    """A year-long commitment starts a fresh history when its first quarter locks."""
    path = Path(__file__).parent / "histories" / f"{name}.json"
    history = WorkflowHistory.from_json(name, path.read_text())
    last = history.events[-1]
    assert last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    locks = [e for e in history.events if b"quarter_locked" in e.SerializeToString()]
    assert locks, "the run ends right after recording its first quarter lock"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=[CycleWorkflow, CommitmentWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
