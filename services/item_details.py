"""What an action item's newer fields read as, in one language, wherever they are shown.

Outcome links (SPM, IKD, Sendai, Destana, named from the reference lists of
`domain.outcomes`), the baseline, the four quarter targets, the carried-over mark, and
a quarterly report's budget realised with its share of the item's budget. The pages,
the printed plan, the PDF and the exports all read them from here, so a reviewer, a
signatory and a manager read the same words. Items come as database rows
(`db.models.ActionItem`, whose JSON columns hold plain dicts and strings), as
`services.schemas.ItemOut` or as `domain.plan.ActionItem`: each is read by attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.display import QUARTER_NUMERALS, Language, format_amount
from domain.outcomes import Outcomes, references
from domain.words import NC_, by_language

DETAIL_WORDS = {
    "carried": NC_("details.carried", "Carried over from cycle {cycle} (realised {percent} %)"),
    "baseline": NC_("details.baseline", "Baseline"),
    "quarter_targets": NC_("details.quarter_targets", "Quarterly targets"),
    "quarter": NC_("details.quarter", "Q{quarter}"),
    "outcomes": NC_("details.outcomes", "Outcomes served"),
    "spm": NC_("details.spm", "SPM {number}: {name}"),
    "sipd": NC_("details.sipd", "SIPD {code}"),
    "ikd": NC_("details.ikd", "IKD priority {priority}: {name}"),
    "ikd_indicator": NC_("details.ikd_indicator", "indicator {indicator}"),
    "sendai": NC_("details.sendai", "Sendai {code}: {name}"),
    "destana": NC_("details.destana", "Destana village {code}: {level} ({scheme})"),
    "realised_rp": NC_("details.realised_rp", "Budget realised"),
    "of_budget": NC_("details.of_budget", "{percent} % of the budget"),
    "obstacles": NC_("details.obstacles", "Obstacles"),
    "follow_up": NC_("details.follow_up", "Follow-up plan"),
}
WORDS: dict[Language, dict[str, str]] = by_language(DETAIL_WORDS)
"""The words of an item's details, in every language."""

_CENT = Decimal("0.01")


def outcomes_of(item: Any) -> Outcomes:
    """The item's outcome links, whichever form the item comes in; empty for none."""
    value = getattr(item, "outcomes", None)
    if value is None:
        return Outcomes()
    if isinstance(value, Outcomes):
        return value
    return Outcomes.model_validate(value)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def baseline_of(item: Any) -> Decimal | None:
    """The item's baseline (kondisi awal), if set."""
    return _decimal(getattr(item, "baseline", None))


def quarter_targets_of(item: Any) -> list[Decimal | None]:
    """The four cumulative quarter targets, or [] when the item sets none."""
    targets = getattr(item, "quarter_targets", None) or ()
    return [_decimal(t) for t in targets]


@dataclass(frozen=True)
class Carried:
    """Where a carried-over item comes from."""

    cycle_id: str
    position: int
    realised_percent: Decimal


def carried_of(item: Any) -> Carried | None:
    """The item's carried-over mark (`domain.plan.CarriedFrom`), if any."""
    value = getattr(item, "carried_from", None)
    if value is None:
        return None
    read = value if isinstance(value, dict) else value.model_dump(mode="json")
    return Carried(
        cycle_id=str(read["cycle_id"]),
        position=int(read["position"]),
        realised_percent=Decimal(str(read["realised_percent"])),
    )


def carried_text(item: Any, language: Language) -> str | None:
    """ "Dibawa dari siklus rakor-2025 (realisasi 40 %)", or None for an item not carried."""
    carried = carried_of(item)
    if carried is None:
        return None
    return WORDS[language]["carried"].format(
        cycle=carried.cycle_id, percent=format_amount(carried.realised_percent, language)
    )


def baseline_text(item: Any, language: Language) -> str | None:
    """ "Kondisi awal: 2 desa", or None."""
    baseline = baseline_of(item)
    if baseline is None:
        return None
    unit = getattr(item, "target_unit", "")
    return f"{WORDS[language]['baseline']}: {format_amount(baseline, language)} {unit}".rstrip()


