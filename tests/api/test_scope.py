"""Role × regency over every route of the app: the allowed succeed, the forbidden are
refused and change nothing.

`MATRIX` gives the rule of every route the app declares (method and path template,
page routes included); `test_every_route_is_in_the_matrix` fails on a route it does
not name. The walk takes Kabupaten Kupang (53.01) from drafting to follow-up through
the API and the page forms, while Kota Kupang (53.71) waits in drafting past its
deadline and is withdrawn at the end. At each stage every user (and no one) tries
every action route on both regencies, and twice on the way every read route; the
rules say what each answer must be, and no refusal changes the audit trail or a
commitment. The walk fails unless it has requested every route in MATRIX.

To add a route: its rule in MATRIX; for a new action also its bodies (`api_body`,
FORMS) and its place in ALLOWED; for a coordinator route its body in
`coordinator_bodies`.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from itertools import product
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from openpyxl import load_workbook
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.errors import PROBLEM_JSON
from api.pages.base import LOGIN_COOKIE, SESSION_COOKIE
from api.security import csrf_token
from domain.calendar import wita_date
from domain.catalog import load_catalog
from domain.roles import Role
from domain.stages import Action, Stage, roles_for
from komitmen.demo import sample_plan
from services.commitments import PAGE_ACTIONS
from services.exports import XLSX_MEDIA_TYPE
from services.settings import Settings
from tests.api.client import Api, running_api
from tests.pages.test_forms import row
from tests.pages.test_pages import PASSWORD, hidden
from tests.schedules import reporting_cycle
from workflows.common import commitment_workflow_id

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
OWN, OTHER = "53.01", "53.71"
USERS = ("koordinator", "reviewer", "manajer", "operator-5301", "kalak-5301")
REGENCY = {"operator-5301": OWN, "kalak-5301": OWN}
"""The regency roles among USERS; the others are the province's."""
ROLES = {
    "koordinator": Role.COORDINATOR,
    "reviewer": Role.REVIEWER,
    "manajer": Role.MANAGER,
    "operator-5301": Role.REGENCY_OFFICER,
    "kalak-5301": Role.SIGNATORY,
}
"""The role of each of USERS."""


class Rule(StrEnum):
    """Who may use a route, and what everyone else gets."""

    PUBLIC = "anyone, signed in or not"
    SIGN_IN = "anyone with a password"
    SIGN_OUT = "a signed-in user, ending their own session"
    SIGNED_IN = "every signed-in user, whatever their scope"
    OWN_ROWS = "every signed-in user; regency roles get their own regency's rows only"
    TASKS = (
        "every signed-in user, their own work only; the coordinator and manager see what "
        "is stuck in every regency"
    )
    PROVINCE = "coordinator, reviewer and manager; 403 for regency roles"
    COORDINATOR = "the coordinator; 403 for everyone else"
    READ = "users whose scope covers the regency; 403 outside it"
    ACTION = (
        "as ALLOWED says for the stage; 403 for who the user is (outside their regency, "
        "or a role that never takes the action), else 409 for where the commitment is"
    )
    FILE = "users whose scope covers the regency, 404 for a file never handed in; 403 outside"
    LOOKUP = "anyone, signed in or not; 404 for a code no document has"
    BACK = "anyone, signed in or not; 303 back to the code's page"
    EVIDENCE = (
        "the regency's own officer while the quarter's report is open; 403 for who the "
        "user is (outside their regency, another role)"
    )
    SIGN_WITH_FILE = (
        "403 for who the user is (outside their regency, a role that never signs), "
        "else 409: the walk's cycle signs in Komitmen, not wet or certified"
    )


C = "/cycles/{cycle_id}/commitments/{regency_code}"
PAGE_FORM = f"{C}/page/{{action}}"
API_ACTIONS = {
    "save-draft": Action.SAVE_DRAFT,
    "submit": Action.SUBMIT,
    "approve": Action.APPROVE,
    "request-changes": Action.REQUEST_CHANGES,
    "sign": Action.SIGN,
    "decline": Action.DECLINE,
    "reports": Action.SUBMIT_REPORT,
    "reports/verify": Action.VERIFY_REPORT,
    "reports/return": Action.RETURN_REPORT,
    "extend": Action.EXTEND_DEADLINE,
    "withdraw": Action.WITHDRAW,
}
"""The JSON action routes under C, and the action each sends to the workflow."""
READS = ["", "/versions", "/versions/{number}/items", "/diff", "/comments", "/signatures"]
READS += ["/reports", "/audit", "/reminders", "/page", "/document", "/document.pdf"]
READS += ["/versions/{number}/document"]
"""The read routes under C (the JSON API's and the pages')."""

