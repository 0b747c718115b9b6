"""A photo's copies are made by one run of the worker while they are asked for again; the
workflow that makes them replays its recorded history (`evidence_histories/`). (An
attachment of a photo whose copies exist shares them without asking: tests/api/test_evidence.)

`KOMITMEN_RECORD_HISTORIES=1` writes the history again from this run.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

from temporalio import activity
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from services.evidence import derive
from services.settings import Settings
from workflows.evidence import EvidenceWorkflow

HISTORY = Path(__file__).parent / "evidence_histories" / "v1" / "evidence.json"
PHOTO = "ab" * 32


async def test_a_photo_is_derived_once_however_often_it_is_asked_for(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    made: list[str] = []
    release = asyncio.Event()

    @activity.defn(name="derive_evidence")
    async def derive_evidence(sha256: str) -> bool:
        made.append(sha256)
        await release.wait()  # still making the copies while the others ask
        return True

    queue = f"evidence-{uuid.uuid4().hex[:8]}"
    settings = Settings(temporal_task_queue=queue)
    client = time_skipping_env.client
    async with Worker(
        client, task_queue=queue, workflows=[EvidenceWorkflow], activities=[derive_evidence]
    ):
        # The same photo attached to two items, and once more by a retried request, while
        # its copies are being made: one run makes them.
        await asyncio.gather(*(derive(client, settings, PHOTO) for _ in range(3)))
        handle = client.get_workflow_handle(f"evidence:{PHOTO}")
        while not made:
            await asyncio.sleep(0.01)
        release.set()
        assert await handle.result() is True
        assert made == [PHOTO]
        if os.environ.get("KOMITMEN_RECORD_HISTORIES"):
            history = await handle.fetch_history()
            HISTORY.parent.mkdir(parents=True, exist_ok=True)
            HISTORY.write_text(json.dumps(history.to_json_dict(), indent=1))


async def test_the_recorded_history_replays() -> None:
    history = WorkflowHistory.from_json("evidence", HISTORY.read_text())
    replayer = Replayer(workflows=[EvidenceWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
