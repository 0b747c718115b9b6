"""An office changes hands while its signature is awaited: the holder is reminded, the Plt.
appointed by SK after the reminder signs through the API, and the document prints the
Plt.'s block; the former holder can no longer sign, whatever they claim.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from db import people
from db.session import session_factory, transaction
from domain import commitment as c
from domain.calendar import WITA, at_wita
from domain.catalog import Office, load_catalog
from domain.offices import Assignment
from domain.roles import Acting
from komitmen.demo import sample_plan
from services import offices
from services.access import AuthUser
from tests.harness import until
from tests.pages.test_pdf import pages_text
from tests.smtp import SmtpSink
from tests.workflows.test_turns import KUPANG, address, story
from workflows.commitment import CommitmentWorkflow

PLT = "plt-kalak-5301"
PLT_NIP = "197803152005011002"


def to(messages: list[EmailMessage], username: str, prefix: str) -> list[EmailMessage]:
    return [
        m
        for m in messages
        if m["To"] == address(username) and str(m["Message-ID"]).startswith(prefix)
    ]


async def test_an_office_changing_hands_mid_signing(
    time_skipping_env: WorkflowEnvironment,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env, W = time_skipping_env, CommitmentWorkflow
    async with story(
        env, smtp_sink, tmp_path, monkeypatch, cycle_id="serah-terima", code=KUPANG, ordered=False
    ) as s:
        sessions = session_factory(s.k.settings.db_url)
        y = (await env.get_current_time()).astimezone(WITA).year + 1
        first_reminder = at_wita(date(y, 2, 8), 12)  # 7 days before signing is due (15 Feb)
        handover = date(y, 2, 10)
        with transaction(sessions) as session:
            plt = people.add_user(
                session,
                username=PLT,
                full_name="Drs. Markus Tefa, M.Si.",
                email=address(PLT),
                role="signatory",
                regency_code=KUPANG,
                office=None,
                nip=PLT_NIP,
                now=datetime.now(UTC),
            )
            plt.pangkat = "Pembina Tk. I (IV/b)"
            coordinator = people.get_user(session, username="koordinator")
            assert coordinator is not None
            who = AuthUser.of(coordinator)
            definitive = Assignment(
                regency_code=KUPANG,
                office=Office.BPBD_HEAD,
                username="kalak-5301",
                acting=Acting.DEFINITIVE,
                sk_number="800/11/BKPSDM/2025",
                valid_from=date(y - 2, 1, 2),
                valid_until=handover - timedelta(days=1),
            )
            offices.assign(session, who, definitive, now=datetime.now(UTC))
            acting = Assignment(
                regency_code=KUPANG,
                office=Office.BPBD_HEAD,
                username=PLT,
                acting=Acting.PLT,
                sk_number=f"800.1.3.3/27/BKPSDM/{y}",
                valid_from=handover,
            )
            offices.assign(session, who, acting, now=datetime.now(UTC))

        plan = {"plan": sample_plan(load_catalog().get(KUPANG))}
        officer = "operator-5301"
        v1 = await s.act(officer, KUPANG, W.save_draft, c.SaveDraft, based_on_version=0, **plan)
        await s.act(officer, KUPANG, W.submit, c.Submit, version=v1)
        await s.act("reviewer", KUPANG, W.approve, c.Approve, version=v1)
        state = await s.k.client.get_workflow_handle(f"commitment:serah-terima:{KUPANG}").query(
            "current", result_type=c.CommitmentState
        )
        document_hash = state.approved_hash

        # Before the handover, the holder is told it is their turn, and reminded.
        await until(env, first_reminder + timedelta(hours=1))
        for _ in range(100):
            if to(smtp_sink.messages, "kalak-5301", "<digest"):
                break
            await asyncio.sleep(0.1)
        assert to(smtp_sink.messages, "kalak-5301", "<turn")
        assert to(smtp_sink.messages, "kalak-5301", "<digest")
        assert not [m for m in smtp_sink.messages if m["To"] == address(PLT)]

        # From the handover day the Plt. signs for the office, by the SK; the holder cannot.
        await until(env, at_wita(handover, 9))
        s.app.state.runtime.clock = lambda: at_wita(handover, 9)
        tokens = {}
        with transaction(sessions) as session:
            for username in (PLT, "kalak-5301"):
                user = people.get_user(session, username=username)
                assert user is not None
                tokens[username] = people.create_token(
                    session, user_id=user.id, name="test", now=datetime.now(UTC)
                )
        path = f"/cycles/serah-terima/commitments/{KUPANG}"

        def bearer(username: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {tokens[username]}"}

        me = await s.http.get("/auth/me", headers=bearer(PLT))
        assert (me.json()["office"], me.json()["acting"]) == ("bpbd_head", "plt")
        former = await s.http.post(
            f"{path}/sign",
            json={"document_hash": document_hash, "acting": "definitive"},
            headers=bearer("kalak-5301"),
        )
        assert former.status_code in (403, 409), former.text
        # Claiming another status than the SK's is refused too: the mark is never the request's.
        claimed = await s.http.post(
            f"{path}/sign",
            json={"document_hash": document_hash, "acting": "pj"},
            headers=bearer(PLT),
        )
        assert claimed.status_code == 403, claimed.text
        signed = await s.http.post(
            f"{path}/sign", json={"document_hash": document_hash}, headers=bearer(PLT)
        )
        assert signed.status_code == 200, signed.text

        signatures = await s.http.get(f"{path}/signatures", headers=bearer(PLT))
        (signature,) = [x for x in signatures.json() if x["office"] == "bpbd_head"]
        assert (signature["signer_name"], signature["acting"]) == ("Drs. Markus Tefa, M.Si.", "plt")

        with transaction(sessions) as session:
            coordinator = people.get_user(session, username="koordinator")
            assert coordinator is not None
            token = people.create_token(
                session, user_id=coordinator.id, name="page", now=datetime.now(UTC)
            )
        printed = await s.http.get(
            f"{path}/document", headers={"Cookie": f"komitmen_session={token}"}
        )
        assert printed.status_code == 200
        text = " ".join(printed.text.split())
        assert "Plt. KEPALA BPBD KABUPATEN KUPANG," in text
        assert "Drs. Markus Tefa, M.Si." in text
        assert "Pembina Tk. I (IV/b)" in text
        assert "NIP. 19780315 200501 1 002" in text
        # The PDF prints the same block.
        pdf = await s.http.get(
            f"{path}/document.pdf", headers={"Cookie": f"komitmen_session={token}"}
        )
        assert pdf.status_code == 200
        words = " ".join(" ".join(pages_text(pdf.content, "handover-plan")).split())
        assert "Plt. KEPALA BPBD KABUPATEN KUPANG," in words, words[-600:]
        assert "Drs. Markus Tefa, M.Si. Pembina Tk. I (IV/b) NIP. 19780315 200501 1 002" in words
