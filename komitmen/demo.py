"""Demo data: a directory of people for every regency, and a sample action plan.

The embedded run seeds these so a newcomer can drive a whole cycle from the
terminal at once. Addresses use the reserved example.org domain. Everyone holds
their office definitively except the regent of Kabupaten Kupang (`ACTING`), a Plt.
on record: `komitmen demo`'s first story signs as one, and a signer's acting status
always comes from their record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from domain.catalog import Catalog, Office, Regency
from domain.plan import ActionItem, ActionPlan, BudgetSource, Partner, Phase, StrategicIssue
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport
from domain.roles import Acting, Actor, Role
from services.people import add_person, find_person

DEMO_PASSWORD = "komitmen-demo"

ACTING: dict[str, Acting] = {"kada-5301": Acting.PLT}
"""The demo people who hold their office as acting officials; the others are definitive."""


@dataclass(frozen=True)
class DemoUser:
    """One person of the demo directory."""

    username: str
    full_name: str
    role: Role
    regency_code: str | None = None
    office: Office | None = None
    language: str = "id"
    acting: Acting = Acting.DEFINITIVE

    @property
    def email(self) -> str:
        """The person's example.org address."""
        return f"{self.username}@example.org"

    @property
    def actor(self) -> Actor:
        """Who the person acts as."""
        return Actor(
            name=self.full_name,
            role=self.role,
            regency_code=self.regency_code,
            office=self.office.value if self.office else None,
            acting=self.acting,
            username=self.username,
        )


def _slug(regency: Regency) -> str:
    return regency.kemendagri_code.replace(".", "")


def demo_users(catalog: Catalog) -> list[DemoUser]:
    """Province staff plus an officer and the three signatories of every party (the
    province's own plan too), and the province plan's own reviewer (docs/province.md)."""
    users = [
        DemoUser("koordinator", "Koordinator BPBD Provinsi NTT", Role.COORDINATOR),
        DemoUser("reviewer", "Reviewer BPBD Provinsi NTT", Role.REVIEWER),
        DemoUser("manajer", "Manajer BPBD Provinsi NTT", Role.MANAGER, language="en"),
    ]
    if catalog.party is not None:
        users.append(
            DemoUser(
                f"reviewer-{_slug(catalog.party)}",
                "Reviewer Inspektorat Provinsi NTT",
                Role.REVIEWER,
                catalog.party.kemendagri_code,
            )
        )
    for regency in catalog.parties():
        code, slug = regency.kemendagri_code, _slug(regency)
        users += [
            DemoUser(
                f"operator-{slug}", f"Operator BPBD {regency.name}", Role.REGENCY_OFFICER, code
            ),
            DemoUser(
                f"kalak-{slug}",
                f"Kepala BPBD {regency.name}",
                Role.SIGNATORY,
                code,
                Office.BPBD_HEAD,
            ),
            DemoUser(
                f"bappeda-{slug}",
                f"Kepala {regency.planning_agency} {regency.name}",
                Role.SIGNATORY,
                code,
                Office.PLANNING_HEAD,
            ),
            DemoUser(
                f"kada-{slug}",
                f"{regency.head_title} {regency.short_name}",
                Role.SIGNATORY,
                code,
                Office.REGIONAL_HEAD,
            ),
        ]
    return [replace(u, acting=ACTING.get(u.username, u.acting)) for u in users]


def seed_demo_users(session: Session, catalog: Catalog, password_hash: str | None = None) -> int:
    """Add the demo directory where missing; return how many people were added.

    With `password_hash`, people added now can sign in with that password: the
    embedded demo gives them all one, printed at start, so nobody has to set 96.
    """
    added = 0
    now = datetime.now(UTC)
    for user in demo_users(catalog):
        if find_person(session, user.username) is None:
            add_person(
                session,
                username=user.username,
                person=user.actor,
                email=user.email,
                language=user.language,
                now=now,
                password_hash=password_hash,
            )
            added += 1
    return added


# The sample plan's items, one row each: their fields in `ActionItem`'s order, all but
# the last, the location, which is the regency whose plan it is.
SAMPLE_ITEMS: tuple[tuple[object, ...], ...] = (
    (
        StrategicIssue.SPM_REPORTING,
        Phase.PRA_BENCANA,
        "Input data SPM sub-urusan bencana ke e-SPM tepat waktu",
        "Laporan SPM triwulanan terunggah",
        4,
        "laporan",
        (1, 2, 3, 4),
        "Sekretariat BPBD",
        (Partner.PEMERINTAH,),
        15_000_000,
        BudgetSource.APBD,
    ),
    (
        StrategicIssue.IKD_MEASUREMENT,
        Phase.PRA_BENCANA,
        "Penilaian mandiri Indeks Ketahanan Daerah (71 indikator)",
        "Dokumen penilaian IKD terverifikasi",
        1,
        "dokumen",
        (2,),
        "Bidang Pencegahan",
        (Partner.PEMERINTAH, Partner.AKADEMISI),
        25_000_000,
        BudgetSource.APBD,
    ),
    (
        StrategicIssue.DESTANA,
        Phase.PRA_BENCANA,
        "Pembentukan Desa Tangguh Bencana tingkat Pratama",
        "Desa Tangguh Bencana terbentuk",
        3,
        "desa",
        (3, 4),
        "Bidang Pencegahan",
        (Partner.MASYARAKAT, Partner.DUNIA_USAHA),
        120_000_000,
        BudgetSource.APBN,
    ),
    (
        StrategicIssue.INCLUSIVE_DM,
        Phase.TANGGAP_DARURAT,
        "Pendataan kelompok rentan terpilah usia, jenis kelamin dan disabilitas",
        "Basis data kelompok rentan",
        1,
        "basis data",
        (2, 3),
        "Bidang Kedaruratan",
        (Partner.MASYARAKAT, Partner.MEDIA),
        10_000_000,
        BudgetSource.PARTNER,
    ),
)


# The fields up to the location: the sample plan uses none added since (`ActionItem.extended`),
# so its documents stay in format 2 and keep the hashes the tests know.
_SAMPLE_FIELDS = tuple(ActionItem.model_fields)[
    : list(ActionItem.model_fields).index("location") + 1
]


def sample_plan(regency: Regency) -> ActionPlan:
    """A small, realistic rencana aksi covering several strategic issues."""
    items = (
        ActionItem.model_validate(dict(zip(_SAMPLE_FIELDS, (*row, regency.name), strict=True)))
        for row in SAMPLE_ITEMS
    )
    return ActionPlan(items=tuple(items))


def sample_report(regency: Regency, quarter: int) -> QuarterlyReport:
    """The sample plan's report for `quarter`: every item on schedule, 25% more each quarter."""
    items = tuple(
        ItemProgress(
            item_position=n,
            status=ProgressStatus.SESUAI_JADWAL,
            percent_realised=Decimal(25 * quarter),
            narrative="Berjalan sesuai rencana.",
        )
        for n in range(1, len(sample_plan(regency).items) + 1)
    )
    return QuarterlyReport(quarter=quarter, items=items)
