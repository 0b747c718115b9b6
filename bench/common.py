"""What every benchmark shares: the machine it ran on, where its result goes, and tools.

A result file holds `sizes`, `figures` and `targets`; each target is named after the
figure it judges (`targets["ratio"]` judges `figures["ratio"]`) and says
`{"target": "≥ 0.8", "pass": true}`, which is what the README's table shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from domain.catalog import Catalog, Office, OfficeTitle, Province, Regency
from komitmen.cli.serve import stop_event
from komitmen.devserver import DevServer, free_port, temporal_binary
from komitmen.worker import workflow_runner
from services.settings import Settings
from services.temporal import connect, serve_metrics
from tests.databases import database
from tests.stack import process_env

RESULTS = Path(__file__).resolve().parent / "results"
# What `komitmen worker` prints once it polls; the floors' workers print it too.
READY = "worker running on task queue"


def temporal_version() -> str:
    """The Temporal CLI and server versions, as `temporal --version` prints them."""
    try:
        done = subprocess.run(
            [str(temporal_binary()), "--version"], capture_output=True, text=True, timeout=30
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def machine() -> dict[str, Any]:
    """The machine a benchmark ran on: platform, CPUs, memory, Python and Temporal."""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "ram_gb": round(ram / 2**30, 1),
        "python": sys.version.split()[0],
        "temporal": temporal_version(),
    }


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write `bench/results/<name>.json` with the machine added; return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    measured = datetime.now(UTC).isoformat(timespec="seconds")
    document = {"name": name, **result, "measured": measured, "machine": machine()}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def met(result: dict[str, Any]) -> bool:
    """Whether a result met every one of its targets."""
    return all(target["pass"] for target in result["targets"].values())


def progress(name: str) -> Callable[[str], None]:
    """A `say(text)` printing a benchmark's progress on the terminal as `[name] text`."""

    def say(text: str) -> None:
        print(f"[{name}] {text}", flush=True)

    return say


def bench_parser(name: str, doc: str | None, quick: str) -> argparse.ArgumentParser:
    """The command line of `python -m bench.<name>`, described by its docstring's first line.

    Every benchmark takes `--quick` (`quick` says what it shrinks to): small sizes, to
    smoke-test, and no result written.
    """
    parser = argparse.ArgumentParser(
        prog=f"python -m bench.{name}", description=(doc or "").split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help=quick)
    return parser


Measure = Callable[[argparse.Namespace, Path, str], Coroutine[Any, Any, dict[str, Any]]]
# A result's summary line, from its figures, sizes and targets.
Summary = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], str]


def verdict(target: dict[str, Any], met: str = "met", missed: str = "MISSED") -> str:
    """What a summary line says of one target: whether it was met."""
    return met if target["pass"] else missed


def run_bench(
    name: str,
    args: argparse.Namespace,
    database_kind: str,
    measure: Measure,
    summary: Summary,
    *,
    show_figures: bool = False,
) -> int:
    """Run `measure(args, folder, database_url)` in a scratch folder on a database of its own.

    Then print the result's summary line; a full run writes bench/results/<name>.json, a
    --quick one writes nothing (with `show_figures`, it prints the figures instead).
    The exit status is 0 when every target was met, else 1.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"komitmen-bench-{name}-"))
    try:
        with database(database_kind, folder) as db_url:
            result = asyncio.run(measure(args, folder, db_url))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["summary"] = summary(result["figures"], result["sizes"], result["targets"])
    if not args.quick:
        write_result(name, result)
    elif show_figures:
        print(json.dumps(result["figures"], indent=1))
    print(result["summary"])
    return 0 if met(result) else 1


def database_option(default: str) -> dict[str, Any]:
    """The `add_argument` settings of a benchmark's database choice, `default` listed first."""
    others = tuple(kind for kind in ("sqlite", "postgres") if kind != default)
    return {"choices": (default, *others), "default": default}


