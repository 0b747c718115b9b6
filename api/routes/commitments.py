"""One regency's commitment: what it holds (reads) and what people do to it (actions).

Reads come from the database through `services.commitments`. Every action is a
Workflow Update sent by `services.actions` with an actor built from the
authenticated user; the workflow's validator refuses invalid moves (409 with its
reason). A regency user reaches only their own regency (403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api.deps import (
    CommitmentDep,
    CurrentUser,
    OpenCommitmentDep,
    RuntimeDep,
    ScopedDep,
    SessionDep,
    TemporalDep,
)
from api.idempotency import Idempotency, IdempotencyKey
from domain.roles import Acting
from domain.stages import Action
from services import actions, commitments, evidence, signing
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.database import transaction
from services.schemas import (
    MAX_NUMBER,
    ActionOut,
    AuditOut,
    CertifiedSignIn,
    CommentOut,
    CommitmentOut,
    DiffOut,
    ExtendIn,
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
    TteRequestOut,
    VersionIn,
    VersionOut,
    WithdrawIn,
    commitment_view,
    views,
)

router = APIRouter(prefix="/cycles/{cycle_id}/commitments/{regency_code}", tags=["commitments"])

# --- reads ------------------------------------------------------------------------------


@router.get("")
async def get_commitment(scoped: ScopedDep) -> CommitmentOut:
    """The commitment: stage, round, versions, approved document and deadlines."""
    # On the event loop: the row was read with the user (`find_scoped_commitment`), and
    # building its view costs less than a hop to a thread. Taken from there rather than
    # through `CommitmentDep`, whose two more dependencies would only pass it along; a
    # commitment never recorded is the same 404.
    return commitment_view(scoped.ref.recorded())


@router.get("/versions")
def list_versions(ref: CommitmentDep, session: SessionDep) -> list[VersionOut]:
    """Every saved version, oldest first."""
    return views(VersionOut, commitments.versions(session, ref))


@router.get("/versions/{number}/items")
def version_items(
    ref: CommitmentDep,
    number: Annotated[int, Path(ge=1, le=MAX_NUMBER)],
    session: SessionDep,
) -> list[ItemOut]:
    """The action items of one version, in order."""
    return views(ItemOut, commitments.version_items(session, ref, number))


@router.get(
    "/versions/{number}/document",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "the exact bytes"}},
)
def version_document(
    ref: CommitmentDep,
    number: Annotated[int, Path(ge=1, le=MAX_NUMBER)],
    session: SessionDep,
) -> Response:
    """The exact bytes this version's `document_hash` is the SHA-256 of (README, "The signed
    document"): `curl ... | sha256sum` prints the hash. Served as stored, never re-encoded."""
    document = commitments.version_document(session, ref, number)
    return Response(
        content=document.content,
        media_type="application/json",
        headers={
            "X-Document-Hash": document.document_hash,
            "X-Document-Format": str(document.document_format),
            "Content-Disposition": (
                f'inline; filename="document-{ref.regency_code}-v{number}.json"'
            ),
        },
    )


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
    return commitments.diff(session, ref, from_version, to_version)


def _listing(
    path: str, view: type[BaseModel], read: Callable[[Session, CommitmentRef], Any], doc: str
) -> None:
    """A route listing one kind of the commitment's records as views."""

    def listing(ref: CommitmentDep, session: SessionDep) -> list[Any]:
        return views(view, read(session, ref))

    listed: Any = list[view]  # type: ignore[valid-type]
    name = "list_" + path.strip("/")
    router.add_api_route(
        path, listing, methods=["GET"], response_model=listed, name=name, description=doc
    )


for _path, _view, _read, _doc in (
    ("/comments", CommentOut, commitments.comments, "Review comments, oldest first."),
    (
        "/signatures",
        SignatureOut,
        commitments.signatures,
        "Signatures in the order given, with acting status and document hash.",
    ),
    ("/reports", ReportOut, commitments.reports, "Quarterly reports by quarter."),
    ("/audit", AuditOut, commitments.audit, "The commitment's audit trail, in order."),
    (
        "/reminders",
        ReminderOut,
        commitments.reminders,
        "Reminders, escalations and notices sent about the commitment.",
    ),
):
    _listing(_path, _view, _read, _doc)


# --- actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionContext:
    """What every action route needs: the open commitment in scope, who acts, Temporal,
    and the request's Idempotency-Key."""

    ref: CommitmentRef
    user: AuthUser
    client: Client
    idem: Idempotency
    sessions: sessionmaker[Session]

    async def send(self, action: Action, body: BaseModel) -> ActionOut:
        """Take the action through the commitment's workflow, once per Idempotency-Key."""
        with transaction(self.sessions) as session:
            attached = evidence.attached_for(session, self.ref, body)
        request = actions.request_for(
            action, self.user, body, attached=attached, regency_code=self.ref.regency_code
        )

        async def send_once(update_id: str | None) -> ActionOut:
            return await actions.take(self.client, self.ref, action, request, update_id=update_id)

        return await self.idem.run(request, send_once)


async def action_context(
    ref: OpenCommitmentDep,
    scoped: ScopedDep,
    client: TemporalDep,
    runtime: RuntimeDep,
    request: Request,
    response: Response,
    key: IdempotencyKey = None,
) -> ActionContext:
    """The context of one action request."""
    # The user found with the commitment (`find_scoped_commitment`), not `CurrentUser`, which
    # would read the token again in a transaction and a thread of its own.
    idem = Idempotency(
        key=key, user_id=scoped.user.id, runtime=runtime, request=request, response=response
    )
    return ActionContext(
        ref=ref, user=scoped.user, client=client, idem=idem, sessions=runtime.sessions
    )


