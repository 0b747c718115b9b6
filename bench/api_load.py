"""Benchmark 6: the HTTP API under load, from many clients at once, for a fixed time.

The real stack runs as separate processes: the Temporal dev server, a `komitmen
worker`, PostgreSQL (a schema of its own, dropped afterwards) and the app as two
`komitmen api` processes, one event loop each. Three cycles of NTT's 22 regencies give 66
commitments; each of 50 clients (asyncio tasks with an httpx connection each, in
this process) owns one of them, so no two clients ever edit the same draft. For the
whole window every client sends one request after another, no pause between them:

    board       GET /cycles/{id}/board           the board page, as a manager
    commitment  GET /cycles/{id}/commitments/{code}   JSON, as the regency's officer
    overdue     GET /overdue?cycle_id={id}       JSON, as a manager
    save_draft  POST .../save-draft              a Workflow Update, as the officer

in proportions 3:3:2:2. Every client has its own tokens (a manager's and an
officer's), as different people would. Any answer other than 2xx and any transport
error is a failure and is printed; afterwards every commitment's latest version in
the database must be the last one its client saved.

The API processes' CPU seconds over the window, divided by the requests served, is the
CPU per request (issue 17: at most half of the 5.8 ms measured before). After the mixed
window each kind runs alone for a few seconds, all clients sending only it, so the CPU
per request of each kind is measured too.

    .venv/bin/python -m bench.api_load            # 50 clients for 30 s
    .venv/bin/python -m bench.api_load --quick    # 10 clients for 5 s
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from api.pages.base import SESSION_COOKIE
from bench.common import (
    bench_parser,
    bench_process,
    bench_settings,
    cpu_seconds,
    local_address,
    met,
    metric_sum,
    metrics,
    metrics_delta,
    percentile,
    server_pid,
    write_result,
)
from db import people, reads
from db.session import engine_for, migrate, session_factory, transaction
from domain.calendar import WITA
from domain.catalog import load_catalog
from komitmen.demo import sample_plan, seed_demo_users
from komitmen.devserver import DevServer, free_port
from tests.databases import postgres_database
from tests.stack import process_env

WEIGHTS = {"board": 3, "commitment": 3, "overdue": 2, "save_draft": 2}
# The API's CPU per request before issue 17 (25.3 s over 4,380 requests), and the target.
CPU_MS_BEFORE = 5.8
CPU_MS_TARGET = CPU_MS_BEFORE / 2
# Each kind alone after the mixed window, for its own CPU per request.
KIND_SECONDS = 6.0
# `komitmen api` processes, one event loop each. Not `uvicorn --workers N`: uvicorn 0.54
# binds that socket without IPPROTO_TCP, so TCP_NODELAY is never set and each keep-alive
# request waits about 40 ms for a delayed ACK (Kludex/uvicorn#3149).
API_PROCESSES = 2


@dataclass
class Desk:
    """One client: the commitment it owns, its tokens and the last version it saved."""

    index: int
    cycle_id: str
    code: str
    officer: str
    manager: str
    plan: dict[str, Any]
    version: int = 0


@dataclass
class Tally:
    """Latencies and failures per kind of request."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    def figures(self, duration: float) -> dict[str, Any]:
        """Requests per second and latency percentiles (ms) per kind."""
        kinds = {}
        for kind in WEIGHTS:
            ms = [s * 1000 for s in self.seconds[kind]]
            kinds[kind] = {
                "requests": len(ms),
                "per_second": round(len(ms) / duration, 1),
                "p50_ms": round(percentile(ms, 50), 1) if ms else None,
                "p95_ms": round(percentile(ms, 95), 1) if ms else None,
                "p99_ms": round(percentile(ms, 99), 1) if ms else None,
                "max_ms": round(max(ms), 1) if ms else None,
            }
        return kinds


def tokens(url: str, username: str, count: int) -> list[str]:
    """`count` tokens of one user, issued straight in the database."""
    with transaction(session_factory(url)) as session:
        user = people.get_user(session, username=username)
        assert user is not None, username
        now = datetime.now(UTC)
        return [
            people.create_token(session, user_id=user.id, name="bench", now=now)
            for _ in range(count)
        ]


