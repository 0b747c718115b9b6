"""Acting through the page forms: the whole lifecycle, bad input, refusals, CSRF and scope."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from api.pages import forms
from domain.calendar import WITA
from domain.display import Language
from tests.api.client import Api, running_api
from tests.pages.test_pages import hidden, sign_in
from tests.schedules import reporting_cycle

ITEM = {
    "strategic_issue": "destana",
    "phase": "pra_bencana",
    "activity": "Pembentukan Destana di Desa Oesao",
    "indicator": "Desa Tangguh Bencana terbentuk",
    "target_value": "2",
    "target_unit": "desa",
    "due_quarters": ["1", "2"],
    "responsible_unit": "Bidang Pencegahan",
    "location": "Kupang Timur",
    "partners": ["pemerintah", "masyarakat"],
    "budget_rp": "40000000",
    "budget_source": "apbd",
}


def row(number: int, **changes: Any) -> dict[str, Any]:
    """The editor fields of one item row."""
    return {f"item-{number}-{name}": value for name, value in {**ITEM, **changes}.items()}


EXPECTED_ID = (
    "Tulis angka dengan titik sebagai pemisah ribuan dan koma untuk desimal, "
    "misalnya 150.000.000 atau 12,5."
)
EXPECTED_EN = (
    "Write the number with commas between thousands and a point for decimals, "
    "e.g. 150,000,000 or 12.5."
)


def field_error(html: str, name: str) -> str | None:
    """The error the page shows right after the input `name`, if any."""
    match = re.search(
        rf'name="{name}"[^>]*>\s*<span class="field-error" role="alert">([^<]*)</span>', html
    )
    return match.group(1) if match else None


def input_value(html: str, name: str) -> str:
    """The value an input of the page holds."""
    match = re.search(rf'<input name="{name}"[^>]*value="([^"]*)"', html)
    assert match is not None, f"no input {name}"
    return match.group(1)


def editor_rows(**numbers: tuple[str, str]) -> list[forms.ItemRow]:
    """Editor rows of ITEM, each with its (target_value, budget_rp) as typed."""
    rows = []
    for number, (target, budget) in enumerate(numbers.values(), start=1):
        fields = row(number, target_value=target, budget_rp=budget)
        rows.extend(
            forms.rows_from_fields(
                {k: v if isinstance(v, list) else [v] for k, v in fields.items()}
            )
        )
    return rows


@pytest.mark.parametrize(
    ("language", "target", "budget", "expected"),
    [
        ("id", "12,5", "150.000.000", (Decimal("12.5"), Decimal(150_000_000))),
        ("id", "1.250", "Rp 150.000.000", (Decimal(1250), Decimal(150_000_000))),
        ("id", "2", "Rp150.000,-", (Decimal(2), Decimal(150_000))),
        ("en", "12.5", "150,000,000", (Decimal("12.5"), Decimal(150_000_000))),
        ("en", "1,250", "IDR 150,000,000", (Decimal(1250), Decimal(150_000_000))),
    ],
)
def test_the_editor_reads_numbers_in_the_pages_language(
    language: Language, target: str, budget: str, expected: tuple[Decimal, Decimal]
) -> None:
    plan = forms.plan_from_rows(editor_rows(a=(target, budget)), language)
    assert (plan.items[0].target_value, plan.items[0].budget_rp) == expected


@pytest.mark.parametrize(
    ("language", "target", "budget", "errors"),
    [
        (
            "id",
            "1.5",
            "150.000.000",
            {"item-1-target_value": "Angka ini bisa terbaca keliru. " + EXPECTED_ID},
        ),
        (
            "id",
            "2",
            "1.25.000",
            {"item-1-budget_rp": "Angka ini bisa terbaca keliru. " + EXPECTED_ID},
        ),
        (
            "id",
            "0,125",
            "-5",
            {
                "item-1-target_value": "Paling banyak dua angka di belakang koma. " + EXPECTED_ID,
                "item-1-budget_rp": "Tidak boleh negatif. " + EXPECTED_ID,
            },
        ),
        ("id", "dua", "0", {"item-1-target_value": "Bukan angka. " + EXPECTED_ID}),
        (
            "en",
            "1,5",
            "150.000.000",
            {
                "item-1-target_value": "This number could be misread. " + EXPECTED_EN,
                "item-1-budget_rp": "This number could be misread. " + EXPECTED_EN,
            },
        ),
        ("en", "2", "150.000", {"item-1-budget_rp": "At most two decimal places. " + EXPECTED_EN}),
    ],
)
def test_a_refused_number_is_named_by_its_field_with_the_expected_form(
    language: Language, target: str, budget: str, errors: dict[str, str]
) -> None:
    with pytest.raises(forms.FormInvalid) as invalid:
        forms.plan_from_rows(editor_rows(a=(target, budget)), language)
    assert invalid.value.errors == errors


def test_a_number_refusal_comes_with_the_other_fields_errors() -> None:
    rows = editor_rows(a=("1.5", "0"), b=("2", "0"))
    rows[1].values["location"] = ""
    with pytest.raises(forms.FormInvalid) as invalid:
        forms.plan_from_rows(rows, "id")
    assert invalid.value.errors == {
        "item-1-target_value": "Angka ini bisa terbaca keliru. " + EXPECTED_ID,
        "item-2-location": "Wajib diisi.",
    }


@pytest.mark.parametrize("language", ["id", "en"])
def test_saved_amounts_go_back_into_the_editor_and_read_back_the_same(language: Language) -> None:
    plan = forms.plan_from_rows(
        editor_rows(a=("12,5", "150.000.000"), b=("1.250", "1.250.000,05"), c=("0", "0")), "id"
    )
    rows = forms.rows_from_items(plan.items, language)
    assert forms.plan_from_rows(rows, language) == plan


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("id", "12,5", Decimal("12.5")),
        ("id", "40%", Decimal(40)),
        ("id", "100", Decimal(100)),
        ("en", "12.5", Decimal("12.5")),
    ],
)
def test_the_report_reads_percentages_in_the_pages_language(
    language: Language, typed: str, expected: Decimal
) -> None:
    fields = {"progress-1-status": ["sesuai_jadwal"], "progress-1-percent_realised": [typed]}
    report = forms.report_from_fields(fields, 1, [1], language)
    assert report.items[0].percent_realised == expected
    # A returned report comes back into the form as recorded, and reads back the same.
    again = forms.report_fields(1, [report.items[0].model_dump(mode="json")], language)
    assert forms.report_from_fields(again, 1, [1], language) == report


@pytest.mark.parametrize(
    ("language", "typed", "error"),
    [
        ("id", "12.5", "Angka ini bisa terbaca keliru. " + EXPECTED_ID),
        ("id", "-1", "Tidak boleh negatif. " + EXPECTED_ID),
        ("id", "", "Wajib diisi."),
        ("id", "120", "Tidak boleh lebih dari 100."),
        ("en", "12,5", "This number could be misread. " + EXPECTED_EN),
    ],
)
def test_a_refused_percentage_is_named_by_its_field(
    language: Language, typed: str, error: str
) -> None:
    fields = {"progress-1-status": ["sesuai_jadwal"], "progress-1-percent_realised": [typed]}
    with pytest.raises(forms.FormInvalid) as invalid:
        forms.report_from_fields(fields, 1, [1], language)
    assert invalid.value.errors == {"progress-1-percent_realised": error}


async def post_form(api: Api, page_url: str, action: str, fields: dict[str, Any]) -> Any:
    """Submit one form of the commitment page with the session's CSRF token."""
    page = await api.http.get(page_url)
    assert page.status_code == 200, page.text
    data = {"csrf": hidden(page.text, "csrf"), **fields}
    return await api.http.post(f"{page_url}/{action}", data=data)


