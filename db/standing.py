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

from sqlalchemy import Row, delete, insert, select, tuple_
from sqlalchemy.orm import Session

from db import models as m
from domain.reports import ReportState
from domain.stages import Stage
from domain.standing import QUARTERS, PlannedItem, hundredths, memberships, standings

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


def _refresh_batch(session: Session, ids: Sequence[str]) -> int:
    commitments = session.execute(
        select(
            m.Commitment.id,
            m.Commitment.cycle_id,
            m.Commitment.regency_code,
            m.Commitment.stage,
            m.Commitment.approved_version,
        ).where(m.Commitment.id.in_(ids))
    ).all()
    # A commitment is one party of one cycle: its rows are found by the two.
    parties = [(c.cycle_id, c.regency_code) for c in commitments]
    for cycle_id, party in parties:
        session.execute(
            delete(m.ItemStanding).where(
                m.ItemStanding.cycle_id == cycle_id,
                m.ItemStanding.quarter.in_(QUARTERS),
                m.ItemStanding.party == party,
            )
        )
        session.execute(
            delete(m.RecapPart).where(m.RecapPart.cycle_id == cycle_id, m.RecapPart.party == party)
        )
    counted = {
        (c.id, c.approved_version): c
        for c in commitments
        if c.stage in COUNTED_STAGES and c.approved_version is not None
    }
    if not counted:
        return 0
    versions = session.execute(
        select(m.PlanVersion.id, m.PlanVersion.commitment_id, m.PlanVersion.number).where(
            tuple_(m.PlanVersion.commitment_id, m.PlanVersion.number).in_(list(counted))
        )
    ).all()
    commitment_of = {v.id: counted[(v.commitment_id, v.number)] for v in versions}
    if not commitment_of:
        return 0
    items = _items(session, list(commitment_of))
    outcomes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for item_id, kind, code in session.execute(
        select(m.ItemOutcome.item_id, m.ItemOutcome.kind, m.ItemOutcome.code).where(
            m.ItemOutcome.item_id.in_(
                select(m.ActionItem.id).where(m.ActionItem.version_id.in_(list(commitment_of)))
            )
        )
    ):
        outcomes[item_id].append((kind, code))
    reports: dict[str, list[tuple[int, list[Any]]]] = defaultdict(list)
    for cid, quarter, entries in session.execute(
        select(
            m.QuarterlyReport.commitment_id, m.QuarterlyReport.quarter, m.QuarterlyReport.items
        ).where(
            m.QuarterlyReport.commitment_id.in_([c.id for c in commitment_of.values()]),
            m.QuarterlyReport.state == ReportState.VERIFIED.value,
        )
    ):
        reports[cid].append((quarter, entries or []))
    standing_rows: list[dict[str, Any]] = []
    part_rows: list[dict[str, Any]] = []
    for version, c in commitment_of.items():
        rows = _standing_rows(c.cycle_id, c.regency_code, items[version], reports[c.id])
        standing_rows += rows
        part_rows += _parts(rows, outcomes)
    if standing_rows:
        session.execute(insert(m.ItemStanding), standing_rows)
        session.execute(insert(m.RecapPart), part_rows)
    return len(standing_rows)


def _items(session: Session, versions: list[int]) -> dict[int, list[Row[Any]]]:
    # Columns, not ORM objects: the migration that adds the tables runs this against the
    # schema of its day, which a later column must not break.
    items: dict[int, list[Row[Any]]] = defaultdict(list)
    for item in session.execute(
        select(
            m.ActionItem.id,
            m.ActionItem.version_id,
            m.ActionItem.position,
            m.ActionItem.strategic_issue,
            m.ActionItem.phase,
            m.ActionItem.target_value,
            m.ActionItem.due_quarters,
            m.ActionItem.quarter_targets,
            m.ActionItem.budget_rp,
            m.ActionItem.carried_from,
        ).where(m.ActionItem.version_id.in_(versions))
    ):
        items[item.version_id].append(item)
    return items


def _standing_rows(
    cycle_id: str, party: str, items: Sequence[Row[Any]], verified: list[tuple[int, list[Any]]]
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
            part["done"] += row["percent_hundredths"] >= 100_00
            part["behind"] += row["percent_hundredths"] < row["expected_hundredths"]
            part["carried"] += row["carried"]
    return list(parts.values())
