"""The coordinator's cycle pages: start a cycle, and manage a running one.

`/cycles/new` is the form to start a cycle: name, year, regencies (a "semua" box the
server reads as every regency, and one box per regency), the year's default deadlines,
each editable, the signatories, their order and how they sign. `POST /cycles/new/preview`
shows every deadline in WITA before anything starts; its confirm button posts the same
fields to `POST /cycles/new`, which starts the cycle (`services.cycles.start_cycle`) and
lands on the cycle's board.

`/cycles/{id}/manage` extends one deadline of one or many regencies with one reason,
withdraws a regency and cancels the cycle. Each form posts twice: first to a
confirmation of what is about to happen, then, confirmed, to the workflows through
`services.cycles`, which check the coordinator's role; the workflows record every action
in the audit trail, which the page lists. Only a coordinator opens these pages (403 for
anyone else); a POST refuses another role before it reads the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from api import security
from api.deps import CycleId, RuntimeDep, SessionDep, TemporalDep
from api.pages import forms, i18n
from api.pages.base import (
    LangCookie,
    Page,
    SessionCookie,
    SignedIn,
    SignedInDep,
    page_for,
    refusal_words,
    to_login,
)
from domain.calendar import WITA, end_of_day
from domain.catalog import Office, is_province_code, load_catalog
from domain.commitment import DeadlineKey, SignatureMethod
from domain.cycle import DEFAULT_SIGNATORIES, CycleSpec
from domain.display import Language, format_deadline
from domain.errors import InvalidInput, ScheduleError
from domain.roles import Role
from domain.schedule import ScheduleSpec, default_schedule
from domain.stages import Stage
from domain.words import NC_, by_language
from services import access, cycles
from services.access import AuthUser, require_role
from services.cycles import CycleRecord
from services.database import transaction
from services.errors import Conflict, NotFound, OutOfScope, Refusal
from services.runtime import Runtime
from services.schemas import CancelCycleIn, ExtendIn, StartCycleIn, WithdrawIn

router = APIRouter(include_in_schema=False)

WORDS_SOURCE = {
    "start": NC_("cycles.start", "Start a cycle"),
    "manage": NC_("cycles.manage", "Manage the cycle"),
    "new_intro": NC_(
        "cycles.new_intro",
        "Name the cycle, choose its regencies/cities, deadlines and signatories. The next "
        "page shows everything for checking before the cycle starts.",
    ),
    "name": NC_("cycles.name", "Cycle name"),
    "name_hint": NC_("cycles.name_hint", "e.g. Rakor PB NTT 2025 action plan"),
    "year": NC_("cycles.year", "Year of the action plan"),
    "cycle_id": NC_("cycles.cycle_id", "Cycle code"),
    "cycle_id_hint": NC_(
        "cycles.cycle_id_hint",
        "Lowercase letters, digits and dashes, e.g. rakor-2026. Left empty, it is made "
        "from the name and the year.",
    ),
    "cycle_id_invalid": NC_(
        "cycles.cycle_id_invalid",
        "Use 2 to 63 lowercase letters, digits and dashes, starting with a letter or digit.",
    ),
    "cycle_exists": NC_(
        "cycles.cycle_exists", "A cycle with this code exists already; choose another code."
    ),
    "regencies": NC_("cycles.regencies", "Regencies/cities"),
    "all_regencies": NC_("cycles.all_regencies", "All regencies/cities ({n})"),
    "all_hint": NC_(
        "cycles.all_hint",
        "While this box is ticked the cycle covers every regency/city. To choose some, "
        "untick it and tick them below.",
    ),
    "regencies_required": NC_("cycles.regencies_required", "Choose at least one regency/city."),
    "schedule": NC_("cycles.schedule", "Deadlines"),
    "schedule_hint": NC_(
        "cycles.schedule_hint",
        "The year's defaults are filled in. Each deadline is 23:59 WITA of its date.",
    ),
    "drafting_due": NC_("cycles.drafting_due", "Drafting of the action plan due"),
    "review_working_days": NC_(
        "cycles.review_working_days", "Working days for each review after submission"
    ),
    "signing_due": NC_("cycles.signing_due", "Signing due"),
    "report_due": NC_("cycles.report_due", "Quarter {quarter} report due"),
    "lock": NC_("cycles.lock", "Quarter {quarter} locks"),
    "apply_defaults": NC_("cycles.apply_defaults", "Fill in the default deadlines of this year"),
    "reminders_note": NC_(
        "cycles.reminders_note",
        "Reminders go out 7, 3 and 1 days before each deadline at 08:00 WITA; overdue work "
        "is escalated 1 and 7 days after it.",
    ),
    "signatories": NC_("cycles.signatories", "Signatories"),
    "signatories_required": NC_("cycles.signatories_required", "Choose at least one signatory."),
    "ordered": NC_("cycles.ordered", "Sign in this order, from top to bottom"),
    "method": NC_("cycles.method", "How they sign"),
    "check": NC_("cycles.check", "Check before starting"),
    "preview_title": NC_("cycles.preview_title", "Check the cycle before it starts"),
    "no_holidays": NC_(
        "cycles.no_holidays",
        "Komitmen has no national holidays and cuti bersama for {years} yet (the joint "
        "ministerial decree, SKB): deadlines in those years skip weekends only and may "
        "fall on a holiday. Check them, and change any that does.",
    ),
    "preview_intro": NC_(
        "cycles.preview_intro",
        "Nothing has started yet. Check the deadlines (WITA), the regencies/cities and the "
        "signatories, then start the cycle.",
    ),
    "start_now": NC_("cycles.start_now", "Start the cycle"),
    "change": NC_("cycles.change", "Change"),
    "n_regencies": NC_("cycles.n_regencies", "{n} regencies/cities"),
    "n_parties": NC_("cycles.n_parties", "{province} and {n} regencies/cities"),
    "review_rule": NC_(
        "cycles.review_rule", "{n} working days after each submission of the action plan"
    ),
    "in_order": NC_("cycles.in_order", "in a fixed order"),
    "any_order": NC_("cycles.any_order", "in any order"),
    "bad_date": NC_("cycles.bad_date", "Enter a date, e.g. 2026-01-31."),
    "date_outside": NC_(
        "cycles.date_outside", "The date must fall in {first}–{last}, the cycle's years."
    ),
    "signing_before_drafting": NC_(
        "cycles.signing_before_drafting", "Signing cannot be due before drafting is."
    ),
    "report_in_quarter": NC_(
        "cycles.report_in_quarter", "A quarter's report must be due after the quarter ends."
    ),
    "report_before_previous": NC_(
        "cycles.report_before_previous",
        "This report cannot be due before the previous quarter's report.",
    ),
    "lock_before_report": NC_(
        "cycles.lock_before_report", "A quarter cannot lock before its report is due."
    ),
    "lock_before_previous": NC_(
        "cycles.lock_before_previous", "A quarter cannot lock before the previous quarter does."
    ),
    "schedule_other": NC_("cycles.schedule_other", "This date does not fit the other deadlines."),
    "status": NC_("cycles.status", "Status"),
    "status_running": NC_("cycles.status_running", "Running"),
    "status_cancelled": NC_("cycles.status_cancelled", "Cancelled"),
    "status_completed": NC_("cycles.status_completed", "Completed"),
    "ended": NC_("cycles.ended", "This cycle has ended: nothing more can be changed."),
    "extend": NC_("cycles.extend", "Extend a deadline"),
    "extend_intro": NC_(
        "cycles.extend_intro",
        "Tick the regencies/cities, choose the deadline and its new date, and give one "
        "reason for all of them.",
    ),
    "deadline": NC_("cycles.deadline", "Deadline"),
    "until": NC_("cycles.until", "New date (23:59 WITA)"),
    "lock_key": NC_("cycles.lock_key", "Quarter {quarter} lock"),
    "continue": NC_("cycles.continue", "Continue"),
    "withdraw": NC_("cycles.withdraw", "Withdraw a regency/city"),
    "withdraw_intro": NC_(
        "cycles.withdraw_intro",
        "A withdrawn commitment ends and cannot be reopened.",
    ),
    "choose_regency": NC_("cycles.choose_regency", "Choose a regency/city"),
    "regency_required": NC_("cycles.regency_required", "Choose a regency/city."),
    "cancel": NC_("cycles.cancel", "Cancel the cycle"),
    "cancel_intro": NC_(
        "cycles.cancel_intro",
        "Every open commitment of the cycle ends as cancelled. This cannot be undone.",
    ),
    "confirm": NC_("cycles.confirm", "Confirm"),
    "confirm_extend": NC_(
        "cycles.confirm_extend",
        "Extend the deadline “{deadline}” to {until} for these {n} regencies/cities?",
    ),
    "confirm_withdraw": NC_(
        "cycles.confirm_withdraw", "Withdraw {regency} from the cycle “{cycle}”?"
    ),
    "confirm_cancel": NC_(
        "cycles.confirm_cancel", "Cancel the cycle “{cycle}” and every open commitment in it?"
    ),
    "yes_extend": NC_("cycles.yes_extend", "Yes, extend"),
    "yes_withdraw": NC_("cycles.yes_withdraw", "Yes, withdraw"),
    "yes_cancel": NC_("cycles.yes_cancel", "Yes, cancel the cycle"),
    "go_back": NC_("cycles.go_back", "No, go back"),
    "results": NC_("cycles.results", "Extension results"),
    "extended_to": NC_("cycles.extended_to", "Extended to {until}"),
    "refused_because": NC_("cycles.refused_because", "Refused: {reason}"),
    "extended_count": NC_("cycles.extended_count", "{ok} of {n} extended."),
    "done_withdraw": NC_("cycles.done_withdraw", "{regency} was withdrawn from the cycle."),
    "done_cancel": NC_("cycles.done_cancel", "The cycle was cancelled."),
    "history": NC_("cycles.history", "Coordinator's actions"),
    "no_open": NC_("cycles.no_open", "No open commitment is left."),
    "back_to_manage": NC_("cycles.back_to_manage", "Back to managing the cycle"),
    "reason_hint": NC_("cycles.reason_hint", "Recorded in the audit trail."),
    "province_party": NC_("cycles.province_party", "{name} (BPBD Provinsi, its own action plan)"),
    "province_hint": NC_(
        "cycles.province_hint",
        "The province takes part like a regency/city: its officers draft, its own reviewer "
        "reviews, and its offices sign. Tick it as well when all regencies/cities are ticked.",
    ),
    "acknowledging": NC_("cycles.acknowledging", "Acknowledged by (Mengetahui)"),
    "acknowledging_hint": NC_(
        "cycles.acknowledging_hint",
        "The province's official under “Mengetahui” at the end of the joint commitment.",
    ),
    "carry": NC_("cycles.carry", "Carry over unfinished actions"),
    "carry_none": NC_("cycles.carry_none", "Do not carry anything over"),
    "carry_from": NC_(
        "cycles.carry_from", "Carry over unfinished actions from the cycle {cycle} ({year})"
    ),
    "carry_hint": NC_(
        "cycles.carry_hint",
        "Each action of a signed plan not verified at 100% by the cycle's last lock becomes a "
        "draft action of the new cycle, marked as carried over, with its last realisation. "
        "The officer keeps, edits or drops each one.",
    ),
    "carry_unknown": NC_("cycles.carry_unknown", "Choose a cycle from the list."),
    "carried_title": NC_("cycles.carried_title", "Actions carried over from {cycle}"),
    "carried_count": NC_("cycles.carried_count", "{n} actions"),
    "carried_nothing": NC_(
        "cycles.carried_nothing",
        "No regency/city has an unfinished action in that cycle: every one starts without a draft.",
    ),
    "carried_rest": NC_(
        "cycles.carried_rest", "The others carry nothing over and start without a draft."
    ),
}
WORDS: dict[Language, dict[str, str]] = by_language(WORDS_SOURCE)
"""The words of the coordinator's cycle pages, in every language."""

