"""The page routes: signing in and out, the board, and what every page shares.

A page session is an ordinary API token (stored hashed, revoked on logout, expiring
after KOMITMEN_SESSION_HOURS) carried in an HttpOnly, SameSite=Lax cookie instead
of a bearer header. Scope is the API's: a regency user sees only their own regency.

Every form carries a CSRF token. In a session it is an HMAC keyed by the session
token (see `security.csrf_token`); the sign-in form, before any session exists,
uses a double-submit nonce: the same random value as a cookie and as a field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from api import security
from api.deps import (
    AuthUser,
    CycleId,
    RuntimeDep,
    SessionDep,
    client_address,
    scoped_regency,
)
from api.errors import OutOfScope
from api.pages import i18n
from db import models as m
from db import people, reads
from domain.commitment import commitment_id
from domain.display import (
    Language,
    acting_mark,
    format_date,
    format_deadline,
    format_number,
    format_rupiah,
)
from domain.errors import UnknownRegency
from domain.plan import ISSUE_LABELS, Printable

SESSION_COOKIE = "komitmen_session"
LOGIN_COOKIE = "komitmen_login"
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

router = APIRouter(include_in_schema=False)

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
    )
    environment.filters["date"] = format_date
    environment.filters["deadline"] = format_deadline
    environment.filters["number"] = format_number
    environment.filters["rupiah"] = format_rupiah
    environment.globals.update(
        stage_label=i18n.stage_label,
        issue_label=i18n.issue_label,
        acting_mark=acting_mark,
        phases=i18n.PHASES,
        report_states=i18n.REPORT_STATES,
        timeliness=i18n.TIMELINESS,
        quarters=i18n.QUARTERS,
        action_labels=i18n.ACTION_LABELS,
        progress_labels=i18n.PROGRESS,
        partner_labels=i18n.PARTNERS,
        field_words=i18n.FIELD_WORDS,
        issue_labels=ISSUE_LABELS,
        budget_source_labels=i18n.BUDGET_SOURCES,
    )
    return environment


_env = _environment()


class Page:
    """The language and user of one page request, and how to answer it."""

    def __init__(self, request: Request, lang: Language, switched: bool) -> None:
        self.request = request
        self.lang = lang
        self.switched = switched
        session_token = request.cookies.get(SESSION_COOKIE)
        self.csrf = security.csrf_token(session_token) if session_token else ""

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        """Render `pages/<template>` with the words of the page's language."""
        values = {"user": None, "csrf": self.csrf, **context}
        html = _env.get_template(f"pages/{template}").render(
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
            response.set_cookie(
                i18n.LANG_COOKIE,
                self.lang,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="lax",
                secure=_secure(self.request),
            )
        return response


def _page(request: Request, lang: str | None, lang_cookie: str | None) -> Page:
    return Page(request, i18n.choose_language(lang, lang_cookie), switched=lang is not None)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _session_user(session: Session, token: str | None) -> AuthUser | None:
    if not token:
        return None
    user = people.find_user_by_token(session, token=token, now=datetime.now(UTC))
    return AuthUser.of(user) if user is not None else None


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


@dataclass(frozen=True)
class Visit:
    """A page request: its language, how to answer it, and who is signed in (None if nobody)."""

    page: Page
    user: AuthUser | None

    def to_login(self) -> Response:
        """Send the visitor to sign in, then back here."""
        return self.page.remember(_to_login(self.page.request))


def visit(
    request: Request,
    session: SessionDep,
    token: SessionCookie = None,
    lang: LangQuery = None,
    lang_cookie: LangCookie = None,
) -> Visit:
    """The page request's language and signed-in user."""
    return Visit(_page(request, lang, lang_cookie), _session_user(session, token))


VisitDep = Annotated[Visit, Depends(visit)]


def _safe_next(target: str | None) -> str:
    # Only a path on this site: "//evil.example" or "https://..." would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/static/komitmen.css")
def stylesheet() -> FileResponse:
    """The pages' stylesheet."""
    return FileResponse(TEMPLATES_DIR / "static" / "komitmen.css", media_type="text/css")


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    lang: LangQuery = None,
    lang_cookie: LangCookie = None,
    next_: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """The sign-in form."""
    page = _page(request, lang, lang_cookie)
    return login_page(page, error=None, username="", next_=next_)


def login_page(
    page: Page, *, error: str | None, username: str, next_: str | None, status_code: int = 200
) -> Response:
    """The sign-in form with a fresh double-submit nonce in a cookie and a field."""
    nonce = security.new_login_nonce()
    response = page.render(
        "login.html",
        status_code=status_code,
        error=error,
        username=username,
        next=_safe_next(next_),
        login_nonce=nonce,
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="lax", secure=_secure(page.request), path="/"
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64), Printable] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_: Annotated[str | None, Form(alias="next")] = None,
    nonce: Annotated[str | None, Form(alias="login_nonce", max_length=64)] = None,
    nonce_cookie: Annotated[str | None, Cookie(alias=LOGIN_COOKIE)] = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Check the credentials and start a page session (a token in an HttpOnly cookie)."""
    page = _page(request, None, lang_cookie)
    if not security.same_secret(nonce_cookie, nonce):
        return login_page(
            page,
            error=page_text(page, "form_expired"),
            username=username,
            next_=next_,
            status_code=403,
        )
    try:
        user = (
            security.sign_in(
                runtime.sessions,
                runtime.throttle,
                username=username,
                password=password,
                client=client_address(request),
                now=datetime.now(UTC),
            )
            if (username and password)
            else None
        )
    except security.LockedOut as locked:
        minutes = -(-locked.retry_after // 60)
        message = page_text(page, "locked_out").format(minutes=minutes)
        response = login_page(page, error=message, username=username, next_=next_, status_code=429)
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    if user is None:
        return login_page(
            page, error=page_text(page, "wrong_credentials"), username=username, next_=next_
        )
    lifetime = timedelta(hours=runtime.settings.session_hours)
    token = people.create_token(
        session, user_id=user.id, name="web", now=datetime.now(UTC), lifetime=lifetime
    )
    response = RedirectResponse(_safe_next(next_), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def page_text(page: Page, key: str) -> str:
    """One word of the page's language."""
    return i18n.TEXT[page.lang][key]


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    token: SessionCookie = None,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """End the page session: revoke its token and drop the cookie."""
    page = _page(request, None, lang_cookie)
    if token and not security.same_secret(page.csrf, csrf):
        return page.error(_session_user(session, token), 403, "form_expired", "")
    if token:
        people.revoke_token(session, token=token, now=datetime.now(UTC))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(visit: VisitDep, session: SessionDep) -> Response:
    """The newest cycle's board."""
    if visit.user is None:
        return visit.to_login()
    page, user = visit.page, visit.user
    cycles = reads.list_cycles(session)
    if not cycles:
        return page.render("error.html", user=user, title=page_text(page, "no_cycles"), detail="")
    return RedirectResponse(f"/cycles/{cycles[0].id}/board", status_code=303)


