"""The people desk of coordinators: list and find people, add one, import many, reset a
password, deactivate an account, and read an account's history.

Coordinators are the administrators: there is no separate role; every route here is
refused (403) to anyone else, before a form is read. Forms carry the session's CSRF
token. A field's error is a key (`services.people.check_person`, `domain.nip`) worded
here in the page's language, next to the field and in the summary above the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api import security
from api.deps import RuntimeDep
from api.pages.base import SignedIn, SignedInDep, refusal_words
from domain.calendar import wita_date
from domain.catalog import Office, load_catalog
from domain.display import Language
from domain.nip import format_nip, pangkat_ladder
from domain.plan import Printable
from domain.roles import Role
from domain.words import NC_, by_language
from services import access, mailer, passwords, people_import
from services import people as people_service
from services.database import transaction
from services.errors import Conflict, FileNotAccepted, FileTooLarge, NotFound, OutOfScope
from services.people import PERSON_FIELDS, NewPerson, check_person, taken_errors

router = APIRouter(include_in_schema=False)

WORDS = by_language(
    {
        "people": NC_("people.people", "People"),
        "nav": NC_("people.nav", "People"),
        "intro": NC_(
            "people.intro",
            "Everyone who acts in Komitmen. Coordinators are the administrators: they add "
            "people, reset passwords and deactivate accounts.",
        ),
        "search_label": NC_("people.search_label", "Name, username, NIP or regency"),
        "search": NC_("people.search", "Search"),
        "add": NC_("people.add", "Add a person"),
        "import": NC_("people.import", "Import a list"),
        "found": NC_("people.found", "{n} people"),
        "nobody": NC_("people.nobody", "Nobody matches."),
        "name": NC_("people.name", "Name"),
        "username": NC_("people.username", "Username"),
        "nip": NC_("people.nip", "NIP"),
        "nip_hint": NC_(
            "people.nip_hint", "18 digits, e.g. 19800101 200501 1 001; leave empty if none"
        ),
        "pangkat": NC_("people.pangkat", "Rank/grade (pangkat/golongan)"),
        "pangkat_none": NC_("people.pangkat_none", "— none (not a civil servant) —"),
        "jabatan": NC_("people.jabatan", "Position (jabatan)"),
        "jabatan_hint": NC_("people.jabatan_hint", "e.g. Kepala Bidang Kedaruratan"),
        "role": NC_("people.role", "Role"),
        "office": NC_("people.office", "Office (signatories only)"),
        "office_none": NC_("people.office_none", "— not a signatory —"),
        "regency": NC_("people.regency", "Regency/city (regency roles only)"),
        "province": NC_("people.province", "Province"),
        "email": NC_("people.email", "Email"),
        "language": NC_("people.language", "Language of mail"),
        "status": NC_("people.status", "Status"),
        "active": NC_("people.active", "Active"),
        "inactive": NC_("people.inactive", "Deactivated"),
        "save": NC_("people.save", "Add and send the invitation"),
        "invite_note": NC_(
            "people.invite_note",
            "The person receives an email with a link to set their own password.",
        ),
        "added": NC_("people.added", "{name} was added; the invitation was sent to {email}."),
        "mail_failed": NC_(
            "people.mail_failed",
            "The email could not be sent. Check the mail settings, then reset the password "
            "to send a new link.",
        ),
        "person": NC_("people.person", "Account"),
        "history": NC_("people.history", "History of the account"),
        "no_history": NC_("people.no_history", "Nothing recorded yet."),
        "when": NC_("people.when", "When (WITA)"),
        "by": NC_("people.by", "By"),
        "what": NC_("people.what", "What"),
        "reset": NC_("people.reset", "Reset password"),
        "reset_note": NC_(
            "people.reset_note",
            "Signs the person out everywhere at once, voids the password, and mails a link "
            "to set a new one.",
        ),
        "reset_done": NC_(
            "people.reset_done", "Signed out everywhere; a set-password link was sent to {email}."
        ),
        "deactivate": NC_("people.deactivate", "Deactivate the account"),
        "deactivate_note": NC_(
            "people.deactivate_note",
            "The person can no longer sign in, and every session ends at once. The account "
            "and its history stay.",
        ),
        "deactivate_confirm": NC_("people.deactivate_confirm", "Yes, deactivate {name}'s account"),
        "deactivate_required": NC_(
            "people.deactivate_required", "Tick the box to confirm the deactivation."
        ),
        "deactivated": NC_("people.deactivated", "The account was deactivated."),
        "import_intro": NC_(
            "people.import_intro",
            "Upload an XLSX or CSV file with one person per row, headed as in the template. "
            "You first see every row checked; nothing is added until you confirm.",
        ),
        "template_xlsx": NC_("people.template_xlsx", "Template (XLSX)"),
        "template_csv": NC_("people.template_csv", "Template (CSV)"),
        "columns": NC_(
            "people.columns",
            "Columns: peran is one of {roles}; kantor (signatories) one of {offices}; "
            "kode_kabupaten_kota a Kemendagri code such as 53.01 (empty for province "
            "roles); bahasa id or en.",
        ),
        "file": NC_("people.file", "File (XLSX or CSV, at most {kb} KB)"),
        "upload": NC_("people.upload", "Upload and check"),
        "preview": NC_("people.preview", "Check before adding"),
        "preview_counts": NC_(
            "people.preview_counts", "{valid} rows can be added; {invalid} rows have errors."
        ),
        "bad_rows": NC_("people.bad_rows", "Rows with errors (skipped)"),
        "bad_rows_note": NC_(
            "people.bad_rows_note",
            "These rows are not added. Fix them in the file and upload it again; rows "
            "already added will then show as taken.",
        ),
        "good_rows": NC_("people.good_rows", "Rows to add"),
        "row": NC_("people.row", "Row {n}"),
        "confirm_import": NC_("people.confirm_import", "Add {n} people and send invitations"),
        "imported": NC_("people.imported", "{n} people were added and invited by email."),
        "nothing_to_add": NC_("people.nothing_to_add", "No row can be added."),
        "upload_again": NC_("people.upload_again", "Upload a corrected file"),
        "file_missing": NC_("people.file_missing", "Choose a file to upload."),
        "file_too_large": NC_("people.file_too_large", "The file is too large: at most {kb} KB."),
        "not_spreadsheet": NC_(
            "people.not_spreadsheet",
            "This file is not a spreadsheet: upload an XLSX workbook or a CSV file (judged by "
            "its content, not its name).",
        ),
        "old_xls": NC_(
            "people.old_xls",
            "This is an old Excel .xls workbook: save it as .xlsx (Excel Workbook) and upload "
            "it again.",
        ),
        "empty": NC_("people.empty", "The file is empty: it needs the template's header row."),
        "missing_columns": NC_(
            "people.missing_columns", "The header row lacks these columns: {columns}."
        ),
        "too_many_rows": NC_("people.too_many_rows", "The file has more than {max} rows."),
        "upload_gone": NC_(
            "people.upload_gone", "The uploaded list is no longer there; upload it again."
        ),
        # Field errors, by key.
        "required": NC_("people.required", "Required."),
        "too_long": NC_("people.too_long", "Too long."),
        "username_format": NC_(
            "people.username_format",
            "Use lowercase letters, digits, '.', '_' or '-' (at most 64), e.g. operator-5301.",
        ),
        "username_taken": NC_("people.username_taken", "This username is taken already."),
        "username_twice": NC_("people.username_twice", "This username is in the file twice."),
        "email_format": NC_("people.email_format", "Not an email address."),
        "email_taken": NC_("people.email_taken", "An active account has this email already."),
        "email_twice": NC_("people.email_twice", "This email is in the file twice."),
        "nip_digits": NC_("people.nip_digits", "A NIP has 18 digits."),
        "nip_birth_date": NC_(
            "people.nip_birth_date",
            "Digits 1-8 of the NIP are the birth date (YYYYMMDD): this is no real date.",
        ),
        "nip_age": NC_(
            "people.nip_age",
            "The birth date in the NIP (digits 1-8) gives an age outside 17-70 years.",
        ),
        "nip_tmt": NC_(
            "people.nip_tmt",
            "Digits 9-14 of the NIP are the TMT CPNS (YYYYMM): this is no real month.",
        ),
        "nip_tmt_early": NC_(
            "people.nip_tmt_early",
            "The TMT CPNS in the NIP (digits 9-14) is before the 18th birthday.",
        ),
        "nip_tmt_future": NC_(
            "people.nip_tmt_future", "The TMT CPNS in the NIP (digits 9-14) is in the future."
        ),
        "nip_sex": NC_("people.nip_sex", "Digit 15 of the NIP is the sex: 1 or 2."),
        "pangkat_unknown": NC_(
            "people.pangkat_unknown", "Unknown rank/grade: write e.g. IV/b or Pembina Tk. I."
        ),
        "role_unknown": NC_("people.role_unknown", "Unknown role: use one of {roles}."),
        "office_required": NC_("people.office_required", "A signatory signs for an office."),
        "office_unknown": NC_("people.office_unknown", "Unknown office: use one of {offices}."),
        "office_not_for_role": NC_(
            "people.office_not_for_role", "Only a signatory has an office; leave it empty."
        ),
        "regency_required": NC_(
            "people.regency_required", "A regency role acts for one regency/city."
        ),
        "regency_unknown": NC_(
            "people.regency_unknown", "Unknown regency/city code: use e.g. 53.01."
        ),
        "regency_not_for_role": NC_(
            "people.regency_not_for_role",
            "A province role acts for every regency/city; leave it empty (a reviewer of "
            "the province's own plan takes the province's code, 53).",
        ),
        "language_unknown": NC_("people.language_unknown", "Use id or en."),
        # History, by action.
        "event_added": NC_("people.event_added", "Added"),
        "event_password_reset": NC_("people.event_password_reset", "Password reset"),
        "event_reset_requested": NC_("people.event_reset_requested", "Set-password link asked for"),
        "event_password_set": NC_("people.event_password_set", "Password set"),
        "event_deactivated": NC_("people.event_deactivated", "Deactivated"),
        "event_assigned": NC_("people.event_assigned", "Assigned to an office"),
        "event_assignment_ended": NC_("people.event_assignment_ended", "Assignment ended"),
        "event_assignment_withdrawn": NC_(
            "people.event_assignment_withdrawn", "Assignment withdrawn (recorded by mistake)"
        ),
        "via_import": NC_("people.via_import", "from an imported list"),
        "via_form": NC_("people.via_form", "with the form"),
        "revoked": NC_("people.revoked", "{n} sessions ended"),
    }
)
"""The people desk's words (source English, Bahasa Indonesia in the catalogs)."""