NEW = "/cycles/new"
MANAGE = "/cycles/{cycle_id}/manage"
ALL = "all"
"""The value of the regency box that stands for every regency."""
CONFIRMED = "confirmed"
"""The field a confirmation page adds: the coordinator has seen what is about to happen."""

Fields = dict[str, list[str]]


def _first(fields: forms.Fields, name: str) -> str:
    return forms.first(fields, name).strip()


def _coordinator(who: SignedIn) -> None:
    """The 403 page for anyone but a coordinator."""
    try:
        require_role(who.user, Role.COORDINATOR)
    except OutOfScope as refused:
        raise who.refuse(403, "forbidden", refusal_words(who.page, refused)) from None


@dataclass(frozen=True)
class Posted:
    """A coordinator's submitted form, its CSRF token checked, and the cycle it is about."""

    page: Page
    user: AuthUser
    fields: Fields
    cycle: CycleRecord | None = None


async def _posted(
    request: Request,
    runtime: Runtime,
    token: str | None,
    lang_cookie: str | None,
    cycle_id: str | None = None,
) -> Posted | Response:
    """The coordinator and their form (and with `cycle_id`, the cycle); or the answer when
    it goes no further.

    Signed out: to sign in. Another role: 403 before the form is read. A form without
    this session's CSRF token: 403. An unknown cycle: 404.
    """
    page = page_for(request, None, lang_cookie)
    with transaction(runtime.sessions) as session:
        user = access.user_for_token(session, token)
    if user is None:
        return to_login(request)
    try:
        require_role(user, Role.COORDINATOR)
    except OutOfScope as refused:
        return page.error(user, 403, "forbidden", refusal_words(page, refused))
    submitted = await request.form(max_files=0, max_fields=200)
    fields: Fields = forms.text_fields(submitted.multi_items())
    if not security.same_secret(page.csrf, _first(fields, "csrf")):
        return page.error(user, 403, "form_expired", "")
    if cycle_id is None:
        return Posted(page, user, fields)
    with transaction(runtime.sessions) as session:
        try:
            return Posted(page, user, fields, cycles.get_cycle(session, cycle_id))
        except NotFound:
            return page.error(user, 404, "not_found", cycle_id)


