"""The `komitmen` command line: run the stack, manage people and cycles, act on commitments.

Output is plain aligned text: stage labels in Bahasa Indonesia, times in WITA.
A user's mistake (a refused action, invalid input, an unknown user, regency or
cycle) prints one clear message to stderr and exits with status 2; an unreachable
Temporal or database exits with status 1. Never a traceback for either.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.formatting import format_date, format_number, format_rupiah
from db import models as m
from db import repository
from db.session import migrate, session_factory, transaction
from domain.calendar import WITA
from domain.catalog import Office, Regency, load_catalog
from domain.commitment import (
    Approve,
    DeadlineKey,
    Decline,
    ExtendDeadline,
    RequestChanges,
    ReturnReport,
    ReviewComment,
    SaveDraft,
    Sign,
    Submit,
    SubmitReport,
    VerifyReport,
    Withdraw,
    commitment_id,
)
from domain.cycle import DEFAULT_SIGNATORIES, CancelCycle
from domain.errors import InvalidInput, UnknownRegency
from domain.plan import ISSUE_LABELS, ActionPlan, StrategicIssue
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport
from domain.roles import Acting, Actor, Role
from domain.schedule import DueRule, QuarterRule, ScheduleSpec, default_schedule, parse_due_rule
from domain.stages import STAGE_LABELS, Stage
from komitmen import actions
from komitmen.actions import ActionRefused
from komitmen.devserver import DevServer, DevServerError
from komitmen.settings import Settings, get_settings
from komitmen.temporal import connect, register_search_attributes
from workflows.commitment import ActionResult

T = TypeVar("T")

# How long a command waits for a workflow to answer before suspecting no worker runs.
ANSWER_TIMEOUT_SECONDS = 60.0

STAGES = STAGE_LABELS["id"]
CYCLE_STATUS = {"running": "Berjalan", "completed": "Selesai", "cancelled": "Dibatalkan"}
ACTING_MARK = {Acting.PLT: "Plt. ", Acting.PLH: "Plh. ", Acting.PJ: "Pj. "}
QUARTERS = {1: "I", 2: "II", 3: "III", 4: "IV"}
REPORT_STATE = {
    "submitted": "Diajukan",
    "returned": "Dikembalikan",
    "verified": "Terverifikasi",
    "missing": "Tidak masuk",
}
BUDGET_SOURCE = {"apbd": "APBD", "apbn": "APBN", "partner": "mitra", "other": "lainnya"}
TIMELINESS = {"on_time": "Tepat waktu", "late": "Terlambat", "missing": "Tidak masuk"}


def deadline_label(key: str) -> str:
    """A deadline key as people say it: "Laporan Triwulan I", "Penandatanganan"."""
    fixed = {"drafting": "Penyusunan draf", "review": "Reviu", "signing": "Penandatanganan"}
    if key in fixed:
        return fixed[key]
    try:
        deadline = DeadlineKey(key)
    except ValueError:
        return key
    quarter = QUARTERS.get(deadline.quarter or 0, key)
    return f"Kunci Triwulan {quarter}" if deadline.is_lock else f"Laporan Triwulan {quarter}"


# --- errors --------------------------------------------------------------------------


class UsageError(Exception):
    """A user's mistake explained in one message (exit status 2)."""


class Unavailable(Exception):
    """Temporal, a worker or the database cannot be reached (exit status 1)."""


# --- output --------------------------------------------------------------------------


def say(text: str = "") -> None:
    """Print a line to stdout at once (long-running commands are often piped)."""
    print(text, flush=True)


def complain(text: str) -> None:
    """Print a line to stderr."""
    print(text, file=sys.stderr, flush=True)


def when(moment: datetime | None) -> str:
    """An instant in WITA: "15 Januari 2026 23.59"; "-" for none."""
    if moment is None:
        return "-"
    local = moment.astimezone(WITA)
    return f"{format_date(local)} {local:%H.%M}"


