"""A recorded recap year, written straight into the database: the province and three
regencies with signed plans, one regency still drafting, verified and unverified reports.

The events come from the pure domain functions (`domain.commitment`) and are recorded
by `db.records` as the worker's activities record them, so the rows are the real ones
without a Temporal server: a page or an export test seeds a year in well under a second.

What the figures should be, from the plans and reports below:

- 53.01 (Kabupaten Kupang): four actions; Q1 verified (50 %, 25 %, 100 %, 0 %), Q2
  verified (60 %, 100 %, 100 %, 10 %); its fourth action is carried over from last year;
- 53.02 (TTS): three actions; Q1 verified (20 %, 0 %, 50 %);
- 53.71 (Kota Kupang): three actions; Q1 submitted, never verified (counts 0 %);
- 53 (the province): three actions; Q1 verified (30 %, 10 %, 40 %);
- 53.05 (Alor): drafting only, so not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from db import records
from db.session import session_factory, transaction
from domain import commitment as c
from domain.calendar import at_wita
from domain.catalog import Office, load_catalog
from domain.cycle import CycleEvent
from domain.outcomes import Outcomes
from domain.plan import (
    ActionItem,
    ActionPlan,
    BudgetSource,
    CarriedFrom,
    Partner,
    Phase,
    StrategicIssue,
)
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport
from domain.roles import Actor, Role
from domain.schedule import default_schedule
from komitmen.demo import seed_demo_users
from services.actions import build_cycle_spec
from services.signin import hash_password

CYCLE = "rekap-2027"
YEAR = 2027
PASSWORD = "kata-sandi-rekap"
SIGNED = ("53", "53.01", "53.02", "53.71")
DRAFTING = ("53.05",)
PARTIES = ("53", "53.01", "53.02", "53.05", "53.71")
COORDINATOR = Actor(name="Koordinator", role=Role.COORDINATOR, username="koordinator")

VERIFIED: dict[str, dict[int, tuple[str, ...]]] = {
    "53.01": {1: ("50", "25", "100", "0"), 2: ("60", "100", "100", "10")},
    "53.02": {1: ("20", "0", "50")},
    "53": {1: ("30", "10", "40")},
}
"""Percent realised per item of each verified report, by party and quarter."""
UNVERIFIED: dict[str, dict[int, tuple[str, ...]]] = {"53.71": {1: ("80", "80", "80")}}
"""Reports submitted and left waiting: they must not count."""


def _bps(code: str) -> str:
    return "5371" if code == "53" else load_catalog().get(code).bps_code


def plan_for(code: str) -> ActionPlan:
    """The party's plan: SPM with Sendai G, IKD 2.12 with Sendai E, a Destana village; Kupang
    adds an inclusive action carried over from last year."""
    scale = {"53": 3, "53.01": 1, "53.02": 2, "53.05": 1, "53.71": 4}[code]
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
            responsible_unit="Sekretariat BPBD",
            partners=(Partner.PEMERINTAH,),
            budget_rp=Decimal(10_000_000 * scale),
            budget_source=BudgetSource.APBD_KABKOTA,
            location="Kantor BPBD",
            outcomes=Outcomes.model_validate(
                {"spm": [{"service": "spm1", "sipd_code": "1.05.03.2.01"}], "sendai": ["G"]}
            ),
        ),
        ActionItem(
            strategic_issue=StrategicIssue.IKD_MEASUREMENT,
            phase=Phase.PRA_BENCANA,
            activity="Penilaian mandiri Indeks Ketahanan Daerah",
            indicator="Dokumen penilaian IKD",
            target_value=Decimal(1),
            target_unit="dokumen",
            due_quarters=(1,),
            responsible_unit="Bidang Pencegahan",
            budget_rp=Decimal(25_000_000),
            budget_source=BudgetSource.APBD_PROVINSI,
            location="Kantor BPBD",
            outcomes=Outcomes.model_validate(
                {"ikd": [{"priority": 2, "indicator": 12}], "sendai": ["E"]}
            ),
        ),
        ActionItem(
            strategic_issue=StrategicIssue.DESTANA,
            phase=Phase.PRA_BENCANA,
            activity="Pembentukan Desa Tangguh Bencana",
            indicator="Desa tangguh bencana terbentuk",
            target_value=Decimal(1),
            target_unit="desa",
            due_quarters=(2,),
            responsible_unit="Bidang Pencegahan",
            budget_rp=Decimal("40000000.50") if code == "53.02" else Decimal(40_000_000),
            budget_source=BudgetSource.DANA_DESA,
            location="Desa",
            outcomes=Outcomes.model_validate(
                {
                    "destana": [
                        {"village_code": f"{_bps(code)}010001", "level": "pratama"},
                    ],
                    "spm": [{"service": "spm2"}],
                }
            ),
        ),
    ]
    if code == "53.01":
        items.append(
            ActionItem(
                strategic_issue=StrategicIssue.INCLUSIVE_DM,
                phase=Phase.TANGGAP_DARURAT,
                activity="Pendataan kelompok rentan di pengungsian",
                indicator="Data terpilah usia, jenis kelamin dan disabilitas",
                target_value=Decimal(1),
                target_unit="dokumen",
                due_quarters=(1,),
                responsible_unit="Bidang Kedaruratan",
                budget_rp=Decimal(5_000_000),
                budget_source=BudgetSource.APBD_KABKOTA,
                location="Kabupaten",
                carried_from=CarriedFrom(
                    cycle_id="rakor-2026", position=3, realised_percent=Decimal("40")
                ),
            )
        )
    return ActionPlan(items=tuple(items))


def _report(quarter: int, percents: Sequence[str], budgets: Sequence[Decimal]) -> QuarterlyReport:
    return QuarterlyReport(
        quarter=quarter,
        items=tuple(
            ItemProgress(
                item_position=position,
                status=ProgressStatus.SESUAI_JADWAL,
                percent_realised=Decimal(percent),
                # Half of what was achieved was paid for: the Rp follows the percent.
                realised_rp=(budget * Decimal(percent) / 200).quantize(Decimal(1)),
            )
            for position, (percent, budget) in enumerate(zip(percents, budgets, strict=True), 1)
        ),
    )


def seed_recap_year(db_url: str) -> None:
    """Record the recap year (module docstring) and the demo people, password PASSWORD."""
    catalog = load_catalog()
    sessions = session_factory(db_url)
    spec = build_cycle_spec(
        cycle_id=CYCLE,
        name="Rakor PB NTT 2026",
        year=YEAR,
        catalog=catalog,
        schedule=default_schedule(YEAR),
        started_by=COORDINATOR,
        regency_codes=list(PARTIES),
    )
    with transaction(sessions) as session:
        seed_demo_users(session, catalog, password_hash=hash_password(PASSWORD))
        records.record_cycle_event(
            session,
            event=CycleEvent(
                cycle_id=CYCLE,
                seq=1,
                action="started",
                status="running",
                actor=COORDINATOR,
                occurred_at=at_wita(date(YEAR, 1, 4), 8),
                spec=spec,
            ),
        )
    for party in spec.regencies:
        code = party.code
        regency = catalog.get(code)
        state = c.CommitmentState.start(spec.commitment_spec(party), at_wita(date(YEAR, 1, 4), 9))
        events = [c.started_event(state)]
        slug = code.replace(".", "")
        officer = Actor(
            name=f"Operator {code}",
            role=Role.REGENCY_OFFICER,
            regency_code=code,
            username=f"operator-{slug}",
        )
        reviewer = Actor(
            name="Reviewer",
            role=Role.REVIEWER,
            regency_code="53" if code == "53" else None,
            username="reviewer-53" if code == "53" else "reviewer",
        )

        def on(month: int, day: int) -> datetime:
            return at_wita(date(YEAR, month, day), 10)

        plan = plan_for(code)
        save = c.SaveDraft(actor=officer, plan=plan, based_on_version=0)
        c.check_save_draft(state, save)
        events.append(c.apply_save_draft(state, save, on(1, 5)))
        if code in SIGNED:
            submit = c.Submit(actor=officer, version=1)
            c.check_submit(state, submit)
            events.append(c.apply_submit(state, submit, on(1, 6)))
            approve = c.Approve(actor=reviewer, version=1)
            c.check_approve(state, approve)
            events.append(c.apply_approve(state, approve, on(1, 7)))
            assert state.approved_hash is not None
            for office in state.pending_offices:
                signer = Actor(
                    name=f"Penanda tangan {office} {code}",
                    role=Role.SIGNATORY,
                    regency_code=code,
                    office=office,
                )
                sign = c.Sign(actor=signer, document_hash=state.approved_hash)
                c.check_sign(state, sign)
                events.append(c.apply_sign(state, sign, on(1, 8)))
            budgets = [item.budget_rp for item in plan.items]
            reports = sorted(
                [(q, p, True) for q, p in VERIFIED.get(code, {}).items()]
                + [(q, p, False) for q, p in UNVERIFIED.get(code, {}).items()]
            )
            for quarter, percents, verify in reports:
                sent = c.SubmitReport(actor=officer, report=_report(quarter, percents, budgets))
                at = on(3 * quarter + 1, 10)
                c.check_submit_report(state, sent, at)
                events.append(c.apply_submit_report(state, sent, at))
                if verify:
                    check = c.VerifyReport(actor=reviewer, quarter=quarter)
                    c.check_verify_report(state, check)
                    events.append(c.apply_verify_report(state, check, on(3 * quarter + 1, 12)))
        for event in events:
            title = None
            if event.signature is not None:
                title = regency.title_of(Office(event.signature.office), date(YEAR, 1, 8))
            with transaction(sessions) as session:
                records.record_event(
                    session, event=event, regency_name=regency.name, signature_title=title
                )
