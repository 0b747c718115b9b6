"""Light stays light: pages and JSON over gzip, stylesheets cached under a versioned URL."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx

from api.app import create_app
from api.pages.base import STYLESHEET_VERSIONS
from services.settings import Settings
from tests.databases import sqlite_database


async def test_pages_come_gzipped_and_stylesheets_are_cached_by_version(tmp_path: Path) -> None:
    with sqlite_database(tmp_path) as url:
        app = create_app(Settings(db_url=url))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://komitmen") as http:
            login = await http.get("/login", headers={"Accept-Encoding": "gzip"})
            assert login.headers["content-encoding"] == "gzip"
            # httpx inflated it; the page on the wire was smaller than the page.
            assert len(gzip.compress(login.content)) < len(login.content) * 0.7

            href = re.search(r'<link rel="stylesheet" href="([^"]+)"', login.text)
            assert href is not None
            version = STYLESHEET_VERSIONS["komitmen.css"]
            assert href.group(1) == f"/static/komitmen.css?v={version}"
            current = await http.get(href.group(1))
            assert current.status_code == 200
            assert current.headers["cache-control"] == "public, max-age=31536000, immutable"
            stale = await http.get("/static/komitmen.css?v=0000")
            assert stale.headers["cache-control"] == "no-cache"
            bare = await http.get("/static/document.css")
            assert bare.headers["cache-control"] == "no-cache"
