"""Whoever an action makes it the turn of hears of it at once: once, in their language, with a
link to the commitment's page; the person who acted hears nothing of their own action.

One commitment walks its whole life (a change request, a decline, a returned report) and
each action's mail is checked as it arrives; a cycle with a fixed signing order tells only
the next office. Each link is followed through the app, signed in as the person it went to.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import select, update
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from db import models as m
from db import people
from db.session import session_factory, transaction
from domain import commitment as c
from domain.calendar import WITA, at_wita
from domain.catalog import load_catalog
from domain.reports import ItemProgress, ProgressStatus, QuarterlyReport
from domain.schedule import default_schedule
from komitmen.demo import sample_plan
from services import actions
from services.actions import Update
from tests.databases import sqlite_database
from tests.harness import Komitmen, running_komitmen, until
from tests.smtp import SmtpSink
from workflows.commitment import CommitmentWorkflow

R = TypeVar("R", bound=BaseModel)
PUBLIC = "https://komitmen.example.org"
KUPANG, TTS = "53.01", "53.02"


def address(username: str) -> str:
    """A demo person's address."""
    return f"{username}@example.org"


def turn_mail(messages: list[EmailMessage]) -> list[EmailMessage]:
    """The turn messages and change notices (what an action sends at once), oldest first."""
    return [msg for msg in messages if str(msg["Message-ID"]).startswith(("<turn.", "<changes."))]


def _claims(url: str) -> list[m.ReminderSent]:
    """Every message claimed, oldest first."""
    with transaction(session_factory(url)) as session:
        return list(session.scalars(select(m.ReminderSent).order_by(m.ReminderSent.id)))


def subject(message: EmailMessage) -> str:
    return " ".join(str(message["Subject"]).split())


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    content: str = body.get_content()
    return content.replace("\r\n", "\n")


@dataclass
class Story:
    """Acts as demo people and checks the mail each action sends."""

    env: WorkflowEnvironment
    k: Komitmen
    sink: SmtpSink
    http: httpx.AsyncClient
    cycle_id: str
    regency_code: str
    regency_name: str
    app: FastAPI
    seen: int = 0

    async def act(
        self, username: str, code: str, update: Update[R], build: type[R], **body: object
    ) -> int:
        """Act as `username`; the accepted action's version."""
        request = build.model_validate({"actor": self.k.actor(username), **body})
        result = await actions.act(self.k.client, f"{self.cycle_id}:{code}", update, request)
        return result.version

    async def told(self, actor: str, expected: dict[str, str]) -> None:
        """The mail since the last check is exactly one message to each expected address,
        its subject starting as given, nothing to `actor`, and each link opens the page."""
        for _ in range(100):
            if len(turn_mail(self.sink.messages)) >= self.seen + len(expected):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)  # and nothing more follows
        new = turn_mail(self.sink.messages)[self.seen :]
        self.seen += len(new)
        assert Counter(str(msg["To"]) for msg in new) == Counter(list(expected)), [
            (msg["To"], subject(msg)) for msg in new
        ]
        assert address(actor) not in {str(msg["To"]) for msg in new}
        for msg in new:
            assert subject(msg).startswith(expected[str(msg["To"])]), subject(msg)
            assert self.regency_name in subject(msg)
            await self.opens_its_page(msg)

    async def opens_its_page(self, message: EmailMessage) -> None:
        """The message's link is the commitment's page, and it opens for its reader."""
        code = self.regency_code
        link = f"{PUBLIC}/cycles/{self.cycle_id}/commitments/{code}/page"
        text = text_of(message)
        assert f"\n{link}\n" in text
        html = message.get_body(("html",))
        assert isinstance(html, EmailMessage) and f'href="{link}"' in html.get_content()
        username = str(message["To"]).split("@")[0]
        with transaction(session_factory(self.k.settings.db_url)) as session:
            user = people.get_user(session, username=username)
            assert user is not None
            token = people.create_token(
                session, user_id=user.id, name="test", now=datetime.now(UTC)
            )
        page = await self.http.get(
            link.removeprefix(PUBLIC), headers={"Cookie": f"komitmen_session={token}"}
        )
        assert page.status_code == 200, (username, page.status_code)
        assert self.regency_name in page.text


