"""Sending mail through a real loopback SMTP server and into an outbox folder."""

from __future__ import annotations

import smtplib
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailing.transport import (
    Mail,
    OutboxMailer,
    SmtpMailer,
    build_message,
    mailer_for,
    outbox_filename,
)
from tests.smtp import SmtpSink, free_port

MAIL = Mail(
    message_id="<reminder.3f2a9c@komitmen>",
    sender="Komitmen BPBD NTT <komitmen@bpbd.nttprov.go.id>",
    to="Yohanes Bria <yohanes@kupangkab.go.id>",
    subject="Pengingat: laporan triwulan I Kabupaten Kupang jatuh tempo 20 April 2026 — Ω",
    text="Yth. Bapak/Ibu Yohanes Bria,\n\nLaporan triwulan I — 7 hari lagi.\n",
    html="<p>Yth. Bapak/Ibu Yohanes Bria,</p><p>Laporan triwulan I &mdash; 7 hari lagi.</p>\n",
)


def bodies(message: EmailMessage) -> tuple[str, str]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(text_part, EmailMessage)
    assert isinstance(html_part, EmailMessage)
    # SMTP carries lines ending in CRLF; compare the text, not the line endings.
    return (
        text_part.get_content().replace("\r\n", "\n"),
        html_part.get_content().replace("\r\n", "\n"),
    )


def test_build_message_structure() -> None:
    message = build_message(MAIL)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert all(part.get_content_charset() == "utf-8" for part in message.iter_parts())
    assert message["Message-ID"] == "<reminder.3f2a9c@komitmen>"
    assert message["Date"]
    assert message["Auto-Submitted"] == "auto-generated"
    # The serialized form is plain ASCII, so any SMTP server accepts it.
    message.as_bytes().decode("ascii")


async def test_smtp_mailer_delivers(smtp_sink: SmtpSink) -> None:
    await SmtpMailer("127.0.0.1", smtp_sink.port).send(MAIL)

    [delivery] = smtp_sink.deliveries
    assert delivery.mail_from == "komitmen@bpbd.nttprov.go.id"
    assert delivery.rcpt_tos == ("yohanes@kupangkab.go.id",)
    assert not delivery.authenticated

    [message] = smtp_sink.messages
    assert message["To"] == "Yohanes Bria <yohanes@kupangkab.go.id>"
    assert message["From"] == "Komitmen BPBD NTT <komitmen@bpbd.nttprov.go.id>"
    assert message["Subject"] == MAIL.subject
    assert message["Message-ID"] == "<reminder.3f2a9c@komitmen>"
    text, html = bodies(message)
    assert text == MAIL.text
    assert html == MAIL.html


async def test_smtp_mailer_sends_back_to_back_messages_in_one_session(
    smtp_sink: SmtpSink,
) -> None:
    mailer = SmtpMailer("127.0.0.1", smtp_sink.port)
    for n in range(3):
        await mailer.send(replace(MAIL, message_id=f"<digest.{n}@komitmen>"))
    # Any connection has now been idle too long to be trusted: the next one is new.
    mailer.REUSE_SECONDS = 0
    await mailer.send(replace(MAIL, message_id="<digest.3@komitmen>"))

    peers = [delivery.peer for delivery in smtp_sink.deliveries]
    assert peers[0] == peers[1] == peers[2] != peers[3]
    assert [m["Message-ID"] for m in smtp_sink.messages] == [
        f"<digest.{n}@komitmen>" for n in range(4)
    ]


async def test_smtp_mailer_starts_a_new_session_after_its_message_cap(smtp_sink: SmtpSink) -> None:
    mailer = SmtpMailer("127.0.0.1", smtp_sink.port)
    mailer.MESSAGES_PER_CONNECTION = 2
    for n in range(5):
        await mailer.send(replace(MAIL, message_id=f"<digest.{n}@komitmen>"))

    peers = [delivery.peer for delivery in smtp_sink.deliveries]
    assert peers[0] == peers[1] != peers[2] == peers[3] != peers[4]


