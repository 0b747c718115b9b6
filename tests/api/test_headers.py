"""Security headers on the JSON API, the pages, the documents and the exports.

A strict Content-Security-Policy, nosniff and a same-origin referrer everywhere
(the API documentation pages with a relaxed policy of their own); HSTS only on a
request that came over HTTPS; `Cache-Control: no-store` on whatever answers a
signed-in request, by bearer token or by page session.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from api.headers import DOCS_POLICY, POLICY
from domain.calendar import WITA
from tests.api.client import running_api
from tests.pages.test_pages import PLAN, sign_in

STRICT = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def assert_secure(response: httpx.Response, *, signed_in: bool, https: bool = False) -> None:
    """The headers every response carries, and those that depend on the request."""
    where = f"{response.request.method} {response.request.url}"
    assert response.headers["content-security-policy"] == STRICT, where
    assert response.headers["x-content-type-options"] == "nosniff", where
    assert response.headers["referrer-policy"] == "same-origin", where
    assert ("strict-transport-security" in response.headers) is https, where
    if https:
        assert response.headers["strict-transport-security"].startswith("max-age="), where
    if signed_in:
        assert response.headers["cache-control"] == "no-store", where
    else:
        assert response.headers.get("cache-control") != "no-store", where


async def test_every_kind_of_response_carries_the_security_headers(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    assert POLICY == STRICT
    year = (await dev_server_env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year)
        base = f"/cycles/{cycle}/commitments/53.01"
        saved = await api.post(
            f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
        )
        assert saved.status_code == 200, saved.text
        assert_secure(saved, signed_in=True)

        # The JSON API and the exports, with a bearer token.
        for path in (
            f"/cycles/{cycle}",
            base,
            "/overdue",
            "/auth/me",
            f"/cycles/{cycle}/exports/action-plans.xlsx",
            f"/cycles/{cycle}/exports/quarterly-rekap.csv",
        ):
            response = await api.get(path, "manajer")
            assert response.status_code == 200, (path, response.text)
            assert_secure(response, signed_in=True)
        refused = await api.get("/cycles/nothing-here", "manajer")
        assert refused.status_code == 404
        assert_secure(refused, signed_in=True)

        # Nobody signed in: the same headers, and caching is the browser's business.
        api.http.cookies.clear()
        for path in ("/health", "/static/komitmen.css", "/static/document.css", "/openapi.json"):
            response = await api.http.get(path)
            assert response.status_code == 200, path
            assert_secure(response, signed_in=False)
        unauthenticated = await api.http.get(f"/cycles/{cycle}")
        assert unauthenticated.status_code == 401
        assert_secure(unauthenticated, signed_in=False)
        # The sign-in form sets a cookie of its own: not stored either.
        login = await api.http.get("/login")
        assert login.status_code == 200 and "set-cookie" in login.headers
        assert_secure(login, signed_in=True)

        # The pages and the documents, with a page session.
        signed = await sign_in(api, "manajer")
        assert_secure(signed, signed_in=True)
        for path in (
            f"/cycles/{cycle}/board",
            f"{base}/page",
            f"/cycles/{cycle}/manager",
            f"/cycles/{cycle}/document",
        ):
            response = await api.http.get(path)
            assert response.status_code == 200, path
            assert "<style" not in response.text and "style=" not in response.text, path
            assert_secure(response, signed_in=True)
        missing_document = await api.http.get(f"{base}/document")
        assert missing_document.status_code == 404
        assert_secure(missing_document, signed_in=True)

        # The API documentation loads Swagger UI and ReDoc from their CDN: its own policy.
        for path in ("/docs", "/redoc"):
            docs = await api.http.get(path)
            assert docs.status_code == 200
            assert docs.headers["content-security-policy"] == DOCS_POLICY
            assert "https://cdn.jsdelivr.net" in DOCS_POLICY
            assert "frame-ancestors 'none'" in DOCS_POLICY
            assert docs.headers["x-content-type-options"] == "nosniff"

        # HSTS only when the request came over HTTPS.
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://komitmen") as https:
            assert_secure(await https.get("/health"), signed_in=False, https=True)
            me = await https.get("/auth/me", headers=api.token("manajer"))
            assert me.status_code == 200
            assert_secure(me, signed_in=True, https=True)
