"""The cycle's `start_commitments` activity: what it starts; a retry starts nothing twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from domain.catalog import load_catalog
from domain.roles import Actor, Role
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from services.actions import build_cycle_spec
from services.commitment_starter import CommitmentStarter
from workflows.common import CYCLE, NEXT_DUE, OVERDUE, REGENCY, STAGE
from workflows.cycle import CommitmentStarts, batches, commitment_launch


async def test_a_batch_starts_each_commitment_once_as_the_cycle_started_its_children(
    dev_server_env: WorkflowEnvironment,
) -> None:
    client = dev_server_env.client
    year = datetime.now(UTC).year + 1
    cycle_id = f"starter-{uuid.uuid4().hex[:8]}"
    spec = build_cycle_spec(
        cycle_id=cycle_id,
        name="Rakor PB NTT",
        year=year,
        catalog=load_catalog(),
        schedule=default_schedule(year),
        started_by=Actor(name="Koordinator", role=Role.COORDINATOR),
        regency_codes=["53.01", "53.02", "53.03"],
    )
    now = datetime.now(UTC)
    # A queue nobody polls: the commitments are started and wait there.
    starts = CommitmentStarts(spec=spec, started_at=now, task_queue=f"idle-{cycle_id}")
    starter = ActivityEnvironment().run(CommitmentStarter(client).start_commitments, starts)
    assert await starter == 3
    # A retry of the same batch (an attempt cut short after its starts) starts none again.
    again = ActivityEnvironment().run(CommitmentStarter(client).start_commitments, starts)
    assert await again == 0
    try:
        for regency in spec.regencies:
            launch = commitment_launch(spec, regency, now)
            described = await client.get_workflow_handle(launch.workflow_id).describe()
            assert described.workflow_type == "CommitmentWorkflow"
            assert described.task_queue == f"idle-{cycle_id}"
            assert described.parent_id is None
            shown = described.typed_search_attributes
            assert shown.get(CYCLE) == cycle_id
            assert shown.get(REGENCY) == regency.code
            assert shown.get(STAGE) == "drafting"
            assert shown.get(OVERDUE) is False
            # Commitments started since ALL_CHANGES do not keep NextDue, so it is not shown.
            assert shown.get(NEXT_DUE) is None
    finally:
        for regency in spec.regencies:
            launch = commitment_launch(spec, regency, now)
            await client.get_workflow_handle(launch.workflow_id).terminate("test over")


def test_batches_cut_the_spec_with_each_regencys_carried_items() -> None:
    year = datetime.now(UTC).year + 1
    spec = build_cycle_spec(
        cycle_id="rakor-batches",
        name="Rakor PB NTT",
        year=year,
        catalog=load_catalog(),
        schedule=default_schedule(year),
        started_by=Actor(name="Koordinator", role=Role.COORDINATOR),
    )
    items = sample_plan(load_catalog().get("53.01")).items
    spec = spec.model_copy(
        update={"carry_from": "rakor-lama", "carried": {"53.01": items, "53.71": items[:1]}}
    )
    cuts = batches(spec, size=10)
    assert [len(cut.regencies) for cut in cuts] == [10, 10, 2]
    assert [r for cut in cuts for r in cut.regencies] == list(spec.regencies)
    assert all(cut.cycle_id == spec.cycle_id and cut.schedule == spec.schedule for cut in cuts)
    # Each batch carries its own regencies' items, so each commitment starts as it would have.
    assert [set(cut.carried) for cut in cuts] == [{"53.01"}, set(), {"53.71"}]
    for cut in cuts:
        for regency in cut.regencies:
            assert cut.commitment_spec(regency) == spec.commitment_spec(regency)
