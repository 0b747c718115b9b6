"""Reminders, escalations and change notices through a real SMTP server, each sent once."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.notify import ChangeNotice, Notifier, ReminderBatch, ReminderProgress, TurnNotice
from db import models as m
from db import offices, people, records
from db.session import session_factory, transaction
from domain.calendar import at_wita
from domain.catalog import Office, load_catalog
from domain.commitment import (
    Audience,
    CommitmentState,
    DeadlineKey,
    ReminderIntent,
    ReminderKind,
    ReviewComment,
    SaveDraft,
    Submit,
    apply_save_draft,
    apply_submit,
    reminder_intents,
    started_event,
)
from domain.cycle import CycleEvent
from domain.offices import Assignment
from domain.roles import Acting, Actor, Role
from domain.schedule import default_schedule
from domain.turns import Turn, TurnKind
from komitmen.demo import sample_plan, seed_demo_users
from mailing.rendering import MailRenderer
from mailing.transport import Mail, SmtpMailer
from services.actions import build_cycle_spec
from tests.smtp import SmtpSink, free_port

CATALOG = load_catalog()
SENDER = "Komitmen <komitmen@example.org>"
PUBLIC = "https://komitmen.example.org/"
COORDINATOR = Actor(name="Koordinator BPBD Provinsi NTT", role=Role.COORDINATOR)
CYCLE_A = ("rakor-2026", "Rakor PB NTT 2026")
CYCLE_B = ("rakor-2026-susulan", "Rakor PB NTT 2026 Susulan")
OFFICER_5301 = "operator-5301@example.org"
REVIEWER = "reviewer@example.org"
MANAGER = "manajer@example.org"
BPBD_HEAD_5301 = "kalak-5301@example.org"
UNSAFE_COMMENT = "<script>alert('x')</script> Anggaran IKD & honor tim belum dirinci."


@dataclass
class World:
    """A seeded directory, two recorded cycles, and the reminders their commitments call for."""

    sessions: sessionmaker[Session]
    states: dict[str, CommitmentState]

    def intent(self, commitment_id: str, key: DeadlineKey, days: int) -> ReminderIntent:
        """The reminder or escalation the commitment's open obligation calls for."""
        matches = [
            i
            for i in reminder_intents(self.states[commitment_id])
            if i.deadline_key == key and i.days == days
        ]
        assert len(matches) == 1, (commitment_id, key, days)
        return matches[0]

    def claims(self) -> list[m.ReminderSent]:
        """Every claimed message row, oldest first."""
        with self.sessions() as session:
            return list(session.scalars(select(m.ReminderSent).order_by(m.ReminderSent.id)))


def _start_cycle(
    sessions: sessionmaker[Session], cycle: tuple[str, str], codes: list[str]
) -> dict[str, CommitmentState]:
    cycle_id, name = cycle
    spec = build_cycle_spec(
        cycle_id=cycle_id,
        name=name,
        year=2026,
        catalog=CATALOG,
        schedule=default_schedule(2026),
        started_by=COORDINATOR,
        regency_codes=codes,
    )
    started_at = at_wita(date(2026, 1, 2), 8)
    with transaction(sessions) as session:
        records.record_cycle_event(
            session,
            event=CycleEvent(
                cycle_id=cycle_id,
                seq=1,
                action="started",
                status="running",
                actor=COORDINATOR,
                occurred_at=started_at,
                spec=spec,
            ),
        )
    states: dict[str, CommitmentState] = {}
    for regency in spec.regencies:
        state = CommitmentState.start(spec.commitment_spec(regency), started_at)
        with transaction(sessions) as session:
            records.record_event(session, event=started_event(state), regency_name=regency.name)
        states[state.spec.commitment_id] = state
    return states


