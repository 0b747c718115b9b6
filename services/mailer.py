"""Mail the services send themselves, at once, outside any workflow: set-password links.

The workflows' mail goes through activities, retried by Temporal; a set-password link
is asked for by a person waiting at a page, so it is sent here, in the request, the
same way (`mailing`): rendered from `templates/email/<name>.subject.txt|.txt|.html` in
the recipient's language, and sent by SMTP with the app's settings (KOMITMEN_SMTP_*) or
written to the outbox folder when no SMTP host is set. A failure is reported to the
caller, which tells the person (the coordinator can send the link again).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from functools import cache

from mailing.rendering import MailRenderer
from mailing.transport import Mail, OutboxMailer, SmtpMailer, mailer_for
from services.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Letter:
    """One message to one person: the template, their address and language, its values."""

    template: str
    to: str
    language: str
    values: Mapping[str, object]


@cache
def renderer() -> MailRenderer:
    """The mail templates, loaded once per process."""
    return MailRenderer()


def transport(settings: Settings) -> SmtpMailer | OutboxMailer:
    """How the settings say mail leaves: SMTP, or the outbox folder without an SMTP host."""
    return mailer_for(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_starttls,
        settings.outbox,
    )


def mail_of(letter: Letter, sender: str) -> Mail:
    """The letter rendered in its reader's language, under a Message-ID of its own."""
    rendered = renderer().render(letter.template, letter.language, letter.values)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "komitmen.invalid"
    return Mail(
        message_id=f"<account-{uuid.uuid4().hex}@{domain}>",
        sender=sender,
        to=letter.to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )


def send(settings: Settings, letters: Iterable[Letter]) -> set[str]:
    """Send the letters; the addresses that could not be sent to.

    Never raises for a mail failure: it is logged, and the caller says it to the person.
    Messages sent back to back share one SMTP session (`SmtpMailer`).
    """
    mails = [mail_of(letter, settings.mail_from) for letter in letters]
    mailer = transport(settings)
    failed: set[str] = set()
    try:
        for mail in mails:
            try:
                mailer.deliver(mail)
            except (smtplib.SMTPException, OSError) as error:
                log.warning("mail to %s could not be sent: %s", mail.to, error)
                failed.add(mail.to)
    finally:
        mailer.close()
    return failed
