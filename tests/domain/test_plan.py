"""Tests of action-item validation and the document hash that signatories sign."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.plan import (
    ActionItem,
    ActionPlan,
    BudgetSource,
    Partner,
    Phase,
    StrategicIssue,
    document_hash,
    plan_document,
)


def item_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "strategic_issue": "destana",
        "phase": "pra_bencana",
        "activity": "Pembentukan Desa Tangguh Bencana",
        "indicator": "Jumlah desa tangguh bencana terbentuk",
        "target_value": "5",
        "target_unit": "desa",
        "due_quarters": [2, 4],
        "responsible_unit": "BPBD Kabupaten Kupang",
        "partners": ["masyarakat", "akademisi"],
        "budget_rp": "150000000",
        "budget_source": "apbd",
        "location": "Kecamatan Amarasi",
    }
    data.update(changes)
    return data


def make_item(**changes: Any) -> ActionItem:
    return ActionItem.model_validate(item_data(**changes))


def test_valid_item() -> None:
    item = make_item(due_quarters=[4, 2])
    assert item.strategic_issue is StrategicIssue.DESTANA
    assert item.phase is Phase.PRA_BENCANA
    assert item.due_quarters == (2, 4)
    assert item.partners == (Partner.MASYARAKAT, Partner.AKADEMISI)
    assert item.budget_rp == Decimal("150000000")
    assert item.budget_source is BudgetSource.APBD


@pytest.mark.parametrize(
    ("changes", "loc", "error_type"),
    [
        ({"activity": ""}, ("activity",), "string_too_short"),
        ({"activity": "   "}, ("activity",), "string_too_short"),
        ({"due_quarters": [1, 5]}, ("due_quarters",), "value_error"),
        ({"due_quarters": [3, 3]}, ("due_quarters",), "value_error"),
        ({"due_quarters": []}, ("due_quarters",), "too_short"),
        ({"budget_rp": "-1"}, ("budget_rp",), "greater_than_equal"),
        ({"target_value": "-0.5"}, ("target_value",), "greater_than_equal"),
        ({"strategic_issue": "tsunami_drills"}, ("strategic_issue",), "enum"),
        ({"partners": ["media", "lsm"]}, ("partners", 1), "enum"),
        ({"partners": ["media", "media"]}, ("partners",), "value_error"),
        ({"colour": "red"}, ("colour",), "extra_forbidden"),
    ],
    ids=[
        "empty-activity",
        "blank-activity",
        "quarter-5",
        "duplicate-quarter",
        "no-quarter",
        "negative-budget",
        "negative-target",
        "unknown-issue",
        "unknown-partner",
        "duplicate-partner",
        "extra-field",
    ],
)
def test_invalid_item_names_the_field(
    changes: dict[str, Any], loc: tuple[str | int, ...], error_type: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        make_item(**changes)
    errors = raised.value.errors()
    assert [(e["loc"], e["type"]) for e in errors] == [(loc, error_type)]


def test_quarter_errors_say_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match="quarters are 1 to 4"):
        make_item(due_quarters=[5])
    with pytest.raises(ValidationError, match="a quarter is listed twice"):
        make_item(due_quarters=[2, 2])


def test_plan_needs_an_item() -> None:
    with pytest.raises(ValidationError) as raised:
        ActionPlan(items=())
    assert [e["loc"] for e in raised.value.errors()] == [("items",)]


def test_invalid_item_inside_a_plan_is_located() -> None:
    with pytest.raises(ValidationError) as raised:
        ActionPlan.model_validate({"items": [item_data(), item_data(budget_rp="-5")]})
    assert [e["loc"] for e in raised.value.errors()] == [("items", 1, "budget_rp")]


# --- document hash -------------------------------------------------------------------


def doc_hash(
    plan: ActionPlan, *, cycle_id: str = "rakor-2026", regency_code: str = "53.01", version: int = 1
) -> str:
    return document_hash(
        plan_document(cycle_id=cycle_id, regency_code=regency_code, version=version, plan=plan)
    )


PLAN = ActionPlan(items=(make_item(), make_item(activity="Kajian risiko bencana")))


def test_hash_is_64_lowercase_hex() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", doc_hash(PLAN))


def test_same_plan_same_hash() -> None:
    rebuilt = ActionPlan.model_validate(PLAN.model_dump(mode="json"))
    assert rebuilt is not PLAN
    assert doc_hash(rebuilt) == doc_hash(PLAN)
    # Quarters given in another order normalise to the same item, so the same hash.
    reordered = ActionPlan(
        items=(make_item(due_quarters=[4, 2]), make_item(activity="Kajian risiko bencana"))
    )
    assert doc_hash(reordered) == doc_hash(PLAN)


def test_hash_of_known_document_is_fixed() -> None:
    # A fixed input pins the canonical form: sorted keys, no spaces, UTF-8 kept.
    expected = hashlib.sha256('{"a":"é","b":1}'.encode()).hexdigest()
    assert document_hash({"b": 1, "a": "é"}) == expected


@pytest.mark.parametrize(
    "changes",
    [
        {"activity": "Pembentukan Desa Tangguh Bencana II"},
        {"indicator": "Jumlah desa"},
        {"target_value": "6"},
        {"target_unit": "kelurahan"},
        {"due_quarters": [2]},
        {"responsible_unit": "Bappeda"},
        {"partners": ["masyarakat"]},
        {"budget_rp": "150000001"},
        {"budget_source": "apbn"},
        {"location": "Kecamatan Kupang Timur"},
        {"strategic_issue": "pentahelix"},
        {"phase": "pasca_bencana"},
    ],
    ids=lambda changes: next(iter(changes)),
)
def test_any_item_change_changes_the_hash(changes: dict[str, Any]) -> None:
    changed = ActionPlan(items=(make_item(**changes), PLAN.items[1]))
    assert doc_hash(changed) != doc_hash(PLAN)


def test_item_order_and_count_change_the_hash() -> None:
    swapped = ActionPlan(items=(PLAN.items[1], PLAN.items[0]))
    shorter = ActionPlan(items=(PLAN.items[0],))
    hashes = {doc_hash(PLAN), doc_hash(swapped), doc_hash(shorter)}
    assert len(hashes) == 3


def test_cycle_regency_and_version_change_the_hash() -> None:
    hashes = {
        doc_hash(PLAN),
        doc_hash(PLAN, cycle_id="rakor-2027"),
        doc_hash(PLAN, regency_code="53.02"),
        doc_hash(PLAN, version=2),
    }
    assert len(hashes) == 4
