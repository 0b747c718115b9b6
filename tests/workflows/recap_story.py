"""The plans and reports of the recap year (tests/workflows/test_recap_year.py), and the
recap's figures computed from them here, independently of `services.recap`.

Every party's plan links its items to every kind of outcome, with amounts and progress
that differ by party, item and quarter, so that a figure summed over the wrong items, a
report of the wrong quarter or an unverified report counted would show.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from domain.catalog import Regency, load_catalog
from domain.outcomes import Outcomes
from domain.plan import ActionItem, ActionPlan, BudgetSource, Partner, Phase, StrategicIssue
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport

PROVINCE = "53"
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")
TOTAL = "all"


def party_bps(code: str) -> str:
    """The 4-digit BPS code of a regency, "53" for the province (any village of NTT)."""
    if code == PROVINCE:
        return "5371"  # the province's own Destana village lies in Kota Kupang
    regency: Regency = load_catalog().get(code)
    return regency.bps_code


def plan_for(code: str, index: int) -> ActionPlan:
    """Four items: SPM, IKD, Destana and one of the Rakor's other agreements."""
    n = index + 1
    village = f"{party_bps(code)}010{n:03d}"
    items = [
        ActionItem(
            strategic_issue=StrategicIssue.SPM_REPORTING,
            phase=Phase.PRA_BENCANA,
            activity="Input data SPM sub-urusan bencana ke e-SPM tepat waktu",
            indicator="Laporan SPM triwulanan terunggah",
            target_value=Decimal(4),
            target_unit="laporan",
            due_quarters=(1, 2, 3, 4),
            quarter_targets=(Decimal(1), Decimal(2), Decimal(3), Decimal(4)),
            baseline=Decimal(0),
            responsible_unit="Sekretariat BPBD",
            partners=(Partner.PEMERINTAH,),
            budget_rp=Decimal(10_000_000 + n * 1_000_000),
            budget_source=BudgetSource.APBD_KABKOTA,
            location="Kantor BPBD",
            outcomes=Outcomes.model_validate(
                {
                    "spm": [{"service": f"spm{1 + n % 3}", "sipd_code": "1.05.03.2.01"}],
                    "sendai": ["G"],
                }
            ),
        ),
        ActionItem(
            strategic_issue=StrategicIssue.IKD_MEASUREMENT,
            phase=Phase.PRA_BENCANA,
            activity="Penilaian mandiri Indeks Ketahanan Daerah",
            indicator="Dokumen penilaian IKD terverifikasi",
            target_value=Decimal(1),
            target_unit="dokumen",
            due_quarters=(2,),
            responsible_unit="Bidang Pencegahan",
            budget_rp=Decimal(25_000_000),
            budget_source=BudgetSource.APBD_PROVINSI if n % 2 else BudgetSource.DAK,
            location="Kantor BPBD",
            outcomes=Outcomes.model_validate(
                {"ikd": [{"priority": 1 + n % 7, "indicator": 1 + (n * 3) % 71}], "sendai": ["E"]}
            ),
        ),
        ActionItem(
            strategic_issue=StrategicIssue.DESTANA,
            phase=Phase.PRA_BENCANA,
            activity="Pembentukan Desa Tangguh Bencana",
            indicator="Desa Tangguh Bencana terbentuk",
            target_value=Decimal(2),
            target_unit="desa",
            due_quarters=(3, 4),
            quarter_targets=(None, None, Decimal(1), Decimal(2)),
            responsible_unit="Bidang Pencegahan",
            partners=(Partner.MASYARAKAT, Partner.DUNIA_USAHA),
            budget_rp=Decimal(100_000_000 + n * 5_000_000),
            budget_source=BudgetSource.DANA_DESA,
            location="Desa sasaran",
            outcomes=Outcomes.model_validate(
                {
                    "destana": [
                        {"village_code": village, "level": ("pratama", "madya", "utama")[n % 3]}
                    ],
                    "ikd": [{"priority": 6}],
                    "sendai": ["B", "G"],
                }
            ),
        ),
        ActionItem(
            strategic_issue=StrategicIssue.OTHER,
            phase=Phase.PASCA_BENCANA,
            activity="Rencana rehabilitasi dan rekonstruksi pascabencana",
            indicator="Dokumen R3P tersusun",
            target_value=Decimal(1),
            target_unit="dokumen",
            due_quarters=(4,),
            responsible_unit="Bidang Rehabilitasi dan Rekonstruksi",
            budget_rp=Decimal(0) if n % 4 == 0 else Decimal(40_000_000),
            budget_source=BudgetSource.NON_ANGGARAN if n % 4 == 0 else BudgetSource.APBN,
            location="Wilayah terdampak",
            outcomes=Outcomes.model_validate({"ikd": [{"priority": 7}], "sendai": ["C", "D"]}),
        ),
    ]
    return ActionPlan(items=tuple(items))


