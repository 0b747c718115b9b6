"""Names and search attributes shared by the workflows, the worker and the clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from temporalio.common import RetryPolicy, SearchAttributeKey
from temporalio.exceptions import ApplicationError

from domain.errors import TransitionRefused

CYCLE = SearchAttributeKey.for_keyword("Cycle")
REGENCY = SearchAttributeKey.for_keyword("RegencyCode")
STAGE = SearchAttributeKey.for_keyword("Stage")
NEXT_DUE = SearchAttributeKey.for_datetime("NextDue")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
SEARCH_ATTRIBUTES = (CYCLE, REGENCY, STAGE, NEXT_DUE, OVERDUE)

# Activities touch a database and a mail server that may be away for a while: retry
# with backoff for as long as it takes rather than fail a year-long workflow. There is
# no attempt limit and no overall timeout; the interval doubles from 1 s up to the cap,
# so work resumes at most five minutes after a server returns while an outage costs
# twelve attempts an hour. Temporal's time-skipping test server skips the backoff too:
# a simulated day of outage is some 290 attempts per waiting activity.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["ValidationError"],
)
ACTIVITY_TIMEOUT = timedelta(minutes=2)

MAIL_HEARTBEAT_TIMEOUT = timedelta(minutes=1)
"""How long a mail activity may go without a heartbeat before another attempt takes over.

The mail activities (activities/notify.py) heartbeat after each message, so this is
how soon a dead or stuck worker is noticed and its batch carried on elsewhere. It is
twice the mail server's socket timeout (`SmtpMailer.timeout`, 30 s), so one slow reply
from a live server does not end an attempt that is still sending. The worker sends
heartbeats at most every 0.8 of this, which is also how soon a running attempt learns
it was cancelled.
"""

MAIL_TIMEOUT = timedelta(hours=1)
"""How long one attempt of a mail activity may take, heartbeating all the way.

Liveness is the heartbeat's job, so this only has to outlast the largest batch: a
reminder to 30,000 people took 5 minutes on two busy cores (bench/reminders.py), and
an hour is room for ten times that on a slower mail server. An attempt cut short is
retried and resumes from its last heartbeat, skipping what was sent. There is no
schedule-to-close timeout, as for every activity (see ACTIVITY_RETRY): mail waits out
an outage.
"""


def cycle_workflow_id(cycle_id: str) -> str:
    """The workflow id of a cycle."""
    return f"cycle:{cycle_id}"


def commitment_workflow_id(commitment_id: str) -> str:
    """The workflow id of a commitment, from its id `<cycle>:<regency code>`."""
    return f"commitment:{commitment_id}"


def refusal_error(refused: TransitionRefused) -> ApplicationError:
    """A refusal as the update's failure: the English reason, and the code and parameters
    in its details, so that each door words it in its reader's language."""
    return ApplicationError(
        refused.reason,
        {"code": refused.code, "params": refused.params},
        type="TransitionRefused",
        non_retryable=True,
    )


@contextmanager
def refusing() -> Iterator[None]:
    """Turn a domain refusal inside an update validator into the update's failure."""
    try:
        yield
    except TransitionRefused as refused:
        raise refusal_error(refused) from None
