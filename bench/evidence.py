"""Evidence uploads in a burst: 50 officers send a 5 MB photo each at once, two API processes.

Issue 15's benchmark. A real `komitmen worker` and two real `komitmen api` processes (on
ports of their own) share one PostgreSQL schema of this run's own and one Temporal dev
server. It runs twice, once per evidence store: `folder` (one temporary folder shared by
both APIs and the worker) and `database` (the stored_file table). Each run takes
commitments of ceil(N / 4) regencies into follow-up over the API (the sample plan has 4
items; at most 4 files land on an item, well under `evidence_max_files_per_item`), then
N distinct JPEGs (random pixels, so about 1.2 bytes a pixel at quality 95, with a phone's
EXIF) are sent at once, each by its regency's officer (`operator-53NN`), half to each
API process. Measured: every answer (anything but 201 is an error), each API process's
peak resident memory (VmHWM in /proc/<pid>/status) against its resident memory just
before the burst, the burst's wall time, and how long until every photo's
`thumbnail_ready` is true in the report's listing (the worker's copies).

The floor, in the same run: the same N uploads of the same bytes to a minimal FastAPI
app (two processes of `python -m bench.evidence_floor`) that reads the multipart
file in full and writes it to disk, nothing else: no sign-in, no check, no database, no
bound on how many it reads at once. Its peak memory and burst time are stated beside
Komitmen's, with their ratio.

Targets, each backend:

- no error: every upload answered 201;
- each API process's peak ≤ baseline + UPLOADS_AT_ONCE × 3 × file size + 64 MiB. At most
  UPLOADS_AT_ONCE (2) files are read and checked at a time (`services.evidence`); each
  holds the file's bytes (read in full, then hashed and kept from the same buffer) and
  its copies that come and go: the database store's query parameter, and Pillow's decode
  of a JPEG at an eighth of its size (`inspect` reads the whole stream to find a cut-off
  file, at a sixty-fourth of the pixels), so 3 × file size covers them. The other
  uploads wait spooled on disk by Starlette (a 1 MB buffer each at most before they roll
  over to a file), and 64 MiB is for those buffers, the multipart parser, the database
  and Temporal clients' buffers and the allocator's slack.
- thumbnails and phone copies of all N photos within 120 s of the burst's end, on this
  2-core machine where the worker makes them one photo after another.

    .venv/bin/python -m bench.evidence            # 50 uploads of 5 MB, both backends
    .venv/bin/python -m bench.evidence --quick    # 8 uploads of 1 MB
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from bench.api_load import tokens, wait_ready
from bench.common import (
    BenchCli,
    BenchProcess,
    bench_main,
    bench_process,
    bench_settings,
    database_option,
    memory_bytes,
    percentile,
    progress,
    verdict,
)
from db.session import engine_for, migrate, session_factory, transaction
from domain.catalog import load_catalog
from komitmen.demo import sample_plan, seed_demo_users
from komitmen.devserver import DevServer, free_port
from services.evidence import UPLOADS_AT_ONCE
from services.settings import Settings
from tests.evidence.samples import jpeg, photo_exif
from tests.schedules import reporting_cycle
from tests.stack import process_env

MIB = 2**20
API_PROCESSES = 2
ITEMS = 4  # the sample plan's items, each taking files
SLACK_MIB = 64
THUMBNAILS_LIMIT_S = 120.0
BYTES_PER_PIXEL = 1.18  # random pixels as a JPEG at quality 95
STORES = ("folder", "database")
say = progress("evidence")


def photo(target_bytes: int, seed: int) -> bytes:
    """A JPEG of random pixels of about `target_bytes`, 4:3, with a phone's EXIF."""
    pixels = target_bytes / BYTES_PER_PIXEL
    width = int((pixels * 4 / 3) ** 0.5)
    height = int(width * 3 / 4)
    noise = random.Random(seed).randbytes(width * height * 3)
    picture = Image.frombytes("RGB", (width, height), noise)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=95, exif=photo_exif())
    return out.getvalue()


