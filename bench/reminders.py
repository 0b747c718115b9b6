"""Reminder fan-out: one deadline reaching 10,000 people, each mailed exactly once.

One cycle of 20 regencies whose directory holds 500 officers each runs on a
compressed schedule (a day lasts seconds; only the D-7 reminder is kept) on a
Temporal dev server of this run's own, with one `komitmen worker` process, a
PostgreSQL schema of its own and a real SMTP server (aiosmtpd) that keeps every
message. When the D-7 reminder of drafting falls due, the 20 commitments hand it
to the cycle, which sends one digest per officer. Measured: seconds from the
reminder's instant to the last message, messages per second, and the
exactly-once check (as many distinct Message-IDs and `reminder_sent` rows marked
sent as people). Then the steps of one message (claim, render, build, SMTP, mark)
are timed one by one on a sample, to show where the time goes.

    .venv/bin/python -m bench.reminders            # 20 regencies x 500 officers
    .venv/bin/python -m bench.reminders --quick    # 20 x 25
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.common import (
    BenchCli,
    bench_main,
    bench_settings,
    cpu_seconds,
    database_option,
    verdict,
)
from db import mail as db_mail
from db import people
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from domain.cycle import CancelCycle, CycleSpec
from domain.roles import Actor, Role
from domain.schedule import compressed_schedule, default_schedule
from komitmen.devserver import DevServer
from mailing.rendering import MailRenderer
from mailing.transport import Mail, SmtpMailer, build_message
from services.actions import build_cycle_spec, cancel_cycle, start_cycle
from tests.smtp import Delivery, SmtpSink
from tests.stack import WorkerProcess, process_env
from workflows.common import MAIL_TIMEOUT, cycle_workflow_id

COORDINATOR = Actor(name="Koordinator Benchmark", role=Role.COORDINATOR)
TASK_QUEUE = "komitmen-bench"
CYCLE_ID = "pengingat-bench"
SENDER = "Komitmen BPBD NTT <komitmen@bpbd.nttprov.go.id>"


class Clocked:
    """An SMTP sink's deliveries with the wall-clock time each arrived."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self._lock = threading.Lock()
        self.arrivals: list[float] = []

    def __call__(self, delivery: Delivery) -> None:
        """Note the arrival time (runs in the SMTP server's thread)."""
        with self._lock:
            self.arrivals.append(time.time())

    def __len__(self) -> int:
        with self._lock:
            return len(self.arrivals)


def seed_officers(url: str, codes: Sequence[str], per_regency: int) -> int:
    """Add `per_regency` officers to each regency (every tenth reads English); return how many."""
    now = datetime.now(UTC)
    with transaction(session_factory(url)) as session:
        for code in codes:
            slug = code.replace(".", "")
            for n in range(per_regency):
                people.add_user(
                    session,
                    username=f"operator-{slug}-{n:04d}",
                    full_name=f"Operator {n} BPBD {code}",
                    email=f"operator-{slug}-{n:04d}@example.org",
                    role=Role.REGENCY_OFFICER.value,
                    regency_code=code,
                    office=None,
                    language="en" if n % 10 == 9 else "id",
                    now=now,
                )
    return len(codes) * per_regency


def cycle_spec(codes: Sequence[str], day: timedelta) -> CycleSpec:
    """A cycle on a compressed clock whose only reminder is D-7 of drafting, one day in."""
    now = datetime.now(UTC)
    rules = default_schedule(now.year).model_copy(update={"reminder_days_before": [7]})
    spec = build_cycle_spec(
        cycle_id=CYCLE_ID,
        name="Benchmark pengingat",
        year=now.year,
        catalog=load_catalog(),
        schedule=rules,
        started_by=COORDINATOR,
        regency_codes=codes,
    )
    return spec.model_copy(update={"schedule": compressed_schedule(rules, now, day)})


async def delivery_attempt(client: Client) -> int:
    """The attempt number of the cycle's pending activity (0 when none is pending)."""
    description = await client.get_workflow_handle(cycle_workflow_id(CYCLE_ID)).describe()
    pending = description.raw_description.pending_activities
    return max((activity.attempt for activity in pending), default=0)


