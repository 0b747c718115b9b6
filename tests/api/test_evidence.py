"""Evidence through the JSON API: attached by the regency's officer, checked by its content,
read by the people whose scope covers the regency, fixed by the report that names it, and
handed out per quarter as a ZIP whose manifest matches its files. Hostile files are
refused with a reason, nothing of them is kept, and the API keeps serving.

The SQLite run keeps evidence in a folder, the PostgreSQL run in the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
import zipfile
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import Api, running_api
from tests.evidence.samples import SERIAL, jpeg, pdf, photo_exif, png_bomb, zipped
from tests.schedules import reporting_cycle

KUPANG = "53.01"
# The sample photo's GPS: 10°10'37.92" S, 123°36'25.2" E, in Kota Kupang.
NEAR = "Kelurahan Oesapa (-10.1772, 123.6070)"
FAR_GPS = ("S", (8.0, 50.0, 0.0), "E", (121.0, 40.0, 0.0))  # Ende, about 300 km away


def plan() -> dict[str, Any]:
    """The sample plan, its first item's location naming coordinates."""
    data = sample_plan(load_catalog().get(KUPANG)).model_dump(mode="json")
    data = deepcopy(data)
    data["items"][0]["location"] = NEAR
    return data


async def following_up(api: Api, now: Any, cycle_id: str) -> str:
    """A 53.01 commitment in follow-up (signed by its three offices); its base path."""
    year, rules = reporting_cycle(now)
    # A cycle id of its own: the dev server outlives the test, and ids are never reused.
    cycle_id = f"{cycle_id}-{uuid.uuid4().hex[:8]}"
    body = {
        "cycle_id": cycle_id,
        "name": "Rakor",
        "year": year,
        "regency_codes": [KUPANG],
        "schedule": rules.model_dump(mode="json"),
    }
    started = await api.http.post("/cycles", json=body, headers=api.token("koordinator"))
    assert started.status_code == 201, started.text
    api.k.cycle_id, api.k.codes = cycle_id, (KUPANG,)
    base = f"/cycles/{cycle_id}/commitments/{KUPANG}"
    saved = await api.post(
        f"{base}/save-draft", "operator-5301", {"plan": plan(), "based_on_version": 0}
    )
    assert saved.status_code == 200, saved.text
    assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).status_code == 200
    approved = await api.post(f"{base}/approve", "reviewer", {"version": 1})
    document = {"document_hash": approved.json()["document_hash"]}
    for office in ("kalak-5301", "bappeda-5301", "kada-5301"):
        signed = await api.post(f"{base}/sign", office, document)
        assert signed.status_code == 200, signed.text
    return base


async def attach(
    api: Api, base: str, item: int, name: str, content: bytes, user: str = "operator-5301"
) -> httpx.Response:
    return await api.http.post(
        f"{base}/reports/1/items/{item}/evidence",
        files={"file": (name, content, "application/octet-stream")},
        headers=api.token(user),
    )


