"""Mail the services send themselves, at once, outside any workflow: set-password links.

The workflows' mail goes through activities (`activities/mail.py`), retried by Temporal;
a set-password link is asked for by a person waiting at a page, so it is sent here, in
the request, by SMTP with the app's settings (KOMITMEN_SMTP_*), or written to the outbox
folder as an .eml file when no SMTP host is set. A failure is reported to the caller,
which tells the person (the coordinator can send the link again).

The templates are `templates/email/<name>.subject.txt|.txt|.html`, in the recipient's
language, their words `pgettext` messages in the same catalogs as every other mail's,
rendered with the options `activities.rendering.MailRenderer` uses (services may not
import activities; moving that renderer below both layers would leave one copy).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.display import Language, format_date, format_deadline, normalize_language
from domain.words import translations
from services.settings import Settings

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class Letter:
    """One message to one person: the template, their address and language, its values."""

    template: str
    to: str
    language: str
    values: Mapping[str, object]


@cache
def _environment(language: Language) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations(language), newstyle=True
    )
    environment.filters["date"] = lambda value: format_date(value, language)
    environment.filters["deadline"] = lambda value: format_deadline(value, language)
    return environment


def render(letter: Letter, sender: str) -> EmailMessage:
    """The letter as a UTF-8 multipart/alternative message (text, then HTML)."""
    lang = normalize_language(letter.language)
    environment = _environment(lang)
    values = dict(letter.values)
    subject = " ".join(
        environment.get_template(f"email/{letter.template}.subject.txt").render(values).split()
    )
    text = environment.get_template(f"email/{letter.template}.txt").render(values)
    html = environment.get_template(f"email/{letter.template}.html").render(
        {**values, "mail_subject": subject, "mail_language": lang}
    )
    message = EmailMessage()
    domain = parseaddr(sender)[1].rpartition("@")[2] or "komitmen.invalid"
    message["Message-ID"] = f"<account-{uuid.uuid4().hex}@{domain}>"
    message["Date"] = formatdate(localtime=True)
    message["From"] = sender
    message["To"] = letter.to
    message["Subject"] = subject
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text.strip() + "\n", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def send(settings: Settings, letters: Iterable[Letter]) -> set[str]:
    """Send the letters (one SMTP session for all); the addresses that could not be sent to.

    Never raises for a mail failure: it is logged, and the caller says it to the person.
    """
    messages = [(letter.to, render(letter, settings.mail_from)) for letter in letters]
    if not messages:
        return set()
    if not settings.smtp_host:
        folder = settings.outbox
        folder.mkdir(parents=True, exist_ok=True)
        for _, message in messages:
            name = str(message["Message-ID"]).strip("<>").replace("@", "_")
            (folder / f"{name}.eml").write_bytes(message.as_bytes())
        return set()
    failed: set[str] = set()
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            for to, message in messages:
                try:
                    smtp.send_message(
                        message,
                        from_addr=parseaddr(settings.mail_from)[1],
                        to_addrs=[parseaddr(to)[1]],
                    )
                except smtplib.SMTPRecipientsRefused:
                    log.warning("mail to %s refused by the SMTP server", to)
                    failed.add(to)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("mail could not be sent: %s", error)
        return {to for to, _ in messages}
    return failed
