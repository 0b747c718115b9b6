"""One regency's commitment: what it holds (reads) and what people do to it (actions).

Reads come from the database. Every action is a Workflow Update sent with an actor
built from the authenticated user; the workflow's validator refuses invalid moves
(409 with its reason). A regency user reaches only their own regency (403).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from api.deps import (
    CommitmentDep,
    CommitmentRef,
    CurrentUser,
    OpenCommitmentDep,
    SessionDep,
    TemporalDep,
)
from api.errors import NotFound
from api.idempotency import Idempotency, IdempotencyDep
from api.schemas import (
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
from db import models as m
from db import repository
from domain import commitment as c
from domain.reports import QuarterlyReport
from domain.stages import Action
from komitmen import actions

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
    return views(VersionOut, repository.list_versions(session, commitment_id=ref.id))


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
    return views(CommentOut, repository.list_comments(session, commitment_id=ref.id))


@router.get("/signatures")
def list_signatures(ref: CommitmentDep, session: SessionDep) -> list[SignatureOut]:
    """Signatures in the order given, with acting status and document hash."""
    return views(SignatureOut, repository.list_signatures(session, commitment_id=ref.id))


@router.get("/reports")
def list_reports(ref: CommitmentDep, session: SessionDep) -> list[ReportOut]:
    """Quarterly reports by quarter."""
    return views(ReportOut, repository.list_reports(session, commitment_id=ref.id))


@router.get("/audit")
def list_audit(ref: CommitmentDep, session: SessionDep) -> list[AuditOut]:
    """The commitment's audit trail, in order."""
    return views(AuditOut, repository.list_audit(session, cycle_id=ref.cycle_id, stream=ref.id))


@router.get("/reminders")
def list_reminders(ref: CommitmentDep, session: SessionDep) -> list[ReminderOut]:
    """Reminders, escalations and notices sent about the commitment."""
    rows = repository.list_reminders(session, cycle_id=ref.cycle_id)
    return views(ReminderOut, [r for r in rows if r.commitment_id == ref.id])


def _items(session: Any, ref: CommitmentRef, number: int) -> list[m.ActionItem]:
    items = list(repository.version_items(session, commitment_id=ref.id, number=number))
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


async def _act(
    client: Any, ref: CommitmentRef, action: Action, request: BaseModel, idem: Idempotency
) -> ActionOut:
    async def send(update_id: str | None) -> ActionOut:
        result = await actions.act(client, ref.id, action.value, request, update_id=update_id)
        return ActionOut(
            commitment_id=ref.id,
            seq=result.seq,
            stage=result.stage.value,
            version=result.version,
            round=result.round,
            document_hash=result.document_hash,
        )

    return await idem.run(request, send)


@router.post("/save-draft")
async def save_draft(
    body: SaveDraftIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Save a new version of the action plan (regency officer)."""
    request = c.SaveDraft(
        actor=user.actor(), plan=body.plan, based_on_version=body.based_on_version
    )
    return await _act(client, ref, Action.SAVE_DRAFT, request, idem)


@router.post("/submit")
async def submit(
    body: VersionIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Submit the latest saved version for review (regency officer)."""
    request = c.Submit(actor=user.actor(), version=body.version)
    return await _act(client, ref, Action.SUBMIT, request, idem)


@router.post("/approve")
async def approve(
    body: VersionIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Approve the submitted version (reviewer)."""
    request = c.Approve(actor=user.actor(), version=body.version)
    return await _act(client, ref, Action.APPROVE, request, idem)


@router.post("/request-changes")
async def request_changes(
    body: RequestChangesIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Send the submitted version back for a new round, with comments (reviewer)."""
    request = c.RequestChanges(actor=user.actor(), version=body.version, comments=body.comments)
    return await _act(client, ref, Action.REQUEST_CHANGES, request, idem)


@router.post("/sign")
async def sign(
    body: SignIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Sign the approved document in the user's office (signatory)."""
    request = c.Sign(actor=user.actor(body.acting), document_hash=body.document_hash)
    return await _act(client, ref, Action.SIGN, request, idem)


@router.post("/decline")
async def decline(
    body: ReasonIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Decline to sign, sending the commitment back to review (signatory)."""
    request = c.Decline(actor=user.actor(), reason=body.reason)
    return await _act(client, ref, Action.DECLINE, request, idem)


@router.post("/reports")
async def submit_report(
    body: SubmitReportIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Report a quarter's progress (regency officer)."""
    report = QuarterlyReport(quarter=body.quarter, items=body.items)
    request = c.SubmitReport(actor=user.actor(), report=report)
    return await _act(client, ref, Action.SUBMIT_REPORT, request, idem)


@router.post("/reports/verify")
async def verify_report(
    body: QuarterIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Verify a submitted quarterly report (reviewer)."""
    request = c.VerifyReport(actor=user.actor(), quarter=body.quarter)
    return await _act(client, ref, Action.VERIFY_REPORT, request, idem)


@router.post("/reports/return")
async def return_report(
    body: ReturnReportIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Return a quarterly report for correction before its lock (reviewer)."""
    request = c.ReturnReport(actor=user.actor(), quarter=body.quarter, reason=body.reason)
    return await _act(client, ref, Action.RETURN_REPORT, request, idem)


@router.post("/extend")
async def extend_deadline(
    body: ExtendIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Move one deadline later; its reminders move with it (coordinator)."""
    request = c.ExtendDeadline(
        actor=user.actor(), key=body.key, until=body.until, reason=body.reason
    )
    return await _act(client, ref, Action.EXTEND_DEADLINE, request, idem)


@router.post("/withdraw")
async def withdraw(
    body: WithdrawIn,
    ref: OpenCommitmentDep,
    user: CurrentUser,
    client: TemporalDep,
    idem: IdempotencyDep,
) -> ActionOut:
    """Withdraw the regency from the cycle (coordinator)."""
    request = c.Withdraw(actor=user.actor(), reason=body.reason)
    return await _act(client, ref, Action.WITHDRAW, request, idem)
