"""Hostile input: bad bodies, oversized payloads, contradictory dates and markup in text.

Each is refused with a clear 4xx in problem details naming the field, or, for markup
that is fair text, shown escaped on every page and in every email.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from markupsafe import escape
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from domain.calendar import WITA, at_wita
from services.settings import Settings
from tests.api.client import Api, running_api
from tests.harness import until
from tests.pages.test_pages import PLAN, sign_in
from tests.test_cli import outbox_messages

PROBLEM = "application/problem+json"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def fields(response: httpx.Response, status: int = 422) -> set[str]:
    """The fields a problem response names, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return {e["field"] for e in response.json()["errors"]}


async def test_unknown_fields_wrong_types_and_odd_values_are_named(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    year = (await dev_server_env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        rows = api.audit_rows()

        start = {"cycle_id": "other", "name": "Rakor", "year": year}
        wrong = dict(start, year="twenty", regency_codes="53.01", signatories=["camat"])
        assert fields(await api.post("/cycles", "koordinator", {**wrong, "colour": "red"})) == {
            "year",
            "regency_codes",
            "signatories[0]",
            "colour",
        }
        twice = dict(start, signatories=["bpbd_head", "bpbd_head"])
        assert fields(await api.post("/cycles", "koordinator", twice)) == {"signatories"}
        unknown = dict(start, regency_codes=["53.01", "99.99"])
        assert fields(await api.post("/cycles", "koordinator", unknown)) == {"regency_codes"}
        login = {"username": "operator-5301", "password": "x", "admin": True}
        assert fields(await api.http.post("/auth/token", json=login)) == {"admin"}

        item = dict(PLAN["items"][0], secret="x", target_value=[1])
        plan = {"items": [item, *PLAN["items"][1:]]}
        draft: dict[str, Any] = {"plan": plan, "based_on_version": "latest"}
        assert fields(await api.post(f"{base}/save-draft", "operator-5301", draft)) == {
            "plan.items[0].secret",
            "plan.items[0].target_value",
            "based_on_version",
        }
        comments: dict[str, Any] = {
            "version": 1,
            "comments": [{"text": "ok", "item_position": "two", "x": 1}],
        }
        assert fields(await api.post(f"{base}/request-changes", "reviewer", comments)) == {
            "comments[0].item_position",
            "comments[0].x",
        }

        # Numbers past a database INTEGER, NUL bytes that PostgreSQL cannot hold and
        # control characters in text are refused before any query or workflow sees them.
        huge = 10**30
        assert fields(await api.post(f"{base}/submit", "operator-5301", {"version": huge})) == {
            "version"
        }
        items = await api.get(f"{base}/versions/{huge}/items", "manajer")
        assert fields(items) == {"number"}
        assert fields(await api.get(f"{base}/diff", "manajer", **{"from": huge, "to": 1})) == {
            "from"
        }
        assert fields(await api.get("/cycles/a%00b", "manajer")) == {"cycle_id"}
        assert fields(await api.get("/cycles/a%00b/commitments/53.01", "manajer")) == {"cycle_id"}
        assert fields(await api.get("/overdue", "manajer", cycle_id="a\x00b")) == {"cycle_id"}
        nul_login = {"username": "operator\x005301", "password": "x"}
        assert fields(await api.http.post("/auth/token", json=nul_login)) == {"username"}
        named = await api.post("/cycles", "koordinator", dict(start, name="Rakor\x00"))
        assert fields(named) == {"name"}
        bell = dict(PLAN["items"][0], activity="Rapat\x07")
        draft = {"plan": {"items": [bell]}, "based_on_version": 1}
        assert fields(await api.post(f"{base}/save-draft", "operator-5301", draft)) == {
            "plan.items[0].activity"
        }
        assert fields(await api.post(f"{base}/withdraw", "koordinator", {"reason": "\x00"})) == {
            "reason"
        }
        # A body that is not even text is a 400 that says why.
        garbled = await api.http.post(
            f"{base}/submit",
            content=b'{"version": "\xff"}',
            headers={**api.token("operator-5301"), "content-type": "application/json"},
        )
        assert garbled.status_code == 400 and garbled.headers["content-type"] == PROBLEM
        assert "utf-8" in garbled.json()["detail"]

        # The pages refuse the same before any query: PostgreSQL cannot even look NUL up.
        assert fields(
            await api.http.post("/login", data={"username": "\x00", "password": "x"})
        ) == {"username"}
        await sign_in(api, "manajer")
        for page in (
            "board",
            "document",
            "manager",
            "commitments/53.01/page",
            "commitments/53.01/document",
        ):
            assert fields(await api.http.get(f"/cycles/a%00b/{page}")) == {"cycle_id"}

        assert api.audit_rows() == rows
        assert (await api.get("/cycles/other", "manajer")).status_code == 404


async def _chunks(count: int, size: int, pulled: list[int]) -> AsyncIterator[bytes]:
    for _ in range(count):
        pulled.append(size)
        yield b" " * size


async def test_oversized_bodies_are_refused_unread(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", max_body_bytes=4096)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://komitmen") as http:
        declared = await http.post("/cycles", content=b"{" + b" " * 5000 + b"}")
        assert declared.status_code == 413
        assert declared.headers["content-type"] == PROBLEM
        assert declared.json()["detail"] == "the request body is larger than 4096 bytes"

        # A chunked body declares no length: it is counted as it arrives and cut off there.
        pulled: list[int] = []
        streamed = await http.post("/auth/token", content=_chunks(100, 1024, pulled))
        assert "content-length" not in streamed.request.headers
        assert streamed.status_code == 413
        assert streamed.headers["content-type"] == PROBLEM
        assert sum(pulled) <= 4096 + 1024

        form = await http.post("/login", data={"username": "x" * 5000, "password": "y"})
        assert form.status_code == 413

        small = await http.post("/auth/token", json={"username": "x"})
        assert small.status_code == 422  # under the limit, the body is read and checked


async def test_contradictory_schedules_and_far_dates_are_refused(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    year = (await dev_server_env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:

        async def refused(schedule: dict[str, Any]) -> set[str]:
            body = {"cycle_id": "dates", "name": "Rakor", "year": year, "schedule": schedule}
            return fields(await api.post("/cycles", "koordinator", body))

        day = {"kind": "day_of_next_month", "day": 20}
        dates = {"drafting_due": f"{year}-01-15", "signing_due": f"{year}-02-15"}
        quarter = {"report_due": day, "lock": {"kind": "day_of_next_month", "day": 31}}
        quarters = [quarter] * 4

        lock_first = {"report_due": day, "lock": {"kind": "day_of_next_month", "day": 10}}
        assert await refused({**dates, "quarters": [lock_first, *quarters[1:]]}) == {
            "schedule.quarters[0].lock"
        }
        # The second quarter's report falls due after the third's.
        late_q2 = {
            "report_due": {"kind": "date", "date": f"{year}-11-01"},
            "lock": {"kind": "date", "date": f"{year}-11-30"},
        }
        out_of_order = [quarter, late_q2, quarter, quarter]
        assert await refused({**dates, "quarters": out_of_order}) == {
            "schedule.quarters[2].report_due"
        }
        in_quarter = {"report_due": {"kind": "date", "date": f"{year}-03-01"}, "lock": day}
        assert await refused({**dates, "quarters": [in_quarter, *quarters[1:]]}) == {
            "schedule.quarters[0].report_due"
        }
        backwards = {"drafting_due": f"{year}-03-01", "signing_due": f"{year}-02-15"}
        assert await refused(backwards) == {"schedule.signing_due"}
        assert await refused({**dates, "drafting_due": "0001-01-01"}) == {"schedule.drafting_due"}
        assert await refused({**dates, "signing_due": "9999-12-31"}) == {"schedule.signing_due"}
        assert await refused({**dates, "quarters": quarters[:3]}) == {"schedule.quarters"}
        assert await refused({**dates, "quarters": [dict(quarter, grace=3), *quarters[1:]]}) == {
            "schedule.quarters[0].grace"
        }
        assert (await api.get("/cycles/dates", "manajer")).status_code == 404

        # An extension to the end of time is refused; the commitment still moves after it.
        cycle = await api.start_cycle(["53.01"], year)
        extend = f"/cycles/{cycle}/commitments/53.01/extend"
        far = {"key": "drafting", "until": "9999-12-31", "reason": "Salah ketik"}
        too_far = await api.post(extend, "koordinator", far)
        assert too_far.status_code == 409, too_far.text
        assert "at most 366 days" in too_far.json()["detail"]
        weeks = dict(far, until=f"{year}-02-01")
        assert (await api.post(extend, "koordinator", weeks)).status_code == 200


def _hostile_plan() -> dict[str, Any]:
    first = dict(
        PLAN["items"][0],
        activity=f"Sosialisasi {SCRIPT}",
        indicator=f"Indikator {IMG}",
        target_unit=SCRIPT,
        responsible_unit=IMG,
        location=SCRIPT,
    )
    return {"items": [first, *PLAN["items"][1:]]}


def assert_escaped(html: str, where: str, shown: str = SCRIPT) -> None:
    """Neither payload appears as markup in `html`, and `shown` is there, escaped."""
    for payload in (SCRIPT, IMG, "<img src=x"):
        assert payload not in html, f"{payload!r} unescaped in {where}"
    assert escape(shown) in html, f"{shown!r} is missing from {where}"


async def _act(api: Api, path: str, username: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(path, username, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_markup_in_text_is_escaped_on_every_page_and_in_every_email(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = f"xss-{uuid.uuid4().hex[:8]}"
        api.k.cycle_id, api.k.codes = cycle, ("53.01", "53.71")
        started = await api.post(
            "/cycles",
            "koordinator",
            {
                "cycle_id": cycle,
                "name": f"Rakor {SCRIPT}",
                "year": year,
                "regency_codes": ["53.01", "53.71"],
            },
        )
        assert started.status_code == 201, started.text
        base = f"/cycles/{cycle}/commitments/53.01"
        plan = _hostile_plan()

        await _act(
            api, f"{base}/save-draft", "operator-5301", {"plan": plan, "based_on_version": 0}
        )
        await _act(api, f"{base}/submit", "operator-5301", {"version": 1})
        comments = [{"item_position": 1, "text": SCRIPT}, {"text": IMG}]
        await _act(api, f"{base}/request-changes", "reviewer", {"version": 1, "comments": comments})
        await _act(
            api, f"{base}/save-draft", "operator-5301", {"plan": plan, "based_on_version": 1}
        )
        await _act(api, f"{base}/submit", "operator-5301", {"version": 2})
        document = (await _act(api, f"{base}/approve", "reviewer", {"version": 2}))["document_hash"]
        await _act(api, f"{base}/decline", "kada-5301", {"reason": IMG})
        await _act(api, f"{base}/approve", "reviewer", {"version": 2})
        for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
            api.set_acting(signer, "plt")  # every mark on every page: Plt. on record
            await _act(api, f"{base}/sign", signer, {"document_hash": document})
        # Kota Kupang never drafts: its reminders and escalation carry the cycle's name.
        # By 1 March the first-quarter report is open (it opens in the quarter's last month).
        await until(env, at_wita(date(year, 3, 1), 0))
        report = {
            "quarter": 1,
            "items": [
                {
                    "item_position": 1,
                    "status": "sesuai_jadwal",
                    "percent_realised": "10",
                    "narrative": SCRIPT,
                }
            ],
        }
        await _act(api, f"{base}/reports", "operator-5301", report)
        await _act(api, f"{base}/reports/return", "reviewer", {"quarter": 1, "reason": IMG})
        extension = {"key": "q1", "until": f"{year}-04-30", "reason": SCRIPT}
        await _act(api, f"{base}/extend", "koordinator", extension)
        await until(env, at_wita(date(year, 3, 1), 1))  # the return's notice has gone out

        pages = {
            "manajer": [
                f"/cycles/{cycle}/board",
                f"{base}/page",
                f"{base}/document",
                f"/cycles/{cycle}/document",
                f"/cycles/{cycle}/manager",
            ],
            "operator-5301": [f"{base}/page", f"/cycles/{cycle}/board"],
            "reviewer": [f"{base}/page"],
        }
        for username, paths in pages.items():
            await sign_in(api, username)
            for path in paths:
                page = await api.http.get(path)
                assert page.status_code == 200, (username, path, page.text[:200])
                assert_escaped(page.text, f"{path} as {username}")
        api.http.cookies.clear()
        login = await api.http.get("/login", params={"next": f"/{IMG}"})
        assert_escaped(login.text, "the login page", shown=IMG)

        messages = outbox_messages(tmp_path / "outbox")
        kinds = {name.split(".", 1)[0] for name, _ in messages}
        assert kinds == {"changes", "turn", "digest", "escalation"}, kinds
        for name, message in messages:
            part = message.get_body(preferencelist=("html",))
            assert part is not None, name
            html = part.get_content()
            assert_escaped(html, name)
