"""Acting on one commitment: draft, submit, review, sign, report, extend, withdraw."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from domain.calendar import WITA
from domain.catalog import Office, Regency
from domain.commitment import DeadlineKey, ReviewComment
from domain.display import format_date
from domain.plan import ActionPlan
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport
from domain.roles import Acting
from domain.stages import Action
from komitmen.cli.context import Target, UsageError, database, open_target, take, user_for
from komitmen.cli.output import QUARTERS, deadline_label, mark_of, say, stage_label
from services import commitments
from services import schemas as s
from services.access import AuthUser
from services.errors import ActionRefused
from services.settings import Settings


def outcome(target: Target, what: str, result: s.ActionOut) -> None:
    """Print what an accepted action did."""
    say(
        f"{target.label}: {what}; stage: {stage_label(result.stage)} "
        f"(round {result.round}, version {result.version})"
    )


def opened(args: argparse.Namespace, settings: Settings) -> tuple[Target, AuthUser]:
    """The commitment `args` names, still open to action, and the user acting on it."""
    with database(settings) as session:
        return open_target(session, args.cycle_id, args.regency), user_for(session, args.as_user)


def act(
    settings: Settings,
    target: Target,
    user: AuthUser,
    action: Action,
    body: BaseModel,
    what: str | Callable[[s.ActionOut], str],
) -> int:
    """Take `action` with `body` and print what it did (`what`, or `what(result)`)."""
    result = take(settings, target, action, user, body)
    outcome(target, what if isinstance(what, str) else what(result), result)
    return 0


def read_json(path: Path) -> Any:
    """The JSON in a file, or UsageError saying what is wrong with it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    """Save a new version of the action plan (from a file or the sample)."""
    target, user = opened(args, settings)
    if args.sample:
        plan = _sample_plan(target.regency)
    else:
        data = read_json(args.file)
        plan = ActionPlan.model_validate({"items": data} if isinstance(data, list) else data)
    based_on = target.latest_version if args.based_on is None else args.based_on
    body = s.SaveDraftIn(plan=plan, based_on_version=based_on)
    return act(
        settings,
        target,
        user,
        Action.SAVE_DRAFT,
        body,
        lambda result: f"version {result.version} saved with {len(plan.items)} items",
    )


def _sample_plan(regency: Regency) -> ActionPlan:
    from komitmen.demo import sample_plan

    return sample_plan(regency)


def cmd_submit(args: argparse.Namespace, settings: Settings) -> int:
    """Submit a saved version (the latest by default) for review."""
    target, user = opened(args, settings)
    version = args.version or max(target.latest_version, 1)
    what = f"version {version} submitted for review"
    return act(settings, target, user, Action.SUBMIT, s.VersionIn(version=version), what)


def cmd_approve(args: argparse.Namespace, settings: Settings) -> int:
    """Approve the submitted version."""
    target, user = opened(args, settings)
    version = args.version or max(target.latest_version, 1)
    return act(
        settings,
        target,
        user,
        Action.APPROVE,
        s.VersionIn(version=version),
        lambda result: f"version {version} approved, sha256 {result.document_hash}",
    )


ITEM_COMMENT = re.compile(r"^\s*(\d+)\s*:\s*(.*)$", re.DOTALL)


def review_comment(text: str) -> ReviewComment:
    """ "3: text" comments on item 3; anything else on the whole plan."""
    match = ITEM_COMMENT.match(text)
    if match:
        return ReviewComment(item_position=int(match.group(1)), text=match.group(2))
    return ReviewComment(text=text)


def cmd_request_changes(args: argparse.Namespace, settings: Settings) -> int:
    """Send the submitted version back with comments."""
    target, user = opened(args, settings)
    version = args.version or max(target.latest_version, 1)
    comments = tuple(review_comment(text) for text in args.comment)
    body = s.RequestChangesIn(version=version, comments=comments)
    what = f"changes requested on version {version} ({len(comments)} comments)"
    return act(settings, target, user, Action.REQUEST_CHANGES, body, what)