USERNAME_PATH = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
FIELD = Annotated[str, Form(max_length=400), Printable]


def _coordinator(who: SignedInDep) -> SignedIn:
    """The signed-in coordinator; anyone else gets the 403 page, before any form is read."""
    try:
        access.require_role(who.user, Role.COORDINATOR)
    except OutOfScope as refused:
        raise who.refuse(403, "forbidden", refusal_words(who.page, refused)) from None
    return who


CoordinatorDep = Annotated[SignedIn, Depends(_coordinator)]


def _check_csrf(who: SignedIn, csrf: str | None) -> None:
    if not security.same_secret(who.page.csrf, csrf):
        raise who.refuse(403, "form_expired", "")


def field_message(key: str, lang: Language) -> str:
    """An error key worded in the page's language, its placeholders filled."""
    words = WORDS[lang]
    return words.get(key, key).format(
        roles=", ".join(r.value for r in Role),
        offices=", ".join(o.value for o in Office),
    )


def _labels(lang: Language) -> dict[str, str]:
    """Each person field's label."""
    labels = {name: WORDS[lang][name] for name in PERSON_FIELDS if name != "full_name"}
    return {"full_name": WORDS[lang]["name"], **labels}


def _render(who: SignedIn, template: str, status_code: int = 200, **context: Any) -> Response:
    return who.page.render(
        template,
        status_code=status_code,
        user=who.user,
        w=WORDS[who.page.lang],
        format_nip=format_nip,
        **context,
    )


