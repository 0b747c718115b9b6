"""Lifecycle throughput against the floor: Komitmen beside a bare Temporal workflow.

N commitments go through their whole life (save a draft, submit, approve, three
signatures, four quarterly reports each verified) by Workflow Updates sent as the
CLI and the API send them (`services.actions.act`), a bounded number of lifecycles
at a time, through a `komitmen worker` process on a database of this run's own.
On the same Temporal dev server a bare workflow, run by a plain worker process on
its own task queue, takes one update per human action and runs one no-op activity
per state change: the floor that Temporal itself sets for that lifecycle. Rounds
alternate between the two; the figure is Komitmen's throughput over the floor's.
Where the rest goes comes from both workers' SDK metrics (workflow tasks, activity
time), one history of each (commands per action) and the CPU each process used.

    .venv/bin/python -m bench.lifecycle                  # 50 lifecycles a round, SQLite
    .venv/bin/python -m bench.lifecycle --db postgres
    .venv/bin/python -m bench.lifecycle --quick          # 5, to smoke-test
"""

from __future__ import annotations

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import argparse
    import asyncio
    import statistics
    import time
    from collections import Counter
    from collections.abc import Awaitable, Sequence
    from dataclasses import dataclass, field
    from datetime import datetime, timedelta
    from pathlib import Path
    from typing import Any

    from temporalio.api.enums.v1 import EventType
    from temporalio.client import Client

    from bench.common import (
        BenchCli,
        Usage,
        bench_main,
        contenders,
        database_option,
        metric_sum,
        progress,
        serve_floor,
        verdict,
    )
    from domain import commitment as c
    from domain.calendar import WITA
    from domain.catalog import Regency, load_catalog
    from domain.cycle import CycleSpec
    from domain.roles import Actor, Role
    from domain.schedule import compressed_schedule, default_schedule
    from domain.stages import Action
    from komitmen.demo import sample_plan, sample_report
    from services.actions import STEPS, act, build_cycle_spec, start_cycle
    from services.settings import Settings
    from workflows.common import ACTIVITY_TIMEOUT, commitment_workflow_id, cycle_workflow_id

TARGET_RATIO = 0.8
# The human actions of one lifecycle, in order; each is one update and one recorded change.
ACTIONS = ("save_draft", "submit", "approve", "sign", "sign", "sign") + (
    "submit_report",
    "verify_report",
) * 4
# Plus the commitment's start: the state changes one lifecycle records.
STATE_CHANGES = len(ACTIONS) + 1
KOMITMEN_QUEUE = "bench-komitmen"
BARE_QUEUE = "bench-bare"
# Days long enough that no reminder, deadline or lock falls during a run, yet a
# compressed schedule: every action is allowed at once and reports need no closed quarter.
DAY_LENGTH = timedelta(hours=23)
COORDINATOR = Actor(name="Koordinator Benchmark", role=Role.COORDINATOR)
REVIEWER = Actor(name="Reviewer Benchmark", role=Role.REVIEWER)
say = progress("lifecycle")


# --- the floor: a workflow with no logic and no database ------------------------------------


@activity.defn(name="bench_noop")
async def noop() -> None:
    """Nothing: stands for recording one state change."""


@workflow.defn(name="BareLifecycle")
class BareLifecycle:
    """One update per human action and one no-op activity per state change, nothing else."""

    @workflow.run
    async def run(self) -> None:
        """Record the start, then stay open as a commitment does between its actions."""
        await workflow.execute_activity(noop, start_to_close_timeout=ACTIVITY_TIMEOUT)
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def act(self, action: str) -> str:
        """Record the action's state change."""
        await workflow.execute_activity(noop, start_to_close_timeout=ACTIVITY_TIMEOUT)
        return action


# --- driving lifecycles ---------------------------------------------------------------------


async def bare_lifecycle(client: Client, workflow_id: str) -> None:
    """Start one bare workflow and send it one update per action."""
    handle = await client.start_workflow(BareLifecycle.run, id=workflow_id, task_queue=BARE_QUEUE)
    for action in ACTIONS:
        await handle.execute_update(BareLifecycle.act, action)


async def komitmen_lifecycle(client: Client, spec: CycleSpec, regency: Regency) -> None:
    """Drive one commitment from drafting to its fourth verified report."""
    code = regency.kemendagri_code
    commitment = c.commitment_id(spec.cycle_id, code)
    officer = Actor(name=f"Operator {regency.name}", role=Role.REGENCY_OFFICER, regency_code=code)
    sent: list[str] = []

    async def send(action: Action, request: Any) -> Any:
        sent.append(action.value)
        return await act(client, commitment, STEPS[action].update, request)

    saved = await send(
        Action.SAVE_DRAFT, c.SaveDraft(actor=officer, plan=sample_plan(regency), based_on_version=0)
    )
    await send(Action.SUBMIT, c.Submit(actor=officer, version=saved.version))
    approved = await send(Action.APPROVE, c.Approve(actor=REVIEWER, version=saved.version))
    for office in spec.signatories:
        signer = Actor(
            name=f"Penandatangan {office} {code}",
            role=Role.SIGNATORY,
            regency_code=code,
            office=office,
        )
        await send(Action.SIGN, c.Sign(actor=signer, document_hash=approved.document_hash))
    for quarter in range(1, 5):
        report = sample_report(regency, quarter)
        await send(Action.SUBMIT_REPORT, c.SubmitReport(actor=officer, report=report))
        await send(Action.VERIFY_REPORT, c.VerifyReport(actor=REVIEWER, quarter=quarter))
    assert tuple(sent) == ACTIONS, "the bare workflow must mirror these actions"