def _submit(sessions: sessionmaker[Session], state: CommitmentState) -> None:
    """Draft and submit the sample plan, so the commitment waits for the reviewer."""
    regency = CATALOG.get(state.spec.regency_code)
    officer = Actor(
        name=f"Operator BPBD {regency.name}",
        role=Role.REGENCY_OFFICER,
        regency_code=regency.kemendagri_code,
    )
    save = SaveDraft(actor=officer, plan=sample_plan(regency), based_on_version=0)
    events = [
        apply_save_draft(state, save, at_wita(date(2026, 1, 5), 10)),
        apply_submit(state, Submit(actor=officer, version=1), at_wita(date(2026, 1, 6), 10)),
    ]
    for event in events:
        with transaction(sessions) as session:
            records.record_event(session, event=event, regency_name=regency.name)


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    """Cycle A (Kupang, TTS) and cycle B (Kupang, TTU); both TTS and TTU wait for review."""
    sessions = session_factory(db_url)
    with transaction(sessions) as session:
        seed_demo_users(session, CATALOG)
    states = {
        **_start_cycle(sessions, CYCLE_A, ["53.01", "53.02"]),
        **_start_cycle(sessions, CYCLE_B, ["53.01", "53.03"]),
    }
    _submit(sessions, states["rakor-2026:53.02"])
    _submit(sessions, states["rakor-2026-susulan:53.03"])
    yield World(sessions=sessions, states=states)


def notifier(world: World, port: int) -> Notifier:
    return Notifier(
        world.sessions, SmtpMailer("127.0.0.1", port), MailRenderer(), SENDER, public_url=PUBLIC
    )


async def send_reminders(notifier: Notifier, intents: list[ReminderIntent]) -> int:
    return await ActivityEnvironment().run(notifier.send_reminders, ReminderBatch(intents=intents))


async def send_change_notice(notifier: Notifier, notice: ChangeNotice) -> int:
    return await ActivityEnvironment().run(notifier.send_change_notice, notice)


def bodies(message: EmailMessage) -> tuple[str, str]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(text_part, EmailMessage) and isinstance(html_part, EmailMessage)
    return (
        text_part.get_content().replace("\r\n", "\n"),
        html_part.get_content().replace("\r\n", "\n"),
    )


def subject(message: EmailMessage) -> str:
    # A subject longer than a header line is folded; the parser keeps the fold's space.
    return " ".join(str(message["Subject"]).split())


def to_person(sink: SmtpSink, address: str) -> list[EmailMessage]:
    return [message for message in sink.messages if message["To"] == address]


def digest_batch(world: World) -> list[ReminderIntent]:
    """Two drafting reminders for Kupang's officer, two review reminders for the reviewer."""
    review_a = world.states["rakor-2026:53.02"].deadlines[DeadlineKey.REVIEW]
    review_b = world.states["rakor-2026-susulan:53.03"].deadlines[DeadlineKey.REVIEW]
    assert review_a == review_b
    return [
        world.intent("rakor-2026:53.01", DeadlineKey.DRAFTING, 7),
        world.intent("rakor-2026-susulan:53.01", DeadlineKey.DRAFTING, 7),
        world.intent("rakor-2026:53.02", DeadlineKey.REVIEW, 3),
        world.intent("rakor-2026-susulan:53.03", DeadlineKey.REVIEW, 3),
    ]


# --- digests -----------------------------------------------------------------------------


async def test_reminders_to_one_person_go_out_as_one_digest(
    world: World, smtp_sink: SmtpSink
) -> None:
    sent = await send_reminders(notifier(world, smtp_sink.port), digest_batch(world))

    assert sent == 2
    assert sorted(d.rcpt_tos for d in smtp_sink.deliveries) == [(OFFICER_5301,), (REVIEWER,)]
    [officer] = to_person(smtp_sink, OFFICER_5301)
    [reviewer] = to_person(smtp_sink, REVIEWER)
    for message in (officer, reviewer):
        assert subject(message) == "Pengingat: 2 tenggat Komitmen"
        assert message["From"] == SENDER

    text, html = bodies(officer)
    assert text.startswith("Yth. Bapak/Ibu Operator BPBD Kabupaten Kupang,")
    assert "1. [Pengingat] Penyusunan rencana aksi - Kabupaten Kupang" in text
    assert "2. [Pengingat] Penyusunan rencana aksi - Kabupaten Kupang" in text
    assert "Rakor PB NTT 2026\n" in text and "Rakor PB NTT 2026 Susulan" in text
    assert "Kamis, 15 Januari 2026 pukul 23.59 WITA" in text
    assert text.count("7 hari lagi") == 2
    assert "Rakor PB NTT 2026 Susulan" in html and "WITA" in html
    # One link per entry, to each commitment's own page, under the public address.
    pages = [
        "https://komitmen.example.org/cycles/rakor-2026/commitments/53.01/page",
        "https://komitmen.example.org/cycles/rakor-2026-susulan/commitments/53.01/page",
    ]
    assert all(f"Halaman     : {page}\n" in text and f'href="{page}"' in html for page in pages)

    text, html = bodies(reviewer)
    assert "Reviu rencana aksi - Kabupaten Timor Tengah Selatan" in text
    assert "Reviu rencana aksi - Kabupaten Timor Tengah Utara" in text
    assert "Kabupaten Kupang" not in text
    assert text.count("WITA") == 2 and text.count("3 hari lagi") == 2
    assert "Kabupaten Timor Tengah Utara" in html

    claims = world.claims()
    assert len(claims) == 4
    assert all(c.sent_at is not None and c.kind == "digest" for c in claims)
    assert {c.message_id for c in claims if c.recipient == OFFICER_5301} == {officer["Message-ID"]}
    assert {c.message_id for c in claims if c.recipient == REVIEWER} == {reviewer["Message-ID"]}
    assert {(c.deadline_key, c.days) for c in claims} == {("drafting", 7), ("review", 3)}