WorkerRun = Callable[[argparse.Namespace], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class BenchCli:
    """A benchmark's command line besides `--quick`, and how a run reads it.

    `options` are its flags and their `add_argument` settings; `database` is the one
    naming the database; `sizes` gives each size left unset a value, `(quick, full)`.
    Each of `workers` is a hidden flag that runs one of the benchmark's own worker
    processes instead (`asyncio.run(worker(args))`). With `show_figures`, a --quick
    run prints its figures. `variant` names a run's result after its options (a suffix
    such as "-postgres"), so runs of other shapes keep results of their own.
    """

    quick: str
    options: Mapping[str, Mapping[str, Any]]
    database: str
    sizes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    workers: Mapping[str, WorkerRun] = field(default_factory=dict)
    show_figures: bool = False
    variant: Callable[[argparse.Namespace], str] | None = None


def bench_main(
    name: str,
    doc: str | None,
    argv: Sequence[str] | None,
    measure: Measure,
    summary: Summary,
    cli: BenchCli,
) -> int:
    """The whole of `python -m bench.<name>`: read `argv` as `cli` says, then run it."""
    parser = bench_parser(name, doc, cli.quick)
    for flag, settings in cli.options.items():
        parser.add_argument(flag, **settings)
    for flag in cli.workers:
        parser.add_argument(flag, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for dest, (small, full) in cli.sizes.items():
        setattr(args, dest, getattr(args, dest) or (small if args.quick else full))
    for flag, worker in cli.workers.items():
        if getattr(args, flag.removeprefix("--").replace("-", "_")):
            asyncio.run(worker(args))
            return 0
    kind = getattr(args, cli.database)
    named = name + (cli.variant(args) if cli.variant else "")
    return run_bench(named, args, kind, measure, summary, show_figures=cli.show_figures)


def local_address() -> str:
    """A free port on the loopback interface, as host:port."""
    return f"127.0.0.1:{free_port()}"


def bench_settings(folder: Path, database_url: str, **more: Any) -> Settings:
    """Settings of a run's own: its folder, its database and a dev server on free ports.

    `more` sets the rest (the task queue, the worker's metrics address, ...).
    """
    return Settings(
        data_dir=folder,
        database_url=database_url,
        temporal_address=local_address(),
        temporal_ui_port=free_port(),
        **more,
    )


def floor_settings(settings: Settings, task_queue: str) -> Settings:
    """`settings` for a floor's worker: a task queue and a metrics address of its own."""
    return settings.model_copy(
        update={"temporal_task_queue": task_queue, "worker_metrics_address": local_address()}
    )


def server_pid(server: DevServer) -> int:
    """The process id of a running dev server, whose CPU time the benchmarks read."""
    pid = pid_of(str(server.db_file))
    assert pid is not None, "the dev server runs"
    return pid


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of `values`, interpolated between the nearest two."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    # Fields after the command name, which may itself contain spaces: utime and stime
    # are the 14th and 15th of the whole line, so the 12th and 13th after ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_of(fragment: str) -> int | None:
    """The process whose command line contains `fragment` (e.g. a data folder), if any."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fragment in command:
            return int(entry.name)
    return None


def national_catalog(count: int) -> Catalog:
    """`count` synthetic regencies spread over provinces 11, 12, ..., 20 to a province.

    The packaged catalog holds NTT's 22; a national cycle (514 kabupaten/kota) needs
    more. A real catalog is one province, so this one is built without that check.
    """
    regencies = []
    for n in range(count):
        code, number = 11 + n // 20, n % 20 + 1
        name = f"Kabupaten Sintetis {n + 1}"
        regencies.append(
            Regency(
                kemendagri_code=f"{code:02d}.{number:02d}",
                bps_code=f"{code:02d}{number:02d}",
                name=name,
                short_name=f"Sintetis {n + 1}",
                kind="kabupaten",
                head_title="Bupati",
                planning_agency="Bappeda",
                seat=f"Ibu kota {n + 1}",
                office_titles=(
                    OfficeTitle(office=Office.BPBD_HEAD, title=f"Kepala BPBD {name}"),
                    OfficeTitle(office=Office.PLANNING_HEAD, title=f"Kepala Bappeda {name}"),
                    OfficeTitle(office=Office.REGIONAL_HEAD, title=f"Bupati Sintetis {n + 1}"),
                ),
            )
        )
    province = Province(
        code="99",
        name="Indonesia (sintetis)",
        head_title="Gubernur",
        planning_agency="Bappeda",
        capital="Jakarta",
        disaster_agency="BNPB",
    )
    return Catalog.model_construct(province=province, regencies=tuple(regencies))


def metrics(address: str) -> dict[str, float]:
    """A Prometheus text page (a worker's SDK metrics) as {"name{labels}": value}."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        text = response.read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def metrics_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """How much each counter grew between two scrapes (new series count from zero)."""
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v != before.get(k, 0.0)}


class Usage:
    """What a stretch of work costs, counted from when this is made.

    Wall-clock time, the CPU time of each of `pids` and how much each counter of a
    worker's SDK metrics grew.
    """

    def __init__(self, pids: Mapping[str, int], metrics_address: str) -> None:
        """Take the starting figures now."""
        self.pids = dict(pids)
        self.metrics_address = metrics_address
        self._cpu = {k: cpu_seconds(p) for k, p in self.pids.items()}
        self._metrics = metrics(metrics_address)
        self.began = time.perf_counter()

    def seconds(self) -> float:
        """Wall-clock seconds so far."""
        return time.perf_counter() - self.began

    def cpu(self) -> dict[str, float]:
        """CPU seconds each process has used so far."""
        return {k: cpu_seconds(p) - self._cpu[k] for k, p in self.pids.items()}

    def counters(self) -> dict[str, float]:
        """How much each metric has grown so far."""
        return metrics_delta(self._metrics, metrics(self.metrics_address))


def metric_sum(delta: dict[str, float], name: str, **labels: str) -> float:
    """The sum of series `name` whose labels include `labels`."""
    total = 0.0
    for key, value in delta.items():
        series, _, rest = key.partition("{")
        if series == name and all(f'{k}="{v}"' in rest for k, v in labels.items()):
            total += value
    return total


class BenchProcess:
    """A Python module run as a process of its own, stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        """Start `python ARGS` with `env`, appending its output to `log`."""
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def wait_for(self, text: str, limit: float = 60) -> None:
        """Wait until the process's log contains `text` (it says it is ready)."""
        deadline = time.monotonic() + limit
        while text not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.log.name}: no {text!r}:\n{self.tail()}")
            time.sleep(0.2)

    def tail(self, chars: int = 3000) -> str:
        """The end of the log."""
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self, timeout: float = 30) -> None:
        """Ask the process to stop; kill it if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def bench_process(args: list[str], env: dict[str, str], log: Path) -> Iterator[BenchProcess]:
    """`BenchProcess` for the length of a `with` block."""
    process = BenchProcess(args, env, log)
    try:
        yield process
    finally:
        process.stop()


async def serve(settings: Settings, make: Callable[[Client], Worker]) -> None:
    """Run the worker `make` builds until SIGTERM, its SDK metrics served as Komitmen's are."""
    if settings.worker_metrics_address:
        serve_metrics(settings.worker_metrics_address)
    client = await connect(settings)
    stop = stop_event()
    async with make(client):
        print(f"{READY} {settings.temporal_task_queue!r}", flush=True)
        await stop.wait()