def cycle_specs(label: str, count: int, now: datetime) -> list[CycleSpec]:
    """Cycles of the catalog's regencies (22 each, the last one shorter) holding `count`."""
    catalog = load_catalog()
    codes = catalog.codes()
    rules = default_schedule(now.astimezone(WITA).year)
    specs = []
    for n, first in enumerate(range(0, count, len(codes))):
        spec = build_cycle_spec(
            cycle_id=f"bench-{label}-{n}",
            name=f"Benchmark {label} {n}",
            year=now.astimezone(WITA).year,
            catalog=catalog,
            schedule=rules,
            started_by=COORDINATOR,
            regency_codes=codes[: count - first],
        )
        schedule = compressed_schedule(rules, now, DAY_LENGTH)
        specs.append(spec.model_copy(update={"schedule": schedule}))
    return specs


async def gated(concurrency: int, jobs: Sequence[Awaitable[None]]) -> None:
    """Await every job, at most `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def run(job: Awaitable[None]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(run(job) for job in jobs))


# --- measuring ------------------------------------------------------------------------------


def add_up(total: dict[str, float], more: dict[str, float]) -> None:
    """Add each figure of `more` to `total`."""
    for key, value in more.items():
        total[key] = total.get(key, 0.0) + value


@dataclass
class Side:
    """One contender: its worker process and what its timed rounds added up to."""

    name: str
    worker_pid: int
    metrics_address: str
    lifecycles: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Lifecycles per second over every timed round."""
        return self.lifecycles / self.seconds

    def per_lifecycle(self) -> dict[str, Any]:
        """Where one lifecycle's time went, averaged over the timed rounds."""
        n = self.lifecycles
        m = self.metrics
        activities = {
            key.split('activity_type="')[1].split('"')[0]: value
            for key, value in m.items()
            if key.startswith("temporal_activity_execution_latency_count{")
        }
        activity_ms = {
            kind: round(
                metric_sum(m, "temporal_activity_execution_latency_sum", activity_type=kind)
                / count,
                2,
            )
            for kind, count in activities.items()
        }
        tasks = metric_sum(m, "temporal_workflow_task_execution_latency_count")
        return {
            "seconds": round(self.seconds / n, 3),
            "cpu_ms": {k: round(1000 * v / n, 1) for k, v in sorted(self.cpu.items())},
            "workflow_tasks": round(tasks / n, 2),
            "workflow_task_ms_mean": round(
                metric_sum(m, "temporal_workflow_task_execution_latency_sum") / tasks, 2
            ),
            "workflow_task_schedule_to_start_ms_mean": round(
                metric_sum(m, "temporal_workflow_task_schedule_to_start_latency_sum")
                / max(metric_sum(m, "temporal_workflow_task_schedule_to_start_latency_count"), 1),
                2,
            ),
            "activities": {k: round(v / n, 2) for k, v in sorted(activities.items())},
            "activity_ms_mean": dict(sorted(activity_ms.items())),
            "activity_schedule_to_start_ms_mean": round(
                metric_sum(m, "temporal_activity_schedule_to_start_latency_sum")
                / max(metric_sum(m, "temporal_activity_schedule_to_start_latency_count"), 1),
                2,
            ),
        }


class Bench:
    """The dev server and both workers of this run, and the rounds they take turns at."""

    def __init__(self, client: Client, server_pid: int, concurrency: int) -> None:
        """Hold the client that drives both sides and the server's process id."""
        self.client = client
        self.server_pid = server_pid
        self.concurrency = concurrency

    async def timed(self, side: Side, count: int, run: Awaitable[None]) -> float:
        """Run one round of `count` lifecycles on `side`; add its time, CPU and metrics."""
        driver_before = time.process_time()
        usage = Usage({"worker": side.worker_pid, "server": self.server_pid}, side.metrics_address)
        await run
        elapsed = usage.seconds()
        used = usage.cpu()
        used["driver"] = time.process_time() - driver_before
        add_up(side.cpu, used)
        add_up(side.metrics, usage.counters())
        side.lifecycles += count
        side.seconds += elapsed
        return elapsed

    async def komitmen_round(self, label: str, count: int) -> None:
        """Start cycles holding `count` commitments and drive each through its lifecycle."""
        specs = cycle_specs(label, count, datetime.now(WITA))
        catalog = load_catalog()
        await asyncio.gather(
            *(start_cycle(self.client, spec, task_queue=KOMITMEN_QUEUE) for spec in specs)
        )
        await gated(
            self.concurrency,
            [
                komitmen_lifecycle(self.client, spec, catalog.get(ref.code))
                for spec in specs
                for ref in spec.regencies
            ],
        )

    async def bare_round(self, label: str, count: int) -> None:
        """Drive `count` bare workflows through the same lifecycle."""
        await gated(
            self.concurrency,
            [bare_lifecycle(self.client, f"bare-{label}-{n}") for n in range(count)],
        )

    async def history(self, workflow_id: str) -> dict[str, int]:
        """How many events of each type a workflow's history holds."""
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        kinds = Counter(
            EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
        )
        return dict(sorted(kinds.items()))


