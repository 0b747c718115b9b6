"""Forgotten passwords and set-password links: pages anyone may open, signed in or not.

"Lupa kata sandi?" on the sign-in page asks for a username or email and always gives the
same answer, whether or not such an account exists; if it does, a link
`/password/reset/{token}` is mailed (`services.passwords`). The link's page sets a new
password once; an unknown, used or expired link gets a 404 page offering a new one.
The request form is guarded like the sign-in form (a double-submit nonce); the link's
form needs no more than the link, whose token is the secret.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from api import security
from api.deps import RuntimeDep, client_address
from api.pages.base import (
    LOGIN_COOKIE,
    LangCookie,
    LangQuery,
    Page,
    page_for,
    page_text,
    secure,
)
from domain.plan import Printable
from domain.words import NC_, by_language
from services import mailer, passwords
from services.database import transaction
from services.errors import LockedOut

router = APIRouter(include_in_schema=False)

WORDS = by_language(
    {
        "forgot": NC_("password.forgot", "Forgot your password?"),
        "forgot_intro": NC_(
            "password.forgot_intro",
            "Enter your username or email. If an account has it, we send a link to set a new "
            "password to the account's email.",
        ),
        "identifier": NC_("password.identifier", "Username or email"),
        "send": NC_("password.send", "Send the link"),
        "sent": NC_(
            "password.sent",
            "If an account has this username or email, a link to set a new password is on "
            "its way to the account's email. It works once, for {minutes} minutes. Check the "
            "spam folder too.",
        ),
        "too_many": NC_("password.too_many", "Too many requests. Try again in {minutes} minutes."),
        "set": NC_("password.set", "Set your password"),
        "welcome": NC_("password.welcome", "Account: {name} ({username})"),
        "new": NC_("password.new", "New password (at least {n} characters)"),
        "again": NC_("password.again", "The new password again"),
        "save": NC_("password.save", "Save the password"),
        "saved": NC_(
            "password.saved",
            "Your password is set. Every earlier session of the account has ended.",
        ),
        "sign_in": NC_("password.sign_in", "Sign in"),
        "invalid": NC_("password.invalid", "This link no longer works"),
        "invalid_detail": NC_(
            "password.invalid_detail",
            "A link works once and only for a while. Ask for a new one.",
        ),
        "ask_again": NC_("password.ask_again", "Ask for a new link"),
        "password_short": NC_(
            "password.password_short", "The password needs at least {n} characters."
        ),
        "password_long": NC_("password.password_long", "The password is too long."),
        "password_mismatch": NC_(
            "password.password_mismatch", "The two passwords are not the same."
        ),
    }
)
"""The words of these pages (source English, Bahasa Indonesia in the catalogs)."""

TOKEN = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
PASSWORD = Annotated[str, Form(max_length=passwords.MAX_PASSWORD_LENGTH + 1)]


def _forgot_page(
    page: Page, *, message: str | None = None, error: str | None = None, status_code: int = 200
) -> Response:
    nonce = security.new_login_nonce()
    response = page.render(
        "password_forgot.html",
        status_code=status_code,
        w=WORDS[page.lang],
        message=message,
        error=error,
        login_nonce=nonce,
    )
    response.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="lax", secure=secure(page.request), path="/"
    )
    return response


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_form(
    request: Request, lang: LangQuery = None, lang_cookie: LangCookie = None
) -> Response:
    """Ask for a set-password link by username or email."""
    return _forgot_page(page_for(request, lang, lang_cookie))


@router.post("/password/forgot", response_class=HTMLResponse)
def forgot(
    request: Request,
    runtime: RuntimeDep,
    identifier: Annotated[str, Form(max_length=320), Printable] = "",
    nonce: Annotated[str | None, Form(alias="login_nonce", max_length=64)] = None,
    nonce_cookie: Annotated[str | None, Cookie(alias=LOGIN_COOKIE)] = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """Mail a link if an account has this username or email; the same answer either way."""
    page = page_for(request, None, lang_cookie)
    if not security.same_secret(nonce_cookie, nonce):
        return _forgot_page(page, error=page_text(page, "form_expired"), status_code=403)
    words = WORDS[page.lang]
    try:
        letter = passwords.request_reset(
            runtime.sessions,
            runtime.settings,
            identifier=identifier,
            client=client_address(request),
            now=runtime.clock(),
        )
    except LockedOut as locked:
        minutes = -(-locked.retry_after // 60)
        response = _forgot_page(
            page, error=words["too_many"].format(minutes=minutes), status_code=429
        )
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    if letter is not None:
        mailer.send(runtime.settings, [letter])
    minutes = runtime.settings.password_reset_minutes
    return _forgot_page(page, message=words["sent"].format(minutes=minutes))


def _invalid(page: Page) -> Response:
    return page.render("password_reset.html", status_code=404, w=WORDS[page.lang], holder=None)


@router.get("/password/reset/{token}", response_class=HTMLResponse)
def reset_form(
    token: TOKEN,
    request: Request,
    runtime: RuntimeDep,
    lang: LangQuery = None,
    lang_cookie: LangCookie = None,
) -> Response:
    """The form of a set-password link; a 404 page if the link does not work (any more)."""
    page = page_for(request, lang, lang_cookie)
    with transaction(runtime.sessions) as session:
        holder = passwords.link_holder(session, token=token, now=runtime.clock())
    if holder is None:
        return _invalid(page)
    return page.render(
        "password_reset.html",
        w=WORDS[page.lang],
        holder=holder,
        error=None,
        min_length=passwords.MIN_PASSWORD_LENGTH,
        saved=False,
    )


@router.post("/password/reset/{token}", response_class=HTMLResponse)
def reset(
    token: TOKEN,
    request: Request,
    runtime: RuntimeDep,
    password: PASSWORD = "",
    again: PASSWORD = "",
    lang_cookie: LangCookie = None,
) -> Response:
    """Set the password through the link, once; every session of the person ends."""
    page = page_for(request, None, lang_cookie)
    now = runtime.clock()
    with transaction(runtime.sessions) as session:
        holder = passwords.link_holder(session, token=token, now=now)
    if holder is None:
        return _invalid(page)
    problem = passwords.password_problem(password, again)
    if problem is not None:
        error = WORDS[page.lang][problem].format(n=passwords.MIN_PASSWORD_LENGTH)
        return page.render(
            "password_reset.html",
            status_code=422,
            w=WORDS[page.lang],
            holder=holder,
            error=error,
            min_length=passwords.MIN_PASSWORD_LENGTH,
            saved=False,
        )
    if passwords.set_with_link(runtime.sessions, token=token, password=password, now=now) is None:
        return _invalid(page)
    return page.render(
        "password_reset.html",
        w=WORDS[page.lang],
        holder=holder,
        error=None,
        saved=True,
        min_length=passwords.MIN_PASSWORD_LENGTH,
    )
