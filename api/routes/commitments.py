"""One regency's commitment: what it holds (reads) and what people do to it (actions).

Reads come from the database. Every action is a Workflow Update sent with an actor
built from the authenticated user; the workflow's validator refuses invalid moves
(409 with its reason). A regency user reaches only their own regency (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel
from temporalio.client import Client

from api.deps import (
    AuthUser,
    CommitmentDep,
    CommitmentRef,
    CurrentUser,
    OpenCommitmentDep,
    SessionDep,
    TemporalDep,
)
from api.errors import NotFound
from api.idempotency import Idempotency, IdempotencyDep
from db import mail, reads
from db import models as m
from domain import commitment as c
from domain.reports import QuarterlyReport
from domain.stages import Action
from services import actions
from services.schemas import (
    MAX_NUMBER,
    ActionOut,
    AuditOut,
    CommentOut,
    CommitmentOut,
    DiffOut,
    ExtendIn,
    ItemChange,
    ItemOut,
    QuarterIn,
    ReasonIn,
    ReminderOut,
    ReportOut,
    RequestChangesIn,
    ReturnReportIn,
    SaveDraftIn,
    SignatureOut,
    SignIn,
    SubmitReportIn,
    VersionIn,
    VersionOut,
    WithdrawIn,
    commitment_view,
    views,
)

router = APIRouter(prefix="/cycles/{cycle_id}/commitments/{regency_code}", tags=["commitments"])

# --- reads ------------------------------------------------------------------------------


@router.get("")
def get_commitment(ref: CommitmentDep) -> CommitmentOut:
    """The commitment: stage, round, versions, approved document and deadlines."""
    assert ref.row is not None
    return commitment_view(ref.row)


@router.get("/versions")
def list_versions(ref: CommitmentDep, session: SessionDep) -> list[VersionOut]:
    """Every saved version, oldest first."""
    return views(VersionOut, reads.list_versions(session, commitment_id=ref.id))


@router.get("/versions/{number}/items")
def version_items(
    ref: CommitmentDep,
    number: Annotated[int, Path(ge=1, le=MAX_NUMBER)],
    session: SessionDep,
) -> list[ItemOut]:
    """The action items of one version, in order."""
    return views(ItemOut, _items(session, ref, number))


@router.get("/diff")
def diff_versions(
    ref: CommitmentDep,
    session: SessionDep,
    from_version: Annotated[
        int, Query(alias="from", ge=1, le=MAX_NUMBER, description="the older version")
    ],
    to_version: Annotated[
        int, Query(alias="to", ge=1, le=MAX_NUMBER, description="the newer version")
    ],
) -> DiffOut:
    """What changed between two versions, item by item."""
    old = {i.position: ItemOut.model_validate(i) for i in _items(session, ref, from_version)}
    new = {i.position: ItemOut.model_validate(i) for i in _items(session, ref, to_version)}
    return DiffOut(from_version=from_version, to_version=to_version, changes=item_changes(old, new))


@router.get("/comments")
def list_comments(ref: CommitmentDep, session: SessionDep) -> list[CommentOut]:
    """Review comments, oldest first."""
    return views(CommentOut, reads.list_comments(session, commitment_id=ref.id))


@router.get("/signatures")
def list_signatures(ref: CommitmentDep, session: SessionDep) -> list[SignatureOut]:
    """Signatures in the order given, with acting status and document hash."""
    return views(SignatureOut, reads.list_signatures(session, commitment_id=ref.id))


@router.get("/reports")
def list_reports(ref: CommitmentDep, session: SessionDep) -> list[ReportOut]:
    """Quarterly reports by quarter."""
    return views(ReportOut, reads.list_reports(session, commitment_id=ref.id))


@router.get("/audit")
def list_audit(ref: CommitmentDep, session: SessionDep) -> list[AuditOut]:
    """The commitment's audit trail, in order."""
    return views(AuditOut, reads.list_audit(session, cycle_id=ref.cycle_id, stream=ref.id))


@router.get("/reminders")
def list_reminders(ref: CommitmentDep, session: SessionDep) -> list[ReminderOut]:
    """Reminders, escalations and notices sent about the commitment."""
    rows = mail.list_reminders(session, cycle_id=ref.cycle_id)
    return views(ReminderOut, [r for r in rows if r.commitment_id == ref.id])


def _items(session: Any, ref: CommitmentRef, number: int) -> list[m.ActionItem]:
    items = list(reads.version_items(session, commitment_id=ref.id, number=number))
    if not items:
        raise NotFound(f"commitment {ref.id} has no version {number}")
    return items


_COMPARED = [f for f in ItemOut.model_fields if f != "position"]


def item_changes(old: dict[int, ItemOut], new: dict[int, ItemOut]) -> list[ItemChange]:
    """Items added, removed or changed between two versions, matched by position."""
    changes: list[ItemChange] = []
    for position in sorted(old.keys() | new.keys()):
        before, after = old.get(position), new.get(position)
        if before is None:
            changes.append(ItemChange(position=position, change="added"))
        elif after is None:
            changes.append(ItemChange(position=position, change="removed"))
        else:
            fields = {
                f: (getattr(before, f), getattr(after, f))
                for f in _COMPARED
                if getattr(before, f) != getattr(after, f)
            }
            if fields:
                changes.append(ItemChange(position=position, change="changed", fields=fields))
    return changes


