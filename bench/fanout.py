"""National fan-out: one cycle for 514 kabupaten/kota, until every one is on the board.

A coordinator starts one cycle for 514 synthetic regencies (the packaged catalog
holds NTT's 22) on a Temporal dev server of this run's own, with its state on
disk as `make up` keeps it, and one worker process on a database of its own. The
clock runs from starting the cycle workflow until the board's query
(`reads.list_commitments`, polled every 0.1 s) shows every commitment in
drafting; then the board page itself is fetched over HTTP from `komitmen api`
and must list them all. Where the time goes comes from the cycle's history (when
its children started), the worker's SDK metrics and each process's CPU time.

    .venv/bin/python -m bench.fanout                  # 514 regencies, SQLite
    .venv/bin/python -m bench.fanout --db postgres
    .venv/bin/python -m bench.fanout --quick          # 50, to smoke-test
"""

from __future__ import annotations

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import argparse
    import asyncio
    import statistics
    import time
    from collections import Counter
    from collections.abc import Callable, Sequence
    from datetime import UTC, datetime
    from pathlib import Path
    from typing import Any

    import httpx
    from temporalio.api.enums.v1 import EventType
    from temporalio.client import Client
    from temporalio.workflow import ParentClosePolicy

    from api.pages.base import SESSION_COOKIE
    from api.pages.i18n import stage_label
    from bench.common import (
        BenchCli,
        Usage,
        bench_main,
        bench_process,
        contenders,
        database_option,
        metric_sum,
        national_catalog,
        progress,
        serve,
        serve_floor,
        verdict,
    )
    from db import people, reads
    from db.session import session_factory, transaction
    from domain.calendar import WITA
    from domain.roles import Actor, Role
    from domain.schedule import default_schedule
    from komitmen.devserver import free_port, port_open
    from komitmen.worker import build_worker
    from services.actions import build_cycle_spec, start_cycle
    from services.settings import Settings
    from tests.stack import process_env
    from workflows.common import ACTIVITY_TIMEOUT, cycle_workflow_id

REGENCIES = 514
TARGET_SECONDS = 30.0
# Issue 17: the national fan-out takes at most 1.2 times what bare children take.
FLOOR_FACTOR = 1.2
TASK_QUEUE = "bench-fanout"
BARE_QUEUE = "bench-fanout-bare"
BARE_CYCLE = "bare-cycle"
COORDINATOR = Actor(name="Koordinator Nasional", role=Role.COORDINATOR)
# The board's label for a commitment in drafting, as the page shows it.
DRAFTING_CELL = f"<td>{stage_label('drafting', False, 'id')}"
say = progress("fanout")


# --- the floor: a parent starting children that each record one line ------------------------


@activity.defn(name="bench_mark")
async def mark(board: str, code: str) -> None:
    """Append a child's code to the bare board, a file; an empty board name records nothing."""
    if board:
        with open(board, "a", encoding="utf-8") as out:
            out.write(code + "\n")


