"""The recap's derived rows: item_standing (each counted item at the end of each quarter,
`domain.standing`) and recap_part (those summed per party and recap group), kept in step
with the plans and reports they derive from.

`refresh` rewrites the rows of the commitments named: rows for the approved version of a
commitment the recap counts (follow-up or completed), none otherwise.
`db.records.record_event` calls it in the same transaction as every change that can move
them (a commitment entering or leaving the counted stages; a verified report coming,
going or changing), so a recap never reads rows older than the records. It is
idempotent; `refresh_all` rebuilds every commitment (the migration that adds the tables).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from db import models as m
from domain.reports import ReportState
from domain.stages import Stage
from domain.standing import (
    DONE_HUNDREDTHS,
    QUARTERS,
    PlannedItem,
    hundredths,
    memberships,
    standings,
)

BATCH = 500
"""Commitments refreshed per round of statements (each names their ids)."""
COUNTED_STAGES = (Stage.FOLLOW_UP.value, Stage.COMPLETED.value)
"""The stages of the commitments whose signed plan the recap counts."""
SUMMED = ("budget_cents", "realised_cents", "percent_hundredths")


def refresh(session: Session, commitment_ids: Iterable[str]) -> int:
    """Rewrite the recap rows of the commitments; the number of item rows written."""
    ids = list(dict.fromkeys(commitment_ids))
    written = 0
    for start in range(0, len(ids), BATCH):
        written += _refresh_batch(session, ids[start : start + BATCH])
    return written


def refresh_all(session: Session) -> int:
    """Rewrite the recap rows of every commitment with an approved plan."""
    ids = session.scalars(
        select(m.Commitment.id).where(m.Commitment.approved_version.is_not(None))
    ).all()
    return refresh(session, ids)


def _table(model: type[m.Base]) -> Table:
    return m.Base.metadata.tables[model.__tablename__]


# Statements built once and run through the connection: the refresh runs inside the
# recording of a change (`record_event`), where the ORM's handling of each statement
# cost more than SQLite took to run it (bench/lifecycle.py).
_COMMITMENT, _VERSION = _table(m.Commitment), _table(m.PlanVersion)
_ITEM, _OUTCOME = _table(m.ActionItem), _table(m.ItemOutcome)
_REPORT = _table(m.QuarterlyReport)
_STANDING, _PART = _table(m.ItemStanding), _table(m.RecapPart)
_COMMITMENTS = (
    select(
        _COMMITMENT.c.id,
        _COMMITMENT.c.cycle_id,
        _COMMITMENT.c.regency_code,
        _COMMITMENT.c.stage,
        _VERSION.c.id.label("version_id"),
    )
    .outerjoin(
        _VERSION,
        (_VERSION.c.commitment_id == _COMMITMENT.c.id)
        & (_VERSION.c.number == _COMMITMENT.c.approved_version),
    )
    .where(_COMMITMENT.c.id.in_(bindparam("ids", expanding=True)))
)
_DELETE_STANDING = delete(_STANDING).where(
    _STANDING.c.cycle_id == bindparam("cycle"),
    _STANDING.c.quarter == bindparam("quarter"),
    _STANDING.c.party == bindparam("party"),
)
_DELETE_PARTS = delete(_PART).where(
    _PART.c.cycle_id == bindparam("cycle"), _PART.c.party == bindparam("party")
)
_VERSIONS: BindParameter[Any] = bindparam("versions", expanding=True)
# Columns only, not ORM objects: the migration that adds the tables runs this against
# the schema of its day, which a later column must not break.
_ITEMS = select(
    _ITEM.c.id,
    _ITEM.c.version_id,
    _ITEM.c.position,
    _ITEM.c.strategic_issue,
    _ITEM.c.phase,
    _ITEM.c.target_value,
    _ITEM.c.due_quarters,
    _ITEM.c.quarter_targets,
    _ITEM.c.budget_rp,
    _ITEM.c.carried_from,
).where(_ITEM.c.version_id.in_(_VERSIONS))
_OUTCOMES = (
    select(_OUTCOME.c.item_id, _OUTCOME.c.kind, _OUTCOME.c.code)
    .join(_ITEM, _ITEM.c.id == _OUTCOME.c.item_id)
    .where(_ITEM.c.version_id.in_(_VERSIONS))
)
_VERIFIED = select(_REPORT.c.commitment_id, _REPORT.c.quarter, _REPORT.c["items"]).where(
    _REPORT.c.commitment_id.in_(bindparam("ids", expanding=True)),
    _REPORT.c.state == ReportState.VERIFIED.value,
)


def _refresh_batch(session: Session, ids: Sequence[str]) -> int:
    conn = session.connection()
    commitments = conn.execute(_COMMITMENTS, {"ids": list(ids)}).all()
    # A commitment is one party of one cycle: its rows are found by the two.
    parties = [{"cycle": c.cycle_id, "party": c.regency_code} for c in commitments]
    if parties:
        # Quarter by quarter, each an exact range of the index (cycle_id, quarter, party).
        conn.execute(_DELETE_STANDING, [{**p, "quarter": q} for p in parties for q in QUARTERS])
        conn.execute(_DELETE_PARTS, parties)
    counted = {
        c.version_id: c
        for c in commitments
        if c.stage in COUNTED_STAGES and c.version_id is not None
    }
    if not counted:
        return 0
    versions = {"versions": list(counted)}
    items: dict[int, list[Any]] = defaultdict(list)
    for item in conn.execute(_ITEMS, versions):
        items[item.version_id].append(item)
    outcomes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for item_id, kind, code in conn.execute(_OUTCOMES, versions):
        outcomes[item_id].append((kind, code))
    reports: dict[str, list[tuple[int, list[Any]]]] = defaultdict(list)
    verified = {"ids": [c.id for c in counted.values()]}
    for cid, quarter, entries in conn.execute(_VERIFIED, verified):
        reports[cid].append((quarter, entries or []))
    standing_rows: list[dict[str, Any]] = []
    part_rows: list[dict[str, Any]] = []
    for version, c in counted.items():
        rows = _standing_rows(c.cycle_id, c.regency_code, items[version], reports[c.id])
        standing_rows += rows
        part_rows += _parts(rows, outcomes)
    if standing_rows:
        conn.execute(insert(_STANDING), standing_rows)
        conn.execute(insert(_PART), part_rows)
    return len(standing_rows)


def _standing_rows(
    cycle_id: str, party: str, items: Sequence[Any], verified: list[tuple[int, list[Any]]]
) -> list[dict[str, Any]]:
    by_position = {item.position: item for item in items}
    planned = [
        PlannedItem(
            position=item.position,
            target_value=item.target_value,
            due_quarters=item.due_quarters,
            quarter_targets=[
                None if t is None else Decimal(str(t)) for t in item.quarter_targets or ()
            ],
        )
        for item in items
    ]
    rows = []
    for standing in standings(planned, verified):
        item = by_position[standing.position]
        rows.append(
            {
                "item_id": item.id,
                "quarter": standing.quarter,
                "cycle_id": cycle_id,
                "party": party,
                "strategic_issue": item.strategic_issue,
                "phase": item.phase,
                "budget_cents": hundredths(item.budget_rp),
                "realised_cents": hundredths(standing.realised_rp),
                "percent_hundredths": hundredths(standing.percent),
                "expected_hundredths": hundredths(standing.expected),
                # SQL NULL (format 2) or JSON null (format 3) alike: not carried over.
                "carried": bool(item.carried_from),
            }
        )
    return rows


def _parts(
    rows: list[dict[str, Any]], outcomes: dict[int, list[tuple[str, str]]]
) -> list[dict[str, Any]]:
    """One party's standing rows summed per quarter and recap group."""
    parts: dict[tuple[int, str, str], dict[str, Any]] = {}
    for row in rows:
        for kind, code in memberships(
            row["strategic_issue"], row["phase"], outcomes[row["item_id"]]
        ):
            part = parts.get((row["quarter"], kind, code))
            if part is None:
                part = parts[(row["quarter"], kind, code)] = {
                    "cycle_id": row["cycle_id"],
                    "quarter": row["quarter"],
                    "kind": kind,
                    "code": code,
                    "party": row["party"],
                    "items": 0,
                    "done": 0,
                    "behind": 0,
                    "carried": 0,
                    **dict.fromkeys(SUMMED, 0),
                }
            part["items"] += 1
            for name in SUMMED:
                part[name] += row[name]
            part["done"] += row["percent_hundredths"] >= DONE_HUNDREDTHS
            part["behind"] += row["percent_hundredths"] < row["expected_hundredths"]
            part["carried"] += row["carried"]
    return list(parts.values())