async def serve_floor(
    settings: Settings,
    workflows: Sequence[type],
    activities: Sequence[Callable[..., Any]],
    activity_executor: Executor | None = None,
) -> None:
    """Run a floor's bare workflows until SIGTERM, in a worker set up as Komitmen's is.

    The same sandbox (the package defining the workflows passed through, here `bench`),
    the same client and metrics: the floor differs from Komitmen in its workflows only.
    Synchronous activities need `activity_executor` (Komitmen's runs 16 threads).
    """
    await serve(
        settings,
        lambda client: Worker(
            client,
            task_queue=settings.temporal_task_queue,
            workflows=workflows,
            activities=activities,
            activity_executor=activity_executor,
            workflow_runner=workflow_runner("bench"),
        ),
    )


@dataclass(frozen=True)
class Contenders:
    """A dev server of a run's own, Komitmen's worker and a floor's worker polling beside it."""

    server: DevServer
    server_pid: int
    worker: BenchProcess
    floor: BenchProcess
    settings: Settings
    floor_settings: Settings


@asynccontextmanager
async def contenders(
    folder: Path,
    database_url: str,
    queues: tuple[str, str],
    worker: list[str],
    floor: list[str],
    worker_log: str = "worker.log",
    **more: Any,
) -> AsyncIterator[Contenders]:
    """Start a dev server, then `python WORKER` and `python FLOOR` on `queues` (in that order).

    The worker's settings are `bench_settings(folder, database_url, **more)`. Both workers
    serve their SDK metrics on addresses of their own; the block runs once both poll, and
    every process stops when it ends.
    """
    task_queue, floor_queue = queues
    settings = bench_settings(
        folder,
        database_url,
        temporal_task_queue=task_queue,
        worker_metrics_address=local_address(),
        **more,
    )
    floor_env = floor_settings(settings, floor_queue)
    async with DevServer(settings) as server:
        with (
            bench_process(worker, process_env(settings), folder / worker_log) as komitmen_worker,
            bench_process(
                floor, process_env(floor_env), folder / "bare-worker.log"
            ) as floor_worker,
        ):
            komitmen_worker.wait_for(READY)
            floor_worker.wait_for(READY)
            yield Contenders(
                server, server_pid(server), komitmen_worker, floor_worker, settings, floor_env
            )


def memory_bytes(pid: int, field: str) -> int:
    """One memory figure of a process from /proc/<pid>/status (VmRSS, VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0]) * 1024
    raise LookupError(f"/proc/{pid}/status has no {field}")
