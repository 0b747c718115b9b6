"""Cycles as recorded: listing and finding them, their regencies, commitments and reminders.

The reads without a person serve the CLI, run by an operator on the server, which
sees every cycle; the functions that take an `AuthUser` apply the person's scope
and role for the JSON API and the pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from db import mail, reads
from db import models as m
from db.session import transaction
from domain.calendar import load_calendar, wita_date, years_without_holidays
from domain.catalog import Regency, load_catalog
from domain.commitment import DeadlineKey, commitment_id
from domain.cycle import CancelCycle, CycleSpec, CycleStatus
from domain.errors import FieldError, InvalidInput, ScheduleError
from domain.plan import MAX_ITEMS, ActionItem, CarriedFrom
from domain.roles import Role
from domain.schedule import (
    DueRule,
    FixedDate,
    QuarterRule,
    ScheduleSpec,
    default_schedule,
    due_date,
    quarter_end,
)
from domain.stages import Action, Stage
from services import actions
from services.access import AuthUser, require_role
from services.commitments import CommitmentRef
from services.errors import Conflict, NotFound
from services.schemas import ActionOut, ExtendIn, StartCycleIn, StartedOut, WithdrawIn
from services.settings import Settings

CycleRecord = m.Cycle
"""A cycle as recorded, as the services hand it to the front doors."""
CycleHead = reads.CycleHead
"""A cycle's id, name, year and regencies, for pages that show no more of it."""


def list_cycles(session: Session) -> Sequence[m.Cycle]:
    """Every recorded cycle, newest first."""
    return reads.list_cycles(session)


def cycle_titles(session: Session) -> list[reads.CycleTitle]:
    """Every recorded cycle's id, name and year, newest first (links to them)."""
    return reads.cycle_titles(session)


def find_cycle(session: Session, cycle_id: str) -> m.Cycle:
    """A recorded cycle; NotFound naming the known ones."""
    cycles = list_cycles(session)
    for cycle in cycles:
        if cycle.id == cycle_id:
            return cycle
    known = ", ".join(c.id for c in cycles) or "none yet"
    raise NotFound(f"no cycle {cycle_id!r}; known cycles: {known}")


def regency_codes(cycle: m.Cycle) -> list[str]:
    """The Kemendagri codes of the regencies a cycle was started for."""
    return [str(r["code"]) for r in cycle.spec.get("regencies", [])]


def commitments(session: Session, cycle_id: str) -> Sequence[m.Commitment]:
    """The recorded commitments of a cycle."""
    return reads.list_commitments(session, cycle_id=cycle_id)


def open_commitments(session: Session, cycle_id: str) -> list[m.Commitment]:
    """The recorded commitments of a cycle that have not ended."""
    return [c for c in commitments(session, cycle_id) if not Stage(c.stage).is_terminal]


def reminders(session: Session, cycle_id: str) -> Sequence[m.ReminderSent]:
    """Reminders, escalations and notices sent for a cycle."""
    return mail.list_reminders(session, cycle_id=cycle_id)


@dataclass(frozen=True)
class CycleCommitment:
    """One regency's commitment in a recorded cycle (row None if the database has not seen it)."""

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

    @property
    def ref(self) -> CommitmentRef:
        """The commitment as `services.commitments` reads it."""
        return CommitmentRef(
            cycle_id=self.cycle.id, regency_code=self.regency.kemendagri_code, row=self.row
        )


def find_cycle_commitment(session: Session, cycle_id: str, regency_code: str) -> CycleCommitment:
    """A commitment by cycle and regency code (Kemendagri 53.01 or BPS 5303).

    NotFound for an unknown cycle or a regency the cycle was not started for;
    UnknownRegency for a code the catalog lacks.
    """
    cycle = find_cycle(session, cycle_id)
    regency = load_catalog().get(regency_code)
    codes = regency_codes(cycle)
    if regency.kemendagri_code not in codes:
        raise NotFound(
            f"{regency.kemendagri_code} {regency.name} is not in cycle {cycle.id}; "
            f"its regencies: {', '.join(codes)}"
        )
    row = reads.get_commitment(
        session, commitment_id=commitment_id(cycle.id, regency.kemendagri_code)
    )
    return CycleCommitment(cycle=cycle, regency=regency, row=row)


def items_of(session: Session, commitment_id: str, number: int) -> Sequence[m.ActionItem]:
    """The action items of one version, in order; none for a version never saved (or 0)."""
    return reads.version_items(session, commitment_id=commitment_id, number=number)


