"""PDF generation: a 22-regency joint commitment and a 40-item plan, against fpdf2's floor.

`services.pdf` writes each document many times over, in this process (no server and
no database: the documents are built in memory as `services.documents` would read
them, every regency signed by three offices). Measured per document: the 95th
percentile of the time one PDF takes, and the peak memory Python allocates while
writing one (tracemalloc). The floor is fpdf2 writing the same number of table
cells of plain text in the same fonts, with no layout of ours (no wrapping checks,
no signature blocks, no QR code): what fpdf2 itself costs for a document of that
shape. Targets: p95 under a second per document and within five times the floor.

    .venv/bin/python -m bench.pdf            # 30 runs of each
    .venv/bin/python -m bench.pdf --quick    # 5 runs, nothing written
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fpdf import FPDF

from bench.common import bench_parser, met, percentile, progress, verdict, write_result
from db import models as m
from domain.audit import ChainHead
from domain.catalog import load_catalog
from domain.document import DocumentFormat
from domain.plan import BudgetSource, Partner, Phase, StrategicIssue
from services.documents import JointCommitment, PlanDocument, SignatureBlock, SignedRegency
from services.pdf import FONTS, PLAN_COLUMNS, joint_pdf, plan_pdf

TARGET_P95_MS = 1000
TARGET_RATIO = 5.0
TARGET_PEAK_MB = 64
"""Peak memory Python allocates for one document: a few such PDFs at once fit any API process."""
VERIFY_URL = "https://komitmen.bpbd.nttprov.go.id/verify/7K3M-Q9XD-2P4A"
SIGNED_AT = datetime(2026, 1, 20, 2, 30, tzinfo=UTC)
CHAIN = ChainHead(length=1234, hash="ab" * 32)
say = progress("pdf")


def bench_cycle(codes: Sequence[str]) -> m.Cycle:
    """A cycle of the catalogue's regencies named by `codes`, signed by three offices each."""
    catalog = load_catalog()
    return m.Cycle(
        id="rakor-2026",
        name="Rakor PB NTT 2025",
        year=2026,
        status="running",
        spec={
            "regencies": [{"code": c, "name": catalog.get(c).name} for c in codes],
            "signatories": ["bpbd_head", "planning_head", "regional_head"],
        },
        started_by="Koordinator",
        started_at=SIGNED_AT - timedelta(days=60),
    )


def bench_commitment(code: str, version: int = 3) -> m.Commitment:
    """A regency's commitment in follow-up, its version approved and signed."""
    return m.Commitment(
        id=f"rakor-2026:{code}",
        cycle_id="rakor-2026",
        regency_code=code,
        regency_name=load_catalog().get(code).name,
        stage="follow_up",
        round=1,
        latest_version=version,
        approved_version=version,
        document_hash=f"{int(code.replace('.', '')):064x}",
    )


def bench_blocks(code: str) -> list[SignatureBlock]:
    """The three signature blocks of a regency, one of them an acting official's."""
    regency = load_catalog().get(code)
    place = f"{regency.seat}, 20 Januari 2026"
    return [
        SignatureBlock(place, f"KEPALA BPBD {regency.name.upper()},", "Yohanes Benu", None),
        SignatureBlock(
            place,
            f"KEPALA BAPPEDA {regency.name.upper()},",
            "Maria Goreti Lake",
            "197503122000121003",
        ),
        SignatureBlock(
            place,
            f"Plt. {regency.head_title.upper()} {regency.short_name.upper()},",
            "Simon Petrus Leo",
            None,
        ),
    ]


def bench_items(count: int) -> list[m.ActionItem]:
    """`count` action items with every field filled, some texts long, exact amounts."""
    issues, phases, partners = list(StrategicIssue), list(Phase), list(Partner)
    return [
        m.ActionItem(
            position=n,
            strategic_issue=issues[n % len(issues)],
            phase=phases[n % len(phases)],
            activity=f"Kegiatan {n}: pendataan kelompok rentan terpilah usia, jenis kelamin "
            "dan disabilitas di desa rawan banjir" + " serta sosialisasi" * (n % 3),
            indicator=f"Basis data kelompok rentan desa ke-{n} terverifikasi",
            target_value=Decimal(n) + Decimal("0.50") * (n % 2),
            target_unit="desa",
            due_quarters=[q for q in (1, 2, 3, 4) if (n + q) % 2 or q == 4],
            responsible_unit="Bidang Pencegahan dan Kesiapsiagaan",
            partners=[p.value for p in partners[: 1 + n % len(partners)]],
            budget_rp=Decimal("150000000.50") + n,
            budget_source=list(BudgetSource)[n % len(BudgetSource)],
            location=f"Desa Oelnasi {n}, Kecamatan Kupang Tengah",
        )
        for n in range(1, count + 1)
    ]


def bench_plan(items: int) -> PlanDocument:
    """A signed plan of `items` items, as `services.documents.plan_document` reads one."""
    return PlanDocument(
        row=bench_commitment("53.01"),
        cycle=bench_cycle(["53.01"]),
        items=bench_items(items),
        blocks=bench_blocks("53.01"),
        chain=CHAIN,
        issued_at=SIGNED_AT,
        document_format=DocumentFormat.CANONICAL,
    )