@dataclass(frozen=True)
class Choices:
    """What the person form offers in its lists."""

    roles: list[str]
    offices: list[str]
    regencies: list[tuple[str, str]]
    pangkat: list[str]


def _choices() -> Choices:
    return Choices(
        roles=[r.value for r in Role],
        offices=[o.value for o in Office],
        regencies=[(r.kemendagri_code, r.name) for r in load_catalog().regencies],
        pangkat=[rung.label for rung in pangkat_ladder()],
    )


@router.get("/people", response_class=HTMLResponse)
def people_list(
    who: CoordinatorDep,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=100), Printable] = "",
) -> Response:
    """Everyone with an account, active or not, found by name, username, NIP or regency."""
    with transaction(runtime.sessions) as session:
        found = list(people_service.search_people(session, q))
        regencies = {r.kemendagri_code: r.name for r in load_catalog().regencies}
        return _render(who, "people.html", query=q.strip(), found=found, regencies=regencies)


def _new_form(
    who: SignedIn, values: Mapping[str, str], errors: Mapping[str, str], status_code: int = 200
) -> Response:
    lang = who.page.lang
    messages = {name: field_message(key, lang) for name, key in errors.items()}
    labels = _labels(lang)
    summary = [{"anchor": n, "label": labels[n], "message": m} for n, m in messages.items()]
    return _render(
        who,
        "people_new.html",
        status_code=status_code,
        values=values,
        errors=messages,
        summary=summary,
        choices=_choices(),
    )