@router.get("/cycles/{cycle_id}/board", response_class=HTMLResponse)
def board(
    cycle_id: CycleId,
    visit: VisitDep,
    session: SessionDep,
) -> Response:
    """The cycle's regencies: stage, round, next deadline, overdue, reports verified."""
    if visit.user is None:
        return visit.to_login()
    page, user = visit.page, visit.user
    cycles = reads.list_cycles(session)
    cycle = next((c for c in cycles if c.id == cycle_id), None)
    if cycle is None:
        return page.error(user, 404, "not_found", cycle_id)
    recorded = {r.regency_code: r for r in reads.list_commitments(session, cycle_id=cycle_id)}
    verified = reads.verified_report_counts(session, cycle_id=cycle_id)
    rows = []
    for ref in cycle.spec.get("regencies", []):
        code = ref["code"]
        if not user.covers(code):
            continue
        row = recorded.get(code)
        rows.append(
            {
                "code": code,
                "name": ref["name"],
                "row": row,
                "revising": row is not None and row.round > 1,
                "verified": verified.get(row.id, 0) if row is not None else 0,
            }
        )
    return page.render("board.html", user=user, cycle=cycle, cycles=cycles, rows=rows)


def scoped_commitment(
    page: Page, session: Session, user: AuthUser, cycle_id: str, regency_code: str
) -> tuple[str, m.Commitment] | Response:
    """The regency code and commitment a page shows, or the error page saying why not."""
    try:
        code = scoped_regency(regency_code, user)
    except OutOfScope as refused:
        return page.error(user, 403, "forbidden", refused.detail)
    except UnknownRegency as unknown:
        return page.error(user, 404, "not_found", unknown.message)
    cid = commitment_id(cycle_id, code)
    row = reads.get_commitment(session, commitment_id=cid)
    if row is None:
        return page.error(user, 404, "not_found", cid)
    return code, row
