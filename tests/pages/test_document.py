"""The printable action plan over httpx against the real app (SQLite and PostgreSQL)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from api.pages.document import nip_grouped, signed_title
from db import repository
from db.session import session_factory, transaction
from domain.calendar import WITA
from tests.api.client import running_api
from tests.pages.test_pages import PLAN, sign_in

NIP = "197503122000121003"


def test_nip_and_title_are_written_as_on_paper() -> None:
    assert nip_grouped(NIP) == "19750312 200012 1 003"
    assert nip_grouped(None) is None and nip_grouped("123") == "123"
    assert signed_title("Bupati Kupang", "plt") == "Plt. BUPATI KUPANG,"
    assert signed_title("Bupati Kupang", "pj") == "Pj. BUPATI KUPANG,"
    assert signed_title("Kepala Bappeda Kabupaten Kupang", "definitive") == (
        "KEPALA BAPPEDA KABUPATEN KUPANG,"
    )


async def test_document_shows_the_approved_plan_signatures_and_hash(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01", "53.71"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        document_url = f"{base}/document"

        unauthenticated = await api.http.get(document_url)
        assert unauthenticated.status_code == 303
        assert unauthenticated.headers["location"].startswith("/login?next=")

        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success

        await sign_in(api, "operator-5301")
        early = await api.http.get(document_url)
        assert early.status_code == 404
        assert "text/html" in early.headers["content-type"]
        assert "Tidak ditemukan" in early.text

        approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
        assert approved.status_code == 200, approved.text
        document_hash = approved.json()["document_hash"]
        with transaction(session_factory(api.url)) as session:
            kalak = repository.get_user(session, username="kalak-5301")
            assert kalak is not None
            kalak.nip = NIP
        for signer, acting in (("kalak-5301", None), ("bappeda-5301", None), ("kada-5301", "plt")):
            body = {"document_hash": document_hash} | ({"acting": acting} if acting else {})
            signed = await api.post(f"{base}/sign", signer, body)
            assert signed.is_success, signed.text

        page = await api.http.get(document_url)
        assert page.status_code == 200, page.text
        text = page.text
        assert "Rencana Aksi Daerah" in text and "Kabupaten Kupang" in text
        assert "@media print" in text and "Rakor" in text
        assert document_hash in text
        assert text.count('class="block"') == 3
        assert text.count("Oelamasi, ") == 3
        assert "Plt. BUPATI KUPANG," in text
        assert "NIP. 19750312 200012 1 003" in text
        assert text.count("NIP. ") == 1
        for item in PLAN["items"]:
            assert escape(item["activity"]) in text
            assert escape(item["indicator"]) in text
        assert text.count('<tr id="item-') == len(PLAN["items"])
        assert "Rp" in text

        await sign_in(api, "operator-5371")
        outsider = await api.http.get(document_url)
        assert outsider.status_code == 403
        assert document_hash not in outsider.text and "Oelamasi" not in outsider.text
