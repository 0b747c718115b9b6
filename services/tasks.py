"""Each person's own work across every open cycle ("Tugas saya"): what, where, by when.

A regency officer drafts (or revises, after a change request) and sends the quarterly
reports that are open and not in, or were returned; the reviewer reviews and verifies
the reports waiting for it; a signatory signs where their office has not signed and
may sign now (in an ordered cycle, only when it is their turn, as
`domain.commitment.signing_refusal` says). Coordinators and managers act on none of
these: their list is what is stuck, the overdue obligations and on whom they wait,
as `domain.commitment.owed_deadlines` says.

Overdue first (longest overdue first), then by due date; work without a deadline
(a report waiting for verification) last, oldest first. The list is read in a small
constant number of queries whatever the scope, and bounded: the first `LIMIT` tasks
and how many more there are. A task is new (unread) when it arose after the person
last opened the list (`tasks_seen_at`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from db import people, reads
from domain.catalog import load_catalog
from domain.commitment import Audience, DeadlineKey, lock_key, owed_deadlines, signing_refusal
from domain.display import QUARTER_NUMERALS, Language
from domain.errors import UnknownRegency
from domain.roles import Role, bound_to
from domain.stages import Stage
from domain.words import NC_, by_language
from services.access import AuthUser

LIMIT = 200
"""Tasks a list shows; the rest are counted."""
SEARCH_LIMIT = 50
"""Commitments a search shows."""


class TaskKind(StrEnum):
    """What a task asks of the person."""

    DRAFT = "draft"
    REVISE = "revise"
    REVIEW = "review"
    SIGN = "sign"
    REPORT = "report"
    FIX_REPORT = "fix_report"
    VERIFY_REPORT = "verify_report"
    OVERDUE_DRAFTING = "overdue_drafting"
    OVERDUE_REVIEW = "overdue_review"
    OVERDUE_SIGNING = "overdue_signing"
    OVERDUE_REPORT = "overdue_report"


TASK_LABEL_WORDS = {
    TaskKind.DRAFT: NC_("task.draft", "Draft and submit the action plan"),
    TaskKind.REVISE: NC_("task.revise", "Revise the action plan as the review asks"),
    TaskKind.REVIEW: NC_("task.review", "Review the action plan"),
    TaskKind.SIGN: NC_("task.sign", "Sign the action plan"),
    TaskKind.REPORT: NC_("task.report", "Follow-up: send the quarter {quarter} report"),
    TaskKind.FIX_REPORT: NC_(
        "task.fix_report",
        "Follow-up: correct the returned quarter {quarter} report",
    ),
    TaskKind.VERIFY_REPORT: NC_(
        "task.verify_report",
        "Follow-up: verify the quarter {quarter} report",
    ),
    TaskKind.OVERDUE_DRAFTING: NC_("task.overdue_drafting", "Overdue: drafting the action plan"),
    TaskKind.OVERDUE_REVIEW: NC_("task.overdue_review", "Overdue: reviewing the action plan"),
    TaskKind.OVERDUE_SIGNING: NC_("task.overdue_signing", "Overdue: signing"),
    TaskKind.OVERDUE_REPORT: NC_("task.overdue_report", "Overdue: the quarter {quarter} report"),
}
TASK_LABELS: dict[Language, dict[TaskKind, str]] = by_language(TASK_LABEL_WORDS)
"""What each kind of task reads as, in both languages (the JSON carries both)."""

_OVERDUE_KINDS = {
    DeadlineKey.DRAFTING: TaskKind.OVERDUE_DRAFTING,
    DeadlineKey.REVIEW: TaskKind.OVERDUE_REVIEW,
    DeadlineKey.SIGNING: TaskKind.OVERDUE_SIGNING,
}
_WAITING_ON = {
    DeadlineKey.DRAFTING: Audience.REGENCY_OFFICER,
    DeadlineKey.REVIEW: Audience.REVIEWER,
    DeadlineKey.SIGNING: Audience.SIGNATORY,
}


class Task(BaseModel):
    """One thing for the person to do (or, for coordinators and managers, one stuck obligation)."""

    model_config = ConfigDict(frozen=True)

    kind: TaskKind
    label: dict[str, str]
    """The kind in words: {"id": ..., "en": ...}."""
    commitment_id: str
    cycle_id: str
    cycle_name: str
    regency_code: str
    regency_name: str
    stage: str
    quarter: int | None = None
    due_at: datetime | None = None
    overdue_since: datetime | None = None
    """The deadline that has passed; None while it lies ahead."""
    since: datetime | None = None
    """When it became this person's work, as far as the records tell."""
    new: bool = False
    """Arose after the person last opened their list."""
    waiting_on: Audience | None = None
    """For a stuck obligation: whose move it is."""
    offices: tuple[str, ...] = ()
    """For a stuck signing: the offices still to sign, in order."""
    path: str
    """Where it is done: the commitment's page, at the form."""