MATRIX: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule.PUBLIC,
    ("GET", "/ready"): Rule.PUBLIC,
    ("GET", "/static/komitmen.css"): Rule.PUBLIC,
    ("GET", "/static/document.css"): Rule.PUBLIC,
    ("GET", "/login"): Rule.PUBLIC,
    ("POST", "/auth/token"): Rule.SIGN_IN,
    ("POST", "/login"): Rule.SIGN_IN,
    ("DELETE", "/auth/token"): Rule.SIGN_OUT,
    ("POST", "/logout"): Rule.SIGN_OUT,
    ("GET", "/auth/me"): Rule.SIGNED_IN,
    ("GET", "/"): Rule.TASKS,
    ("GET", "/me/tasks"): Rule.TASKS,
    ("GET", "/search"): Rule.OWN_ROWS,
    ("GET", "/cycles"): Rule.SIGNED_IN,
    ("GET", "/cycles/{cycle_id}"): Rule.SIGNED_IN,
    # The joint commitment: every regency signs it, and it shows no plan's items.
    ("GET", "/cycles/{cycle_id}/document"): Rule.SIGNED_IN,
    ("GET", "/cycles/{cycle_id}/document.pdf"): Rule.SIGNED_IN,
    # Public verification of a printed copy (services/verify.py).
    ("GET", "/verify"): Rule.PUBLIC,
    ("GET", "/verify/{code}"): Rule.LOOKUP,
    ("POST", "/verify/{code}/file"): Rule.LOOKUP,
    ("GET", "/verify/{code}/file"): Rule.BACK,
    # The files behind wet and certified signatures, and a certified signature's request.
    ("GET", C + "/signatures/{office}/file"): Rule.FILE,
    ("GET", C + "/page/signatures/{office}/file"): Rule.FILE,
    ("GET", C + "/sign/certified/{office}"): Rule.FILE,
    ("POST", C + "/sign/wet"): Rule.SIGN_WITH_FILE,
    ("POST", C + "/sign/certified"): Rule.SIGN_WITH_FILE,
    ("POST", C + "/page/sign-wet"): Rule.SIGN_WITH_FILE,
    ("POST", C + "/page/sign-certified"): Rule.SIGN_WITH_FILE,
    ("POST", "/cycles"): Rule.COORDINATOR,
    # Evidence behind quarterly reports (services/evidence.py).
    ("POST", C + "/reports/{quarter}/items/{position}/evidence"): Rule.EVIDENCE,
    ("DELETE", C + "/evidence/{evidence_id}"): Rule.EVIDENCE,
    ("GET", C + "/reports/{quarter}/evidence"): Rule.READ,
    ("GET", C + "/reports/{quarter}/evidence.zip"): Rule.READ,
    ("GET", C + "/evidence/{evidence_id}/{sha256}"): Rule.FILE,
    # The same on the pages (api/pages/evidence.py); files are attached by the report form.
    ("POST", C + "/page/evidence/{evidence_id}/remove"): Rule.EVIDENCE,
    ("GET", C + "/page/reports/{quarter}/evidence.zip"): Rule.READ,
    ("GET", C + "/page/evidence/{evidence_id}/{sha256}"): Rule.FILE,
    # The desk of offices: who holds or acts for each, by SK, and titles per date.
    ("GET", "/offices"): Rule.COORDINATOR,
    ("GET", "/offices/{regency_code}"): Rule.COORDINATOR,
    ("POST", "/offices/{regency_code}/assign"): Rule.COORDINATOR,
    ("POST", "/offices/{regency_code}/assignments/{assignment_id}/end"): Rule.COORDINATOR,
    ("POST", "/offices/{regency_code}/assignments/{assignment_id}/withdraw"): Rule.COORDINATOR,
    ("POST", "/offices/{regency_code}/titles"): Rule.COORDINATOR,
    ("POST", "/cycles/{cycle_id}/cancel"): Rule.COORDINATOR,
    # The coordinator's cycle pages (api/pages/cycles.py): another role's form is refused
    # before it is read.
    ("GET", "/cycles/new"): Rule.COORDINATOR,
    ("POST", "/cycles/new/preview"): Rule.COORDINATOR,
    ("POST", "/cycles/new"): Rule.COORDINATOR,
    ("GET", "/cycles/{cycle_id}/manage"): Rule.COORDINATOR,
    ("POST", "/cycles/{cycle_id}/manage/extend"): Rule.COORDINATOR,
    ("POST", "/cycles/{cycle_id}/manage/withdraw"): Rule.COORDINATOR,
    ("POST", "/cycles/{cycle_id}/manage/cancel"): Rule.COORDINATOR,
    ("GET", "/cycles/{cycle_id}/audit"): Rule.PROVINCE,
    ("GET", "/cycles/{cycle_id}/commitments"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/board"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/manager"): Rule.OWN_ROWS,
    ("GET", "/overdue"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/exports/action-plans.{fmt}"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/exports/quarterly-rekap.{fmt}"): Rule.OWN_ROWS,
    # The province recap (api/pages/recap.py, api/routes/recap.py): its parties not counted
    # name Kota Kupang, drafting throughout, to whoever covers it.
    ("GET", "/cycles/{cycle_id}/recap"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/recap/{kind}/{code}"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/recap.{fmt}"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/province-recap"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/province-recap/{kind}/{code}"): Rule.OWN_ROWS,
    ("GET", "/cycles/{cycle_id}/exports/province-recap.{fmt}"): Rule.OWN_ROWS,
    **{("GET", C + read): Rule.READ for read in READS},
    **{("POST", f"{C}/{suffix}"): Rule.ACTION for suffix in API_ACTIONS},
    ("POST", PAGE_FORM): Rule.ACTION,
    # The people desk (coordinators are the administrators) and set-password links.
    ("GET", "/people"): Rule.COORDINATOR,
    ("GET", "/people/new"): Rule.COORDINATOR,
    ("POST", "/people/new"): Rule.COORDINATOR,
    ("GET", "/people/import"): Rule.COORDINATOR,
    ("POST", "/people/import"): Rule.COORDINATOR,
    ("GET", "/people/import/template.{fmt}"): Rule.COORDINATOR,
    ("POST", "/people/import/confirm"): Rule.COORDINATOR,
    ("GET", "/people/{username}"): Rule.COORDINATOR,
    ("POST", "/people/{username}/reset-password"): Rule.COORDINATOR,
    ("POST", "/people/{username}/deactivate"): Rule.COORDINATOR,
    ("GET", "/password/forgot"): Rule.PUBLIC,
    ("POST", "/password/forgot"): Rule.PUBLIC,
    ("GET", "/password/reset/{token}"): Rule.LOOKUP,
    ("POST", "/password/reset/{token}"): Rule.LOOKUP,
}