# --- starting a cycle ---------------------------------------------------------------------


@dataclass
class CycleForm:
    """The new-cycle form as typed (strings), so it can be shown again."""

    name: str = ""
    year: str = ""
    cycle_id: str = ""
    all_regencies: bool = True
    regencies: list[str] = field(default_factory=list)
    dates: dict[str, str] = field(default_factory=dict)
    review_working_days: str = "5"
    signatories: list[str] = field(default_factory=lambda: list(DEFAULT_SIGNATORIES))
    ordered_signing: bool = False
    signature_method: str = SignatureMethod.CONFIRMED.value
    acknowledging_office: str = Office.REGIONAL_HEAD.value
    carry_from: str = ""

    @classmethod
    def defaults(cls, year: int) -> CycleForm:
        """A fresh form for `year`: every regency, the year's default deadlines."""
        form = cls(year=str(year), regencies=load_catalog().codes())
        form.use_defaults(year)
        return form

    def use_defaults(self, year: int) -> None:
        """Fill in the default deadlines of `year`."""
        spec = default_schedule(year)
        dates = cycles.schedule_dates(spec, year)
        self.dates = {name: day.isoformat() for name, day in dates.items()}
        self.review_working_days = str(spec.review_working_days)

    @classmethod
    def of(cls, fields: forms.Fields) -> CycleForm:
        """The form as submitted."""
        return cls(
            name=_first(fields, "name"),
            year=_first(fields, "year"),
            cycle_id=_first(fields, "cycle_id"),
            all_regencies=ALL in fields.get("regency", []),
            regencies=[c for c in fields.get("regency", []) if c != ALL],
            dates={name: _first(fields, name) for name in cycles.SCHEDULE_DATES},
            review_working_days=_first(fields, "review_working_days"),
            signatories=list(fields.get("signatory", [])),
            ordered_signing=bool(_first(fields, "ordered_signing")),
            signature_method=_first(fields, "signature_method"),
            acknowledging_office=_first(fields, "acknowledging_office")
            or Office.REGIONAL_HEAD.value,
            carry_from=_first(fields, "carry_from"),
        )

    def regency_codes(self) -> list[str]:
        """The codes the body names: none for every regency, unless the province is ticked
        too (then every regency and the province)."""
        catalog = load_catalog()
        province = catalog.party.kemendagri_code if catalog.party else None
        if not self.all_regencies:
            return self.regencies
        return [*catalog.codes(), province] if province in self.regencies else []

    def code(self) -> str:
        """The cycle code typed, or one made from the name and the year."""
        if self.cycle_id:
            return self.cycle_id
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")[:50].strip("-")
        if self.year and not slug.endswith(self.year):
            slug = f"{slug}-{self.year}" if slug else f"siklus-{self.year}"
        return slug

    def body(self, lang: Language) -> StartCycleIn:
        """The request the JSON API takes for this form; FormInvalid names each wrong field."""
        words = WORDS[lang]
        errors: dict[str, str] = {}
        dates: dict[str, date] = {}
        for name in cycles.SCHEDULE_DATES:
            try:
                dates[name] = date.fromisoformat(self.dates.get(name, ""))
            except ValueError:
                errors[name] = words["bad_date"]
        if not self.all_regencies and not self.regencies:
            errors["regency"] = words["regencies_required"]
        if not self.signatories:
            errors["signatory"] = words["signatories_required"]
        year = self.year_or_none(lang, errors)
        schedule = None
        if year is not None and not errors:
            rules = cycles.schedule_of_dates(year, dates).model_dump()
            try:
                schedule = forms.model_or_invalid(
                    ScheduleSpec,
                    {**rules, "review_working_days": self.review_working_days},
                    lang,
                )
            except forms.FormInvalid as invalid:
                errors.update(invalid.errors)
        data = {
            "cycle_id": self.code(),
            "name": self.name,
            "year": self.year,
            "regency_codes": self.regency_codes(),
            "signatories": self.signatories,
            "acknowledging_office": self.acknowledging_office,
            "carry_from": self.carry_from or None,
            "ordered_signing": self.ordered_signing,
            "signature_method": self.signature_method,
            "schedule": schedule,
        }
        try:
            body: StartCycleIn = forms.model_or_invalid(StartCycleIn, data, lang)
        except forms.FormInvalid as invalid:
            for name, message in invalid.errors.items():
                key = _FORM_NAMES.get(name, name)
                errors.setdefault(key, words["cycle_id_invalid"] if key == "cycle_id" else message)
        if errors:
            raise forms.FormInvalid(errors)
        return body

    def year_or_none(self, lang: Language, errors: dict[str, str]) -> int | None:
        """The year typed; None, with what is wrong in `errors["year"]`, if it is no year."""
        try:
            year = int(self.year)
        except ValueError:
            year = None
        if year is None or not 2000 <= year <= 2100:
            try:
                forms.model_or_invalid(StartCycleIn, {"year": self.year}, lang)
            except forms.FormInvalid as invalid:
                errors["year"] = invalid.errors["year"]
            return None
        return year