async def test_a_commitment_goes_from_draft_to_verified_report_through_the_forms(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    # Last year's cycle: its first-quarter report is open today (see reporting_cycle).
    year, schedule = reporting_cycle(await env.get_current_time())
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year, schedule.model_dump(mode="json"))
        url = f"/cycles/{cycle}/commitments/53.01/page"

        await sign_in(api, "operator-5301")
        empty = await api.http.get(url)
        assert 'id="form-save_draft"' in empty.text and 'id="form-submit"' not in empty.text

        # Bad input: every wrong field named, what was typed kept, nothing saved.
        bad = await post_form(
            api, url, "save_draft", {"version": "0", **row(1, target_value="dua", activity="")}
        )
        assert bad.status_code == 422, bad.text
        assert "Bukan angka. Tulis angka dengan titik sebagai pemisah ribuan" in bad.text
        assert "Wajib diisi." in bad.text
        assert 'value="dua"' in bad.text and "Kupang Timur" in bad.text
        assert api.commitment_rows()[0][3] == 0

        first = {"version": "0", **row(1), **row(2, activity="Pelatihan relawan Destana")}
        saved = await post_form(api, url, "save_draft", first)
        assert saved.status_code == 303 and saved.headers["location"] == f"{url}?done=save_draft"
        shown = await api.http.get(saved.headers["location"])
        assert "Draf tersimpan sebagai versi baru." in shown.text
        assert "Pelatihan relawan Destana" in shown.text and "Rp40.000.000" in shown.text
        assert "<h2>Rencana aksi <small>(versi 1)</small></h2>" in shown.text

        stale = await post_form(api, url, "save_draft", first)  # edits version 0 again
        assert stale.status_code == 409 and "Tindakan ditolak" in stale.text
        assert api.commitment_rows()[0][3] == 1

        assert (await post_form(api, url, "submit", {"version": "1"})).status_code == 303

        await sign_in(api, "reviewer")
        in_review = await api.http.get(url)
        assert 'id="form-approve"' in in_review.text
        assert 'id="form-save_draft"' not in in_review.text
        no_comment = await post_form(api, url, "request_changes", {"version": "1"})
        assert no_comment.status_code == 422
        assert "Tulis paling sedikit satu catatan reviu." in no_comment.text
        changes = await post_form(
            api,
            url,
            "request_changes",
            {"version": "1", "comment-2": "Sebutkan desa sasaran pelatihan."},
        )
        assert changes.status_code == 303

        await sign_in(api, "operator-5301")
        revising = await api.http.get(url)
        assert (
            "Perlu Revisi" in revising.text and "Sebutkan desa sasaran pelatihan." in revising.text
        )
        second = {
            "version": "1",
            **row(1),
            **row(2, activity="Pelatihan relawan Destana di Desa Oesao", target_value="30"),
            **row(3, strategic_issue="pentahelix", activity="Forum PRB pentahelix"),
        }
        assert (await post_form(api, url, "save_draft", second)).status_code == 303
        assert (await post_form(api, url, "submit", {"version": "2"})).status_code == 303
        diff = await api.http.get(url)
        assert "Perubahan: versi 1 → 2" in diff.text
        assert "<del>Pelatihan relawan Destana</del>" in diff.text
        assert "<ins>Pelatihan relawan Destana di Desa Oesao</ins>" in diff.text
        assert "Ditambahkan" in diff.text

        await sign_in(api, "reviewer")
        assert (await post_form(api, url, "approve", {"version": "2"})).status_code == 303

        hashes = set()
        # The acting status comes from the signer's record; the form only shows it.
        api.set_acting("kalak-5301", "plt")
        for username, signing_as in (
            ("kalak-5301", "Anda menandatangani sebagai <strong>Plt.</strong>"),
            ("bappeda-5301", "Anda menandatangani sebagai <strong>pejabat definitif</strong>"),
        ):
            await sign_in(api, username)
            page = await api.http.get(url)
            assert signing_as in page.text and 'name="acting"' not in page.text
            document_hash = hidden(page.text, "document_hash")
            hashes.add(document_hash)
            # A malformed field is the page's own error, as the JSON API's body refuses it.
            malformed = await post_form(
                api, url, "sign", {"document_hash": document_hash[:-1] + "Z"}
            )
            assert malformed.status_code == 422, malformed.text
            assert malformed.headers["content-type"].startswith("text/html")
            assert "Isinya tidak berbentuk seperti yang diminta" in malformed.text
            assert 'id="form-sign"' in malformed.text  # the form is there to try again
            signed = await post_form(
                api, url, "sign", {"document_hash": document_hash, "confirm": "ya"}
            )
            assert signed.status_code == 303, signed.text
            after = await api.http.get(url)
            assert 'id="form-sign"' not in after.text  # this office has signed
        await sign_in(api, "kada-5301")
        forged = await api.http.post(
            f"{url}/sign",
            data={"csrf": "forged", "document_hash": hashes.pop()},
        )
        assert forged.status_code == 403 and "Formulir kedaluwarsa" in forged.text
        page = await api.http.get(url)
        assert 'id="form-decline"' in page.text
        signed = await post_form(
            api, url, "sign", {"document_hash": hidden(page.text, "document_hash"), "confirm": "ya"}
        )
        assert signed.status_code == 303
        assert "Plt." in (await api.http.get(url)).text
        signatures = await api.get(url.removesuffix("/page") + "/signatures", "manajer")
        # Kalak as recorded above; the demo directory's Bupati Kupang is a Plt. on record.
        assert [s["acting"] for s in signatures.json()] == ["plt", "definitive", "plt"]

        await sign_in(api, "operator-5301")
        report = {
            "quarter": "1",
            **{f"progress-{p}-status": "sesuai_jadwal" for p in (1, 2, 3)},
            **{f"progress-{p}-percent_realised": "25" for p in (1, 2, 3)},
            "progress-1-narrative": "Musyawarah desa selesai",
            "progress-1-evidence": "https://bpbd.kupangkab.go.id/destana",
        }
        wrong = await post_form(
            api, url, "submit_report", {**report, "progress-2-percent_realised": "120"}
        )
        assert wrong.status_code == 422 and "Tidak boleh lebih dari 100." in wrong.text
        assert (await post_form(api, url, "submit_report", report)).status_code == 303

        await sign_in(api, "reviewer")
        review = await api.http.get(url)
        assert 'id="review-q1"' in review.text
        verified = await post_form(api, url, "verify_report", {"quarter": "1"})
        assert verified.status_code == 303
        done = await api.http.get(verified.headers["location"])
        assert "Laporan triwulan terverifikasi." in done.text and "Terverifikasi" in done.text
        assert [r[1:3] for r in api.commitment_rows()] == [("follow_up", 2), ("drafting", 1)]