async def deliver(
    client: Client, spec: CycleSpec, clock: Clocked, expected: int, limit: float, worker: int
) -> dict[str, Any]:
    """Start the cycle, wait for the reminder to reach everyone; time it and count attempts.

    CPU time is counted for the worker process and for this one, where the SMTP server
    runs (the waiting here costs next to nothing).
    """
    worker_cpu, here_cpu = cpu_seconds(worker), time.process_time()
    await start_cycle(client, spec, task_queue=TASK_QUEUE)
    fires_at = spec.schedule.reminder_at(spec.schedule.drafting_due, 7).timestamp()
    attempts = 0
    while True:
        await asyncio.sleep(1)
        pending = await delivery_attempt(client)
        attempts = max(attempts, pending)
        # Done once everyone has mail and the activity has ended, so a late duplicate shows.
        if len(clock) >= expected and not pending:
            break
        if time.time() - fires_at > limit:
            raise TimeoutError(f"{len(clock)} of {expected} messages after {limit:.0f} s")
    arrivals = sorted(clock.arrivals)
    worker_cpu, here_cpu = cpu_seconds(worker) - worker_cpu, time.process_time() - here_cpu
    return {
        "first_message_after_seconds": round(arrivals[0] - fires_at, 2),
        "delivery_seconds": round(arrivals[-1] - fires_at, 1),
        "sending_seconds": round(arrivals[-1] - arrivals[0], 1),
        "messages_per_second": round(len(arrivals) / max(arrivals[-1] - arrivals[0], 1e-3), 1),
        "activity_attempts_seen": attempts,
        "worker_cpu_ms_per_message": round(worker_cpu * 1000 / len(arrivals), 2),
        "smtp_server_cpu_ms_per_message": round(here_cpu * 1000 / len(arrivals), 2),
    }


def received(sink: SmtpSink, url: str) -> dict[str, int]:
    """Count what the SMTP server received and what the database marked sent."""
    messages = sink.messages
    with transaction(session_factory(url)) as session:
        digests = [
            r for r in db_mail.list_reminders(session, cycle_id=CYCLE_ID) if r.kind == "digest"
        ]
    return {
        "messages": len(messages),
        "distinct_message_ids": len({m["Message-ID"] for m in messages}),
        "distinct_recipients": len({m["To"] for m in messages}),
        "reminder_rows": len(digests),
        "reminder_rows_sent": sum(1 for r in digests if r.sent_at is not None),
    }


def per_message(steps: int, action: Callable[[int], object]) -> float:
    """Milliseconds one call of `action` takes, averaged over `steps` calls."""
    began = time.perf_counter()
    for n in range(steps):
        action(n)
    return (time.perf_counter() - began) * 1000 / steps


async def per_message_sent(steps: int, mailer: SmtpMailer, mail: Callable[[int], Mail]) -> float:
    """Milliseconds `mailer` takes to send one message, averaged over `steps` messages."""
    began = time.perf_counter()
    for n in range(steps):
        await mailer.send(mail(n))
    return (time.perf_counter() - began) * 1000 / steps


async def breakdown(url: str, spec: CycleSpec, steps: int) -> dict[str, float]:
    """Time each step a reminder takes, one at a time, as the mail activity does them."""
    sessions = session_factory(url)
    renderer = MailRenderer()
    commitment_id = f"{CYCLE_ID}:{spec.regencies[0].code}"
    context = {
        "recipient_name": "Operator BPBD",
        "entries": [
            {
                "kind": "reminder",
                "deadline_kind": "drafting",
                "quarter": None,
                "regency_name": spec.regencies[0].name,
                "due_at": spec.schedule.drafting_due,
                "days": 7,
                "cycle_name": spec.name,
            }
        ],
    }
    rendered = renderer.render("reminder_digest", "id", context)

    def mail(n: int) -> Mail:
        return Mail(
            message_id=f"<breakdown.{n}@komitmen>",
            sender=SENDER,
            to=f"sample-{n}@example.org",
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
        )

    def claim(n: int) -> None:
        with transaction(sessions) as session:
            db_mail.claim_message(
                session,
                commitment_id=commitment_id,
                kind="digest",
                dedupe_key=f"breakdown|{n}",
                recipient=f"sample-{n}@example.org",
                message_id=f"<breakdown.{n}@komitmen>",
                now=datetime.now(UTC),
            )

    def mark(n: int) -> None:
        with transaction(sessions) as session:
            db_mail.mark_sent(
                session, message_id=f"<breakdown.{n}@komitmen>", sent_at=datetime.now(UTC)
            )

    with SmtpSink() as sink:
        # As before connections were reused: every message opens and closes a session.
        one_each = SmtpMailer(sink.host, sink.port)
        one_each.REUSE_SECONDS = 0
        figures = {
            "claim_ms": per_message(steps, claim),
            "render_ms": per_message(
                steps, lambda n: renderer.render("reminder_digest", "id", context)
            ),
            "build_ms": per_message(steps, lambda n: build_message(mail(n)).as_bytes()),
            "smtp_new_session_ms": await per_message_sent(steps, one_each, mail),
            "smtp_reused_session_ms": await per_message_sent(
                steps, SmtpMailer(sink.host, sink.port), mail
            ),
            "mark_ms": per_message(steps, mark),
        }
    return {name: round(value, 2) for name, value in figures.items()}


