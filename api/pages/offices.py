"""The coordinator's desk of offices: who holds or acts for each regency's offices, by SK,
and the titles and planning agency's name each regency has had since when.

`/offices` lists every regency with who signs for each office today and where no one
does; `/offices/{code}` is one regency: its offices' assignments (record one, end one,
withdraw one recorded by mistake) and its titles (record one from a date on). Every
change is the coordinator's, refused with the reason in the person's language; the
rules are `domain.offices`'s, the work `services.offices`'s.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Path
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import security
from api.deps import RowId, RuntimeDep, SessionDep
from api.pages.base import SignedIn, SignedInDep, refusal_words
from domain.calendar import wita_date
from domain.catalog import Office, load_catalog
from domain.display import acting_mark
from domain.errors import UnknownRegency
from domain.offices import PLANNING_AGENCY, TITLE_KINDS, Assignment
from domain.roles import Acting, Role
from domain.words import NC_, by_language
from services import offices
from services.errors import Refusal

router = APIRouter(include_in_schema=False)

WORDS = by_language(
    {
        "offices": NC_("page.offices", "Officials and titles"),
        "offices_intro": NC_(
            "page.offices_intro",
            "Who signs for each office today, by decree (SK). Once an office has an "
            "assignment, only assignments decide who signs for it.",
        ),
        "today": NC_("page.offices_today", "Signs today"),
        "nobody": NC_("page.offices_nobody", "No one"),
        "by_account": NC_("page.offices_by_account", "not assigned yet (by account)"),
        "gap": NC_("page.offices_gap", "No one from {start} to {end}"),
        "assignments": NC_("page.offices_assignments", "Assignments"),
        "person": NC_("page.offices_person", "Person"),
        "office": NC_("page.offices_office", "Office"),
        "acting": NC_("page.offices_acting", "As"),
        "sk": NC_("page.offices_sk", "Decree (SK) number"),
        "from": NC_("page.offices_from", "From"),
        "until": NC_("page.offices_until", "Until (empty: open-ended)"),
        "until_short": NC_("page.offices_until_short", "Until"),
        "own_title": NC_("page.offices_own_title", "Own title (for a.n. only)"),
        "open": NC_("page.offices_open", "open-ended"),
        "since_start": NC_("page.offices_since_start", "since before records"),
        "assign": NC_("page.offices_assign", "Record an assignment"),
        "assign_button": NC_("page.offices_assign_button", "Record assignment"),
        "end": NC_("page.offices_end", "End on"),
        "end_button": NC_("page.offices_end_button", "End"),
        "withdraw_button": NC_("page.offices_withdraw_button", "Withdraw (recorded by mistake)"),
        "titles": NC_("page.offices_titles", "Titles and planning agency"),
        "titles_intro": NC_(
            "page.offices_titles_intro",
            "A title holds from its date until a later one; documents print the title that "
            "held on the day they were signed.",
        ),
        "kind": NC_("page.offices_kind", "What"),
        "title": NC_("page.offices_title", "Title or name"),
        "source": NC_("page.offices_source", "Source (regulation)"),
        "record_title": NC_("page.offices_record_title", "Record title"),
        "agency": NC_("page.offices_agency", "Planning agency"),
        "no_signatories": NC_(
            "page.offices_no_signatories",
            "This regency has no signatory account yet: add the person first.",
        ),
        "saved": NC_("page.offices_saved", "Saved."),
        "bad_date": NC_("page.offices_bad_date", "Enter a date."),
        "required": NC_("page.offices_required", "Required."),
        "acting_definitive": NC_("page.acting_definitive", "definitive"),
        "acting_plt": NC_("page.acting_plt", "Plt. (pelaksana tugas)"),
        "acting_plh": NC_("page.acting_plh", "Plh. (pelaksana harian)"),
        "acting_pj": NC_("page.acting_pj", "Pj. (penjabat)"),
        "acting_pjs": NC_("page.acting_pjs", "Pjs. (penjabat sementara)"),
        "acting_an": NC_("page.acting_an", "a.n. (atas nama)"),
    }
)

RegencyCode = Annotated[str, Path(max_length=8)]
Text = Annotated[str, Form(max_length=300)]
OptionalText = Annotated[str, Form(max_length=300)]


def _coordinator(who: SignedIn) -> None:
    who.require(Role.COORDINATOR)


def _regency_code(who: SignedIn, code: str) -> str:
    try:
        return load_catalog().get(code).kemendagri_code
    except UnknownRegency as unknown:
        raise who.refuse(404, "not_found", unknown.message) from None


@router.get("/offices", response_class=HTMLResponse)
def offices_list(who: SignedInDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The province and every regency, and who signs for each of its offices today
    (coordinator)."""
    _coordinator(who)
    today = wita_date(runtime.clock())
    desks = offices.every_party_offices(session, who.user, today)
    return who.page.render(
        "offices.html", user=who.user, w=WORDS[who.page.lang], desks=desks, mark=acting_mark
    )


def _desk(
    who: SignedIn,
    session: SessionDep,
    runtime: RuntimeDep,
    code: str,
    *,
    status: int = 200,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    saved: bool = False,
) -> Response:
    today = wita_date(runtime.clock())
    desk = offices.regency_offices(session, who.user, code, today)
    return who.page.render(
        "regency_offices.html",
        status_code=status,
        user=who.user,
        w=WORDS[who.page.lang],
        desk=desk,
        today=today,
        mark=acting_mark,
        actings=list(Acting),
        office_list=list(Office),
        title_kinds=TITLE_KINDS,
        planning_agency=PLANNING_AGENCY,
        error=error,
        errors=errors or {},
        form=form or {},
        saved=saved,
    )


