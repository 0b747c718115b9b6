"""An action item's outcome links and planning fields through the JSON API, and a report's
budget realised, obstacles and follow-up, on both databases.

Saved, read back (ItemOut), compared between versions, written in document format 3 whose
hash an auditor recomputes from the version's document, reported on and exported; a
Destana village of another regency, an unknown SPM service and a SIPD code of the wrong
shape are refused with 422 naming the field.
"""

from __future__ import annotations

import hashlib
import io
import json
from copy import deepcopy
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from temporalio.testing import WorkflowEnvironment

from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from services.exports import PLAN_COLUMNS
from tests.api.client import running_api
from tests.schedules import reporting_cycle

KUPANG = load_catalog().get("53.01")  # BPS 5303
OUTCOMES: dict[str, Any] = {
    "spm": [{"service": "spm2", "sipd_code": "1.05.03.2.01"}],
    "ikd": [{"priority": 6, "indicator": 48}, {"priority": 3}],
    "sendai": ["G", "B"],
    "destana": [
        {"village_code": "5303010001", "level": "madya", "scheme": "perka_1_2012"},
        {"village_code": "5303020004", "level": "pratama"},
    ],
}


def linked_plan() -> dict[str, Any]:
    """The sample plan whose first item serves every kind of outcome and has a baseline,
    quarter targets, a carried-over mark and a budget of Rp150.000.000."""
    plan = sample_plan(KUPANG).model_dump(mode="json")
    first = plan["items"][0]
    first |= {
        "budget_rp": "150000000",
        "budget_source": "apbd_kabkota",
        "target_value": "12.5",
        "outcomes": deepcopy(OUTCOMES),
        "baseline": "2",
        "quarter_targets": ["2.5", "5", None, "12.5"],
        "carried_from": {"cycle_id": "rakor-2025", "position": 3, "realised_percent": "40"},
    }
    return plan


