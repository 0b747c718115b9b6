"""One regency's commitment page, and the forms people act through on it.

The page shows items, the diff between versions, review comments, signatures,
quarterly reports and the audit trail, with the forms the signed-in user may use
now (the transition table in `domain.stages` decides which). Each form POSTs to
`.../page/<action>` with the session's CSRF token; the action goes to the workflow
as the same Update the API sends. Success redirects back to the page
(post/redirect/get) with a notice; bad input shows the form again with each
field's error (422) and what was typed; a refusal by the workflow shows its
reason (409). Nothing is written unless the workflow accepts the action.

Coordinators extend deadlines and withdraw regencies on their own pages
(`api.pages.cycles`); these forms cover the regency's and the reviewer's work.

Each form is read into the same request body the JSON API validates
(`services.schemas`, through `services.actions.STEPS`), so a page and the API accept
and refuse the same input; a bad field is shown next to its input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from temporalio.client import Client

from api import security
from api.deps import CycleId, RuntimeDep, SessionDep, TemporalDep
from api.pages import attachments, forms, i18n
from api.pages.base import (
    LangCookie,
    Page,
    SessionCookie,
    SignedInDep,
    page_for,
    refusal_words,
    scoped_commitment,
    to_login,
)
from domain.calendar import WITA
from domain.display import Language
from domain.outcomes import references
from domain.plan import LEGACY_BUDGET_SOURCES, BudgetSource
from domain.refusals import refusal_text
from domain.reports import ProgressStatus, ReportState
from domain.stages import Action, Stage
from services import access, actions, commitments, documents, evidence, item_details, signing
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.database import transaction
from services.errors import ActionRefused, Conflict, FieldRefused, OutOfScope
from services.offices import office_title
from services.runtime import Runtime
from services.schemas import (
    QuarterIn,
    ReasonIn,
    RequestChangesIn,
    ReturnReportIn,
    SaveDraftIn,
    SignIn,
    SubmitReportIn,
    VersionIn,
)

router = APIRouter(include_in_schema=False)

PAGE = "/cycles/{cycle_id}/commitments/{regency_code}/page"
_M = TypeVar("_M", bound=BaseModel)


def render_commitment(
    page: Page,
    session: Session,
    user: AuthUser,
    ref: CommitmentRef,
    *,
    status_code: int = 200,
    diff: tuple[int | None, int | None] = (None, None),
    notice: str | None = None,
    refusal: str | None = None,
    errors: dict[str, str] | None = None,
    editor_rows: list[forms.ItemRow] | None = None,
    typed: forms.Fields | None = None,
    evidence_refused: dict[int, list[str]] | None = None,
) -> Response:
    """The commitment page with its forms; `errors`/`typed` show a rejected form again, and
    `evidence_refused` each refused file by its item."""
    record = commitments.read_commitment(session, ref)
    row = record.row
    by_item: dict[int | None, list[Any]] = defaultdict(list)
    for comment in record.comments:
        by_item[comment.item_position].append(comment)
    # The comments of the latest change request are open while the officer answers them;
    # once a revised version is submitted they are answered and fold away like older ones.
    open_round = row.round - 1 if row.stage == Stage.DRAFTING.value and row.round > 1 else None
    if editor_rows is None:
        editor_rows = forms.rows_from_items(record.items, page.lang)
    filled, spare = forms.with_spare_rows(editor_rows)
    # A returned report comes back into its form as recorded, to be corrected there;
    # what was just typed into a rejected form wins over it.
    returned: forms.Fields = {}
    missing: dict[int, str] = {}
    for report in record.reports:
        if report.state == ReportState.RETURNED.value and report.quarter in record.open_quarters:
            returned = forms.report_fields(report.quarter, report.items, page.lang)
            missing = attachments.missing_notes(report.return_reason)
    shown = {**returned, **(typed or {})}
    # The report form lists the evidence of the quarter it reports on.
    chosen_quarter = (shown.get("quarter") or [""])[0]
    evidence_quarter = (
        int(chosen_quarter)
        if chosen_quarter.isdigit() and int(chosen_quarter) in record.open_quarters
        else (record.open_quarters[0] if record.open_quarters else 0)
    )
    settings = page.request.app.state.runtime.settings
    page_base = f"/cycles/{row.cycle_id}/commitments/{row.regency_code}/page/"
    tte = [t for t in record.tte if t.document_hash == row.document_hash]
    documents_path = f"/cycles/{row.cycle_id}/commitments/{row.regency_code}/document"
    return page.render(
        "commitment.html",
        status_code=status_code,
        user=user,
        row=row,
        items=record.items,
        comments=by_item,
        open_round=open_round,
        open_comments=sum(1 for c in record.comments if c.round == open_round),
        signatures=record.signatures,
        signatories=signatories(session, record),
        ordered_signing=bool(_spec(record).get("ordered_signing")),
        reports=record.reports,
        audit=record.audit,
        revising=row.round > 1,
        versions=record.versions,
        diff=_diff(session, ref, diff),
        round_diff=_round_diff(session, ref, record),
        can=commitments.available_actions(record, user),
        actions=Action,
        notice=notice,
        refusal=refusal,
        errors=errors or {},
        error_links=error_links(errors or {}, page.lang),
        typed=shown,
        editor_rows=filled,
        spare_rows=spare,
        approved=record.approved,
        approved_by_position={i.position: i for i in record.approved},
        open_quarters=record.open_quarters,
        waiting=record.waiting_reports,
        progress_statuses=list(ProgressStatus),
        signature_method=record.signature_method,
        tte=tte,
        retrying_tte=any(signing.retrying(page.request.app.state.runtime, t) for t in tte),
        w=documents.WORDS[page.lang],
        document_html=documents_path if row.approved_version and row.document_hash else None,
        document_pdf=f"{documents_path}.pdf",
        joint_document=f"/cycles/{row.cycle_id}/document",
        max_scan_mb=settings.max_scan_bytes // (1024 * 1024),
        evidence=attachments.views(
            evidence.listing(session, ref), page_base, page.lang, settings.evidence_flag_km
        ),
        evidence_quarter=evidence_quarter,
        evidence_refused=evidence_refused or {},
        evidence_missing=missing,
        evidence_max_mb=settings.evidence_max_file_bytes // (1024 * 1024),
        # The editor's newer fields (`api.pages.forms`, docs/outcomes.md).
        refs=references(),
        dw=item_details.WORDS[page.lang],
        target_fields=forms.TARGET_FIELDS,
        carried_fields=forms.CARRIED_FIELDS,
        legacy_sources=[s.value for s in LEGACY_BUDGET_SOURCES],
        default_source=_default_source(row.regency_code),
        realised_share=forms.realised_share,
    )


def _default_source(regency_code: str) -> str:
    """The source of funds a new action starts with: the regency's own APBD, or the
    province's for the province's own plan."""
    own = BudgetSource.APBD_PROVINSI if "." not in regency_code else BudgetSource.APBD_KABKOTA
    return own.value


def _spec(record: commitments.CommitmentRecord) -> dict[str, Any]:
    return record.cycle.spec if record.cycle is not None else {}


@dataclass(frozen=True)
class Signatory:
    """An office that signs the approved plan: its title, and its signature once given."""

    office: str
    title: str
    signature: Any | None
    signs_next: bool


def signatories(session: Session, record: commitments.CommitmentRecord) -> list[Signatory]:
    """The offices that sign the approved plan, in the cycle's order, signed or not yet.

    Titles of offices still to sign are the ones in force today (WITA); a signature
    keeps the title it was given under.
    """
    row = record.row
    if not row.document_hash:
        return []
    spec = _spec(record)
    offices: list[str] = list(spec.get("signatories", ()))
    signed = {s.office: s for s in record.signatures if s.document_hash == row.document_hash}
    pending = [office for office in offices if office not in signed]
    today = datetime.now(WITA).date()
    found = []
    for office in offices:
        signature = signed.get(office)
        if signature is not None:
            title = signature.title
        else:
            title = office_title(session, row.regency_code, office, today)
        # Only an ordered cycle has a next signatory; otherwise any pending office may sign.
        next_one = bool(spec.get("ordered_signing")) and bool(pending) and pending[0] == office
        found.append(Signatory(office, title, signature, next_one))
    return found


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: the field it links to, what it is, what is wrong."""

    anchor: str
    label: str
    message: str