class TaskList(BaseModel):
    """A person's tasks: the first `LIMIT`, how many more, and how many are new."""

    tasks: list[Task]
    more: int = 0
    unread: int = 0


def tasks_for(session: Session, user: AuthUser, now: datetime) -> TaskList:
    """The person's tasks across every open cycle, overdue first, then by due date."""
    if user.role is Role.REGENCY_OFFICER:
        return _officer_tasks(session, user, now)
    if user.role is Role.SIGNATORY:
        return _signatory_tasks(session, user, now)
    if user.role is Role.REVIEWER:
        return _reviewer_tasks(session, user, now)
    return _stuck(session, user, now)


def unread_count(session: Session, user: AuthUser) -> int:
    """How many of the person's tasks arose since they last opened the list (the header's)."""
    if user.role is Role.REVIEWER:
        return reads.count_new_for_reviewer(
            session, since=user.tasks_seen_at, reviewer_regency=user.regency_code
        )
    if user.role.is_regency_role:
        return tasks_for(session, user, datetime.now(UTC)).unread
    return reads.count_overdue(session, since=user.tasks_seen_at)[1]


def mark_seen(session: Session, user: AuthUser, listed: TaskList, now: datetime) -> None:
    """Note that the person has seen their list; only when it held something new, so
    that opening it again writes nothing (on SQLite, a write takes the only write lock)."""
    if listed.unread or user.tasks_seen_at is None:
        # What was listed is seen, even where its time runs ahead of this clock (a worker's
        # clock a little ahead, or a test's skipped time): it must not stay new.
        shown = [t.since for t in listed.tasks if t.since is not None]
        people.note_tasks_seen(session, user_id=user.id, at=max([now, *shown]))


def task_label(kind: TaskKind, quarter: int | None, language: Language) -> str:
    """A task's words in one language: "Tindak Lanjut: kirim laporan triwulan II"."""
    numeral = QUARTER_NUMERALS.get(quarter, "") if quarter is not None else ""
    return TASK_LABELS[language][kind].format(quarter=numeral)


# --- the roles' tasks ------------------------------------------------------------------

_TERMS: dict[tuple[str, str], reads.CycleTerms] = {}
"""Cycle terms read so far, by database and cycle: a cycle's spec never changes once it
has started, and reading parts of twenty specs costs more than the rest of a list."""


def _cycle_terms(session: Session, cycle_ids: Iterable[str]) -> dict[str, reads.CycleTerms]:
    """The terms of the given cycles, read once per process."""
    database = str(session.get_bind().engine.url)
    wanted = sorted(set(cycle_ids))
    missing = [c for c in wanted if (database, c) not in _TERMS]
    if missing:
        if len(_TERMS) > 10_000:
            _TERMS.clear()  # a bound, for a process that outlives many databases (tests)
        for cycle_id, terms in reads.cycle_terms(session, cycle_ids=missing).items():
            _TERMS[(database, cycle_id)] = terms
    return {c: _TERMS[(database, c)] for c in wanted if (database, c) in _TERMS}