def progress(index: int, position: int, quarter: int) -> Decimal:
    """How far an item is at a quarter's report: rising, some never reaching 100."""
    base = Decimal(20 * quarter + (index * 7 + position * 11) % 30)
    if (index + position) % 5 == 0:
        base = min(base, Decimal(60))  # these stay unfinished: carried into next year
    return min(base, HUNDRED)


def report_for(index: int, plan: ActionPlan, quarter: int) -> QuarterlyReport:
    """A report with realised budget, obstacles and follow-up for an unfinished item."""
    items = []
    for position, item in enumerate(plan.items, start=1):
        percent = progress(index, position, quarter)
        realised = (item.budget_rp * percent / HUNDRED).quantize(CENTS)
        items.append(
            ItemProgress(
                item_position=position,
                status=ProgressStatus.SELESAI
                if percent == HUNDRED
                else ProgressStatus.SESUAI_JADWAL,
                percent_realised=percent,
                realised_rp=realised,
                obstacles="" if percent == HUNDRED else "Cuaca dan akses jalan",
                follow_up="" if percent == HUNDRED else "Dilanjutkan triwulan berikutnya",
            )
        )
    return QuarterlyReport(quarter=quarter, items=tuple(items))


@dataclass
class Figures:
    """One group's figures at one quarter, computed here."""

    planned: int = 0
    budget: Decimal = Decimal(0)
    realised: Decimal = Decimal(0)
    progress_sum: Decimal = Decimal(0)
    done: int = 0
    carried: int = 0
    behind: set[str] = field(default_factory=set)

    @property
    def progress(self) -> Decimal:
        if not self.planned:
            return Decimal(0)
        return (self.progress_sum / self.planned).quantize(CENTS, rounding=ROUND_HALF_UP)


def expected(
    plans: dict[str, ActionPlan],
    verified: dict[str, dict[int, QuarterlyReport]],
    quarter: int,
) -> dict[tuple[str, str], Figures]:
    """Every group's figures at `quarter`, from the signed plans and, for each item, the
    latest verified report of a quarter up to `quarter` that names it (none: 0 %, Rp 0)."""
    groups: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for code, plan in plans.items():
        rows = {
            row.item_position: row
            for q, report in sorted(verified.get(code, {}).items())
            if q <= quarter
            for row in report.items
        }
        for position, item in enumerate(plan.items, start=1):
            row = rows.get(position)
            percent = Decimal(0) if row is None else row.percent_realised
            realised = Decimal(0) if row is None or row.realised_rp is None else row.realised_rp
            keys = [("issue_phase", f"{item.strategic_issue.value}.{item.phase.value}")]
            keys += [(kind, key) for kind, key in item.outcomes.keys()]
            # Each kind's total counts the item once, however many of its codes it serves.
            keys += [(kind, TOTAL) for kind in dict.fromkeys(kind for kind, _ in keys)]
            for key in keys:
                g = groups[key]
                g.planned += 1
                g.budget += item.budget_rp
                g.realised += realised
                g.progress_sum += percent
                g.done += percent == HUNDRED
                g.carried += item.carried_from is not None
                if percent < item.expected_percent(quarter):
                    g.behind.add(code)
    return dict(groups)


def unfinished(plan: ActionPlan, verified: dict[int, QuarterlyReport]) -> list[tuple[int, Decimal]]:
    """(position, last verified percent) of the items not verified at 100 % by the end."""
    last: dict[int, Decimal] = {}
    for quarter in sorted(verified):
        for row in verified[quarter].items:
            last[row.item_position] = row.percent_realised
    return [
        (position, last.get(position, Decimal(0)))
        for position in range(1, len(plan.items) + 1)
        if last.get(position, Decimal(0)) < HUNDRED
    ]