@dataclass(frozen=True)
class Upload:
    """One officer's file: which regency's commitment, which item, which API process."""

    index: int
    code: str
    item: int
    content: bytes

    @property
    def sha256(self) -> str:
        """The file's SHA-256, as the listing names it."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Burst:
    """What one burst of uploads did: answers, each process's memory, and its time."""

    answers: Counter[str]
    errors: list[str]
    baselines: list[int]
    peaks: list[int]
    began: float
    ended: float
    latencies: list[float]

    def figures(self) -> dict[str, Any]:
        """The burst in MB and seconds."""
        return {
            "answers": dict(sorted(self.answers.items())),
            "errors": len(self.errors),
            "baseline_mb": [round(b / MIB, 1) for b in self.baselines],
            "peak_mb": [round(p / MIB, 1) for p in self.peaks],
            "growth_mb": [
                round((p - b) / MIB, 1) for p, b in zip(self.peaks, self.baselines, strict=True)
            ],
            "burst_seconds": round(self.ended - self.began, 2),
            "upload_p50_s": round(percentile(self.latencies, 50), 2) if self.latencies else None,
            "upload_max_s": round(max(self.latencies), 2) if self.latencies else None,
        }


async def fire(
    urls: Sequence[str],
    pids: Sequence[int],
    uploads: Sequence[Upload],
    path: Any,
    headers: Any,
) -> Burst:
    """Send every upload at once, upload n to process n mod 2; read memory before and after.

    `path(upload)` and `headers(upload)` say where each goes and as whom.
    """
    baselines = [memory_bytes(pid, "VmRSS") for pid in pids]
    answers: Counter[str] = Counter()
    errors: list[str] = []
    latencies: list[float] = []
    timeout = httpx.Timeout(600)
    limits = httpx.Limits(max_connections=len(uploads), max_keepalive_connections=len(uploads))
    clients = [httpx.AsyncClient(base_url=u, timeout=timeout, limits=limits) for u in urls]

    async def one(upload: Upload) -> None:
        client = clients[upload.index % len(clients)]
        files = {"file": (f"foto-{upload.index:02d}.jpg", upload.content, "image/jpeg")}
        started = time.monotonic()
        try:
            answer = await client.post(path(upload), files=files, headers=headers(upload))
        except httpx.HTTPError as error:
            answers["transport"] += 1
            errors.append(f"upload {upload.index}: {error!r}")
            return
        latencies.append(time.monotonic() - started)
        answers[str(answer.status_code)] += 1
        if answer.status_code != 201:
            errors.append(f"upload {upload.index}: {answer.status_code} {answer.text[:300]}")

    try:
        began = time.monotonic()
        await asyncio.gather(*(one(u) for u in uploads))
        ended = time.monotonic()
    finally:
        for client in clients:
            await client.aclose()
    peaks = [memory_bytes(pid, "VmHWM") for pid in pids]
    return Burst(answers, errors, baselines, peaks, began, ended, latencies)


async def answering(url: str, process: Any, limit: float = 60) -> None:
    """Wait until the floor app at `url` answers."""
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while True:
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if process.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the floor app never answered:\n{process.tail()}")
            await asyncio.sleep(0.2)


