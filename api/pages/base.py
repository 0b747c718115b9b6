"""What every page stands on: its language, the signed-in person, templates and errors.

A page session is an ordinary API token (stored hashed, revoked on logout, expiring
after KOMITMEN_SESSION_HOURS) carried in an HttpOnly, SameSite=Lax cookie instead
of a bearer header; the person behind it is found by `services.access`, as for the
JSON API, and their scope is the API's: a regency user sees only their own regency.

Every form carries a CSRF token. In a session it is an HMAC keyed by the session
token (see `security.csrf_token`); the sign-in form, before any session exists,
uses a double-submit nonce: the same random value as a cookie and as a field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Cookie, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from api import security
from api.deps import RuntimeDep, SessionDep
from api.pages import i18n
from domain.display import (
    Language,
    acting_mark,
    format_amount,
    format_date,
    format_deadline,
    format_number,
    format_percent,
    format_rupiah,
)
from domain.errors import UnknownRegency
from domain.plan import ISSUE_LABELS
from domain.refusals import refusal_text
from domain.roles import Role
from services import access, commitments, cycles, item_details, tasks
from services.access import AuthUser
from services.commitments import CommitmentRef
from services.cycles import CycleHead, CycleRecord
from services.errors import NotFound, OutOfScope, Refusal

SESSION_COOKIE = "komitmen_session"
LOGIN_COOKIE = "komitmen_login"
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

LangQuery = Annotated[str | None, Query(alias="lang", pattern="^(id|en)$")]
LangCookie = Annotated[str | None, Cookie(alias=i18n.LANG_COOKIE)]
SessionCookie = Annotated[str | None, Cookie(alias=SESSION_COOKIE)]


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship with the code and change only with a new release (a restart):
        # checking each one's modification time on every render is work for nothing.
        auto_reload=False,
    )
    environment.filters["date"] = format_date
    environment.filters["deadline"] = format_deadline
    environment.filters["number"] = format_number
    environment.filters["rupiah"] = format_rupiah
    environment.filters["percent"] = format_percent
    environment.filters["amount"] = amount
    environment.globals.update(
        stage_label=i18n.stage_label,
        issue_label=i18n.issue_label,
        acting_mark=acting_mark,
        phases=i18n.PHASES,
        report_states=i18n.REPORT_STATES,
        timeliness=i18n.TIMELINESS,
        quarters=i18n.QUARTERS,
        action_labels=i18n.ACTION_LABELS,
        role_labels=i18n.ROLE_LABELS,
        progress_labels=i18n.PROGRESS,
        partner_labels=i18n.PARTNERS,
        field_words=i18n.FIELD_WORDS,
        issue_labels=ISSUE_LABELS,
        budget_source_labels=i18n.BUDGET_SOURCES,
        item_lines=item_details.detail_lines,
        item_outcomes=item_details.item_outcomes,
        detail_words=item_details.WORDS,
        realised_text=item_details.realised_text,
        field_text=item_details.field_text,
        asset=asset,
    )
    return environment


def _version(name: str) -> str:
    return hashlib.sha256((TEMPLATES_DIR / "static" / name).read_bytes()).hexdigest()[:12]


STYLESHEET_VERSIONS = {name: _version(name) for name in ("komitmen.css", "document.css")}
"""Each stylesheet's version, from its content: its URL changes exactly when it does, so
browsers may keep it for a year (`asset`, and the stylesheet routes' Cache-Control)."""


def asset(name: str) -> str:
    """A stylesheet's URL, with the version that lets a browser cache it for good."""
    return f"/static/{name}?v={STYLESHEET_VERSIONS[name]}"


def amount(value: Any, language: str = "id", rupiah: bool = False) -> str:
    """An exact amount as the page's language writes and reads it back ("Rp150.000.000").

    A report's items are JSON, where amounts are strings ("12.5"): read them exactly.
    """
    return format_amount(Decimal(str(value)), language, rupiah=rupiah)


TEMPLATES = _environment()
"""The pages' and documents' templates, with the filters and words they share."""


class Page:
    """The language and user of one page request, and how to answer it."""

    def __init__(self, request: Request, lang: Language, switched: bool) -> None:
        self.request = request
        self.lang = lang
        self.switched = switched
        session_token = request.cookies.get(SESSION_COOKIE)
        self.csrf = security.csrf_token(session_token) if session_token else ""
        self.unread: Callable[[], int] | None = None
        """Counts the signed-in person's new tasks for the header, if anyone is signed in."""

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        """Render `pages/<template>` with the words of the page's language."""
        values = {"user": None, "csrf": self.csrf, **context}
        if "unread" not in values:
            # Counted only for a page that shows a signed-in person's header.
            values["unread"] = self.unread() if values["user"] and self.unread else None
        html = TEMPLATES.get_template(f"pages/{template}").render(
            lang=self.lang, t=i18n.TEXT[self.lang], path=self.request.url.path, **values
        )
        return self.remember(HTMLResponse(html, status_code=status_code))

    def error(self, user: AuthUser | None, status: int, key: str, detail: str) -> Response:
        """The error page, titled in the page's language."""
        return self.render(
            "error.html", status_code=status, user=user, title=page_text(self, key), detail=detail
        )

    def remember(self, response: Response) -> Response:
        """Keep a language chosen with `?lang=` in a cookie."""
        if self.switched:
            keep_language(response, self.request, self.lang)
        return response


def keep_language(response: Response, request: Request, lang: str) -> None:
    """Set the language cookie that later pages read, for a year."""
    response.set_cookie(
        i18n.LANG_COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def page_for(request: Request, lang: str | None, lang_cookie: str | None) -> Page:
    """The page of a request: `?lang=` first, then the language cookie."""
    return Page(request, i18n.choose_language(lang, lang_cookie), switched=lang is not None)


def secure(request: Request) -> bool:
    """Whether the request came over HTTPS, so its cookies must be Secure."""
    return request.url.scheme == "https"


def to_login(request: Request) -> RedirectResponse:
    """Send the visitor to sign in, then back to where they were."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


@dataclass(frozen=True)
class Visit:
    """A page request: its language, how to answer it, and who is signed in (None if nobody)."""

    page: Page
    user: AuthUser | None

    def to_login(self) -> Response:
        """Send the visitor to sign in, then back here."""
        return self.page.remember(to_login(self.page.request))


def visit(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    token: SessionCookie = None,
    lang: LangQuery = None,
    lang_cookie: LangCookie = None,
) -> Visit:
    """The page request's language and signed-in user."""
    page = page_for(request, lang, lang_cookie)
    user = access.user_for_token(session, token, runtime.clock())
    if user is not None:
        page.unread = partial(tasks.unread_count, session, user)
    return Visit(page, user)


VisitDep = Annotated[Visit, Depends(visit)]


def safe_next(target: str | None) -> str:
    """A target to go to after signing in: only a path on this site."""
    # Only a path on this site: "//evil.example" or "https://..." would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def page_text(page: Page, key: str) -> str:
    """One word of the page's language."""
    return i18n.TEXT[page.lang][key]


class PageAnswer(Exception):
    """A page answered before its route's own work: sign in first, or an error page.

    The app answers it with its `response` (`api/app.py`), so a route reads as its
    happy path.
    """

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass(frozen=True)
class SignedIn:
    """A page request by a signed-in person."""

    page: Page
    user: AuthUser

    def refuse(self, status: int, key: str, detail: str) -> PageAnswer:
        """The error page, as an answer to raise."""
        return PageAnswer(self.page.error(self.user, status, key, detail))

    def require(self, *roles: Role) -> None:
        """Go no further (the 403 page, saying why) unless the person has one of the roles."""
        try:
            access.require_role(self.user, *roles)
        except OutOfScope as refused:
            raise self.refuse(403, "forbidden", refusal_words(self.page, refused)) from None

    def cycle(self, session: Session, cycle_id: str) -> CycleRecord:
        """A recorded cycle, or the 404 page."""
        try:
            return cycles.get_cycle(session, cycle_id)
        except NotFound:
            raise self.refuse(404, "not_found", cycle_id) from None

    def cycle_head(self, session: Session, cycle_id: str) -> CycleHead:
        """A recorded cycle's id, name, year and regencies (not its whole spec), or the 404
        page."""
        try:
            return cycles.cycle_head(session, cycle_id)
        except NotFound:
            raise self.refuse(404, "not_found", cycle_id) from None

    def commitment(self, session: Session, cycle_id: str, regency_code: str) -> CommitmentRef:
        """A recorded commitment in the person's scope, or the 403 or 404 page."""
        return scoped_commitment(self.page, session, self.user, cycle_id, regency_code)


async def answer_page(_request: Request, answer: Exception) -> Response:
    """The app's handler of a PageAnswer: its response."""
    assert isinstance(answer, PageAnswer)
    return answer.response


async def signed_in(visit: VisitDep) -> SignedIn:
    """The signed-in person of a page request; anyone else is sent to sign in first."""
    if visit.user is None:
        raise PageAnswer(visit.to_login())
    return SignedIn(visit.page, visit.user)


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def scoped_commitment(
    page: Page, session: Session, user: AuthUser, cycle_id: str, regency_code: str
) -> CommitmentRef:
    """The recorded commitment a page shows; PageAnswer with the error page saying why not."""
    try:
        ref = commitments.find_commitment(session, user, cycle_id, regency_code)
    except OutOfScope as refused:
        raise PageAnswer(page.error(user, 403, "forbidden", refusal_words(page, refused))) from None
    except UnknownRegency as unknown:
        raise PageAnswer(page.error(user, 404, "not_found", unknown.message)) from None
    if ref.row is None:
        raise PageAnswer(page.error(user, 404, "not_found", ref.id))
    return ref


def refusal_words(page: Page, refused: Refusal) -> str:
    """What a refusal says, in the page's language where the rules gave it a code."""
    if refused.code is not None:
        return refusal_text(refused.code, refused.params, page.lang)
    return refused.detail