async def measure(args: argparse.Namespace, folder: Path, db_url: str) -> dict[str, Any]:
    """Warm both sides up, then alternate timed rounds; gather the figures."""
    async with contenders(
        folder,
        db_url,
        (KOMITMEN_QUEUE, BARE_QUEUE),
        ["-m", "komitmen", "worker"],
        ["-m", "bench.lifecycle", "--bare-worker"],
        worker_log="komitmen-worker.log",
    ) as run:
        bench = Bench(run.server.client, run.server_pid, args.concurrency)
        komitmen = Side("komitmen", run.worker.pid, run.settings.worker_metrics_address)
        bare = Side("bare", run.floor.pid, run.floor_settings.worker_metrics_address)
        say("warming up both workers (one round each of 2, not counted)")
        await bench.komitmen_round("warm", 2)
        await bench.bare_round("warm", 2)
        rounds: list[dict[str, float]] = []
        n = args.lifecycles
        for r in range(args.rounds):
            # Who goes first alternates, so a drift in the machine's load favours neither.
            if r % 2 == 0:
                b = await bench.timed(bare, n, bench.bare_round(f"r{r}", n))
                k = await bench.timed(komitmen, n, bench.komitmen_round(f"r{r}", n))
            else:
                k = await bench.timed(komitmen, n, bench.komitmen_round(f"r{r}", n))
                b = await bench.timed(bare, n, bench.bare_round(f"r{r}", n))
            rounds.append(
                {"bare_seconds": round(b, 2), "komitmen_seconds": round(k, 2), "ratio": b / k}
            )
            say(f"round {r + 1}: bare {n / b:.2f}/s, Komitmen {n / k:.2f}/s, ratio {b / k:.2f}")
        first_code = load_catalog().codes()[0]
        histories = {
            "komitmen_commitment": await bench.history(
                commitment_workflow_id(c.commitment_id("bench-r0-0", first_code))
            ),
            "komitmen_cycle": await bench.history(cycle_workflow_id("bench-r0-0")),
            "bare": await bench.history("bare-r0-0"),
        }
    # Other work shares the machine in bursts: the median of the rounds' ratios, each
    # taken from two runs side by side in time, is what one burst cannot move.
    ratio = statistics.median(each["ratio"] for each in rounds)
    for each in rounds:
        each["ratio"] = round(each["ratio"], 3)
    return {
        "sizes": {
            "lifecycles_per_round": args.lifecycles,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "actions_per_lifecycle": len(ACTIONS),
            "state_changes_per_lifecycle": STATE_CHANGES,
            "database": args.db,
        },
        "figures": {
            "komitmen_lifecycles_per_second": round(komitmen.rate, 2),
            "bare_lifecycles_per_second": round(bare.rate, 2),
            "ratio": round(ratio, 3),
            "ratio_of_totals": round(komitmen.rate / bare.rate, 3),
            "rounds": rounds,
            "per_lifecycle": {
                "komitmen": komitmen.per_lifecycle(),
                "bare": bare.per_lifecycle(),
            },
            "histories": histories,
        },
        "targets": {"ratio": {"target": f"≥ {TARGET_RATIO}", "pass": ratio >= TARGET_RATIO}},
    }


def summary(f: dict[str, Any], s: dict[str, Any], targets: dict[str, Any]) -> str:
    """The one line a run prints."""
    return (
        f"lifecycle: {s['rounds']} × {s['lifecycles_per_round']} lifecycles "
        f"({s['actions_per_lifecycle']} actions each, {s['concurrency']} at a time, "
        f"{s['database']}): Komitmen {f['komitmen_lifecycles_per_second']:.2f}/s, bare Temporal "
        f"{f['bare_lifecycles_per_second']:.2f}/s, ratio {f['ratio']:.2f} (median of rounds) "
        f"(target ≥ {TARGET_RATIO}: {verdict(targets['ratio'])})"
    )


CLI = BenchCli(
    quick="5 lifecycles, one round each",
    options={
        "--lifecycles": {"type": int, "help": "lifecycles per round (default 50)"},
        "--rounds": {"type": int, "help": "timed rounds of each side (default 6)"},
        "--concurrency": {"type": int, "default": 10, "help": "lifecycles in flight"},
        "--db": database_option("sqlite"),
    },
    database="db",
    sizes={"lifecycles": (5, 50), "rounds": (1, 6)},
    workers={"--bare-worker": lambda _: serve_floor(Settings(), [BareLifecycle], [noop])},
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/lifecycle.json."""
    return bench_main("lifecycle", __doc__, argv, measure, summary, CLI)


if __name__ == "__main__":
    raise SystemExit(main())