@router.get("/people/new", response_class=HTMLResponse)
def new_person_form(who: CoordinatorDep) -> Response:
    """The form to add one person."""
    return _new_form(who, {"language": "id"}, {})


@router.post("/people/new", response_class=HTMLResponse)
def add_person_page(
    who: CoordinatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
    full_name: FIELD = "",
    username: FIELD = "",
    nip: FIELD = "",
    pangkat: FIELD = "",
    jabatan: FIELD = "",
    role: FIELD = "",
    office: FIELD = "",
    regency: FIELD = "",
    email: FIELD = "",
    language: FIELD = "id",
) -> Response:
    """Add one person and mail them a link to set their password; the form again if wrong."""
    _check_csrf(who, csrf)
    values = {
        "full_name": full_name,
        "username": username,
        "nip": nip,
        "pangkat": pangkat,
        "jabatan": jabatan,
        "role": role,
        "office": office,
        "regency": regency,
        "email": email,
        "language": language,
    }
    now = runtime.clock()
    checked = check_person(values, wita_date(now))
    if not isinstance(checked, NewPerson):
        return _new_form(who, values, checked, 422)
    try:
        with transaction(runtime.sessions) as session:
            taken = taken_errors(session, checked)
            if taken:
                return _new_form(who, values, taken, 422)
            letters = people_service.add_people(
                session, runtime.settings, [checked], actor=who.user.username, via="form", now=now
            )
    except Conflict:
        return _new_form(who, values, {"username": "username_taken"}, 422)
    failed = mailer.send(runtime.settings, letters)
    done = "added" + ("&mail=failed" if failed else "")
    return RedirectResponse(f"/people/{checked.username}?done={done}", status_code=303)


@router.get("/people/import", response_class=HTMLResponse)
def import_form(who: CoordinatorDep, runtime: RuntimeDep) -> Response:
    """The upload form, with the templates to download."""
    return _import_page(who, runtime, None, None)


def _import_page(
    who: SignedIn,
    runtime: RuntimeDep,
    shown: people_import.ImportPreview | None,
    refusal: str | None,
    status_code: int = 200,
    added: int | None = None,
    mail_failed: bool = False,
) -> Response:
    lang = who.page.lang
    row_errors = {}
    if shown is not None:
        for row in shown.invalid:
            labels = _labels(lang)
            row_errors[row.line] = [
                (labels[name], field_message(key, lang)) for name, key in row.errors.items()
            ]
    return _render(
        who,
        "people_import.html",
        status_code=status_code,
        shown=shown,
        row_errors=row_errors,
        refusal=refusal,
        added=added,
        mail_failed=mail_failed,
        max_kb=runtime.settings.people_import_max_bytes // 1024,
        roles=", ".join(r.value for r in Role),
        offices=", ".join(o.value for o in Office),
    )


@router.get("/people/import/template.{fmt}")
def import_template(
    who: CoordinatorDep, fmt: Annotated[str, Path(pattern="^(xlsx|csv)$")]
) -> Response:
    """The import template: the header row, as XLSX or CSV."""
    if fmt == "xlsx":
        content, media_type = people_import.template_xlsx(), people_import.XLSX_MEDIA_TYPE
    else:
        content, media_type = people_import.template_csv(), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="templat-pengguna.{fmt}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _file_refusal(who: SignedIn, runtime: RuntimeDep, refused: Exception) -> tuple[str, int]:
    words = WORDS[who.page.lang]
    if isinstance(refused, FileTooLarge):
        return words["file_too_large"].format(
            kb=runtime.settings.people_import_max_bytes // 1024
        ), 413
    assert isinstance(refused, FileNotAccepted)
    key = refused.code or "not_spreadsheet"
    return words.get(key, words["not_spreadsheet"]).format(**refused.params), 415


