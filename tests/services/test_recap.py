"""The province recap against a plain computation over the ORM's objects, on a generated
second year: items linked to outcomes (item_outcome rows and the JSON the keys are also
derived from here), quarter targets, carried-over items, several verified reports per
commitment, items recorded with JSON null for what they lack."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from bench.queries import MANAGER, Generator, Sizes
from db import models as m
from db import reads
from db.session import engine_for, session_factory
from domain.outcomes import Outcomes
from domain.plan import expected_percent
from domain.roles import Acting, Role
from services.access import AuthUser
from services.recap import TOTAL, Figure, Kind, province_recap, recap_detail

CENTS = Decimal("0.01")


@dataclass
class Expected:
    """One group's figures, summed item by item."""

    items: int = 0
    budget: Decimal = Decimal(0)
    realised: Decimal = Decimal(0)
    progress: Decimal = Decimal(0)
    done: int = 0
    behind: int = 0
    carried: int = 0
    parties: set[str] = field(default_factory=set)
    behind_parties: set[str] = field(default_factory=set)
    members: list[tuple[str, int, bool, bool, bool]] = field(default_factory=list)


def expected_groups(
    url: str, cycle_id: str, quarter: int, parties: set[str]
) -> dict[tuple[str, str], Expected]:
    """Every group's figures from the approved items and their latest verified report
    naming them, each item's keys derived from its outcomes JSON."""
    groups: dict[tuple[str, str], Expected] = defaultdict(Expected)
    with session_factory(url)() as session:
        for row in reads.list_commitments(session, cycle_id=cycle_id):
            if row.stage not in ("follow_up", "completed") or row.approved_version is None:
                continue
            if row.regency_code not in parties:
                continue
            reports = session.scalars(
                select(m.QuarterlyReport)
                .where(
                    m.QuarterlyReport.commitment_id == row.id,
                    m.QuarterlyReport.state == "verified",
                    m.QuarterlyReport.quarter <= quarter,
                )
                .order_by(m.QuarterlyReport.quarter)
            ).all()
            latest = {int(e["item_position"]): e for r in reports for e in r.items}
            items = reads.version_items(session, commitment_id=row.id, number=row.approved_version)
            for item in items:
                entry = latest.get(item.position)
                percent = Decimal(0) if entry is None else Decimal(str(entry["percent_realised"]))
                spent = None if entry is None else entry.get("realised_rp")
                realised = Decimal(0) if spent is None else Decimal(str(spent))
                targets = [
                    None if t is None else Decimal(str(t)) for t in item.quarter_targets or ()
                ]
                due = expected_percent(item.target_value, item.due_quarters, targets, quarter)
                keys = [("issue_phase", f"{item.strategic_issue}.{item.phase}")]
                keys += Outcomes.model_validate(item.outcomes or {}).keys()
                keys += [(kind, TOTAL) for kind in dict.fromkeys(k for k, _ in keys)]
                for key in keys:
                    g = groups[key]
                    g.items += 1
                    g.budget += item.budget_rp
                    g.realised += realised
                    g.progress += percent
                    g.done += percent >= 100
                    g.behind += percent < due
                    g.carried += item.carried_from is not None
                    g.parties.add(row.regency_code)
                    if percent < due:
                        g.behind_parties.add(row.regency_code)
                    g.members.append(
                        (
                            row.regency_code,
                            item.position,
                            percent >= 100,
                            percent < due,
                            item.carried_from is not None,
                        )
                    )
    return groups


@pytest.fixture
def year(db_url: str) -> tuple[str, Generator]:
    """A generated mid-year snapshot of 60 regencies, 600 items."""
    generator = Generator(Sizes(commitments=60, items=600, runs=1), seed=11)
    generator.build()
    generator.insert(engine_for(db_url))
    return db_url, generator


@pytest.mark.parametrize("quarter", [1, 2, 4])
def test_every_figure_matches_a_plain_computation(
    year: tuple[str, Generator], quarter: int
) -> None:
    url, generator = year
    cycle_id = generator.cycle_ids[0]
    with session_factory(url)() as session:
        recap = province_recap(session, MANAGER, cycle_id, quarter)
    groups = expected_groups(url, cycle_id, quarter, set(recap.counted))
    assert groups, "the snapshot counts items"
    assert any(g.carried for g in groups.values()) and any(g.behind for g in groups.values())
    assert len(recap.counted) + len(recap.not_counted) == 60
    seen: set[tuple[str, str]] = set()
    for section in recap.sections:
        for group in [*section.groups, section.total]:
            want = groups.get((section.kind.value, group.code), Expected())
            got = group.figures
            seen.add((section.kind.value, group.code))
            assert (got.items, got.budget_rp, got.realised_rp) == (
                want.items,
                want.budget,
                want.realised,
            ), group
            assert (got.done, got.behind_items, got.carried) == (
                want.done,
                want.behind,
                want.carried,
            ), group
            assert (got.parties, got.behind_parties) == (want.parties, want.behind_parties)
            mean = (
                (want.progress / want.items).quantize(CENTS, ROUND_HALF_UP) if want.items else None
            )
            assert got.progress_percent == mean
    assert set(groups) <= seen, "every group an item counts in is listed"


@pytest.mark.parametrize("figure", list(Figure))
def test_a_drill_down_lists_the_items_behind_its_figure(
    year: tuple[str, Generator], figure: Figure
) -> None:
    url, generator = year
    cycle_id = generator.cycle_ids[0]
    with session_factory(url)() as session:
        recap = province_recap(session, MANAGER, cycle_id, 2)
        groups = expected_groups(url, cycle_id, 2, set(recap.counted))
        for kind, code in [(Kind.IKD, "3"), (Kind.SENDAI, TOTAL), (Kind.ISSUE_PHASE, TOTAL)]:
            drill = recap_detail(session, MANAGER, cycle_id, 2, kind, code, figure=figure)
            chosen = [
                (party, position)
                for party, position, done, behind, carried in groups[(kind.value, code)].members
                if figure is Figure.ITEMS
                or (figure is Figure.DONE and done)
                or (figure is Figure.BEHIND and behind)
                or (figure is Figure.CARRIED and carried)
            ]
            assert [(i.party, i.position) for i in drill.items] == sorted(chosen)
            assert all((kind.value, code) in i.keys or code == TOTAL for i in drill.items)


def test_a_regency_officer_sees_their_own_plan_only(year: tuple[str, Generator]) -> None:
    url, generator = year
    cycle_id = generator.cycle_ids[0]
    with session_factory(url)() as session:
        everyone = province_recap(session, MANAGER, cycle_id, 2)
        party = everyone.counted[0]
        officer = AuthUser(
            id=0,
            username="operator",
            full_name="Operator",
            role=Role.REGENCY_OFFICER,
            regency_code=party,
            office=None,
            acting=Acting.DEFINITIVE,
            nip=None,
        )
        own = province_recap(session, officer, cycle_id, 2)
    assert own.counted == [party] and own.not_counted == []
    total = own.section(Kind.ISSUE_PHASE).total.figures
    assert total.parties == {party}
    assert total.items == expected_groups(url, cycle_id, 2, {party})[("issue_phase", TOTAL)].items
