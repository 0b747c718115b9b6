"""Two workers and two APIs on one Temporal server and one PostgreSQL; one of each stops midway.

Every part is a real process: Temporal's dev server, two `komitmen worker` (each
serving its SDK metrics) and two `komitmen api` on ports of their own, over a
PostgreSQL schema of the test's own. A cycle of four regencies is driven over HTTP,
each request going to the next API in turn with a bearer token and an
Idempotency-Key. Halfway through, one worker and one API get SIGTERM, as in a
rolling restart, while requests are in flight; a request whose API went away is
sent again to the other with the same key, as a load balancer would. The quarterly
reports that follow go through the survivors alone.

At the end every commitment must be in follow-up with its first report verified,
every action answered once, the database equal to each workflow's `current` state
(stage, round, versions, signatures, reports), every audit stream numbered 1..n
without a gap or a double and holding exactly the actions sent, and the cycle's
audit chain whole.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from db import mail as db_mail
from db import people, reads
from db.session import engine_for, session_factory, transaction
from domain.catalog import load_catalog
from domain.commitment import commitment_id
from domain.reports import ReportState
from domain.stages import Stage
from komitmen.demo import sample_plan
from komitmen.devserver import free_port
from tests.databases import postgres_database
from tests.schedules import reporting_cycle
from tests.stack import Stack, WorkerProcess, komitmen_stack
from tests.test_worker_crash import check_projection, current

CODES = ("53.01", "53.02", "53.03", "53.04")
# These regencies go through a change request first: a second round and version.
REVISED = {"53.02", "53.04"}
# The stop comes once this many actions have been answered (of 30 before the reports).
STOP_AFTER = 12
REPORT = {
    "quarter": 1,
    "items": [{"item_position": 1, "status": "sesuai_jadwal", "percent_realised": "25"}],
}


class ApiProcess:
    """`komitmen api` as a process of its own on a port of its own."""

    def __init__(self, env: dict[str, str], cwd: Path, log: Path) -> None:
        """Choose a free port; nothing starts until `start()`."""
        self.port = free_port()
        self.env = env | {"KOMITMEN_API_PORT": str(self.port)}
        self.cwd = cwd
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where it serves."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "komitmen", "api"],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> int:
        """SIGTERM, as an operator's restart sends; return the exit status."""
        assert self.process is not None
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@dataclass
class Cluster:
    """The stack (dev server, first worker), a second worker, two APIs and their metrics."""

    stack: Stack
    url: str
    workers: list[WorkerProcess]
    metrics: list[str]
    apis: list[ApiProcess]


def await_line(worker: WorkerProcess, text: str, seconds: float = 60) -> None:
    """Wait until the worker's log says `text`."""
    for _ in range(int(seconds * 10)):
        if text in worker.tail(100_000):
            return
        assert worker.running, worker.tail()
        time.sleep(0.1)
    raise AssertionError(f"no {text!r} in the worker's log:\n{worker.tail()}")


def await_http(url: str, api: ApiProcess, seconds: float = 60) -> None:
    """Wait until the API answers `url` with 200."""
    for _ in range(int(seconds * 10)):
        assert api.process is not None and api.process.poll() is None, api.log.read_text()
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered:\n{api.log.read_text()}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Dev server, two workers with metrics, two APIs, one PostgreSQL schema."""
    folder = tmp_path_factory.mktemp("scale-out")
    metrics = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    with (
        postgres_database() as url,
        komitmen_stack(folder, database_url=url, worker_metrics_address=metrics[0]) as stack,
    ):
        second_env = stack.env | {"KOMITMEN_WORKER_METRICS_ADDRESS": metrics[1]}
        second = WorkerProcess(second_env, folder, folder / "worker-2.log")
        apis = [ApiProcess(stack.env, folder, folder / f"api-{n}.log") for n in (1, 2)]
        try:
            second.start()
            for api in apis:
                api.start()
            for worker in (stack.worker, second):
                await_line(worker, "worker running on task queue")
            for api in apis:
                await_http(f"{api.url}/health", api)
            yield Cluster(stack, url, [stack.worker, second], metrics, apis)
        finally:
            for api in apis:
                if api.process is not None and api.process.poll() is None:
                    api.stop()
            second.stop()
            engine_for(url).dispose()


def metric_total(text: str, name: str) -> float:
    """The sum of every sample of one metric in Prometheus text."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name}{{", f"{name} "))
    )