async def test_the_same_batch_again_sends_nothing(world: World, smtp_sink: SmtpSink) -> None:
    activity = notifier(world, smtp_sink.port)
    batch = digest_batch(world)
    assert await send_reminders(activity, batch) == 2
    assert await send_reminders(activity, batch) == 0
    assert await send_reminders(activity, list(reversed(batch))) == 0
    assert len(smtp_sink.messages) == 2
    assert len(world.claims()) == 4


async def test_a_digest_carries_only_what_was_not_sent_before(
    world: World, smtp_sink: SmtpSink
) -> None:
    activity = notifier(world, smtp_sink.port)
    seven = world.intent("rakor-2026:53.01", DeadlineKey.DRAFTING, 7)
    three = world.intent("rakor-2026:53.01", DeadlineKey.DRAFTING, 3)
    assert await send_reminders(activity, [seven]) == 1
    # Same person, same deadline, another offset: a new reminder; the 7-day one is not repeated.
    assert await send_reminders(activity, [seven, three]) == 1
    first, second = smtp_sink.messages
    assert subject(first).startswith("Pengingat: penyusunan rencana aksi Kabupaten Kupang")
    assert subject(second).startswith("Pengingat: penyusunan rencana aksi Kabupaten Kupang")
    assert first["Message-ID"] != second["Message-ID"]
    text, _ = bodies(second)
    assert "3 hari lagi" in text and "7 hari lagi" not in text
    assert [(c.days, c.sent_at is not None) for c in world.claims()] == [(7, True), (3, True)]


async def test_an_english_reader_gets_an_english_digest(world: World, smtp_sink: SmtpSink) -> None:
    with transaction(world.sessions) as session:
        session.execute(
            update(m.UserAccount).where(m.UserAccount.username == "reviewer").values(language="en")
        )
    assert await send_reminders(notifier(world, smtp_sink.port), digest_batch(world)) == 2
    [reviewer] = to_person(smtp_sink, REVIEWER)
    [officer] = to_person(smtp_sink, OFFICER_5301)
    assert subject(reviewer) == "Reminder: 2 Komitmen deadlines"
    assert subject(officer) == "Pengingat: 2 tenggat Komitmen"
    text, _ = bodies(reviewer)
    assert text.startswith("Dear Reviewer BPBD Provinsi NTT,")
    assert "1. [Reminder] Reviewing the action plan - Kabupaten Timor Tengah Selatan" in text
    assert "in 3 days" in text and "WITA" in text
    assert "Pengingat" not in text


# --- escalations -------------------------------------------------------------------------