async def test_smtp_mailer_after_a_failed_session_sends_on_a_new_one() -> None:
    port = free_port()
    mailer = SmtpMailer("127.0.0.1", port, timeout=5.0)
    with SmtpSink(port=port):
        await mailer.send(MAIL)
    # The server went away with the connection the mailer kept: that message fails, so
    # the activity retries it, and the retry finds the server back on a new connection.
    with SmtpSink(port=port) as sink:
        with pytest.raises(OSError):
            await mailer.send(MAIL)
        await mailer.send(MAIL)
        assert [m["Message-ID"] for m in sink.messages] == [MAIL.message_id]


async def test_smtp_mailer_logs_in() -> None:
    with SmtpSink(credentials=("komitmen", "rahasia")) as sink:
        mailer = SmtpMailer("127.0.0.1", sink.port, username="komitmen", password="rahasia")
        await mailer.send(MAIL)
        assert [d.authenticated for d in sink.deliveries] == [True]
        assert [m["Message-ID"] for m in sink.messages] == ["<reminder.3f2a9c@komitmen>"]

        wrong = SmtpMailer("127.0.0.1", sink.port, username="komitmen", password="salah")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await wrong.send(MAIL)
        assert len(sink.messages) == 1


async def test_smtp_mailer_raises_when_server_is_down() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), timeout=5.0)
    with pytest.raises(OSError):
        await mailer.send(MAIL)


def test_smtp_mailer_refuses_both_tls_modes() -> None:
    with pytest.raises(ValueError, match="starttls"):
        SmtpMailer("smtp.example.org", 465, starttls=True, use_tls=True)


async def test_outbox_mailer_is_idempotent(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    mailer = OutboxMailer(outbox)
    await mailer.send(MAIL)
    await mailer.send(MAIL)

    files = list(outbox.iterdir())
    assert [f.name for f in files] == ["reminder.3f2a9c@komitmen.eml"]
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == MAIL.subject
    assert message["To"] == MAIL.to
    assert message["Message-ID"] == MAIL.message_id
    assert bodies(message) == (MAIL.text, MAIL.html)


async def test_outbox_keeps_one_file_per_message_id(tmp_path: Path) -> None:
    mailer = OutboxMailer(tmp_path)
    await mailer.send(MAIL)
    await mailer.send(
        Mail(
            message_id="<changes.77@komitmen>",
            sender=MAIL.sender,
            to=MAIL.to,
            subject="Perlu Revisi",
            text="t",
            html="<p>h</p>",
        )
    )
    assert sorted(f.name for f in tmp_path.iterdir()) == [
        "changes.77@komitmen.eml",
        "reminder.3f2a9c@komitmen.eml",
    ]


@pytest.mark.parametrize(
    ("message_id", "expected"),
    [
        ("<reminder.3f2a@komitmen>", "reminder.3f2a@komitmen.eml"),
        ("<a/b@komitmen>", "a_b@komitmen-"),
        ("<../../etc/passwd>", "_.._etc_passwd-"),
        ("<a b@komitmen>", "a_b@komitmen-"),
    ],
)
def test_outbox_filename_is_safe(message_id: str, expected: str) -> None:
    name = outbox_filename(message_id)
    assert name.startswith(expected)
    assert name.endswith(".eml")
    assert "/" not in name
    assert not name.startswith(".")


def test_outbox_filenames_do_not_collide() -> None:
    assert outbox_filename("<a/b@komitmen>") != outbox_filename("<a b@komitmen>")


def test_mailer_for_chooses_by_host(tmp_path: Path) -> None:
    smtp = mailer_for("smtp.example.org", 587, "user", "secret", True, tmp_path)
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.username, smtp.starttls) == (
        "smtp.example.org",
        587,
        "user",
        True,
    )
    for host in (None, ""):
        outbox = mailer_for(host, 25, None, None, False, tmp_path)
        assert isinstance(outbox, OutboxMailer)
        assert outbox.folder == tmp_path
