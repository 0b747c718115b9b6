"""Starting a cycle's commitment workflows with the client, as an activity of the cycle."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from workflows.commitment import CommitmentWorkflow
from workflows.cycle import CommitmentLaunch, CommitmentStarts, commitment_launch

STARTS_AT_ONCE = 10
"""Start requests one activity has in flight: enough to keep the server busy, while a
national cycle's batches, running together, still queue at the server by the dozen
rather than by the hundred."""


class CommitmentStarter:
    """Starts commitment workflows for the cycle (`CycleWorkflow`, START_BY_ACTIVITY)."""

    def __init__(self, client: Client) -> None:
        """Hold the worker's client."""
        self.client = client

    @activity.defn(name="start_commitments")
    async def start_commitments(self, starts: CommitmentStarts) -> int:
        """Start a batch's commitments; how many were new (a retry finds some started)."""
        gate = asyncio.Semaphore(STARTS_AT_ONCE)

        async def start(launch: CommitmentLaunch) -> bool:
            async with gate:
                try:
                    await self.client.start_workflow(
                        CommitmentWorkflow.run,
                        launch.input,
                        id=launch.workflow_id,
                        task_queue=starts.task_queue,
                        # As the cycle started its children: an id is used once, ever.
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        search_attributes=launch.search_attributes,
                    )
                except WorkflowAlreadyStartedError:
                    # An earlier attempt of this activity started it: that is success.
                    return False
                return True

        launches = [
            commitment_launch(starts.spec, regency, starts.started_at)
            for regency in starts.spec.regencies
        ]
        started = await asyncio.gather(*(start(launch) for launch in launches))
        return sum(started)
