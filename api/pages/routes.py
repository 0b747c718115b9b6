"""The page routes of signing in and out, the home page ("Tugas saya"), search and a cycle's board.

What every page shares (language, the signed-in person, templates, CSRF) is in
`api/pages/base.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api import security
from api.deps import CycleId, RuntimeDep, SessionDep, client_address
from api.pages.base import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    STYLESHEET_VERSIONS,
    TEMPLATES_DIR,
    LangCookie,
    LangQuery,
    Page,
    SessionCookie,
    SignedInDep,
    keep_language,
    page_for,
    page_text,
    safe_next,
    secure,
)
from domain.display import normalize_language
from domain.plan import Printable
from domain.stages import Stage
from services import access, cycles, signin, tasks
from services.errors import LockedOut

router = APIRouter(include_in_schema=False)


def _stylesheet(name: str, version: str | None) -> FileResponse:
    # Asked for by its current version (`asset`), it never changes: a year in the cache.
    # Without it, or by an old one, the browser asks again each time.
    current = version == STYLESHEET_VERSIONS[name]
    cache = "public, max-age=31536000, immutable" if current else "no-cache"
    return FileResponse(
        TEMPLATES_DIR / "static" / name, media_type="text/css", headers={"Cache-Control": cache}
    )


@router.get("/static/komitmen.css")
def stylesheet(v: Annotated[str | None, Query(max_length=64)] = None) -> FileResponse:
    """The pages' stylesheet."""
    return _stylesheet("komitmen.css", v)


@router.get("/static/document.css")
def document_stylesheet(v: Annotated[str | None, Query(max_length=64)] = None) -> FileResponse:
    """The printable documents' stylesheet (A4, print rules)."""
    return _stylesheet("document.css", v)


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
    user, token = signed_in
    response = RedirectResponse(safe_next(next_), status_code=303)
    if lang_cookie is None:
        # Until they choose on a page, people read the pages in their record's language.
        keep_language(response, request, normalize_language(user.language))
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


@router.get("/", response_class=HTMLResponse)
def home(who: SignedInDep, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The person's own work across every open cycle ("Tugas saya"), and a search box."""
    now = runtime.clock()
    listed = tasks.tasks_for(session, who.user, now)
    # The "new" marks are the person's last visit's; from now on they have seen them.
    tasks.mark_seen(session, who.user, listed, now)
    running = tasks.running_cycles(session)
    no_cycles = not running and not cycles.list_cycles(session)
    return who.page.render(
        "tasks.html",
        user=who.user,
        listed=listed,
        running=running,
        no_cycles=no_cycles,
        query="",
        unread=0,
    )


@router.get("/search", response_class=HTMLResponse)
def search(
    who: SignedInDep,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100), Printable] = "",
) -> Response:
    """Commitments of running cycles in the person's scope, by regency name or code."""
    found = tasks.search(session, who.user, q)
    return who.page.render("search.html", user=who.user, query=q.strip(), found=found)


BOARD_SORTS = ("regency", "stage", "due")
_STAGE_ORDER = {stage.value: n for n, stage in enumerate(Stage)}
_LATEST = datetime.max.replace(tzinfo=UTC)


def _board_key(sort: str) -> Callable[[cycles.BoardRow], tuple[Any, ...]]:
    """How the board orders its rows: by the cycle's order of regencies, stage or deadline."""

    def key(r: cycles.BoardRow) -> tuple[Any, ...]:
        row = r.row
        if sort == "stage":
            # Not yet recorded comes first: it has not even begun drafting.
            return (_STAGE_ORDER[row.stage] if row else -1, r.revising, r.code)
        if sort == "due":
            return ((row.next_due_at if row and row.next_due_at else _LATEST), r.code)
        return (r.code,)

    return key


@router.get("/cycles/{cycle_id}/board", response_class=HTMLResponse)
def board(
    cycle_id: CycleId,
    who: SignedInDep,
    session: SessionDep,
    sort: Annotated[str, Query(max_length=20)] = "regency",
    stage: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The cycle's regencies: stage, round, next deadline, overdue, reports verified.

    `sort` orders them by regency (the cycle's order), stage or next deadline; `stage`
    shows one stage only. Plain links, so the page needs no script.
    """
    if sort not in BOARD_SORTS or (stage is not None and stage not in _STAGE_ORDER):
        raise who.refuse(400, "bad_filter", f"sort={sort} stage={stage}")
    cycle = who.cycle_head(session, cycle_id)
    rows = cycles.board(session, who.user, cycle)
    if stage is not None:
        rows = [r for r in rows if r.row is not None and r.row.stage == stage]
    rows.sort(key=_board_key(sort))
    known = cycles.cycle_titles(session)
    return who.page.render(
        "board.html",
        user=who.user,
        cycle=cycle,
        cycles=known,
        rows=rows,
        sort=sort,
        stage=stage,
        sorts=BOARD_SORTS,
        stages=[s.value for s in Stage],
    )