@router.post("/people/import", response_class=HTMLResponse)
async def import_upload(request: Request, who: CoordinatorDep, runtime: RuntimeDep) -> Response:
    """Check an uploaded list and show every row with its errors; nothing is added yet."""
    form = await request.form(max_files=1, max_fields=4)
    csrf = form.get("csrf")
    _check_csrf(who, csrf if isinstance(csrf, str) else None)
    upload = form.get("file")
    limit = runtime.settings.people_import_max_bytes
    content = await upload.read(limit + 1) if isinstance(upload, UploadFile) else b""
    if not content:
        return _import_page(who, runtime, None, WORDS[who.page.lang]["file_missing"], 422)
    now = runtime.clock()
    try:
        with transaction(runtime.sessions) as session:
            shown = people_import.preview(
                session, runtime.settings, content, now=now, today=wita_date(now)
            )
    except (FileTooLarge, FileNotAccepted) as refused:
        text, status = _file_refusal(who, runtime, refused)
        return _import_page(who, runtime, None, text, status)
    return _import_page(who, runtime, shown, None)


@router.post("/people/import/confirm", response_class=HTMLResponse)
def import_confirm(
    who: CoordinatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
    sha256: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Add the valid rows of the checked list and invite each; the bad rows stay listed."""
    _check_csrf(who, csrf)
    now = runtime.clock()
    try:
        with transaction(runtime.sessions) as session:
            shown, letters = people_import.confirm(
                session,
                runtime.settings,
                sha256,
                actor=who.user.username,
                now=now,
                today=wita_date(now),
            )
            # The rows just added are valid; what remains to fix are the invalid ones.
    except NotFound:
        return _import_page(who, runtime, None, WORDS[who.page.lang]["upload_gone"], 404)
    except (FileTooLarge, FileNotAccepted) as refused:
        text, status = _file_refusal(who, runtime, refused)
        return _import_page(who, runtime, None, text, status)
    failed = mailer.send(runtime.settings, letters)
    return _import_page(who, runtime, shown, None, added=len(letters), mail_failed=bool(failed))


def _person_page(
    who: SignedIn,
    runtime: RuntimeDep,
    username: str,
    *,
    notice: str | None = None,
    warning: str | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with transaction(runtime.sessions) as session:
        try:
            person = people_service.account(session, username)
        except NotFound:
            raise who.refuse(404, "not_found", username) from None
        events = people_service.history(session, username)
        regency = load_catalog().get(person.regency_code).name if person.regency_code else None
        return _render(
            who,
            "people_person.html",
            status_code=status_code,
            person=person,
            regency=regency,
            events=events,
            notice=notice,
            warning=warning,
            errors=errors or {},
        )


@router.get("/people/{username}", response_class=HTMLResponse)
def person_page(
    username: USERNAME_PATH,
    who: CoordinatorDep,
    runtime: RuntimeDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
    mail: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """One person's account: details, history, reset and deactivate."""
    words = WORDS[who.page.lang]
    notice = None
    if done in ("added", "reset", "deactivated"):
        with transaction(runtime.sessions) as session:
            try:
                person = people_service.account(session, username)
            except NotFound:
                raise who.refuse(404, "not_found", username) from None
            name, email = person.full_name, person.email
        notice = {
            "added": words["added"],
            "reset": words["reset_done"],
            "deactivated": words["deactivated"],
        }[done].format(name=name, email=email)
    warning = words["mail_failed"] if mail == "failed" else None
    return _person_page(who, runtime, username, notice=notice, warning=warning)


@router.post("/people/{username}/reset-password", response_class=HTMLResponse)
def reset_password_page(
    username: USERNAME_PATH,
    who: CoordinatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
) -> Response:
    """Sign the person out everywhere, void their password and mail a set-password link."""
    _check_csrf(who, csrf)
    with transaction(runtime.sessions) as session:
        letter = passwords.reset_by_coordinator(
            session,
            runtime.settings,
            username=username,
            actor=who.user.username,
            now=runtime.clock(),
        )
    if letter is None:
        raise who.refuse(404, "not_found", username)
    failed = mailer.send(runtime.settings, [letter])
    done = "reset" + ("&mail=failed" if failed else "")
    return RedirectResponse(f"/people/{username}?done={done}", status_code=303)


@router.post("/people/{username}/deactivate", response_class=HTMLResponse)
def deactivate_page(
    username: USERNAME_PATH,
    who: CoordinatorDep,
    runtime: RuntimeDep,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Deactivate an account, once the coordinator ticked the confirmation."""
    _check_csrf(who, csrf)
    if not confirm:
        errors = {"confirm": WORDS[who.page.lang]["deactivate_required"]}
        return _person_page(who, runtime, username, errors=errors, status_code=422)
    with transaction(runtime.sessions) as session:
        revoked = people_service.deactivate_person(
            session, username=username, actor=who.user.username, now=runtime.clock()
        )
    if revoked is None:
        raise who.refuse(404, "not_found", username)
    return RedirectResponse(f"/people/{username}?done=deactivated", status_code=303)
