"""The action plan (rencana aksi): its items, their validation, and the document hash."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from domain.display import Language
from domain.outcomes import Outcomes
from domain.words import NC_, by_language

# Tabs and line breaks are text; other control characters are not, and PostgreSQL
# cannot store NUL at all: refusing them here keeps them out of every workflow.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value: str) -> str:
    """Return `value`, refusing control characters (tabs and line breaks are text)."""
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters such as NUL")
    return value


Printable = AfterValidator(printable)


def not_boolean(value: object) -> object:
    """Refuse true and false where a whole number is asked for (JSON's booleans are not 1, 0)."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


WholeNumber = Annotated[int, BeforeValidator(not_boolean)]
"""An int that a boolean never passes for."""
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), Printable
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Printable
]
MAX_ITEMS = 200
Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]


class CarriedFrom(BaseModel):
    """Where a carried-over item comes from: the item of last cycle's signed plan that was
    not verified at 100 % by the last lock, and how far it had got."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cycle_id: ShortText
    position: WholeNumber = Field(ge=1)
    realised_percent: Decimal = Field(ge=0, le=100, decimal_places=2)


class StrategicIssue(StrEnum):
    """The strategic issues agreed at the Rakor PB NTT 2025."""

    SPM_REPORTING = "spm_reporting"
    IKD_MEASUREMENT = "ikd_measurement"
    DISASTER_DATA = "disaster_data"
    DESTANA = "destana"
    INCLUSIVE_DM = "inclusive_dm"
    PENTAHELIX = "pentahelix"
    OTHER = "lainnya"
    """What the Rakor agreed outside the six issues."""


class Phase(StrEnum):
    """Disaster-management phase an action belongs to."""

    PRA_BENCANA = "pra_bencana"
    TANGGAP_DARURAT = "tanggap_darurat"
    PASCA_BENCANA = "pasca_bencana"


class Partner(StrEnum):
    """The five pentahelix partners."""

    PEMERINTAH = "pemerintah"
    AKADEMISI = "akademisi"
    DUNIA_USAHA = "dunia_usaha"
    MASYARAKAT = "masyarakat"
    MEDIA = "media"


class BudgetSource(StrEnum):
    """Where an action's money comes from, as the regions book it.

    `apbd`, `partner` and `other` are the first list's values, kept so that plans saved
    with them stay valid; the forms offer the others ("APBD" did not say whose).
    """

    APBD_PROVINSI = "apbd_provinsi"
    APBD_KABKOTA = "apbd_kabkota"
    APBN = "apbn"
    DAK = "dak"
    DANA_DESA = "dana_desa"
    CSR = "csr"
    NON_ANGGARAN = "non_anggaran"
    APBD = "apbd"
    PARTNER = "partner"
    OTHER = "other"


LEGACY_BUDGET_SOURCES = (BudgetSource.APBD, BudgetSource.PARTNER, BudgetSource.OTHER)
"""Accepted and shown, no longer offered by the forms."""


FORMAT_2_SOURCES = frozenset(
    {BudgetSource.APBD, BudgetSource.APBN, BudgetSource.PARTNER, BudgetSource.OTHER}
)
"""The budget sources document format 2 knew."""


ISSUE_LABELS_WORDS = {
    StrategicIssue.SPM_REPORTING: NC_("issue.spm_reporting", "SPM reporting quality"),
    StrategicIssue.IKD_MEASUREMENT: NC_("issue.ikd_measurement", "IKD measurement"),
    StrategicIssue.DISASTER_DATA: NC_("issue.disaster_data", "Disaster data management"),
    StrategicIssue.DESTANA: NC_("issue.destana", "Resilient villages (Destana)"),
    StrategicIssue.INCLUSIVE_DM: NC_("issue.inclusive_dm", "Inclusive disaster management"),
    StrategicIssue.PENTAHELIX: NC_("issue.pentahelix", "Pentahelix collaboration"),
    StrategicIssue.OTHER: NC_("issue.lainnya", "Other"),
}
ISSUE_LABELS: dict[Language, dict[StrategicIssue, str]] = by_language(ISSUE_LABELS_WORDS)
"""Each strategic issue's one label, in every language (`domain.words`)."""


PHASE_LABELS_WORDS = {
    Phase.PRA_BENCANA: NC_("phase.pra_bencana", "Pre-disaster"),
    Phase.TANGGAP_DARURAT: NC_("phase.tanggap_darurat", "Emergency response"),
    Phase.PASCA_BENCANA: NC_("phase.pasca_bencana", "Post-disaster"),
}
PHASE_LABELS: dict[Language, dict[Phase, str]] = by_language(PHASE_LABELS_WORDS)
"""Each phase's one label; BPBD writes prabencana and pascabencana joined."""


PARTNER_LABELS_WORDS = {
    Partner.PEMERINTAH: NC_("partner.pemerintah", "Government"),
    Partner.AKADEMISI: NC_("partner.akademisi", "Academia"),
    Partner.DUNIA_USAHA: NC_("partner.dunia_usaha", "Business"),
    Partner.MASYARAKAT: NC_("partner.masyarakat", "Community"),
    Partner.MEDIA: NC_("partner.media", "Media"),
}
PARTNER_LABELS: dict[Language, dict[Partner, str]] = by_language(PARTNER_LABELS_WORDS)
"""Each pentahelix partner's one label."""