# --- for a signed-in person ------------------------------------------------------------


def get_cycle(session: Session, cycle_id: str) -> m.Cycle:
    """A recorded cycle; NotFound otherwise."""
    cycle = session.get(m.Cycle, cycle_id)
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    return cycle


def commitments_in_scope(session: Session, user: AuthUser, cycle_id: str) -> list[m.Commitment]:
    """The cycle's commitments by regency code; a regency user gets only their own."""
    get_cycle(session, cycle_id)
    return [r for r in commitments(session, cycle_id) if user.covers(r.regency_code)]


def cycle_audit(session: Session, user: AuthUser, cycle_id: str) -> Sequence[m.AuditEvent]:
    """The cycle's whole audit trail, for the province's roles."""
    require_role(user, Role.COORDINATOR, Role.REVIEWER, Role.MANAGER)
    get_cycle(session, cycle_id)
    return reads.list_audit(session, cycle_id=cycle_id)


@dataclass(frozen=True)
class BoardRow:
    """One regency of a cycle's board: its commitment as recorded (None before the first)."""

    code: str
    name: str
    row: reads.BoardLine | None

    @property
    def verified(self) -> int:
        """How many of its quarterly reports have been verified."""
        return self.row.verified if self.row is not None else 0

    @property
    def revising(self) -> bool:
        """Drafting again after a change request."""
        return self.row is not None and self.row.round > 1


def cycle_head(session: Session, cycle_id: str) -> reads.CycleHead:
    """A recorded cycle's id, name, year and regencies, without the rest of its spec;
    NotFound otherwise."""
    head = reads.cycle_head(session, cycle_id=cycle_id)
    if head is None:
        raise NotFound(f"no cycle {cycle_id!r}")
    return head


def head_of(cycle: m.Cycle) -> reads.CycleHead:
    """The head of a cycle already read whole (its id, name, year and regencies)."""
    return reads.CycleHead(cycle.id, cycle.name, cycle.year, cycle.spec.get("regencies", []))


def board(session: Session, user: AuthUser, cycle: reads.CycleHead) -> list[BoardRow]:
    """The regencies of a cycle the person covers, in the cycle's order."""
    recorded = {r.regency_code: r for r in reads.board_lines(session, cycle_id=cycle.id)}
    rows = []
    for ref in cycle.regencies:
        code = ref["code"]
        if not user.covers(code):
            continue
        rows.append(BoardRow(code=code, name=ref["name"], row=recorded.get(code)))
    return rows


def plan_cycle(session: Session, user: AuthUser, body: StartCycleIn) -> CycleSpec:
    """The cycle a coordinator asks for: regencies, signatories, dates and holidays
    resolved, and the items each party carries over from `body.carry_from`.

    InvalidInput naming `carry_from` for a cycle not recorded, or the new cycle itself.
    """
    require_role(user, Role.COORDINATOR)
    catalog = load_catalog()
    try:
        spec = actions.build_cycle_spec(
            cycle_id=body.cycle_id,
            name=body.name,
            year=body.year,
            catalog=catalog,
            schedule=body.schedule or default_schedule(body.year),
            started_by=user.actor(),
            regency_codes=[catalog.get(code).kemendagri_code for code in body.regency_codes],
            signatories=body.signatories,
            ordered_signing=body.ordered_signing,
            signature_method=body.signature_method,
        )
    except ScheduleError as bad:
        # The rules name a field of the schedule, which the body holds under "schedule".
        raise ScheduleError(f"schedule.{bad.field}", bad.message, bad.kind) from None
    spec = spec.model_copy(update={"acknowledging_office": body.acknowledging_office})
    if body.carry_from is None:
        return spec
    if body.carry_from == body.cycle_id or session.get(m.Cycle, body.carry_from) is None:
        raise InvalidInput(
            [FieldError("carry_from", f"no earlier cycle {body.carry_from!r} to carry items from")]
        )
    return carry_over(session, spec, body.carry_from)


def carry_over(session: Session, spec: CycleSpec, earlier: str) -> CycleSpec:
    """The spec with each party's unfinished items of cycle `earlier` to start with.

    An item of a party's signed plan whose latest verified realisation is below 100 %
    (never verified: 0 %) is copied with `carried_from` (the earlier cycle, its position
    there, that realisation); a party with none, or not in the earlier cycle, carries
    nothing and starts without a draft. docs/province.md.
    """
    unfinished = reads.unfinished_items(session, cycle_id=earlier)
    carried: dict[str, tuple[ActionItem, ...]] = {}
    for party in spec.regencies:
        rows = unfinished.get(party.code, [])[:MAX_ITEMS]
        if rows:
            carried[party.code] = tuple(
                carried_item(
                    row,
                    CarriedFrom(cycle_id=earlier, position=row.position, realised_percent=percent),
                )
                for row, percent in rows
            )
    return spec.model_copy(update={"carry_from": earlier, "carried": carried})


