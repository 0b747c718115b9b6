"""Outcome links, planning fields and document format 3 (issue 16's item fields)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.calendar import holiday_year, holidays_for
from domain.document import DocumentFormat, document_bytes
from domain.outcomes import Outcomes, references, villages_outside
from domain.plan import ActionItem, ActionPlan, BudgetSource, StrategicIssue
from domain.reports import ItemProgress
from tests.domain.test_plan import item_data

LINKED: dict[str, Any] = {
    "spm": [{"service": "spm2", "sipd_code": "1.05.03.2.01"}],
    "ikd": [{"priority": 3, "indicator": 12}, {"priority": 5}],
    "sendai": ["G", "E"],
    "destana": [{"village_code": "5303010001", "level": "madya"}],
}


def test_every_reference_list_names_its_source() -> None:
    refs = references()
    assert set(refs.spm) == {"spm1", "spm2", "spm3"}
    assert sorted(refs.ikd) == [1, 2, 3, 4, 5, 6, 7]
    assert refs.ikd_indicator_count == 71
    assert sorted(refs.sendai) == list("ABCDEFG")
    assert set(refs.destana_levels) == {"pratama", "madya", "utama"}
    for entry in [*refs.spm.values(), *refs.ikd.values(), *refs.sendai.values()]:
        assert entry.source and entry.version == "2025"
    assert "101/2018" in refs.spm["spm1"].source
    assert refs.ikd[3].name("id").startswith("Pengembangan sistem informasi")


def test_links_are_normalised_and_keyed_for_the_recap() -> None:
    outcomes = Outcomes.model_validate(LINKED)
    assert outcomes.sendai == ("E", "G")
    assert outcomes.keys() == [
        ("spm", "spm2"),
        ("ikd", "3"),
        ("ikd_indicator", "3.12"),
        ("ikd", "5"),
        ("sendai", "E"),
        ("sendai", "G"),
        ("destana", "madya"),
    ]
    assert not outcomes.empty and Outcomes().empty
    assert villages_outside(outcomes, "5303") == []
    assert villages_outside(outcomes, "5304") == ["5303010001"]


@pytest.mark.parametrize(
    ("links", "wrong"),
    [
        ({"spm": [{"service": "spm4"}]}, "unknown SPM service"),
        ({"spm": [{"service": "spm1", "sipd_code": "1.05.03.1.01"}]}, "pattern"),
        ({"spm": [{"service": "spm1"}, {"service": "spm1"}]}, "listed twice"),
        ({"ikd": [{"priority": 8}]}, "IKD priorities are 1 to 7"),
        ({"ikd": [{"priority": 2, "indicator": 72}]}, "IKD indicators are 1 to 71"),
        ({"ikd": [{"priority": "2"}]}, "valid integer"),
        ({"sendai": ["H"]}, "Sendai targets are A to G"),
        ({"sendai": ["A", "A"]}, "listed twice"),
        ({"destana": [{"village_code": "53030100", "level": "madya"}]}, "pattern"),
        ({"destana": [{"village_code": "5303010001", "level": "mandiri"}]}, "Destana levels"),
    ],
)
def test_wrong_links_are_refused_with_a_reason(links: dict[str, Any], wrong: str) -> None:
    with pytest.raises(ValidationError, match=wrong):
        Outcomes.model_validate(links)


def test_quarter_targets_are_four_cumulative_values_or_none() -> None:
    item = ActionItem.model_validate(item_data(quarter_targets=[None, "2.5", 4, 5]))
    assert item.quarter_targets == (None, Decimal("2.5"), Decimal(4), Decimal(5))
    assert [item.expected_percent(q) for q in (1, 2, 3, 4)] == [0, 50, 80, 100]
    plain = ActionItem.model_validate(item_data())  # due in quarters 2 and 4
    assert [plain.expected_percent(q) for q in (1, 2, 3, 4)] == [0, 0, 0, 100]
    assert ActionItem.model_validate(item_data(quarter_targets=[None] * 4)).quarter_targets == ()
    for wrong in ([1, 2, 3], [1, 3, 2, 4], [-1, 0, 0, 0], ["1.234", 2, 3, 4]):
        with pytest.raises(ValidationError, match="quarter_targets"):
            ActionItem.model_validate(item_data(quarter_targets=wrong))


def _bytes(plan: ActionPlan, fmt: DocumentFormat) -> bytes:
    return document_bytes(
        cycle_id="rakor-2026", regency_code="53.01", version=1, plan=plan, document_format=fmt
    )


def test_a_plan_without_new_fields_keeps_format_2_and_its_bytes() -> None:
    plan = ActionPlan(items=(ActionItem.model_validate(item_data()),))
    assert DocumentFormat.for_plan(plan) is DocumentFormat.CANONICAL
    assert DocumentFormat.for_plan(plan, canonical=False) is DocumentFormat.TYPED
    written = json.loads(_bytes(plan, DocumentFormat.CANONICAL))
    # Exactly the keys format 2 always had: adding fields did not change old documents.
    assert sorted(written["items"][0]) == sorted(
        [
            "activity",
            "budget_rp",
            "budget_source",
            "due_quarters",
            "indicator",
            "location",
            "partners",
            "phase",
            "responsible_unit",
            "strategic_issue",
            "target_unit",
            "target_value",
        ]
    )
    typed = json.loads(_bytes(plan, DocumentFormat.TYPED))
    assert "outcomes" not in typed["items"][0] and "format" not in typed


@pytest.mark.parametrize(
    "changes",
    [
        {"outcomes": {"sendai": ["A"]}},
        {"baseline": "0"},
        {"quarter_targets": [1, 2, 3, 5]},
        {"carried_from": {"cycle_id": "rakor-2025", "position": 2, "realised_percent": "40"}},
        {"budget_source": "dana_desa"},
        {"strategic_issue": "lainnya"},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_any_new_field_writes_format_3(changes: dict[str, Any]) -> None:
    plan = ActionPlan(items=(ActionItem.model_validate(item_data(**changes)),))
    assert DocumentFormat.for_plan(plan) is DocumentFormat.OUTCOMES
    written = json.loads(_bytes(plan, DocumentFormat.OUTCOMES))
    assert written["format"] == 3
    item = written["items"][0]
    assert {"outcomes", "baseline", "quarter_targets", "carried_from"} <= item.keys()


def test_format_3_bytes_are_fixed() -> None:
    item = ActionItem.model_validate(
        item_data(
            outcomes=LINKED,
            baseline="1",
            quarter_targets=[None, "2.5", 4, 5],
            carried_from={"cycle_id": "rakor-2025", "position": 2, "realised_percent": 40},
            budget_source=BudgetSource.DAK,
        )
    )
    content = _bytes(ActionPlan(items=(item,)), DocumentFormat.OUTCOMES)
    written = json.loads(content)["items"][0]
    assert written["baseline"] == "1.00"
    assert written["quarter_targets"] == [None, "2.50", "4.00", "5.00"]
    assert written["carried_from"] == {
        "cycle_id": "rakor-2025",
        "position": 2,
        "realised_percent": "40.00",
    }
    assert written["outcomes"]["sendai"] == ["E", "G"]
    assert written["outcomes"]["ikd"] == [
        {"priority": 3, "indicator": 12},
        {"priority": 5, "indicator": None},
    ]
    # The same plan typed differently (order of links, 2.50 for 2.5) gives the same bytes.
    again = ActionItem.model_validate(
        item_data(
            outcomes={**LINKED, "sendai": ["G", "E"], "ikd": list(reversed(LINKED["ikd"]))},
            baseline="1.00",
            quarter_targets=[None, "2.50", "4", "5.0"],
            carried_from={"cycle_id": "rakor-2025", "position": 2, "realised_percent": "40.0"},
            budget_source="dak",
        )
    )
    assert _bytes(ActionPlan(items=(again,)), DocumentFormat.OUTCOMES) == content
    assert (
        hashlib.sha256(content).hexdigest()
        != hashlib.sha256(
            _bytes(
                ActionPlan(items=(item.model_copy(update={"baseline": None}),)),
                DocumentFormat.OUTCOMES,
            )
        ).hexdigest()
    )


def test_new_choices_and_report_fields() -> None:
    assert StrategicIssue("lainnya") is StrategicIssue.OTHER
    assert {s.value for s in BudgetSource} >= {
        "apbd_provinsi",
        "apbd_kabkota",
        "apbn",
        "dak",
        "dana_desa",
        "csr",
        "non_anggaran",
    }
    progress = ItemProgress.model_validate(
        {
            "item_position": 1,
            "status": "berisiko",
            "percent_realised": "40",
            "realised_rp": "37500000",
            "obstacles": "  Cuaca buruk  ",
            "follow_up": "Dilanjutkan triwulan III",
        }
    )
    assert progress.realised_rp == Decimal(37_500_000) and progress.obstacles == "Cuaca buruk"
    with pytest.raises(ValidationError, match="realised_rp"):
        ItemProgress.model_validate(
            {"item_position": 1, "status": "berisiko", "percent_realised": 1, "realised_rp": -1}
        )


def test_each_holiday_file_names_its_decree() -> None:
    for year, number in ((2025, "1017"), (2026, "1497")):
        data = holiday_year(year)
        assert data is not None and number in data.decree
        assert list(data.holidays) == holidays_for(year)
    assert "933" in holiday_year(2025).amended_by[0]  # type: ignore[union-attr]
    assert holiday_year(2099) is None