def _page(cycle_id: str, regency_code: str, anchor: str = "") -> str:
    return f"/cycles/{cycle_id}/commitments/{regency_code}/page{anchor}"


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def _clock(now: datetime, changes: Iterable[datetime]) -> datetime:
    """The moment deadlines are judged at: now, or the latest change recorded if later.

    The workflows' clock may run ahead of the wall clock (a time-skipping test, a demo),
    as `services.overdue` allows for too.
    """
    return max([now.astimezone(UTC), *changes])


@dataclass(frozen=True, slots=True)
class _Todo:
    """A task before it is made: cheap to sort, so only the ones shown become `Task`s."""

    order: tuple[bool, datetime, datetime, str, str, int]
    new: bool
    kind: TaskKind
    row: reads.TaskCommitment | reads.WaitingReport
    stage: str
    due_at: datetime | None
    overdue: bool
    since: datetime | None
    quarter: int | None
    anchor: str

    def task(self, terms: dict[str, reads.CycleTerms]) -> Task:
        """The task as the list shows it."""
        row = self.row
        cycle = terms.get(row.cycle_id)
        return Task(
            kind=self.kind,
            label={lang: task_label(self.kind, self.quarter, lang) for lang in ("id", "en")},
            commitment_id=row.id if isinstance(row, reads.TaskCommitment) else row.commitment_id,
            cycle_id=row.cycle_id,
            cycle_name=cycle.name if cycle else row.cycle_id,
            regency_code=row.regency_code,
            regency_name=row.regency_name,
            stage=self.stage,
            quarter=self.quarter,
            due_at=self.due_at,
            overdue_since=self.due_at if self.overdue else None,
            since=self.since,
            new=self.new,
            path=_page(row.cycle_id, row.regency_code, self.anchor),
        )


_FAR = datetime.max.replace(tzinfo=UTC)


class _Builder:
    """Makes one person's tasks at one moment, each stamped new or not."""

    def __init__(self, user: AuthUser, clock: datetime):
        self.seen = user.tasks_seen_at
        self.clock = clock

    def task(
        self,
        kind: TaskKind,
        row: reads.TaskCommitment | reads.WaitingReport,
        *,
        stage: str,
        due_at: datetime | None = None,
        since: datetime | None,
        quarter: int | None = None,
        anchor: str = "#actions",
    ) -> _Todo:
        overdue = due_at is not None and due_at <= self.clock
        # Overdue first, then by due date; undated work last, oldest first.
        order = (
            not overdue,
            due_at or _FAR,
            since or _FAR,
            row.cycle_id,
            row.regency_code,
            quarter or 0,
        )
        new = since is not None and (self.seen is None or since > self.seen)
        return _Todo(order, new, kind, row, stage, due_at, overdue, since, quarter, anchor)


def _officer_tasks(session: Session, user: AuthUser, now: datetime) -> TaskList:
    """Drafting (or revising), and each open quarter's report not in or returned."""
    rows = reads.task_commitments(
        session, stages=[Stage.DRAFTING, Stage.FOLLOW_UP], regency_code=user.regency_code
    )
    terms = _cycle_terms(session, {r.cycle_id for r in rows})
    clock = _clock(now, (r.updated_at for r in rows))
    build = _Builder(user, clock)
    tasks = []
    for row in rows:
        if row.stage == Stage.DRAFTING:
            kind = TaskKind.REVISE if row.round > 1 else TaskKind.DRAFT
            due = _when(row.deadlines.get(DeadlineKey.DRAFTING))
            tasks.append(build.task(kind, row, stage=row.stage, due_at=due, since=row.updated_at))
            continue
        opens = terms[row.cycle_id].report_opens if row.cycle_id in terms else []
        for quarter in _open_quarters(row, opens, clock):
            state = row.report_states.get(quarter)
            kind = TaskKind.FIX_REPORT if state == "returned" else TaskKind.REPORT
            opened = _when(opens[quarter - 1]) if quarter <= len(opens) else None
            since = max(row.updated_at, opened) if opened else row.updated_at
            due = _when(row.deadlines.get(f"q{quarter}"))
            tasks.append(
                build.task(kind, row, stage=row.stage, due_at=due, since=since, quarter=quarter)
            )
    return _bounded(tasks, terms)


