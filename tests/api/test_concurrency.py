"""Conflicting actions on one commitment at the same moment: one wins, the others get 409.

Each race fires its requests together (asyncio.gather), round after round on a
fresh regency: even rounds through the app in process, odd rounds over real HTTP
to the app served by uvicorn with one client (one connection) per request. After
each race the database must show exactly the winner's effect. The module prints
one line counting the races, requests, wins and 409s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import Api, running_api
from tests.harness import until
from tests.pages.browser import served

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
PROBLEM = "application/problem+json"
# One regency per round, so every race starts from a commitment nobody touched.
REGENCIES = ["53.01", "53.02", "53.03", "53.04", "53.05", "53.06"]
COMMENT = {"version": 1, "comments": [{"item_position": 1, "text": "Rinci indikator"}]}

Call = tuple[str, str, dict[str, Any]]  # path, username, body
T = TypeVar("T")
Post = Callable[[str, str, dict[str, Any]], Awaitable[httpx.Response]]


@dataclass
class Tally:
    """Conflicts tried across the module, for the summary line."""

    races: int = 0
    requests: int = 0
    wins: int = 0
    conflicts: int = 0

    def count(self, responses: list[httpx.Response]) -> None:
        """Count one race and how each of its requests ended."""
        self.races += 1
        self.requests += len(responses)
        self.wins += sum(r.status_code == 200 for r in responses)
        self.conflicts += sum(r.status_code == 409 for r in responses)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """One line for the README: how many conflicts were tried and how they ended."""
        terminalreporter.write_line(
            f"concurrency: {self.races} races, {self.requests} requests, "
            f"{self.wins} won, {self.conflicts} refused with 409"
        )


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Tally:
    """A module-wide tally, reported in pytest's closing summary."""
    counted = Tally()
    request.config.pluginmanager.register(counted)
    return counted


@dataclass
class Arena:
    """The app in process and served over HTTP, and a tally of the races run on it."""

    api: Api
    served_at: str
    tally: Tally

    def channel(self, round_no: int) -> Post:
        """In process on even rounds; over HTTP, a client of its own per request, on odd."""
        if round_no % 2 == 0:
            return self.api.post

        async def over_http(path: str, username: str, body: dict[str, Any]) -> httpx.Response:
            async with httpx.AsyncClient(base_url=self.served_at) as http:
                return await http.post(path, json=body, headers=self.api.token(username))

        return over_http

    async def race(self, round_no: int, *calls: Call) -> list[httpx.Response]:
        """Fire the calls at once (every other pair of rounds in reverse order), in order."""
        post = self.channel(round_no)
        order = list(range(len(calls)))
        if round_no // 2 % 2:
            order.reverse()
        fired = await asyncio.gather(*(post(*calls[i]) for i in order))
        responses = [fired[order.index(i)] for i in range(len(calls))]
        for r in responses:
            assert r.status_code in (200, 409), r.text
            if r.status_code == 409:
                assert r.headers["content-type"] == PROBLEM
                assert r.json()["detail"], r.text
        self.tally.count(responses)
        return responses


@asynccontextmanager
async def arena(
    env: WorkflowEnvironment, db_url: str, tmp_path: Path, tally: Tally
) -> AsyncIterator[tuple[Arena, str]]:
    """A running API served over HTTP too, and a cycle over REGENCIES (its id)."""
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api, served(api.app) as url:
        cycle = await api.start_cycle(REGENCIES, year)
        yield Arena(api=api, served_at=url, tally=tally), cycle


async def later(delay: timedelta, action: Awaitable[T]) -> T:
    """Await `action` after a real-time delay."""
    await asyncio.sleep(delay.total_seconds())
    return await action


def winner(responses: list[httpx.Response]) -> int:
    """The index of the only request that succeeded; every other one got 409."""
    assert sorted(r.status_code for r in responses) == [200] + [409] * (len(responses) - 1)
    return next(i for i, r in enumerate(responses) if r.status_code == 200)


def slug(code: str) -> str:
    """The user-name suffix of a regency's demo people."""
    return code.replace(".", "")


