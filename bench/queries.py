"""Benchmark 3: board, overdue list, rekap, recap and "Tugas saya" at 10,000 commitments.

The database is filled directly (SQLAlchemy core, many rows per statement) with a
mid-year snapshot of twenty 2026 cycles: 19 of 514 regencies (as many as Indonesia
has) and one of 234, so 10,000 commitments in every stage, about 20,000 plan
versions holding 100,000 action items over the strategic issues, and the quarterly
reports of the first two quarters. The items are those of a second year's plans:
three in four linked to outcomes (SPM, IKD, Sendai, Destana; an item_outcome row per
key, as recorded), a third with quarter targets, one in eight carried over; every
verified report names each item of the approved plan, with realised Rp. The snapshot
is taken on 25 July 2026: drafting, review and signing deadlines are past, the second
quarter's report is due but not locked, so 38% of the commitments are overdue.

Each read runs through the functions the app itself calls, in a fresh session per
run as a request would: the board's reads, `find_overdue` (a page of GET /overdue
across cycles: the first, one halfway down the list, one back from there and the
largest page; the first page of one cycle, as the manager page shows it, with and
without filters), the rekap export's reads and table, the province recap of both
sizes of cycle and one drill-down (`services.recap`, as a manager), and the task list
(GET /me/tasks and the home page, rendered) of one reviewer who reviews and verifies
every regency, with the unread count every page's header shows. The statements each
one sends are captured and explained (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
PostgreSQL), so the JSON shows which index every statement uses.

    .venv/bin/python -m bench.queries            # 10,000 commitments, 200 runs each
    .venv/bin/python -m bench.queries --quick    # 1,000 commitments, 30 runs each
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session

from api.pages import i18n
from api.pages.base import TEMPLATES
from bench.common import national_catalog, percentile, write_result
from db import models as m
from db import reads as db_reads
from db import standing
from db.session import engine_for, session_factory
from domain.catalog import Regency, load_catalog
from domain.commitment import DeadlineKey, lock_key, report_key
from domain.outcomes import Outcomes, references
from domain.plan import BudgetSource, Partner, Phase, StrategicIssue
from domain.reports import ProgressStatus, ReportState, Timeliness
from domain.roles import Acting, Actor, Role
from domain.schedule import default_schedule
from domain.stages import Stage
from services.access import AuthUser
from services.actions import build_cycle_spec
from services.exports import rekap_table
from services.overdue import DEFAULT_PAGE, MAX_PAGE, Cursor, find_overdue
from services.recap import Drill, Figure, Kind, Recap, province_recap, recap_detail
from services.tasks import running_cycles, tasks_for, unread_count
from tests.databases import database

TARGET_P95_MS = 50.0
CYCLE_SIZE = 514
YEAR = 2026
SNAPSHOT = datetime(2026, 7, 25, 1, 0, tzinfo=UTC)  # 09:00 WITA, Q2 due, not yet locked
MANAGER = AuthUser(
    id=0,
    username="manajer",
    full_name="Manajer Bench",
    role=Role.MANAGER,
    regency_code=None,
    office=None,
    acting=Acting.DEFINITIVE,
    nip=None,
)
REVIEWER = AuthUser(
    id=0,
    username="reviewer",
    full_name="Reviewer Bench",
    role=Role.REVIEWER,
    regency_code=None,
    office=None,
    acting=Acting.DEFINITIVE,
    nip=None,
    tasks_seen_at=SNAPSHOT - timedelta(days=30),
)
"""The one reviewer of every commitment: every plan in review, every report waiting."""
# Stages of a mid-year snapshot and how often each occurs.
STAGE_WEIGHTS = {
    Stage.DRAFTING: 5,
    Stage.REVIEW: 3,
    Stage.SIGNING: 4,
    Stage.FOLLOW_UP: 84,
    Stage.WITHDRAWN: 3,
    Stage.CANCELLED: 1,
}


@dataclass(frozen=True)
class Sizes:
    """How much data to generate and how often to run each read."""

    commitments: int
    items: int
    runs: int


# Shares of items using the current format's fields: most plans link their items to the
# outcomes the province answers for; a second year's plan carries a few items over.
LINKED_SHARE = 0.75
QUARTER_TARGETS_SHARE = 0.35
CARRIED_SHARE = 0.12
CENT = Decimal("0.01")
ISSUE_OUTCOMES: dict[str, tuple[str, ...]] = {
    StrategicIssue.SPM_REPORTING.value: ("spm", "sendai"),
    StrategicIssue.IKD_MEASUREMENT.value: ("ikd", "sendai"),
    StrategicIssue.DISASTER_DATA.value: ("sendai", "ikd"),
    StrategicIssue.DESTANA.value: ("destana", "ikd", "sendai"),
    StrategicIssue.INCLUSIVE_DM.value: ("ikd", "sendai"),
    StrategicIssue.PENTAHELIX.value: ("ikd",),
    StrategicIssue.OTHER.value: ("sendai", "ikd", "spm"),
}
"""The kinds of outcome an item of each strategic issue links to, likeliest first."""

FULL = Sizes(commitments=10_000, items=100_000, runs=200)
QUICK = Sizes(commitments=1_000, items=10_000, runs=30)


def regencies(count: int) -> list[Regency]:
    """NTT's 22 regencies (so lookups in the packaged catalog work), then synthetic ones."""
    ntt = list(load_catalog().regencies)
    return ntt + list(national_catalog(count - len(ntt)).regencies)