def stage_label(stage: str | None) -> str:
    """The Bahasa Indonesia label of a stage."""
    if not stage:
        return "-"
    try:
        return STAGES[Stage(stage)]
    except ValueError:
        return stage


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], indent: str = "") -> str:
    """Rows as left-aligned columns under a header and a rule."""
    body = [["-" if cell is None or cell == "" else str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [list(headers), ["-" * w for w in widths], *body]
    return "\n".join(
        indent + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def pairs(items: Sequence[tuple[str, object]], indent: str = "") -> str:
    """`label: value` lines with the values aligned."""
    width = max((len(label) for label, _ in items), default=0) + 1
    return "\n".join(f"{indent}{(label + ':').ljust(width)} {value}" for label, value in items)


def field_errors(error: ValidationError) -> list[str]:
    """One line per bad field, named by its path: "items[2].target_value: ..."."""
    problems = error.errors()
    lines = []
    for problem in problems:
        loc = problem["loc"]
        # A list whose items failed is also "too short"; the item errors say it all.
        if problem["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and other["loc"][: len(loc)] == loc for other in problems
        ):
            continue
        path = ""
        for part in loc:
            path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
        lines.append(f"{path}: {problem['msg']}" if path else str(problem["msg"]))
    return lines


def source_label(source: str) -> str:
    """A budget source as officers write it: APBD, APBN, mitra."""
    return BUDGET_SOURCE.get(source, source)


def decimal_text(value: Decimal) -> str:
    """A number the Indonesian way, with decimals only when it has them."""
    decimals = 0 if value == value.to_integral_value() else 2
    return format_number(value, decimals)


def nip_text(nip: str | None) -> str:
    """An 18-digit NIP grouped 8-6-1-3, as printed under a signature."""
    if not nip or len(nip) != 18:
        return nip or "-"
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def days_text(days: int | None) -> str:
    """A reminder offset: D-7 before the deadline, D+1 after it."""
    if days is None:
        return "-"
    return f"D-{days}" if days > 0 else f"D+{-days}"


def safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


# --- argument types ------------------------------------------------------------------


def iso_date(text: str) -> date:
    """An argparse type for YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def due_rule(text: str) -> DueRule:
    """An argparse type for a due rule: 2026-04-20, day:20, 10wd."""
    try:
        return parse_due_rule(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def int_list(text: str) -> list[int]:
    """An argparse type for comma-separated whole numbers: 7,3,1."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 7,3,1") from None


def name_list(text: str) -> list[str]:
    """An argparse type for comma-separated names or codes."""
    return [part.strip() for part in text.split(",") if part.strip()]


def percent(text: str) -> Decimal:
    """An argparse type for a percentage 0 to 100."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 100")
    return value


# --- database and Temporal -----------------------------------------------------------


@contextmanager
def database(settings: Settings) -> Iterator[Session]:
    """A session on the configured database, committed on success."""
    with transaction(session_factory(settings.db_url)) as session:
        yield session


async def client_for(settings: Settings) -> Client:
    """A client for the configured cluster, or Unavailable saying where it looked."""
    try:
        return await connect(settings)
    except RuntimeError as error:
        raise Unavailable(
            f"cannot reach Temporal at {settings.temporal_address}: {error}\n"
            "is `komitmen up` (or your cluster) running?"
        ) from None


def with_client(settings: Settings, work: Callable[[Client], Awaitable[T]]) -> T:
    """Connect, run `work`, and give up when no worker answers in time."""

    async def connected() -> T:
        client = await client_for(settings)
        try:
            return await asyncio.wait_for(work(client), ANSWER_TIMEOUT_SECONDS)
        except TimeoutError:
            raise Unavailable(
                f"no answer from Temporal within {ANSWER_TIMEOUT_SECONDS:.0f} s; is a worker "
                f"running on task queue {settings.temporal_task_queue!r} "
                "(`komitmen worker` or `komitmen up`)? The request may still be carried out "
                "once one runs: check with `komitmen show` before repeating it"
            ) from None

    return asyncio.run(connected())


def act(settings: Settings, target_id: str, action: str, request: BaseModel) -> ActionResult:
    """Send one action to a commitment's workflow and return its result."""
    return with_client(settings, lambda client: actions.act(client, target_id, action, request))


def actor_for(session: Session, username: str, acting: Acting | None = None) -> Actor:
    """The actor behind a user of the directory, optionally acting in another capacity."""
    user = repository.get_user(session, username=username)
    if user is None:
        raise UsageError(f"unknown user {username!r}; `komitmen users` lists who can act")
    return Actor(
        name=user.full_name,
        role=Role(user.role),
        regency_code=user.regency_code,
        office=user.office,
        acting=acting or Acting(user.acting),
        nip=user.nip,
    )


def find_cycle(session: Session, cycle_id: str) -> m.Cycle:
    """A recorded cycle, or UsageError naming the known ones."""
    cycles = repository.list_cycles(session)
    for cycle in cycles:
        if cycle.id == cycle_id:
            return cycle
    known = ", ".join(c.id for c in cycles) or "none yet"
    raise UsageError(f"no cycle {cycle_id!r}; known cycles: {known}")


def cycle_codes(cycle: m.Cycle) -> list[str]:
    """The Kemendagri codes of the regencies a cycle was started for."""
    return [str(r["code"]) for r in cycle.spec.get("regencies", [])]


@dataclass
class Target:
    """One regency's commitment in a cycle, as the database shows it."""

    cycle: m.Cycle
    regency: Regency
    row: m.Commitment | None

    @property
    def id(self) -> str:
        """The commitment id."""
        return commitment_id(self.cycle.id, self.regency.kemendagri_code)

    @property
    def label(self) -> str:
        """Code and name: "53.01 Kabupaten Kupang"."""
        return f"{self.regency.kemendagri_code} {self.regency.name}"

    @property
    def latest_version(self) -> int:
        """The latest saved version; 0 before the first save."""
        return self.row.latest_version if self.row else 0


def find_target(session: Session, cycle_id: str, regency_code: str) -> Target:
    """A commitment by cycle and regency code (Kemendagri 53.01 or BPS 5303)."""
    cycle = find_cycle(session, cycle_id)
    regency = load_catalog().get(regency_code)
    if regency.kemendagri_code not in cycle_codes(cycle):
        raise UsageError(
            f"{regency.kemendagri_code} {regency.name} is not in cycle {cycle.id}; "
            f"its regencies: {', '.join(cycle_codes(cycle))}"
        )
    row = repository.get_commitment(
        session, commitment_id=commitment_id(cycle.id, regency.kemendagri_code)
    )
    return Target(cycle=cycle, regency=regency, row=row)


def open_target(session: Session, cycle_id: str, regency_code: str) -> Target:
    """A commitment that can still be acted on; an ended one is refused here."""
    target = find_target(session, cycle_id, regency_code)
    if target.row is not None and Stage(target.row.stage).is_terminal:
        raise ActionRefused(
            f"{target.label} has ended in cycle {cycle_id} ({stage_label(target.row.stage)})"
        )
    return target


def outcome(target: Target, what: str, result: ActionResult) -> None:
    """Print what an accepted action did."""
    say(
        f"{target.label}: {what}; stage: {stage_label(result.stage)} "
        f"(round {result.round}, version {result.version})"
    )


# --- serving: up, worker, migrate -----------------------------------------------------


def configure_logging() -> None:
    """INFO logs for long-running commands; migrations stay quiet."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def stop_event() -> asyncio.Event:
    """An event set by Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def run_worker(client: Client, settings: Settings, stop: asyncio.Event) -> None:
    """Run Komitmen's worker until `stop` is set; a failing worker ends the command."""
    from komitmen.worker import build_worker  # imports every workflow and activity

    worker = build_worker(client, settings)
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    say(
        f"worker running on task queue {settings.temporal_task_queue!r} "
        f"(namespace {settings.temporal_namespace!r}); Ctrl-C stops it"
    )
    done, _ = await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if running in done:
        stopping.cancel()
        running.result()
        return
    say("stopping the worker ...")
    await worker.shutdown()
    await running


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the database migrations."""
    migrate(settings.db_url)
    say(f"database up to date: {safe_url(settings.db_url)}")
    return 0


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """Run everything on embedded defaults: database, demo people, dev server, worker."""
    from komitmen.demo import seed_demo_users

    configure_logging()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.db_url)
    with database(settings) as session:
        added = seed_demo_users(session, load_catalog())
        total = len(repository.list_users(session))
    say(f"database:   {safe_url(settings.db_url)} (migrated)")
    say(f"demo users: {added} added, {total} in all; `komitmen users` lists them")
    if settings.smtp_host:
        say(f"mail:       SMTP {settings.smtp_host}:{settings.smtp_port}")
    else:
        say(f"mail:       written as .eml files to {settings.outbox}")

    async def serve() -> None:
        stop = stop_event()
        if args.no_server:
            client = await client_for(settings)
            try:
                await register_search_attributes(client, settings.temporal_namespace)
            except RPCError as error:
                say(f"note: search attributes not registered ({error.message})")
            say(f"temporal:   {settings.temporal_address} (existing cluster)")
            example()
            await run_worker(client, settings, stop)
            return
        async with DevServer(settings) as server:
            how = "already running, reused" if server.reused else f"state in {server.db_file}"
            say(f"temporal:   {settings.temporal_address} (dev server, {how})")
            say(f"Temporal UI: {server.ui_url}")
            example()
            if not stop.is_set():
                await run_worker(server.client, settings, stop)

    asyncio.run(serve())
    say("stopped")
    return 0


def example() -> None:
    """Print a command to try next."""
    year = datetime.now(WITA).year + 1
    say(
        "next, in another terminal:\n"
        f'  komitmen cycle start rakor-{year} --name "Rakor PB NTT {year - 1}" '
        f"--year {year} --as koordinator\n"
        f"  komitmen cycle show rakor-{year}"
    )


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run only the worker against the configured cluster and database."""
    configure_logging()
    migrate(settings.db_url)
    say(f"database: {safe_url(settings.db_url)} (migrated)")
    say(f"temporal: {settings.temporal_address}")

    async def serve() -> None:
        stop = stop_event()
        client = await client_for(settings)
        await run_worker(client, settings, stop)

    asyncio.run(serve())
    say("stopped")
    return 0


# --- people --------------------------------------------------------------------------


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    """List the people who can act, optionally those of one regency."""
    code = load_catalog().get(args.regency).kemendagri_code if args.regency else None
    with database(settings) as session:
        users = repository.list_users(session, regency_code=code)
        rows = [
            (
                u.username,
                u.full_name,
                u.role,
                u.regency_code,
                u.office,
                ACTING_MARK.get(Acting(u.acting), "").strip(),
                u.language,
                u.email,
            )
            for u in users
        ]
    say(table(("USERNAME", "NAME", "ROLE", "REGENCY", "OFFICE", "ACTING", "LANG", "EMAIL"), rows))
    say(f"{len(rows)} users")
    return 0


USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add a person to the directory."""
    role = Role(args.role)
    regency = load_catalog().get(args.regency) if args.regency else None
    if not USERNAME.fullmatch(args.username):
        raise UsageError(
            f"username {args.username!r}: use lowercase letters, digits, '.', '_' or '-'"
        )
    if role.is_regency_role and regency is None:
        raise UsageError(f"a {role.value} acts for one regency: give --regency")
    if not role.is_regency_role and regency is not None:
        raise UsageError(f"a {role.value} works for the province: leave out --regency")
    if role == Role.SIGNATORY and not args.office:
        offices = ", ".join(o.value for o in Office)
        raise UsageError(f"a signatory signs for an office: give --office ({offices})")
    if "@" not in args.email:
        raise UsageError(f"{args.email!r} is not an email address")
    nip = args.nip.replace(" ", "") if args.nip else None
    # Validates the NIP and the rest the same way an action will.
    actor = Actor(
        name=args.name,
        role=role,
        regency_code=regency.kemendagri_code if regency else None,
        office=args.office,
        acting=Acting(args.acting),
        nip=nip,
    )
    with database(settings) as session:
        if repository.get_user(session, username=args.username) is not None:
            raise UsageError(f"user {args.username!r} exists already")
        repository.add_user(
            session,
            username=args.username,
            full_name=actor.name,
            email=args.email,
            role=role.value,
            regency_code=actor.regency_code,
            office=actor.office,
            acting=actor.acting.value,
            nip=actor.nip,
            language=args.language,
            now=datetime.now(WITA),
        )
    where = f" for {regency.kemendagri_code} {regency.name}" if regency else ""
    say(f"added {args.username}: {actor.name}, {role.value}{where}")
    return 0


# --- cycles --------------------------------------------------------------------------


def schedule_from(args: argparse.Namespace) -> ScheduleSpec:
    """The default schedule of the year with the command line's changes."""
    values: dict[str, Any] = default_schedule(args.year).model_dump()
    if args.drafting_due:
        values["drafting_due"] = args.drafting_due
    if args.signing_due:
        values["signing_due"] = args.signing_due
    if args.review_days is not None:
        values["review_working_days"] = args.review_days
    if args.report_due or args.lock:
        base = QuarterRule()
        rule = QuarterRule(
            report_due=args.report_due or base.report_due, lock=args.lock or base.lock
        )
        values["quarters"] = [rule.model_dump()] * 4
    if args.reminders is not None:
        values["reminder_days_before"] = args.reminders
    return ScheduleSpec.model_validate(values)


def cmd_cycle_start(args: argparse.Namespace, settings: Settings) -> int:
    """Start a cycle for some or all regencies."""
    catalog = load_catalog()
    codes = [catalog.get(code).kemendagri_code for code in args.regencies or []]
    offices = [o.value for o in Office]
    signatories = args.signatories or list(DEFAULT_SIGNATORIES)
    unknown = [s for s in signatories if s not in offices]
    if unknown:
        raise UsageError(f"unknown office {unknown[0]!r}; offices: {', '.join(offices)}")
    schedule = schedule_from(args)
    with database(settings) as session:
        actor = actor_for(session, args.as_user)
    if actor.role != Role.COORDINATOR:
        raise ActionRefused(f"role '{actor.role.value}' may not start a cycle; needs coordinator")
    spec = actions.build_cycle_spec(
        cycle_id=args.cycle_id,
        name=args.name,
        year=args.year,
        catalog=catalog,
        schedule=schedule,
        started_by=actor,
        regency_codes=codes,
        signatories=signatories,
        ordered_signing=args.ordered,
    )
    started = with_client(
        settings,
        lambda client: actions.start_cycle(
            client,
            spec,
            task_queue=settings.temporal_task_queue,
            digest_window_minutes=settings.digest_window_minutes,
        ),
    )
    if not started:
        say(f"cycle {spec.cycle_id} already started (nothing duplicated)")
        return 0
    s = spec.schedule
    count = f"{len(spec.regencies)} {'regency' if len(spec.regencies) == 1 else 'regencies'}"
    say(f'started cycle {spec.cycle_id} "{spec.name}" ({spec.year}) for {count}')
    lines: list[tuple[str, object]] = [
        (deadline_label("drafting"), when(s.drafting_due)),
        ("Reviu", f"{s.review_working_days} hari kerja setelah diajukan"),
        (deadline_label("signing"), when(s.signing_due)),
    ]
    for q in s.quarters:
        lines.append(
            (
                f"Laporan Triwulan {QUARTERS[q.quarter]}",
                f"{when(q.report_due)}, kunci {when(q.lock)}",
            )
        )
    lines.append(("Pengingat", ", ".join(days_text(d) for d in s.reminder_days_before)))
    say(pairs(lines, indent="  "))
    first = spec.regencies[0].code
    officer = f"operator-{first.replace('.', '')}"
    say(f"next: komitmen draft {spec.cycle_id} {first} --sample --as {officer}")
    return 0


def cmd_cycle_list(args: argparse.Namespace, settings: Settings) -> int:
    """List the cycles, newest first."""
    with database(settings) as session:
        rows = [
            (
                c.id,
                c.name,
                c.year,
                CYCLE_STATUS.get(c.status, c.status),
                len(cycle_codes(c)),
                when(c.started_at),
                c.started_by,
            )
            for c in repository.list_cycles(session)
        ]
    if not rows:
        say("no cycles yet; start one with `komitmen cycle start`")
        return 0
    say(table(("CYCLE", "NAME", "YEAR", "STATUS", "REGENCIES", "STARTED (WITA)", "BY"), rows))
    return 0


def cmd_cycle_show(args: argparse.Namespace, settings: Settings) -> int:
    """The board of a cycle: where each regency's commitment stands."""
    with database(settings) as session:
        cycle = find_cycle(session, args.cycle_id)
        recorded = {
            c.regency_code: c for c in repository.list_commitments(session, cycle_id=cycle.id)
        }
    names = {str(r["code"]): str(r["name"]) for r in cycle.spec.get("regencies", [])}
    status = CYCLE_STATUS.get(cycle.status, cycle.status)
    say(f"{cycle.name} ({cycle.id}), tahun {cycle.year}: {status}")
    rows: list[tuple[object, ...]] = []
    counts: dict[str, int] = {}
    for code in cycle_codes(cycle):
        row = recorded.get(code)
        if row is None:
            rows.append((code, names[code], "(belum tercatat)", "", "", "", ""))
            continue
        label = stage_label(row.stage)
        counts[label] = counts.get(label, 0) + 1
        rows.append(
            (
                code,
                row.regency_name,
                label,
                row.round,
                row.latest_version,
                when(row.next_due_at),
                when(row.overdue_since) if row.overdue_since else "",
            )
        )
    say(
        table(
            ("CODE", "REGENCY", "STAGE", "ROUND", "VERSION", "NEXT DUE (WITA)", "OVERDUE SINCE"),
            rows,
        )
    )
    say(" · ".join(f"{label} {n}" for label, n in counts.items()))
    return 0


def cmd_cycle_cancel(args: argparse.Namespace, settings: Settings) -> int:
    """Cancel a cycle and every open commitment in it."""
    with database(settings) as session:
        cycle = find_cycle(session, args.cycle_id)
        actor = actor_for(session, args.as_user)
    if cycle.status != "running":
        ended = CYCLE_STATUS.get(cycle.status, cycle.status)
        raise ActionRefused(f"cycle {cycle.id} has already ended ({ended})")
    request = CancelCycle(actor=actor, reason=args.reason)
    status = with_client(settings, lambda client: actions.cancel_cycle(client, cycle.id, request))
    say(f"cycle {cycle.id}: {CYCLE_STATUS.get(status.status, status.status)}")
    return 0


def cmd_cycle_extend(args: argparse.Namespace, settings: Settings) -> int:
    """Extend one deadline for every open commitment of a cycle; exit 2 if any refused."""
    with database(settings) as session:
        cycle = find_cycle(session, args.cycle_id)
        actor = actor_for(session, args.as_user)
        open_rows = [
            c
            for c in repository.list_commitments(session, cycle_id=cycle.id)
            if not Stage(c.stage).is_terminal
        ]
    if not open_rows:
        raise UsageError(f"cycle {cycle.id} has no open commitment")
    codes = [c.regency_code for c in open_rows]
    results = with_client(
        settings,
        lambda client: actions.extend_everywhere(
            client, cycle.id, codes, actor, args.deadline, args.until, args.reason
        ),
    )
    rows: list[tuple[object, ...]] = []
    refusals = 0
    for row in open_rows:
        result = results[row.regency_code]
        if isinstance(result, str):
            refusals += 1
            rows.append((row.regency_code, row.regency_name, f"refused: {result}"))
        else:
            what = f"{deadline_label(args.deadline)} diperpanjang sampai {format_date(args.until)}"
            rows.append((row.regency_code, row.regency_name, what))
    say(table(("CODE", "REGENCY", "RESULT"), rows))
    return 2 if refusals else 0


# --- one commitment ------------------------------------------------------------------


def audit_table(events: Sequence[m.AuditEvent], indent: str = "") -> str:
    """The audit trail as a table."""
    rows: list[tuple[object, ...]] = []
    for e in events:
        stream = "cycle" if e.stream.startswith("cycle:") else e.stream.rsplit(":", 1)[-1]
        if e.from_stage is None or e.to_stage is None:
            stages = ""
        elif e.from_stage == e.to_stage:
            stages = stage_label(e.to_stage)
        else:
            stages = f"{stage_label(e.from_stage)} -> {stage_label(e.to_stage)}"
        rows.append(
            (when(e.occurred_at), stream, e.action, e.actor, stages, audit_detail(e.detail))
        )
    return table(("WHEN (WITA)", "REGENCY", "ACTION", "BY", "STAGE", "DETAIL"), rows, indent)


def audit_detail(detail: dict[str, Any]) -> str:
    """The interesting parts of an audit row's detail, compactly."""
    parts = []
    if "version" in detail:
        parts.append(f"v{detail['version']}")
    if "round" in detail:
        parts.append(f"round {detail['round']}")
    if detail.get("quarter"):
        parts.append(f"Triwulan {QUARTERS.get(detail['quarter'], detail['quarter'])}")
    if detail.get("timeliness"):
        parts.append(TIMELINESS.get(detail["timeliness"], detail["timeliness"]))
    if detail.get("office"):
        mark = ACTING_MARK.get(Acting(detail.get("acting", "definitive")), "")
        parts.append(f"{mark}{detail['office']}")
    if detail.get("document_hash"):
        parts.append(f"sha256 {str(detail['document_hash'])[:12]}")
    if detail.get("comments"):
        parts.append(f"{detail['comments']} comments")
    if detail.get("reason"):
        parts.append(f"reason: {detail['reason']}")
    return ", ".join(parts)


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """Everything about one commitment: stage, deadlines, versions, comments, signatures."""
    with database(settings) as session:
        target = find_target(session, args.cycle_id, args.regency)
        row = target.row
        cid = target.id
        versions = [
            (v, len(repository.version_items(session, commitment_id=cid, number=v.number)))
            for v in repository.list_versions(session, commitment_id=cid)
        ]
        latest = row.latest_version if row else 0
        items = repository.version_items(session, commitment_id=cid, number=latest)
        comments = repository.list_comments(session, commitment_id=cid)
        signatures = repository.list_signatures(session, commitment_id=cid)
        reports = repository.list_reports(session, commitment_id=cid)
        audit = repository.list_audit(session, cycle_id=target.cycle.id, stream=cid)
    say(f'{target.label}, cycle {target.cycle.id} "{target.cycle.name}"')
    if row is None:
        say("not recorded yet: the commitment is starting")
        return 0
    say(
        pairs(
            [
                ("Stage", stage_label(row.stage)),
                ("Round", row.round),
                ("Latest version", row.latest_version or "-"),
                ("Approved version", row.approved_version or "-"),
                ("Document", f"sha256 {row.document_hash}" if row.document_hash else "-"),
                ("Next due", f"{when(row.next_due_at)} WITA" if row.next_due_at else "-"),
                ("Overdue since", f"{when(row.overdue_since)} WITA" if row.overdue_since else "-"),
            ]
        )
    )
    say("\nDeadlines (WITA)")
    deadlines = [
        (deadline_label(key.value), when(datetime.fromisoformat(row.deadlines[key.value])))
        for key in DeadlineKey
        if key.value in row.deadlines
    ]
    say(pairs(deadlines, indent="  "))
    say("\nVersions")
    if versions:
        say(
            table(
                ("VERSION", "ROUND", "ITEMS", "SAVED BY", "SAVED AT (WITA)"),
                [(v.number, v.round, n, v.saved_by, when(v.saved_at)) for v, n in versions],
                indent="  ",
            )
        )
    else:
        say("  none saved yet")
    if items:
        say(f"\nItems of version {latest}")
        for item in items:
            issue = ISSUE_LABELS["id"].get(
                StrategicIssue(item.strategic_issue), item.strategic_issue
            )
            quarters = ", ".join(QUARTERS.get(int(q), str(q)) for q in item.due_quarters)
            say(f"  {item.position}. {item.activity}")
            say(
                pairs(
                    [
                        ("isu", f"{issue}; fase {item.phase.replace('_', ' ')}"),
                        ("indikator", item.indicator),
                        ("target", f"{decimal_text(item.target_value)} {item.target_unit}"),
                        ("triwulan", quarters),
                        ("penanggung jawab", item.responsible_unit),
                        ("mitra", ", ".join(p.replace("_", " ") for p in item.partners) or "-"),
                        (
                            "anggaran",
                            f"{format_rupiah(item.budget_rp)} ({source_label(item.budget_source)})",
                        ),
                        ("lokasi", item.location),
                    ],
                    indent="     ",
                )
            )
    if comments:
        say("\nReview comments")
        say(
            table(
                ("ROUND", "VERSION", "ITEM", "COMMENT", "BY", "AT (WITA)"),
                [
                    (
                        c.round,
                        c.version,
                        c.item_position or "all",
                        c.text,
                        c.author,
                        when(c.created_at),
                    )
                    for c in comments
                ],
                indent="  ",
            )
        )
    if signatures:
        say("\nSignatures")
        rows: list[tuple[object, ...]] = []
        for sig in signatures:
            mark = ACTING_MARK.get(Acting(sig.acting), "")
            current = "" if sig.document_hash == row.document_hash else " (earlier document)"
            rows.append(
                (
                    f"{mark}{sig.title}",
                    sig.signer_name,
                    nip_text(sig.nip),
                    sig.version,
                    f"{sig.document_hash[:16]}{current}",
                    when(sig.signed_at),
                )
            )
        say(table(("AS", "SIGNER", "NIP", "VERSION", "SHA-256", "SIGNED AT (WITA)"), rows, "  "))
    if reports:
        say("\nQuarterly reports")
        rows = []
        for r in reports:
            done = [Decimal(str(i.get("percent_realised", 0))) for i in r.items]
            average = f"{decimal_text(sum(done, Decimal(0)) / len(done))}%" if done else "-"
            rows.append(
                (
                    f"Triwulan {QUARTERS[r.quarter]}",
                    REPORT_STATE.get(r.state, r.state),
                    TIMELINESS.get(r.timeliness, r.timeliness),
                    len(r.items),
                    average,
                    f"{r.submitted_by or '-'}, {when(r.submitted_at)}" if r.submitted_by else "",
                    f"{r.verified_by}, {when(r.verified_at)}" if r.verified_by else "",
                    r.return_reason or "",
                )
            )
        say(
            table(
                (
                    "QUARTER",
                    "STATE",
                    "TIMELINESS",
                    "ITEMS",
                    "AVERAGE",
                    "SUBMITTED",
                    "VERIFIED",
                    "RETURNED",
                ),
                rows,
                "  ",
            )
        )
    say("\nAudit trail")
    say(audit_table(audit, indent="  "))
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """The audit trail of a cycle or of one regency's commitment."""
    with database(settings) as session:
        if args.regency:
            target = find_target(session, args.cycle_id, args.regency)
            events = repository.list_audit(session, cycle_id=target.cycle.id, stream=target.id)
        else:
            cycle = find_cycle(session, args.cycle_id)
            events = repository.list_audit(session, cycle_id=cycle.id)
    say(audit_table(events))
    return 0


def cmd_reminders(args: argparse.Namespace, settings: Settings) -> int:
    """Reminders, escalations and notices sent for a cycle."""
    with database(settings) as session:
        cycle = find_cycle(session, args.cycle_id)
        sent = repository.list_reminders(session, cycle_id=cycle.id)
        rows = [
            (
                when(r.created_at),
                r.kind,
                r.commitment_id.rsplit(":", 1)[-1],
                deadline_label(r.deadline_key) if r.deadline_key else "",
                when(r.due_at) if r.due_at else "",
                days_text(r.days),
                r.recipient,
                when(r.sent_at) if r.sent_at else "not yet",
            )
            for r in sent
        ]
    if not rows:
        say(f"no reminders or notices for cycle {cycle.id} yet")
        return 0
    say(
        table(
            ("CREATED (WITA)", "KIND", "REGENCY", "DEADLINE", "DUE", "DAYS", "TO", "SENT"),
            rows,
        )
    )
    return 0


# --- actions -------------------------------------------------------------------------


def read_json(path: Path) -> Any:
    """The JSON in a file, or UsageError saying what is wrong with it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not JSON ({error.msg} at line {error.lineno})") from None


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    """Save a new version of the action plan (from a file or the sample)."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    if args.sample:
        plan = _sample_plan(target.regency)
    else:
        data = read_json(args.file)
        plan = ActionPlan.model_validate({"items": data} if isinstance(data, list) else data)
    based_on = target.latest_version if args.based_on is None else args.based_on
    request = SaveDraft(actor=actor, plan=plan, based_on_version=based_on)
    result = act(settings, target.id, "save_draft", request)
    outcome(target, f"version {result.version} saved with {len(plan.items)} items", result)
    return 0


def _sample_plan(regency: Regency) -> ActionPlan:
    from komitmen.demo import sample_plan

    return sample_plan(regency)


def cmd_submit(args: argparse.Namespace, settings: Settings) -> int:
    """Submit a saved version (the latest by default) for review."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    version = args.version or max(target.latest_version, 1)
    result = act(settings, target.id, "submit", Submit(actor=actor, version=version))
    outcome(target, f"version {version} submitted for review", result)
    return 0


def cmd_approve(args: argparse.Namespace, settings: Settings) -> int:
    """Approve the submitted version."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    version = args.version or max(target.latest_version, 1)
    result = act(settings, target.id, "approve", Approve(actor=actor, version=version))
    outcome(target, f"version {version} approved, sha256 {result.document_hash}", result)
    return 0


ITEM_COMMENT = re.compile(r"^\s*(\d+)\s*:\s*(.*)$", re.DOTALL)


def review_comment(text: str) -> ReviewComment:
    """ "3: text" comments on item 3; anything else on the whole plan."""
    match = ITEM_COMMENT.match(text)
    if match:
        return ReviewComment(item_position=int(match.group(1)), text=match.group(2))
    return ReviewComment(text=text)


def cmd_request_changes(args: argparse.Namespace, settings: Settings) -> int:
    """Send the submitted version back with comments."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    version = args.version or max(target.latest_version, 1)
    comments = tuple(review_comment(text) for text in args.comment)
    request = RequestChanges(actor=actor, version=version, comments=comments)
    result = act(settings, target.id, "request_changes", request)
    outcome(target, f"changes requested on version {version} ({len(comments)} comments)", result)
    return 0


def cmd_sign(args: argparse.Namespace, settings: Settings) -> int:
    """Sign the approved document in the user's office."""
    acting = Acting(args.acting) if args.acting else None
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user, acting)
    document = target.row.document_hash if target.row else None
    if document is None:
        stage = stage_label(target.row.stage if target.row else None)
        raise ActionRefused(f"no approved document to sign yet (stage: {stage})")
    result = act(settings, target.id, "sign", Sign(actor=actor, document_hash=document))
    office = actor.office or "-"
    try:
        title = target.regency.title_of(Office(office), datetime.now(WITA).date())
    except (LookupError, ValueError):
        title = office
    mark = ACTING_MARK.get(actor.acting, "")
    outcome(target, f"signed by {actor.name} as {mark}{title}, sha256 {document}", result)
    return 0


def cmd_decline(args: argparse.Namespace, settings: Settings) -> int:
    """Decline to sign; the commitment returns to review."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    result = act(settings, target.id, "decline", Decline(actor=actor, reason=args.reason))
    outcome(target, "signature declined", result)
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Submit a quarterly progress report (from a file or one line per approved item)."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
        approved = target.row.approved_version if target.row else None
        count = (
            len(repository.version_items(session, commitment_id=target.id, number=approved))
            if approved
            else 0
        )
    if args.file:
        data = read_json(args.file)
        if isinstance(data, list):
            data = {"items": data}
        if isinstance(data, dict):
            data.setdefault("quarter", args.quarter)
            if data["quarter"] != args.quarter:
                raise UsageError(
                    f"{args.file} reports quarter {data['quarter']}, not {args.quarter}"
                )
        report = QuarterlyReport.model_validate(data)
    else:
        if not count:
            raise ActionRefused("no approved plan to report on yet")
        status = ProgressStatus(args.sample_status)
        report = QuarterlyReport(
            quarter=args.quarter,
            items=tuple(
                ItemProgress(item_position=n, status=status, percent_realised=args.percent)
                for n in range(1, count + 1)
            ),
        )
    result = act(settings, target.id, "submit_report", SubmitReport(actor=actor, report=report))
    what = f"Triwulan {QUARTERS[args.quarter]} report submitted ({len(report.items)} items)"
    outcome(target, what, result)
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Verify a submitted quarterly report."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    request = VerifyReport(actor=actor, quarter=args.quarter)
    result = act(settings, target.id, "verify_report", request)
    outcome(target, f"Triwulan {QUARTERS[args.quarter]} report verified", result)
    return 0


def cmd_return_report(args: argparse.Namespace, settings: Settings) -> int:
    """Return a quarterly report for correction."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    request = ReturnReport(actor=actor, quarter=args.quarter, reason=args.reason)
    result = act(settings, target.id, "return_report", request)
    outcome(target, f"Triwulan {QUARTERS[args.quarter]} report returned", result)
    return 0


def cmd_extend(args: argparse.Namespace, settings: Settings) -> int:
    """Extend one deadline of one commitment."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    request = ExtendDeadline(
        actor=actor, key=DeadlineKey(args.deadline), until=args.until, reason=args.reason
    )
    result = act(settings, target.id, "extend_deadline", request)
    what = f"{deadline_label(args.deadline)} diperpanjang sampai {format_date(args.until)}"
    outcome(target, what, result)
    return 0


def cmd_withdraw(args: argparse.Namespace, settings: Settings) -> int:
    """Withdraw a regency from the cycle."""
    with database(settings) as session:
        target = open_target(session, args.cycle_id, args.regency)
        actor = actor_for(session, args.as_user)
    result = act(settings, target.id, "withdraw", Withdraw(actor=actor, reason=args.reason))
    outcome(target, "withdrawn", result)
    return 0


# --- the parser ----------------------------------------------------------------------

Handler = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="komitmen",
        description="Track the disaster-management action-plan commitments of NTT's regencies.",
        epilog="Settings come from KOMITMEN_* environment variables (see README).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    as_user = argparse.ArgumentParser(add_help=False)
    as_user.add_argument(
        "--as", dest="as_user", required=True, metavar="USER", help="the username acting"
    )
    commitment = argparse.ArgumentParser(add_help=False, parents=[as_user])
    commitment.add_argument("cycle_id", metavar="CYCLE")
    commitment.add_argument("regency", metavar="REGENCY", help="Kemendagri code, e.g. 53.01")

    def command(
        name: str, handler: Handler, help: str, parents: Sequence[argparse.ArgumentParser] = ()
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=list(parents))
        p.set_defaults(handler=handler)
        return p

    up = command("up", cmd_up, "run database, dev server and worker on embedded defaults")
    up.add_argument("--no-server", action="store_true", help="use the configured cluster")
    command("worker", cmd_worker, "run only the worker against the configured cluster")
    command("migrate", cmd_migrate, "apply the database migrations")

    users = command("users", cmd_users, "list people, or add one with `users add`")
    users.add_argument("--regency", help="only people of this regency")
    users_sub = users.add_subparsers(dest="users_command", metavar="add")
    add = users_sub.add_parser("add", help="add a person", description="Add a person.")
    add.set_defaults(handler=cmd_users_add)
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="full name, as it appears when signing")
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--regency", help="for regency officers and signatories")
    add.add_argument("--office", choices=[o.value for o in Office], help="for signatories")
    add.add_argument("--acting", choices=[a.value for a in Acting], default="definitive")
    add.add_argument("--nip", help="18-digit NIP of a civil servant")
    add.add_argument("--language", choices=["id", "en"], default="id")

    cycle = sub.add_parser("cycle", help="start, list, show, cancel or extend cycles")
    cycle_sub = cycle.add_subparsers(dest="cycle_command", required=True, metavar="ACTION")

    def cycle_command(
        name: str, handler: Handler, help: str, parents: Sequence[argparse.ArgumentParser] = ()
    ) -> argparse.ArgumentParser:
        p = cycle_sub.add_parser(name, help=help, description=help, parents=list(parents))
        p.set_defaults(handler=handler)
        return p

    start = cycle_command("start", cmd_cycle_start, "start a cycle", [as_user])
    start.add_argument("cycle_id", metavar="CYCLE_ID", help="e.g. rakor-2026")
    start.add_argument("--name", required=True)
    start.add_argument("--year", required=True, type=int, help="the follow-up year")
    start.add_argument("--regencies", type=name_list, help="e.g. 53.01,53.71 (default: all)")
    start.add_argument(
        "--signatories",
        type=name_list,
        help="offices in order, default bpbd_head,planning_head,regional_head",
    )
    start.add_argument("--ordered", action="store_true", help="signatures in the listed order")
    start.add_argument("--drafting-due", type=iso_date, metavar="DATE")
    start.add_argument("--signing-due", type=iso_date, metavar="DATE")
    start.add_argument("--review-days", type=int, metavar="N", help="working days for review")
    start.add_argument(
        "--report-due", type=due_rule, metavar="RULE", help="2026-04-20, day:20 or 10wd"
    )
    start.add_argument("--lock", type=due_rule, metavar="RULE", help="when a quarter locks")
    start.add_argument("--reminders", type=int_list, metavar="DAYS", help="e.g. 7,3,1")

    cycle_command("list", cmd_cycle_list, "list the cycles")
    show = cycle_command("show", cmd_cycle_show, "the board of a cycle")
    show.add_argument("cycle_id", metavar="CYCLE_ID")
    cancel = cycle_command("cancel", cmd_cycle_cancel, "cancel a cycle", [as_user])
    cancel.add_argument("cycle_id", metavar="CYCLE_ID")
    cancel.add_argument("--reason", required=True)
    extend_all = cycle_command(
        "extend", cmd_cycle_extend, "extend a deadline of every open commitment", [as_user]
    )
    extend_all.add_argument("cycle_id", metavar="CYCLE_ID")
    extend_all.add_argument("--deadline", required=True, choices=[k.value for k in DeadlineKey])
    extend_all.add_argument("--until", required=True, type=iso_date, metavar="DATE")
    extend_all.add_argument("--reason", required=True)

    detail = command("show", cmd_show, "everything about one commitment")
    detail.add_argument("cycle_id", metavar="CYCLE")
    detail.add_argument("regency", metavar="REGENCY")

    draft = command("draft", cmd_draft, "save a new version of the plan", [commitment])
    source = draft.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help='the plan as JSON: {"items": [...]}')
    source.add_argument("--sample", action="store_true", help="the demo sample plan")
    draft.add_argument("--based-on", type=int, metavar="N", help="default: the latest version")

    submit = command("submit", cmd_submit, "submit a version for review", [commitment])
    submit.add_argument("--version", type=int, help="default: the latest")
    approve = command("approve", cmd_approve, "approve the submitted version", [commitment])
    approve.add_argument("--version", type=int, help="default: the latest")
    changes = command("request-changes", cmd_request_changes, "send the version back", [commitment])
    changes.add_argument(
        "--comment",
        action="append",
        required=True,
        help='repeatable; "3: text" comments on item 3',
    )
    changes.add_argument("--version", type=int, help="default: the latest")
    sign = command("sign", cmd_sign, "sign the approved document", [commitment])
    sign.add_argument(
        "--acting",
        choices=[a.value for a in Acting if a != Acting.DEFINITIVE],
        help="Plt./Plh./Pj.",
    )
    decline = command("decline", cmd_decline, "decline to sign", [commitment])
    decline.add_argument("--reason", required=True)

    report = command("report", cmd_report, "submit a quarterly report", [commitment])
    report.add_argument("--quarter", required=True, type=int, choices=[1, 2, 3, 4])
    report_source = report.add_mutually_exclusive_group(required=True)
    report_source.add_argument("--file", type=Path, help="the report as JSON")
    report_source.add_argument(
        "--sample-status", choices=[s.value for s in ProgressStatus], help="same for every item"
    )
    report.add_argument("--percent", type=percent, default=Decimal(0), help="with --sample-status")
    verify = command("verify", cmd_verify, "verify a quarterly report", [commitment])
    verify.add_argument("--quarter", required=True, type=int, choices=[1, 2, 3, 4])
    back = command("return-report", cmd_return_report, "return a quarterly report", [commitment])
    back.add_argument("--quarter", required=True, type=int, choices=[1, 2, 3, 4])
    back.add_argument("--reason", required=True)
    extend = command("extend", cmd_extend, "extend one deadline", [commitment])
    extend.add_argument("--deadline", required=True, choices=[k.value for k in DeadlineKey])
    extend.add_argument("--until", required=True, type=iso_date, metavar="DATE")
    extend.add_argument("--reason", required=True)
    withdraw = command("withdraw", cmd_withdraw, "withdraw a regency", [commitment])
    withdraw.add_argument("--reason", required=True)

    audit = command("audit", cmd_audit, "the audit trail of a cycle")
    audit.add_argument("cycle_id", metavar="CYCLE_ID")
    audit.add_argument("--regency", help="only this regency's commitment")
    reminders = command("reminders", cmd_reminders, "reminders and notices sent for a cycle")
    reminders.add_argument("cycle_id", metavar="CYCLE_ID")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status; as a program (no argv), exit hard.

    Temporal's client keeps native threads that can abort CPython's shutdown
    ("PyGILState_Release ... must be current", temporalio/sdk-python#300), which
    would turn a finished command into a crash. Run as a program, Komitmen flushes
    its output and leaves with os._exit instead; called with argv it just returns.
    """
    status = run_command(argv)
    if argv is None:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def run_command(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        handler: Handler = args.handler
        return handler(args, settings)
    except ActionRefused as refused:
        complain(f"refused: {refused.reason}")
    except ValidationError as invalid:
        for line in field_errors(invalid):
            complain(line)
    except InvalidInput as invalid:
        for problem in invalid.errors:
            complain(f"{problem.field}: {problem.message}")
    except (UsageError, UnknownRegency) as mistake:
        complain(str(mistake))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            complain(
                f"not found in Temporal: {error.message} "
                "(the workflow has ended, or it runs on another cluster)"
            )
            return 2
        complain(f"temporal: {error.message}")
        return 1
    except (Unavailable, DevServerError) as error:
        complain(str(error))
        return 1
    except SQLAlchemyError as error:
        cause = str(getattr(error, "orig", None) or error).splitlines()[0]
        complain(f"database error: {cause}")
        if "no such table" in cause or "does not exist" in cause:
            complain("the database has no tables yet: run `komitmen migrate`")
        return 1
    except KeyboardInterrupt:
        return 130
    return 2
