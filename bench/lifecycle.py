"""Lifecycle throughput against a same-shape floor and the update-only limit.

N commitments go through their whole life (save a draft, submit, approve, three
signatures, four quarterly reports each verified) by Workflow Updates sent as the
CLI and the API send them (`services.actions.act`), a bounded number of lifecycles
in flight, through a `komitmen worker` process on a database of this run's own.
On the same Temporal dev server a plain worker process, on its own task queue, runs
two bare workflows with no logic, taking one update per human action:

- the same-shape floor records each state change (the start and every action) as
  Komitmen does, by a local activity that inserts one row keyed (stream, seq) into a
  table of its own in the same database (the SQLite file or the PostgreSQL schema of
  the run), through SQLAlchemy, idempotently (ON CONFLICT DO NOTHING);
- the update-only limit does nothing else: what Temporal alone costs per action.

Every round runs all three, Komitmen between the two floors, whose order alternates.
The figures are Komitmen's throughput over each (the median of the rounds' ratios).
Where the rest goes comes from the workers' SDK metrics (workflow tasks, activity
time), one history of each (commands per action) and the CPU each process used.

    .venv/bin/python -m bench.lifecycle                  # 50 lifecycles a round, SQLite
    .venv/bin/python -m bench.lifecycle --db postgres --in-flight 50
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
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import dataclass, field
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from typing import Any

    from sqlalchemy import (
        Column,
        DateTime,
        Engine,
        Executable,
        Integer,
        MetaData,
        String,
        Table,
        func,
        select,
    )
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    from db.session import engine_for
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
    from workflows.common import (
        ACTIVITY_RETRY,
        ACTIVITY_TIMEOUT,
        commitment_workflow_id,
        cycle_workflow_id,
    )

# Issue 17's targets: Komitmen's throughput over the same-shape floor's, and the limit's.
TARGET_TO_FLOOR = 0.8
TARGET_TO_LIMIT = 0.6
# The human actions of one lifecycle, in order; each is one update and one recorded change.
ACTIONS = ("save_draft", "submit", "approve", "sign", "sign", "sign") + (
    "submit_report",
    "verify_report",
) * 4
# Plus the commitment's start: the state changes one lifecycle records.
STATE_CHANGES = len(ACTIONS) + 1
KOMITMEN_QUEUE = "bench-komitmen"
FLOOR_QUEUE = "bench-floor"
# Days long enough that no reminder, deadline or lock falls during a run, yet a
# compressed schedule: every action is allowed at once and reports need no closed quarter.
DAY_LENGTH = timedelta(hours=23)
COORDINATOR = Actor(name="Koordinator Benchmark", role=Role.COORDINATOR)
REVIEWER = Actor(name="Reviewer Benchmark", role=Role.REVIEWER)
say = progress("lifecycle")


# --- the floors: workflows with no logic ---------------------------------------------------

floor_tables = MetaData()
FLOOR_RECORDS = Table(
    "bench_floor_records",
    floor_tables,
    Column("stream", String(200), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("action", String(50), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class FloorRecord:
    """One state change of a floor workflow: its id, its number there and the action."""

    stream: str
    seq: int
    action: str


class FloorRecorder:
    """Writes the same-shape floor's rows, one INSERT each, idempotent by (stream, seq)."""

    def __init__(self, engine: Engine) -> None:
        """Build the statement once, for the engine's dialect, as Komitmen's recorder does."""
        self.engine = engine
        key = ["stream", "seq"]
        self.insert: Executable
        if engine.dialect.name == "postgresql":
            self.insert = postgresql_insert(FLOOR_RECORDS).on_conflict_do_nothing(
                index_elements=key
            )
        else:
            self.insert = sqlite_insert(FLOOR_RECORDS).on_conflict_do_nothing(index_elements=key)

    def create_table(self) -> None:
        """Create the floor's table in the run's database (its schema, on PostgreSQL)."""
        floor_tables.create_all(self.engine)

    @activity.defn(name="bench_record")
    def record(self, change: FloorRecord) -> bool:
        """Insert the change's row; False when a retry finds it written already."""
        row = {
            "stream": change.stream,
            "seq": change.seq,
            "action": change.action,
            "recorded_at": datetime.now(UTC),
        }
        with self.engine.begin() as connection:
            return connection.execute(self.insert, row).rowcount == 1


@workflow.defn(name="FloorLifecycle")
class FloorLifecycle:
    """The same-shape floor: one update per action, each change recorded by a local activity."""

    def __init__(self) -> None:
        """No change recorded yet."""
        self.seq = 0

    @workflow.run
    async def run(self) -> None:
        """Record the start, then stay open as a commitment does between its actions."""
        await self._record("start")
        await workflow.wait_condition(lambda: False)

    @workflow.update
    async def act(self, action: str) -> str:
        """Record the action's state change."""
        await self._record(action)
        return action

    async def _record(self, action: str) -> None:
        self.seq += 1
        change = FloorRecord(stream=workflow.info().workflow_id, seq=self.seq, action=action)
        await workflow.execute_local_activity_method(
            FloorRecorder.record,
            change,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
        )