def _open_quarters(
    row: reads.TaskCommitment, opens: list[str | None], clock: datetime
) -> list[int]:
    """The quarters whose report the officer can send now and has not (or had returned).

    A schedule without openings (older cycles, a compressed demo) takes any quarter's
    report at any time; only the earliest owed is asked for, not all four at once.
    """
    owed: list[int] = []
    for quarter in (1, 2, 3, 4):
        if row.report_states.get(quarter) not in (None, "returned"):
            continue
        lock = _when(row.deadlines.get(lock_key(quarter)))
        if lock is not None and lock <= clock:
            continue
        opened = _when(opens[quarter - 1]) if quarter <= len(opens) else None
        if opened is None:
            if not owed:
                owed.append(quarter)
        elif opened <= clock:
            owed.append(quarter)
    return owed


def _signatory_tasks(session: Session, user: AuthUser, now: datetime) -> TaskList:
    """Signing where the person's office has not signed and may sign now."""
    rows = reads.task_commitments(session, stages=[Stage.SIGNING], regency_code=user.regency_code)
    if not rows or user.office is None:
        return TaskList(tasks=[])
    terms = _cycle_terms(session, {r.cycle_id for r in rows})
    signed = reads.signed_offices(session, commitment_ids=[r.id for r in rows])
    build = _Builder(user, _clock(now, (r.updated_at for r in rows)))
    tasks = []
    for row in rows:
        cycle = terms.get(row.cycle_id)
        if cycle is None:
            continue
        refusal = signing_refusal(
            user.office,
            signatories=cycle.signatories,
            signed=signed.get(row.id, set()),
            ordered=cycle.ordered_signing,
        )
        if refusal is None:
            due = _when(row.deadlines.get(DeadlineKey.SIGNING))
            tasks.append(
                build.task(TaskKind.SIGN, row, stage=row.stage, due_at=due, since=row.updated_at)
            )
    return _bounded(tasks, terms)


def _reviewer_tasks(session: Session, user: AuthUser, now: datetime) -> TaskList:
    """Plans in review, and quarterly reports waiting for verification.

    A waiting report has no deadline, so every plan in review comes before it: only
    the reports that can still make the list are read, oldest first, the rest counted.
    """
    # Only what the reviewer reviews (`domain.roles.reviews`): the province's own plan is
    # its own reviewer's, the regencies' BPBD Provinsi's reviewers'.
    own = user.regency_code
    rows = reads.task_commitments(session, stages=[Stage.REVIEW], regency_code=own, reviewer=True)
    waiting = reads.waiting_reports(session, limit=max(0, LIMIT - len(rows)), reviewer_regency=own)
    waiting_total, waiting_new = reads.count_waiting_reports(
        session, since=user.tasks_seen_at, reviewer_regency=own
    )
    cycle_ids = {r.cycle_id for r in rows} | {w.cycle_id for w in waiting}
    terms = _cycle_terms(session, cycle_ids)
    build = _Builder(user, _clock(now, (r.updated_at for r in rows)))
    todos = [
        build.task(
            TaskKind.REVIEW,
            row,
            stage=row.stage,
            due_at=_when(row.deadlines.get(DeadlineKey.REVIEW)),
            since=row.updated_at,
        )
        for row in rows
    ]
    reviews_new = sum(t.new for t in todos)
    todos += [
        build.task(
            TaskKind.VERIFY_REPORT,
            report,
            stage=Stage.FOLLOW_UP,
            since=report.submitted_at,
            quarter=report.quarter,
            anchor=f"#review-q{report.quarter}",
        )
        for report in waiting
    ]
    listed = _bounded(todos, terms)
    return TaskList(
        tasks=listed.tasks,
        more=len(rows) + waiting_total - len(listed.tasks),
        unread=reviews_new + waiting_new,
    )