async def test_forms_act_only_within_the_users_regency_and_role(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        other = f"/cycles/{cycle}/commitments/53.71/page"
        await sign_in(api, "operator-5301")
        own = await api.http.get(f"/cycles/{cycle}/commitments/53.01/page")
        fields = {"csrf": hidden(own.text, "csrf"), "version": "0", **row(1)}
        outside = await api.http.post(f"{other}/save_draft", data=fields)
        assert outside.status_code == 403

        await sign_in(api, "reviewer")
        page = await api.http.get(other)
        assert 'id="form-save_draft"' not in page.text
        as_reviewer = await api.http.post(
            f"{other}/save_draft", data={**fields, "csrf": hidden(page.text, "csrf")}
        )
        # Who the reviewer is, not where the commitment is: 403, the error page.
        assert as_reviewer.status_code == 403
        assert "Peran Anda tidak dapat melakukan tindakan ini." in as_reviewer.text
        assert "Akses ditolak" in as_reviewer.text
        unknown = await api.http.post(f"{other}/launch", data={"csrf": hidden(page.text, "csrf")})
        assert unknown.status_code == 404

        api.http.cookies.clear()
        anonymous = await api.http.post(f"{other}/save_draft", data=fields)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        assert [r[3] for r in api.commitment_rows()] == [0, 0]
        assert api.audit_rows() == 0


async def test_amounts_are_typed_shown_and_recorded_the_indonesian_way(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    # Last year's cycle: its first-quarter report is open today (see reporting_cycle).
    year, schedule = reporting_cycle(await env.get_current_time())
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year, schedule.model_dump(mode="json"))
        base = f"/cycles/{cycle}/commitments/53.01"
        url = f"{base}/page"
        await sign_in(api, "operator-5301")

        # What a lenient reader would misread is refused next to its input, naming the form.
        misread = {
            "version": "0",
            **row(1, target_value="1.5", budget_rp="Rp 1.25.000"),
            **row(2, target_value="0,125", budget_rp="-5"),
        }
        bad = await post_form(api, url, "save_draft", misread)
        assert bad.status_code == 422, bad.text
        assert field_error(bad.text, "item-1-target_value") == (
            "Angka ini bisa terbaca keliru. " + EXPECTED_ID
        )
        assert field_error(bad.text, "item-1-budget_rp") == (
            "Angka ini bisa terbaca keliru. " + EXPECTED_ID
        )
        assert field_error(bad.text, "item-2-target_value") == (
            "Paling banyak dua angka di belakang koma. " + EXPECTED_ID
        )
        assert field_error(bad.text, "item-2-budget_rp") == "Tidak boleh negatif. " + EXPECTED_ID
        assert input_value(bad.text, "item-1-budget_rp") == "Rp 1.25.000"  # as typed
        assert api.commitment_rows()[0][3] == 0

        typed = {
            "version": "0",
            **row(1, target_value="12,5", budget_rp="150.000.000"),
            **row(2, activity="Pelatihan relawan", target_value="1.250", budget_rp="Rp150.000,-"),
        }
        assert (await post_form(api, url, "save_draft", typed)).status_code == 303
        items = (await api.get(f"{base}/versions/1/items", "operator-5301")).json()
        amounts = [(Decimal(i["target_value"]), Decimal(i["budget_rp"])) for i in items]
        assert amounts == [(Decimal("12.5"), Decimal(150_000_000)), (Decimal(1250), 150_000)]

        # The editor holds the saved amounts as the page reads them; saving them unchanged
        # records the very same amounts.
        page = (await api.http.get(url)).text
        shown = {
            f"item-{n}-{name}": input_value(page, f"item-{n}-{name}")
            for n in (1, 2)
            for name in ("target_value", "budget_rp")
        }
        assert shown == {
            "item-1-target_value": "12,50",
            "item-1-budget_rp": "150.000.000",
            "item-2-target_value": "1.250",
            "item-2-budget_rp": "150.000",
        }
        again = {**typed, **shown, "version": "1"}
        assert (await post_form(api, url, "save_draft", again)).status_code == 303
        assert (await api.get(f"{base}/versions/2/items", "operator-5301")).json() == items

        # Before it goes to review, the submit form shows each amount as recorded.
        page = (await api.http.get(url)).text
        submit_form = page[page.index('id="form-submit"') :]
        submit_form = submit_form[: submit_form.index("</form>")]
        assert "Target: <strong>12,50 desa</strong>" in submit_form
        assert "Pagu: <strong>Rp150.000.000</strong>" in submit_form
        assert "Pagu: <strong>Rp150.000</strong>" in submit_form

        # In English the same amounts read the English way, and the Indonesian form is refused.
        english = (await api.http.get(f"{url}?lang=en")).text
        assert input_value(english, "item-1-budget_rp") == "150,000,000"
        assert "Budget: <strong>Rp150,000,000</strong>" in english
        refused = await post_form(api, url, "save_draft", {**typed, "version": "2"})
        assert refused.status_code == 422
        assert field_error(refused.text, "item-1-budget_rp") == (
            "This number could be misread. " + EXPECTED_EN
        )
        assert field_error(refused.text, "item-2-target_value") == (
            "At most two decimal places. " + EXPECTED_EN
        )
        await api.http.get(f"{url}?lang=id")

        assert (await post_form(api, url, "submit", {"version": "2"})).status_code == 303
        approved = await api.post(f"{base}/approve", "reviewer", {"version": 2})
        assert approved.status_code == 200, approved.text
        for signer in ("kalak-5301", "bappeda-5301", "kada-5301"):
            body = {"document_hash": approved.json()["document_hash"]}
            assert (await api.post(f"{base}/sign", signer, body)).is_success

        # The report form shows what each action committed to, as recorded.
        page = (await api.http.get(url)).text
        report_form = page[page.index('id="form-submit_report"') :]
        assert "Pagu: <strong>Rp150.000.000</strong>" in report_form
        report = {
            "quarter": "1",
            **{f"progress-{p}-status": "sesuai_jadwal" for p in (1, 2)},
            "progress-1-percent_realised": "12.5",
            "progress-2-percent_realised": "40%",
        }
        wrong = await post_form(api, url, "submit_report", report)
        assert wrong.status_code == 422
        assert field_error(wrong.text, "progress-1-percent_realised") == (
            "Angka ini bisa terbaca keliru. " + EXPECTED_ID
        )
        report["progress-1-percent_realised"] = "12,5"
        assert (await post_form(api, url, "submit_report", report)).status_code == 303

        # The reviewer sees the report as recorded, and returns it.
        await sign_in(api, "reviewer")
        review = (await api.http.get(url)).text
        assert "Realisasi (%): <strong>12,50</strong>" in review
        assert "Realisasi (%): <strong>40</strong>" in review
        back = {"quarter": "1", "reason": "Lampirkan bukti."}
        assert (await post_form(api, url, "return_report", back)).status_code == 303

        # The returned report comes back into its form as recorded; sent again unchanged,
        # it records the same figures.
        await sign_in(api, "operator-5301")
        page = (await api.http.get(url)).text
        assert input_value(page, "progress-1-percent_realised") == "12,50"
        assert input_value(page, "progress-2-percent_realised") == "40"
        resent = {
            **report,
            "progress-1-percent_realised": "12,50",
            "progress-2-percent_realised": "40",
        }
        assert (await post_form(api, url, "submit_report", resent)).status_code == 303
        await sign_in(api, "reviewer")
        review = (await api.http.get(url)).text
        assert "Realisasi (%): <strong>12,50</strong>" in review