_FORM_NAMES = {"regency_codes": "regency", "signatories": "signatory"}
_CARRY = "carry_from"
"""The form field of each StartCycleIn field whose name differs."""


def schedule_words(refused: ScheduleError, year: int, lang: Language) -> tuple[str, str]:
    """The form field a schedule's contradiction is about, and what is wrong, in `lang`."""
    words = WORDS[lang]
    name = cycles.schedule_field(refused.field)
    if refused.kind == "outside":
        return name, words["date_outside"].format(first=year - 1, last=year + 1)
    return name, words.get(refused.kind, words["schedule_other"])


def _today_year() -> int:
    """The year a new cycle is for by default: this one until June, then the next."""
    today = datetime.now(WITA).date()
    return today.year if today.month <= 6 else today.year + 1


@dataclass(frozen=True)
class EarlierCycle:
    """A recorded cycle whose unfinished actions a new one may carry over."""

    id: str
    label: str


def _earlier_cycles(runtime: Runtime, lang: Language) -> list[EarlierCycle]:
    """Every recorded cycle, newest first, as the carry-over choice lists them."""
    words = WORDS[lang]
    with transaction(runtime.sessions) as session:
        return [
            EarlierCycle(c.id, words["carry_from"].format(cycle=c.name, year=c.year))
            for c in cycles.list_cycles(session)
        ]