async def floor(folder: Path, uploads: Sequence[Upload]) -> Burst:
    """The same uploads through two processes of the floor app."""
    ports = [free_port() for _ in range(API_PROCESSES)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    with ExitStack() as stack:
        apps = [
            stack.enter_context(
                bench_process(
                    ["-m", "bench.evidence_floor", str(port), str(folder / "floor-files")],
                    process_env(Settings()),
                    folder / f"floor-{port}.log",
                )
            )
            for port in ports
        ]
        for url, app in zip(urls, apps, strict=True):
            await answering(url, app)
            async with httpx.AsyncClient(base_url=url, timeout=60) as warm:
                files = {"file": ("warm.jpg", jpeg((64, 48), exif=photo_exif()), "image/jpeg")}
                assert (await warm.post("/upload", files=files)).status_code == 201
        await asyncio.sleep(0.5)
        return await fire(urls, [a.pid for a in apps], uploads, lambda u: "/upload", lambda u: {})


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


async def following_up(
    http: httpx.AsyncClient, db_url: str, cycle_id: str, codes: Sequence[str]
) -> None:
    """Start a cycle of `codes` and take each one's commitment into follow-up over the API."""
    year, rules = reporting_cycle(datetime.now(UTC))
    body = {
        "cycle_id": cycle_id,
        "name": "Rakor (bukti dukung)",
        "year": year,
        "regency_codes": list(codes),
        "schedule": rules.model_dump(mode="json"),
    }
    coordinator, reviewer = tokens(db_url, "koordinator", 1)[0], tokens(db_url, "reviewer", 1)[0]
    started = await http.post("/cycles", json=body, headers=bearer(coordinator))
    assert started.status_code == 201, started.text

    async def one(code: str) -> None:
        digits = code.replace(".", "")
        officer = tokens(db_url, f"operator-{digits}", 1)[0]
        base = f"/cycles/{cycle_id}/commitments/{code}"
        plan = sample_plan(load_catalog().get(code)).model_dump(mode="json")
        steps: list[tuple[str, str, dict[str, Any]]] = [
            ("save-draft", officer, {"plan": plan, "based_on_version": 0}),
            ("submit", officer, {"version": 1}),
            ("approve", reviewer, {"version": 1}),
        ]
        for step, token, payload in steps:
            done = await http.post(f"{base}/{step}", json=payload, headers=bearer(token))
            assert done.status_code == 200, f"{code} {step}: {done.text}"
        document = {"document_hash": done.json()["document_hash"]}
        for office in ("kalak", "bappeda", "kada"):
            signer = tokens(db_url, f"{office}-{digits}", 1)[0]
            signed = await http.post(f"{base}/sign", json=document, headers=bearer(signer))
            assert signed.status_code == 200, f"{code} sign {office}: {signed.text}"

    await asyncio.gather(*(one(code) for code in codes))


async def thumbnails_ready(
    urls: Sequence[str],
    reviewer: str,
    cycle_id: str,
    uploads: Sequence[Upload],
    limit: float,
) -> float | None:
    """Poll the listings until every upload's thumbnail is ready: when (monotonic), or None."""
    wanted = {u.sha256 for u in uploads}
    codes = sorted({u.code for u in uploads})
    deadline = time.monotonic() + limit
    async with httpx.AsyncClient(timeout=60) as http:
        turn = 0
        while time.monotonic() < deadline:
            ready: set[str] = set()
            for code in codes:
                url = urls[turn % len(urls)]
                turn += 1
                listing = await http.get(
                    f"{url}/cycles/{cycle_id}/commitments/{code}/reports/1/evidence",
                    headers=bearer(reviewer),
                )
                listing.raise_for_status()
                ready |= {e["sha256"] for e in listing.json() if e["thumbnail_ready"]}
            if wanted <= ready:
                return time.monotonic()
            await asyncio.sleep(0.5)
    return None


@contextmanager
def komitmen_processes(
    settings: Settings, folder: Path
) -> Iterator[list[tuple[str, BenchProcess]]]:
    """A worker and two `komitmen api` processes on `settings`, the worker polling: each
    API's URL and process."""
    ports = [free_port() for _ in range(API_PROCESSES)]
    with ExitStack() as stack:
        worker = stack.enter_context(
            bench_process(
                ["-m", "komitmen", "worker"], process_env(settings), folder / "worker.log"
            )
        )
        apis = [
            stack.enter_context(
                bench_process(
                    ["-m", "komitmen", "api"],
                    process_env(settings.model_copy(update={"api_port": port})),
                    folder / f"api-{port}.log",
                )
            )
            for port in ports
        ]
        worker.wait_for("worker running")
        yield [(f"http://{settings.api_host}:{p}", a) for p, a in zip(ports, apis, strict=True)]


async def run_store(
    args: argparse.Namespace, settings: Settings, folder: Path, store: str
) -> dict[str, Any]:
    """One backend: commitments in follow-up, the burst, the thumbnails, then the floor."""
    folder.mkdir()
    update: dict[str, Any] = {"data_dir": folder, "evidence_store": store}
    if store == "folder":
        update["evidence_dir"] = folder / "evidence"
    settings = settings.model_copy(update=update)
    codes = load_catalog().codes()[: -(-args.uploads // ITEMS)]
    size = args.megabytes * 1_000_000
    say(f"[{store}] making {args.uploads} photos of about {args.megabytes} MB ...")
    # Distinct bytes per backend: a photo attached before would share its copies.
    seed = 1000 * STORES.index(store)
    uploads = [
        Upload(n, codes[n // ITEMS], n % ITEMS + 1, photo(size, seed + n))
        for n in range(args.uploads)
    ]
    file_mb = round(sum(len(u.content) for u in uploads) / len(uploads) / MIB, 2)
    cycle_id = f"bukti-{store}-{uuid.uuid4().hex[:8]}"
    with komitmen_processes(settings, folder) as apis:
        urls, pids = [url for url, _ in apis], [api.pid for _, api in apis]
        for url, api in apis:
            await wait_ready(url, api)
        say(f"[{store}] taking {len(codes)} commitments into follow-up ...")
        async with httpx.AsyncClient(base_url=urls[0], timeout=300) as http:
            await following_up(http, settings.db_url, cycle_id, codes)
        officers = {
            code: tokens(settings.db_url, f"operator-{code.replace('.', '')}", 1)[0]
            for code in codes
        }
        reviewer = tokens(settings.db_url, "reviewer", 1)[0]

        def path(upload: Upload) -> str:
            return (
                f"/cycles/{cycle_id}/commitments/{upload.code}/reports/1/items/{upload.item}"
                "/evidence"
            )

        # Warm each API up with a small photo of its own (Pillow, the store, the pools).
        for n, url in enumerate(urls):
            warm = Upload(-1, codes[0], ITEMS, jpeg((64, 48), colour=(n, 90, 40)))
            async with httpx.AsyncClient(base_url=url, timeout=120) as http:
                answer = await http.post(
                    path(warm),
                    files={"file": ("warm.jpg", warm.content, "image/jpeg")},
                    headers=bearer(officers[warm.code]),
                )
                assert answer.status_code == 201, answer.text
        await asyncio.sleep(1)
        say(f"[{store}] {args.uploads} uploads of {file_mb} MiB at once ...")
        burst = await fire(urls, pids, uploads, path, lambda u: bearer(officers[u.code]))
        for error in burst.errors[:10]:
            say(f"[{store}] error: {error}")
        ready = await thumbnails_ready(urls, reviewer, cycle_id, uploads, limit=600)
    say(f"[{store}] the floor: the same uploads to a bare app ...")
    bare = await floor(folder, uploads)
    figures = burst.figures()
    bound = [
        b + UPLOADS_AT_ONCE * 3 * round(file_mb * MIB) + SLACK_MIB * MIB for b in burst.baselines
    ]
    figures["bound_mb"] = [round(b / MIB, 1) for b in bound]
    figures["file_mib"] = file_mb
    figures["thumbnails_from_start_s"] = round(ready - burst.began, 1) if ready else None
    figures["thumbnails_after_burst_s"] = round(ready - burst.ended, 1) if ready else None
    figures["floor"] = bare.figures()
    figures["growth_ratio"] = round(
        max(figures["growth_mb"]) / max(max(bare.figures()["growth_mb"]), 0.1), 2
    )
    figures["time_ratio"] = round(
        (burst.ended - burst.began) / max(bare.ended - bare.began, 0.01), 2
    )
    figures["error_samples"] = burst.errors[:20]
    bounded = all(p <= b for p, b in zip(burst.peaks, bound, strict=True))
    quick_enough = ready is not None and ready - burst.ended <= THUMBNAILS_LIMIT_S
    figures["pass"] = not burst.errors and bounded and quick_enough
    say(f"[{store}] {line(figures)}")
    return figures


def line(f: dict[str, Any]) -> str:
    """A backend's figures in one line."""
    peaks = "/".join(f"{p:g}" for p in f["peak_mb"])
    bases = "/".join(f"{b:g}" for b in f["baseline_mb"])
    bounds = "/".join(f"{b:g}" for b in f["bound_mb"])
    floor_peaks = "/".join(f"{p:g}" for p in f["floor"]["peak_mb"])
    floor_bases = "/".join(f"{b:g}" for b in f["floor"]["baseline_mb"])
    return (
        f"{f['errors']} errors; peak {peaks} MB from {bases} MB (bound {bounds} MB; floor "
        f"{floor_peaks} from {floor_bases} MB, growth ×{f['growth_ratio']:g} of the floor's); "
        f"burst {f['burst_seconds']:g} s (floor {f['floor']['burst_seconds']:g} s, "
        f"×{f['time_ratio']:g}); thumbnails {f['thumbnails_after_burst_s']} s after it"
    )


async def measure(args: argparse.Namespace, folder: Path, db_url: str) -> dict[str, Any]:
    """One dev server; a worker and two APIs per backend, each backend's burst and floor."""
    settings = bench_settings(folder, db_url)
    migrate(settings.db_url)
    with transaction(session_factory(settings.db_url)) as session:
        seed_demo_users(session, load_catalog())
    runs: dict[str, Any] = {}
    async with DevServer(settings):
        for store in STORES:
            runs[store] = await run_store(args, settings, folder / store, store)
    engine_for(settings.db_url).dispose()
    target = (
        f"0 errors; each API's peak ≤ baseline + {UPLOADS_AT_ONCE} × 3 × file + {SLACK_MIB} "
        f"MiB; thumbnails ≤ {THUMBNAILS_LIMIT_S:g} s after the burst"
    )
    return {
        "sizes": {
            "uploads": args.uploads,
            "megabytes": args.megabytes,
            "api_processes": API_PROCESSES,
            "uploads_at_once": UPLOADS_AT_ONCE,
            "regencies": -(-args.uploads // ITEMS),
            "database": args.database,
        },
        "figures": {store: line(runs[store]) for store in STORES},
        "targets": {store: {"target": target, "pass": runs[store]["pass"]} for store in STORES},
        "runs": runs,
    }


def summary(figures: dict[str, Any], sizes: dict[str, Any], targets: dict[str, Any]) -> str:
    """One line per backend."""
    head = f"{sizes['uploads']} uploads of {sizes['megabytes']} MB through two API processes"
    backends = "; ".join(
        f"{store}: {figures[store]}: {verdict(targets[store])}" for store in STORES
    )
    return f"{head}. {backends}"


CLI = BenchCli(
    quick="8 uploads of 1 MB, to smoke-test",
    options={
        "--uploads": {"type": int, "help": "uploads sent at once (default 50)"},
        "--megabytes": {"type": int, "help": "each photo's size in MB (default 5)"},
        "--database": database_option("postgres"),
    },
    database="database",
    sizes={"uploads": (8, 50), "megabytes": (1, 5)},
    show_figures=True,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its summary line and write bench/results/evidence.json."""
    return bench_main("evidence", __doc__, argv, measure, summary, CLI)


if __name__ == "__main__":
    raise SystemExit(main())