async def test_escalations_go_one_by_one_in_each_persons_language(
    world: World, smtp_sink: SmtpSink
) -> None:
    escalations = [
        world.intent("rakor-2026:53.01", DeadlineKey.DRAFTING, -7),
        world.intent("rakor-2026-susulan:53.01", DeadlineKey.DRAFTING, -7),
        world.intent("rakor-2026:53.01", DeadlineKey.DRAFTING, -1),
    ]
    assert [(i.kind, i.audience) for i in escalations] == [
        (ReminderKind.ESCALATION, Audience.MANAGER),
        (ReminderKind.ESCALATION, Audience.MANAGER),
        (ReminderKind.ESCALATION, Audience.REGENCY_HEAD),
    ]
    activity = notifier(world, smtp_sink.port)

    assert await send_reminders(activity, escalations) == 3
    manager = to_person(smtp_sink, MANAGER)
    [head] = to_person(smtp_sink, BPBD_HEAD_5301)
    assert len(smtp_sink.messages) == 3
    assert len(manager) == 2
    # Each escalation has its own well-formed Message-ID, the one its claim row carries.
    ids = {message["Message-ID"] for message in smtp_sink.messages}
    assert len(ids) == 3
    assert all(re.fullmatch(r"<escalation\.[0-9a-f]{32}@komitmen>", i) for i in ids)
    assert {c.message_id for c in world.claims()} == ids
    for message in manager:
        # The demo manager reads English.
        assert subject(message) == (
            "Escalation: drafting the action plan for Kabupaten Kupang 7 days overdue"
        )
        text, _ = bodies(message)
        assert text.startswith("Dear Manajer BPBD Provinsi NTT,")
        assert text.count("[Escalation]") == 1
        assert "WITA" in text
    # One message per cycle's commitment.
    assert sorted("Susulan" in bodies(message)[0] for message in manager) == [False, True]
    assert subject(head) == "Eskalasi: penyusunan rencana aksi Kabupaten Kupang terlambat 1 hari"
    text, _ = bodies(head)
    assert "[Eskalasi] Penyusunan rencana aksi - Kabupaten Kupang" in text

    assert await send_reminders(activity, escalations) == 0
    assert len(smtp_sink.messages) == 3
    assert {c.kind for c in world.claims()} == {"escalation"}


# --- failures and retries ----------------------------------------------------------------


async def test_smtp_down_raises_and_the_retry_sends_exactly_once(
    world: World, smtp_sink: SmtpSink
) -> None:
    batch = digest_batch(world)
    down = notifier(world, free_port())
    with pytest.raises(OSError):
        await send_reminders(down, batch)
    assert smtp_sink.messages == []
    # The first person's claims were written before the send failed, and stay unsent.
    assert [(c.recipient, c.sent_at) for c in world.claims()] == [(REVIEWER, None)] * 2

    live = notifier(world, smtp_sink.port)
    assert await send_reminders(live, batch) == 2
    assert await send_reminders(live, batch) == 0
    assert sorted(message["To"] for message in smtp_sink.messages) == [OFFICER_5301, REVIEWER]
    claims = world.claims()
    assert len(claims) == 4 and all(c.sent_at is not None for c in claims)
    assert {c.message_id for c in claims} == {msg["Message-ID"] for msg in smtp_sink.messages}


class FailingOnceFor:
    """Deliver through a real mailer, except the first message to one address."""

    def __init__(self, inner: SmtpMailer, address: str) -> None:
        self.inner = inner
        self.address = address
        self.failed = False

    async def send(self, mail: Mail) -> None:
        if mail.to == self.address and not self.failed:
            self.failed = True
            raise ConnectionResetError("connection reset by the SMTP server")
        await self.inner.send(mail)


async def test_a_retry_after_a_partial_failure_does_not_repeat_what_went_out(
    world: World, smtp_sink: SmtpSink
) -> None:
    batch = digest_batch(world)
    flaky = FailingOnceFor(SmtpMailer("127.0.0.1", smtp_sink.port), OFFICER_5301)
    activity = Notifier(world.sessions, flaky, MailRenderer(), SENDER, public_url=PUBLIC)

    with pytest.raises(ConnectionResetError):
        await send_reminders(activity, batch)
    # Review is due 13 January, before drafting (15 January): the reviewer's digest went out.
    assert [message["To"] for message in smtp_sink.messages] == [REVIEWER]

    assert await send_reminders(activity, batch) == 1
    assert [message["To"] for message in smtp_sink.messages] == [REVIEWER, OFFICER_5301]
    assert await send_reminders(activity, batch) == 0
    assert len(smtp_sink.messages) == 2


# --- heartbeats and resuming ------------------------------------------------------------