def kept_blobs(api: Api) -> int:
    """How many blobs the evidence store holds (folder or database)."""
    settings = api.app.state.runtime.settings
    if settings.evidence_store == "folder":
        folder = settings.evidence_folder
        return sum(1 for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0
    with transaction(session_factory(api.url)) as session:
        return int(session.scalar(select(func.count()).select_from(m.StoredFile)) or 0)


async def test_evidence_is_attached_read_in_scope_fixed_by_the_report_and_zipped(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    store = "folder" if db_url.startswith("sqlite") else "database"
    async with running_api(env.client, db_url, tmp_path, evidence_store=store) as api:
        base = await following_up(api, await env.get_current_time(), f"bukti-{store}")
        near = jpeg((1600, 1200), exif=photo_exif())
        far = jpeg((800, 600), exif=photo_exif(gps=FAR_GPS), colour=(10, 120, 30))
        scan = pdf()
        first = await attach(api, base, 1, "Foto simulasi evakuasi.jpg", near)
        assert first.status_code == 201, first.text
        second = await attach(api, base, 1, "foto-lain.jpg", far)
        third = await attach(api, base, 2, "Daftar hadir.pdf", scan)
        assert second.status_code == third.status_code == 201, (second.text, third.text)
        by_name = {e["file_name"]: e for e in [first.json(), second.json(), third.json()]}
        assert by_name["Foto simulasi evakuasi.jpg"]["distance_km"] < 1
        assert by_name["foto-lain.jpg"]["distance_km"] > 200  # flagged to the reviewer
        assert by_name["Daftar hadir.pdf"]["kind"] == "pdf"
        assert by_name["Daftar hadir.pdf"]["distance_km"] is None
        taken = datetime.fromisoformat(by_name["foto-lain.jpg"]["taken_at"])
        assert taken == datetime(2026, 3, 14, 1, 30, tzinfo=UTC)  # 09:30 WITA, as EXIF says

        # Thumbnails are made by the worker, never on the request.
        listing: list[dict[str, Any]] = []
        for _ in range(1200):
            listing = (await api.get(f"{base}/reports/1/evidence", "reviewer")).json()
            if all(e["thumbnail_ready"] for e in listing if e["kind"] == "photo"):
                break
            await asyncio.sleep(0.05)
        assert [e["thumbnail_ready"] for e in listing] == [True, True, False]
        # The same photo attached again shares the copies made: nothing to make.
        shared = await attach(api, base, 3, "foto yang sama.jpg", near)
        assert shared.status_code == 201 and shared.json()["thumbnail_ready"] is True
        photo = by_name["Foto simulasi evakuasi.jpg"]
        link = f"{base}/evidence/{photo['id']}/{photo['sha256']}"
        original = await api.get(link, "reviewer")
        assert original.content == near and original.headers["content-type"] == "image/jpeg"
        phone = await api.get(f"{link}?variant=phone", "reviewer")
        thumbnail = await api.get(f"{link}?variant=thumbnail", "operator-5301")
        assert phone.status_code == thumbnail.status_code == 200
        assert len(thumbnail.content) < len(phone.content) < len(near)
        assert SERIAL.encode() not in phone.content + thumbnail.content

        # Scope: another regency's officer and the signed out get nothing.
        assert (await api.get(link, "operator-5371")).status_code == 403
        assert (await api.get(f"{base}/reports/1/evidence", "operator-5371")).status_code == 403
        assert (await api.http.get(link)).status_code == 401
        guessed = f"{base}/evidence/{photo['id']}/{'0' * 64}"
        assert (await api.get(guessed, "reviewer")).status_code == 404
        # Only the regency's officer attaches.
        assert (await attach(api, base, 1, "x.pdf", scan, user="reviewer")).status_code == 403

        # A draft's file may be removed; the row stays, for the record.
        removed = await api.http.delete(
            f"{base}/evidence/{third.json()['id']}", headers=api.token("operator-5301")
        )
        assert removed.status_code == 204
        again = await attach(api, base, 2, "Daftar hadir (baru).pdf", scan)
        assert again.status_code == 201

        # The report takes each item's files; from then on they are fixed.
        items = [
            {"item_position": p, "status": "sesuai_jadwal", "percent_realised": "25"}
            for p in (1, 2, 3, 4)
        ]
        listed = await api.post(
            f"{base}/reports",
            "operator-5301",
            {"quarter": 1, "items": [{**items[0], "files": [photo["sha256"]]}, *items[1:]]},
        )
        assert listed.status_code == 422, listed.text  # files are attached, not listed
        reported = await api.post(
            f"{base}/reports", "operator-5301", {"quarter": 1, "items": items}
        )
        assert reported.status_code == 200, reported.text
        report = (await api.get(f"{base}/reports", "reviewer")).json()[0]
        files = {i["item_position"]: i["files"] for i in report["items"]}
        assert files[1] == [first.json()["sha256"], second.json()["sha256"]]
        assert files[2] == [again.json()["sha256"]]
        assert files[3] == [first.json()["sha256"]] and files[4] == []
        chain = (await api.get(f"/cycles/{base.split('/')[2]}/audit", "reviewer")).json()
        attached = [a for a in chain if a["stream"].endswith("#evidence")]
        assert [a["action"] for a in attached].count("attach_evidence") == 5
        assert [a["action"] for a in attached].count("remove_evidence") == 1
        assert {a["detail"]["sha256"] for a in attached} >= {first.json()["sha256"]}
        audit = (await api.get(f"{base}/audit", "reviewer")).json()
        (submitted,) = [a for a in audit if a["action"] == "submit_report"]
        assert submitted["detail"]["evidence"]["1"] == files[1]  # the audit chain covers them
        gone = await api.http.delete(
            f"{base}/evidence/{first.json()['id']}", headers=api.token("operator-5301")
        )
        assert gone.status_code == 409
        late = await attach(api, base, 3, "telat.pdf", scan)
        assert late.status_code == 409

        verified = await api.post(f"{base}/reports/verify", "reviewer", {"quarter": 1})
        assert verified.status_code == 200, verified.text
        archive = await api.get(f"{base}/reports/1/evidence.zip", "manajer")
        assert archive.status_code == 200
        with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
            manifest = json.loads(opened.read("manifest.json"))
            for entry in manifest["files"]:
                assert hashlib.sha256(opened.read(entry["path"])).hexdigest() == entry["sha256"]
            sums = opened.read("SHA256SUMS").decode()
        assert sorted(e["sha256"] for e in manifest["files"]) == sorted(
            [first.json()["sha256"], second.json()["sha256"], again.json()["sha256"]]
            + [shared.json()["sha256"]]
        )
        assert all(e["sha256"] in sums for e in manifest["files"])


async def test_hostile_files_are_refused_with_a_reason_and_nothing_is_kept(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    env = dev_server_env
    async with running_api(
        env.client, db_url, tmp_path, evidence_max_file_bytes=2 * 1024 * 1024
    ) as api:
        base = await following_up(api, await env.get_current_time(), "bukti-jahat")
        before = kept_blobs(api)
        photo = jpeg()
        hostile = {
            "renamed executable": ("laporan.pdf", b"MZ\x90\x00" + b"\x00" * 4000, 415),
            "polyglot": ("foto.jpg", photo + zipped([("a.txt", b"rahasia")]), 415),
            "decompression bomb": ("besar.png", png_bomb(20000, 20000), 415),
            "oversized": (
                "besar.pdf",
                b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024) + b"\n%%EOF\n",
                413,
            ),
            "path traversal": ("../../etc/passwd.pdf", pdf(), 422),
        }
        for what, (name, content, expected) in hostile.items():
            refused = await attach(api, base, 1, name, content)
            assert refused.status_code == expected, (what, refused.status_code, refused.text)
            assert refused.json()["detail"], what
        # A body cut off before its end (the client stopped sending) is refused too.
        boundary = "batas"
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="foto.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode() + photo[: len(photo) // 2]
        truncated = await api.http.post(
            f"{base}/reports/1/items/1/evidence",
            content=body,
            headers={
                **api.token("operator-5301"),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        assert 400 <= truncated.status_code < 500, truncated.status_code
        listing = await api.get(f"{base}/reports/1/evidence", "operator-5301")
        assert listing.json() == []
        assert kept_blobs(api) == before
        assert (await api.http.get("/health")).status_code == 200
        # Still taking a good file afterwards.
        assert (await attach(api, base, 1, "foto.jpg", photo)).status_code == 201
