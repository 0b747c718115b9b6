"""The province recap (rekapitulasi provinsi): how far a cycle's action items have come,
grouped by the outcomes the province answers for, at the end of a quarter.

**Which items count.** The approved version of every commitment in the person's scope
that reached follow-up (in it, or completed): the plans every party signed. A party
whose plan is not signed yet is listed as not counted, never silently left out.

**Progress** of an item at quarter *q* is the percent realised in its latest *verified*
report of a quarter up to *q* (realisation is reported cumulatively, so the latest is
the current one); with none, it counts 0 % and Rp 0. Only verified figures count: those
the province checked. Budget realised is the report's realised Rp, likewise.

**Behind schedule**: an item whose progress is below what its quarter targets (or, without
them, its last due quarter) expect by the end of *q* (`domain.plan.expected_percent`).

**Groups.** Each section lists every code of its reference list (`domain.outcomes`),
even those no item serves, so that a gap shows: the three SPM services, the seven IKD
priorities, the IKD indicators items name, the Sendai targets A-G, the Destana levels,
and strategic issue × phase. An item serving several codes of a kind counts in each;
the section's total counts it once. Figures per group: items, parties with items,
budget, realised (Rp and as a share of the budget), mean progress (ROUND_HALF_UP to
0.01), items done (100 %), items and parties behind, items carried over.

Every figure drills down (`recap_detail`) to the parties and items behind it, computed
by the same pass, so a drill-down always adds up to its figure.
"""

from __future__ import annotations

import json
import operator
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache, lru_cache
from itertools import compress, repeat
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from db import models as m
from db import reads
from domain.display import Language
from domain.outcomes import references
from domain.plan import ISSUE_LABELS, PHASE_LABELS, Phase, StrategicIssue, expected_percent
from domain.stages import Stage
from domain.words import NC_, Word, translate
from services.access import AuthUser
from services.cycles import get_cycle

HUNDRED = Decimal(100)
ZERO = Decimal(0)
UNREPORTED = (ZERO, ZERO)
"""Percent and Rp realised of an item no verified report names."""
CENTS = Decimal("0.01")
TOTAL = "all"
"""The code of a section's total row."""
COUNTED_STAGES = (Stage.FOLLOW_UP.value, Stage.COMPLETED.value)
QUARTERS = (1, 2, 3, 4)


class Kind(StrEnum):
    """A section of the recap: what its groups are codes of."""

    SPM = "spm"
    IKD = "ikd"
    IKD_INDICATOR = "ikd_indicator"
    SENDAI = "sendai"
    DESTANA = "destana"
    ISSUE_PHASE = "issue_phase"


ISSUE_PHASE = Kind.ISSUE_PHASE.value
"""The key of issue × phase groups, read once rather than per item."""

KIND_TITLES: dict[Kind, Word] = {
    Kind.SPM: NC_("recap.kind.spm", "SPM services (disaster sub-field)"),
    Kind.IKD: NC_("recap.kind.ikd", "IKD priorities"),
    Kind.IKD_INDICATOR: NC_("recap.kind.ikd_indicator", "IKD indicators"),
    Kind.SENDAI: NC_("recap.kind.sendai", "Sendai Framework targets"),
    Kind.DESTANA: NC_("recap.kind.destana", "Destana levels sought"),
    Kind.ISSUE_PHASE: NC_("recap.kind.issue_phase", "Strategic issue × phase"),
}


class Figure(StrEnum):
    """A figure a drill-down can narrow to: the items behind it."""

    ITEMS = "items"
    DONE = "done"
    BEHIND = "behind"
    CARRIED = "carried"


@dataclass
class Figures:
    """One group's figures at the recap's quarter."""

    items: int = 0
    budget_rp: Decimal = Decimal(0)
    realised_rp: Decimal = Decimal(0)
    progress_sum: Decimal = Decimal(0)
    done: int = 0
    behind_items: int = 0
    carried: int = 0
    parties: set[str] = field(default_factory=set)
    behind_parties: set[str] = field(default_factory=set)

    @property
    def progress_percent(self) -> Decimal | None:
        """Mean verified progress of the items; None without items."""
        if not self.items:
            return None
        return (self.progress_sum / self.items).quantize(CENTS, rounding=ROUND_HALF_UP)

    @property
    def realised_budget_percent(self) -> Decimal | None:
        """Budget realised as a share of the budget; None without budget."""
        if not self.budget_rp:
            return None
        return (self.realised_rp * HUNDRED / self.budget_rp).quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Group:
    """One row of a section: a code of the reference list (or TOTAL) and its figures."""

    kind: Kind
    code: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class Section:
    """One kind of outcome: a row per code, and the total counting each item once."""

    kind: Kind
    title: str
    groups: list[Group]
    total: Group


@dataclass(frozen=True)
class Recap:
    """The recap of a cycle at the end of a quarter, within the person's scope."""

    cycle: m.Cycle
    quarter: int
    sections: list[Section]
    counted: list[str]
    """Party codes whose signed plan counts."""
    not_counted: list[tuple[str, str]]
    """(code, name) of the cycle's parties in scope with no signed plan yet."""
    names: dict[str, str]
    """Every party's name by code."""

    def section(self, kind: Kind) -> Section:
        return next(s for s in self.sections if s.kind is kind)

    def group(self, kind: Kind, code: str) -> Group:
        section = self.section(kind)
        if code == TOTAL:
            return section.total
        return next(g for g in section.groups if g.code == code)


@dataclass(frozen=True)
class RecapItem:
    """One counted item at the recap's quarter, with the keys of the groups it counts in."""

    party: str
    position: int
    activity: str
    strategic_issue: str
    phase: str
    budget_rp: Decimal
    realised_rp: Decimal
    percent: Decimal
    expected: Decimal
    carried: bool
    keys: tuple[tuple[str, str], ...]

    @property
    def done(self) -> bool:
        return self.percent >= HUNDRED

    @property
    def behind(self) -> bool:
        return self.percent < self.expected


@dataclass(frozen=True)
class Drill:
    """The parties and items behind one figure of one group."""

    recap: Recap
    """The recap's cycle, quarter, parties and names, and the drilled kind's section
    (the only one computed)."""
    kind: Kind
    code: str
    label: str
    figure: Figure
    items: list[RecapItem]

    def by_party(self) -> list[tuple[str, str, list[RecapItem]]]:
        """(code, name, items) per party, in code order."""
        parties: dict[str, list[RecapItem]] = defaultdict(list)
        for item in self.items:
            parties[item.party].append(item)
        return [(code, self.recap.names.get(code, code), parties[code]) for code in sorted(parties)]


class UnknownGroup(LookupError):
    """A drill-down asked for a kind or code the recap has no group for."""


def _labels(kind: Kind, language: Language) -> dict[str, str]:
    """Every code of a kind's reference list with its name, in the list's order."""
    refs = references()
    if kind is Kind.SPM:
        return {code: e.name(language) for code, e in refs.spm.items()}
    if kind is Kind.IKD:
        return {str(n): f"{n}. {e.name(language)}" for n, e in sorted(refs.ikd.items())}
    if kind is Kind.SENDAI:
        return {code: f"{code}. {e.name(language)}" for code, e in refs.sendai.items()}
    if kind is Kind.DESTANA:
        return {code: e.name(language) for code, e in refs.destana_levels.items()}
    if kind is Kind.ISSUE_PHASE:
        issues, phases = ISSUE_LABELS[language], PHASE_LABELS[language]
        return {
            f"{issue.value}.{phase.value}": f"{issues[issue]}, {phases[phase]}"
            for issue in StrategicIssue
            for phase in Phase
        }
    return {}  # IKD indicators: only those named, labelled by number


def _indicator_sort(code: str) -> tuple[int, int]:
    priority, indicator = code.split(".")
    return int(priority), int(indicator)


@dataclass(frozen=True)
class _Counted:
    """The counted items at the recap's quarter, a column per field (row `i` of each is
    item `i`), and the items of every group: what the figures are summed from."""

    rows: Sequence[Any]
    """Each item's row of `reads.recap_items`, for the items a drill-down lists."""
    party: list[str]
    budget: list[Decimal]
    realised: list[Decimal]
    percent: list[Decimal]
    expected: list[Decimal]
    done: list[bool]
    behind: list[bool]
    carried: list[bool]
    outcomes: list[str | None]
    groups: dict[tuple[str, str], list[int]]
    """The items of every (kind, code) any item serves, and of every (kind, TOTAL)."""

    def figures(self, key: tuple[str, str]) -> Figures:
        """The figures of one group, summed over its items' columns."""
        chosen = self.groups.get(key)
        if not chosen:
            return Figures()
        # The columns are read through C (itemgetter, sum, set), not item by item.
        pick = itemgetter(*chosen) if len(chosen) > 1 else _one(chosen[0])
        parties, behind = pick(self.party), pick(self.behind)
        return Figures(
            items=len(chosen),
            budget_rp=sum(pick(self.budget), ZERO),
            realised_rp=sum(pick(self.realised), ZERO),
            progress_sum=sum(pick(self.percent), ZERO),
            done=sum(pick(self.done)),
            behind_items=sum(behind),
            carried=sum(pick(self.carried)),
            parties=set(parties),
            behind_parties=set(compress(parties, behind)),
        )

    def item(self, index: int) -> RecapItem:
        """One item as a drill-down lists it, with the keys of every group it counts in."""
        (_version, position, issue, phase, activity) = self.rows[index][:5]
        linked = self.outcomes[index]
        return RecapItem(
            party=self.party[index],
            position=position,
            activity=activity,
            strategic_issue=issue,
            phase=phase,
            budget_rp=self.budget[index],
            realised_rp=self.realised[index],
            percent=self.percent[index],
            expected=self.expected[index],
            carried=self.carried[index],
            keys=((ISSUE_PHASE, f"{issue}.{phase}"), *_outcome_keys(linked)),
        )


def _one(index: int) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """What itemgetter(*indexes) gives for several indexes, for one: a tuple."""
    return lambda column: (column[index],)


def _outcome_keys(linked: str | None) -> list[tuple[str, str]]:
    """The (kind, code) keys of `reads.recap_items`' outcomes column, sorted."""
    if linked is None:
        return []
    return sorted(map(_key, linked.split(reads.OUTCOME_SEPARATOR)))


# Pure functions of text that recurs from recap to recap (a page and its drill-downs read
# the same plans): remembered, within bounds, rather than worked out again each time.
MEMORY = 16_384


@lru_cache(maxsize=MEMORY)
def _expected(due: str, targets: str | None, target: Decimal | None, quarter: int) -> Decimal:
    """`expected_percent` from the JSON text of due quarters and quarter targets (None
    without), and the target (None without quarter targets: it matters only with them)."""
    if targets is None:
        return expected_percent(ZERO, _due(due), (), quarter)
    assert target is not None
    # Only the targets up to the quarter count; the rest need no decimal.
    planned = [
        None if t is None else Decimal(str(t)) for t in (json.loads(targets) or ())[:quarter]
    ]
    return expected_percent(target, _due(due), planned, quarter)


@cache
def _due(text: str) -> tuple[int, ...]:
    """Due quarters from their JSON text: a handful of distinct ones."""
    return tuple(json.loads(text))


@cache
def _key(text: str) -> tuple[str, str]:
    """(kind, code) from "kind:code" (`reads.recap_items`)."""
    kind, code = text.split(":", 1)
    return kind, code


@lru_cache(maxsize=MEMORY)
def _memberships(linked: str) -> tuple[tuple[str, str], ...]:
    """The groups an item serving `linked` outcomes (`reads.recap_items`) counts in: one
    per outcome, and its kinds' totals, each once."""
    keys = [_key(text) for text in linked.split(reads.OUTCOME_SEPARATOR)]
    return (*keys, *((kind, TOTAL) for kind in dict.fromkeys(kind for kind, _ in keys)))


def _count(
    session: Session,
    quarter: int,
    plans: Sequence[tuple[str, str, int | None]],
    kinds: Collection[Kind],
) -> _Counted:
    """Every item of the approved plans ((commitment id, party, version id)) with its
    progress at `quarter` (module docstring), and the groups of `kinds`."""
    version_of = {cid: version for cid, _, version in plans if version is not None}
    party_of = {version: party for _, party, version in plans if version is not None}
    rows = reads.recap_items(session, version_ids=list(party_of)) if party_of else []
    if not rows:
        return _Counted([], [], [], [], [], [], [], [], [], [], {})
    columns = list(zip(*rows, strict=True))
    versions, positions, issues, phases = columns[:4]
    budget, targets, due, planned, carried, outcomes = columns[5:]
    # An item's progress is in the latest verified report that names it. Reports are
    # read newest first; once a plan's every item is named, its older reports go undecoded.
    keys = list(zip(versions, positions, strict=True))
    unnamed: dict[int, set[int]] = defaultdict(set)
    for version, position in keys:
        unnamed[version].add(position)
    progress: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    for commitment_id, _quarter, text in reversed(
        reads.verified_reports(session, commitment_ids=list(version_of), up_to=quarter)
    ):
        version = version_of[commitment_id]
        missing = unnamed[version]
        if not missing:
            continue
        named = {int(entry["item_position"]): entry for entry in json.loads(text) or ()}
        for position in missing & named.keys():
            entry = named[position]
            spent = entry.get("realised_rp")
            progress[(version, position)] = (
                Decimal(str(entry["percent_realised"])),
                ZERO if spent is None else Decimal(str(spent)),
            )
        missing.difference_update(named)
    percent, realised = zip(*map(progress.get, keys, repeat(UNREPORTED)), strict=True)
    # Items share their due quarters and quarter targets (JSON text) and target: the share
    # of the target due is worked out once per distinct combination.
    shapes = list(zip(due, planned, targets, strict=True))
    expected_of = {shape: _expected(*shape, quarter) for shape in set(shapes)}
    expected = list(map(expected_of.__getitem__, shapes))
    # Items of the same issue and phase, or serving the same outcomes, join the same
    # groups; a kind's total counts each item once.
    wanted = {kind.value for kind in kinds}
    groups: dict[tuple[str, str], list[int]] = {}
    if ISSUE_PHASE in wanted:
        issue_phase: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, pair in enumerate(zip(issues, phases, strict=True)):
            issue_phase[pair].append(index)
        groups[(ISSUE_PHASE, TOTAL)] = list(range(len(rows)))
        for (issue, phase), indexes in issue_phase.items():
            groups[(ISSUE_PHASE, f"{issue}.{phase}")] = indexes
    if wanted - {ISSUE_PHASE}:
        linked: dict[str, list[int]] = defaultdict(list)
        for index, served in enumerate(outcomes):
            if served is not None:
                linked[served].append(index)
        for served, indexes in linked.items():
            for key in _memberships(served):
                if key[0] in wanted:
                    groups.setdefault(key, []).extend(indexes)
    return _Counted(
        rows=rows,
        party=list(map(party_of.__getitem__, versions)),
        budget=list(budget),
        realised=list(realised),
        percent=list(percent),
        expected=expected,
        # Through C: a Python expression per item costs about as much again.
        done=list(map(HUNDRED.__le__, percent)),
        behind=list(map(operator.lt, percent, expected)),
        carried=list(carried),
        outcomes=list(outcomes),
        groups=groups,
    )


def _scope(
    session: Session, user: AuthUser, cycle_id: str
) -> tuple[m.Cycle, dict[str, str], list[tuple[str, str, int | None]], list[tuple[str, str]]]:
    """The cycle, every party's name, the plans counted ((commitment id, party, approved
    version id)) and the parties not counted yet."""
    cycle = get_cycle(session, cycle_id)
    names = {r["code"]: r["name"] for r in cycle.spec.get("regencies", [])}
    in_scope = {code for code in names if user.covers(code)}
    signed = reads.signed_commitments(session, cycle_id=cycle_id, stages=COUNTED_STAGES)
    counted = [plan for plan in signed if plan[1] in in_scope]
    parties = {party for _, party, _ in counted}
    missing = [(code, names[code]) for code in sorted(in_scope) if code not in parties]
    return cycle, names, counted, missing


def _check_quarter(quarter: int) -> None:
    if quarter not in QUARTERS:
        raise UnknownGroup(f"quarter {quarter} is not 1 to 4")


def _compute(
    session: Session,
    user: AuthUser,
    cycle_id: str,
    quarter: int,
    language: Language,
    kinds: Collection[Kind] = tuple(Kind),
) -> tuple[Recap, _Counted]:
    """The recap with the sections of `kinds`, and the items counted."""
    _check_quarter(quarter)
    cycle, names, counted, missing = _scope(session, user, cycle_id)
    items = _count(session, quarter, counted, kinds)
    total = translate(NC_("recap.total", "Total"), language)
    sections = []
    for kind in (k for k in Kind if k in kinds):
        labels = _labels(kind, language)
        if kind is Kind.IKD_INDICATOR:
            named = sorted(
                (c for k, c in items.groups if k == kind and c != TOTAL), key=_indicator_sort
            )
            labels = {code: code for code in named}
        sections.append(
            Section(
                kind=kind,
                title=translate(KIND_TITLES[kind], language),
                groups=[
                    Group(kind, code, label, items.figures((kind.value, code)))
                    for code, label in labels.items()
                ],
                total=Group(kind, TOTAL, total, items.figures((kind.value, TOTAL))),
            )
        )
    recap = Recap(
        cycle=cycle,
        quarter=quarter,
        sections=sections,
        counted=sorted(party for _, party, _ in counted),
        not_counted=missing,
        names=names,
    )
    return recap, items


def province_recap(
    session: Session, user: AuthUser, cycle_id: str, quarter: int, *, language: Language = "id"
) -> Recap:
    """The recap of a cycle at the end of `quarter` (module docstring), in the person's scope."""
    recap, _ = _compute(session, user, cycle_id, quarter, language)
    return recap


def _matches(item: RecapItem, figure: Figure) -> bool:
    if figure is Figure.DONE:
        return item.done
    if figure is Figure.BEHIND:
        return item.behind
    if figure is Figure.CARRIED:
        return item.carried
    return True


def recap_detail(
    session: Session,
    user: AuthUser,
    cycle_id: str,
    quarter: int,
    kind: Kind,
    code: str,
    *,
    figure: Figure = Figure.ITEMS,
    language: Language = "id",
) -> Drill:
    """The parties and items behind one figure of one group (TOTAL for a section's total);
    its recap holds the group's section alone."""
    recap, items = _compute(session, user, cycle_id, quarter, language, kinds=(kind,))
    try:
        group = recap.group(kind, code)
    except StopIteration:
        raise UnknownGroup(f"no {kind.value} group {code!r}") from None
    # The group's items are those its figures were summed from, so a drill-down always
    # adds up to its figure; only they become RecapItems.
    chosen = [items.item(i) for i in items.groups.get((kind.value, code), [])]
    chosen.sort(key=lambda item: (item.party, item.position))
    return Drill(recap, kind, code, group.label, figure, [i for i in chosen if _matches(i, figure)])