class ClaimsNoted(Notifier):
    """A Notifier that notes to whom each claim was made, attempt by attempt."""

    claimed: list[str]

    def _claim(
        self,
        recipient: str,
        kind: str,
        keys: list[str],
        commitment_ids: list[str],
        intents: list[ReminderIntent] | None,
        message_id: str,
    ) -> set[str]:
        self.claimed.append(recipient)
        return super()._claim(recipient, kind, keys, commitment_ids, intents, message_id)


async def attempt(
    notifier: Notifier,
    intents: list[ReminderIntent],
    heartbeats: list[ReminderProgress],
    details: Sequence[object] = (),
) -> int:
    """Run one attempt of send_reminders as a retry with these heartbeat details would."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_details=list(details))
    env.on_heartbeat = lambda progress: heartbeats.append(progress)
    return await env.run(notifier.send_reminders, ReminderBatch(intents=intents))


async def failed_first_attempt(
    world: World, smtp_sink: SmtpSink
) -> tuple[ClaimsNoted, list[ReminderIntent], list[ReminderProgress]]:
    """A digest batch whose first attempt sends the reviewer's, then fails on the officer's."""
    batch = digest_batch(world)
    flaky = FailingOnceFor(SmtpMailer("127.0.0.1", smtp_sink.port), OFFICER_5301)
    noted = ClaimsNoted(world.sessions, flaky, MailRenderer(), SENDER, public_url=PUBLIC)
    noted.claimed = []
    heartbeats: list[ReminderProgress] = []
    with pytest.raises(ConnectionResetError):
        await attempt(noted, batch, heartbeats)
    return noted, batch, heartbeats


async def test_heartbeats_count_the_groups_sent_and_a_retry_resumes_after_them(
    world: World, smtp_sink: SmtpSink
) -> None:
    noted, batch, heartbeats = await failed_first_attempt(world, smtp_sink)
    [first] = heartbeats
    assert (first.groups_done, first.groups) == (1, 2)
    assert noted.claimed == [REVIEWER, OFFICER_5301]

    # The details come back from the server as JSON.
    noted.claimed = []
    assert await attempt(noted, batch, heartbeats, [first.model_dump(mode="json")]) == 1
    assert noted.claimed == [OFFICER_5301], "the reviewer's digest is not even claimed again"
    assert [(h.groups_done, h.groups) for h in heartbeats] == [(1, 2), (2, 2)]
    assert [message["To"] for message in smtp_sink.messages] == [REVIEWER, OFFICER_5301]
    assert all(c.sent_at is not None for c in world.claims())


async def test_a_retry_after_the_directory_changed_claims_every_group(
    world: World, smtp_sink: SmtpSink
) -> None:
    noted, batch, heartbeats = await failed_first_attempt(world, smtp_sink)
    # The reviewer leaves: the officer's digest is now the first group, and skipping the
    # one group the heartbeat counts would skip the officer.
    with transaction(world.sessions) as session:
        session.execute(
            update(m.UserAccount).where(m.UserAccount.email == REVIEWER).values(active=False)
        )

    noted.claimed = []
    assert await attempt(noted, batch, heartbeats, [heartbeats[-1].model_dump()]) == 1
    assert noted.claimed == [OFFICER_5301]
    assert [message["To"] for message in smtp_sink.messages] == [REVIEWER, OFFICER_5301]


HEARTBEAT_TIMEOUT = timedelta(seconds=1)


@workflow.defn(sandboxed=False)
class SendReminders:
    """Send one batch as the cycle does, with a heartbeat timeout a test can wait out."""

    @workflow.run
    async def run(self, batch: ReminderBatch) -> int:
        """Return what the attempt that completed sent."""
        sent: int = await workflow.execute_activity(
            "send_reminders",
            batch,
            result_type=int,
            start_to_close_timeout=timedelta(minutes=1),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100)),
        )
        return sent


class Slow:
    """Deliver through a real mailer after a pause; on the first attempt, hang at one message."""

    def __init__(self, inner: SmtpMailer, pause: float, hang_at: int | None = None) -> None:
        self.inner = inner
        self.pause = pause
        self.hang_at = hang_at
        self.attempts: list[int] = []

    async def send(self, mail: Mail) -> None:
        number = activity.info().attempt
        self.attempts.append(number)
        if number == 1 and len(self.attempts) == self.hang_at:
            # As a worker that died mid-batch: no more heartbeats, never done.
            await asyncio.Event().wait()
        await asyncio.sleep(self.pause)
        await self.inner.send(mail)


def with_officers(world: World, count: int) -> list[str]:
    """Give Kupang `count` more officers; return all its officers' addresses, in id order."""
    with transaction(world.sessions) as session:
        for n in range(count):
            people.add_user(
                session,
                username=f"operator-5301-{n:02d}",
                full_name=f"Operator {n} BPBD Kupang",
                email=f"operator-5301-{n:02d}@example.org",
                role="regency_officer",
                regency_code="53.01",
                office=None,
                now=world.states["rakor-2026:53.01"].started_at,
            )
    return [OFFICER_5301] + [f"operator-5301-{n:02d}@example.org" for n in range(count)]