class Generator:
    """Rows of a realistic mid-year database, made in memory and inserted in bulk."""

    def __init__(self, sizes: Sizes, seed: int = 5) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.regencies = regencies(CYCLE_SIZE)
        coordinator = Actor(name="Koordinator Bench", role=Role.COORDINATOR)
        self.spec = build_cycle_spec(
            cycle_id="bench-01",
            name="Bench",
            year=YEAR,
            catalog=load_catalog(),
            schedule=default_schedule(YEAR),
            started_by=coordinator,
        )
        schedule = self.spec.schedule
        self.deadlines: dict[str, datetime] = {
            DeadlineKey.DRAFTING.value: schedule.drafting_due,
            DeadlineKey.SIGNING.value: schedule.signing_due,
        }
        for q in schedule.quarters:
            self.deadlines[report_key(q.quarter).value] = q.report_due
            self.deadlines[lock_key(q.quarter).value] = q.lock
        # The outcome links, planning fields and report realisation come from a stream of
        # their own, so every row the older reads use is drawn exactly as before them.
        self.extra = random.Random(seed + 1)
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.approved: dict[str, list[dict[str, Any]]] = {}
        """The items of each commitment's latest version (approved, in follow-up)."""
        self.cycle_ids: list[str] = []
        self.version_counts: list[tuple[str, int]] = []
        self.cycle_sizes: dict[str, int] = {}
        self.latest_issues: dict[str, set[str]] = defaultdict(set)

    def build(self) -> None:
        """Make every row: cycles, commitments, versions, items and reports."""
        remaining, number = self.sizes.commitments, 0
        while remaining > 0:
            number += 1
            size = min(CYCLE_SIZE, remaining)
            remaining -= size
            cycle_id = f"bench-{number:02d}"
            self.cycle_ids.append(cycle_id)
            self.cycle_sizes[cycle_id] = size
            self._cycle(cycle_id, self.regencies[:size])
            for regency in self.regencies[:size]:
                self._commitment(cycle_id, regency.kemendagri_code, regency.name)
        self._versions()
        self._realisation()

    def _cycle(self, cycle_id: str, taking_part: list[Regency]) -> None:
        spec = self.spec.model_dump(mode="json")
        spec["cycle_id"] = cycle_id
        spec["regencies"] = [{"code": r.kemendagri_code, "name": r.name} for r in taking_part]
        self.rows["cycle"].append(
            {
                "id": cycle_id,
                "name": f"Rakor Bench {cycle_id}",
                "year": YEAR,
                "status": "running",
                "spec": spec,
                "started_by": "Koordinator Bench",
                "started_at": datetime(2026, 1, 5, 1, 0, tzinfo=UTC),
                "ended_at": None,
            }
        )

    def _commitment(self, cycle_id: str, code: str, name: str) -> None:
        """Add one commitment and its reports; its versions come later."""
        rng = self.rng
        stage = rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()))[0]
        versions = rng.randint(0 if stage in (Stage.DRAFTING, Stage.WITHDRAWN) else 1, 3)
        deadlines = dict(self.deadlines)
        overdue_since: datetime | None = None
        next_due: datetime | None = None
        cid = f"{cycle_id}:{code}"
        if stage == Stage.DRAFTING:
            overdue_since = next_due = deadlines["drafting"]
        elif stage == Stage.REVIEW:
            review_due = datetime(2026, 2, rng.randint(1, 27), 15, 59, tzinfo=UTC)
            deadlines[DeadlineKey.REVIEW.value] = review_due
            overdue_since = next_due = review_due
        elif stage == Stage.SIGNING:
            overdue_since = next_due = deadlines["signing"]
        elif stage == Stage.FOLLOW_UP:
            overdue_since = self._reports(cid)
            next_due = overdue_since or deadlines["q3"]
        self.rows["commitment"].append(
            {
                "id": cid,
                "cycle_id": cycle_id,
                "regency_code": code,
                "regency_name": name,
                "stage": stage.value,
                "round": 1 + (versions > 1 and rng.random() < 0.5),
                "latest_version": versions,
                "approved_version": versions if stage == Stage.FOLLOW_UP else None,
                "document_hash": f"{rng.getrandbits(256):064x}"
                if stage == Stage.FOLLOW_UP
                else None,
                "next_due_at": next_due,
                "overdue_since": overdue_since,
                "deadlines": {k: v.isoformat() for k, v in deadlines.items()},
                "last_seq": 4 + versions * 2,
                "updated_at": SNAPSHOT - timedelta(hours=rng.randint(1, 2000)),
            }
        )
        self.version_counts.append((cid, versions))

    def _reports(self, cid: str) -> datetime | None:
        """Reports of the locked first quarter and the due second; when it went overdue."""
        rng = self.rng
        for quarter in (1, 2):
            due = self.deadlines[f"q{quarter}"]
            if rng.random() < (0.9 if quarter == 1 else 0.75):
                state = rng.choices(
                    [ReportState.VERIFIED, ReportState.SUBMITTED, ReportState.RETURNED],
                    weights=[70, 22, 8],
                )[0]
                submitted = due - timedelta(days=rng.randint(-8, 12))
                timeliness = Timeliness.ON_TIME if submitted <= due else Timeliness.LATE
            elif quarter == 1:
                state, submitted, timeliness = ReportState.MISSING, None, Timeliness.MISSING
            else:
                return due
            self.rows["quarterly_report"].append(
                {
                    "commitment_id": cid,
                    "quarter": quarter,
                    "state": state.value,
                    "timeliness": timeliness.value,
                    "items": [
                        {
                            "item_position": p,
                            "status": rng.choice(list(ProgressStatus)).value,
                            "percent_realised": str(Decimal(rng.randint(0, 10000)) / 100),
                            "narrative": "Kegiatan berjalan sesuai rencana triwulan.",
                        }
                        for p in range(1, rng.randint(2, 5))
                    ]
                    if submitted
                    else [],
                    "submitted_by": "Operator Bench" if submitted else None,
                    "submitted_at": submitted,
                    "verified_by": "Reviewer Bench" if state == ReportState.VERIFIED else None,
                    "verified_at": submitted + timedelta(days=3)
                    if submitted and state == ReportState.VERIFIED
                    else None,
                    "return_reason": "Lengkapi data dukung."
                    if state == ReportState.RETURNED
                    else None,
                }
            )
            if state == ReportState.RETURNED and quarter == 2:
                return due
        return None

    def _versions(self) -> None:
        """Plan versions of every commitment, the items spread evenly over them."""
        rng = self.rng
        total = sum(n for _, n in self.version_counts)
        base, extra = divmod(self.sizes.items, total)
        version_id = item_id = 0
        issues, phases = list(StrategicIssue), list(Phase)
        outcome_id = 0
        bps = {r.kemendagri_code: r.bps_code for r in self.regencies}
        for cid, count in self.version_counts:
            party_bps = bps[cid.split(":", 1)[1]]
            for number in range(1, count + 1):
                version_id += 1
                self.rows["plan_version"].append(
                    {
                        "id": version_id,
                        "commitment_id": cid,
                        "number": number,
                        "round": 1,
                        "saved_by": "Operator Bench",
                        "saved_at": datetime(2026, 1, 6, 2, 0, tzinfo=UTC) + timedelta(days=number),
                    }
                )
                for position in range(1, base + (version_id <= extra) + 1):
                    item_id += 1
                    issue = rng.choice(issues)
                    if number == count:
                        self.latest_issues[cid].add(issue.value)
                    item: dict[str, Any] = {
                        "id": item_id,
                        "version_id": version_id,
                        "position": position,
                        "strategic_issue": issue.value,
                        "phase": rng.choice(phases).value,
                        "activity": f"Aksi {position}: penguatan {issue.value}",
                        "indicator": "Persentase capaian indikator SPM sub-urusan bencana",
                        "target_value": Decimal(rng.randint(1, 100)),
                        "target_unit": "persen",
                        "due_quarters": sorted(rng.sample([1, 2, 3, 4], rng.randint(1, 4))),
                        "responsible_unit": "Bidang Pencegahan dan Kesiapsiagaan",
                        "partners": [p.value for p in rng.sample(list(Partner), 2)],
                        "budget_rp": Decimal(rng.randint(10, 900) * 1_000_000),
                        "budget_source": rng.choice(list(BudgetSource)).value,
                        "location": "Seluruh kecamatan",
                    }
                    outcomes = self._format_3(item, party_bps)
                    for kind, code in outcomes.keys():
                        outcome_id += 1
                        self.rows["item_outcome"].append(
                            {"id": outcome_id, "item_id": item_id, "kind": kind, "code": code}
                        )
                    self.rows["action_item"].append(item)
                    if number == count:
                        self.approved.setdefault(cid, []).append(item)

    def _format_3(self, item: dict[str, Any], party_bps: str) -> Outcomes:
        """Give an item the fields of the current format as a second-year plan has them;
        return its outcome links (the item_outcome rows are their keys, as recorded)."""
        rng = self.extra
        links: dict[str, list[Any]] = {}
        if rng.random() < LINKED_SHARE:
            for kind in ISSUE_OUTCOMES[item["strategic_issue"]]:
                if not links or rng.random() < 0.5:
                    links[kind] = self._links(kind, party_bps)
        outcomes = Outcomes.model_validate(links)
        target: Decimal = item["target_value"]
        targets: list[str | None] | None = None
        if rng.random() < QUARTER_TARGETS_SHARE:
            # Cumulative, the last at the full target; a quarter before work starts has none.
            start = rng.randint(0, 2)
            shares = sorted(rng.random() for _ in range(3 - start)) + [1.0]
            values = [(target * Decimal(f"{x:.2f}")).quantize(CENT) for x in shares]
            targets = [None] * start + [str(v) for v in values]
        carried = None
        if rng.random() < CARRIED_SHARE:
            carried = {
                "cycle_id": f"bench-{YEAR - 1}",
                "position": rng.randint(1, 8),
                "realised_percent": str(Decimal(rng.randint(0, 9999)) / 100),
            }
        item["outcomes"] = None if outcomes.empty else outcomes.model_dump(mode="json")
        item["baseline"] = Decimal(rng.randint(0, 40)) if rng.random() < 0.3 else None
        item["quarter_targets"] = targets
        item["carried_from"] = carried
        return outcomes

    def _links(self, kind: str, party_bps: str) -> list[Any]:
        """One to three links of one kind of outcome, as the editor writes them."""
        rng = self.extra
        refs = references()
        if kind == "spm":
            return [
                {"service": s, "sipd_code": f"1.05.03.2.{rng.randint(1, 9):02d}"}
                for s in rng.sample(sorted(refs.spm), rng.randint(1, 2))
            ]
        if kind == "ikd":
            # Each IKD indicator measures one priority: the 71 are split among the seven
            # here in runs of about ten, so an item names an indicator of its priority.
            count, priorities = refs.ikd_indicator_count, len(refs.ikd)
            return [
                {
                    "priority": p,
                    "indicator": rng.randint(
                        (p - 1) * count // priorities + 1, p * count // priorities
                    )
                    if rng.random() < 0.6
                    else None,
                }
                for p in rng.sample(sorted(refs.ikd), rng.randint(1, 2))
            ]
        if kind == "sendai":
            return rng.sample(sorted(refs.sendai), rng.randint(1, 2))
        return [  # Destana: villages of the party's own regency
            {
                "village_code": f"{party_bps}{rng.randint(10, 250):03d}{n:03d}",
                "level": rng.choice(sorted(refs.destana_levels)),
                "scheme": "perka_1_2012",
            }
            for n in range(1, rng.randint(2, 4))
        ]

    def _realisation(self) -> None:
        """Every report's items as recorded now (`ItemProgress.model_dump`): realised Rp,
        obstacles and follow-up of unfinished items, evidence files; and every approved
        item in a verified report.

        Each report drawn before keeps its entries; a verified one also names the rest of
        the approved plan's items, as the report form lists them all, each realised at a
        pace of its own, so the second quarter is never below the first.
        """
        rng = self.extra
        pace: dict[tuple[str, int], int] = {}
        for report in self.rows["quarterly_report"]:
            cid, quarter = report["commitment_id"], report["quarter"]
            plan = {item["position"]: item for item in self.approved.get(cid, [])}
            entries = report["items"]
            if report["state"] == ReportState.VERIFIED.value:
                named = {entry["item_position"] for entry in entries}
                for position in sorted(plan.keys() - named):
                    speed = pace.setdefault((cid, position), rng.randint(5, 70))
                    entries.append(
                        {
                            "item_position": position,
                            "status": rng.choice(list(ProgressStatus)).value,
                            "percent_realised": str(Decimal(min(100, speed * quarter))),
                            "narrative": "Kegiatan berjalan sesuai rencana triwulan.",
                        }
                    )
            for entry in entries:
                item = plan.get(entry["item_position"])
                unfinished = Decimal(entry["percent_realised"]) < 100
                entry["obstacles"] = "Cuaca dan akses jalan ke lokasi." if unfinished else ""
                entry["follow_up"] = "Dilanjutkan triwulan berikutnya." if unfinished else ""
                entry["evidence"] = []
                entry["files"] = [f"{rng.getrandbits(256):064x}" for _ in range(rng.randint(0, 2))]
                if item is None or rng.random() < 0.1:  # some report no realised budget
                    entry["realised_rp"] = None
                    continue
                spent = Decimal(entry["percent_realised"]) * Decimal(rng.randint(50, 100)) / 10_000
                entry["realised_rp"] = str((item["budget_rp"] * spent).quantize(CENT))

    def halfway(self) -> tuple[datetime, str]:
        """The commitment halfway down the overdue list across cycles: when, and its id."""
        overdue = sorted(
            (row["overdue_since"], row["id"])
            for row in self.rows["commitment"]
            if row["overdue_since"] is not None
        )
        return overdue[len(overdue) // 2]

    def overdue_report(self, cycle_id: str, issue: StrategicIssue) -> str:
        """An NTT regency of the cycle late with its Q2 report and planning for `issue`."""
        ntt = set(load_catalog().codes())
        q2 = self.deadlines[report_key(2).value]
        return next(
            str(row["regency_code"])
            for row in self.rows["commitment"]
            if row["cycle_id"] == cycle_id
            and row["regency_code"] in ntt
            and row["overdue_since"] == q2
            and issue.value in self.latest_issues[row["id"]]
        )

    def insert(self, engine: Engine) -> dict[str, int]:
        """Insert every row in bulk, parents first; return the row count per table."""
        tables = (
            "cycle",
            "commitment",
            "plan_version",
            "action_item",
            "item_outcome",
            "quarterly_report",
        )
        with engine.begin() as conn:
            for name in tables:
                rows = self.rows[name]
                for start in range(0, len(rows), 5000):
                    conn.execute(m.Base.metadata.tables[name].insert(), rows[start : start + 5000])
            if engine.dialect.name == "postgresql":
                # Explicit ids leave the sequences behind; keep the database usable afterwards.
                for name in ("plan_version", "action_item", "item_outcome", "quarterly_report"):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )
        # What the recap sums is derived from the plans and reports as the app derives it
        # when it records them (db.standing).
        with Session(engine) as session, session.begin():
            counts = {"item_standing": standing.refresh_all(session)}
        if engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load; SQLite is left as the app leaves it.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
        return {name: len(self.rows[name]) for name in tables} | counts


