"""The Temporal worker process: workflows plus the activities that do their I/O."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.mail import mailer_for
from activities.notify import Notifier
from activities.records import Recorder
from activities.rendering import MailRenderer
from db.session import session_factory
from domain.catalog import load_catalog
from komitmen.settings import Settings
from workflows.commitment import CommitmentWorkflow
from workflows.cycle import CycleWorkflow

WORKFLOWS = [CycleWorkflow, CommitmentWorkflow]


def build_worker(client: Client, settings: Settings, *, task_queue: str | None = None) -> Worker:
    """A worker for Komitmen's workflows and activities as the settings configure them."""
    sessions = session_factory(settings.db_url)
    recorder = Recorder(sessions, load_catalog())
    mailer = mailer_for(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_starttls,
        settings.outbox,
    )
    notifier = Notifier(sessions, mailer, MailRenderer(), settings.mail_from)
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=[
            recorder.record_event,
            recorder.record_cycle_event,
            notifier.send_reminders,
            notifier.send_change_notice,
            notifier.send_status_notice,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_cached_workflows=settings.workflow_cache_size,
    )