# --- actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionContext:
    """What every action route needs: the open commitment in scope, who acts, Temporal,
    and the request's Idempotency-Key."""

    ref: CommitmentRef
    user: AuthUser
    client: Client
    idem: Idempotency

    async def send(self, action: Action, request: BaseModel) -> ActionOut:
        """Send the action to the commitment's workflow once per Idempotency-Key."""

        async def send_once(update_id: str | None) -> ActionOut:
            result = await actions.act(
                self.client, self.ref.id, action.value, request, update_id=update_id
            )
            return ActionOut(
                commitment_id=self.ref.id,
                seq=result.seq,
                stage=result.stage.value,
                version=result.version,
                round=result.round,
                document_hash=result.document_hash,
            )

        return await self.idem.run(request, send_once)


def action_context(
    ref: OpenCommitmentDep, user: CurrentUser, client: TemporalDep, idem: IdempotencyDep
) -> ActionContext:
    """The context of one action request."""
    return ActionContext(ref=ref, user=user, client=client, idem=idem)


ActionDep = Annotated[ActionContext, Depends(action_context)]


@router.post("/save-draft")
async def save_draft(
    body: SaveDraftIn,
    ctx: ActionDep,
) -> ActionOut:
    """Save a new version of the action plan (regency officer)."""
    request = c.SaveDraft(
        actor=ctx.user.actor(), plan=body.plan, based_on_version=body.based_on_version
    )
    return await ctx.send(Action.SAVE_DRAFT, request)


@router.post("/submit")
async def submit(
    body: VersionIn,
    ctx: ActionDep,
) -> ActionOut:
    """Submit the latest saved version for review (regency officer)."""
    request = c.Submit(actor=ctx.user.actor(), version=body.version)
    return await ctx.send(Action.SUBMIT, request)


@router.post("/approve")
async def approve(
    body: VersionIn,
    ctx: ActionDep,
) -> ActionOut:
    """Approve the submitted version (reviewer)."""
    request = c.Approve(actor=ctx.user.actor(), version=body.version)
    return await ctx.send(Action.APPROVE, request)


@router.post("/request-changes")
async def request_changes(
    body: RequestChangesIn,
    ctx: ActionDep,
) -> ActionOut:
    """Send the submitted version back for a new round, with comments (reviewer)."""
    request = c.RequestChanges(actor=ctx.user.actor(), version=body.version, comments=body.comments)
    return await ctx.send(Action.REQUEST_CHANGES, request)


@router.post("/sign")
async def sign(
    body: SignIn,
    ctx: ActionDep,
) -> ActionOut:
    """Sign the approved document in the user's office (signatory)."""
    request = c.Sign(actor=ctx.user.actor(body.acting), document_hash=body.document_hash)
    return await ctx.send(Action.SIGN, request)


@router.post("/decline")
async def decline(
    body: ReasonIn,
    ctx: ActionDep,
) -> ActionOut:
    """Decline to sign, sending the commitment back to review (signatory)."""
    request = c.Decline(actor=ctx.user.actor(), reason=body.reason)
    return await ctx.send(Action.DECLINE, request)


@router.post("/reports")
async def submit_report(
    body: SubmitReportIn,
    ctx: ActionDep,
) -> ActionOut:
    """Report a quarter's progress (regency officer)."""
    report = QuarterlyReport(quarter=body.quarter, items=body.items)
    request = c.SubmitReport(actor=ctx.user.actor(), report=report)
    return await ctx.send(Action.SUBMIT_REPORT, request)


@router.post("/reports/verify")
async def verify_report(
    body: QuarterIn,
    ctx: ActionDep,
) -> ActionOut:
    """Verify a submitted quarterly report (reviewer)."""
    request = c.VerifyReport(actor=ctx.user.actor(), quarter=body.quarter)
    return await ctx.send(Action.VERIFY_REPORT, request)


@router.post("/reports/return")
async def return_report(
    body: ReturnReportIn,
    ctx: ActionDep,
) -> ActionOut:
    """Return a quarterly report for correction before its lock (reviewer)."""
    request = c.ReturnReport(actor=ctx.user.actor(), quarter=body.quarter, reason=body.reason)
    return await ctx.send(Action.RETURN_REPORT, request)


@router.post("/extend")
async def extend_deadline(
    body: ExtendIn,
    ctx: ActionDep,
) -> ActionOut:
    """Move one deadline later; its reminders move with it (coordinator)."""
    request = c.ExtendDeadline(
        actor=ctx.user.actor(), key=body.key, until=body.until, reason=body.reason
    )
    return await ctx.send(Action.EXTEND_DEADLINE, request)


@router.post("/withdraw")
async def withdraw(
    body: WithdrawIn,
    ctx: ActionDep,
) -> ActionOut:
    """Withdraw the regency from the cycle (coordinator)."""
    request = c.Withdraw(actor=ctx.user.actor(), reason=body.reason)
    return await ctx.send(Action.WITHDRAW, request)