def _bounded(todos: list[_Todo], terms: dict[str, reads.CycleTerms]) -> TaskList:
    """The first `LIMIT` in order, made into tasks; the rest counted."""
    todos.sort(key=lambda todo: todo.order)
    return TaskList(
        tasks=[todo.task(terms) for todo in todos[:LIMIT]],
        more=max(0, len(todos) - LIMIT),
        unread=sum(todo.new for todo in todos),
    )


def _stuck(session: Session, user: AuthUser, now: datetime) -> TaskList:
    """For coordinators and managers: the longest-overdue obligations and on whom they wait.

    Read along the overdue index, so the first `LIMIT` cost the same however many
    commitments are overdue; the rest are counted, not read.
    """
    rows = reads.overdue_commitments(session, limit=LIMIT)
    terms = _cycle_terms(session, {r.cycle_id for r in rows})
    signing = [r.id for r in rows if r.stage == Stage.SIGNING]
    signed = reads.signed_offices(session, commitment_ids=signing)
    clock = _clock(now, (r.updated_at for r in rows))
    total, unread = reads.count_overdue(session, since=user.tasks_seen_at)
    seen = user.tasks_seen_at
    tasks: list[Task] = []
    for row in rows:
        stage = Stage(row.stage)
        locked = [
            q
            for q in (1, 2, 3, 4)
            if (lock := _when(row.deadlines.get(lock_key(q)))) is not None and lock <= clock
        ]
        for key in owed_deadlines(stage, row.report_states, locked):
            due = _when(row.deadlines.get(key))
            if due is None or due > clock:
                continue
            offices: tuple[str, ...] = ()
            if key is DeadlineKey.SIGNING and row.cycle_id in terms:
                done = signed.get(row.id, set())
                offices = tuple(o for o in terms[row.cycle_id].signatories if o not in done)
            kind = _OVERDUE_KINDS.get(key, TaskKind.OVERDUE_REPORT)
            cycle = terms.get(row.cycle_id)
            tasks.append(
                Task(
                    kind=kind,
                    label={lang: task_label(kind, key.quarter, lang) for lang in ("id", "en")},
                    commitment_id=row.id,
                    cycle_id=row.cycle_id,
                    cycle_name=cycle.name if cycle else row.cycle_id,
                    regency_code=row.regency_code,
                    regency_name=row.regency_name,
                    stage=row.stage,
                    quarter=key.quarter,
                    due_at=due,
                    overdue_since=due,
                    since=due,
                    new=seen is None or due > seen,
                    waiting_on=_WAITING_ON.get(key, Audience.REGENCY_OFFICER),
                    offices=offices,
                    path=_page(row.cycle_id, row.regency_code),
                )
            )
    # All overdue: the longest overdue first.
    tasks.sort(key=lambda t: (t.due_at or _FAR, t.cycle_id, t.regency_code, t.quarter or 0))
    return TaskList(tasks=tasks[:LIMIT], more=max(0, total - len(rows)), unread=unread)


# --- search ----------------------------------------------------------------------------

_CODE = re.compile(r"^\d{2}(\.\d{0,2})?$|^\d{4}$")


def search(session: Session, user: AuthUser, text: str) -> list[reads.FoundCommitment]:
    """Commitments of running cycles in the person's scope by regency name or code.

    A name matches anywhere in it, in any case ("kupang"); a code by its start, in
    Kemendagri form ("53.71", "53.7") or, whole, in BPS form ("5371").
    """
    text = " ".join(text.split())
    if not text:
        return []
    code = text if _CODE.match(text) else None
    if code is not None and "." not in code and len(code) == 4:
        try:
            code = load_catalog().get(code).kemendagri_code
        except UnknownRegency:
            code = None
    return reads.search_commitments(
        session,
        name=text,
        code_prefix=code,
        regency_code=bound_to(user.role, user.regency_code),
        limit=SEARCH_LIMIT,
    )


def running_cycles(session: Session) -> list[tuple[str, str, int]]:
    """(id, name, year) of the cycles that have not ended, newest first: the boards to visit."""
    return reads.running_cycle_names(session)