def carried_item(row: m.ActionItem, origin: CarriedFrom) -> ActionItem:
    """An earlier cycle's recorded item as a new plan's, marked with where it came from."""
    return ActionItem.model_validate(
        {
            "strategic_issue": row.strategic_issue,
            "phase": row.phase,
            "activity": row.activity,
            "indicator": row.indicator,
            "target_value": row.target_value,
            "target_unit": row.target_unit,
            "due_quarters": row.due_quarters,
            "responsible_unit": row.responsible_unit,
            "partners": row.partners,
            "budget_rp": row.budget_rp,
            "budget_source": row.budget_source,
            "location": row.location,
            "outcomes": row.outcomes or {},
            "baseline": row.baseline,
            "quarter_targets": row.quarter_targets or (),
            "carried_from": origin,
        }
    )


def carried_counts(spec: CycleSpec) -> dict[str, int]:
    """How many items each party of a planned cycle carries over (the preview's)."""
    return {code: len(items) for code, items in spec.carried.items()}


RECORDED_WITHIN = 10.0
"""Seconds a start waits for every commitment to be on the board before answering anyway."""


async def start_cycle(
    client: Client,
    settings: Settings,
    sessions: sessionmaker[Session],
    user: AuthUser,
    body: StartCycleIn,
) -> StartedOut:
    """Start a cycle for some or every regency (coordinator); Conflict if it exists.

    Answers once every commitment is recorded (each records its own start as it
    begins), so the board, read right after, shows them all.
    """
    with transaction(sessions) as session:
        spec = plan_cycle(session, user, body)
    started = await actions.start_configured_cycle(client, spec, settings)
    if not started:
        raise Conflict(f"cycle {spec.cycle_id} was started before; nothing was duplicated")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECORDED_WITHIN
    while loop.time() < deadline:
        if await asyncio.to_thread(_recorded, sessions, spec.cycle_id) >= len(spec.regencies):
            break
        await asyncio.sleep(0.05)
    return StartedOut(
        cycle_id=spec.cycle_id,
        regency_codes=[r.code for r in spec.regencies],
        years_without_holidays=calendar_gaps(spec),
    )


def calendar_gaps(spec: CycleSpec) -> list[int]:
    """The years the cycle's deadlines fall in that have no holiday data: shown to the
    coordinator, since those deadlines skip weekends only (`domain.calendar`)."""
    schedule = spec.schedule
    moments = [schedule.drafting_due, schedule.signing_due]
    moments += [when for q in schedule.quarters for when in (q.report_due, q.lock)]
    return years_without_holidays(wita_date(moment).year for moment in moments)


def _recorded(sessions: sessionmaker[Session], cycle_id: str) -> int:
    with transaction(sessions) as session:
        return len(commitments(session, cycle_id))


async def cancel_cycle(
    client: Client, sessions: sessionmaker[Session], user: AuthUser, cycle_id: str, reason: str
) -> CycleStatus:
    """Cancel the cycle and every open commitment in it (coordinator)."""
    require_role(user, Role.COORDINATOR)
    with transaction(sessions) as session:
        cycle = get_cycle(session, cycle_id)
        if cycle.ended_at is not None:
            raise Conflict(f"cycle {cycle_id} has already ended ({cycle.status})")
    return await actions.cancel_cycle(
        client, cycle_id, CancelCycle(actor=user.actor(), reason=reason)
    )


# --- a coordinator's work on a running cycle (the pages' "manage a cycle") ---------------

COORDINATOR_ACTIONS = ("extend_deadline", "withdraw")
"""The audit actions a coordinator takes on one commitment, as recorded."""


def coordinator_history(session: Session, user: AuthUser, cycle_id: str) -> list[m.AuditEvent]:
    """The cycle's own events (started, cancelled, completed) and the extensions and
    withdrawals of its commitments, oldest first (coordinator)."""
    require_role(user, Role.COORDINATOR)
    own = f"cycle:{cycle_id}"
    return [
        row
        for row in cycle_audit(session, user, cycle_id)
        if row.stream == own or row.action in COORDINATOR_ACTIONS
    ]


