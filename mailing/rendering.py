"""Render email messages from the Jinja2 templates in `templates/email/`.

Each message `<name>` has three templates: `<name>.subject.txt`, `<name>.txt` and
`<name>.html`; the HTML ones extend `base.html`, and `_phrases.jinja` holds the phrases
several of them print. Only the HTML ones are autoescaped; the plain-text ones must show
user text exactly as typed.

One set of templates serves every language: their words are gettext messages with a
context (`{{ pgettext("mail.greeting", "Dear %(name)s,", name=recipient_name) }}`, or
`npgettext` where a count decides the wording), English in the templates and translated
in the same catalogs as the rest of the application's words (`domain.words`, which
extracts them from the templates too). Whole sentences are one message each, with
`%(name)s` placeholders where a value goes, so a translator can order the words freely.
Jinja's newstyle gettext fills the placeholders, escaping the values in HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.display import (
    LANGUAGES,
    Language,
    format_date,
    format_deadline,
    format_number,
    format_rupiah,
    normalize_language,
)
from domain.words import translations

DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class RenderedMail:
    """The subject line and the two bodies of one rendered message."""

    subject: str
    text: str
    html: str


class MailRenderer:
    """Render email templates in Bahasa Indonesia (default) or English."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        """Load templates from `templates_dir`, by default the repository's `templates/`."""
        self.templates_dir = templates_dir or DEFAULT_TEMPLATES_DIR
        # One environment per language, because the formatting filters are bound to it.
        self._environments = {lang: self._environment(lang) for lang in LANGUAGES}

    def _environment(self, language: Language) -> Environment:
        environment = Environment(
            loader=FileSystemLoader(self.templates_dir),
            autoescape=select_autoescape(["html"]),
            # A missing context key is a caller bug; fail instead of sending a blank.
            undefined=StrictUndefined,
            # The same extension and options as `domain.words` extracts the words with.
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # The i18n extension adds this method to the environment; mypy cannot see it.
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            translations(language), newstyle=True
        )
        environment.filters["date"] = partial(format_date, language=language)
        environment.filters["deadline"] = partial(format_deadline, language=language)
        environment.filters["number"] = partial(format_number, language=language)
        environment.filters["rupiah"] = format_rupiah
        return environment

    def render(self, name: str, language: str, context: Mapping[str, object]) -> RenderedMail:
        """Render message `name` in `language` (unknown languages fall back to "id")."""
        lang = normalize_language(language)
        environment = self._environments[lang]
        values = dict(context)
        raw_subject = environment.get_template(f"email/{name}.subject.txt").render(values)
        # A header must be one line; templates may wrap long subjects for readability.
        subject = " ".join(raw_subject.split())
        text = environment.get_template(f"email/{name}.txt").render(values)
        html_values = {**values, "mail_subject": subject, "mail_language": lang}
        html = environment.get_template(f"email/{name}.html").render(html_values)
        return RenderedMail(subject=subject, text=text.strip() + "\n", html=html)
