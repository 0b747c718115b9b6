"""Wet and certified signatures end to end through the JSON API, refusals included.

Wet: each office uploads its stamped scan; a scan of the wrong type or too large is
refused and nothing is signed. Certified: the server sends the plan's PDF to a BSrE
service of the same contract (tests/bsre, real PAdES with a test CA); a service that
is down keeps the request waiting and it is retried until signed; a signed PDF that
does not validate is refused, and nothing is signed.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from temporalio.testing import WorkflowEnvironment

from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from tests.api.client import Api, running_api
from tests.bsre.fixture import running_bsre
from tests.schedules import reporting_cycle

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")
SIGNERS = ("kalak-5301", "bappeda-5301", "kada-5301")
NIKS = {"kalak-5301": "5301010101800001", "bappeda-5301": "5301010101800002"}
NIKS["kada-5301"] = "5301010101800003"


def png_scan() -> bytes:
    """A small PNG, as a phone photographs a stamped page."""
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(buffer, format="PNG")
    return buffer.getvalue()


async def approved(api: Api, method: str, now: datetime) -> tuple[str, str]:
    """A 53.01 commitment in a cycle signing `method`, approved: (its base path, hash)."""
    year, rules = reporting_cycle(now)
    schedule = rules.model_dump(mode="json")
    # A cycle id of its own: the dev server outlives the test, and ids are never reused.
    cycle_id = f"sign-{method}-{uuid.uuid4().hex[:8]}"
    body = {
        "cycle_id": cycle_id,
        "name": "Rakor",
        "year": year,
        "regency_codes": ["53.01"],
        "signature_method": method,
        "schedule": schedule,
    }
    started = await api.http.post("/cycles", json=body, headers=api.token("koordinator"))
    assert started.status_code == 201, started.text
    api.k.cycle_id, api.k.codes = cycle_id, ("53.01",)
    base = f"/cycles/{cycle_id}/commitments/53.01"
    saved = await api.post(
        f"{base}/save-draft", "operator-5301", {"plan": PLAN, "based_on_version": 0}
    )
    assert saved.status_code == 200, saved.text
    assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).status_code == 200
    ok = await api.post(f"{base}/approve", "reviewer", {"version": 1})
    assert ok.status_code == 200, ok.text
    return base, ok.json()["document_hash"]


async def signatures(api: Api, base: str) -> list[dict[str, Any]]:
    response = await api.get(f"{base}/signatures", "reviewer")
    assert response.status_code == 200, response.text
    return list(response.json())


async def test_wet_signatures_with_stamped_scans(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    now = await dev_server_env.get_current_time()
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        base, document = await approved(api, "wet", now)
        form = {"document_hash": document}

        # A plain click is not a wet signature.
        click = await api.post(f"{base}/sign", "kalak-5301", {"document_hash": document})
        assert click.status_code == 409 and "wet" in click.json()["detail"]

        # A text file named like a PDF is refused by its content; so is a cut-off PDF.
        fake = {"scan": ("ttd.pdf", b"this is not a scan", "application/pdf")}
        refused = await api.http.post(
            f"{base}/sign/wet", data=form, files=fake, headers=api.token("kalak-5301")
        )
        assert refused.status_code == 415, refused.text
        assert "PDF, PNG or JPEG" in refused.json()["detail"]
        cut = {"scan": ("ttd.pdf", b"%PDF-1.7\n1 0 obj\n", "application/pdf")}
        incomplete = await api.http.post(
            f"{base}/sign/wet", data=form, files=cut, headers=api.token("kalak-5301")
        )
        assert incomplete.status_code == 415 and "incomplete" in incomplete.json()["detail"]

        # Too large: more than max_scan_bytes (10 MB by default).
        huge = {"scan": ("ttd.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024), "image/png")}
        too_large = await api.http.post(
            f"{base}/sign/wet", data=form, files=huge, headers=api.token("kalak-5301")
        )
        assert too_large.status_code == 413, too_large.text
        assert await signatures(api, base) == []

        scans = {}
        for signer in SIGNERS:
            scan = png_scan() + signer.encode()  # each office its own page
            if signer == "bappeda-5301":
                scan = b"%PDF-1.4\n% scanned\n" + signer.encode() + b"\n%%EOF\n"
            scans[signer] = scan
            named = {"scan": ("scan.jpg", scan, "image/jpeg")}  # the name doesn't decide
            data = {**form, **({"acting": "plt"} if signer == "kada-5301" else {})}
            signed = await api.http.post(
                f"{base}/sign/wet", data=data, files=named, headers=api.token(signer)
            )
            assert signed.status_code == 200, signed.text
        assert signed.json()["stage"] == "follow_up"

        recorded = {s["office"]: s for s in await signatures(api, base)}
        assert {s["method"] for s in recorded.values()} == {"wet"}
        for signer, scan in scans.items():
            office = next(
                o
                for o, s in recorded.items()
                if s["evidence_sha256"] == hashlib.sha256(scan).hexdigest()
            )
            download = await api.get(f"{base}/signatures/{office}/file", signer)
            assert download.status_code == 200 and download.content == scan
        types = {s["evidence_media_type"] for s in recorded.values()}
        assert types == {"image/png", "application/pdf"}

        # Another regency's officer cannot fetch the scans.
        assert (
            await api.get(f"{base}/signatures/bpbd_head/file", "operator-5371")
        ).status_code == 403


async def until_status(
    api: Api, base: str, signer: str, document: str, status: str
) -> dict[str, Any]:
    office = {"kalak-5301": "bpbd_head", "bappeda-5301": "planning_head"}[signer]
    for _ in range(200):
        answer = await api.get(f"{base}/sign/certified/{office}", signer, document_hash=document)
        if answer.status_code == 200 and answer.json()["status"] == status:
            return dict(answer.json())
        await asyncio.sleep(0.1)
    raise AssertionError(f"{signer}'s certified signature never became {status}: {answer.text}")


async def test_certified_signatures_through_a_bsre_service(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    now = await dev_server_env.get_current_time()
    async with running_bsre(tmp_path) as bsre:
        for signer, nik in NIKS.items():
            bsre.add_user(nik, f"rahasia-{signer}")
        changes = {
            "bsre_url": bsre.url,
            "bsre_username": bsre.username,
            "bsre_password": bsre.password,
            "bsre_ca_file": bsre.ca_pem_path,
            "tte_retry_seconds": 0.2,
        }
        async with running_api(dev_server_env.client, db_url, tmp_path, **changes) as api:
            base, document = await approved(api, "certified", now)

            def body(signer: str, passphrase: str | None = None) -> dict[str, Any]:
                return {
                    "document_hash": document,
                    "nik": NIKS[signer],
                    "passphrase": passphrase or f"rahasia-{signer}",
                    **({"acting": "plt"} if signer == "kada-5301" else {}),
                }

            # A wrong passphrase: BSrE refuses the signatory, nothing is signed.
            wrong = await api.post(
                f"{base}/sign/certified", "kalak-5301", body("kalak-5301", "salah")
            )
            assert wrong.status_code == 422, wrong.text
            assert "salah" not in wrong.text

            # BSrE returns a PDF signed under a CA nobody configured: refused, not signed.
            bsre.mode = "untrusted"
            untrusted = await api.post(f"{base}/sign/certified", "kalak-5301", body("kalak-5301"))
            assert untrusted.status_code == 502, untrusted.text
            assert "does not validate" in untrusted.json()["detail"]
            bsre.mode = "partial"
            partial = await api.post(f"{base}/sign/certified", "kalak-5301", body("kalak-5301"))
            assert partial.status_code == 502, partial.text
            assert await signatures(api, base) == []

            # Signed and validated: recorded with the certified PDF's hash.
            bsre.mode = "normal"
            first = await api.post(f"{base}/sign/certified", "kalak-5301", body("kalak-5301"))
            assert first.status_code == 200, first.text
            assert first.json()["status"] == "signed"

            # BSrE down: the request waits, is retried, and signs once BSrE is back.
            bsre.mode = "down"
            waiting = await api.post(f"{base}/sign/certified", "bappeda-5301", body("bappeda-5301"))
            assert waiting.status_code == 202, waiting.text
            assert waiting.json()["status"] == "waiting" and waiting.json()["retrying"]
            assert len(await signatures(api, base)) == 1
            bsre.mode = "normal"
            done = await until_status(api, base, "bappeda-5301", document, "signed")
            assert done["attempts"] >= 2

            recorded = await signatures(api, base)
            assert [s["method"] for s in recorded] == ["certified", "certified"]
            # The second office signed the PDF the first one's signature returned.
            latest = await api.get(f"{base}/signatures/planning_head/file", "bappeda-5301")
            assert latest.headers["content-type"] == "application/pdf"
            assert hashlib.sha256(latest.content).hexdigest() == recorded[1]["evidence_sha256"]
            earlier = await api.get(f"{base}/signatures/bpbd_head/file", "kalak-5301")
            assert latest.content.startswith(earlier.content)
            reader = PdfFileReader(io.BytesIO(latest.content))
            assert len(reader.embedded_regular_signatures) == 2
