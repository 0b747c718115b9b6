"""One regency's commitment page, and the forms people act through on it.

The page shows items, the diff between versions, review comments, signatures,
quarterly reports and the audit trail, with the forms the signed-in user may use
now (the transition table in `domain.stages` decides which). Each form POSTs to
`.../page/<action>` with the session's CSRF token; the action goes to the workflow
as the same Update the API sends. Success redirects back to the page
(post/redirect/get) with a notice; bad input shows the form again with each
field's error (422) and what was typed; a refusal by the workflow shows its
reason (409). Nothing is written unless the workflow accepts the action.

Coordinators extend deadlines and withdraw regencies through the API or the CLI;
the page forms cover the regency's and the reviewer's work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from temporalio.client import Client

from api import security
from api.deps import AuthUser, CycleId, RuntimeDep, SessionDep, TemporalDep
from api.pages import forms, i18n
from api.pages.routes import (
    LangCookie,
    Page,
    SessionCookie,
    VisitDep,
    _page,
    _session_user,
    _to_login,
    scoped_commitment,
)
from api.routes.commitments import item_changes
from db import models as m
from db import reads
from db.session import transaction
from domain import commitment as c
from domain.display import Language
from domain.errors import TransitionRefused
from domain.plan import Text
from domain.reports import ProgressStatus, ReportState
from domain.roles import Acting
from domain.stages import Action, Stage, check_transition
from services import actions
from services.schemas import ItemOut

router = APIRouter(include_in_schema=False)

PAGE = "/cycles/{cycle_id}/commitments/{regency_code}/page"
PAGE_ACTIONS = (
    Action.SAVE_DRAFT,
    Action.SUBMIT,
    Action.APPROVE,
    Action.REQUEST_CHANGES,
    Action.SIGN,
    Action.DECLINE,
    Action.SUBMIT_REPORT,
    Action.VERIFY_REPORT,
    Action.RETURN_REPORT,
)
_M = TypeVar("_M", bound=BaseModel)
_CLOSED_REPORTS = {ReportState.VERIFIED.value, ReportState.MISSING.value}


def available_actions(
    row: m.Commitment, user: AuthUser, signatures: Sequence[m.Signature]
) -> set[Action]:
    """The page actions the transition table lets this user take on the commitment now."""
    stage = Stage(row.stage)
    allowed = set()
    for action in PAGE_ACTIONS:
        try:
            check_transition(stage, action, user.actor(), row.regency_code)
        except TransitionRefused:
            continue
        allowed.add(action)
    if row.latest_version == 0:
        allowed.discard(Action.SUBMIT)
    signed_offices = {s.office for s in signatures if s.document_hash == row.document_hash}
    if user.office is None or user.office in signed_offices:
        allowed -= {Action.SIGN, Action.DECLINE}
    return allowed


def render_commitment(
    page: Page,
    session: Session,
    user: AuthUser,
    row: m.Commitment,
    *,
    status_code: int = 200,
    diff: tuple[int | None, int | None] = (None, None),
    notice: str | None = None,
    refusal: str | None = None,
    errors: dict[str, str] | None = None,
    editor_rows: list[forms.ItemRow] | None = None,
    typed: forms.Fields | None = None,
) -> Response:
    """The commitment page with its forms; `errors`/`typed` show a rejected form again."""
    cid = row.id
    comments: dict[int | None, list[m.ReviewComment]] = defaultdict(list)
    for comment in reads.list_comments(session, commitment_id=cid):
        comments[comment.item_position].append(comment)
    items = list(reads.version_items(session, commitment_id=cid, number=row.latest_version))
    signatures = reads.list_signatures(session, commitment_id=cid)
    reports = reads.list_reports(session, commitment_id=cid)
    approved = (
        list(reads.version_items(session, commitment_id=cid, number=row.approved_version))
        if row.approved_version
        else []
    )
    versions = reads.list_versions(session, commitment_id=cid)
    closed = {r.quarter for r in reports if r.state in _CLOSED_REPORTS}
    if editor_rows is None:
        editor_rows = forms.rows_from_items(items)
    spare = max((r.number for r in editor_rows), default=0) + 1
    return page.render(
        "commitment.html",
        status_code=status_code,
        user=user,
        row=row,
        items=items,
        comments=comments,
        signatures=signatures,
        reports=reports,
        audit=reads.list_audit(session, cycle_id=row.cycle_id, stream=cid),
        revising=row.round > 1,
        versions=versions,
        diff=_diff(session, row, diff),
        can=available_actions(row, user, signatures),
        actions=Action,
        notice=notice,
        refusal=refusal,
        errors=errors or {},
        typed=typed or {},
        editor_rows=[*editor_rows, forms.ItemRow(number=spare)],
        approved=approved,
        open_quarters=[q for q in (1, 2, 3, 4) if q not in closed],
        waiting=[r for r in reports if r.state == ReportState.SUBMITTED.value],
        acting_choices=list(Acting),
        progress_statuses=list(ProgressStatus),
    )


def _diff(
    session: Session, row: m.Commitment, chosen: tuple[int | None, int | None]
) -> dict[str, Any] | None:
    """The changes between two versions: by default the latest against the one before."""
    if row.latest_version < 2:
        return None
    older, newer = chosen
    newer = newer if newer and 1 <= newer <= row.latest_version else row.latest_version
    older = older if older and 1 <= older < newer else newer - 1

    def view(number: int) -> dict[int, ItemOut]:
        found = reads.version_items(session, commitment_id=row.id, number=number)
        return {i.position: ItemOut.model_validate(i) for i in found}

    return {"from": older, "to": newer, "changes": item_changes(view(older), view(newer))}


@router.get(PAGE, response_class=HTMLResponse)
def commitment_page(
    cycle_id: CycleId,
    regency_code: str,
    visit: VisitDep,
    session: SessionDep,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
    done: Annotated[Action | None, Query()] = None,
) -> Response:
    """One regency's commitment: items, diff, comments, signatures, reports, history, forms."""
    if visit.user is None:
        return visit.to_login()
    page, user = visit.page, visit.user
    found = scoped_commitment(page, session, user, cycle_id, regency_code)
    if isinstance(found, Response):
        return found
    _, row = found
    notice = i18n.ACTION_DONE[page.lang][done] if done is not None else None
    return render_commitment(
        page, session, user, row, diff=(from_version, to_version), notice=notice
    )