async def send_through_temporal(
    env: WorkflowEnvironment, notifier: Notifier, batch: ReminderBatch
) -> int:
    """Run SendReminders on a worker of its own that heartbeats at most every 0.2 s."""
    queue = f"reminders-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[SendReminders],
        activities=[notifier.send_reminders],
        max_heartbeat_throttle_interval=timedelta(milliseconds=200),
    ):
        return await env.client.execute_workflow(
            SendReminders.run, batch, id=queue, task_queue=queue
        )


async def test_a_batch_longer_than_the_heartbeat_timeout_completes_in_one_attempt(
    dev_server_env: WorkflowEnvironment, world: World, smtp_sink: SmtpSink
) -> None:
    officers = with_officers(world, 11)
    slow = Slow(SmtpMailer("127.0.0.1", smtp_sink.port), pause=0.2)
    batch = ReminderBatch(intents=[world.intent("rakor-2026:53.01", DeadlineKey.DRAFTING, 7)])

    sent = await send_through_temporal(
        dev_server_env,
        Notifier(world.sessions, slow, MailRenderer(), SENDER, public_url=PUBLIC),
        batch,
    )

    # 12 messages of 0.2 s each: more than twice the heartbeat timeout, in one attempt.
    assert sent == 12 and slow.attempts == [1] * 12
    assert sorted(message["To"] for message in smtp_sink.messages) == sorted(officers)


async def test_a_stuck_attempt_times_out_and_the_retry_resumes_after_its_heartbeat(
    dev_server_env: WorkflowEnvironment, world: World, smtp_sink: SmtpSink
) -> None:
    officers = with_officers(world, 11)
    stuck = Slow(SmtpMailer("127.0.0.1", smtp_sink.port), pause=0.05, hang_at=4)
    notifier = ClaimsNoted(world.sessions, stuck, MailRenderer(), SENDER, public_url=PUBLIC)
    notifier.claimed = []
    batch = ReminderBatch(intents=[world.intent("rakor-2026:53.01", DeadlineKey.DRAFTING, 7)])

    sent = await send_through_temporal(dev_server_env, notifier, batch)

    # The first attempt sent three and hung on the fourth; the second began there.
    assert stuck.attempts == [1] * 4 + [2] * 9
    assert sent == 9
    assert notifier.claimed == officers[:4] + officers[3:]
    assert sorted(message["To"] for message in smtp_sink.messages) == sorted(officers)
    assert all(c.sent_at is not None for c in world.claims())


# --- change notices ----------------------------------------------------------------------


def change_notice() -> ChangeNotice:
    return ChangeNotice(
        commitment_id="rakor-2026:53.01",
        event_seq=4,
        cycle_name="Rakor PB NTT 2026",
        regency_code="53.01",
        regency_name="Kabupaten Kupang",
        round=1,
        version=1,
        reviewer_name="Reviewer BPBD Provinsi NTT",
        comments=[
            ReviewComment(item_position=2, text=UNSAFE_COMMENT),
            ReviewComment(text="Lengkapi mitra pentahelix pada seluruh butir."),
        ],
    )