def targets_text(item: Any, language: Language) -> str | None:
    """ "Target triwulan: TW I 2 · TW II 5 · TW III — · TW IV 12,50 desa", or None."""
    targets = quarter_targets_of(item)
    if not targets:
        return None
    words = WORDS[language]
    parts = [
        f"{words['quarter'].format(quarter=QUARTER_NUMERALS[q])} "
        f"{'—' if t is None else format_amount(t, language)}"
        for q, t in enumerate(targets, start=1)
    ]
    unit = getattr(item, "target_unit", "")
    return f"{words['quarter_targets']}: {' · '.join(parts)} {unit}".rstrip()


def outcome_lines(outcomes: Outcomes, language: Language) -> list[str]:
    """Each outcome link as a line, named from the reference lists."""
    refs = references()
    words = WORDS[language]
    lines = []
    for spm in outcomes.spm:
        entry = refs.spm[spm.service]
        line = words["spm"].format(number=entry.code.removeprefix("spm"), name=entry.name(language))
        if spm.sipd_code:
            line += f" ({words['sipd'].format(code=spm.sipd_code)})"
        lines.append(line)
    for ikd in outcomes.ikd:
        line = words["ikd"].format(
            priority=ikd.priority, name=refs.ikd[ikd.priority].name(language)
        )
        if ikd.indicator is not None:
            line += f", {words['ikd_indicator'].format(indicator=ikd.indicator)}"
        lines.append(line)
    for code in outcomes.sendai:
        lines.append(words["sendai"].format(code=code, name=refs.sendai[code].name(language)))
    for village in outcomes.destana:
        lines.append(
            words["destana"].format(
                code=village.village_code,
                level=refs.destana_levels[village.level].name(language),
                scheme=refs.destana_schemes[village.scheme].name(language),
            )
        )
    return lines


def outcomes_text(item: Any, language: Language) -> str | None:
    """ "Capaian yang didukung: SPM 1: …; Sendai G: …", or None for an item linked to none."""
    lines = outcome_lines(outcomes_of(item), language)
    if not lines:
        return None
    return f"{WORDS[language]['outcomes']}: {'; '.join(lines)}"


def detail_lines(item: Any, language: Language, with_outcomes: bool = True) -> list[str]:
    """The item's details as the printed plan adds them under its row: the carried-over
    mark, baseline, quarter targets and (unless left out, for a page that lists them one
    by one with `item_outcomes`) outcomes, those set, one line each."""
    found = (
        carried_text(item, language),
        baseline_text(item, language),
        targets_text(item, language),
        outcomes_text(item, language) if with_outcomes else None,
    )
    return [line for line in found if line]


def item_outcomes(item: Any, language: Language) -> list[str]:
    """The item's outcome links, one line each (`outcome_lines`)."""
    return outcome_lines(outcomes_of(item), language)


def realised_percent(realised_rp: Any, budget_rp: Any) -> Decimal | None:
    """Budget realised as a percentage of the item's budget, to two decimals; None when
    nothing is realised on record or the item has no budget. Computed, never typed."""
    realised, budget = _decimal(realised_rp), _decimal(budget_rp)
    if realised is None or not budget:
        return None
    return (realised * 100 / budget).quantize(_CENT)


def realised_text(realised_rp: Any, budget_rp: Any, language: Language) -> str | None:
    """ "Realisasi anggaran: Rp37.500.000 (25 % dari pagu)", or None when none is on record."""
    realised = _decimal(realised_rp)
    if realised is None:
        return None
    words = WORDS[language]
    text = f"{words['realised_rp']}: {format_amount(realised, language, rupiah=True)}"
    share = realised_percent(realised, budget_rp)
    if share is not None:
        text += f" ({words['of_budget'].format(percent=format_amount(share, language))})"
    return text


def field_text(name: str, value: Any, unit: str, language: Language) -> str:
    """One of the newer fields' values as a version diff shows it ("—" for none)."""
    if value is None or value == [] or value == {}:
        return "—"
    if name == "baseline":
        return f"{format_amount(Decimal(str(value)), language)} {unit}".rstrip()
    if name == "quarter_targets":
        words = WORDS[language]
        return " · ".join(
            f"{words['quarter'].format(quarter=QUARTER_NUMERALS[q])} "
            f"{'—' if t is None else format_amount(Decimal(str(t)), language)}"
            for q, t in enumerate(value, start=1)
        )
    if name == "outcomes":
        return "; ".join(outcome_lines(Outcomes.model_validate(value), language)) or "—"
    if name == "carried_from":
        carried = carried_text(_Fields(carried_from=value), language)
        return carried or "—"
    return str(value)


@dataclass(frozen=True)
class _Fields:
    """An item's one field, to read it as an item is read."""

    carried_from: Any