@asynccontextmanager
async def story(
    env: WorkflowEnvironment,
    sink: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    cycle_id: str,
    code: str,
    ordered: bool,
) -> AsyncIterator[Story]:
    """A Komitmen (worker and app) with one cycle of one regency; the reviewer reads English."""
    monkeypatch.setenv("KOMITMEN_PUBLIC_URL", PUBLIC)
    y = (await env.get_current_time()).astimezone(WITA).year + 1
    with sqlite_database(tmp_path) as url:
        async with running_komitmen(env.client, url, smtp_port=sink.port) as k:
            assert k.settings.public_base_url == PUBLIC
            with transaction(session_factory(url)) as session:
                session.execute(
                    update(m.UserAccount)
                    .where(m.UserAccount.username == "reviewer")
                    .values(language="en")
                )
            k.cycle_id, k.codes = cycle_id, (code,)
            spec = actions.build_cycle_spec(
                cycle_id=cycle_id,
                name=f"Rakor PB NTT {y - 1}",
                year=y,
                catalog=load_catalog(),
                schedule=default_schedule(y),
                started_by=k.actor("koordinator"),
                regency_codes=[code],
                ordered_signing=ordered,
            )
            await actions.start_cycle(k.client, spec, task_queue=k.task_queue)

            async def same_client() -> Client:
                return env.client

            settings = k.settings.model_copy(update={"temporal_task_queue": k.task_queue})
            app = create_app(settings, client_factory=same_client)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://komitmen") as http:
                yield Story(
                    env=env,
                    k=k,
                    sink=sink,
                    http=http,
                    cycle_id=cycle_id,
                    regency_name=load_catalog().get(code).name,
                    regency_code=code,
                    app=app,
                )


def report(quarter: int) -> dict[str, object]:
    """A quarter's report on the sample plan's four items."""
    items = [
        ItemProgress(
            item_position=i,
            status=ProgressStatus.SESUAI_JADWAL,
            percent_realised=Decimal(25),
            narrative="Berjalan sesuai rencana",
        )
        for i in (1, 2, 3, 4)
    ]
    return {"report": QuarterlyReport(quarter=quarter, items=tuple(items))}