_COORDINATING = {("koordinator", Action.EXTEND_DEADLINE), ("koordinator", Action.WITHDRAW)}
ALLOWED: dict[Stage, set[tuple[str, Action]]] = {
    Stage.DRAFTING: {("officer", Action.SAVE_DRAFT), ("officer", Action.SUBMIT), *_COORDINATING},
    Stage.REVIEW: {("reviewer", Action.APPROVE), ("reviewer", Action.REQUEST_CHANGES)}
    | _COORDINATING,
    Stage.SIGNING: {("signatory", Action.SIGN), ("signatory", Action.DECLINE), *_COORDINATING},
    # The signing deadline the extension names has been met: only withdrawal is left.
    Stage.FOLLOW_UP: {("officer", Action.SUBMIT_REPORT), ("koordinator", Action.WITHDRAW)},
    Stage.WITHDRAWN: set(),
}
"""What succeeds in each stage of the target commitment (with the bodies below); the
regency's own officer and signatory are "officer" and "signatory", the province's
people their usernames. Every other action must be refused."""
APPROVED = {Stage.SIGNING, Stage.FOLLOW_UP}
PRINTED = ("{regency_code}/document", "{regency_code}/document.pdf")
"""The approved plan, printed: nothing to print before approval (a version's own document
is there as soon as the version is)."""
UNKNOWN_CODE = "0000-0000-0000"
"""The stages of the walk in which the commitment has an approved document."""

POSITIONS = range(1, len(PLAN["items"]) + 1)
FORMS: dict[Action, dict[str, Any]] = {
    Action.SAVE_DRAFT: {"version": "1", **row(1)},
    Action.SUBMIT: {"version": "1"},
    Action.APPROVE: {"version": "1"},
    Action.REQUEST_CHANGES: {"version": "1", "comment-general": "Perbaiki"},
    Action.SIGN: {"document_hash": "a" * 64, "confirm": "ya"},
    Action.DECLINE: {"reason": "Belum sesuai"},
    Action.SUBMIT_REPORT: {
        "quarter": "1",
        **{f"progress-{p}-status": "belum_mulai" for p in POSITIONS},
        **{f"progress-{p}-percent_realised": "0" for p in POSITIONS},
    },
    Action.VERIFY_REPORT: {"quarter": "1"},
    Action.RETURN_REPORT: {"quarter": "1", "reason": "Lengkapi bukti"},
}
"""A well-formed page form for every page action."""


def coordinator_bodies(year: int) -> dict[str, dict[str, Any]]:
    """A well-formed body for each coordinator-only route."""
    start = {"cycle_id": "lain", "name": "Rakor", "year": year, "regency_codes": [OWN]}
    # The pages' forms, as the form fields they read.
    form = {"name": "Rakor", "year": str(year), "cycle_id": "lain", "regency": OWN}
    extend = {"regency": OWN, "key": "drafting", "until": f"{year}-12-31", "reason": "Banjir"}
    assignment = {
        "office": "bpbd_head",
        "username": "kalak-5301",
        "acting": "plt",
        "sk_number": "800/1/2026",
        "valid_from": f"{year}-01-02",
    }
    return {
        "/cycles": start,
        "/cycles/{cycle_id}/cancel": {"reason": "Ditunda"},
        "/cycles/new/preview": form,
        "/cycles/new": {**form, "step": "start"},
        "/cycles/{cycle_id}/manage/extend": {**extend, "confirmed": "1"},
        "/cycles/{cycle_id}/manage/withdraw": {"regency": OTHER, "reason": "x", "confirmed": "1"},
        "/cycles/{cycle_id}/manage/cancel": {"reason": "Ditunda", "confirmed": "1"},
        "/offices/{regency_code}/assign": assignment,
        "/offices/{regency_code}/assignments/{assignment_id}/end": {"last_day": f"{year}-12-31"},
        "/offices/{regency_code}/assignments/{assignment_id}/withdraw": {},
        "/offices/{regency_code}/titles": {
            "kind": "bpbd_head",
            "title": "Kepala BPBD Kabupaten Kupang",
            "valid_from": f"{year}-01-02",
            "source": "Perda 1/2026",
        },
        "/people/new": {"full_name": "Orang Baru", "username": "baru", "role": "manager"},
        "/people/import": {},
        "/people/import/confirm": {"sha256": "0" * 64},
        "/people/{username}/reset-password": {},
        "/people/{username}/deactivate": {"confirm": "ya"},
    }