def desks(url: str, cycle_ids: list[str], clients: int) -> list[Desk]:
    """One desk per client, each on a commitment of its own."""
    codes = load_catalog().codes()
    managers = tokens(url, "manajer", clients)
    result = []
    for index in range(clients):
        cycle_id, code = cycle_ids[index // len(codes)], codes[index % len(codes)]
        officer = tokens(url, f"operator-{code.replace('.', '')}", 1)[0]
        plan = sample_plan(load_catalog().get(code)).model_dump(mode="json")
        result.append(Desk(index, cycle_id, code, officer, managers[index], plan))
    return result


async def send(http: httpx.AsyncClient, desk: Desk, kind: str) -> httpx.Response:
    """One request of the given kind from a desk."""
    base = f"/cycles/{desk.cycle_id}"
    officer = {"Authorization": f"Bearer {desk.officer}"}
    if kind == "board":
        return await http.get(f"{base}/board", cookies={SESSION_COOKIE: desk.manager})
    if kind == "commitment":
        return await http.get(f"{base}/commitments/{desk.code}", headers=officer)
    if kind == "overdue":
        return await http.get(
            "/overdue",
            params={"cycle_id": desk.cycle_id},
            headers={"Authorization": f"Bearer {desk.manager}"},
        )
    return await http.post(
        f"{base}/commitments/{desk.code}/save-draft",
        json={"plan": desk.plan, "based_on_version": desk.version},
        headers=officer,
    )


async def act(http: httpx.AsyncClient, desk: Desk, kind: str, tally: Tally | None) -> None:
    """Send one request, check its answer and note how long it took."""
    started = time.perf_counter()
    try:
        response = await send(http, desk, kind)
    except httpx.HTTPError as error:
        if tally is not None:
            tally.errors.append(f"{kind} client {desk.index}: {error!r}")
        return
    elapsed = time.perf_counter() - started
    if not response.is_success:
        message = f"{kind} client {desk.index}: {response.status_code} {response.text[:300]}"
        if tally is None:
            raise RuntimeError(message)
        tally.errors.append(message)
        return
    if kind == "save_draft":
        desk.version = response.json()["version"]
    if tally is not None:
        tally.seconds[kind].append(elapsed)


async def window(
    http: httpx.AsyncClient, desk: Desk, weights: dict[str, int], closes: float, tally: Tally
) -> None:
    """Send requests back to back, drawn by `weights`, until the window closes."""
    rng = random.Random(desk.index)
    kinds, odds = list(weights), list(weights.values())
    while time.monotonic() < closes:
        await act(http, desk, rng.choices(kinds, odds)[0], tally)


async def windows(
    pairs: list[tuple[httpx.AsyncClient, Desk]], weights: dict[str, int], seconds: float
) -> tuple[Tally, float, int]:
    """Every client in one window of `seconds`: the tally, its length and the requests."""
    tally = Tally()
    opens = time.monotonic()
    closes = opens + seconds
    await asyncio.gather(*(window(http, d, weights, closes, tally) for http, d in pairs))
    return tally, time.monotonic() - opens, sum(len(v) for v in tally.seconds.values())


def recorded_versions(url: str, desks: list[Desk]) -> dict[str, int]:
    """The latest version of every desk's commitment, as the database has it."""
    with transaction(session_factory(url)) as session:
        found = {}
        for desk in desks:
            row = reads.get_commitment(session, commitment_id=f"{desk.cycle_id}:{desk.code}")
            found[f"{desk.cycle_id}:{desk.code}"] = row.latest_version if row else -1
        return found


def sessions_opened(url: str) -> int:
    """Connections PostgreSQL has accepted to the database so far, from any process."""
    with engine_for(url).connect() as connection:
        query = "select sessions from pg_stat_database where datname = current_database()"
        return int(connection.scalar(text(query)) or 0)


def worker_figures(delta: dict[str, float]) -> dict[str, Any]:
    """What the worker did in the window: tasks run, time queued and time spent (means, ms)."""
    figures: dict[str, Any] = {}
    for kind, plural in (("workflow_task", "workflow_tasks"), ("activity", "activities")):
        count = metric_sum(delta, f"temporal_{kind}_execution_latency_count")
        figures[plural] = int(count)
        for stage in ("schedule_to_start", "execution"):
            total = metric_sum(delta, f"temporal_{kind}_{stage}_latency_sum")
            figures[f"{kind}_{stage}_ms_mean"] = round(total / count, 1) if count else None
    return figures


async def wait_ready(base_url: str, api: Any, limit: float = 90) -> None:
    """Wait until the app answers /ready (database and Temporal reachable)."""
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        while True:
            try:
                if (await http.get("/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if api.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not become ready:\n{api.tail()}")
            await asyncio.sleep(0.3)


async def measure(args: argparse.Namespace, folder: Path, db_url: str) -> dict[str, Any]:
    """Start the stack, start the cycles, load the API for the window and add it up."""
    settings = bench_settings(folder, db_url, worker_metrics_address=local_address())
    migrate(settings.db_url)
    with transaction(session_factory(settings.db_url)) as session:
        seed_demo_users(session, load_catalog())
    ports = [free_port() for _ in range(API_PROCESSES)]
    urls = [f"http://{settings.api_host}:{port}" for port in ports]
    regencies = len(load_catalog().codes())
    cycle_ids = [f"beban-{n + 1}" for n in range(-(-args.clients // regencies))]
    year = datetime.now(WITA).year + 1
    async with DevServer(settings) as server:
        pid = server_pid(server)
        with ExitStack() as stack:
            worker = stack.enter_context(
                bench_process(
                    ["-m", "komitmen", "worker"], process_env(settings), folder / "worker.log"
                )
            )
            apis = [
                stack.enter_context(
                    bench_process(
                        ["-m", "komitmen", "api"],
                        process_env(settings.model_copy(update={"api_port": port})),
                        folder / f"api-{port}.log",
                    )
                )
                for port in ports
            ]
            worker.wait_for("worker running")
            for url, api in zip(urls, apis, strict=True):
                await wait_ready(url, api)
            coordinator = tokens(settings.db_url, "koordinator", 1)[0]
            async with httpx.AsyncClient(base_url=urls[0], timeout=120) as http:
                for cycle_id in cycle_ids:
                    body = {"cycle_id": cycle_id, "name": "Rakor (beban)", "year": year}
                    started = await http.post(
                        "/cycles", json=body, headers={"Authorization": f"Bearer {coordinator}"}
                    )
                    assert started.status_code == 201, started.text
            table = desks(settings.db_url, cycle_ids, args.clients)
            pids = {"api": [a.pid for a in apis], "worker": [worker.pid], "temporal": [pid]}
            async with AsyncExitStack() as connections:
                # Clients take turns over the API processes, as a load balancer would.
                pairs = [
                    (
                        await connections.enter_async_context(
                            httpx.AsyncClient(base_url=urls[d.index % len(urls)], timeout=120)
                        ),
                        d,
                    )
                    for d in table
                ]
                # Every client warms up with one request of each kind, then all start at once.
                for kind in WEIGHTS:
                    await asyncio.gather(*(act(http, d, kind, None) for http, d in pairs))
                cpu_before = {k: sum(map(cpu_seconds, v)) for k, v in pids.items()}
                metrics_before = metrics(settings.worker_metrics_address)
                own_before = time.process_time()
                sessions_before = sessions_opened(settings.db_url)
                tally, duration, _ = await windows(pairs, WEIGHTS, args.seconds)
                sessions = sessions_opened(settings.db_url) - sessions_before
                cpu = {
                    k: round(sum(map(cpu_seconds, v)) - cpu_before[k], 1) for k, v in pids.items()
                }
                cpu["clients"] = round(time.process_time() - own_before, 1)
                delta = metrics_delta(metrics_before, metrics(settings.worker_metrics_address))
                alone: dict[str, Any] = {}
                for kind in WEIGHTS:
                    before = sum(map(cpu_seconds, pids["api"]))
                    solo, _, served = await windows(pairs, {kind: 1}, args.kind_seconds)
                    used = sum(map(cpu_seconds, pids["api"])) - before
                    alone[kind] = {
                        "requests": served,
                        "api_cpu_seconds": round(used, 2),
                        "api_cpu_ms_per_request": round(used * 1000 / served, 2)
                        if served
                        else None,
                    }
                    tally.errors.extend(solo.errors)
            delta = metrics_delta(metrics_before, metrics(settings.worker_metrics_address))
            expected = {f"{d.cycle_id}:{d.code}": d.version for d in table}
            for _ in range(60):
                found = recorded_versions(settings.db_url, table)
                if found == expected:
                    break
                await asyncio.sleep(0.5)
            mismatched = {k: (v, found.get(k)) for k, v in expected.items() if found.get(k) != v}
        engine_for(settings.db_url).dispose()
    kinds = tally.figures(duration)
    total = sum(k["requests"] for k in kinds.values())
    reads = [s * 1000 for kind in ("board", "commitment", "overdue") for s in tally.seconds[kind]]
    cpu_ms = round(cpu["api"] * 1000 / total, 2) if total else None
    read_p95 = round(percentile(reads, 95), 1) if reads else None
    return {
        "sizes": {
            "clients": args.clients,
            "seconds": round(duration, 1),
            "api_processes": API_PROCESSES,
            "commitments": len(table),
        },
        "figures": {
            "requests_per_second": round(total / duration, 1),
            "api_cpu_ms_per_request": cpu_ms,
            "read_p95_ms": read_p95,
            "save_draft_p95_ms": kinds["save_draft"]["p95_ms"],
            "errors": len(tally.errors),
            "drafts_not_recorded": len(mismatched),
        },
        "targets": {
            "api_cpu_ms_per_request": {
                "target": f"≤ {CPU_MS_TARGET:.1f} ms (half of {CPU_MS_BEFORE} ms)",
                "pass": cpu_ms is not None and cpu_ms <= CPU_MS_TARGET,
            },
            "read_p95_ms": {
                "target": "reported at 50 clients",
                "pass": read_p95 is not None and args.clients == 50,
            },
            "errors": {"target": "0", "pass": not tally.errors},
            "drafts_not_recorded": {"target": "0", "pass": not mismatched},
        },
        "requests": total,
        "kinds": kinds,
        "drafts_saved": kinds["save_draft"]["requests"],
        "error_samples": tally.errors[:20],
        "database_mismatches": mismatched,
        "cpu_seconds": cpu,
        # Connections the API processes and the worker opened in the mixed window (the
        # dev server keeps its own data in SQLite): each costs a PostgreSQL process.
        "database_sessions_opened": sessions,
        "api_cpu_alone": alone,
        "worker": worker_figures(delta),
    }


def main() -> int:
    """Run the load and write bench/results/api_load.json; 1 on any failure."""
    parser = bench_parser("api_load", __doc__, quick="10 clients for 5 s; writes no result")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, help="length of the window (default 30)")
    args = parser.parse_args()
    args.clients = args.clients or (10 if args.quick else 50)
    args.seconds = args.seconds or (5.0 if args.quick else 30.0)
    args.kind_seconds = 2.0 if args.quick else KIND_SECONDS
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory(prefix="komitmen-bench-") as folder,
        postgres_database() as url,
    ):
        result = asyncio.run(measure(args, Path(folder), url))
    result["load_average"] = {"before": load_before, "after": os.getloadavg()}
    if not args.quick:
        write_result("api_load", result)
    for error in result["error_samples"]:
        print(f"  error: {error}", file=sys.stderr)
    for name, (saved, recorded) in result["database_mismatches"].items():
        print(f"  {name}: saved version {saved}, database has {recorded}", file=sys.stderr)
    f = result["figures"]
    passed = met(result)
    print(
        f"api_load: {args.clients} clients for {result['sizes']['seconds']} s: "
        f"{f['requests_per_second']} requests/s, API CPU {f['api_cpu_ms_per_request']} ms a "
        f"request, p95 reads {f['read_p95_ms']} ms, "
        f"save_draft {f['save_draft_p95_ms']} ms; {f['errors']} errors, "
        f"{f['drafts_not_recorded']} drafts not recorded: {'met' if passed else 'MISSED'}"
    )
    alone = ", ".join(
        f"{kind} {a['api_cpu_ms_per_request']} ms" for kind, a in result["api_cpu_alone"].items()
    )
    print(f"api_load: API CPU a request, each kind alone: {alone}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
