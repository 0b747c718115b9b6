"""API memory under a burst of sign-ins: bounded by KOMITMEN_MAX_CONCURRENT_PASSWORD_CHECKS.

Each argon2id check of a password takes 64 MiB while it runs, and FastAPI runs the
synchronous sign-in route on a pool of 40 threads. A real `komitmen api` process
(on a database of this run's own) gets N wrong sign-ins at once, for random
usernames, from 25 client addresses on the loopback network (127.0.0.2 ...), so
neither the username's nor the address's throttle refuses any: every one checks
a password. Its peak resident memory (VmHWM in /proc/<pid>/status) is read after
the burst, once with the setting at its default (4) and once at 40 (the thread
pool's size: no bound), and compared with baseline + (checks + 2) x 70 MiB.

    .venv/bin/python -m bench.signin_burst            # 100 sign-ins
    .venv/bin/python -m bench.signin_burst --quick    # 40
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    BenchCli,
    bench_main,
    bench_process,
    database_option,
    memory_bytes,
    progress,
    verdict,
)
from komitmen.devserver import free_port
from services.settings import Settings
from tests.stack import process_env

MIB = 2**20
# One check's argon2id memory (64 MiB) and a little more for its thread and request.
PER_CHECK_MIB = 70
# What a run may hold besides the checks' memory: two more checks' worth.
SLACK_CHECKS = 2
UNBOUNDED = 40  # AnyIO's thread pool, which runs FastAPI's synchronous routes
ADDRESSES = 25
say = progress("signin_burst")


@dataclass(frozen=True)
class Burst:
    """What one burst of sign-ins did to the API process's memory."""

    checks: int
    attempts: int
    answers: dict[int, int]
    baseline_rss: int
    peak_hwm: int
    seconds: float

    @property
    def bound(self) -> int:
        """The most the peak may be: baseline + (checks + 2) x 70 MiB."""
        return self.baseline_rss + (self.checks + SLACK_CHECKS) * PER_CHECK_MIB * MIB

    def figures(self) -> dict[str, Any]:
        """The burst in MB and seconds."""
        return {
            "checks": self.checks,
            "baseline_mb": round(self.baseline_rss / MIB),
            "peak_mb": round(self.peak_hwm / MIB),
            "bound_mb": round(self.bound / MIB),
            "seconds": round(self.seconds, 1),
            "answers": {str(k): v for k, v in sorted(self.answers.items())},
        }


@contextmanager
def api_process(db_url: str, folder: Path, checks: int) -> Iterator[tuple[int, str]]:
    """`komitmen api` on a free port with the setting at `checks`: (pid, its URL)."""
    port = free_port()
    settings = Settings(
        data_dir=folder,
        database_url=db_url,
        api_port=port,
        max_concurrent_password_checks=checks,
    )
    env = process_env(settings)
    env["KOMITMEN_MAX_CONCURRENT_PASSWORD_CHECKS"] = str(checks)  # even at its default
    url = f"http://127.0.0.1:{port}"
    args = ["-m", "komitmen", "api"]
    with bench_process(args, env, folder / f"api-{checks}.log") as api:
        deadline = time.monotonic() + 60
        while not _answers(url):
            if api.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API never answered:\n{api.tail()}")
            time.sleep(0.1)
        yield api.pid, url


def _answers(url: str) -> bool:
    """Whether the API at `url` answers its liveness probe."""
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wrong_sign_in() -> dict[str, str]:
    """A sign-in for a username nobody has."""
    return {"username": f"tamu-{uuid.uuid4().hex[:12]}", "password": "bukan-sandinya"}


async def burst(
    db_url: str, folder: Path, *, checks: int, attempts: int = 100, addresses: int = ADDRESSES
) -> Burst:
    """Fire `attempts` wrong sign-ins at once at a fresh API process: its memory."""
    with api_process(db_url, folder, checks) as (pid, url):
        timeout = httpx.Timeout(300)
        async with httpx.AsyncClient(base_url=url, timeout=timeout) as warm:
            for _ in range(3):  # the thread pool, the database pool and the first check
                await warm.post("/auth/token", json=wrong_sign_in())
        await asyncio.sleep(0.5)
        baseline = memory_bytes(pid, "VmRSS")
        clients = [
            httpx.AsyncClient(
                base_url=url,
                timeout=timeout,
                transport=httpx.AsyncHTTPTransport(local_address=f"127.0.0.{2 + i}"),
            )
            for i in range(addresses)
        ]
        try:
            began = time.monotonic()
            answers = await asyncio.gather(
                *(
                    clients[n % addresses].post("/auth/token", json=wrong_sign_in())
                    for n in range(attempts)
                )
            )
            seconds = time.monotonic() - began
        finally:
            for client in clients:
                await client.aclose()
        peak = memory_bytes(pid, "VmHWM")
    return Burst(
        checks=checks,
        attempts=attempts,
        answers=dict(Counter(a.status_code for a in answers)),
        baseline_rss=baseline,
        peak_hwm=peak,
        seconds=seconds,
    )


async def measure(args: argparse.Namespace, folder: Path, db_url: str) -> dict[str, Any]:
    """A burst with the setting at its default, then one at 40."""
    figures: dict[str, Any] = {}
    for name, checks in (
        ("bounded", Settings().max_concurrent_password_checks),
        ("unbounded", UNBOUNDED),
    ):
        run = folder / name
        run.mkdir()
        say(f"{args.attempts} wrong sign-ins at once, {checks} password checks at a time ...")
        result = await burst(db_url, run, checks=checks, attempts=args.attempts)
        figures[name] = result.figures()
        say(
            f"peak {figures[name]['peak_mb']} MB from {figures[name]['baseline_mb']} MB "
            f"(bound {figures[name]['bound_mb']} MB) in {figures[name]['seconds']} s; "
            f"answers {figures[name]['answers']}"
        )
    bounded = figures["bounded"]
    every_one_checked = all(f["answers"] == {"401": args.attempts} for f in figures.values())
    return {
        "sizes": {"attempts": args.attempts, "addresses": ADDRESSES},
        "figures": figures,
        "targets": {
            "bounded": {
                "target": f"peak ≤ baseline + (N + {SLACK_CHECKS}) × {PER_CHECK_MIB} MiB, "
                "every attempt checked",
                "pass": bounded["peak_mb"] <= bounded["bound_mb"] and every_one_checked,
            }
        },
    }


def summary(figures: dict[str, Any], sizes: dict[str, Any], targets: dict[str, Any]) -> str:
    """One line: the peak with the bound and without."""
    b, u = figures["bounded"], figures["unbounded"]
    return (
        f"{sizes['attempts']} sign-ins at once: peak {b['peak_mb']} MB with "
        f"{b['checks']} checks at a time (from {b['baseline_mb']} MB, bound {b['bound_mb']} MB: "
        f"{verdict(targets['bounded'])}), {u['peak_mb']} MB with {u['checks']}"
    )


CLI = BenchCli(
    quick="40 sign-ins, to smoke-test",
    options={
        "--attempts": {"type": int, "help": "sign-ins fired at once (default 100)"},
        "--database": database_option("sqlite"),
    },
    database="database",
    sizes={"attempts": (40, 100)},
    show_figures=True,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/signin_burst.json."""
    return bench_main("signin_burst", __doc__, argv, measure, summary, CLI)


if __name__ == "__main__":
    raise SystemExit(main())
