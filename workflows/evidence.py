"""The workflow that makes a photo's thumbnail and phone copy, once per file.

Started by the services when a photo is attached (id `evidence:<sha256>`, so the same
photo attached twice is derived once), it runs one activity, retried until the worker
can read the photo; the request that attached the photo never waits for it.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.common import ACTIVITY_RETRY, ACTIVITY_TIMEOUT

DERIVE_EVIDENCE = "derive_evidence"
"""The activity (`activities.evidence.Deriver.derive_evidence`), by name."""


@workflow.defn(name="EvidenceWorkflow")
class EvidenceWorkflow:
    """Derive the copies of one photo."""

    @workflow.run
    async def run(self, sha256: str) -> bool:
        """Make the thumbnail and phone copy of the photo kept under `sha256`."""
        made: bool = await workflow.execute_activity(
            DERIVE_EVIDENCE,
            sha256,
            result_type=bool,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )
        return made