ActionDep = Annotated[ActionContext, Depends(action_context)]


@router.post("/save-draft")
async def save_draft(body: SaveDraftIn, ctx: ActionDep) -> ActionOut:
    """Save a new version of the action plan (regency officer)."""
    return await ctx.send(Action.SAVE_DRAFT, body)


@router.post("/submit")
async def submit(body: VersionIn, ctx: ActionDep) -> ActionOut:
    """Submit the latest saved version for review (regency officer)."""
    return await ctx.send(Action.SUBMIT, body)


@router.post("/approve")
async def approve(body: VersionIn, ctx: ActionDep) -> ActionOut:
    """Approve the submitted version (reviewer)."""
    return await ctx.send(Action.APPROVE, body)


@router.post("/request-changes")
async def request_changes(body: RequestChangesIn, ctx: ActionDep) -> ActionOut:
    """Send the submitted version back for a new round, with comments (reviewer)."""
    return await ctx.send(Action.REQUEST_CHANGES, body)


@router.post("/sign")
async def sign(body: SignIn, ctx: ActionDep) -> ActionOut:
    """Sign the approved document in the user's office (signatory)."""
    return await ctx.send(Action.SIGN, body)


@router.post("/decline")
async def decline(body: ReasonIn, ctx: ActionDep) -> ActionOut:
    """Decline to sign, sending the commitment back to review (signatory)."""
    return await ctx.send(Action.DECLINE, body)


@router.post("/reports")
async def submit_report(body: SubmitReportIn, ctx: ActionDep) -> ActionOut:
    """Report a quarter's progress (regency officer)."""
    return await ctx.send(Action.SUBMIT_REPORT, body)


@router.post("/reports/verify")
async def verify_report(body: QuarterIn, ctx: ActionDep) -> ActionOut:
    """Verify a submitted quarterly report (reviewer)."""
    return await ctx.send(Action.VERIFY_REPORT, body)


@router.post("/reports/return")
async def return_report(body: ReturnReportIn, ctx: ActionDep) -> ActionOut:
    """Return a quarterly report for correction before its lock (reviewer)."""
    return await ctx.send(Action.RETURN_REPORT, body)


@router.post("/extend")
async def extend_deadline(body: ExtendIn, ctx: ActionDep) -> ActionOut:
    """Move one deadline later; its reminders move with it (coordinator)."""
    return await ctx.send(Action.EXTEND_DEADLINE, body)


@router.post("/withdraw")
async def withdraw(body: WithdrawIn, ctx: ActionDep) -> ActionOut:
    """Withdraw the regency from the cycle (coordinator)."""
    return await ctx.send(Action.WITHDRAW, body)


# --- wet and certified signatures (services.signing) ------------------------------------


@router.post("/sign/wet")
async def sign_wet(
    ref: OpenCommitmentDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    client: TemporalDep,
    document_hash: Annotated[str, Form(pattern=r"^[0-9a-f]{64}$")],
    scan: Annotated[UploadFile, File(description="the signed, stamped page(s): PDF, PNG or JPEG")],
    acting: Annotated[Acting | None, Form()] = None,
) -> ActionOut:
    """Sign in a cycle that signs wet: the stamped scan (multipart) is checked by its
    content (413 too large, 415 not a PDF, PNG or JPEG), kept, and its SHA-256 recorded
    with the signature. A repeat after success is refused (409, already signed)."""
    # One byte more than allowed is enough to know it is too large.
    content = await scan.read(runtime.settings.max_scan_bytes + 1)
    body = SignIn(document_hash=document_hash, acting=acting)
    return await signing.sign_wet(
        runtime.sessions, client, runtime.settings, user, ref, body, content
    )


@router.post(
    "/sign/certified",
    responses={202: {"model": TteRequestOut, "description": "waiting for the signing service"}},
)
async def sign_certified(
    ref: OpenCommitmentDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    client: TemporalDep,
    body: CertifiedSignIn,
    response: Response,
) -> TteRequestOut:
    """Sign in a cycle that signs certified (TTE via BSrE): 200 once the signed PDF
    validated and the signature is recorded; 202 while BSrE cannot be reached (the
    request is kept and retried; GET .../sign/certified/{office} tells where it stands);
    422 when BSrE refuses the signatory; 502 when its PDF does not validate."""
    outcome = await signing.sign_certified(runtime.certifier(client), user, ref, body)
    if outcome.status != "signed":
        response.status_code = 202
    return outcome


@router.get("/sign/certified/{office}")
async def certified_status(
    ref: CommitmentDep,
    runtime: RuntimeDep,
    client: TemporalDep,
    office: Annotated[str, Path(max_length=32)],
    document_hash: Annotated[str, Query(pattern=r"^[0-9a-f]{64}$")],
) -> TteRequestOut:
    """Where an office's certified signature on a document stands."""
    return signing.tte_status(runtime.certifier(client), ref, office, document_hash)


@router.get(
    "/signatures/{office}/file",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
def signature_file(
    ref: CommitmentDep, session: SessionDep, office: Annotated[str, Path(max_length=32)]
) -> Response:
    """The stamped scan or certified PDF behind an office's signature on the approved plan."""
    kept = signing.signature_file(session, ref, office)
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    name = f"tanda-tangan-{ref.regency_code}-{office}.{extension.get(kept.media_type, 'bin')}"
    return Response(
        content=kept.content,
        media_type=kept.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": kept.sha256,
        },
    )