# --- the reads --------------------------------------------------------------------------


Read = Callable[[Session], object]


def board(cycle_id: str) -> Read:
    """What the board page reads: the cycles' links, the cycle's head, its board lines."""

    def run(session: Session) -> object:
        links = db_reads.cycle_titles(session)
        cycle = db_reads.cycle_head(session, cycle_id=cycle_id)
        assert cycle is not None and any(link.id == cycle_id for link in links)
        recorded = {r.regency_code: r for r in db_reads.board_lines(session, cycle_id=cycle_id)}
        return [(ref["code"], recorded.get(ref["code"])) for ref in cycle.regencies]

    return run


def overdue(**filters: Any) -> Read:
    """A page of the overdue list as GET /overdue and the manager page read it."""

    def run(session: Session) -> object:
        return find_overdue(session, MANAGER, at=SNAPSHOT, **filters).entries

    return run


def my_tasks(user: AuthUser) -> Read:
    """GET /me/tasks: the person's tasks across every open cycle."""

    def run(session: Session) -> object:
        return tasks_for(session, user, SNAPSHOT).tasks

    return run


def inbox(user: AuthUser) -> Read:
    """The home page ("Tugas saya"): the tasks, the running cycles, the page rendered.

    Its one write, noting that the list was seen, is left out: a read is measured.
    """
    template = TEMPLATES.get_template("pages/tasks.html")

    def run(session: Session) -> object:
        listed = tasks_for(session, user, SNAPSHOT)
        running = running_cycles(session)
        template.render(
            lang="id",
            t=i18n.TEXT["id"],
            path="/",
            user=user,
            csrf="",
            listed=listed,
            running=running,
            no_cycles=False,
            query="",
            unread=0,
        )
        return listed.tasks

    return run