async def test_a_change_notice_reaches_the_regency_officers_once_escaped(
    world: World, smtp_sink: SmtpSink
) -> None:
    with transaction(world.sessions) as session:
        second = people.add_user(
            session,
            username="operator2-5301",
            full_name="Maria Bunga",
            email="operator2-5301@example.org",
            role="regency_officer",
            regency_code="53.01",
            office=None,
            now=world.states["rakor-2026:53.01"].started_at,
        )
        assert second.id is not None
    # The notice names each commented item by its activity, read from the saved version.
    state = world.states["rakor-2026:53.01"]
    officer = Actor(name="Operator", role=Role.REGENCY_OFFICER, regency_code="53.01")
    save = SaveDraft(actor=officer, plan=sample_plan(CATALOG.get("53.01")), based_on_version=0)
    with transaction(world.sessions) as session:
        records.record_event(
            session,
            event=apply_save_draft(state, save, at_wita(date(2026, 1, 5), 10)),
            regency_name="Kabupaten Kupang",
        )
    activity = notifier(world, smtp_sink.port)

    assert await send_change_notice(activity, change_notice()) == 2
    messages = smtp_sink.messages
    assert sorted(message["To"] for message in messages) == [
        "operator-5301@example.org",
        "operator2-5301@example.org",
    ]
    for message in messages:
        assert subject(message) == "Perlu Revisi: rencana aksi Kabupaten Kupang (putaran 1)"
        text, html = bodies(message)
        # Plain text shows the comment exactly as typed; HTML escapes it.
        assert UNSAFE_COMMENT in text
        assert "- Butir 2: Penilaian mandiri Indeks Ketahanan Daerah (71 indikator)" in text
        assert "Catatan umum:\nLengkapi mitra pentahelix pada seluruh butir." in text
        assert "<script>" not in html
        assert "&lt;script&gt;alert(" in html
        assert "honor tim" in html and "IKD &amp; honor" in html
        assert "Butir 2: Penilaian mandiri Indeks Ketahanan Daerah (71 indikator)" in html
        page = "https://komitmen.example.org/cycles/rakor-2026/commitments/53.01/page"
        assert f"\n{page}\n" in text and f'href="{page}"' in html
    text, _ = bodies(to_person(smtp_sink, "operator2-5301@example.org")[0])
    assert text.startswith("Yth. Bapak/Ibu Maria Bunga,")

    assert await send_change_notice(activity, change_notice()) == 0
    assert len(smtp_sink.messages) == 2
    claims = world.claims()
    assert [(c.kind, c.dedupe_key) for c in claims] == [("changes", "rakor-2026:53.01|event|4")] * 2
    assert all(c.sent_at is not None and c.deadline_key is None for c in claims)


# --- turn notices ------------------------------------------------------------------------


def turn_notice(turn: Turn, actor: Actor, seq: int = 9, **fields: object) -> TurnNotice:
    return TurnNotice.model_validate(
        {
            "commitment_id": "rakor-2026:53.01",
            "event_seq": seq,
            "cycle_name": "Rakor PB NTT 2026",
            "regency_code": "53.01",
            "regency_name": "Kabupaten Kupang",
            "turn": turn,
            "actor": actor,
            **fields,
        }
    )


def demo_actor(world: World, username: str) -> Actor:
    with world.sessions() as session:
        user = people.get_user(session, username=username)
        assert user is not None
        return Actor(
            name=user.full_name,
            role=Role(user.role),
            regency_code=user.regency_code,
            office=user.office,
            username=user.username,
        )