def cmd_sign(args: argparse.Namespace, settings: Settings) -> int:
    """Sign the approved document in the user's office, as their record says they hold it.

    `--acting` only asserts the record's acting status: a different one is refused.
    """
    acting = Acting(args.acting) if args.acting else None
    target, user = opened(args, settings)
    document = target.row.document_hash if target.row else None
    if document is None:
        stage = stage_label(target.row.stage if target.row else None)
        raise ActionRefused(f"no approved document to sign yet (stage: {stage})")
    body = s.SignIn(document_hash=document, acting=acting)

    def signed(result: s.ActionOut) -> str:
        actor = user.actor()
        office = actor.office or "-"
        try:
            title = target.regency.title_of(Office(office), datetime.now(WITA).date())
        except (LookupError, ValueError):
            title = office
        return f"signed by {actor.name} as {mark_of(actor.acting)}{title}, sha256 {document}"

    return act(settings, target, user, Action.SIGN, body, signed)


def cmd_decline(args: argparse.Namespace, settings: Settings) -> int:
    """Decline to sign; the commitment returns to review."""
    target, user = opened(args, settings)
    body = s.ReasonIn(reason=args.reason)
    return act(settings, target, user, Action.DECLINE, body, "signature declined")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Submit a quarterly progress report (from a file or one line per approved item).

    With `--sample-status`, every item gets the same status, percent, budget realised
    (`--realised-rp`), obstacles and follow-up; a file gives each item its own.
    """
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        user = user_for(session, args.as_user)
        approved = target.row.approved_version if target.row else None
        count = len(commitments.version_items(session, target.ref, approved)) if approved else 0
    if args.file:
        data = read_json(args.file)
        if isinstance(data, list):
            data = {"items": data}
        if isinstance(data, dict):
            data.setdefault("quarter", args.quarter)
            if data["quarter"] != args.quarter:
                raise UsageError(
                    f"{args.file} reports quarter {data['quarter']}, not {args.quarter}"
                )
        report = QuarterlyReport.model_validate(data)
    else:
        if not count:
            raise ActionRefused("no approved plan to report on yet")
        status = ProgressStatus(args.sample_status)
        report = QuarterlyReport(
            quarter=args.quarter,
            items=tuple(
                ItemProgress(
                    item_position=n,
                    status=status,
                    percent_realised=args.percent,
                    realised_rp=args.realised_rp,
                    obstacles=args.obstacles,
                    follow_up=args.follow_up,
                )
                for n in range(1, count + 1)
            ),
        )
    body = s.SubmitReportIn(quarter=report.quarter, items=report.items)
    what = f"Triwulan {QUARTERS[args.quarter]} report submitted ({len(report.items)} items)"
    return act(settings, target, user, Action.SUBMIT_REPORT, body, what)


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Verify a submitted quarterly report."""
    target, user = opened(args, settings)
    body = s.QuarterIn(quarter=args.quarter)
    what = f"Triwulan {QUARTERS[args.quarter]} report verified"
    return act(settings, target, user, Action.VERIFY_REPORT, body, what)


def cmd_return_report(args: argparse.Namespace, settings: Settings) -> int:
    """Return a quarterly report for correction."""
    target, user = opened(args, settings)
    body = s.ReturnReportIn(quarter=args.quarter, reason=args.reason)
    what = f"Triwulan {QUARTERS[args.quarter]} report returned"
    return act(settings, target, user, Action.RETURN_REPORT, body, what)


def cmd_extend(args: argparse.Namespace, settings: Settings) -> int:
    """Extend one deadline of one commitment."""
    target, user = opened(args, settings)
    body = s.ExtendIn(key=DeadlineKey(args.deadline), until=args.until, reason=args.reason)
    what = f"{deadline_label(args.deadline)} diperpanjang sampai {format_date(args.until)}"
    return act(settings, target, user, Action.EXTEND_DEADLINE, body, what)


def cmd_withdraw(args: argparse.Namespace, settings: Settings) -> int:
    """Withdraw a regency from the cycle."""
    target, user = opened(args, settings)
    body = s.WithdrawIn(reason=args.reason)
    return act(settings, target, user, Action.WITHDRAW, body, "withdrawn")