@workflow.defn(name="UpdateOnlyLifecycle")
class UpdateOnlyLifecycle:
    """The update-only limit: one update per action and nothing else."""

    @workflow.run
    async def run(self) -> None:
        """Stay open as a commitment does between its actions."""
        await workflow.wait_condition(lambda: False)

    @workflow.update
    def act(self, action: str) -> str:
        """Take the action."""
        return action


async def serve_floors(settings: Settings) -> None:
    """Run both floors' workflows in one worker, its table created first."""
    recorder = FloorRecorder(engine_for(settings.db_url))
    recorder.create_table()
    await serve_floor(
        settings,
        [FloorLifecycle, UpdateOnlyLifecycle],
        [recorder.record],
        activity_executor=ThreadPoolExecutor(max_workers=16),
    )


# --- driving lifecycles ---------------------------------------------------------------------


async def floor_lifecycle(client: Client, kind: str, workflow_id: str) -> None:
    """Start one floor workflow (`kind` names it) and send it one update per action."""
    handle = await client.start_workflow(kind, id=workflow_id, task_queue=FLOOR_QUEUE)
    for action in ACTIONS:
        await handle.execute_update("act", action)


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
    assert tuple(sent) == ACTIONS, "the floors' workflows must mirror these actions"


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
        activities: dict[str, float] = {}
        activity_ms: dict[str, float] = {}
        for prefix, where in (("temporal_", ""), ("temporal_local_", "local ")):
            latency = f"{prefix}activity_execution_latency"
            for key, count in m.items():
                if key.startswith(f"{latency}_count{{"):
                    kind = key.split('activity_type="')[1].split('"')[0]
                    activities[where + kind] = count
                    spent = metric_sum(m, f"{latency}_sum", activity_type=kind)
                    activity_ms[where + kind] = round(spent / count, 2)
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

    def __init__(self, client: Client, server_pid: int, in_flight: int) -> None:
        """Hold the client that drives every side and the server's process id."""
        self.client = client
        self.server_pid = server_pid
        self.in_flight = in_flight

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
            self.in_flight,
            [
                komitmen_lifecycle(self.client, spec, catalog.get(ref.code))
                for spec in specs
                for ref in spec.regencies
            ],
        )

    async def floor_round(self, kind: str, prefix: str, label: str, count: int) -> None:
        """Drive `count` floor workflows of `kind` through the same lifecycle."""
        await gated(
            self.in_flight,
            [floor_lifecycle(self.client, kind, f"{prefix}-{label}-{n}") for n in range(count)],
        )

    async def history(self, workflow_id: str) -> dict[str, int]:
        """How many events of each type a workflow's history holds."""
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        kinds = Counter(
            EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in history.events
        )
        return dict(sorted(kinds.items()))


# The floors: the side's name, its workflow and the prefix of its workflows' ids.
FLOORS = (("floor", "FloorLifecycle", "floor"), ("limit", "UpdateOnlyLifecycle", "limit"))