def with_first(plan: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The plan with its first item changed."""
    changed = deepcopy(plan)
    changed["items"][0] |= changes
    return changed


async def test_new_item_fields_round_trip_are_refused_when_wrong_and_are_reported(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    async with running_api(env.client, db_url, tmp_path) as api:
        year, schedule = reporting_cycle(await env.get_current_time())
        cycle = await api.start_cycle(["53.01"], year, schedule.model_dump(mode="json"))
        base = f"/cycles/{cycle}/commitments/53.01"
        officer = "operator-5301"
        plan = linked_plan()

        # Refused before anything is saved, each naming the item and field.
        outside = with_first(
            plan,
            outcomes={**OUTCOMES, "destana": [{"village_code": "5304010001", "level": "utama"}]},
        )
        refused = await api.post(
            f"{base}/save-draft", officer, {"plan": outside, "based_on_version": 0}
        )
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["errors"] == [
            {
                "field": "plan.items[0].outcomes.destana[0].village_code",
                "message": problem["detail"],
            }
        ]
        assert "action 1" in problem["detail"] and "5304010001" in problem["detail"]
        assert "Kabupaten Kupang" in problem["detail"] and "5303" in problem["detail"]
        unknown = with_first(plan, outcomes={"spm": [{"service": "spm9"}]})
        answer = await api.post(
            f"{base}/save-draft", officer, {"plan": unknown, "based_on_version": 0}
        )
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [
            "plan.items[0].outcomes.spm[0].service"
        ]
        shape = with_first(plan, outcomes={"spm": [{"service": "spm1", "sipd_code": "1.05.3.01"}]})
        answer = await api.post(
            f"{base}/save-draft", officer, {"plan": shape, "based_on_version": 0}
        )
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [
            "plan.items[0].outcomes.spm[0].sipd_code"
        ]
        assert api.commitment_rows()[0][3] == 0  # nothing saved

        saved = await api.post(f"{base}/save-draft", officer, {"plan": plan, "based_on_version": 0})
        assert saved.status_code == 200, saved.text

        # Read back as saved, links in their reference order.
        items = (await api.get(f"{base}/versions/1/items", "reviewer")).json()
        first = items[0]
        assert first["outcomes"] == {
            "spm": [{"service": "spm2", "sipd_code": "1.05.03.2.01"}],
            "ikd": [{"priority": 3, "indicator": None}, {"priority": 6, "indicator": 48}],
            "sendai": ["B", "G"],
            "destana": [
                {"village_code": "5303010001", "level": "madya", "scheme": "perka_1_2012"},
                {"village_code": "5303020004", "level": "pratama", "scheme": "perka_1_2012"},
            ],
        }
        assert Decimal(first["baseline"]) == 2
        assert [None if t is None else Decimal(t) for t in first["quarter_targets"]] == [
            Decimal("2.5"),
            5,
            None,
            Decimal("12.5"),
        ]
        carried = first["carried_from"]
        assert (carried["cycle_id"], carried["position"]) == ("rakor-2025", 3)
        assert Decimal(str(carried["realised_percent"])) == 40
        assert first["budget_source"] == "apbd_kabkota"
        assert items[1]["outcomes"] is None and items[1]["quarter_targets"] is None

        # Format 3, and its hash recomputed from the version's document alone.
        version = (await api.get(f"{base}/versions", officer)).json()[0]
        assert version["document_format"] == 3
        document = await api.get(f"{base}/versions/1/document", "reviewer")
        assert hashlib.sha256(document.content).hexdigest() == version["document_hash"]
        written = json.loads(document.content)
        assert written["format"] == 3
        assert written["items"][0]["quarter_targets"] == ["2.50", "5.00", None, "12.50"]
        assert written["items"][0]["carried_from"]["realised_percent"] == "40.00"
        assert written["items"][1]["outcomes"]["spm"] == []

        # A second version: the diff names the changed new fields.
        changed = with_first(
            plan, baseline="3", outcomes={**OUTCOMES, "sendai": ["G"]}, quarter_targets=[]
        )
        saved = await api.post(
            f"{base}/save-draft", officer, {"plan": changed, "based_on_version": 1}
        )
        assert saved.status_code == 200, saved.text
        diff = (await api.get(f"{base}/diff", "reviewer", **{"from": 1, "to": 2})).json()
        assert [c["position"] for c in diff["changes"]] == [1]
        fields = diff["changes"][0]["fields"]
        assert set(fields) == {"baseline", "outcomes", "quarter_targets"}
        assert fields["outcomes"][0]["sendai"] == ["B", "G"]
        assert fields["outcomes"][1]["sendai"] == ["G"]

        # Approved and signed, then a report with budget realised, obstacles and follow-up.
        assert (await api.post(f"{base}/submit", officer, {"version": 2})).is_success
        approved = await api.post(f"{base}/approve", "reviewer", {"version": 2})
        hash_ = approved.json()["document_hash"]
        for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
            signed = await api.post(f"{base}/sign", signer, {"document_hash": hash_})
            assert signed.is_success, signed.text
        report = {
            "quarter": 1,
            "items": [
                {
                    "item_position": 1,
                    "status": "sesuai_jadwal",
                    "percent_realised": "25",
                    "realised_rp": "37500000",
                    "obstacles": "Cuaca buruk di Desa Oesao",
                    "follow_up": "Pelatihan dijadwalkan ulang bulan April",
                }
            ],
        }
        sent = await api.post(f"{base}/reports", officer, report)
        assert sent.status_code == 200, sent.text
        recorded = (await api.get(f"{base}/reports", "reviewer")).json()[0]["items"][0]
        assert Decimal(str(recorded["realised_rp"])) == 37_500_000
        assert recorded["obstacles"] == "Cuaca buruk di Desa Oesao"
        assert recorded["follow_up"] == "Pelatihan dijadwalkan ulang bulan April"

        # The export: the new fields as words and numbers, and the report's realised share.
        xlsx = await api.get(f"/cycles/{cycle}/exports/action-plans.xlsx", "manajer")
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        header = [c.header for c in PLAN_COLUMNS]
        assert rows[0] == header
        row = dict(zip(header, rows[1], strict=True))
        assert row["Kondisi awal (baseline)"] == 3 and row["Target TW I"] is None
        assert "SPM 2: Pelayanan pencegahan" in str(row["Capaian yang didukung"])
        assert "Destana desa 5303010001: Madya" in str(row["Capaian yang didukung"])
        assert row["Dibawa dari siklus"] == "Dibawa dari siklus rakor-2025 (realisasi 40 %)"
        assert row["Laporan terakhir (triwulan)"] == "I"
        assert row["Realisasi anggaran (Rp)"] == 37_500_000
        assert row["Realisasi anggaran (% pagu)"] == 25
        assert row["Kendala"] == "Cuaca buruk di Desa Oesao"
        assert row["Rencana tindak lanjut"] == "Pelatihan dijadwalkan ulang bulan April"
        second = dict(zip(header, rows[2], strict=True))
        assert second["Capaian yang didukung"] is None and second["Kendala"] is None