def header_count(user: AuthUser) -> Read:
    """The unread count every page's header shows the signed-in person."""

    def run(session: Session) -> object:
        return [unread_count(session, user)]

    return run


def rekap(cycle_id: str, regencies: dict[str, Regency]) -> Read:
    """The quarterly rekap export's reads and table (the file encoding left out)."""

    def run(session: Session) -> object:
        rows = db_reads.list_commitments(session, cycle_id=cycle_id)
        reports = db_reads.reports_by_commitment(session, cycle_id=cycle_id)
        return rekap_table(
            [(row, regencies[row.regency_code], reports.get(row.id, [])) for row in rows]
        )

    return run


def recap(cycle_id: str, quarter: int) -> Read:
    """The province recap of a cycle at a quarter, as the manager sees it (every party)."""

    def run(session: Session) -> object:
        return province_recap(session, MANAGER, cycle_id, quarter)

    return run


def drill(cycle_id: str, quarter: int, kind: Kind, code: str, figure: Figure) -> Read:
    """One figure of the recap drilled down to its parties and items."""

    def run(session: Session) -> object:
        return recap_detail(session, MANAGER, cycle_id, quarter, kind, code, figure=figure)

    return run


def reads(generator: Generator) -> dict[str, Read]:
    """Every read measured, by name: the largest cycle's unless it says all cycles."""
    big, small = generator.cycle_ids[0], generator.cycle_ids[-1]
    catalog = {r.kemendagri_code: r for r in generator.regencies}
    issue = StrategicIssue.SPM_REPORTING
    regency = generator.overdue_report(big, issue)
    since, key = generator.halfway()
    return {
        f"board ({CYCLE_SIZE} regencies)": board(big),
        f"board ({generator.cycle_sizes[small]} regencies)": board(small),
        # GET /overdue across cycles, a page as a client reads it: the first, one deep in
        # the list (amid thousands overdue at the same deadline), the one before it going
        # back, and the largest a client may ask for.
        "overdue, all cycles": overdue(limit=DEFAULT_PAGE),
        "overdue, all cycles, issue": overdue(
            strategic_issue=StrategicIssue.DESTANA, limit=DEFAULT_PAGE
        ),
        "overdue, all cycles, halfway": overdue(cursor=Cursor(since, key), limit=DEFAULT_PAGE),
        "overdue, all cycles, page back": overdue(
            cursor=Cursor(since, key, backward=True), limit=DEFAULT_PAGE
        ),
        f"overdue, all cycles, limit {MAX_PAGE}": overdue(limit=MAX_PAGE),
        # The manager page: the first page of one cycle.
        "overdue, one cycle": overdue(cycle_id=big, limit=DEFAULT_PAGE),
        "overdue, one cycle, issue": overdue(
            cycle_id=big, strategic_issue=StrategicIssue.IKD_MEASUREMENT, limit=DEFAULT_PAGE
        ),
        "overdue, one cycle, stage": overdue(cycle_id=big, stage=Stage.SIGNING, limit=DEFAULT_PAGE),
        "overdue, one cycle, regency": overdue(cycle_id=big, regency=regency, limit=DEFAULT_PAGE),
        "overdue, one cycle, quarter": overdue(cycle_id=big, quarter=2, limit=DEFAULT_PAGE),
        "overdue, every filter": overdue(
            cycle_id=big,
            regency=regency,
            stage=Stage.FOLLOW_UP,
            strategic_issue=issue,
            quarter=2,
            limit=DEFAULT_PAGE,
        ),
        f"rekap ({CYCLE_SIZE} regencies)": rekap(big, catalog),
        # The province recap at the second quarter (its report due, not yet locked), as the
        # manager sees it; a drill-down behind one IKD priority's figure; the smaller cycle.
        f"recap ({CYCLE_SIZE} regencies), Q2": recap(big, 2),
        "recap detail, IKD priority 3 behind": drill(big, 2, Kind.IKD, "3", Figure.BEHIND),
        f"recap ({generator.cycle_sizes[small]} regencies), Q2": recap(small, 2),
        # The reviewer's own work over every cycle, as JSON and as the home page, and the
        # unread count in the header of every other page.
        "me/tasks, reviewer": my_tasks(REVIEWER),
        "me/tasks, manager": my_tasks(MANAGER),
        "inbox page, reviewer": inbox(REVIEWER),
        "inbox header count, reviewer": header_count(REVIEWER),
    }


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements and parameters the engine sends while the block runs."""
    statements: list[tuple[str, Any]] = []

    def note(_conn: Connection, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


_INDEX = re.compile(
    r"USING (?:COVERING )?INDEX (\w+)|(?:Index|Index Only|Bitmap Index) Scan "
    r"(?:Backward )?(?:using|on) (\w+)"
)
_SCAN = re.compile(r"^\W*SCAN (\w+)$|Seq Scan on (\w+)")


def _index_columns(cursor: Any, dialect: str, name: str) -> str:
    """An index's columns and, for a partial one, its condition: "(cycle_id, stage) WHERE ..."."""
    if dialect == "postgresql":
        # This schema's only: tests on the same server create and drop schemas holding
        # indexes of the same names, and reading the definition of one being dropped fails.
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexname = %s",
            (name,),
        )
        row = cursor.fetchone()
        return str(row[0]).split(" USING btree ", 1)[-1] if row else ""
    # SQLite names the indexes behind unique constraints sqlite_autoindex_<table>_<n>.
    columns = ", ".join(row[2] for row in cursor.execute(f"PRAGMA index_info('{name}')"))
    sql = cursor.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    where = str(sql[0]).split(" WHERE ", 1)[1] if sql and sql[0] and " WHERE " in sql[0] else ""
    return f"({columns})" + (f" WHERE {where}" if where else "")