@workflow.defn(name="BareCommitment")
class BareCommitment:
    """A child that records that it began, then stays open as a commitment does."""

    @workflow.run
    async def run(self, board: str, code: str) -> None:
        """Record the start; wait."""
        await workflow.execute_activity(
            mark, args=[board, code], start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        await workflow.wait_condition(lambda: False)


@workflow.defn(name="BareCycle")
class BareCycle:
    """A parent that records its start and starts one child per regency, like a cycle."""

    def __init__(self) -> None:
        self._started = False

    @workflow.run
    async def run(self, board: str, codes: list[str]) -> None:
        """Start every child; stay open."""
        await workflow.execute_activity(
            mark, args=["", "cycle"], start_to_close_timeout=ACTIVITY_TIMEOUT
        )
        await asyncio.gather(
            *(
                workflow.start_child_workflow(
                    BareCommitment.run,
                    args=[board, code],
                    id=f"bare-commitment:{code}",
                    parent_close_policy=ParentClosePolicy.ABANDON,
                )
                for code in codes
            )
        )
        self._started = True
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def ready(self) -> None:
        """Return once every child has started."""
        await workflow.wait_condition(lambda: self._started)


# --- Komitmen ------------------------------------------------------------------------------


async def serve_worker(settings: Settings, regencies: int) -> None:
    """Komitmen's worker knowing the synthetic regencies, until SIGTERM; metrics served."""
    catalog = national_catalog(regencies)
    await serve(settings, lambda client: build_worker(client, settings, catalog=catalog))


def on_board(settings: Settings, cycle_id: str) -> int:
    """How many of the cycle's commitments the board's query shows in drafting."""
    with transaction(session_factory(settings.db_url)) as session:
        rows = reads.list_commitments(session, cycle_id=cycle_id)
        return sum(row.stage == "drafting" for row in rows)


def session_token(settings: Settings) -> str:
    """A page session for a manager, who sees every regency on the board."""
    now = datetime.now(UTC)
    with transaction(session_factory(settings.db_url)) as session:
        user = people.add_user(
            session,
            username="manajer-bench",
            full_name="Manajer Benchmark",
            email="manajer-bench@example.org",
            role=Role.MANAGER.value,
            regency_code=None,
            office=None,
            now=now,
        )
        return people.create_token(session, user_id=user.id, name="bench", now=now)


async def board_page(settings: Settings, cycle_id: str, token: str) -> dict[str, Any]:
    """Fetch the board page a few times: its rows in drafting and how long it takes."""
    url = f"http://{settings.api_host}:{settings.api_port}/cycles/{cycle_id}/board"
    timings = []
    async with httpx.AsyncClient(cookies={SESSION_COOKIE: token}, timeout=60) as http:
        for _ in range(5):
            began = time.perf_counter()
            response = await http.get(url)
            timings.append(time.perf_counter() - began)
            response.raise_for_status()
    return {
        "rows_in_drafting": response.text.count(DRAFTING_CELL),
        "bytes": len(response.content),
        "seconds_median": round(statistics.median(timings), 3),
    }


async def cycle_timeline(
    client: Client, workflow_id: str, cycle: str | None = None
) -> dict[str, Any]:
    """From a parent's history: seconds after its start when its children started.

    A cycle that starts its commitments from activities (`START_BY_ACTIVITY`) has no child
    events: its commitments' start times come from visibility, by their `Cycle`.
    """
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].event_time.ToDatetime(tzinfo=UTC)

    def after(kind: int) -> list[float]:
        return [
            (e.event_time.ToDatetime(tzinfo=UTC) - started).total_seconds()
            for e in history.events
            if e.event_type == kind
        ]

    children = after(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
    if not children and cycle is not None:
        children = [
            (w.start_time - started).total_seconds()
            async for w in client.list_workflows(f"Cycle = '{cycle}'")
        ]
    kinds = Counter(
        EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
    )
    return {
        "first_child_started_at_s": round(min(children), 2),
        "last_child_started_at_s": round(max(children), 2),
        "parent_workflow_tasks": len(after(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)),
        "parent_history_events": len(history.events),
        # Where a parent's workflow tasks and events come from, beside the floor's.
        "parent_events_by_type": dict(kinds.most_common()),
    }


async def until_all(count: Callable[[], int], total: int, began: float, limit: float) -> float:
    """Poll `count` every 0.1 s until it reaches `total`; seconds since `began`, or raise."""
    while (shown := await asyncio.to_thread(count)) < total:
        if time.perf_counter() - began > limit:
            raise TimeoutError(f"only {shown} of {total} on the board after {limit:g} s")
        await asyncio.sleep(0.1)
    return time.perf_counter() - began


class Measured:
    """One fan-out's figures: when it was on the board, and what each process did for it."""

    def __init__(self, worker_pid: int, server_pid: int, metrics_address: str) -> None:
        """Note where the worker, the server and the worker's metrics are."""
        self.pids = {"worker": worker_pid, "server": server_pid}
        self.metrics_address = metrics_address
        self.figures: dict[str, Any] = {}

    async def run(
        self, start: Callable[[], Any], count: Callable[[], int], total: int, limit: float
    ) -> float:
        """Time `start` (until its children have started) and the board filling up."""
        usage = Usage(self.pids, self.metrics_address)
        await start()
        ready = usage.seconds()
        on_board = await until_all(count, total, usage.began, limit)
        delta = usage.counters()
        tasks = metric_sum(delta, "temporal_workflow_task_execution_latency_count")
        activities = metric_sum(delta, "temporal_activity_execution_latency_count")
        self.figures = {
            "on_board_seconds": round(on_board, 2),
            "ready_seconds": round(ready, 2),
            "cpu_seconds": {k: round(v, 1) for k, v in usage.cpu().items()},
            "worker": {
                "workflow_tasks": int(tasks),
                "workflow_task_ms_mean": round(
                    metric_sum(delta, "temporal_workflow_task_execution_latency_sum") / tasks, 2
                ),
                "activities": int(activities),
                "activity_ms_mean": round(
                    metric_sum(delta, "temporal_activity_execution_latency_sum") / activities, 2
                ),
            },
        }
        return on_board


async def measure(args: argparse.Namespace, folder: Path, db_url: str) -> dict[str, Any]:
    """Fan out the floor, then the national cycle, on one dev server; time each onto a board."""
    catalog = national_catalog(args.regencies)
    year = datetime.now(WITA).year + 1
    spec = build_cycle_spec(
        cycle_id="nasional",
        name="Komitmen Nasional (benchmark)",
        year=year,
        catalog=catalog,
        schedule=default_schedule(year),
        started_by=COORDINATOR,
    )
    codes = catalog.codes()
    board = folder / "bare-board.txt"
    board.touch()
    async with contenders(
        folder,
        db_url,
        (TASK_QUEUE, BARE_QUEUE),
        ["-m", "bench.fanout", "--serve-worker", "--regencies", str(args.regencies)],
        ["-m", "bench.fanout", "--serve-bare-worker"],
        api_port=free_port(),
    ) as run:
        client, pid, settings = run.server.client, run.server_pid, run.settings
        api_log = folder / "api.log"
        with bench_process(["-m", "komitmen", "api"], process_env(settings), api_log) as api:
            while not port_open(settings.api_host, settings.api_port):
                if api.process.poll() is not None:
                    raise RuntimeError(f"the API did not start:\n{api.tail()}")
                await asyncio.sleep(0.2)

            async def start_bare() -> None:
                handle = await client.start_workflow(
                    BareCycle.run, args=[str(board), codes], id=BARE_CYCLE, task_queue=BARE_QUEUE
                )
                await handle.execute_update(BareCycle.ready)

            say(f"floor: a bare parent starting {args.regencies} children")
            bare = Measured(run.floor.pid, pid, run.floor_settings.worker_metrics_address)
            await bare.run(
                start_bare,
                lambda: board.read_text(encoding="utf-8").count("\n"),
                args.regencies,
                args.limit,
            )
            bare.figures["parent"] = await cycle_timeline(client, BARE_CYCLE)
            say(f"floor on its board after {bare.figures['on_board_seconds']:.1f} s")
            say(f"Komitmen: one cycle of {args.regencies} regencies")
            komitmen = Measured(run.worker.pid, pid, settings.worker_metrics_address)
            await komitmen.run(
                lambda: start_cycle(client, spec, task_queue=TASK_QUEUE),
                lambda: on_board(settings, spec.cycle_id),
                args.regencies,
                args.limit,
            )
            komitmen.figures["parent"] = await cycle_timeline(
                client, cycle_workflow_id(spec.cycle_id), spec.cycle_id
            )
            say(f"Komitmen on the board after {komitmen.figures['on_board_seconds']:.1f} s")
            page = await board_page(settings, spec.cycle_id, session_token(settings))
    seconds = komitmen.figures["on_board_seconds"]
    floor = bare.figures["on_board_seconds"]
    met = seconds < TARGET_SECONDS and page["rows_in_drafting"] == args.regencies
    return {
        "sizes": {"regencies": args.regencies, "database": args.db},
        "figures": {
            "on_board_seconds": seconds,
            "floor_on_board_seconds": bare.figures["on_board_seconds"],
            "ratio_to_floor": round(floor / seconds, 3),
            "commitments_per_second": round(args.regencies / seconds, 1),
            "komitmen": komitmen.figures,
            "floor": bare.figures,
            "board_page": page,
        },
        "targets": {
            "on_board_seconds": {"target": f"< {TARGET_SECONDS:g} s", "pass": met},
            "ratio_to_floor": {
                "target": f"≥ {1 / FLOOR_FACTOR:.2f} (within {FLOOR_FACTOR:g} × the floor's time)",
                "pass": seconds <= FLOOR_FACTOR * floor,
            },
        },
    }


def summary(f: dict[str, Any], s: dict[str, Any], targets: dict[str, Any]) -> str:
    """The one line a run prints."""
    return (
        f"fanout: one cycle of {s['regencies']} regencies ({s['database']}): every commitment "
        f"in drafting on the board after {f['on_board_seconds']:.1f} s (target < "
        f"{TARGET_SECONDS:g} s: {verdict(targets['on_board_seconds'])}); a bare parent and "
        f"children take "
        f"{f['floor_on_board_seconds']:.1f} s (ratio {f['ratio_to_floor']:.2f}, target "
        f"{targets['ratio_to_floor']['target']}: {verdict(targets['ratio_to_floor'])}); board page "
        f"{f['board_page']['seconds_median']:.2f} s for {f['board_page']['rows_in_drafting']} rows"
    )


CLI = BenchCli(
    quick="50 regencies",
    options={
        "--regencies": {"type": int, "help": f"regencies (default {REGENCIES})"},
        "--db": database_option("sqlite"),
        "--limit": {"type": float, "default": 600, "help": "give up after seconds"},
    },
    database="db",
    sizes={"regencies": (50, REGENCIES)},
    show_figures=True,
    workers={
        "--serve-worker": lambda args: serve_worker(Settings(), args.regencies),
        "--serve-bare-worker": lambda _: serve_floor(
            Settings(), [BareCycle, BareCommitment], [mark]
        ),
    },
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/fanout.json."""
    return bench_main("fanout", __doc__, argv, measure, summary, CLI)


if __name__ == "__main__":
    raise SystemExit(main())