# Fields that are not a single input: where the summary sends the reader instead.
_ANCHORS = {"items": "form-save_draft", "version": "actions", "document_hash": "form-sign"}
_LABELS = {
    "comment-general": "general_comments",
    "confirm": "confirm_read",
    "items": "items",
    "version": "version",
    "document_hash": "document_hash",
    "quarter": "quarter",
    "reason": "reason",
    "nik": "nik",
    "passphrase": "passphrase",
    "scan": "sign_wet",
}
_PROGRESS_WORDS = {
    "status": "state",
    "percent_realised": "percent_realised",
    "narrative": "narrative",
    "realised_rp": "realised_rp",
    "obstacles": "obstacles",
    "follow_up": "follow_up",
    "evidence": "evidence",
}


def error_links(errors: dict[str, str], lang: Language) -> list[ErrorLink]:
    """The error summary of a rejected form: each wrong field, linked by its id."""
    text = i18n.TEXT[lang]
    links = []
    for name, message in errors.items():
        parts = name.split("-", 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[0] in ("item", "progress"):
            words = i18n.FIELD_WORDS if parts[0] == "item" else _PROGRESS_WORDS
            row_label = text["action_no" if parts[0] == "item" else "report_action_no"]
            kind = forms.field_kind(parts[2]) if parts[0] == "item" else parts[2]
            field_label = text.get(words.get(kind, ""), parts[2])
            label = f"{row_label.format(n=parts[1])} · {field_label}"
        else:
            label = text.get(_LABELS.get(name, ""), name)
        links.append(ErrorLink(_ANCHORS.get(name, name), label, message))
    return links


def _round_diff(
    session: Session, ref: CommitmentRef, record: commitments.CommitmentRecord
) -> dict[str, Any] | None:
    """What changed since the version the reviewer last sent back, for the next review."""
    reviewed = [c.version for c in record.comments]
    latest = record.row.latest_version
    if not reviewed or max(reviewed) >= latest:
        return None
    older = max(reviewed)
    found = commitments.diff(session, ref, older, latest)
    return {"from": older, "to": latest, "changes": found.changes}


def _diff(
    session: Session, ref: CommitmentRef, chosen: tuple[int | None, int | None]
) -> dict[str, Any] | None:
    """The changes between two versions: by default the latest against the one before."""
    latest = ref.recorded().latest_version
    if latest < 2:
        return None
    older, newer = chosen
    newer = newer if newer and 1 <= newer <= latest else latest
    older = older if older and 1 <= older < newer else newer - 1
    found = commitments.diff(session, ref, older, newer)
    return {"from": older, "to": newer, "changes": found.changes}


@router.get(PAGE, response_class=HTMLResponse)
def commitment_page(
    cycle_id: CycleId,
    regency_code: str,
    who: SignedInDep,
    session: SessionDep,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
    done: Annotated[Action | None, Query()] = None,
) -> Response:
    """One regency's commitment: items, diff, comments, signatures, reports, history, forms."""
    ref = who.commitment(session, cycle_id, regency_code)
    notice = i18n.ACTION_DONE[who.page.lang][done] if done is not None else None
    return render_commitment(
        who.page, session, who.user, ref, diff=(from_version, to_version), notice=notice
    )


@dataclass(frozen=True)
class _Form:
    """A submitted form and what it acts on."""

    fields: forms.Fields
    ref: CommitmentRef
    session: Session
    lang: Language

    def read(
        self,
        model: type[_M],
        *names: str,
        form_names: dict[str, str] | None = None,
        **values: Any,
    ) -> _M:
        """The named fields and `values` as the body model; FormInvalid names the wrong fields.

        `form_names` maps a body field to the form field it is typed in, when they differ.
        """
        renamed = form_names or {}
        data = {name: forms.first(self.fields, renamed.get(name, name)) for name in names}
        try:
            result: _M = forms.model_or_invalid(model, {**data, **values}, self.lang)
            return result
        except forms.FormInvalid as invalid:
            raise forms.FormInvalid(
                {renamed.get(name, name): error for name, error in invalid.errors.items()}
            ) from None

    def version(self) -> int:
        """The version the form names."""
        return self.read(VersionIn, "version").version

    def positions(self, version: int | None) -> list[int]:
        """The item positions of a version of the commitment's plan."""
        items = commitments.items_of(self.session, self.ref, version or 0)
        return [i.position for i in items]


def _save_draft(f: _Form) -> BaseModel:
    rows = forms.rows_from_fields(f.fields)
    plan = forms.plan_from_rows(rows, f.lang)
    # Checked again when the request is made; here the refusal goes next to its field.
    try:
        actions.check_villages(plan, f.ref.regency_code)
    except FieldRefused as refused:
        field = forms.item_field(rows, refused.path[1:], f.lang)
        words = refusal_text(refused.code or "", refused.params, f.lang)
        raise forms.FormInvalid({field: words}) from None
    return f.read(
        SaveDraftIn, "based_on_version", form_names={"based_on_version": "version"}, plan=plan
    )


def _request_changes(f: _Form) -> BaseModel:
    version = f.version()
    comments = forms.comments_from_fields(f.fields, f.positions(version), f.lang)
    return f.read(RequestChangesIn, version=version, comments=comments)


def _sign(f: _Form) -> BaseModel:
    # Both the confirmation and the hash are named at once, so one retry fixes both.
    errors: dict[str, str] = {}
    try:
        forms.require_confirmation(bool(forms.first(f.fields, forms.CONFIRM)), f.lang)
    except forms.FormInvalid as unconfirmed:
        errors.update(unconfirmed.errors)
    try:
        body = f.read(SignIn, "document_hash")
    except forms.FormInvalid as invalid:
        errors.update(invalid.errors)
    if errors:
        raise forms.FormInvalid(errors)
    return body


def _submit_report(f: _Form) -> BaseModel:
    quarter = f.read(QuarterIn, "quarter").quarter
    positions = f.positions(f.ref.recorded().approved_version)
    report = forms.report_from_fields(f.fields, quarter, positions, f.lang)
    return f.read(SubmitReportIn, quarter=quarter, items=report.items)


def _return_report(f: _Form) -> BaseModel:
    # What evidence is missing is typed per item; the workflow takes one reason.
    quarter = f.read(QuarterIn, "quarter").quarter
    positions = f.positions(f.ref.recorded().approved_version)
    reason = attachments.compose_reason(
        forms.first(f.fields, "reason"), f.fields, positions, f.lang
    )
    return f.read(ReturnReportIn, quarter=quarter, reason=reason)


BODIES: dict[Action, Callable[[_Form], BaseModel]] = {
    Action.SAVE_DRAFT: _save_draft,
    Action.SUBMIT: lambda f: f.read(VersionIn, "version"),
    Action.APPROVE: lambda f: f.read(VersionIn, "version"),
    Action.REQUEST_CHANGES: _request_changes,
    # The acting status is the signer's own on record: the form offers no choice; the
    # signer ticks that they read the plan shown above the form and agree with it.
    Action.SIGN: _sign,
    Action.DECLINE: lambda f: f.read(ReasonIn, "reason"),
    Action.SUBMIT_REPORT: _submit_report,
    Action.VERIFY_REPORT: lambda f: f.read(QuarterIn, "quarter"),
    Action.RETURN_REPORT: _return_report,
}
"""How each page action reads its form into the body the JSON API takes for it."""


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
    """Take one action from a page form, through the commitment's workflow.

    The report form also carries evidence files: they are attached first; "Upload
    evidence" (`intent=upload`) then shows the form again as typed, and a refused file
    stops the report from being sent, named next to its item.
    """
    page = page_for(request, None, lang_cookie)
    submitted = await request.form(max_files=attachments.MAX_CHOSEN)
    fields = forms.text_fields(submitted.multi_items())
    with transaction(runtime.sessions) as session:
        user = access.user_for_token(session, token, runtime.clock())
        if user is None:
            return to_login(request)
        if not security.same_secret(page.csrf, forms.first(fields, "csrf")):
            return page.error(user, 403, "form_expired", "")
        ref = scoped_commitment(page, session, user, cycle_id, regency_code)
        chosen = next((a for a in BODIES if a.value == action), None)
        if chosen is None:
            return page.error(user, 404, "not_found", action)
    if chosen is Action.SUBMIT_REPORT:
        files = attachments.chosen_files(submitted)
        uploading = forms.first(fields, "intent") == "upload"
        if files or uploading:
            answer = await attach_chosen(page, runtime, client, user, ref, fields, files)
            if answer is not None or uploading:
                return answer or shown_again(page, runtime, user, ref, fields)
    # Short transactions only: the workflow's activities write while the update runs.
    with transaction(runtime.sessions) as session:
        ref = scoped_commitment(page, session, user, cycle_id, regency_code)
        try:
            ref.ensure_open()
            body = BODIES[chosen](_Form(fields, ref, session, page.lang))
            workflow_request = actions.request_for(
                chosen,
                user,
                body,
                attached=evidence.attached_for(session, ref, body),
                regency_code=ref.regency_code,
            )
        except OutOfScope as refused:
            return page.error(user, 403, "forbidden", refusal_words(page, refused))
        except Conflict as ended:
            return _again(
                page, session, user, ref, fields, chosen, refusal=refusal_words(page, ended)
            )
        except forms.FormInvalid as invalid:
            return _again(page, session, user, ref, fields, chosen, errors=invalid.errors)
    try:
        await actions.take(client, ref, chosen, workflow_request)
    except ActionRefused as refused:
        with transaction(runtime.sessions) as session:
            fresh = commitments.find_commitment(session, user, cycle_id, regency_code)
            words = refusal_words(page, refused)
            return _again(page, session, user, fresh, fields, chosen, refusal=words)
    target = request.url.path.rsplit("/", 1)[0]
    return RedirectResponse(f"{target}?done={chosen.value}", status_code=303)


def _again(
    page: Page,
    session: Session,
    user: AuthUser,
    ref: CommitmentRef,
    fields: forms.Fields,
    action: Action,
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
        ref,
        status_code=422 if errors else 409,
        refusal=refusal,
        errors=errors,
        editor_rows=rows,
        typed=fields,
    )


async def attach_chosen(
    page: Page,
    runtime: Runtime,
    client: Client,
    user: AuthUser,
    ref: CommitmentRef,
    fields: forms.Fields,
    files: list[tuple[int, UploadFile]],
) -> Response | None:
    """Attach the files chosen in the report form; the page again if any was refused (422,
    each named next to its item, everything typed kept), else None."""
    try:
        quarter = forms.model_or_invalid(
            QuarterIn, {"quarter": forms.first(fields, "quarter")}, page.lang
        ).quarter
        kept, refused = await attachments.store_chosen(
            runtime, client, page, user, ref, quarter, files
        )
    except forms.FormInvalid as invalid:
        return shown_again(page, runtime, user, ref, fields, errors=invalid.errors)
    except OutOfScope as refused_person:
        return page.error(user, 403, "forbidden", refusal_words(page, refused_person))
    if refused:
        return shown_again(page, runtime, user, ref, fields, refused=refused)
    if kept:
        page.request.state.evidence_kept = kept
    return None


def shown_again(
    page: Page,
    runtime: Runtime,
    user: AuthUser,
    ref: CommitmentRef,
    fields: forms.Fields,
    *,
    errors: dict[str, str] | None = None,
    refused: dict[int, list[str]] | None = None,
    notice: str | None = None,
) -> Response:
    """The report form again as typed, with the evidence now attached: 422 when a file or a
    field was refused, else 200 with a notice (nothing of the report is sent)."""
    kept = getattr(page.request.state, "evidence_kept", 0)
    if notice is None and kept:
        notice = i18n.TEXT[page.lang]["evidence_uploaded"].format(n=kept)
    with transaction(runtime.sessions) as session:
        fresh = scoped_commitment(page, session, user, ref.cycle_id, ref.regency_code)
        return render_commitment(
            page,
            session,
            user,
            fresh,
            status_code=422 if errors or refused else 200,
            notice=notice,
            errors=errors,
            typed=fields,
            evidence_refused=refused,
        )