# --- health, readiness and metrics --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.temporal
def test_each_worker_serves_prometheus_metrics(cluster: Cluster) -> None:
    for address in cluster.metrics:
        response = httpx.get(f"http://{address}/metrics", timeout=5)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        names = {
            line.split("{")[0].split(" ")[0]
            for line in response.text.splitlines()
            if line.startswith("temporal_")
        }
        # Both task pollers have asked the server for work.
        assert {"temporal_long_request", "temporal_num_pollers"} <= names, sorted(names)
        assert 'task_queue="komitmen"' in response.text
        assert metric_total(response.text, "temporal_long_request") > 0


@pytest.mark.postgres
@pytest.mark.temporal
def test_each_api_is_ready(cluster: Cluster) -> None:
    for api in cluster.apis:
        assert httpx.get(f"{api.url}/health").json() == {"status": "ok"}
        ready = httpx.get(f"{api.url}/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"database": "ok", "temporal": "ok"}}


@pytest.mark.postgres
@pytest.mark.temporal
async def test_readiness_names_what_is_down(cluster: Cluster) -> None:
    nobody = f"127.0.0.1:{free_port()}"
    settings = cluster.stack.settings
    for broken, down in [
        ({"database_url": f"postgresql://postgres@{nobody}/komitmen"}, "database"),
        ({"temporal_address": nobody}, "temporal"),
    ]:
        app = create_app(settings.model_copy(update={"database_url": cluster.url, **broken}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://komitmen") as http:
            answer = await http.get("/ready")
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        up = "temporal" if down == "database" else "database"
        assert answer.json() == {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": f"not ready: {down} unavailable",
            "instance": "/ready",
            "checks": {down: "unavailable", up: "ok"},
        }


# --- the cycle ----------------------------------------------------------------------------


@dataclass
class Driver:
    """Sends each action to the next API in turn; one that went away is left out after."""

    http: httpx.AsyncClient
    cycle: str
    apis: list[str]
    tokens: dict[str, str]
    answered: int = 0
    resent: int = 0
    sent: dict[str, list[str]] = field(default_factory=dict)
    halfway: asyncio.Event = field(default_factory=asyncio.Event)
    _turn: int = 0

    async def act(self, code: str, action: str, user: str, body: dict[str, Any]) -> Any:
        """POST one action on a regency's commitment until an API answers it; its body."""
        path = f"/cycles/{self.cycle}/commitments/{code}/{action}"
        headers = {
            "Authorization": f"Bearer {self.tokens[user]}",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        while True:
            assert self.apis, "no API left"
            self._turn += 1
            base = self.apis[self._turn % len(self.apis)]
            try:
                response = await self.http.post(base + path, json=body, headers=headers)
            except httpx.TransportError:
                # Gone, or going: leave it out and send the same request elsewhere.
                if base in self.apis:
                    self.apis.remove(base)
                self.resent += 1
                continue
            if response.status_code == 409 and "is being answered" in response.text:
                await asyncio.sleep(0.2)  # the first try is still under way elsewhere
                continue
            assert response.status_code == 200, (action, code, response.text)
            self.sent.setdefault(code, []).append(action)
            self.answered += 1
            if self.answered >= STOP_AFTER:
                self.halfway.set()
            return response.json()


async def to_follow_up(driver: Driver, code: str) -> None:
    """Draft, submit (a change request first for REVISED), approve and three signatures."""
    slug = code.replace(".", "")
    officer = f"operator-{slug}"
    plan = sample_plan(load_catalog().get(code)).model_dump(mode="json")
    await driver.act(code, "save-draft", officer, {"plan": plan, "based_on_version": 0})
    await driver.act(code, "submit", officer, {"version": 1})
    version = 1
    if code in REVISED:
        comments = [{"item_position": 1, "text": "Rinci indikator"}]
        await driver.act(code, "request-changes", "reviewer", {"version": 1, "comments": comments})
        await driver.act(code, "save-draft", officer, {"plan": plan, "based_on_version": 1})
        await driver.act(code, "submit", officer, {"version": 2})
        version = 2
    approved = await driver.act(code, "approve", "reviewer", {"version": version})
    for signer in (f"kalak-{slug}", f"bappeda-{slug}", f"kada-{slug}"):
        await driver.act(code, "sign", signer, {"document_hash": approved["document_hash"]})


async def report(driver: Driver, code: str) -> None:
    """The first quarter's report, submitted and verified."""
    await driver.act(code, "reports", f"operator-{code.replace('.', '')}", REPORT)
    await driver.act(code, "reports/verify", "reviewer", {"quarter": 1})


def issue_tokens(url: str) -> dict[str, str]:
    """A bearer token for everyone who acts, issued straight in the database."""
    users = ["koordinator", "reviewer"]
    for code in CODES:
        slug = code.replace(".", "")
        users += [f"operator-{slug}", f"kalak-{slug}", f"bappeda-{slug}", f"kada-{slug}"]
    with transaction(session_factory(url)) as session:
        tokens = {}
        for username in users:
            user = people.get_user(session, username=username)
            assert user is not None, username
            tokens[username] = people.create_token(
                session, user_id=user.id, name="scale-out", now=datetime.now(UTC)
            )
        return tokens


# Audit actions by the API action that records them.
AUDITED = {
    "save-draft": "save_draft",
    "submit": "submit",
    "request-changes": "request_changes",
    "approve": "approve",
    "sign": "sign",
    "reports": "submit_report",
    "reports/verify": "verify_report",
}


@pytest.mark.postgres
@pytest.mark.temporal
async def test_a_cycle_survives_losing_a_worker_and_an_api(cluster: Cluster) -> None:
    stack, url = cluster.stack, cluster.url
    first_worker, second_worker = cluster.workers
    first_api, second_api = cluster.apis
    client = await stack.server.connect()
    cycle = f"scale-{uuid.uuid4().hex[:8]}"
    tokens = issue_tokens(url)
    # Last year's cycle: the first-quarter reports are open today (see reporting_cycle).
    year, schedule = reporting_cycle(datetime.now(UTC))

    async with httpx.AsyncClient(timeout=120) as http:
        started = await http.post(
            f"{first_api.url}/cycles",
            json={
                "cycle_id": cycle,
                "name": "Rakor PB NTT",
                "year": year,
                "regency_codes": list(CODES),
                "schedule": schedule.model_dump(mode="json"),
            },
            headers={"Authorization": f"Bearer {tokens['koordinator']}"},
        )
        assert started.status_code == 201, started.text
        driver = Driver(http, cycle, [first_api.url, second_api.url], tokens)

        async def stop_one_of_each() -> int:
            """SIGTERM the first API and the first worker while actions are in flight."""
            await driver.halfway.wait()
            api_status, _ = await asyncio.gather(
                asyncio.to_thread(first_api.stop), asyncio.to_thread(first_worker.stop)
            )
            return api_status

        stopper = asyncio.create_task(stop_one_of_each())
        await asyncio.gather(*(to_follow_up(driver, code) for code in CODES))
        assert await stopper == 0, first_api.log.read_text()
        assert "stopping the worker" in first_worker.tail() and not first_worker.running
        if first_api.url in driver.apis:
            driver.apis.remove(first_api.url)  # a balancer stops sending to a stopped API
        assert driver.apis == [second_api.url]
        before = metric_total(
            httpx.get(f"http://{cluster.metrics[1]}/metrics").text,
            "temporal_local_activity_execution_latency_count",
        )
        await asyncio.gather(*(report(driver, code) for code in CODES))

    after = metric_total(
        httpx.get(f"http://{cluster.metrics[1]}/metrics").text,
        "temporal_local_activity_execution_latency_count",
    )
    # The surviving worker recorded (by local activity) every report and verification.
    assert after - before >= 2 * len(CODES)

    states = {code: await current(client, commitment_id(cycle, code)) for code in CODES}
    for code, state in states.items():
        revised = code in REVISED
        assert state.stage is Stage.FOLLOW_UP, code
        assert (state.version, state.round) == ((2, 2) if revised else (1, 1)), code
        assert len(state.signatures) == 3, code
        assert state.reports[1].state is ReportState.VERIFIED, code
    audited = check_projection(url, cycle, states)

    # Each action answered once lands once in its commitment's audit stream.
    with transaction(session_factory(url)) as session:
        for code in CODES:
            stream = reads.list_audit(session, cycle_id=cycle, stream=commitment_id(cycle, code))
            recorded = Counter(e.action for e in stream if e.action in AUDITED.values())
            assert recorded == Counter(AUDITED[a] for a in driver.sent[code]), code
        # Each change request told its regency's officer once; each commitment's turns
        # (submitted, approved, signed, report in, verified) were told too, and nothing else
        # was sent. Once each: a mail's key is unique in its table.
        mail = db_mail.list_reminders(session, cycle_id=cycle)
        assert all(r.sent_at is not None for r in mail)
        assert {r.kind for r in mail} == {"changes", "turn"}
        assert sorted((r.kind, r.commitment_id) for r in mail if r.kind == "changes") == sorted(
            ("changes", commitment_id(cycle, code)) for code in REVISED
        )
        told = {r.commitment_id for r in mail if r.kind == "turn"}
        assert told == {commitment_id(cycle, code) for code in CODES}
    assert driver.answered == sum(len(actions) for actions in driver.sent.values())
    print(
        f"scale-out: {driver.answered} actions over 2 APIs and 2 workers, one of each "
        f"stopped after {STOP_AFTER}; {driver.resent} resent to the other API; "
        f"{audited} audit rows checked"
    )