BUDGET_SOURCE_LABELS_WORDS = {
    BudgetSource.APBD_PROVINSI: NC_("budget_source.apbd_provinsi", "Provincial APBD"),
    BudgetSource.APBD_KABKOTA: NC_("budget_source.apbd_kabkota", "Regency/city APBD"),
    BudgetSource.APBN: NC_("budget_source.apbn", "APBN"),
    BudgetSource.DAK: NC_("budget_source.dak", "DAK"),
    BudgetSource.DANA_DESA: NC_("budget_source.dana_desa", "Village fund (Dana Desa)"),
    BudgetSource.CSR: NC_("budget_source.csr", "CSR/partners"),
    BudgetSource.NON_ANGGARAN: NC_("budget_source.non_anggaran", "Non-budget"),
    BudgetSource.APBD: NC_("budget_source.apbd", "APBD"),
    BudgetSource.PARTNER: NC_("budget_source.partner", "Partner"),
    BudgetSource.OTHER: NC_("budget_source.other", "Other"),
}
BUDGET_SOURCE_LABELS: dict[Language, dict[BudgetSource, str]] = by_language(
    BUDGET_SOURCE_LABELS_WORDS
)
"""Each budget source's one label."""


class ActionItem(BaseModel):
    """One row of a regency's rencana aksi."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategic_issue: StrategicIssue
    phase: Phase
    activity: Text
    indicator: Text
    target_value: Decimal = Field(ge=0, max_digits=18, decimal_places=2)
    target_unit: ShortText
    due_quarters: tuple[WholeNumber, ...] = Field(min_length=1, max_length=4)
    responsible_unit: ShortText
    partners: tuple[Partner, ...] = ()
    budget_rp: Decimal = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=2)
    budget_source: BudgetSource = BudgetSource.APBD
    location: ShortText
    # Since document format 3 (`domain.document`): an item saved with none of these
    # set is written in format 2, exactly as before they existed.
    outcomes: Outcomes = Outcomes()
    baseline: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=2)
    quarter_targets: tuple[Amount | None, ...] = Field(default=(), max_length=4)
    """Cumulative targets at the end of triwulan I-IV, in `target_unit`; empty when the
    item sets none (then it is due in full by its last due quarter), else four values,
    None for a quarter without one."""
    carried_from: CarriedFrom | None = None

    @field_validator("quarter_targets")
    @classmethod
    def _targets_valid(cls, value: tuple[Decimal | None, ...]) -> tuple[Decimal | None, ...]:
        if not value:
            return value
        if len(value) != 4:
            raise ValueError("give a target for each of the four quarters, or none")
        given = [t for t in value if t is not None]
        if any(later < earlier for earlier, later in zip(given, given[1:], strict=False)):
            raise ValueError("quarter targets are cumulative: none may be below an earlier one")
        if all(t is None for t in value):
            return ()
        return value

    @property
    def extended(self) -> bool:
        """True when the item uses a field that document format 2 does not have."""
        return (
            not self.outcomes.empty
            or self.baseline is not None
            or bool(self.quarter_targets)
            or self.carried_from is not None
            or self.budget_source not in FORMAT_2_SOURCES
            or self.strategic_issue is StrategicIssue.OTHER
        )

    def expected_percent(self, quarter: int) -> Decimal:
        """The share of the target due by the end of `quarter` (`expected_percent`)."""
        return expected_percent(self.target_value, self.due_quarters, self.quarter_targets, quarter)

    @field_validator("due_quarters")
    @classmethod
    def _quarters_valid(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(q not in (1, 2, 3, 4) for q in value):
            raise ValueError("quarters are 1 to 4 (triwulan I-IV)")
        if len(set(value)) != len(value):
            raise ValueError("a quarter is listed twice")
        return tuple(sorted(value))

    @field_validator("partners")
    @classmethod
    def _partners_unique(cls, value: tuple[Partner, ...]) -> tuple[Partner, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a partner is listed twice")
        return value


class ActionPlan(BaseModel):
    """A full set of items as saved in one draft version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: tuple[ActionItem, ...] = Field(min_length=1, max_length=MAX_ITEMS)


def canonical_json(value: object) -> str:
    """Serialise to the one JSON text that hashes identically everywhere."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def plan_document(
    *, cycle_id: str, regency_code: str, version: int, plan: ActionPlan
) -> dict[str, object]:
    """The canonical document that signatories sign: who, which version, which items."""
    return {
        "cycle": cycle_id,
        "regency": regency_code,
        "version": version,
        "items": [
            item.model_dump(
                mode="json", exclude={"outcomes", "baseline", "quarter_targets", "carried_from"}
            )
            for item in plan.items
        ],
    }


def document_hash(document: dict[str, object]) -> str:
    """SHA-256 of the canonical JSON of a document, hex encoded."""
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


def expected_percent(
    target_value: Decimal,
    due_quarters: Sequence[int],
    quarter_targets: Sequence[Decimal | None],
    quarter: int,
) -> Decimal:
    """The share of an item's target due by the end of `quarter`, in percent: from the
    cumulative quarter targets when set, else all of it from the last due quarter on.
    An item whose verified progress is below this is behind schedule."""
    if quarter_targets and target_value > 0:
        reached = [t for t in quarter_targets[:quarter] if t is not None]
        if not reached:
            return Decimal(0)
        return min(Decimal(100), reached[-1] * 100 / target_value).quantize(Decimal("0.01"))
    return Decimal(100) if quarter >= max(due_quarters) else Decimal(0)
