"""The page routes of signing in and out, the home page and a cycle's board.

What every page shares (language, the signed-in person, templates, CSRF) is in
`api/pages/base.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api import security
from api.deps import CycleId, RuntimeDep, SessionDep, client_address
from api.pages.base import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    TEMPLATES_DIR,
    LangCookie,
    LangQuery,
    Page,
    SessionCookie,
    SignedInDep,
    page_for,
    page_text,
    safe_next,
    secure,
)
from domain.plan import Printable
from services import access, cycles, signin
from services.errors import LockedOut

router = APIRouter(include_in_schema=False)


@router.get("/static/komitmen.css")
def stylesheet() -> FileResponse:
    """The pages' stylesheet."""
    return FileResponse(TEMPLATES_DIR / "static" / "komitmen.css", media_type="text/css")


@router.get("/static/document.css")
def document_stylesheet() -> FileResponse:
    """The printable documents' stylesheet (A4, print rules)."""
    return FileResponse(TEMPLATES_DIR / "static" / "document.css", media_type="text/css")


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    lang: LangQuery = None,
    lang_cookie: LangCookie = None,
    next_: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """The sign-in form."""
    page = page_for(request, lang, lang_cookie)
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
        next=safe_next(next_),
        login_nonce=nonce,
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="lax", secure=secure(page.request), path="/"
    )
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    runtime: RuntimeDep,
    username: Annotated[str, Form(max_length=64), Printable] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_: Annotated[str | None, Form(alias="next")] = None,
    nonce: Annotated[str | None, Form(alias="login_nonce", max_length=64)] = None,
    nonce_cookie: Annotated[str | None, Cookie(alias=LOGIN_COOKIE)] = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Check the credentials and start a page session (a token in an HttpOnly cookie)."""
    page = page_for(request, None, lang_cookie)
    if not security.same_secret(nonce_cookie, nonce):
        return login_page(
            page,
            error=page_text(page, "form_expired"),
            username=username,
            next_=next_,
            status_code=403,
        )
    lifetime = timedelta(hours=runtime.settings.session_hours)
    credentials = signin.Credentials(username, password, client_address(request))
    try:
        signed_in = signin.sign_in(
            runtime.sessions,
            runtime.throttle,
            credentials,
            token_name="web",
            lifetime=lifetime,
            now=datetime.now(UTC),
        )
    except LockedOut as locked:
        minutes = -(-locked.retry_after // 60)
        message = page_text(page, "locked_out").format(minutes=minutes)
        response = login_page(page, error=message, username=username, next_=next_, status_code=429)
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    if signed_in is None:
        return login_page(
            page, error=page_text(page, "wrong_credentials"), username=username, next_=next_
        )
    _, token = signed_in
    response = RedirectResponse(safe_next(next_), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    token: SessionCookie = None,
    csrf: Annotated[str | None, Form(max_length=128)] = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """End the page session: revoke its token and drop the cookie."""
    page = page_for(request, None, lang_cookie)
    if token and not security.same_secret(page.csrf, csrf):
        return page.error(access.user_for_token(session, token), 403, "form_expired", "")
    if token:
        signin.sign_out(session, token=token, now=datetime.now(UTC))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(who: SignedInDep, session: SessionDep) -> Response:
    """The newest cycle's board."""
    page, user = who.page, who.user
    known = cycles.list_cycles(session)
    if not known:
        return page.render("error.html", user=user, title=page_text(page, "no_cycles"), detail="")
    return RedirectResponse(f"/cycles/{known[0].id}/board", status_code=303)


@router.get("/cycles/{cycle_id}/board", response_class=HTMLResponse)
def board(cycle_id: CycleId, who: SignedInDep, session: SessionDep) -> Response:
    """The cycle's regencies: stage, round, next deadline, overdue, reports verified."""
    cycle = who.cycle(session, cycle_id)
    rows = cycles.board(session, who.user, cycle)
    known = cycles.list_cycles(session)
    return who.page.render("board.html", user=who.user, cycle=cycle, cycles=known, rows=rows)