def explain(engine: Engine, statement: str, parameters: Any) -> dict[str, Any]:
    """One statement's plan, the indexes it uses and the tables it scans whole, and its time.

    The time is the statement alone through the database driver (execute and fetch,
    median of five), so the rest of a read's time is SQLAlchemy and Python.
    """
    dialect = engine.dialect.name
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        cursor.execute(prefix + statement, parameters)
        lines = [str(row[-1]) for row in cursor.fetchall()]
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            cursor.execute(statement, parameters)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
        names = sorted({a or b for line in lines for a, b in _INDEX.findall(line)})
        indexes = {name: _index_columns(cursor, dialect, name) for name in names}
        conn.rollback()
    scans = sorted({a or b for line in lines for a, b in _SCAN.findall(line.strip())})
    return {
        "sql": " ".join(statement.split())[:300],
        # Long IN lists of ids make plan lines unreadable; their start says enough.
        "plan": [line if len(line) < 300 else line[:300] + " ..." for line in lines],
        "indexes": indexes,
        "full_scans": scans,
        "driver_ms": round(statistics.median(timings), 2),
    }


def _size(result: object) -> int:
    """The entries a read returns; for the recap, the items it counts."""
    if isinstance(result, Recap):
        return result.section(Kind.ISSUE_PHASE).total.figures.items
    if isinstance(result, Drill):
        return len(result.items)
    return len(result) if isinstance(result, list) else len(getattr(result, "rows", []))


