"""Worker memory with many open commitments waiting on their timers.

Cycles of the catalogue's regencies start on a Temporal dev server of this run's
own until N commitments wait in drafting (their first reminder is weeks away),
all run by one `komitmen worker` process on a PostgreSQL schema of its own. The
worker's resident memory (VmRSS, and the kernel's peak VmHWM, from /proc) is
read while the commitments start and once they idle. Then a fresh worker touches
every commitment again (a query replays each into the workflow cache), once
with the large cache and once with a small one: memory follows
`KOMITMEN_WORKFLOW_CACHE_SIZE`, not the number of open commitments.

    .venv/bin/python -m bench.memory            # 10,000 commitments
    .venv/bin/python -m bench.memory --quick    # 500
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.common import (
    BenchCli,
    bench_main,
    bench_settings,
    cpu_seconds,
    database_option,
    memory_bytes,
    progress,
    verdict,
)
from db import reads
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.catalog import load_catalog
from domain.cycle import CycleSpec
from domain.roles import Actor, Role
from domain.schedule import default_schedule
from komitmen.devserver import DevServer, temporal_binary
from services.actions import build_cycle_spec, start_cycle
from services.settings import Settings
from tests.stack import WorkerProcess, process_env
from workflows.commitment import CommitmentWorkflow
from workflows.common import commitment_workflow_id

TARGET_MB = 1024
MB = 2**20
COORDINATOR = Actor(name="Koordinator Benchmark", role=Role.COORDINATOR)
TASK_QUEUE = "komitmen-bench"
say = progress("memory")


# --- the worker process as the kernel sees it ----------------------------------------------


async def settle(pid: int, *, window: float = 3.0, busy: float = 0.05, limit: float = 300) -> float:
    """Wait until the process uses under `busy` of a CPU for `window` seconds; return the wait."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        before = cpu_seconds(pid)
        await asyncio.sleep(window)
        if (cpu_seconds(pid) - before) / window < busy:
            break
    return time.monotonic() - began


async def steady_rss(pid: int, seconds: float, interval: float = 0.5) -> float:
    """The median resident memory of an idle process over `seconds`, in MB."""
    samples: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(memory_bytes(pid, "VmRSS"))
        await asyncio.sleep(interval)
    return statistics.median(samples) / MB


@dataclass
class Phase:
    """What one worker process did and how much memory it took."""

    cache: int
    baseline_mb: float
    work_seconds: float
    peak_mb: float
    steady_mb: float

    def figures(self) -> dict[str, float]:
        """The phase's figures, rounded for the result file."""
        return {
            "cache": self.cache,
            "baseline_mb": round(self.baseline_mb, 1),
            "work_seconds": round(self.work_seconds, 1),
            "peak_mb": round(self.peak_mb, 1),
            "steady_mb": round(self.steady_mb, 1),
        }


