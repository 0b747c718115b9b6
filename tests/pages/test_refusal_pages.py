"""Every refusal a person can meet, on the page that shows it: the error page in Bahasa
Indonesia carries no English, and the same page in English says it in English."""

from __future__ import annotations

import re
from html import unescape

import pytest
from starlette.requests import Request

from api.pages.base import Page, refusal_words
from domain.refusals import RefusalCode
from services.errors import ActionRefused, OutOfScope
from tests.domain.test_refusals import ENGLISH, SAMPLE


def page(lang: str) -> Page:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/cycles/rakor-2027/commitments/53.01/page/approve",
        "headers": [],
        "query_string": b"",
        "scheme": "http",
        "server": ("komitmen", 80),
    }
    return Page(Request(scope), "id" if lang == "id" else "en", switched=False)


def visible(html: str) -> str:
    """What a reader sees of a page: its text without tags, scripts or styles."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


@pytest.mark.parametrize("code", list(RefusalCode))
def test_each_refusal_on_an_indonesian_page_has_no_english(code: RefusalCode) -> None:
    # The workflow's refusals come back as ActionRefused, the services' own as their kind;
    # either way the page words the code, never the English detail.
    for refusal in (
        ActionRefused("english reason", code.value, dict(SAMPLE)),
        OutOfScope.coded(code, **SAMPLE),
    ):
        shown: dict[str, str] = {}
        for lang in ("id", "en"):
            at = page(lang)
            response = at.error(None, 409, "forbidden", refusal_words(at, refusal))
            shown[lang] = visible(bytes(response.body).decode())
        found = ENGLISH.findall(shown["id"])
        assert not found, f"{code}: English words {found} on the page: {shown['id']!r}"
        assert refusal.detail not in shown["id"]
        assert shown["id"] != shown["en"]
