"""The editor's and the report form's newer fields, read without a server.

Baseline, quarter targets and budget realised are typed the Indonesian way; each kind of
outcome link becomes its part of `domain.outcomes.Outcomes`; a carried-over item keeps
where it comes from through the form; every error is keyed by the field that caused it,
in the page's language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from api.pages import forms
from api.pages.commitment import error_links
from domain.plan import ActionItem
from tests.pages.test_forms import ITEM


def fields_of(**changes: Any) -> dict[str, list[str]]:
    """The form fields of one editor row (row 1), ITEM changed by `changes`."""
    values = {**ITEM, **changes}
    return {
        f"item-1-{name}": value if isinstance(value, list) else [value]
        for name, value in values.items()
    }


def plan_item(*, lang: Any = "id", **changes: Any) -> ActionItem:
    """The one item the editor row describes."""
    plan = forms.plan_from_rows(forms.rows_from_fields(fields_of(**changes)), lang)
    return plan.items[0]


def errors_of(*, lang: Any = "id", **changes: Any) -> dict[str, str]:
    """The field errors of the row, by field name."""
    with pytest.raises(forms.FormInvalid) as refused:
        forms.plan_from_rows(forms.rows_from_fields(fields_of(**changes)), lang)
    return refused.value.errors


def test_baseline_and_quarter_targets_are_read_the_indonesian_way() -> None:
    item = plan_item(
        target_value="1.250,5",
        baseline="150",
        target_q1="12,5",
        target_q2="500",
        target_q3="",
        target_q4="1.250,5",
    )
    assert item.baseline == 150
    assert list(item.quarter_targets) == [Decimal("12.5"), Decimal(500), None, Decimal("1250.5")]
    assert plan_item(lang="en", target_q4="1,250.5", target_value="1,250.5").quarter_targets == (
        None,
        None,
        None,
        Decimal("1250.5"),
    )
    # Nothing typed in the four: no quarter targets, and the item stays as format 2 had it.
    plain = plan_item(budget_source="apbd")
    assert plain.quarter_targets == () and plain.baseline is None and not plain.extended


def test_each_outcome_kind_becomes_its_link() -> None:
    item = plan_item(
        spm=["spm1", "spm3"],
        **{"spm_sipd-spm3": "1.05.03.2.03", "spm_sipd-spm2": ""},
        **{"ikd-1-priority": "6", "ikd-1-indicator": "48", "ikd-2-priority": "2"},
        sendai=["G", "A"],
        **{
            "destana-1-village_code": "5303010001",
            "destana-1-level": "madya",
            "destana-1-scheme": "bnpb_ketangguhan",
            "destana-2-village_code": "",
            "destana-2-level": "",
            "destana-2-scheme": "perka_1_2012",
        },
    )
    outcomes = item.outcomes
    assert [(s.service, s.sipd_code) for s in outcomes.spm] == [
        ("spm1", None),
        ("spm3", "1.05.03.2.03"),
    ]
    assert [(i.priority, i.indicator) for i in outcomes.ikd] == [(2, None), (6, 48)]
    assert outcomes.sendai == ("A", "G")
    assert [(d.village_code, d.level, d.scheme) for d in outcomes.destana] == [
        ("5303010001", "madya", "bnpb_ketangguhan")
    ]
    # A SIPD code typed for a service not ticked links the service too: nothing typed is lost.
    typed_only = plan_item(**{"spm_sipd-spm2": "1.05.03.2.02"})
    assert [(s.service, s.sipd_code) for s in typed_only.outcomes.spm] == [("spm2", "1.05.03.2.02")]


def test_each_error_is_keyed_by_its_field_in_the_pages_language() -> None:
    errors = errors_of(
        baseline="1.5",
        target_q1="5",
        target_q2="2",
        target_q3="tiga",
        spm=["spm1"],
        **{"spm_sipd-spm1": "1.05.3.01"},
        **{"ikd-2-priority": "9", "ikd-1-indicator": "dua"},
        **{"destana-3-village_code": "53030", "destana-3-level": "madya"},
        **{"destana-1-village_code": "5303010001"},
    )
    assert errors["item-1-baseline"].startswith("Angka ini bisa terbaca keliru.")
    assert errors["item-1-target_q3"].startswith("Bukan angka.")
    assert errors["item-1-spm_sipd-spm1"].startswith("Kode sub-kegiatan SIPD berbentuk")
    assert errors["item-1-ikd-2-priority"] == "Prioritas IKD bernomor 1 sampai 7."
    assert errors["item-1-ikd-1-indicator"] == "Harus berupa bilangan bulat, misalnya 2."
    assert errors["item-1-ikd-1-priority"] == "Wajib diisi."
    assert errors["item-1-destana-3-village_code"].startswith("Kode desa BPS terdiri")
    assert errors["item-1-destana-1-level"].startswith("Pilih tingkat Destana")
    cumulative = errors_of(target_q1="5", target_q2="2")
    assert cumulative == {
        "item-1-quarter_targets": "Target triwulan bersifat kumulatif: tidak boleh lebih kecil "
        "dari target triwulan sebelumnya."
    }
    english = errors_of(lang="en", **{"destana-1-village_code": "12"})
    assert english["item-1-destana-1-village_code"] == (
        "A village's BPS code has 10 digits, e.g. 5303010001."
    )
    # The error summary names the action and the field in words.
    labels = {link.anchor: link.label for link in error_links(errors, "id")}
    assert labels["item-1-destana-3-village_code"] == "Aksi #1 · Kode desa BPS (10 angka)"
    assert labels["item-1-target_q3"] == "Aksi #1 · Target triwulan (kumulatif, opsional)"
    assert labels["item-1-spm_sipd-spm1"] == "Aksi #1 · Kode sub-kegiatan SIPD"


def test_a_carried_item_keeps_its_origin_and_every_field_through_the_form() -> None:
    item = plan_item(
        budget_rp="150.000.000",
        baseline="2",
        target_q4="12,5",
        carried_cycle="rakor-2025",
        carried_position="3",
        carried_percent="40.5",
        sendai=["G"],
        **{"destana-1-village_code": "5303010001", "destana-1-level": "utama"},
    )
    assert item.carried_from is not None
    assert (item.carried_from.cycle_id, item.carried_from.position) == ("rakor-2025", 3)
    assert item.carried_from.realised_percent == Decimal("40.5")
    row = forms.rows_from_items([item], "id")[0]
    assert row.carried and row.carried_text("id") == (
        "Dibawa dari siklus rakor-2025 (realisasi 40,50 %)"
    )
    assert row.values["budget_rp"] == "150.000.000" and row.values["target_q4"] == "12,50"
    assert row.sub_rows("destana") == [1, 2, 3] and row.sub_rows("ikd") == [1, 2]
    # Saved again unchanged, the very same item comes back.
    fields = {f"item-1-{k}": [v] for k, v in row.values.items()}
    fields |= {f"item-1-{k}": v for k, v in row.lists.items()}
    again = forms.plan_from_rows(forms.rows_from_fields(fields), "id").items[0]
    assert again == item


def test_the_report_reads_budget_realised_and_keeps_obstacles_and_follow_up() -> None:
    fields = {
        "progress-1-status": ["sesuai_jadwal"],
        "progress-1-percent_realised": ["25"],
        "progress-1-realised_rp": ["Rp37.500.000"],
        "progress-1-obstacles": ["Cuaca buruk"],
        "progress-1-follow_up": ["Dijadwalkan ulang"],
    }
    report = forms.report_from_fields(fields, 1, [1], "id")
    progress = report.items[0]
    assert progress.realised_rp == 37_500_000
    assert (progress.obstacles, progress.follow_up) == ("Cuaca buruk", "Dijadwalkan ulang")
    shown = forms.report_fields(1, [progress.model_dump(mode="json")], "id")
    assert shown["progress-1-realised_rp"] == ["37.500.000"]
    assert forms.realised_share("37.500.000", Decimal(150_000_000), "id") == (
        "Realisasi anggaran: Rp37.500.000 (25 % dari pagu)"
    )
    assert forms.realised_share("tiga", Decimal(1), "id") is None
    with pytest.raises(forms.FormInvalid) as refused:
        forms.report_from_fields({**fields, "progress-1-realised_rp": ["37.500"]}, 1, [1], "en")
    assert list(refused.value.errors) == ["progress-1-realised_rp"]
