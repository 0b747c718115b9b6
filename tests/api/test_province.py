"""The province as a party: its own plan, its own reviewer, its offices, and "Mengetahui".

A cycle of the province (53) and Kabupaten Kupang, through the real app on the
time-skipping server: the province's officer drafts and submits; BPBD Provinsi's reviewer
(who reviews the regencies) is refused with 403, in Bahasa Indonesia on the page, and the
province's own reviewer, refused on Kabupaten Kupang, approves; the submission's turn
notice went to the province's reviewer only; the Kepala BPBD, the Kepala Bapperida and the
Gubernur sign. The joint commitment, page and PDF, ends with "Mengetahui," and the
Gubernur; a cycle that chose the Kepala BPBD shows a Plt. with NIP from the offices desk.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium  # type: ignore[import-untyped]  # ships no type information
from temporalio.testing import WorkflowEnvironment

from db import people
from db.session import session_factory, transaction
from domain.calendar import WITA
from domain.catalog import Office, load_catalog
from domain.offices import Assignment
from domain.roles import Acting
from komitmen.demo import sample_plan
from services import offices
from services.access import AuthUser
from tests.api.client import Api, running_api
from tests.pages.test_pages import hidden, sign_in
from tests.test_cli import outbox_messages

PROVINCE, KUPANG = "53", "53.01"
PLAN: dict[str, Any] = sample_plan(load_catalog().get(PROVINCE)).model_dump(mode="json")
NIP = "197503122000121003"


def path(cycle: str, code: str, action: str) -> str:
    return f"/cycles/{cycle}/commitments/{code}/{action}"


async def submitted_to(api: Api, outbox: Path) -> set[str]:
    """Who was told of the province plan's submission (waiting for the mail a moment)."""
    for _ in range(50):
        told = {
            str(message["To"])
            for _, message in outbox_messages(outbox)
            if str(message["Message-ID"]).startswith("<turn.")
            and "diajukan" in str(message["Subject"]).lower()
        }
        if told:
            return told
        await asyncio.sleep(0.1)
    return set()


def pdf_text(content: bytes) -> str:
    """The PDF's text, its lines joined by single spaces (titles wrap in the blocks)."""
    document = pdfium.PdfDocument(content)
    text = " ".join(document[n].get_textpage().get_text_range() for n in range(len(document)))
    return " ".join(text.split())


