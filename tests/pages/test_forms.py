"""Acting through the page forms: the whole lifecycle, bad input, refusals, CSRF and scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.calendar import WITA
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
        assert "Harus berupa angka." in bad.text and "Wajib diisi." in bad.text
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
            signed = await post_form(api, url, "sign", {"document_hash": document_hash})
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
            api, url, "sign", {"document_hash": hidden(page.text, "document_hash")}
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
        assert as_reviewer.status_code == 403 and "may not save_draft" in as_reviewer.text
        assert "Akses ditolak" in as_reviewer.text
        unknown = await api.http.post(f"{other}/launch", data={"csrf": hidden(page.text, "csrf")})
        assert unknown.status_code == 404

        api.http.cookies.clear()
        anonymous = await api.http.post(f"{other}/save_draft", data=fields)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        assert [r[3] for r in api.commitment_rows()] == [0, 0]
        assert api.audit_rows() == 0