class _Version(BaseModel):
    version: int


class _Quarter(BaseModel):
    quarter: int


class _Reason(BaseModel):
    reason: Text


class _ReturnForm(_Quarter):
    reason: Text


class _SignForm(BaseModel):
    acting: Acting
    document_hash: str


@dataclass(frozen=True)
class _Form:
    """A submitted form and what it acts on."""

    fields: forms.Fields
    user: AuthUser
    row: m.Commitment
    session: Session
    lang: Language

    def read(self, model: type[_M], *names: str) -> _M:
        """Validate the named fields against a model; FormInvalid names the wrong ones."""
        data = {name: _first(self.fields, name) for name in names}
        result: _M = forms.model_or_invalid(model, data, self.lang)
        return result

    def positions(self, version: int | None) -> list[int]:
        """The item positions of a version of the commitment's plan."""
        items = reads.version_items(self.session, commitment_id=self.row.id, number=version or 0)
        return [i.position for i in items]


def _save_draft(f: _Form) -> BaseModel:
    plan = forms.plan_from_rows(forms.rows_from_fields(f.fields), f.lang)
    based_on = f.read(_Version, "version").version
    return c.SaveDraft(actor=f.user.actor(), plan=plan, based_on_version=based_on)


def _submit(f: _Form) -> BaseModel:
    return c.Submit(actor=f.user.actor(), version=f.read(_Version, "version").version)


def _approve(f: _Form) -> BaseModel:
    return c.Approve(actor=f.user.actor(), version=f.read(_Version, "version").version)


def _request_changes(f: _Form) -> BaseModel:
    version = f.read(_Version, "version").version
    comments = forms.comments_from_fields(f.fields, f.positions(version), f.lang)
    return c.RequestChanges(actor=f.user.actor(), version=version, comments=comments)


def _sign(f: _Form) -> BaseModel:
    form = f.read(_SignForm, "acting", "document_hash")
    return c.Sign(actor=f.user.actor(form.acting), document_hash=form.document_hash)