@router.get("/offices/{regency_code}", response_class=HTMLResponse)
def regency_desk(
    regency_code: RegencyCode,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    saved: bool = False,
) -> Response:
    """One regency's offices, their assignments and titles (coordinator)."""
    _coordinator(who)
    return _desk(who, session, runtime, _regency_code(who, regency_code), saved=saved)


def _checked(who: SignedIn, csrf: str | None) -> None:
    _coordinator(who)
    if not security.same_secret(who.page.csrf, csrf):
        raise who.refuse(403, "form_expired", "")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        raise ValueError(text) from None


def _back(code: str) -> Response:
    return RedirectResponse(f"/offices/{code}?saved=1", status_code=303)


@router.post("/offices/{regency_code}/assign", response_class=HTMLResponse)
def assign(
    regency_code: RegencyCode,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    office: Annotated[str, Form(max_length=32)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
    acting: Annotated[str, Form(max_length=16)] = "",
    sk_number: Text = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
    valid_until: Annotated[str, Form(max_length=10)] = "",
    own_title: OptionalText = "",
    csrf: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Record that a signatory holds or acts for an office from a date, by SK."""
    _checked(who, csrf)
    code = _regency_code(who, regency_code)
    form = {
        "office": office,
        "username": username,
        "acting": acting,
        "sk_number": sk_number,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "own_title": own_title,
    }
    words = WORDS[who.page.lang]
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name in ("valid_from", "valid_until"):
        try:
            dates[name] = _date(form[name])
        except ValueError:
            errors[name] = words["bad_date"]
    if dates.get("valid_from") is None and "valid_from" not in errors:
        errors["valid_from"] = words["bad_date"]
    for name in ("office", "username", "acting", "sk_number"):
        if not form[name].strip():
            errors[name] = words["required"]
    if not errors:
        try:
            assignment = Assignment(
                regency_code=code,
                office=Office(office),
                username=username,
                acting=Acting(acting),
                sk_number=sk_number,
                valid_from=dates["valid_from"],
                valid_until=dates["valid_until"],
                own_title=own_title or None,
            )
        except (ValueError, ValidationError):
            errors["office"] = words["required"]
    if errors:
        return _desk(who, session, runtime, code, status=422, errors=errors, form=form)
    try:
        offices.assign(session, who.user, assignment, now=runtime.clock())
    except Refusal as refused:
        return _desk(
            who,
            session,
            runtime,
            code,
            status=409,
            error=refusal_words(who.page, refused),
            form=form,
        )
    return _back(code)


@router.post("/offices/{regency_code}/assignments/{assignment_id}/end", response_class=HTMLResponse)
def end_assignment(
    regency_code: RegencyCode,
    assignment_id: RowId,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    last_day: Annotated[str, Form(max_length=10)] = "",
    csrf: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Set the last day of an assignment."""
    _checked(who, csrf)
    code = _regency_code(who, regency_code)
    try:
        day = _date(last_day)
    except ValueError:
        day = None
    if day is None:
        words = WORDS[who.page.lang]
        return _desk(who, session, runtime, code, status=422, error=words["bad_date"])
    try:
        offices.end_assignment(session, who.user, assignment_id, day, code, now=runtime.clock())
    except Refusal as refused:
        return _desk(
            who, session, runtime, code, status=409, error=refusal_words(who.page, refused)
        )
    return _back(code)


@router.post(
    "/offices/{regency_code}/assignments/{assignment_id}/withdraw", response_class=HTMLResponse
)
def withdraw_assignment(
    regency_code: RegencyCode,
    assignment_id: RowId,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Withdraw an assignment recorded by mistake (kept for the record)."""
    _checked(who, csrf)
    code = _regency_code(who, regency_code)
    try:
        offices.withdraw_assignment(session, who.user, assignment_id, code, now=runtime.clock())
    except Refusal as refused:
        return _desk(
            who, session, runtime, code, status=404, error=refusal_words(who.page, refused)
        )
    return _back(code)


@router.post("/offices/{regency_code}/titles", response_class=HTMLResponse)
def record_title(
    regency_code: RegencyCode,
    who: SignedInDep,
    session: SessionDep,
    runtime: RuntimeDep,
    kind: Annotated[str, Form(max_length=32)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
    source: Text = "",
    csrf: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Record an office's title or the planning agency's name from a date on."""
    _checked(who, csrf)
    code = _regency_code(who, regency_code)
    words = WORDS[who.page.lang]
    form = {"kind": kind, "title": title, "title_from": valid_from, "source": source}
    errors: dict[str, str] = {}
    try:
        day = _date(valid_from)
    except ValueError:
        day = None
    if day is None:
        errors["title_from"] = words["bad_date"]
    for name in ("title", "source"):
        if not form[name].strip():
            errors[name] = words["required"]
    if kind not in TITLE_KINDS:
        errors["kind"] = words["required"]
    if errors or day is None:
        return _desk(who, session, runtime, code, status=422, errors=errors, form=form)
    offices.record_title(
        session,
        who.user,
        regency_code=code,
        kind=kind,
        title=title,
        valid_from=day,
        source=source,
        now=runtime.clock(),
    )
    return _back(code)
