"""What a commitment shows in Temporal's visibility (`temporal workflow list --query ...`).

Runs since `ALL_CHANGES` keep `Stage` and `Overdue` current and no longer `NextDue`; one that
finds `NextDue` shown, as a child of an older cycle starts with it, unsets it at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from temporalio.common import TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from domain import commitment as c
from domain.catalog import load_catalog
from domain.schedule import default_schedule
from domain.stages import Stage
from komitmen.demo import sample_plan
from services import actions
from tests.harness import running_komitmen
from workflows.commitment import CommitmentWorkflow
from workflows.common import NEXT_DUE, OVERDUE, STAGE, commitment_workflow_id
from workflows.cycle import commitment_launch

KUPANG, SIKKA = "53.01", "53.10"


async def _shown(
    env: WorkflowEnvironment, workflow_id: str, until: Callable[[TypedSearchAttributes], bool]
) -> TypedSearchAttributes:
    """The workflow's search attributes once `until` holds (visibility lags a little)."""
    handle = env.client.get_workflow_handle(workflow_id)
    for _ in range(100):
        shown = (await handle.describe()).typed_search_attributes
        if until(shown):
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workflow_id} shows {shown}")


async def test_stage_is_kept_current_and_next_due_is_not_shown(
    dev_server_env: WorkflowEnvironment, db_url: str
) -> None:
    env = dev_server_env
    year = datetime.now(UTC).year + 1
    cycle_id = f"visible-{uuid.uuid4().hex[:8]}"
    async with running_komitmen(env.client, db_url) as k:
        await k.start(cycle_id, year, default_schedule(year), codes=[KUPANG])
        kupang = commitment_workflow_id(f"{cycle_id}:{KUPANG}")
        shown = await _shown(env, kupang, lambda s: s.get(STAGE) == Stage.DRAFTING.value)
        assert shown.get(OVERDUE) is False
        assert shown.get(NEXT_DUE) is None

        officer = k.actor("operator-5301")
        regency = load_catalog().get(KUPANG)
        saved = await k.act(
            KUPANG,
            CommitmentWorkflow.save_draft,
            c.SaveDraft(actor=officer, plan=sample_plan(regency), based_on_version=0),
        )
        submit = c.Submit(actor=officer, version=saved.version)
        await k.act(KUPANG, CommitmentWorkflow.submit, submit)
        shown = await _shown(env, kupang, lambda s: s.get(STAGE) == Stage.REVIEW.value)
        assert shown.get(NEXT_DUE) is None

        # A commitment started as an older cycle's child shows its first deadline; this
        # code does not keep it, so the run's first upsert takes it away.
        spec = actions.build_cycle_spec(
            cycle_id=cycle_id,
            name=f"Rakor PB NTT {year - 1}",
            year=year,
            catalog=load_catalog(),
            schedule=default_schedule(year),
            started_by=k.actor("koordinator"),
            regency_codes=[KUPANG, SIKKA],
        )
        sikka = next(r for r in spec.regencies if r.code == SIKKA)
        launch = commitment_launch(spec, sikka, datetime.now(UTC), next_due=True)
        assert launch.search_attributes.get(NEXT_DUE) is not None
        handle: Any = await env.client.start_workflow(
            CommitmentWorkflow.run,
            launch.input,
            id=launch.workflow_id,
            task_queue=k.task_queue,
            search_attributes=launch.search_attributes,
        )
        k.started[f"{cycle_id}-sikka"] = ()
        try:
            shown = await _shown(env, handle.id, lambda s: s.get(NEXT_DUE) is None)
            assert shown.get(STAGE) == Stage.DRAFTING.value
        finally:
            await handle.terminate("test finished")