async def test_each_turn_is_told_once_to_the_right_people_with_a_working_link(
    time_skipping_env: WorkflowEnvironment,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    W = CommitmentWorkflow
    plan = {"plan": sample_plan(load_catalog().get(KUPANG))}
    async with story(
        time_skipping_env,
        smtp_sink,
        tmp_path,
        monkeypatch,
        cycle_id="giliran",
        code=KUPANG,
        ordered=False,
    ) as s:
        officer, reviewer = "operator-5301", "reviewer"
        kalak, bappeda, kada = "kalak-5301", "bappeda-5301", "kada-5301"
        # Saving passes no turn; submitting passes it to the reviewer, who reads English.
        v1 = await s.act(officer, KUPANG, W.save_draft, c.SaveDraft, based_on_version=0, **plan)
        await s.told(officer, {})
        await s.act(officer, KUPANG, W.submit, c.Submit, version=v1)
        await s.told(officer, {address(reviewer): "Action plan submitted for review:"})

        await s.act(
            reviewer,
            KUPANG,
            W.request_changes,
            c.RequestChanges,
            version=v1,
            comments=[c.ReviewComment(text="Lengkapi mitra pentahelix")],
        )
        await s.told(reviewer, {address(officer): "Perlu Revisi:"})

        v2 = await s.act(officer, KUPANG, W.save_draft, c.SaveDraft, based_on_version=v1, **plan)
        await s.act(officer, KUPANG, W.submit, c.Submit, version=v2)
        await s.told(officer, {address(reviewer): "Action plan submitted for review:"})

        approved = "Rencana aksi disetujui, menunggu tanda tangan:"
        await s.act(reviewer, KUPANG, W.approve, c.Approve, version=v2)
        await s.told(
            reviewer,
            {address(kalak): approved, address(bappeda): approved, address(kada): approved},
        )

        state = await s.k.client.get_workflow_handle(f"commitment:giliran:{KUPANG}").query(
            "current", result_type=c.CommitmentState
        )
        document_hash = state.approved_hash
        # A signature that is not the last passes no turn: every office was told at approval.
        await s.act(kalak, KUPANG, W.sign, c.Sign, document_hash=document_hash)
        await s.told(kalak, {})

        await s.act(kada, KUPANG, W.decline, c.Decline, reason="Pagu Destana belum sesuai APBD")
        await s.told(
            kada,
            {
                address(reviewer): "Signature declined:",
                address(officer): "Penandatanganan ditolak:",
            },
        )
        *_, declined = [m for m in turn_mail(smtp_sink.messages) if m["To"] == address(officer)]
        assert "Pagu Destana belum sesuai APBD" in text_of(declined)

        # Approved again, the same version keeps the signature given: only the others sign.
        await s.act(reviewer, KUPANG, W.approve, c.Approve, version=v2)
        await s.told(reviewer, {address(bappeda): approved, address(kada): approved})
        await s.act(bappeda, KUPANG, W.sign, c.Sign, document_hash=document_hash)
        await s.told(bappeda, {})
        signed = "Komitmen ditandatangani lengkap:"
        await s.act(kada, KUPANG, W.sign, c.Sign, document_hash=document_hash)
        await s.told(kada, {address(officer): signed, address("koordinator"): signed})

        # The first quarter's report opens on 1 March.
        y = state.spec.schedule.quarters[0].report_due.astimezone(WITA).year
        await until(time_skipping_env, at_wita(date(y, 3, 2), 9))
        await s.act(officer, KUPANG, W.submit_report, c.SubmitReport, **report(1))
        await s.told(officer, {address(reviewer): "Q1 report submitted for verification:"})
        await s.act(
            reviewer,
            KUPANG,
            W.return_report,
            c.ReturnReport,
            quarter=1,
            reason="Bukti dukung kurang",
        )
        await s.told(reviewer, {address(officer): "Laporan triwulan I dikembalikan:"})
        await s.act(officer, KUPANG, W.submit_report, c.SubmitReport, **report(1))
        await s.told(officer, {address(reviewer): "Q1 report submitted for verification:"})
        await s.act(reviewer, KUPANG, W.verify_report, c.VerifyReport, quarter=1)
        await s.told(reviewer, {address(officer): "Laporan triwulan I diverifikasi:"})

        # Nothing but the turn messages and the change notice went out, each once.
        assert len(smtp_sink.messages) == len(turn_mail(smtp_sink.messages)) == s.seen
        english = [m for m in smtp_sink.messages if m["To"] == address(reviewer)]
        assert all(text_of(m).startswith("Dear Reviewer BPBD Provinsi NTT,") for m in english)


async def test_in_ordered_signing_only_the_next_office_is_told(
    time_skipping_env: WorkflowEnvironment,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    W = CommitmentWorkflow
    plan = {"plan": sample_plan(load_catalog().get(TTS))}
    async with story(
        time_skipping_env,
        smtp_sink,
        tmp_path,
        monkeypatch,
        cycle_id="giliran-urut",
        code=TTS,
        ordered=True,
    ) as s:
        officer = "operator-5302"
        v1 = await s.act(officer, TTS, W.save_draft, c.SaveDraft, based_on_version=0, **plan)
        await s.act(officer, TTS, W.submit, c.Submit, version=v1)
        await s.told(officer, {address("reviewer"): "Action plan submitted for review:"})

        await s.act("reviewer", TTS, W.approve, c.Approve, version=v1)
        await s.told("reviewer", {address("kalak-5302"): "Rencana aksi disetujui"})
        state = await s.k.client.get_workflow_handle(f"commitment:giliran-urut:{TTS}").query(
            "current", result_type=c.CommitmentState
        )
        document_hash = state.approved_hash
        await s.act("kalak-5302", TTS, W.sign, c.Sign, document_hash=document_hash)
        await s.told("kalak-5302", {address("bappeda-5302"): "Giliran tanda tangan:"})
        await s.act("bappeda-5302", TTS, W.sign, c.Sign, document_hash=document_hash)
        await s.told("bappeda-5302", {address("kada-5302"): "Giliran tanda tangan:"})
        signed = "Komitmen ditandatangani lengkap:"
        await s.act("kada-5302", TTS, W.sign, c.Sign, document_hash=document_hash)
        await s.told("kada-5302", {address(officer): signed, address("koordinator"): signed})


async def test_a_notice_the_mail_server_cannot_take_waits_outside_the_lock_and_arrives_once(
    time_skipping_env: WorkflowEnvironment,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NOTICES_LOCALLY: with the mail server down, the notice's one local attempt fails, the
    action is answered all the same, and the ordinary activity retries the notice until the
    server is back; the reviewer then gets it once, and the next action is told at once."""
    W = CommitmentWorkflow
    plan = {"plan": sample_plan(load_catalog().get(KUPANG))}
    async with story(
        time_skipping_env,
        smtp_sink,
        tmp_path,
        monkeypatch,
        cycle_id="giliran-putus",
        code=KUPANG,
        ordered=False,
    ) as s:
        officer, reviewer = "operator-5301", "reviewer"
        v1 = await s.act(officer, KUPANG, W.save_draft, c.SaveDraft, based_on_version=0, **plan)
        smtp_sink.stop()
        await s.act(officer, KUPANG, W.submit, c.Submit, version=v1)
        handle = s.k.client.get_workflow_handle(f"commitment:giliran-putus:{KUPANG}")
        scheduled: list[str] = []
        for _ in range(100):
            history = await handle.fetch_history()
            scheduled = [
                e.activity_task_scheduled_event_attributes.activity_type.name
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            ]
            if scheduled:
                break
            await asyncio.sleep(0.1)
        assert scheduled == ["send_turn_notice"]
        # Actions go on while the notice waits for the mail server.
        await s.act(reviewer, KUPANG, W.approve, c.Approve, version=v1)
        smtp_sink.start()
        approved = "Rencana aksi disetujui, menunggu tanda tangan:"
        await s.told(
            officer,
            {
                address(reviewer): "Action plan submitted for review:",
                address("kalak-5301"): approved,
                address("bappeda-5301"): approved,
                address("kada-5301"): approved,
            },
        )
        claims = [row.message_id for row in _claims(s.k.settings.db_url)]
        assert len(claims) == len(set(claims)) == 4