def bench_joint(regencies: int) -> JointCommitment:
    """A joint commitment of the catalogue's first `regencies` regencies, every one signed."""
    codes = load_catalog().codes()[:regencies]
    return JointCommitment(
        cycle=bench_cycle(codes),
        regencies=[
            SignedRegency(
                code=c,
                name=load_catalog().get(c).name,
                row=bench_commitment(c),
                blocks=bench_blocks(c),
                complete=True,
            )
            for c in codes
        ],
        required=3,
        chain=CHAIN,
        issued_at=SIGNED_AT,
    )


def floor_pdf(rows: int, columns: int, orientation: str) -> bytes:
    """fpdf2 alone: a table of `rows` x `columns` cells of plain text, in the same fonts."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_font("DejaVu", size=7.5)
    pdf.set_creation_date(SIGNED_AT)
    pdf.add_page()
    with pdf.table() as table:
        for r in range(rows):
            row = table.row()
            for c in range(columns):
                row.cell(f"sel {r}.{c}")
    return bytes(pdf.output())


def timed(make: Callable[[], bytes], runs: int) -> dict[str, float]:
    """p50 and p95 milliseconds of `runs` calls, the peak traced memory of one, its size."""
    make()  # warm up: imports, font parsing caches, the catalogue
    times = []
    for _ in range(runs):
        gc.collect()
        began = time.perf_counter()
        make()
        times.append((time.perf_counter() - began) * 1000)
    gc.collect()
    tracemalloc.start()
    size = len(make())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "peak_mb": round(peak / 2**20, 1),
        "bytes": size,
    }


def measure(runs: int, regencies: int, items: int) -> dict[str, Any]:
    """Time both documents and their floors; judge p95 against the targets."""
    plan, joint = bench_plan(items), bench_joint(regencies)
    # The floors' shape: the plan's table as printed; the joint commitment as a table of a
    # regency per row with its name, stage, hash and the three blocks' four lines each.
    cases: dict[str, tuple[Callable[[], bytes], Callable[[], bytes]]] = {
        "joint": (
            lambda: joint_pdf(joint, verify_url=VERIFY_URL),
            lambda: floor_pdf(regencies, 3 + 3 * 4, "portrait"),
        ),
        "plan": (
            lambda: plan_pdf(plan, verify_url=VERIFY_URL),
            lambda: floor_pdf(items + 1, len(PLAN_COLUMNS), "landscape"),
        ),
    }
    figures: dict[str, Any] = {}
    targets: dict[str, Any] = {}
    for name, (ours, floor) in cases.items():
        say(f"{name}: {runs} runs of ours and of the floor ...")
        mine, bare = timed(ours, runs), timed(floor, runs)
        ratio = mine["p95_ms"] / bare["p95_ms"]
        figures[f"{name}_p95_ms"] = mine["p95_ms"]
        figures[f"{name}_floor_p95_ms"] = bare["p95_ms"]
        figures[f"{name}_ratio"] = round(ratio, 2)
        figures[f"{name}_peak_mb"] = mine["peak_mb"]
        figures[name] = mine
        figures[f"{name}_floor"] = bare
        targets[f"{name}_p95_ms"] = {
            "target": f"< {TARGET_P95_MS} ms",
            "pass": mine["p95_ms"] < TARGET_P95_MS,
        }
        targets[f"{name}_ratio"] = {
            "target": f"≤ {TARGET_RATIO:g} × floor",
            "pass": ratio <= TARGET_RATIO,
        }
        targets[f"{name}_peak_mb"] = {
            "target": f"< {TARGET_PEAK_MB} MB",
            "pass": mine["peak_mb"] < TARGET_PEAK_MB,
        }
    return {
        "sizes": {"runs": runs, "regencies": regencies, "items": items},
        "figures": figures,
        "targets": targets,
    }


def summary(f: dict[str, Any], s: dict[str, Any], targets: dict[str, Any]) -> str:
    """The one line a run prints."""
    return (
        f"pdf: joint commitment of {s['regencies']} regencies p95 {f['joint_p95_ms']:.0f} ms "
        f"({f['joint_ratio']:.1f} × floor {f['joint_floor_p95_ms']:.0f} ms), peak "
        f"{f['joint']['peak_mb']} MB, {f['joint']['bytes']:,} bytes; plan of {s['items']} items "
        f"p95 {f['plan_p95_ms']:.0f} ms ({f['plan_ratio']:.1f} × floor "
        f"{f['plan_floor_p95_ms']:.0f} ms), peak {f['plan']['peak_mb']} MB, "
        f"{f['plan']['bytes']:,} bytes; targets "
        f"{', '.join(verdict(t) for t in targets.values())}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/pdf.json."""
    parser = bench_parser("pdf", __doc__, "5 runs of each, to smoke-test")
    parser.add_argument("--runs", type=int, help="runs of each document (default 30)")
    parser.add_argument("--regencies", type=int, default=22, help="in the joint commitment")
    parser.add_argument("--items", type=int, default=40, help="in the plan")
    args: argparse.Namespace = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 30)
    result = measure(runs, args.regencies, args.items)
    result["summary"] = summary(result["figures"], result["sizes"], result["targets"])
    if not args.quick:
        write_result("pdf", result)
    print(result["summary"])
    return 0 if met(result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