def _coordinated(
    sessions: sessionmaker[Session], user: AuthUser, cycle_id: str, codes: Sequence[str]
) -> list[CommitmentRef]:
    """The commitments of the listed regencies in a cycle, for a coordinator.

    OutOfScope for any other role; NotFound for an unknown cycle or a regency it lacks.
    """
    require_role(user, Role.COORDINATOR)
    with transaction(sessions) as session:
        get_cycle(session, cycle_id)
        return [find_cycle_commitment(session, cycle_id, code).ref for code in codes]


async def _outcome(
    client: Client, ref: CommitmentRef, action: Action, request: BaseModel
) -> ActionOut | Conflict:
    try:
        return await actions.take(client, ref, action, request)
    except Conflict as refused:  # the workflow's refusal, or a commitment already ended
        return refused


async def extend_deadlines(
    client: Client,
    sessions: sessionmaker[Session],
    user: AuthUser,
    cycle_id: str,
    codes: Sequence[str],
    key: DeadlineKey,
    until: date,
    reason: str,
) -> dict[str, ActionOut | Conflict]:
    """Move one deadline of each listed regency to `until` with one reason (coordinator).

    Each regency answers for itself: the accepted action, or the refusal (its code and
    parameters, for the reader's language), so one refusal never stops the others.
    """
    body = ExtendIn(key=key, until=until, reason=reason)
    request = actions.request_for(Action.EXTEND_DEADLINE, user, body)
    refs = _coordinated(sessions, user, cycle_id, codes)
    outcomes = await asyncio.gather(
        *(_outcome(client, ref, Action.EXTEND_DEADLINE, request) for ref in refs)
    )
    return {ref.regency_code: outcome for ref, outcome in zip(refs, outcomes, strict=True)}


async def withdraw_regency(
    client: Client,
    sessions: sessionmaker[Session],
    user: AuthUser,
    cycle_id: str,
    code: str,
    reason: str,
) -> ActionOut:
    """Withdraw one regency's commitment from the cycle (coordinator); Conflict if refused."""
    request = actions.request_for(Action.WITHDRAW, user, WithdrawIn(reason=reason))
    (ref,) = _coordinated(sessions, user, cycle_id, [code])
    return await actions.take(client, ref, Action.WITHDRAW, request)


# --- a schedule as a form shows it: one date per deadline ------------------------------

SCHEDULE_DATES = (
    "drafting_due",
    "signing_due",
    *(f"q{q}_{part}" for q in (1, 2, 3, 4) for part in ("report_due", "lock")),
)
"""The dated deadlines of a schedule, by the names a form gives them."""


def schedule_dates(spec: ScheduleSpec, year: int) -> dict[str, date]:
    """The date each deadline of a schedule's rules falls on in `year` (`SCHEDULE_DATES`)."""
    calendar = load_calendar(range(year - 1, year + 2))
    dates = {"drafting_due": spec.drafting_due, "signing_due": spec.signing_due}
    for number, rule in enumerate(spec.quarters, start=1):
        end = quarter_end(year, number)
        dates[f"q{number}_report_due"] = due_date(rule.report_due, end, calendar)
        dates[f"q{number}_lock"] = due_date(rule.lock, end, calendar)
    return dates


def schedule_of_dates(year: int, dates: Mapping[str, date]) -> ScheduleSpec:
    """The year's default schedule with these dates (`SCHEDULE_DATES`).

    A quarter's date that is the one the default rule gives keeps the rule (the 20th of
    the next month, say); another becomes a fixed date. Resolving it (`plan_cycle`) says
    whether the dates agree with each other.
    """
    default = default_schedule(year)
    by_rule = schedule_dates(default, year)

    def rule(name: str, kept: DueRule) -> DueRule:
        return kept if dates[name] == by_rule[name] else FixedDate(date=dates[name])

    quarters = [
        QuarterRule(
            report_due=rule(f"q{number}_report_due", q.report_due),
            lock=rule(f"q{number}_lock", q.lock),
        )
        for number, q in enumerate(default.quarters, start=1)
    ]
    return default.model_copy(
        update={
            "drafting_due": dates["drafting_due"],
            "signing_due": dates["signing_due"],
            "quarters": quarters,
        }
    )


def schedule_field(error_field: str) -> str:
    """The `SCHEDULE_DATES` name of a field `plan_cycle`'s ScheduleError names."""
    name = error_field.removeprefix("schedule.")
    if name.startswith("quarters["):
        index, part = name.removeprefix("quarters[").split("].", 1)
        return f"q{int(index) + 1}_{part}"
    return name
