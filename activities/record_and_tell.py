"""One local activity per action: record the change, then tell whoever's turn it made it.

Recording (`Recorder.record_event`) and the first attempt at the turn notice
(`Notifier.send_turn_notice`) used to be two local activities in a row, each a marker in
the history, a payload through the SDK and a workflow activation of its own, after every
action a turn passes with (bench/lifecycle.py). Done in one, an action costs one.

The record commits before the notice is tried, so mail never holds the database. A
failure to record fails the activity (retried as any recording is; a retry finds the
change recorded and goes on to the notice); a failure or a slow mail server only ends
the notice's attempt (`NOTICE_BUDGET`), and the answer says so: the workflow then hands
the notice to its mail queue, whose ordinary activity waits an outage out. Each message
is claimed once in `reminder_sent`, so a notice tried twice is still sent once.
"""

from __future__ import annotations

import asyncio
import logging

from pydantic import BaseModel
from temporalio import activity

from activities.notify import Notifier, TurnNotice
from activities.records import Recorder
from domain.commitment import Event

log = logging.getLogger(__name__)

NOTICE_BUDGET = 5.0
"""Seconds the notice may take before the mail queue is left to send it."""


class RecordWithNotice(BaseModel):
    """A change to record, and the turn notice to send once it is recorded."""

    event: Event
    notice: TurnNotice


class RecordAndTell:
    """The recorder and the notifier of one worker, as one local activity."""

    def __init__(self, recorder: Recorder, notifier: Notifier) -> None:
        self.recorder = recorder
        self.notifier = notifier

    @activity.defn(name="record_and_tell")
    async def record_and_tell(self, job: RecordWithNotice) -> bool:
        """Record the change; whether its notice was sent too (False: it is still owed)."""
        await asyncio.to_thread(self.recorder.record_event, job.event)
        try:
            await asyncio.wait_for(self.notifier.send_turn_notice(job.notice), NOTICE_BUDGET)
        except Exception:  # the mail server is away or slow; the mail queue takes over
            log.warning(
                "turn notice of %s #%d not sent now; the mail queue will send it",
                job.notice.commitment_id,
                job.notice.event_seq,
                exc_info=True,
            )
            return False
        return True
