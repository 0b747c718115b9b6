"""Cycles as a whole: `cycle start`, `list`, `show`, `cancel` and `extend`."""

from __future__ import annotations

import argparse
from typing import Any

from domain.catalog import Office
from domain.cycle import DEFAULT_SIGNATORIES, CancelCycle
from domain.display import format_date
from domain.schedule import QuarterRule, ScheduleSpec, default_schedule
from komitmen.cli.context import UsageError, database, user_for, with_client
from komitmen.cli.output import (
    CYCLE_STATUS,
    QUARTERS,
    days_text,
    deadline_label,
    pairs,
    say,
    stage_label,
    table,
    when,
)
from services import actions, cycles
from services.errors import ActionRefused
from services.schemas import CancelCycleIn, StartCycleIn
from services.settings import Settings


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
    # Kemendagri codes only, as POST /cycles takes them: StartCycleIn refuses a BPS code.
    codes = [code.strip() for code in args.regencies or []]
    offices = [o.value for o in Office]
    signatories = args.signatories or list(DEFAULT_SIGNATORIES)
    unknown = [s for s in signatories if s not in offices]
    if unknown:
        raise UsageError(f"unknown office {unknown[0]!r}; offices: {', '.join(offices)}")
    body = StartCycleIn(
        cycle_id=args.cycle_id,
        name=args.name,
        year=args.year,
        regency_codes=codes,
        signatories=signatories,
        ordered_signing=args.ordered,
        signature_method=args.signature_method,
        schedule=schedule_from(args),
        acknowledging_office=Office(args.acknowledged_by),
        carry_from=args.carry_from,
    )
    with database(settings) as session:
        spec = cycles.plan_cycle(session, user_for(session, args.as_user), body)
    started = with_client(
        settings, lambda client: actions.start_configured_cycle(client, spec, settings)
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
                len(cycles.regency_codes(c)),
                when(c.started_at),
                c.started_by,
            )
            for c in cycles.list_cycles(session)
        ]
    if not rows:
        say("no cycles yet; start one with `komitmen cycle start`")
        return 0
    say(table(("CYCLE", "NAME", "YEAR", "STATUS", "REGENCIES", "STARTED (WITA)", "BY"), rows))
    return 0


def cmd_cycle_show(args: argparse.Namespace, settings: Settings) -> int:
    """The board of a cycle: where each regency's commitment stands."""
    with database(settings) as session:
        cycle = cycles.find_cycle(session, args.cycle_id)
        recorded = {c.regency_code: c for c in cycles.commitments(session, cycle.id)}
    names = {str(r["code"]): str(r["name"]) for r in cycle.spec.get("regencies", [])}
    status = CYCLE_STATUS.get(cycle.status, cycle.status)
    say(f"{cycle.name} ({cycle.id}), tahun {cycle.year}: {status}")
    rows: list[tuple[object, ...]] = []
    counts: dict[str, int] = {}
    for code in cycles.regency_codes(cycle):
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
        cycle = cycles.find_cycle(session, args.cycle_id)
        actor = user_for(session, args.as_user).actor()
    if cycle.status != "running":
        ended = CYCLE_STATUS.get(cycle.status, cycle.status)
        raise ActionRefused(f"cycle {cycle.id} has already ended ({ended})")
    body = CancelCycleIn(reason=args.reason)
    request = CancelCycle(actor=actor, reason=body.reason)
    status = with_client(settings, lambda client: actions.cancel_cycle(client, cycle.id, request))
    say(f"cycle {cycle.id}: {CYCLE_STATUS.get(status.status, status.status)}")
    return 0


def cmd_cycle_extend(args: argparse.Namespace, settings: Settings) -> int:
    """Extend one deadline for every open commitment of a cycle; exit 2 if any refused."""
    with database(settings) as session:
        cycle = cycles.find_cycle(session, args.cycle_id)
        actor = user_for(session, args.as_user).actor()
        open_rows = cycles.open_commitments(session, cycle.id)
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
