"""Whose turn an action makes it: the people who must act next, told at once.

When work passes to someone (a plan submitted to the reviewers, an approved plan to the
offices that sign it, a report to verify, a report to correct), they get one message
about it straight away, besides the reminders that come near the deadline. This module
decides, from the event a commitment just recorded and its state after it, what kind of
turn that was and whom it concerns; the notifier resolves the audiences to people, in
their language, and leaves out whoever acted.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.commitment import Audience, CommitmentState, Event
from domain.stages import Action


class TurnKind(StrEnum):
    """What happened that passes the work on."""

    SUBMITTED = "submitted"
    """The officer submitted a version: the reviewers review it."""
    CHANGES_REQUESTED = "changes_requested"
    """The reviewer sent it back: the officers revise (told by the change notice)."""
    APPROVED = "approved"
    """The reviewer approved it: the offices that sign (all pending, or the first in order)."""
    SIGNED = "signed"
    """An office signed in ordered signing: the next office signs."""
    DECLINED = "declined"
    """An office declined to sign: the reviewers review again; the officers are told."""
    FULLY_SIGNED = "fully_signed"
    """The last office signed: the officers report each quarter; the coordinator is told."""
    REPORT_SUBMITTED = "report_submitted"
    """The officer submitted a quarter's report: the reviewers verify it."""
    REPORT_RETURNED = "report_returned"
    """The reviewer returned a report: the officers correct it before the lock."""
    REPORT_VERIFIED = "report_verified"
    """The reviewer verified a report: the officers are told it is done."""


class Turn(BaseModel):
    """Who gets the turn message of one event: audiences, and for signatories which offices."""

    model_config = ConfigDict(frozen=True)

    kind: TurnKind
    audiences: tuple[Audience, ...]
    offices: tuple[str, ...] = ()
    """The offices told, with `Audience.SIGNATORY`; empty otherwise."""


def _next_to_sign(state: CommitmentState) -> tuple[str, ...]:
    """The offices that may sign now: every pending one, or only the first in ordered signing."""
    pending = state.pending_offices
    return pending[:1] if state.spec.ordered_signing else pending


def turn_after(event: Event, state: CommitmentState) -> Turn | None:
    """The turn `event` passes on, judged by the state after it; None if it passes none.

    Saving a draft, extending a deadline, withdrawing and timed events pass no turn (their
    people hear of deadlines through reminders and escalations); a signature passes one
    only when it was the last, or when the next office in a fixed order may now sign.
    """
    match event.action:
        case Action.SUBMIT:
            return Turn(kind=TurnKind.SUBMITTED, audiences=(Audience.REVIEWER,))
        case Action.REQUEST_CHANGES:
            return Turn(kind=TurnKind.CHANGES_REQUESTED, audiences=(Audience.REGENCY_OFFICER,))
        case Action.APPROVE:
            return Turn(
                kind=TurnKind.APPROVED,
                audiences=(Audience.SIGNATORY,),
                offices=_next_to_sign(state),
            )
        case Action.SIGN if not state.pending_offices:
            return Turn(
                kind=TurnKind.FULLY_SIGNED,
                audiences=(Audience.REGENCY_OFFICER, Audience.COORDINATOR),
            )
        case Action.SIGN if state.spec.ordered_signing:
            return Turn(
                kind=TurnKind.SIGNED, audiences=(Audience.SIGNATORY,), offices=_next_to_sign(state)
            )
        case Action.DECLINE:
            return Turn(
                kind=TurnKind.DECLINED, audiences=(Audience.REVIEWER, Audience.REGENCY_OFFICER)
            )
        case Action.SUBMIT_REPORT:
            return Turn(kind=TurnKind.REPORT_SUBMITTED, audiences=(Audience.REVIEWER,))
        case Action.RETURN_REPORT:
            return Turn(kind=TurnKind.REPORT_RETURNED, audiences=(Audience.REGENCY_OFFICER,))
        case Action.VERIFY_REPORT:
            return Turn(kind=TurnKind.REPORT_VERIFIED, audiences=(Audience.REGENCY_OFFICER,))
    return None


def page_path(cycle_id: str, regency_code: str) -> str:
    """The path of a commitment's page, which every mail about it links to.

    The same as the app's route (`api/pages/commitment.py`, PAGE); mail prefixes it with
    the public address (`KOMITMEN_PUBLIC_URL`). Cycle ids and regency codes are URL-safe.
    """
    return f"/cycles/{cycle_id}/commitments/{regency_code}/page"