async def measure(args: argparse.Namespace, folder: Path, db_url: str) -> dict[str, Any]:
    """Warm every side up, then alternate timed rounds; gather the figures."""
    async with contenders(
        folder,
        db_url,
        (KOMITMEN_QUEUE, FLOOR_QUEUE),
        ["-m", "komitmen", "worker"],
        ["-m", "bench.lifecycle", "--floor-worker"],
        worker_log="komitmen-worker.log",
    ) as run:
        bench = Bench(run.server.client, run.server_pid, args.in_flight)
        komitmen = Side("komitmen", run.worker.pid, run.settings.worker_metrics_address)
        # Both floors share one worker; rounds run one side at a time, so a round's
        # metrics and CPU are its own side's.
        floor_address = run.floor_settings.worker_metrics_address
        floors = {name: Side(name, run.floor.pid, floor_address) for name, _, _ in FLOORS}
        say("warming up every side (one round each of 2, not counted)")
        await bench.komitmen_round("warm", 2)
        for _, kind, prefix in FLOORS:
            await bench.floor_round(kind, prefix, "warm", 2)
        rounds: list[dict[str, float]] = []
        n = args.lifecycles
        for r in range(args.rounds):
            # Komitmen runs between the two floors, whose order alternates: each ratio
            # comes from two runs side by side in time, and a drift favours no side.
            first, last = FLOORS if r % 2 == 0 else FLOORS[::-1]
            label = f"r{r}"
            seconds = {}
            name, kind, prefix = first
            seconds[name] = await bench.timed(
                floors[name], n, bench.floor_round(kind, prefix, label, n)
            )
            seconds["komitmen"] = await bench.timed(komitmen, n, bench.komitmen_round(label, n))
            name, kind, prefix = last
            seconds[name] = await bench.timed(
                floors[name], n, bench.floor_round(kind, prefix, label, n)
            )
            k = seconds["komitmen"]
            rounds.append(
                {
                    **{f"{side}_seconds": round(t, 2) for side, t in seconds.items()},
                    "to_floor": seconds["floor"] / k,
                    "to_limit": seconds["limit"] / k,
                }
            )
            say(
                f"round {r + 1}: floor {n / seconds['floor']:.2f}/s, limit "
                f"{n / seconds['limit']:.2f}/s, Komitmen {n / k:.2f}/s, ratios "
                f"{seconds['floor'] / k:.2f} and {seconds['limit'] / k:.2f}"
            )
        first_code = load_catalog().codes()[0]
        histories = {
            "komitmen_commitment": await bench.history(
                commitment_workflow_id(c.commitment_id("bench-r0-0", first_code))
            ),
            "komitmen_cycle": await bench.history(cycle_workflow_id("bench-r0-0")),
            "floor": await bench.history("floor-r0-0"),
            "limit": await bench.history("limit-r0-0"),
        }
    # Every state change of the same-shape floor left its row, once.
    with engine_for(db_url).connect() as connection:
        floor_rows = connection.execute(select(func.count()).select_from(FLOOR_RECORDS)).scalar()
    assert floor_rows == (2 + args.rounds * n) * STATE_CHANGES, floor_rows
    # Other work shares the machine in bursts: the median of the rounds' ratios, each
    # taken from two runs side by side in time, is what one burst cannot move.
    to_floor = statistics.median(each["to_floor"] for each in rounds)
    to_limit = statistics.median(each["to_limit"] for each in rounds)
    for each in rounds:
        each["to_floor"] = round(each["to_floor"], 3)
        each["to_limit"] = round(each["to_limit"], 3)
    floor, limit = floors["floor"], floors["limit"]
    return {
        "sizes": {
            "lifecycles_per_round": args.lifecycles,
            "rounds": args.rounds,
            "in_flight": args.in_flight,
            "actions_per_lifecycle": len(ACTIONS),
            "state_changes_per_lifecycle": STATE_CHANGES,
            "database": args.db,
        },
        "figures": {
            "komitmen_lifecycles_per_second": round(komitmen.rate, 2),
            "floor_lifecycles_per_second": round(floor.rate, 2),
            "limit_lifecycles_per_second": round(limit.rate, 2),
            "ratio_to_floor": round(to_floor, 3),
            "ratio_to_limit": round(to_limit, 3),
            "floor_rows_written": floor_rows,
            "ratio_to_floor_of_totals": round(komitmen.rate / floor.rate, 3),
            "ratio_to_limit_of_totals": round(komitmen.rate / limit.rate, 3),
            "rounds": rounds,
            "per_lifecycle": {
                "komitmen": komitmen.per_lifecycle(),
                "floor": floor.per_lifecycle(),
                "limit": limit.per_lifecycle(),
            },
            "histories": histories,
        },
        "targets": {
            "ratio_to_floor": {
                "target": f"≥ {TARGET_TO_FLOOR}",
                "pass": to_floor >= TARGET_TO_FLOOR,
            },
            "ratio_to_limit": {
                "target": f"≥ {TARGET_TO_LIMIT}",
                "pass": to_limit >= TARGET_TO_LIMIT,
            },
        },
    }


def summary(f: dict[str, Any], s: dict[str, Any], targets: dict[str, Any]) -> str:
    """The one line a run prints."""
    return (
        f"lifecycle: {s['rounds']} × {s['lifecycles_per_round']} lifecycles "
        f"({s['actions_per_lifecycle']} actions each, {s['in_flight']} in flight, "
        f"{s['database']}): Komitmen {f['komitmen_lifecycles_per_second']:.2f}/s; "
        f"same-shape floor {f['floor_lifecycles_per_second']:.2f}/s, ratio "
        f"{f['ratio_to_floor']:.2f} (target ≥ {TARGET_TO_FLOOR}: "
        f"{verdict(targets['ratio_to_floor'])}); update-only limit "
        f"{f['limit_lifecycles_per_second']:.2f}/s, ratio {f['ratio_to_limit']:.2f} "
        f"(target ≥ {TARGET_TO_LIMIT}: {verdict(targets['ratio_to_limit'])}); "
        "ratios are medians of rounds"
    )


DEFAULT_IN_FLIGHT = 10
# Runs on PostgreSQL or with other lifecycles in flight write results of their own
# (lifecycle-postgres.json, lifecycle-50.json, lifecycle-postgres-50.json).
CLI = BenchCli(
    quick="5 lifecycles, one round each",
    options={
        "--lifecycles": {"type": int, "help": "lifecycles per round (default 50)"},
        "--rounds": {"type": int, "help": "timed rounds of each side (default 6)"},
        "--in-flight": {
            "type": int,
            "default": DEFAULT_IN_FLIGHT,
            "help": f"lifecycles in flight (default {DEFAULT_IN_FLIGHT})",
        },
        "--db": database_option("sqlite"),
    },
    database="db",
    sizes={"lifecycles": (5, 50), "rounds": (1, 6)},
    workers={"--floor-worker": lambda _: serve_floors(Settings())},
    variant=lambda args: (
        ("-postgres" if args.db == "postgres" else "")
        + (f"-{args.in_flight}" if args.in_flight != DEFAULT_IN_FLIGHT else "")
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/lifecycle*.json."""
    return bench_main("lifecycle", __doc__, argv, measure, summary, CLI)


if __name__ == "__main__":
    raise SystemExit(main())
