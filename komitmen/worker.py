"""The Temporal worker process: workflows plus the activities that do their I/O."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.evidence import Deriver
from activities.notify import Notifier
from activities.record_and_tell import RecordAndTell
from activities.records import Recorder
from db.session import session_factory
from domain.catalog import Catalog, load_catalog
from mailing.rendering import MailRenderer
from services.commitment_starter import CommitmentStarter
from services.evidence import store_of
from services.mailer import transport
from services.settings import Settings
from workflows.commitment import CommitmentWorkflow
from workflows.cycle import CycleWorkflow
from workflows.evidence import EvidenceWorkflow

WORKFLOWS = [CycleWorkflow, CommitmentWorkflow, EvidenceWorkflow]
# A worker asked to stop lets running activities finish for this long (they record an
# event or send one message: seconds), so a rolling restart hands little to retries.
GRACEFUL_SHUTDOWN = timedelta(seconds=10)
SWITCH_INTERVAL_SECONDS = 0.0005
"""How long a thread of `komitmen worker` may hold the GIL while another waits (Python's
default is 5 ms).

An activity that records a change runs in a thread of its own and gives up the GIL at
each of its SQL statements and its commit (about eight), while workflow tasks keep the
interpreter busy; at 5 ms a turn, taking it back cost a record up to 40 ms of waiting
for 2 of work. A shorter turn brought the mean `record_event` from 41 to 24 ms and a
workflow task with it from 91 to 60 ms (bench/lifecycle.py). Set by the worker process
alone, not by `komitmen up`, whose API shares the process.
"""


def workflow_runner(package: str) -> SandboxedWorkflowRunner:
    """Temporal's sandbox, with the package that defines the workflows passed through.

    The sandbox imports a workflow's module afresh for every workflow it starts, which
    for Komitmen's (pydantic models, a dozen handlers) cost more CPU than anything else
    in starting a commitment (bench/fanout.py, bench/lifecycle.py). Passed through, the
    module is imported once. That is safe because the workflow modules, like the
    `domain` package they were already passing through, hold no state of their own
    and reach the clock and randomness only through `workflow`; the stored histories
    of every version replay in CI (tests/workflows/test_replay.py).
    """
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(package)
    )


def build_worker(
    client: Client,
    settings: Settings,
    *,
    task_queue: str | None = None,
    catalog: Catalog | None = None,
) -> Worker:
    """A worker for Komitmen's workflows and activities as the settings configure them.

    `catalog` replaces the packaged one (a benchmark's synthetic regencies).
    """
    sessions = session_factory(settings.db_url)
    recorder = Recorder(sessions, catalog or load_catalog())
    mailer = transport(settings)
    deriver = Deriver(sessions, store_of(settings, sessions))
    starter = CommitmentStarter(client)
    notifier = Notifier(
        sessions, mailer, MailRenderer(), settings.mail_from, public_url=settings.public_base_url
    )
    telling = RecordAndTell(recorder, notifier)
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=[
            recorder.record_event,
            telling.record_and_tell,
            recorder.record_cycle_event,
            starter.start_commitments,
            notifier.send_reminders,
            notifier.send_change_notice,
            notifier.send_status_notice,
            notifier.send_turn_notice,
            deriver.derive_evidence,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_cached_workflows=settings.workflow_cache_size,
        workflow_runner=workflow_runner("workflows"),
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )
