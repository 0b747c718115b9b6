"""The province recap (rekapitulasi provinsi): how far a cycle's action items have come,
grouped by the outcomes the province answers for, at the end of a quarter.

**Which items count.** The approved version of every commitment in the person's scope
that reached follow-up (in it, or completed): the plans every party signed. A party
whose plan is not signed yet is listed as not counted, never silently left out.

**Progress** of an item at quarter *q* is the percent realised in its latest *verified*
report of a quarter up to *q*; with none, it counts 0 % and Rp 0. Only verified figures
count: those the province checked. Budget realised is the report's realised Rp, likewise.
**Behind schedule**: an item whose progress is below what its quarter targets (or, without
them, its last due quarter) expect by the end of *q*. Both are worked out when a plan or
a report changes (`domain.standing`, kept as item_standing rows by `db.standing`), so a
recap is a handful of sums in SQL, not a pass over every report.

**Groups.** Each section lists every code of its reference list (`domain.outcomes`),
even those no item serves, so that a gap shows: the three SPM services, the seven IKD
priorities, the IKD indicators items name, the Sendai targets A-G, the Destana levels,
and strategic issue × phase. An item serving several codes of a kind counts in each;
the section's total counts it once. Figures per group: items, parties with items,
budget, realised (Rp and as a share of the budget), mean progress (ROUND_HALF_UP to
0.01), items done (100 %), items and parties behind, items carried over.

Every figure drills down (`recap_detail`) to the parties and items behind it, read from
the same rows by the same conditions, so a drill-down always adds up to its figure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy.orm import Session

from db import models as m
from db import reads, standing
from domain import standing as derived
from domain.display import Language
from domain.outcomes import references
from domain.plan import ISSUE_LABELS, PHASE_LABELS, Phase, StrategicIssue
from domain.words import NC_, Word, translate
from services.access import AuthUser
from services.cycles import get_cycle

HUNDRED = Decimal(100)
CENTS = Decimal("0.01")
TOTAL = derived.TOTAL
"""The code of a section's total row."""
COUNTED_STAGES = standing.COUNTED_STAGES


class Kind(StrEnum):
    """A section of the recap: what its groups are codes of."""

    SPM = "spm"
    IKD = "ikd"
    IKD_INDICATOR = "ikd_indicator"
    SENDAI = "sendai"
    DESTANA = "destana"
    ISSUE_PHASE = derived.ISSUE_PHASE


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


def _figures(summed: reads.RecapFigures | None) -> Figures:
    """A group's figures from its sums (`reads.recap_figures`); no sums, no items."""
    if summed is None:
        return Figures()
    return Figures(
        items=summed.items,
        budget_rp=_whole(summed.budget_cents),
        realised_rp=_whole(summed.realised_cents),
        progress_sum=_whole(summed.percent_hundredths),
        done=summed.done,
        behind_items=summed.behind,
        carried=summed.carried,
        parties=set(summed.parties),
        behind_parties=set(summed.behind_parties),
    )


def _whole(hundredths: int) -> Decimal:
    """Cents as rupiah, hundredths as a percent: exact, with two decimals."""
    return Decimal(hundredths).scaleb(-2)


def _scope(
    session: Session, user: AuthUser, cycle_id: str
) -> tuple[m.Cycle, dict[str, str], list[str], list[tuple[str, str]], list[str] | None]:
    """The cycle, every party's name, the parties counted (a signed plan), those not
    counted yet, and the parties in scope (None: every party of the cycle)."""
    cycle = get_cycle(session, cycle_id)
    names = {r["code"]: r["name"] for r in cycle.spec.get("regencies", [])}
    in_scope = {code for code in names if user.covers(code)}
    signed = reads.signed_commitments(session, cycle_id=cycle_id, stages=COUNTED_STAGES)
    counted = sorted(party for _, party, version in signed if party in in_scope and version)
    signed_in_scope = set(counted)
    missing = [(code, names[code]) for code in sorted(in_scope) if code not in signed_in_scope]
    return cycle, names, counted, missing, None if in_scope == names.keys() else sorted(in_scope)