class Commitment:
    """One regency's commitment, driven step by step and read back over the API."""

    def __init__(self, api: Api, cycle: str, code: str) -> None:
        self.api, self.code, self.slug = api, code, slug(code)
        self.base = f"/cycles/{cycle}/commitments/{code}"
        self.seen = 0

    async def act(self, action: str, username: str, body: dict[str, Any]) -> dict[str, Any]:
        """One action that must succeed (setting the scene, not racing)."""
        response = await self.api.post(f"{self.base}/{action}", username, body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def to_review(self) -> None:
        """Save version 1 and submit it."""
        await self.act("save-draft", f"operator-{self.slug}", {"plan": PLAN, "based_on_version": 0})
        await self.act("submit", f"operator-{self.slug}", {"version": 1})

    async def to_signing(self) -> str:
        """Approve version 1; returns the document hash to sign."""
        await self.to_review()
        approved = await self.act("approve", "reviewer", {"version": 1})
        return str(approved["document_hash"])

    async def read(self, what: str = "") -> Any:
        """GET the commitment (or one of its lists) as the manager."""
        response = await self.api.get(f"{self.base}{what}", "manajer")
        assert response.status_code == 200, response.text
        return response.json()

    async def mark(self) -> None:
        """Remember how far the audit trail goes, before a race."""
        self.seen = len(await self.read("/audit"))

    async def new_audit(self) -> list[dict[str, Any]]:
        """Audit rows recorded since `mark`."""
        rows: list[dict[str, Any]] = (await self.read("/audit"))[self.seen :]
        return rows

    async def new_actions(self) -> list[str]:
        """The actions recorded since `mark`."""
        return [a["action"] for a in await self.new_audit()]

    async def signatures(self, office: str) -> list[dict[str, Any]]:
        """The signature rows of one office."""
        return [s for s in await self.read("/signatures") if s["office"] == office]


async def test_approve_against_request_changes(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path, tally: Tally
) -> None:
    async with arena(time_skipping_env, db_url, tmp_path, tally) as (a, cycle):
        for n, code in enumerate(REGENCIES):
            c = Commitment(a.api, cycle, code)
            await c.to_review()
            await c.mark()
            audit = a.api.audit_rows()
            responses = await a.race(
                n,
                (f"{c.base}/approve", "reviewer", {"version": 1}),
                (f"{c.base}/request-changes", "reviewer", COMMENT),
            )
            approved = winner(responses) == 0
            assert a.api.audit_rows() == audit + 1
            assert await c.new_actions() == ["approve" if approved else "request_changes"]
            row = await c.read()
            assert (row["stage"], row["round"]) == (("signing", 1) if approved else ("drafting", 2))
            assert len(await c.read("/comments")) == (0 if approved else 1)


async def test_two_submits_of_one_version(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path, tally: Tally
) -> None:
    async with arena(time_skipping_env, db_url, tmp_path, tally) as (a, cycle):
        for n, code in enumerate(REGENCIES):
            c = Commitment(a.api, cycle, code)
            operator = f"operator-{c.slug}"
            await c.act("save-draft", operator, {"plan": PLAN, "based_on_version": 0})
            await c.mark()
            audit = a.api.audit_rows()
            submit: Call = (f"{c.base}/submit", operator, {"version": 1})
            winner(await a.race(n, submit, submit))
            assert a.api.audit_rows() == audit + 1
            assert await c.new_actions() == ["submit"]
            assert (await c.read())["stage"] == "review"


async def test_two_saves_from_one_version(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path, tally: Tally
) -> None:
    async with arena(time_skipping_env, db_url, tmp_path, tally) as (a, cycle):
        for n, code in enumerate(REGENCIES):
            c = Commitment(a.api, cycle, code)
            operator = f"operator-{c.slug}"
            await c.act("save-draft", operator, {"plan": PLAN, "based_on_version": 0})
            await c.mark()
            audit = a.api.audit_rows()
            # Two edits of version 1 that differ only in the first item's target.
            edits = [
                dict(PLAN, items=[dict(PLAN["items"][0], target_value=t), *PLAN["items"][1:]])
                for t in ("7", "9")
            ]
            responses = await a.race(
                n,
                *(
                    (f"{c.base}/save-draft", operator, {"plan": e, "based_on_version": 1})
                    for e in edits
                ),
            )
            won = winner(responses)
            assert "stale version" in responses[1 - won].json()["detail"]
            assert a.api.audit_rows() == audit + 1
            assert await c.new_actions() == ["save_draft"]
            assert (await c.read())["latest_version"] == 2
            assert [v["number"] for v in await c.read("/versions")] == [1, 2]
            items = await c.read("/versions/2/items")
            assert items[0]["target_value"] == ("7.00", "9.00")[won]


async def test_two_signatures_from_one_office(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path, tally: Tally
) -> None:
    async with arena(time_skipping_env, db_url, tmp_path, tally) as (a, cycle):
        for n, code in enumerate(REGENCIES):
            c = Commitment(a.api, cycle, code)
            document = await c.to_signing()
            await c.mark()
            audit = a.api.audit_rows()
            # The same request twice, or once naming the acting status on record (definitive)
            # and once leaving it to the record: either way the same signature.
            bodies = [
                {"document_hash": document, "acting": "definitive"},
                {"document_hash": document},
            ]
            if n % 3 == 0:
                bodies[1] = bodies[0]
            responses = await a.race(n, *((f"{c.base}/sign", f"kalak-{c.slug}", b) for b in bodies))
            won = winner(responses)
            assert "already signed" in responses[1 - won].json()["detail"]
            assert a.api.audit_rows() == audit + 1
            assert await c.new_actions() == ["sign"]
            signed = await c.signatures("bpbd_head")
            assert [s["acting"] for s in signed] == ["definitive"]
            assert (await c.read())["stage"] == "signing"


async def test_sign_against_decline(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path, tally: Tally
) -> None:
    """Same office: one wins. Two offices: a decline always stands; a signature given first stays.

    A signature refused because the decline came first leaves no row; one given
    before the decline is kept, since re-approving the same version keeps it.
    """
    async with arena(time_skipping_env, db_url, tmp_path, tally) as (a, cycle):
        for n, code in enumerate(REGENCIES):
            c = Commitment(a.api, cycle, code)
            document = await c.to_signing()
            await c.mark()
            audit = a.api.audit_rows()
            same_office = n % 3 == 2
            signer = f"kada-{c.slug}" if same_office else f"bappeda-{c.slug}"
            office = "regional_head" if same_office else "planning_head"
            sign, decline = await a.race(
                n,
                (f"{c.base}/sign", signer, {"document_hash": document}),
                (f"{c.base}/decline", f"kada-{c.slug}", {"reason": "Pagu belum sesuai"}),
            )
            signed = sign.status_code == 200
            stage = (await c.read())["stage"]
            if same_office:
                winner([sign, decline])
                assert stage == ("signing" if signed else "review")
                assert await c.new_actions() == ["sign" if signed else "decline"]
            else:
                assert decline.status_code == 200, decline.text
                assert stage == "review"
                # A signature can only have come before the decline, never after it.
                assert await c.new_actions() == (["sign", "decline"] if signed else ["decline"])
            assert a.api.audit_rows() == audit + sum(r.status_code == 200 for r in (sign, decline))
            assert len(await c.signatures(office)) == int(signed)


async def test_report_against_quarter_lock(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path, tally: Tally
) -> None:
    """A report sent as its quarter locks is in (late) before the lock, or refused and missing."""
    env = time_skipping_env
    async with arena(env, db_url, tmp_path, tally) as (a, cycle):
        commitments = [Commitment(a.api, cycle, code) for code in REGENCIES]
        for c in commitments:
            document = await c.to_signing()
            for office in ("kalak", "bappeda", "kada"):
                await c.act("sign", f"{office}-{c.slug}", {"document_hash": document})
        lock = datetime.fromisoformat((await commitments[0].read())["deadlines"]["q1_lock"])
        await until(env, lock - timedelta(seconds=1))
        for c in commitments:
            await c.mark()
        report = {
            "quarter": 1,
            "items": [{"item_position": 1, "status": "terlambat", "percent_realised": "10"}],
        }
        # Between skips the test server's clock runs in real time. The regencies report a
        # quarter of a second apart from a second before the lock, and the clock skips past
        # the lock from the middle of them: the lock falls among reports in flight.
        step = timedelta(seconds=0.25)
        sent = [
            later(n * step, a.channel(n)(f"{c.base}/reports", f"operator-{c.slug}", report))
            for n, c in enumerate(commitments)
        ]
        skip = later(len(sent) // 2 * step, until(env, lock + timedelta(minutes=1)))
        responses, _ = await asyncio.gather(asyncio.gather(*sent), skip)
        for c, response in zip(commitments, responses, strict=True):
            assert response.status_code in (200, 409), response.text
            a.tally.count([response])
            accepted = response.status_code == 200
            (q1,) = await c.read("/reports")
            new = await c.new_audit()
            assert [r["action"] for r in new] == (
                ["submit_report", "quarter_locked"] if accepted else ["quarter_locked"]
            )
            if accepted:
                assert (q1["state"], q1["timeliness"]) == ("submitted", "late")
                assert datetime.fromisoformat(q1["submitted_at"]) <= lock
            else:
                assert "locked" in response.json()["detail"]
                assert (q1["state"], q1["timeliness"]) == ("missing", "missing")
            assert new[-1]["detail"]["report_state"] == q1["state"]