async def test_the_province_takes_part_with_its_own_reviewer_and_offices(
    time_skipping_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = time_skipping_env
    year = (await env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle([PROVINCE, KUPANG], year)
        saved = await api.post(
            path(cycle, PROVINCE, "save-draft"),
            "operator-53",
            {"plan": PLAN, "based_on_version": 0},
        )
        assert saved.status_code == 200, saved.text
        submitted = await api.post(path(cycle, PROVINCE, "submit"), "operator-53", {"version": 1})
        assert submitted.json()["stage"] == "review"
        # The province's own reviewer is told, BPBD Provinsi's reviewers are not.
        assert await submitted_to(api, tmp_path / "outbox") == {"reviewer-53@example.org"}

        # BPBD Provinsi's reviewer may not approve its own agency's plan: 403, and nothing moves.
        refused = await api.post(path(cycle, PROVINCE, "approve"), "reviewer", {"version": 1})
        assert refused.status_code == 403, refused.text
        assert "does not review 53" in refused.json()["detail"]
        await sign_in(api, "reviewer")
        page = await api.http.get(path(cycle, PROVINCE, "page"))
        assert page.status_code == 200 and 'action="approve"' not in page.text
        form = {"csrf": hidden(page.text, "csrf"), "version": "1"}
        refused_page = await api.http.post(path(cycle, PROVINCE, "page/approve"), data=form)
        assert refused_page.status_code == 403
        assert "tidak mereviu 53" in refused_page.text
        # The province's reviewer reviews the province only.
        outside = await api.post(path(cycle, KUPANG, "approve"), "reviewer-53", {"version": 1})
        assert outside.status_code == 403, outside.text
        approved = await api.post(path(cycle, PROVINCE, "approve"), "reviewer-53", {"version": 1})
        assert approved.status_code == 200, approved.text
        document_hash = approved.json()["document_hash"]
        assert await api.post(path(cycle, KUPANG, "approve"), "reviewer-53", {"version": 1})

        # The province's offices sign: Kepala BPBD, Kepala Bapperida, Gubernur.
        for signer in ("kalak-53", "bappeda-53", "kada-53"):
            signed = await api.post(
                path(cycle, PROVINCE, "sign"), signer, {"document_hash": document_hash}
            )
            assert signed.status_code == 200, signed.text
        assert signed.json()["stage"] == "follow_up"
        signatures = (await api.get(path(cycle, PROVINCE, "signatures"), "koordinator")).json()
        titles = {s["office"]: s["title"] for s in signatures}
        assert titles == {
            "bpbd_head": "Kepala BPBD Provinsi Nusa Tenggara Timur",
            "planning_head": "Kepala Bapperida Provinsi Nusa Tenggara Timur",
            "regional_head": "Gubernur Nusa Tenggara Timur",
        }

        # The joint commitment ends with "Mengetahui," and the Gubernur (no NIP for him).
        await sign_in(api, "operator-5301")
        joint = await api.http.get(f"/cycles/{cycle}/document")
        assert joint.status_code == 200
        ending = joint.text.split('id="acknowledgment"')[1]
        assert "Mengetahui," in ending and "GUBERNUR NUSA TENGGARA TIMUR," in ending
        assert "Gubernur Provinsi NTT" in ending and "NIP." not in ending
        printed = pdf_text((await api.http.get(f"/cycles/{cycle}/document.pdf")).content)
        assert "Mengetahui," in printed and "GUBERNUR NUSA TENGGARA TIMUR," in printed

        # Another cycle is acknowledged by the Kepala BPBD: today a Plt., by the desk's SK.
        with transaction(session_factory(db_url)) as session:
            holder = people.get_user(session, username="kalak-53")
            coordinator = people.get_user(session, username="koordinator")
            assert holder is not None and coordinator is not None
            holder.nip, holder.pangkat, holder.full_name = NIP, "Pembina (IV/a)", "Yohanes Bria"
            offices.assign(
                session,
                AuthUser.of(coordinator),
                Assignment(
                    regency_code=PROVINCE,
                    office=Office.BPBD_HEAD,
                    username="kalak-53",
                    acting=Acting.PLT,
                    sk_number="BKD.800/123/2026",
                    valid_from=date(year - 2, 1, 1),
                ),
                now=await env.get_current_time(),
            )
        second = f"{cycle}-b"
        api.k.cycle_id, api.k.codes = second, (KUPANG,)
        body = {
            "cycle_id": second,
            "name": "Rakor",
            "year": year,
            "regency_codes": [KUPANG],
            "acknowledging_office": "bpbd_head",
        }
        started = await api.http.post("/cycles", json=body, headers=api.token("koordinator"))
        assert started.status_code == 201, started.text
        joint = await api.http.get(f"/cycles/{second}/document")
        ending = joint.text.split('id="acknowledgment"')[1]
        assert "Plt. KEPALA BPBD PROVINSI NUSA TENGGARA TIMUR," in ending
        assert "Yohanes Bria" in ending and "Pembina (IV/a)" in ending
        assert "NIP. 19750312 200012 1 003" in ending
        printed = pdf_text((await api.http.get(f"/cycles/{second}/document.pdf")).content)
        assert "Plt. KEPALA BPBD PROVINSI NUSA TENGGARA TIMUR," in printed
        assert "19750312 200012 1 003" in printed
        # Carrying from a cycle never recorded is refused, naming the field.
        body = {"cycle_id": "lagi", "name": "Rakor", "year": year, "carry_from": "tidak-ada"}
        unknown = await api.http.post("/cycles", json=body, headers=api.token("koordinator"))
        assert unknown.status_code == 422, unknown.text
        assert [e["field"] for e in unknown.json()["errors"]] == ["carry_from"]