def _check_quarter(quarter: int) -> None:
    if quarter not in derived.QUARTERS:
        raise UnknownGroup(f"quarter {quarter} is not 1 to 4")


def _compute(
    session: Session,
    user: AuthUser,
    cycle_id: str,
    quarter: int,
    language: Language,
    kinds: Collection[Kind] = tuple(Kind),
) -> tuple[Recap, list[str] | None]:
    """The recap with the sections of `kinds`, and the parties in scope (None: all)."""
    _check_quarter(quarter)
    cycle, names, counted, missing, scope = _scope(session, user, cycle_id)
    summed = {
        (s.kind, s.code): s
        for s in reads.recap_figures(
            session,
            cycle_id=cycle_id,
            quarter=quarter,
            kinds=[k.value for k in kinds],
            parties=scope,
        )
    }
    total = translate(NC_("recap.total", "Total"), language)
    sections = []
    for kind in (k for k in Kind if k in kinds):
        labels = _labels(kind, language)
        if kind is Kind.IKD_INDICATOR:
            named = sorted((c for k, c in summed if k == kind and c != TOTAL), key=_indicator_sort)
            labels = {code: code for code in named}
        sections.append(
            Section(
                kind=kind,
                title=translate(KIND_TITLES[kind], language),
                groups=[
                    Group(kind, code, label, _figures(summed.get((kind.value, code))))
                    for code, label in labels.items()
                ],
                total=Group(kind, TOTAL, total, _figures(summed.get((kind.value, TOTAL)))),
            )
        )
    recap = Recap(
        cycle=cycle,
        quarter=quarter,
        sections=sections,
        counted=counted,
        not_counted=missing,
        names=names,
    )
    return recap, scope


def province_recap(
    session: Session, user: AuthUser, cycle_id: str, quarter: int, *, language: Language = "id"
) -> Recap:
    """The recap of a cycle at the end of `quarter` (module docstring), in the person's scope."""
    recap, _ = _compute(session, user, cycle_id, quarter, language)
    return recap


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
    its recap holds the group's section alone. The items are read by the same standing
    rows and conditions the figure sums, so a drill-down always adds up to its figure."""
    recap, scope = _compute(session, user, cycle_id, quarter, language, kinds=(kind,))
    try:
        group = recap.group(kind, code)
    except StopIteration:
        raise UnknownGroup(f"no {kind.value} group {code!r}") from None
    outcome: tuple[str, str | None] | None = None
    issue_phase: tuple[str, str] | None = None
    if kind is not Kind.ISSUE_PHASE:
        outcome = (kind.value, None if code == TOTAL else code)
    elif code != TOTAL:
        issue, phase = code.split(".", 1)
        issue_phase = (issue, phase)
    rows = reads.recap_rows(
        session,
        cycle_id=cycle_id,
        quarter=quarter,
        parties=scope,
        outcome=outcome,
        issue_phase=issue_phase,
        only=None if figure is Figure.ITEMS else figure.value,
    )
    linked = reads.item_outcomes(session, item_ids=[row.item_id for row in rows])
    items = [
        RecapItem(
            party=row.party,
            position=row.position,
            activity=row.activity,
            strategic_issue=row.strategic_issue,
            phase=row.phase,
            budget_rp=_whole(row.budget_cents),
            realised_rp=_whole(row.realised_cents),
            percent=_whole(row.percent_hundredths),
            expected=_whole(row.expected_hundredths),
            carried=bool(row.carried),
            keys=(
                (Kind.ISSUE_PHASE.value, f"{row.strategic_issue}.{row.phase}"),
                *linked.get(row.item_id, ()),
            ),
        )
        for row in rows
    ]
    return Drill(recap, kind, code, group.label, figure, items)