def measure(url: str, named: dict[str, Read], runs: int, kind: str) -> dict[str, Any]:
    """p50/p95 of `runs` runs of every read, each in a fresh session, and the plans used.

    The reads take turns, run by run, so a burst of load on a shared machine falls
    on all of them alike instead of on whichever read happened to be running.
    """
    factory = session_factory(url)
    engine = engine_for(url)
    plans: dict[str, list[dict[str, Any]]] = {}
    sizes: dict[str, int] = {}
    for name, read in named.items():
        with factory() as session:
            read(session)  # warm the connection pool and the statement cache
        with captured(engine) as statements, factory() as session:
            sizes[name] = _size(read(session))
        plans[name] = [explain(engine, s, p) for s, p in statements]
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for name, read in named.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            with factory() as session:
                read(session)
            wall[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - cpu_started) * 1000)
    results = {}
    for name in named:
        p95 = percentile(wall[name], 95)
        results[name] = {
            "p50_ms": round(percentile(wall[name], 50), 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(max(wall[name]), 2),
            "cpu_p50_ms": round(percentile(cpu[name], 50), 2),
            "cpu_p95_ms": round(percentile(cpu[name], 95), 2),
            "sql_ms": round(sum(p["driver_ms"] for p in plans[name]), 2),
            "runs": runs,
            "rows": sizes[name],
            "statements": len(plans[name]),
            "pass": p95 < TARGET_P95_MS,
            "plans": plans[name],
        }
        r = results[name]
        print(
            f"  {kind:8} {name:30} p50 {r['p50_ms']:7.2f}  p95 {r['p95_ms']:7.2f}  "
            f"cpu {r['cpu_p50_ms']:6.2f}  sql {r['sql_ms']:6.2f} ms  "
            f"({r['rows']} rows, {r['statements']} statements)",
            flush=True,
        )
    return results


def bench_database(kind: str, sizes: Sizes, folder: Path) -> dict[str, Any]:
    """Fill one database and measure every read on it."""
    generator = Generator(sizes)
    generator.build()
    with database(kind, folder) as url:
        started = time.perf_counter()
        counts = generator.insert(engine_for(url))
        load_seconds = time.perf_counter() - started
        named = reads(generator)
        # The app freezes what is alive when it starts serving (api/app.py); the
        # generated rows must go first, or every full collection would scan them.
        generator.rows.clear()
        gc.collect()
        gc.freeze()
        results = measure(url, named, sizes.runs, kind)
        engine_for(url).dispose()
    return {"rows": counts, "load_seconds": round(load_seconds, 2), "reads": results}


# The table in the README shows the worst p95 of each kind of read over both databases.
GROUPS = {
    "board": "board",
    "overdue, one cycle": "overdue_one_cycle",
    "overdue, every filter": "overdue_one_cycle",
    "overdue, all cycles": "overdue_all_cycles",
    "rekap": "rekap",
    "recap detail": "recap_detail",
    "recap": "recap",
    "me/tasks": "me_tasks",
    "inbox": "inbox",
}


def worst_p95(databases: dict[str, Any]) -> dict[str, float]:
    """The worst p95 (ms) of each group of reads over both databases."""
    worst: dict[str, float] = defaultdict(float)
    for db in databases.values():
        for name, read in db["reads"].items():
            group = next(g for prefix, g in GROUPS.items() if name.startswith(prefix))
            worst[f"{group}_p95_ms"] = max(worst[f"{group}_p95_ms"], read["p95_ms"])
    return dict(worst)


def main() -> int:
    """Run on SQLite and PostgreSQL, write bench/results/queries.json; 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1,000 commitments, 30 runs; writes no result"
    )
    parser.add_argument("--runs", type=int, help="runs of each read (default 200, quick 30)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.runs:
        sizes = Sizes(sizes.commitments, sizes.items, args.runs)
    load_before = os.getloadavg()
    databases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="komitmen-bench-") as folder:
        for kind in ("sqlite", "postgres"):
            databases[kind] = bench_database(kind, sizes, Path(folder))
    figures = worst_p95(databases)
    targets = {
        key: {"target": f"< {TARGET_P95_MS:g} ms", "pass": value < TARGET_P95_MS}
        for key, value in figures.items()
    }
    if not args.quick:
        write_result(
            "queries",
            {
                "sizes": {
                    "commitments": sizes.commitments,
                    "action_items": sizes.items,
                    "runs": sizes.runs,
                    "largest_cycle": CYCLE_SIZE,
                },
                "figures": figures,
                "targets": targets,
                "load_average": {"before": load_before, "after": os.getloadavg()},
                "databases": databases,
            },
        )
    print(
        f"queries: {sizes.commitments} commitments, {sizes.items} items; worst p95 "
        + ", ".join(
            f"{key.removesuffix('_p95_ms')} {value:.1f} ms"
            + ("" if targets[key]["pass"] else " (missed)")
            for key, value in figures.items()
        )
        + f"; target < {TARGET_P95_MS:g} ms"
    )
    return 0 if all(t["pass"] for t in targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