class Bench:
    """A dev server, a database and one worker process at a time, all of this run's own."""

    def __init__(self, settings: Settings, client: Client, folder: Path) -> None:
        """Hold the settings the worker runs with and a client of the dev server."""
        self.settings = settings
        self.client = client
        self.folder = folder
        self.sessions = session_factory(settings.db_url)
        self.worker: WorkerProcess | None = None

    def start_worker(self, cache: int) -> WorkerProcess:
        """Start `komitmen worker` with a workflow cache of `cache` runs."""
        env = process_env(self.settings) | {"KOMITMEN_WORKFLOW_CACHE_SIZE": str(cache)}
        self.worker = WorkerProcess(env, self.folder, self.folder / "worker.log")
        self.worker.start()
        return self.worker

    def stop_worker(self) -> None:
        """Stop the current worker, if any."""
        if self.worker is not None:
            self.worker.stop(timeout=60)
            self.worker = None

    async def phase(
        self, cache: int, settle_seconds: float, work: Callable[[], Awaitable[None]]
    ) -> Phase:
        """Run `work` on a fresh worker with `cache`; measure it idle before and after."""
        self.stop_worker()
        worker = self.start_worker(cache)
        await asyncio.to_thread(worker.wait_ready)
        await settle(worker.pid)
        baseline = await steady_rss(worker.pid, min(settle_seconds, 5))
        began = time.monotonic()
        await work()
        work_seconds = time.monotonic() - began
        await settle(worker.pid)
        steady = await steady_rss(worker.pid, settle_seconds)
        peak = memory_bytes(worker.pid, "VmHWM") / MB
        return Phase(cache, baseline, work_seconds, peak, steady)

    def audit_rows(self) -> int:
        """Audit rows recorded so far: one per started commitment and one per started cycle."""
        with transaction(self.sessions) as session:
            return reads.count_audit(session)

    async def start_all(self, specs: Sequence[CycleSpec], concurrency: int = 16) -> float:
        """Start every cycle and wait until each commitment is recorded; return seconds to start."""
        began = time.monotonic()
        gate = asyncio.Semaphore(concurrency)

        async def start(spec: CycleSpec) -> None:
            async with gate:
                await start_cycle(self.client, spec, task_queue=TASK_QUEUE)

        await asyncio.gather(*(start(spec) for spec in specs))
        started = time.monotonic() - began
        expected = len(specs) + sum(len(spec.regencies) for spec in specs)
        while self.audit_rows() < expected:
            await asyncio.sleep(1)
        return started

    async def touch_all(self, commitment_ids: Sequence[str], concurrency: int = 32) -> None:
        """Query every commitment, which brings each workflow into the worker's cache."""
        gate = asyncio.Semaphore(concurrency)

        async def touch(commitment_id: str) -> None:
            handle = self.client.get_workflow_handle_for(
                CommitmentWorkflow.run, commitment_workflow_id(commitment_id)
            )
            async with gate:
                await handle.query(CommitmentWorkflow.current)

        await asyncio.gather(*(touch(cid) for cid in commitment_ids))

    async def count(self, query: str) -> int:
        """How many workflows Temporal's visibility finds for `query`."""
        return (await self.client.count_workflows(query)).count

    async def terminate_all(self, limit: float = 900) -> float:
        """Terminate every running workflow in one batch; return seconds until none runs."""
        began = time.monotonic()
        subprocess.run(
            [
                str(temporal_binary()),
                "workflow",
                "terminate",
                "--address",
                self.settings.temporal_address,
                "--query",
                "ExecutionStatus='Running'",
                "--reason",
                "benchmark finished",
                "--yes",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        while await self.count("ExecutionStatus='Running'") and time.monotonic() - began < limit:
            await asyncio.sleep(2)
        return time.monotonic() - began


def cycle_specs(commitments: int) -> list[CycleSpec]:
    """Cycles of the whole catalogue (the last one shorter) holding `commitments` in all."""
    catalog = load_catalog()
    codes = catalog.codes()
    # Next year's cycle: drafting is due in January, so every first reminder is ahead.
    year = datetime.now(WITA).year + 1
    specs = []
    for n, first in enumerate(range(0, commitments, len(codes))):
        specs.append(
            build_cycle_spec(
                cycle_id=f"memory-{n:05d}",
                name=f"Benchmark memori {n}",
                year=year,
                catalog=catalog,
                schedule=default_schedule(year),
                started_by=COORDINATOR,
                regency_codes=codes[: commitments - first],
            )
        )
    return specs


async def measure(args: argparse.Namespace, folder: Path, db_url: str) -> dict[str, Any]:
    """Start the commitments, measure the worker three times, terminate everything."""
    settings = bench_settings(folder, db_url, temporal_task_queue=TASK_QUEUE)
    specs = cycle_specs(args.commitments)
    ids = [f"{spec.cycle_id}:{r.code}" for spec in specs for r in spec.regencies]
    started = 0.0
    async with DevServer(settings) as server:
        bench = Bench(settings, server.client, folder)
        try:

            async def start() -> None:
                nonlocal started
                started = await bench.start_all(specs)

            say(f"starting {len(ids)} commitments in {len(specs)} cycles ...")
            start_phase = await bench.phase(args.cache, args.settle, start)
            drafting = await bench.count("Stage='drafting' AND ExecutionStatus='Running'")
            say(f"recorded in {start_phase.work_seconds:.0f} s; {drafting} wait in drafting")
            # The quick run holds fewer commitments than the large cache: starting them
            # already had every one cached, so only the small cache is worth a pass.
            caches = (args.small_cache,) if args.quick else (args.cache, args.small_cache)
            touched: list[Phase] = []
            for cache in caches:
                say(f"touching every commitment with a cache of {cache} ...")
                touched.append(await bench.phase(cache, args.settle, lambda: bench.touch_all(ids)))
        finally:
            bench.stop_worker()
        say("terminating every workflow ...")
        terminated = await bench.terminate_all()
    large, small = (start_phase, *touched) if args.quick else touched
    # What one cached run costs: the difference between the caches over the runs they hold.
    held = min(args.cache, len(ids)) - min(args.small_cache, len(ids))
    per_run_kb = (large.steady_mb - small.steady_mb) * 1024 / held if held > 0 else None
    peak = max(phase.peak_mb for phase in (start_phase, *touched))
    return {
        "sizes": {
            "commitments": len(ids),
            "cycles": len(specs),
            "cache": args.cache,
            "small_cache": args.small_cache,
        },
        "figures": {
            "start_seconds": round(started, 1),
            "recorded_seconds": round(start_phase.work_seconds, 1),
            "commitments_per_second": round(len(ids) / start_phase.work_seconds, 1),
            "drafting_after_start": drafting,
            "start": start_phase.figures(),
            "touch_large_cache": large.figures(),
            "touch_small_cache": small.figures(),
            "kb_per_cached_run": round(per_run_kb, 1) if per_run_kb is not None else None,
            "peak_mb": round(peak, 1),
            "terminate_seconds": round(terminated, 1),
        },
        "targets": {"peak_mb": {"target": f"< {TARGET_MB} MB", "pass": peak < TARGET_MB}},
    }


def summary(f: dict[str, Any], s: dict[str, Any], targets: dict[str, Any]) -> str:
    """The one line a run prints."""
    return (
        f"memory: {s['commitments']:,} commitments in {s['cycles']} cycles recorded in "
        f"{f['recorded_seconds']:.0f} s ({f['commitments_per_second']:.0f}/s); worker RSS "
        f"peak {f['peak_mb']:.0f} MB (target < {TARGET_MB} MB: "
        f"{verdict(targets['peak_mb'], 'pass', 'FAIL')}), idle "
        f"{f['start']['steady_mb']:.0f} MB; every commitment touched: "
        f"{f['touch_large_cache']['steady_mb']:.0f} MB with cache {s['cache']}, "
        f"{f['touch_small_cache']['steady_mb']:.0f} MB with cache {s['small_cache']}"
    )


CLI = BenchCli(
    quick="500 commitments, to smoke-test",
    options={
        "--commitments": {"type": int, "help": "open commitments (default 10,000)"},
        "--cache": {"type": int, "default": 1000, "help": "the large workflow cache"},
        "--small-cache": {"type": int, "default": 100, "help": "the small workflow cache"},
        "--database": database_option("postgres"),
        "--settle": {"type": float, "help": "seconds of idle memory sampled"},
    },
    database="database",
    sizes={"commitments": (500, 10_000), "settle": (3, 15)},
    show_figures=True,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/memory.json."""
    return bench_main("memory", __doc__, argv, measure, summary, CLI)


if __name__ == "__main__":
    raise SystemExit(main())