def _form_page(
    page: Page,
    user: AuthUser,
    form: CycleForm,
    earlier: list[EarlierCycle],
    *,
    errors: dict[str, str] | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Response:
    errors = errors or {}
    words = WORDS[page.lang]
    labels = _field_labels(page.lang)
    catalog = load_catalog()
    today = datetime.now(WITA).date()
    party = catalog.party
    return page.render(
        "cycle_new.html",
        status_code=status_code,
        user=user,
        w=words,
        form=form,
        regencies=catalog.regencies,
        province=party,
        acknowledging=[
            (o.value, party.title_of(o, today) if party else o.value)
            for o in (Office.REGIONAL_HEAD, Office.BPBD_HEAD)
        ],
        earlier=earlier,
        deadlines=_deadline_fields(page.lang),
        offices=[(o.value, i18n.TEXT[page.lang][f"office_{o.value}"]) for o in Office],
        methods=_methods(page.lang),
        errors=errors,
        error_links=[
            {"anchor": name, "label": labels.get(name, name), "message": message}
            for name, message in errors.items()
        ],
        refusal=refusal,
    )


def _deadline_fields(lang: Language) -> list[tuple[str, str]]:
    """Each dated deadline's form field and label, in the order they fall."""
    words = WORDS[lang]
    found = [("drafting_due", words["drafting_due"]), ("signing_due", words["signing_due"])]
    for q, numeral in i18n.QUARTERS.items():
        found.append((f"q{q}_report_due", words["report_due"].format(quarter=numeral)))
        found.append((f"q{q}_lock", words["lock"].format(quarter=numeral)))
    return found


def _field_labels(lang: Language) -> dict[str, str]:
    words = WORDS[lang]
    return {
        **dict(_deadline_fields(lang)),
        "name": words["name"],
        "year": words["year"],
        "cycle_id": words["cycle_id"],
        "regency": words["regencies"],
        "review_working_days": words["review_working_days"],
        "signatory": words["signatories"],
        "signature_method": words["method"],
        "acknowledging_office": words["acknowledging"],
        _CARRY: words["carry"],
    }


def _methods(lang: Language) -> list[tuple[str, str]]:
    text = i18n.TEXT[lang]
    return [(m.value, text[f"method_{m.value}"]) for m in SignatureMethod]


@router.get(NEW, response_class=HTMLResponse)
def new_cycle(who: SignedInDep, runtime: RuntimeDep) -> Response:
    """The form to start a cycle (coordinator), filled with the year's defaults."""
    _coordinator(who)
    earlier = _earlier_cycles(runtime, who.page.lang)
    return _form_page(who.page, who.user, CycleForm.defaults(_today_year()), earlier)


@router.post(NEW + "/preview", response_class=HTMLResponse)
async def preview_cycle(
    request: Request,
    runtime: RuntimeDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Every deadline of the cycle in WITA, its regencies and signatories, to confirm."""
    posted = await _posted(request, runtime, token, lang_cookie)
    if isinstance(posted, Response):
        return posted
    page, user = posted.page, posted.user
    form = CycleForm.of(posted.fields)
    earlier = _earlier_cycles(runtime, page.lang)
    if _first(posted.fields, "step") == "defaults":
        errors: dict[str, str] = {}
        year = form.year_or_none(page.lang, errors)
        if year is None:
            return _form_page(page, user, form, earlier, errors=errors, status_code=422)
        form.use_defaults(year)
        return _form_page(page, user, form, earlier)
    try:
        body = form.body(page.lang)
        with transaction(runtime.sessions) as session:
            spec = cycles.plan_cycle(session, user, body)
    except forms.FormInvalid as invalid:
        return _form_page(page, user, form, earlier, errors=invalid.errors, status_code=422)
    except ScheduleError as contradiction:
        name, said = schedule_words(contradiction, int(form.year), page.lang)
        return _form_page(page, user, form, earlier, errors={name: said}, status_code=422)
    except InvalidInput:
        errors = {_CARRY: WORDS[page.lang]["carry_unknown"]}
        return _form_page(page, user, form, earlier, errors=errors, status_code=422)
    text, words = i18n.TEXT[page.lang], WORDS[page.lang]
    schedule = spec.schedule
    deadlines = [
        (words["drafting_due"], format_deadline(schedule.drafting_due, page.lang)),
        (words["signing_due"], format_deadline(schedule.signing_due, page.lang)),
    ]
    for q in schedule.quarters:
        numeral = i18n.QUARTERS[q.quarter]
        deadlines.append(
            (words["report_due"].format(quarter=numeral), format_deadline(q.report_due, page.lang))
        )
        deadlines.append(
            (words["lock"].format(quarter=numeral), format_deadline(q.lock, page.lang))
        )
    return page.render(
        "cycle_preview.html",
        user=user,
        w=words,
        form=form,
        spec=spec,
        code=body.cycle_id,
        deadlines=deadlines,
        missing_holidays=cycles.calendar_gaps(spec),
        review=words["review_rule"].format(n=schedule.review_working_days),
        offices=[text[f"office_{o}"] for o in spec.signatories],
        method=text[f"method_{spec.signature_method.value}"],
        every=sum(not is_province_code(r.code) for r in spec.regencies)
        == len(load_catalog().regencies),
        acknowledging=_acknowledging_title(spec),
        province=next((r for r in spec.regencies if is_province_code(r.code)), None),
        carried=[(r, len(spec.carried[r.code])) for r in spec.regencies if r.code in spec.carried],
        carry_label=next((e.label for e in earlier if e.id == spec.carry_from), spec.carry_from),
    )


def _acknowledging_title(spec: CycleSpec) -> str:
    """The title of the office chosen to acknowledge the joint commitment, as of today."""
    party = load_catalog().party
    if party is None:
        return spec.acknowledging_office.value
    return party.title_of(spec.acknowledging_office, datetime.now(WITA).date())


@router.post(NEW, response_class=HTMLResponse)
async def start_cycle(
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Start the cycle previewed (coordinator), then show its board; or the form again."""
    posted = await _posted(request, runtime, token, lang_cookie)
    if isinstance(posted, Response):
        return posted
    page, user = posted.page, posted.user
    form = CycleForm.of(posted.fields)
    earlier = _earlier_cycles(runtime, page.lang)
    if _first(posted.fields, "step") != "start":
        return _form_page(page, user, form, earlier)
    try:
        body = form.body(page.lang)
        started = await cycles.start_cycle(client, runtime.settings, runtime.sessions, user, body)
    except forms.FormInvalid as invalid:
        return _form_page(page, user, form, earlier, errors=invalid.errors, status_code=422)
    except ScheduleError as contradiction:
        name, said = schedule_words(contradiction, int(form.year), page.lang)
        return _form_page(page, user, form, earlier, errors={name: said}, status_code=422)
    except InvalidInput:
        errors = {_CARRY: WORDS[page.lang]["carry_unknown"]}
        return _form_page(page, user, form, earlier, errors=errors, status_code=422)
    except Conflict:
        form.cycle_id = form.code()
        errors = {"cycle_id": WORDS[page.lang]["cycle_exists"]}
        return _form_page(page, user, form, earlier, errors=errors, status_code=409)
    return RedirectResponse(f"/cycles/{started.cycle_id}/board", status_code=303)


# --- managing a running cycle ----------------------------------------------------------


def _deadline_choices(lang: Language) -> list[tuple[str, str]]:
    """Each deadline a coordinator may extend, and its label."""
    text, words = i18n.TEXT[lang], WORDS[lang]
    labels = {
        DeadlineKey.DRAFTING: text["due_drafting"],
        DeadlineKey.REVIEW: text["due_review"],
        DeadlineKey.SIGNING: text["due_signing"],
    }
    for q, numeral in i18n.QUARTERS.items():
        labels[DeadlineKey(f"q{q}")] = text["due_report"].format(quarter=numeral)
        labels[DeadlineKey(f"q{q}_lock")] = words["lock_key"].format(quarter=numeral)
    return [(key.value, labels[key]) for key in DeadlineKey]


def _manage_page(
    page: Page,
    session: Session,
    user: AuthUser,
    cycle_id: str,
    *,
    status_code: int = 200,
    notice: str | None = None,
    refusal: str | None = None,
    errors: dict[str, str] | None = None,
    typed: forms.Fields | None = None,
    posted: str | None = None,
) -> Response:
    """The manage page: the cycle's regencies, the three forms and the coordinator's history."""
    try:
        cycle = cycles.get_cycle(session, cycle_id)
    except NotFound:
        return page.error(user, 404, "not_found", cycle_id)
    rows = cycles.board(session, user, cycles.head_of(cycle))
    open_rows = [r for r in rows if r.row is not None and not Stage(r.row.stage).is_terminal]
    labels = i18n.ACTION_LABELS[page.lang]
    return page.render(
        "cycle_manage.html",
        status_code=status_code,
        user=user,
        w=WORDS[page.lang],
        cycle=cycle,
        rows=rows,
        open_rows=open_rows,
        ended=cycle.ended_at is not None,
        deadline_choices=_deadline_choices(page.lang),
        history=cycles.coordinator_history(session, user, cycle_id),
        history_labels={**labels, "cancelled": labels["cancel"]},
        regency_names={r.code: r.name for r in rows},
        notice=notice,
        refusal=refusal,
        errors=errors or {},
        typed=typed or {},
        posted=posted,
    )


@router.get(MANAGE, response_class=HTMLResponse)
def manage_cycle(
    cycle_id: CycleId,
    who: SignedInDep,
    session: SessionDep,
    done: Annotated[str | None, Query(pattern="^(withdraw|cancel)$")] = None,
    regency: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    """The coordinator's page of a cycle: extend deadlines, withdraw a regency, cancel it."""
    _coordinator(who)
    notice = None
    words = WORDS[who.page.lang]
    if done == "cancel":
        notice = words["done_cancel"]
    elif done == "withdraw" and regency:
        notice = words["done_withdraw"].format(regency=_regency_label(regency))
    return _manage_page(who.page, session, who.user, cycle_id, notice=notice)


def _regency_label(code: str) -> str:
    try:
        regency = load_catalog().get(code)
    except LookupError:
        return code
    return f"{regency.name} ({regency.kemendagri_code})"


def _again(
    posted: Posted, runtime: Runtime, cycle_id: str, which: str, status_code: int, **shown: Any
) -> Response:
    """The manage page again, with the refused form `which` as typed."""
    with transaction(runtime.sessions) as session:
        return _manage_page(
            posted.page,
            session,
            posted.user,
            cycle_id,
            status_code=status_code,
            typed=posted.fields,
            posted=which,
            **shown,
        )


def _confirm(posted: Posted, action: str, question: str, **shown: Any) -> Response:
    """The confirmation of an action: what is about to happen, the fields kept hidden."""
    kept = [(n, v) for n, values in posted.fields.items() if n != "csrf" for v in values]
    return posted.page.render(
        "cycle_confirm.html",
        user=posted.user,
        w=WORDS[posted.page.lang],
        action=action,
        question=question,
        kept=kept,
        **shown,
    )


def _read(posted: Posted, model: type[Any], **data: Any) -> Any:
    return forms.model_or_invalid(model, data, posted.page.lang)


@router.post(MANAGE + "/extend", response_class=HTMLResponse)
async def extend_deadlines(
    cycle_id: CycleId,
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Extend one deadline of the ticked regencies, once confirmed; the result of each."""
    posted = await _posted(request, runtime, token, lang_cookie, cycle_id)
    if isinstance(posted, Response):
        return posted
    page, fields, words = posted.page, posted.fields, WORDS[posted.page.lang]
    cycle = posted.cycle
    assert cycle is not None  # asked for by id
    known = cycles.regency_codes(cycle)
    with transaction(runtime.sessions) as session:
        still_open = {c.regency_code for c in cycles.open_commitments(session, cycle_id)}
    codes = list(dict.fromkeys(c for c in fields.get("regency", []) if c in known))
    if ALL in fields.get("regency", []):
        # Every regency the form offered: those whose commitment is still open.
        codes = [code for code in known if code in still_open]
    errors: dict[str, str] = {}
    body = None
    try:
        body = _read(
            posted,
            ExtendIn,
            key=_first(fields, "key"),
            until=_first(fields, "until"),
            reason=_first(fields, "reason"),
        )
    except forms.FormInvalid as invalid:
        errors.update({f"extend-{k}": v for k, v in invalid.errors.items()})
    if not codes:
        errors["extend-regency"] = words["regencies_required"]
    if errors or body is None:
        return _again(posted, runtime, cycle_id, "extend", 422, errors=errors)
    labels = dict(_deadline_choices(page.lang))
    until = format_deadline(end_of_day(body.until), page.lang)
    if not _first(fields, CONFIRMED):
        question = words["confirm_extend"].format(
            deadline=labels[body.key.value], until=until, n=len(codes)
        )
        return _confirm(
            posted,
            "extend",
            question,
            cycle=cycle,
            listed=[_regency_label(c) for c in codes],
            reason=body.reason,
            yes=words["yes_extend"],
        )
    outcomes = await cycles.extend_deadlines(
        client, runtime.sessions, posted.user, cycle_id, codes, body.key, body.until, body.reason
    )
    results = []
    for code, outcome in outcomes.items():
        if isinstance(outcome, Refusal):
            said = words["refused_because"].format(reason=refusal_words(page, outcome))
            results.append((code, _regency_label(code), False, said))
        else:
            results.append(
                (code, _regency_label(code), True, words["extended_to"].format(until=until))
            )
    ok = sum(1 for r in results if r[2])
    return page.render(
        "cycle_results.html",
        status_code=200 if ok else 409,
        user=posted.user,
        w=words,
        cycle=cycle,
        deadline=labels[body.key.value],
        reason=body.reason,
        results=results,
        ok_count=ok,
        summary=words["extended_count"].format(ok=ok, n=len(results)),
    )


@router.post(MANAGE + "/withdraw", response_class=HTMLResponse)
async def withdraw_regency(
    cycle_id: CycleId,
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Withdraw one regency from the cycle, once confirmed."""
    posted = await _posted(request, runtime, token, lang_cookie, cycle_id)
    if isinstance(posted, Response):
        return posted
    page, fields, words = posted.page, posted.fields, WORDS[posted.page.lang]
    cycle = posted.cycle
    assert cycle is not None  # asked for by id
    known = cycles.regency_codes(cycle)
    code = _first(fields, "regency")
    errors: dict[str, str] = {}
    body = None
    try:
        body = _read(posted, WithdrawIn, reason=_first(fields, "reason"))
    except forms.FormInvalid as invalid:
        errors.update({f"withdraw-{k}": v for k, v in invalid.errors.items()})
    if code not in known:
        errors["withdraw-regency"] = words["regency_required"]
    if errors or body is None:
        return _again(posted, runtime, cycle_id, "withdraw", 422, errors=errors)
    label = _regency_label(code)
    if not _first(fields, CONFIRMED):
        question = words["confirm_withdraw"].format(regency=label, cycle=cycle.name)
        return _confirm(
            posted,
            "withdraw",
            question,
            cycle=cycle,
            listed=[],
            reason=body.reason,
            yes=words["yes_withdraw"],
        )
    try:
        await cycles.withdraw_regency(
            client, runtime.sessions, posted.user, cycle_id, code, body.reason
        )
    except Conflict as refused:
        return _again(
            posted, runtime, cycle_id, "withdraw", 409, refusal=refusal_words(page, refused)
        )
    return RedirectResponse(
        f"/cycles/{cycle_id}/manage?done=withdraw&regency={code}", status_code=303
    )


@router.post(MANAGE + "/cancel", response_class=HTMLResponse)
async def cancel_cycle(
    cycle_id: CycleId,
    request: Request,
    runtime: RuntimeDep,
    client: TemporalDep,
    token: SessionCookie = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Cancel the cycle and every open commitment in it, once confirmed."""
    posted = await _posted(request, runtime, token, lang_cookie, cycle_id)
    if isinstance(posted, Response):
        return posted
    page, fields, words = posted.page, posted.fields, WORDS[posted.page.lang]
    cycle = posted.cycle
    assert cycle is not None  # asked for by id
    try:
        body = _read(posted, CancelCycleIn, reason=_first(fields, "reason"))
    except forms.FormInvalid as invalid:
        errors = {f"cancel-{k}": v for k, v in invalid.errors.items()}
        return _again(posted, runtime, cycle_id, "cancel", 422, errors=errors)
    if not _first(fields, CONFIRMED):
        question = words["confirm_cancel"].format(cycle=cycle.name)
        return _confirm(
            posted,
            "cancel",
            question,
            cycle=cycle,
            listed=[],
            reason=body.reason,
            yes=words["yes_cancel"],
        )
    try:
        await cycles.cancel_cycle(client, runtime.sessions, posted.user, cycle_id, body.reason)
    except Conflict as refused:
        # Refused by the workflow, with a code; or found ended before it was asked.
        said = refusal_words(page, refused) if refused.code else words["ended"]
        return _again(posted, runtime, cycle_id, "cancel", 409, refusal=said)
    return RedirectResponse(f"/cycles/{cycle_id}/manage?done=cancel", status_code=303)