def api_body(action: Action, signing_due: date) -> dict[str, Any]:
    """A well-formed JSON body for every API action (an extension moves signing a month)."""
    bodies: dict[Action, dict[str, Any]] = {
        Action.SAVE_DRAFT: {"plan": PLAN, "based_on_version": 1},
        Action.SUBMIT: {"version": 1},
        Action.APPROVE: {"version": 1},
        Action.REQUEST_CHANGES: {"version": 1, "comments": [{"text": "Perbaiki"}]},
        Action.SIGN: {"document_hash": "a" * 64},
        Action.DECLINE: {"reason": "Belum sesuai"},
        Action.SUBMIT_REPORT: {
            "quarter": 1,
            "items": [
                {"item_position": p, "status": "belum_mulai", "percent_realised": "0"}
                for p in POSITIONS
            ],
        },
        Action.VERIFY_REPORT: {"quarter": 1},
        Action.RETURN_REPORT: {"quarter": 1, "reason": "Lengkapi bukti"},
        Action.EXTEND_DEADLINE: {
            "key": "signing",
            "until": (signing_due + timedelta(days=31)).isoformat(),
            "reason": "Banjir",
        },
        Action.WITHDRAW: {"reason": "Ditunda"},
    }
    return bodies[action]


def covers(user: str, code: str) -> bool:
    """Whether the user's scope covers the regency."""
    return REGENCY.get(user, code) == code


def who(user: str, code: str) -> str:
    """The user's part in a regency's commitment, as ALLOWED names it."""
    own = code.replace(".", "")
    return {f"operator-{own}": "officer", f"kalak-{own}": "signatory"}.get(user, user)


def declared_routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    """Every route the app declares, by method and path template."""
    found: dict[tuple[str, str], APIRoute] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path:
            found |= {(method, context.path): route for method in context.methods or ()}
    return found


def text_of(response: httpx.Response) -> str:
    """A response's text; a workbook's cells, space-separated."""
    if response.headers["content-type"] != XLSX_MEDIA_TYPE:
        return response.text
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return " ".join(str(cell) for cells in sheet.iter_rows(values_only=True) for cell in cells)


def page_words(why: str) -> str:
    """What the error page says in Bahasa Indonesia where the JSON API's detail says `why`
    (the refusal's code worded in the page's language, `domain.refusals`)."""
    if why.startswith("acts for regency "):
        return f"hanya bertugas untuk kabupaten/kota {why.split()[3]}"
    if why.startswith(("may not", "needs")):
        return "Peran Anda tidak dapat melakukan tindakan ini."
    return why