async def test_a_turn_notice_goes_to_each_person_of_its_audiences_once_in_their_language(
    world: World, smtp_sink: SmtpSink
) -> None:
    with transaction(world.sessions) as session:
        session.execute(
            update(m.UserAccount)
            .where(m.UserAccount.username == "operator-5301")
            .values(language="en")
        )
    activity = notifier(world, smtp_sink.port)
    declined = turn_notice(
        Turn(kind=TurnKind.DECLINED, audiences=(Audience.REVIEWER, Audience.REGENCY_OFFICER)),
        demo_actor(world, "kada-5301"),
        version=1,
        reason="Pagu <Destana> belum sesuai",
    )

    assert await ActivityEnvironment().run(activity.send_turn_notice, declined) == 2
    assert await ActivityEnvironment().run(activity.send_turn_notice, declined) == 0
    [reviewer] = to_person(smtp_sink, REVIEWER)
    [officer] = to_person(smtp_sink, OFFICER_5301)
    assert len(smtp_sink.messages) == 2
    assert subject(reviewer) == "Penandatanganan ditolak: Kabupaten Kupang (Rakor PB NTT 2026)"
    assert subject(officer) == "Signature declined: Kabupaten Kupang (Rakor PB NTT 2026)"
    text, html = bodies(reviewer)
    assert "mereviunya kembali" in text and "Alasan:\nPagu <Destana> belum sesuai" in text
    assert "Pagu &lt;Destana&gt; belum sesuai" in html
    page = "https://komitmen.example.org/cycles/rakor-2026/commitments/53.01/page"
    assert f"\n{page}\n" in text and f'href="{page}"' in html
    text, _ = bodies(officer)
    assert text.startswith("Dear Operator BPBD Kabupaten Kupang,")
    assert "The reviewer will follow it up" in text
    claims = world.claims()
    assert [(c.kind, c.dedupe_key) for c in claims] == [("turn", "rakor-2026:53.01|event|9")] * 2


async def test_a_turn_notice_leaves_out_the_person_who_acted(
    world: World, smtp_sink: SmtpSink
) -> None:
    """The offices told of an approval, one of them named as the actor (no such action
    exists, but it is the simplest audience that holds the actor)."""
    activity = notifier(world, smtp_sink.port)
    approved = Turn(
        kind=TurnKind.APPROVED,
        audiences=(Audience.SIGNATORY,),
        offices=("bpbd_head", "planning_head", "regional_head"),
    )
    by_username = turn_notice(approved, demo_actor(world, "kalak-5301"), seq=10)
    assert await ActivityEnvironment().run(activity.send_turn_notice, by_username) == 2
    assert sorted(str(m["To"]) for m in smtp_sink.messages) == [
        "bappeda-5301@example.org",
        "kada-5301@example.org",
    ]
    # An actor recorded without a username is recognised by who they are.
    anonymous = demo_actor(world, "bappeda-5301").model_copy(update={"username": None})
    again = turn_notice(approved, anonymous, seq=11)
    assert await ActivityEnvironment().run(activity.send_turn_notice, again) == 2
    assert sorted(str(m["To"]) for m in smtp_sink.messages[2:]) == [
        "kada-5301@example.org",
        "kalak-5301@example.org",
    ]


async def test_a_local_attempt_tells_the_office_holders_of_the_day_the_workflow_sent_it(
    world: World, smtp_sink: SmtpSink
) -> None:
    """A local activity's own scheduled time is the worker's clock, which a time-skipping
    test (or nothing else) may leave behind the workflow's: the notice's `sent_at` names the
    day whose office holders are told (a Plt. from 1 July 2030 here, not the definitive head)."""
    with transaction(world.sessions) as session:
        for username, acting, valid_from, valid_until in (
            ("kalak-5301", Acting.DEFINITIVE, None, date(2030, 6, 30)),
            ("bappeda-5301", Acting.PLT, date(2030, 7, 1), None),
        ):
            user = people.get_user(session, username=username)
            assert user is not None
            offices.add_assignment(
                session,
                assignment=Assignment(
                    regency_code="53.01",
                    office=Office.BPBD_HEAD,
                    username=username,
                    acting=acting,
                    valid_from=valid_from,
                    valid_until=valid_until,
                ),
                user_id=user.id,
                recorded_by="test",
                now=at_wita(date(2026, 6, 1), 9),
            )
    activity = notifier(world, smtp_sink.port)
    approved = Turn(kind=TurnKind.APPROVED, audiences=(Audience.SIGNATORY,), offices=("bpbd_head",))
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, is_local=True)
    notice = turn_notice(
        approved, demo_actor(world, "reviewer"), seq=12, sent_at=at_wita(date(2030, 7, 2), 9)
    )
    assert await env.run(activity.send_turn_notice, notice) == 1
    assert [str(m["To"]) for m in smtp_sink.messages] == ["bappeda-5301@example.org"]
    # Without it, the activity's scheduled day (today, before the Plt.) is the day.
    before = turn_notice(approved, demo_actor(world, "reviewer"), seq=13)
    assert await env.run(activity.send_turn_notice, before) == 1
    assert str(smtp_sink.messages[-1]["To"]) == "kalak-5301@example.org"