def _decline(f: _Form) -> BaseModel:
    return c.Decline(actor=f.user.actor(), reason=f.read(_Reason, "reason").reason)


def _submit_report(f: _Form) -> BaseModel:
    quarter = f.read(_Quarter, "quarter").quarter
    positions = f.positions(f.row.approved_version)
    report = forms.report_from_fields(f.fields, quarter, positions, f.lang)
    return c.SubmitReport(actor=f.user.actor(), report=report)


def _verify_report(f: _Form) -> BaseModel:
    return c.VerifyReport(actor=f.user.actor(), quarter=f.read(_Quarter, "quarter").quarter)


def _return_report(f: _Form) -> BaseModel:
    form = f.read(_ReturnForm, "quarter", "reason")
    return c.ReturnReport(actor=f.user.actor(), quarter=form.quarter, reason=form.reason)


BUILDERS: dict[str, Callable[[_Form], BaseModel]] = {
    Action.SAVE_DRAFT: _save_draft,
    Action.SUBMIT: _submit,
    Action.APPROVE: _approve,
    Action.REQUEST_CHANGES: _request_changes,
    Action.SIGN: _sign,
    Action.DECLINE: _decline,
    Action.SUBMIT_REPORT: _submit_report,
    Action.VERIFY_REPORT: _verify_report,
    Action.RETURN_REPORT: _return_report,
}
"""How each page action reads its form into the workflow's request."""


def _first(fields: forms.Fields, name: str) -> str:
    values = fields.get(name) or [""]
    return values[0]


@router.post(PAGE + "/{action}", response_class=HTMLResponse)
async def act_on_page(
    cycle_id: CycleId,
    regency_code: str,
    action: str,
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Take one action from a page form, through the commitment's workflow."""
    page = _page(request, None, lang_cookie)
    submitted = await request.form()
    fields: dict[str, list[str]] = defaultdict(list)
    for name, value in submitted.multi_items():
        if isinstance(value, str):
            fields[name].append(value)
    # Short transactions only: the workflow's activities write while the update runs.
    with transaction(runtime.sessions) as session:
        user = _session_user(session, token)
        if user is None:
            return _to_login(request)
        if not security.same_secret(page.csrf, _first(fields, "csrf")):
            return page.error(user, 403, "form_expired", "")
        found = scoped_commitment(page, session, user, cycle_id, regency_code)
        if isinstance(found, Response):
            return found
        _, row = found
        builder = BUILDERS.get(action)
        if builder is None:
            return page.error(user, 404, "not_found", action)
        if Stage(row.stage).is_terminal:
            ended = f"commitment {row.id} has ended ({row.stage})"
            return _again(page, session, user, row, fields, action, refusal=ended)
        try:
            request_model = builder(_Form(fields, user, row, session, page.lang))
        except forms.FormInvalid as invalid:
            return _again(page, session, user, row, fields, action, errors=invalid.errors)
        commitment_id = row.id
    refusal = await _send(client, commitment_id, action, request_model)
    if refusal is not None:
        with transaction(runtime.sessions) as session:
            fresh = reads.get_commitment(session, commitment_id=commitment_id)
            assert fresh is not None
            return _again(page, session, user, fresh, fields, action, refusal=refusal)
    target = request.url.path.rsplit("/", 1)[0]
    return RedirectResponse(f"{target}?done={action}", status_code=303)


async def _send(client: Client, commitment_id: str, action: str, model: BaseModel) -> str | None:
    """Send the action; the workflow's reason if it refused, None if it was taken."""
    try:
        await actions.act(client, commitment_id, action, model)
    except actions.ActionRefused as refused:
        return refused.reason
    return None


def _again(
    page: Page,
    session: Session,
    user: AuthUser,
    row: m.Commitment,
    fields: forms.Fields,
    action: str,
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
) -> Response:
    """The page again with the rejected form as typed: 422 for bad fields, 409 if refused."""
    rows = forms.rows_from_fields(fields) if action == Action.SAVE_DRAFT else None
    return render_commitment(
        page,
        session,
        user,
        row,
        status_code=422 if errors else 409,
        refusal=refusal,
        errors=errors,
        editor_rows=rows,
        typed=fields,
    )