@dataclass
class Walk:
    """The app, the cycle under test, and the routes tried so far."""

    api: Api
    cycle: str
    year: int
    signing_due: date
    tried: set[tuple[str, str]] = field(default_factory=set)
    swept: set[tuple[str, Stage]] = field(default_factory=set)
    """The commitments whose stage every user has tried every action in."""
    pages: set[tuple[str, str]] = field(init=False)
    """The routes answered with web pages (sessions in a cookie, not a bearer header)."""

    def __post_init__(self) -> None:
        routes = declared_routes(self.api.app)
        self.pages = {key for key, route in routes.items() if not route.include_in_schema}

    def stages(self) -> dict[str, Stage]:
        """The recorded stage of each regency's commitment."""
        return {
            cid.rsplit(":", 1)[1]: Stage(stage) for cid, stage, *_ in self.api.commitment_rows()
        }

    def snapshot(self) -> tuple[int, list[tuple[str, str, int, int]]]:
        """What a refused request must leave as it was: audit rows and commitment rows."""
        return self.api.audit_rows(), self.api.commitment_rows()

    def urls(self, route: str, code: str) -> list[str]:
        """The concrete URLs the walk requests for a route template."""
        url = route.replace("{cycle_id}", self.cycle).replace("{regency_code}", code)
        if "recap/{kind}/{code}" in url:
            url = url.replace("{kind}", "issue_phase").replace("{code}", "all")  # a total
        url = url.replace("{number}", "1") + ("?from=1&to=1" if url.endswith("/diff") else "")
        url = url.replace("{office}", "bpbd_head").replace("{code}", UNKNOWN_CODE)
        url = url.replace("{assignment_id}", "1").replace("{evidence_id}", "999999")
        url = url.replace("{quarter}", "1").replace("{position}", "1").replace("{sha256}", "0" * 64)
        url = url.replace("{username}", "operator-5301").replace("{token}", UNKNOWN_CODE)
        if url == "/search":
            url += "?q=kupang"  # both regencies' names hold it
        if "/sign/certified/" in url:
            url += "?document_hash=" + "0" * 64
        return [url.replace("{fmt}", fmt) for fmt in ("xlsx", "csv")] if "{fmt}" in url else [url]

    def secret(self, user: str) -> str:
        """The user's token, issued on first use."""
        self.api.token(user)
        return self.api.tokens[user]

    def session(self, user: str | None) -> dict[str, str]:
        """A user's token as a bearer header and as a page session cookie; nothing for None."""
        if user is None:
            return {}
        secret = self.secret(user)
        return {"Authorization": f"Bearer {secret}", "Cookie": f"{SESSION_COOKIE}={secret}"}

    async def call(
        self,
        user: str | None,
        method: str,
        route: str,
        *,
        code: str = OWN,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        **content: Any,
    ) -> httpx.Response:
        """Request a route as a user (None: signed out), on a regency's commitment."""
        self.tried.add((method, route))
        target = url or self.urls(route, code)[0]
        sent = {**self.session(user), **(headers or {})}
        return await self.api.http.request(method, target, headers=sent, **content)

    async def act(
        self,
        user: str | None,
        route: str,
        code: str,
        action: Action,
        fields: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send an action through a JSON action route or a page form (fields change the body)."""
        if route != PAGE_FORM:
            body = api_body(action, self.signing_due) | (fields or {})
            return await self.call(user, "POST", route, code=code, json=body)
        url = self.urls(route, code)[0].replace("{action}", action.value)
        csrf = csrf_token(self.secret(user)) if user else ""
        form = {**FORMS[action], **(fields or {}), "csrf": csrf}
        return await self.call(user, "POST", route, url=url, data=form)

    def signed_out(self, route: tuple[str, str], response: httpx.Response) -> None:
        """Without a session: pages send to the sign-in form, the API answers 401."""
        if route in self.pages:
            assert response.status_code == 303, (route, response.status_code)
            assert response.headers["location"].startswith("/login"), route
        else:
            assert response.status_code == 401, (route, response.status_code)

    def refused(
        self, route: tuple[str, str], response: httpx.Response, status: int, why: str
    ) -> None:
        """Refused with the status, saying why: a problem document, or the error page."""
        assert response.status_code == status, (route, response.status_code, response.text[:300])
        if route in self.pages:
            said = page_words(why)
            assert said in response.text, (route, said)
        else:
            assert response.headers["content-type"] == PROBLEM_JSON, route
            assert why in response.json()["detail"], (route, response.json())


async def at_once(checks: Iterable[Coroutine[Any, Any, None]], limit: int = 8) -> None:
    """Run independent checks a few at a time; the first failure cancels the rest."""
    slots = asyncio.Semaphore(limit)

    async def run(check: Coroutine[Any, Any, None]) -> None:
        async with slots:
            await check

    async with asyncio.TaskGroup() as group:
        for check in checks:
            group.create_task(run(check))


async def try_reads(walk: Walk) -> None:
    """Everyone (and no one) reads every GET route, on both regencies where it names one."""
    stages = walk.stages()

    async def read(user: str | None, route: str, rule: Rule, code: str, url: str) -> None:
        key = ("GET", route)
        response = await walk.call(user, "GET", route, url=url)
        where = (user, url, response.status_code)
        if rule is Rule.PUBLIC:
            assert response.status_code == 200, where
        elif rule is Rule.LOOKUP:
            assert response.status_code == 404, where
        elif rule is Rule.BACK:
            assert response.status_code == 303, where
        elif user is None:
            walk.signed_out(key, response)
        elif rule is Rule.PROVINCE and user in REGENCY:
            walk.refused(key, response, 403, "may not do this")
        elif rule is Rule.COORDINATOR and user != "koordinator":
            walk.refused(key, response, 403, "needs coordinator")
        elif rule is Rule.READ and not covers(user, code):
            walk.refused(key, response, 403, f"acts for regency {OWN} only")
            assert stages[code].value not in response.text, where
        elif rule in (Rule.READ, Rule.FILE) and not covers(user, code):
            walk.refused(key, response, 403, f"acts for regency {OWN} only")
        elif rule is Rule.FILE:
            assert response.status_code == 404, where  # the walk's cycle signs without files
        elif rule is Rule.READ and route.endswith(PRINTED) and stages[code] not in APPROVED:
            assert response.status_code == 404, where  # nothing approved to print yet
        elif rule is Rule.TASKS:
            assert response.status_code == 200, where
            # Kota Kupang is overdue in drafting throughout: stuck, for the coordinator and
            # the manager; nobody else's work, and out of the regency roles' sight.
            stuck = user in ("koordinator", "manajer")
            assert (OTHER in text_of(response)) == stuck, where
        else:
            assert response.status_code == 200, where
            if rule is Rule.OWN_ROWS and not url.endswith("recap.csv"):
                # Kota Kupang is listed (and overdue) for whoever covers it, only them. (The
                # recap's CSV has a row per outcome and names no party: its scope is
                # tests/pages/test_recap_pages.py's.)
                assert (OTHER in text_of(response)) == covers(user, OTHER), where

    await at_once(
        read(user, route, rule, code, url)
        for (method, route), rule in MATRIX.items()
        if method == "GET"
        for user, code in product(
            (None, *USERS), (OWN, OTHER) if "{regency_code}" in route else (OWN,)
        )
        for url in walk.urls(route, code)
    )


async def try_evidence(walk: Walk) -> None:
    """Everyone (and no one) attaches evidence to both regencies' first report and removes a
    file that is not there, through the API and the page's "Remove" button: only the
    regency's own officer attaches (and removes what they attached); everyone else is
    refused for who they are, and nothing is kept."""
    upload = C + "/reports/{quarter}/items/{position}/evidence"
    remove = C + "/evidence/{evidence_id}"
    page_remove = C + "/page/evidence/{evidence_id}/remove"
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
    scan = {"file": ("daftar-hadir.pdf", pdf, "application/pdf")}
    officers = {user for user in USERS if ROLES[user] is Role.REGENCY_OFFICER}

    async def attempt(user: str | None, code: str) -> None:
        attached = await walk.call(user, "POST", upload, code=code, files=scan)
        removed = await walk.call(user, "DELETE", remove, code=code)
        csrf = {"csrf": csrf_token(walk.secret(user))} if user else {}
        removed_on_page = await walk.call(user, "POST", page_remove, code=code, data=csrf)
        tried = ((upload, attached), (remove, removed), (page_remove, removed_on_page))
        for route, response in tried:
            key = ("DELETE" if route == remove else "POST", route)
            where = (user, code, route, response.status_code, response.text[:200])
            if user is None:
                walk.signed_out(key, response)
            elif not covers(user, code):
                walk.refused(key, response, 403, f"acts for regency {OWN} only")
            elif user not in officers:
                walk.refused(key, response, 403, "may not do this")
            elif route == upload:
                assert response.status_code == 201, where
                attached_at = walk.urls(remove, code)[0].rsplit("/", 1)[0]
                url = f"{attached_at}/{response.json()['id']}"
                gone = await walk.call(user, "DELETE", remove, url=url)
                assert gone.status_code == 204, (user, gone.text)
                again = await walk.call(user, "POST", upload, code=code, files=scan)
                on_page = f"{walk.urls(page_remove, code)[0].split('/page/')[0]}/page/evidence/"
                url = f"{on_page}{again.json()['id']}/remove"
                gone = await walk.call(user, "POST", page_remove, url=url, data=csrf)
                assert gone.status_code == 200, (user, gone.text[:300])
                assert "Berkas dihapus" in gone.text, user
            else:
                assert response.status_code == 404, where  # no such file

    await at_once(attempt(user, code) for user, code in product((None, *USERS), (OWN, OTHER)))


async def try_signing_with_files(walk: Walk) -> None:
    """Everyone (and no one) tries to sign with a scan or a TTE, and to check a file on
    /verify: refused as SIGN_WITH_FILE and LOOKUP say, and nothing changes."""
    before = walk.snapshot()
    scan = {"scan": ("ttd.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    hashed = {"document_hash": "0" * 64}
    tte = {**hashed, "nik": "5301010101800001", "passphrase": "rahasia"}
    signers = {user for user in USERS if ROLES[user] is Role.SIGNATORY}

    async def attempt(user: str | None, route: str, code: str) -> None:
        key = ("POST", route)
        url = walk.urls(route, code)[0]
        page = key in walk.pages
        # A page form also carries the signer's confirmation that they read the plan.
        csrf = {"csrf": csrf_token(walk.secret(user)), "confirm": "ya"} if user and page else {}
        if route.endswith("wet"):
            response = await walk.call(user, "POST", route, url=url, data=hashed | csrf, files=scan)
        elif page:
            response = await walk.call(user, "POST", route, url=url, data=tte | csrf)
        else:
            response = await walk.call(user, "POST", route, url=url, json=tte)
        where = (user, url, response.status_code, response.text[:200])
        if user is None:
            walk.signed_out(key, response)
        elif not covers(user, code):
            walk.refused(key, response, 403, f"acts for regency {OWN} only")
        elif user not in signers:
            walk.refused(key, response, 403, "may not sign")
        else:
            assert response.status_code == 409, where
            # The page words the refusal's code in its language; the API keeps the English.
            said = "menggunakan cara tanda tangan lain" if page else "signs confirmed"
            assert said in response.text, where

    routes = [r for (m, r), rule in MATRIX.items() if rule is Rule.SIGN_WITH_FILE]
    await at_once(
        attempt(user, route, code)
        for route in routes
        for user, code in product((None, *USERS), (OWN, OTHER))
    )
    for user in (None, *USERS):
        # A set-password link nobody was given: 404, signed in or not, and nothing changes.
        unknown = await walk.call(
            user, "POST", "/password/reset/{token}", data={"password": "x" * 12, "again": "x" * 12}
        )
        assert unknown.status_code == 404, (user, unknown.status_code)
    for user in (None, *USERS):
        key = "/verify/{code}/file"
        checked = await walk.call(user, "POST", key, files={"file": ("x.pdf", b"%PDF-", "a/b")})
        assert checked.status_code == 404, (user, checked.status_code)
    assert walk.snapshot() == before


async def try_actions(walk: Walk) -> None:
    """Everyone tries every action the stage does not allow them: refused, nothing changes.

    Each commitment is tried once per stage it reaches, and signed out only the first time.
    """
    stages, before = walk.stages(), walk.snapshot()
    codes = [code for code in (OWN, OTHER) if (code, stages[code]) not in walk.swept]
    users = (*([None] if not walk.swept else []), *USERS)
    walk.swept |= {(code, stages[code]) for code in codes}

    async def attempt(user: str | None, route: str, code: str, action: Action) -> None:
        key, stage = ("POST", route), stages[code]
        response = await walk.act(user, route, code, action)
        where = (user, code, action.value, stage.value, route)
        if user is None:
            walk.signed_out(key, response)
        elif not covers(user, code):
            walk.refused(key, response, 403, f"acts for regency {OWN} only")
            assert stage.value not in response.text, where
        elif route == PAGE_FORM and stage.is_terminal:
            # The page refuses before reading the form: the commitment has ended.
            assert response.status_code == 409, (where, response.text[:300])
            assert "Komitmen ini sudah berakhir" in response.text, where
        elif stage.is_terminal:
            assert response.status_code == 409, (where, response.text[:300])
        elif route == PAGE_FORM and action is Action.SUBMIT_REPORT and stage not in APPROVED:
            # Before approval the report form has no items to report on.
            assert response.status_code == 422, where
        elif ROLES[user] not in roles_for(action):
            # Who the user is: their role never takes this action, whatever the stage.
            walk.refused(key, response, 403, f"may not {action.value}")
        else:
            # Where the commitment is: the user's role takes this action, but not now.
            assert response.status_code == 409, (where, response.text[:300])
        assert walk.snapshot() == before, where

    await at_once(
        attempt(user, route, code, action)
        for (method, route), rule in MATRIX.items()
        if rule is Rule.ACTION
        for code, user, action in product(
            codes,
            users,
            PAGE_ACTIONS if route == PAGE_FORM else (API_ACTIONS[route[len(C) + 1 :]],),
        )
        if user is None or (who(user, code), action) not in ALLOWED[stages[code]]
    )


async def try_coordinating(walk: Walk) -> None:
    """Only the coordinator starts and cancels cycles; the others change nothing."""
    before = walk.snapshot()
    cycles = len((await walk.call("manajer", "GET", "/cycles")).json())
    bodies = coordinator_bodies(walk.year)
    for (method, route), rule in MATRIX.items():
        if rule is not Rule.COORDINATOR or method != "POST":
            continue  # the coordinator's pages are read with the other GET routes
        for user in (None, *USERS):
            if user == "koordinator":
                continue
            if (method, route) in walk.pages:
                # A page form, with the user's own CSRF token: refused for who they are.
                csrf = {"csrf": csrf_token(walk.secret(user))} if user else {}
                response = await walk.call(user, method, route, data=bodies[route] | csrf)
            else:
                response = await walk.call(user, method, route, json=bodies[route])
            if user is None:
                walk.signed_out((method, route), response)
            else:
                walk.refused((method, route), response, 403, "needs coordinator")
            assert walk.snapshot() == before, (user, route)
    assert len((await walk.call("manajer", "GET", "/cycles")).json()) == cycles
    cycle = (await walk.call("manajer", "GET", "/cycles/{cycle_id}")).json()
    assert cycle["status"] == "running"


async def try_sessions(walk: Walk) -> None:
    """Anyone with a password signs in; everyone signs out of their own session only."""
    walk.api.set_password("operator-5301", PASSWORD)
    credentials = {"username": "operator-5301", "password": PASSWORD}
    token = await walk.call(None, "POST", "/auth/token", json=credentials)
    assert token.status_code == 201 and token.json()["regency_code"] == OWN
    form = await walk.call(None, "GET", "/login")
    nonce = hidden(form.text, "login_nonce")
    signed_in = await walk.call(
        None,
        "POST",
        "/login",
        data={**credentials, "login_nonce": nonce},
        headers={"Cookie": f"{LOGIN_COOKIE}={nonce}"},
    )
    assert signed_in.status_code == 303 and SESSION_COOKIE in signed_in.headers["set-cookie"]
    walk.api.http.cookies.clear()
    # Asking for a set-password link: the same neutral answer for anyone, known or not.
    for identifier in ("operator-5301", "nobody@example.invalid"):
        form = await walk.call(None, "GET", "/password/forgot")
        nonce = hidden(form.text, "login_nonce")
        asked = await walk.call(
            None,
            "POST",
            "/password/forgot",
            data={"identifier": identifier, "login_nonce": nonce},
            headers={"Cookie": f"{LOGIN_COOKIE}={nonce}"},
        )
        assert asked.status_code == 200 and "Bila ada akun" in asked.text, asked.text[:300]
    walk.api.http.cookies.clear()

    walk.signed_out(("DELETE", "/auth/token"), await walk.call(None, "DELETE", "/auth/token"))
    walk.signed_out(("POST", "/logout"), await walk.call(None, "POST", "/logout"))
    for user in USERS:
        gone = await walk.call(user, "DELETE", "/auth/token")
        assert gone.status_code == 204, user
        assert (await walk.call(user, "GET", "/auth/me")).status_code == 401, user
        walk.api.tokens.pop(user)  # a new session for the page to end
        csrf = csrf_token(walk.secret(user))
        out = await walk.call(user, "POST", "/logout", data={"csrf": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/login", user
        assert (await walk.call(user, "GET", "/")).status_code == 303, user
        assert (await walk.call(user, "GET", "/auth/me")).status_code == 401, user
        walk.api.tokens.pop(user)
    # Everyone else's sessions live on.
    assert (await walk.call("operator-5371", "GET", "/auth/me")).status_code == 200


def test_every_route_is_in_the_matrix() -> None:
    declared = set(declared_routes(create_app(Settings(database_url="sqlite://"))))
    missing = sorted(f"{method} {path}" for method, path in declared - MATRIX.keys())
    assert not missing, f"no rule in MATRIX (tests/api/test_scope.py) for: {', '.join(missing)}"
    gone = sorted(f"{method} {path}" for method, path in MATRIX.keys() - declared)
    assert not gone, f"MATRIX names routes the app no longer has: {', '.join(gone)}"


async def test_every_role_on_every_route_of_both_regencies(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    now = await env.get_current_time()
    # Last year's cycle, so that the first-quarter report is open (see reporting_cycle);
    # drafting was due ten days ago: both regencies are overdue from the start.
    year, spec = reporting_cycle(now)
    spec = spec.model_copy(update={"drafting_due": wita_date(now) - timedelta(days=10)})
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle([OWN, OTHER], year, spec.model_dump(mode="json"))
        walk = Walk(api, cycle, year, spec.signing_due)
        walk.tried.add(("POST", "/cycles"))  # the coordinator started it
        for code, officer in ((OWN, "operator-5301"), (OTHER, "operator-5371")):
            draft = {"plan": PLAN, "based_on_version": 0}
            saved = await walk.call(officer, "POST", f"{C}/save-draft", code=code, json=draft)
            assert saved.status_code == 200, saved.text
        assert walk.stages() == {OWN: Stage.DRAFTING, OTHER: Stage.DRAFTING}

        await try_reads(walk)
        await try_actions(walk)
        await try_coordinating(walk)

        assert (await walk.act("operator-5301", PAGE_FORM, OWN, Action.SUBMIT)).status_code == 303
        await try_actions(walk)

        approved = await walk.act("reviewer", f"{C}/approve", OWN, Action.APPROVE)
        assert approved.json()["stage"] == "signing", approved.text
        await try_actions(walk)

        document = {"document_hash": approved.json()["document_hash"]}
        signed = await walk.act("kalak-5301", PAGE_FORM, OWN, Action.SIGN, document)
        assert signed.status_code == 303, signed.text
        for signer in ("bappeda-5301", "kada-5301"):
            signed = await walk.call(signer, "POST", f"{C}/sign", json=document)
            assert signed.status_code == 200, signed.text
        assert walk.stages() == {OWN: Stage.FOLLOW_UP, OTHER: Stage.DRAFTING}
        await try_reads(walk)
        await try_actions(walk)
        await try_signing_with_files(walk)
        await try_evidence(walk)

        reported = await walk.act("operator-5301", f"{C}/reports", OWN, Action.SUBMIT_REPORT)
        assert reported.status_code == 200, reported.text
        verified = await walk.act("reviewer", PAGE_FORM, OWN, Action.VERIFY_REPORT)
        assert verified.status_code == 303
        extended = await walk.act("koordinator", f"{C}/extend", OTHER, Action.EXTEND_DEADLINE)
        assert extended.status_code == 200, extended.text
        withdrawn = await walk.act("koordinator", f"{C}/withdraw", OTHER, Action.WITHDRAW)
        assert withdrawn.json()["stage"] == "withdrawn", withdrawn.text
        ended = commitment_workflow_id(f"{walk.cycle}:{OTHER}")
        assert await env.client.get_workflow_handle(ended).result() == Stage.WITHDRAWN
        await try_actions(walk)

        cancel = coordinator_bodies(year)["/cycles/{cycle_id}/cancel"]
        cancelled = await walk.call("koordinator", "POST", "/cycles/{cycle_id}/cancel", json=cancel)
        assert cancelled.status_code == 200, cancelled.text
        await try_sessions(walk)
        assert walk.tried == set(MATRIX)