async def measure(args: argparse.Namespace, folder: Path, url: str) -> dict[str, Any]:
    """Seed the people, run the cycle until the reminder went out, check and time it."""
    codes = load_catalog().codes()[: args.regencies]
    people = seed_officers(url, codes, args.officers)
    clock = Clocked()
    with SmtpSink(on_delivery=clock) as sink:
        settings = bench_settings(
            folder,
            url,
            temporal_task_queue=TASK_QUEUE,
            smtp_host=sink.host,
            smtp_port=sink.port,
        )
        worker = WorkerProcess(process_env(settings), folder, folder / "worker.log")
        async with DevServer(settings) as server:
            worker.start()
            try:
                await asyncio.to_thread(worker.wait_ready)
                # The clock starts now: the reminder falls due one (short) day from here.
                spec = cycle_spec(codes, timedelta(seconds=args.day_seconds))
                timing = await deliver(server.client, spec, clock, people, args.limit, worker.pid)
                await cancel_cycle(
                    server.client, CYCLE_ID, CancelCycle(actor=COORDINATOR, reason="selesai")
                )
            except BaseException:
                print(worker.tail())
                raise
            finally:
                worker.stop(timeout=60)
        counts = received(sink, url)
    # Every person once, and every claim marked sent: nothing twice, nothing missing.
    once = all(count == people for count in counts.values())
    limit = MAIL_TIMEOUT.total_seconds()
    steps = await breakdown(url, spec, min(people, 500))
    return {
        "sizes": {
            "regencies": len(codes),
            "officers_per_regency": args.officers,
            "recipients": people,
            "day_seconds": args.day_seconds,
        },
        "figures": {
            **timing,
            "exactly_once": once,
            "received": counts,
            "per_message_steps": steps,
        },
        "targets": {
            "exactly_once": {"target": "every person once", "pass": once},
            # One activity sends the whole digest batch, heartbeating after each message;
            # its start-to-close timeout only bounds one attempt, and a single attempt
            # means no timeout cut the batch short.
            "delivery_seconds": {
                "target": f"< {limit:.0f} s (one attempt's timeout)",
                "pass": timing["delivery_seconds"] < limit,
            },
            "activity_attempts_seen": {
                "target": "≤ 1 (no retry)",
                "pass": timing["activity_attempts_seen"] <= 1,
            },
        },
    }


def summary(f: dict[str, Any], s: dict[str, Any], targets: dict[str, Any]) -> str:
    """The one line a run prints."""
    counts = f["received"]
    steps = f["per_message_steps"]
    return (
        f"reminders: one D-7 reminder to {s['recipients']:,} people delivered "
        f"{f['delivery_seconds']:.0f} s after it fell due (target "
        f"{targets['delivery_seconds']['target']}; "
        f"{f['messages_per_second']:.0f} messages/s); "
        f"{counts['distinct_message_ids']:,} distinct Message-IDs, "
        f"{counts['reminder_rows_sent']:,} rows marked sent (exactly once: "
        f"{verdict(targets['exactly_once'], 'pass', 'FAIL')}); "
        f"per message: claim {steps['claim_ms']} ms, "
        f"render {steps['render_ms']} ms, build {steps['build_ms']} ms, "
        f"build+SMTP {steps['smtp_new_session_ms']} ms in a session of its own / "
        f"{steps['smtp_reused_session_ms']} ms in a shared one, mark {steps['mark_ms']} ms"
    )


CLI = BenchCli(
    quick="25 officers per regency",
    options={
        "--regencies": {"type": int, "default": 20, "help": "regencies in the cycle"},
        "--officers": {"type": int, "help": "officers per regency (default 500)"},
        "--day-seconds": {"type": float, "help": "how long a day of the cycle lasts"},
        "--limit": {"type": float, "default": 1800, "help": "seconds to wait for the mail"},
        "--database": database_option("postgres"),
    },
    database="database",
    sizes={"officers": (25, 500), "day_seconds": (10, 20)},
    show_figures=True,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/reminders.json."""
    return bench_main("reminders", __doc__, argv, measure, summary, CLI)


if __name__ == "__main__":
    raise SystemExit(main())
