"""The people desk over HTTP (no Temporal needed): adding, importing, resetting and
deactivating people, the forgotten-password flow by real SMTP, and the account history."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from api.app import create_app
from api.pages.base import LOGIN_COOKIE, SESSION_COOKIE
from api.security import csrf_token
from db import models as m
from db import people
from db.session import session_factory, transaction
from domain.catalog import load_catalog
from komitmen.demo import seed_demo_users
from services.settings import Settings
from tests.smtp import SmtpSink

GOOD_NIP = "19800101 200501 1 001"


@dataclass
class Desk:
    """The app on a seeded database, an httpx client, and the clock the app reads."""

    http: httpx.AsyncClient
    url: str
    app: FastAPI
    now: datetime

    def token(self, username: str) -> str:
        """A page session for a demo user, issued straight in the database."""
        with transaction(session_factory(self.url)) as session:
            user = people.get_user(session, username=username)
            assert user is not None
            return people.create_token(session, user_id=user.id, name="web", now=datetime.now(UTC))

    def sign_in(self, username: str) -> str:
        """Carry a session of the user in the client's cookie; its CSRF token."""
        token = self.token(username)
        self.http.cookies.set(SESSION_COOKIE, token)
        return csrf_token(token)

    def set_clock(self, moment: datetime) -> None:
        """What "now" is for the app's links and checks."""
        self.now = moment
        self.app.state.runtime.clock = lambda: moment

    def events(self, subject: str | None = None) -> list[tuple[str, str, str]]:
        """(actor, action, subject) of every account event, oldest first."""
        with transaction(session_factory(self.url)) as session:
            query = select(m.AccountEvent).order_by(m.AccountEvent.id)
            if subject is not None:
                query = query.where(m.AccountEvent.subject == subject)
            return [(e.actor, e.action, e.subject) for e in session.scalars(query)]

    def account(self, username: str) -> m.UserAccount | None:
        """The account, active or not."""
        with transaction(session_factory(self.url)) as session:
            found = people.get_account(session, username=username)
            if found is not None:
                session.expunge(found)
            return found


@asynccontextmanager
async def desk(db_url: str, tmp_path: Path, **changes: Any) -> AsyncIterator[Desk]:
    """The app on a database holding the demo directory."""
    with transaction(session_factory(db_url)) as session:
        seed_demo_users(session, load_catalog())
    settings = Settings(database_url=db_url, outbox_dir=tmp_path / "outbox").model_copy(
        update=changes
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://komitmen") as http:
        d = Desk(http=http, url=db_url, app=app, now=datetime.now(UTC))
        d.set_clock(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
        yield d


def person(**changes: str) -> dict[str, str]:
    """A well-formed new person's form fields."""
    fields = {
        "full_name": "Maria Goreti Lake",
        "username": "maria.lake",
        "nip": GOOD_NIP,
        "pangkat": "Pembina Tk. I (IV/b)",
        "jabatan": "Kepala Bidang Kedaruratan",
        "role": "regency_officer",
        "office": "",
        "regency": "53.01",
        "email": "maria.lake@example.org",
        "language": "id",
    }
    return {**fields, **changes}


def link_in(message_text: str) -> str:
    """The set-password link's path in a mail."""
    found = re.search(r"http://[^\s/]+(/password/reset/[A-Za-z0-9_-]+)", message_text)
    assert found is not None, message_text
    return found.group(1)


def body_of(message: object) -> str:
    """A parsed message's plain-text body."""
    part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(part.get_content())


async def test_a_coordinator_adds_a_person_who_sets_their_password_by_the_mailed_link(
    db_url: str, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    async with desk(db_url, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp_sink.port) as d:
        csrf = d.sign_in("koordinator")
        listed = await d.http.get("/people", params={"q": "kupang"})
        assert listed.status_code == 200 and "operator-5301" in listed.text
        by_nip = await d.http.get("/people", params={"q": "operator-53"})
        assert "operator-5371" in by_nip.text

        # A bad NIP: the form again, the error next to the field, in Bahasa Indonesia.
        bad = await d.http.post(
            "/people/new", data={**person(nip="19800230 200501 1 001"), "csrf": csrf}
        )
        assert bad.status_code == 422
        assert 'href="#nip"' in bad.text
        field = bad.text[bad.text.index('id="nip"') :]
        assert "tanggal ini tidak ada" in field[: field.index("</span>")]
        assert 'value="Maria Goreti Lake"' in bad.text
        # A province role with a regency, a signatory without an office.
        wrong = await d.http.post(
            "/people/new", data={**person(role="signatory", regency=""), "csrf": csrf}
        )
        assert wrong.status_code == 422
        assert "pilih kantornya" in wrong.text and "bertugas untuk satu kabupaten" in wrong.text
        taken = await d.http.post(
            "/people/new", data={**person(username="operator-5301"), "csrf": csrf}
        )
        assert taken.status_code == 422 and "sudah dipakai" in taken.text
        assert (await d.http.post("/people/new", data=person())).status_code == 403  # no CSRF

        added = await d.http.post("/people/new", data={**person(), "csrf": csrf})
        assert added.status_code == 303, added.text
        assert added.headers["location"] == "/people/maria.lake?done=added"
        shown = await d.http.get(added.headers["location"])
        assert "19800101 200501 1 001" in shown.text and "Pembina Tk. I (IV/b)" in shown.text
        assert "Ditambahkan" in shown.text
        account = d.account("maria.lake")
        assert account is not None and account.nip == "198001012005011001"
        assert account.jabatan == "Kepala Bidang Kedaruratan" and account.password_hash is None

        [invite] = smtp_sink.messages
        assert invite["To"] == "maria.lake@example.org"
        assert invite["Subject"] == "Akun Komitmen Anda: buat kata sandi"
        text = body_of(invite)
        assert "Yth. Maria Goreti Lake," in text and "Mohon tidak membalas surel ini" in text
        # The invitation lives 72 hours: its deadline is printed in WITA.
        assert "Jumat, 13 Maret 2026 pukul 10.00 WITA" in text
        link = link_in(text)

        d.http.cookies.clear()
        form = await d.http.get(link)
        assert form.status_code == 200 and "maria.lake" in form.text
        short = await d.http.post(link, data={"password": "pendek", "again": "pendek"})
        assert short.status_code == 422 and "paling sedikit 10 karakter" in short.text
        differ = await d.http.post(link, data={"password": "a" * 12, "again": "b" * 12})
        assert differ.status_code == 422 and "tidak sama" in differ.text
        saved = await d.http.post(
            link, data={"password": "kata-sandi-maria", "again": "kata-sandi-maria"}
        )
        assert saved.status_code == 200 and "sudah dibuat" in saved.text
        assert (await d.http.get(link)).status_code == 404  # once only
        login = await d.http.get("/login")
        nonce = re.search(r'name="login_nonce" value="([^"]+)"', login.text)
        assert nonce is not None and "Lupa kata sandi?" in login.text
        signed = await d.http.post(
            "/login",
            data={
                "username": "maria.lake",
                "password": "kata-sandi-maria",
                "login_nonce": nonce.group(1),
            },
        )
        assert signed.status_code == 303, signed.text
        assert d.events("maria.lake") == [
            ("koordinator", "added", "maria.lake"),
            ("maria.lake", "password_set", "maria.lake"),
        ]


async def test_forgotten_password_by_real_smtp_once_and_before_expiry_only(
    db_url: str, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    async with desk(db_url, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp_sink.port) as d:
        old_session = d.token("operator-5301")

        async def ask(identifier: str) -> httpx.Response:
            d.http.cookies.clear()
            form = await d.http.get("/password/forgot")
            nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text)
            assert nonce is not None
            d.http.cookies.set(LOGIN_COOKIE, nonce.group(1))
            return await d.http.post(
                "/password/forgot", data={"identifier": identifier, "login_nonce": nonce.group(1)}
            )

        unknown = await ask("tidak-ada@example.org")
        known = await ask("OPERATOR-5301@example.org")  # email, in another case
        assert unknown.status_code == known.status_code == 200
        neutral = "Bila ada akun dengan nama pengguna atau surel ini"
        assert neutral in unknown.text and neutral in known.text
        [mail] = smtp_sink.messages  # nothing for the unknown one
        assert mail["To"] == "operator-5301@example.org"
        assert mail["Subject"] == "Komitmen: buat kata sandi baru"
        link = link_in(body_of(mail))
        # Asked for at 10.00 WITA, it works for 30 minutes.
        assert "10.30 WITA" in body_of(mail)
        assert (await d.http.get(link)).status_code == 200

        d.set_clock(d.now + timedelta(minutes=25))
        d.http.cookies.clear()
        new = {"password": "kata-sandi-baru-1", "again": "kata-sandi-baru-1"}
        assert (await d.http.post(link, data=new)).status_code == 200
        # The old session died at once; the link works no second time.
        d.http.cookies.set(SESSION_COOKIE, old_session)
        gone = await d.http.get("/")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
        d.http.cookies.clear()
        again = await d.http.post(link, data=new)
        assert again.status_code == 404 and "sudah tidak berlaku" in again.text

        # A second link, past its 30 minutes: refused.
        await ask("operator-5301")
        late_link = link_in(body_of(smtp_sink.messages[-1]))
        d.set_clock(d.now + timedelta(minutes=31))
        assert (await d.http.get(late_link)).status_code == 404
        assert (await d.http.post(late_link, data=new)).status_code == 404

        # A fourth request for the same name within 15 minutes is throttled.
        for _ in range(3):
            assert (await ask("operator-5301")).status_code == 200
        throttled = await ask("operator-5301")
        assert throttled.status_code == 429 and "Terlalu banyak permintaan" in throttled.text
        assert len(smtp_sink.messages) == 5
        assert [a for _, a, _ in d.events("operator-5301")] == [
            "reset_requested",
            "password_set",
            *["reset_requested"] * 4,
        ]
        assert d.events("tidak-ada@example.org") == []


async def test_a_reset_and_a_deactivation_end_every_session_at_once(
    db_url: str, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    async with desk(db_url, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp_sink.port) as d:
        victim = d.token("operator-5371")
        csrf = d.sign_in("koordinator")
        reset = await d.http.post("/people/operator-5371/reset-password", data={"csrf": csrf})
        assert reset.status_code == 303
        page = await d.http.get(reset.headers["location"])
        assert "tautan untuk membuat kata sandi dikirim ke operator-5371@example.org" in page.text
        assert d.account("operator-5371").password_hash is None  # type: ignore[union-attr]
        [mail] = smtp_sink.messages
        assert "Semua sesi akun ini telah dikeluarkan" in body_of(mail)
        probe = httpx.AsyncClient(transport=d.http._transport, base_url="http://komitmen")
        async with probe:
            probe.cookies.set(SESSION_COOKIE, victim)
            assert (await probe.get("/")).status_code == 303

            second = d.token("operator-5371")
            probe.cookies.set(SESSION_COOKIE, second)
            assert (await probe.get("/")).status_code == 200
            unconfirmed = await d.http.post("/people/operator-5371/deactivate", data={"csrf": csrf})
            assert unconfirmed.status_code == 422 and "Centang kotak" in unconfirmed.text
            done = await d.http.post(
                "/people/operator-5371/deactivate", data={"csrf": csrf, "confirm": "ya"}
            )
            assert done.status_code == 303
            assert (await probe.get("/")).status_code == 303
        shown = await d.http.get("/people/operator-5371")
        assert "Nonaktif" in shown.text and "Nonaktifkan akun" not in shown.text
        assert [a for _, a, _ in d.events("operator-5371")] == ["password_reset", "deactivated"]
        # Not for anyone but a coordinator.
        d.sign_in("manajer")
        assert (await d.http.get("/people")).status_code == 403
        refused = await d.http.post("/people/operator-5301/deactivate", data={"confirm": "ya"})
        assert refused.status_code == 403 and "Peran Anda tidak dapat" in refused.text
        assert d.account("operator-5301").active  # type: ignore[union-attr]


HEADER = ["nama", "username", "nip", "pangkat_golongan", "jabatan", "peran", "kantor"]
HEADER += ["kode_kabupaten_kota", "email", "bahasa"]


def rows(n: int) -> list[list[str]]:
    """n good rows: officers of the regencies in turn."""
    codes = load_catalog().codes()
    return [
        [
            f"Petugas Impor {i}",
            f"impor-{i:02d}",
            f"19850{(i % 9) + 1}1{i % 10} 201001 {1 + i % 2} {i:03d}",
            "Penata (III/c)",
            "Analis Kebencanaan",
            "regency_officer",
            "",
            codes[i % len(codes)],
            f"impor-{i:02d}@example.org",
            "id",
        ]
        for i in range(n)
    ]


def xlsx(table: list[list[str]]) -> bytes:
    """A workbook of the header and the rows, every cell text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in [HEADER, *table]:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(d: Desk, csrf: str, name: str, content: bytes) -> httpx.Response:
    """Upload a file to the import form."""
    return await d.http.post(
        "/people/import", data={"csrf": csrf}, files={"file": (name, content, "text/csv")}
    )


async def test_an_import_previews_every_row_then_adds_the_valid_ones(
    db_url: str, tmp_path: Path
) -> None:
    async with desk(db_url, tmp_path) as d:
        csrf = d.sign_in("koordinator")
        template = await d.http.get("/people/import/template.xlsx")
        header = next(
            load_workbook(io.BytesIO(template.content)).worksheets[0].iter_rows(values_only=True)
        )
        assert list(header) == HEADER
        csv_template = await d.http.get("/people/import/template.csv")
        assert csv_template.content.decode("utf-8-sig").strip() == ",".join(HEADER)

        table = rows(7)
        table[1][2] = "19850230 201001 1 001"  # 30 February
        table[2][7] = "99.99"
        table[3][1] = "impor-00"  # twice in the file: both rows are refused
        table[4][8] = "operator-5301@example.org"  # taken in the database
        table.append(["", "tanpa-nama", "", "", "", "pengamat", "", "", "x@example.org", "id"])
        semicolons = "\n".join(";".join(r) for r in [HEADER, *table]).encode()
        shown = await upload(d, csrf, "daftar.csv", semicolons)
        assert shown.status_code == 200, shown.text
        text = shown.text
        assert "2 baris dapat ditambahkan; 6 baris bermasalah." in text
        for line, words in (
            (2, "muncul dua kali"),
            (3, "tanggal ini tidak ada"),
            (4, "Kode kabupaten/kota tidak dikenal"),
            (5, "muncul dua kali"),
            (6, "sudah dipakai akun aktif lain"),
            (9, "Wajib diisi"),
            (9, "Peran tidak dikenal"),
        ):
            row = text[text.index(f'id="row-{line}"') :]
            assert words in row[: row.index("</li>\n")], (line, words)
        assert d.account("impor-00") is None  # nothing yet

        sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', text)
        assert sha is not None
        confirmed = await d.http.post(
            "/people/import/confirm", data={"csrf": csrf, "sha256": sha.group(1)}
        )
        assert confirmed.status_code == 200
        assert "2 pengguna telah ditambahkan" in confirmed.text
        assert d.account("impor-00") is None and d.account("impor-06") is not None
        assert d.events("impor-05") == [("koordinator", "added", "impor-05")]
        # Confirming twice adds nobody twice: the row is taken now.
        twice = await d.http.post(
            "/people/import/confirm", data={"csrf": csrf, "sha256": sha.group(1)}
        )
        assert "0 pengguna telah ditambahkan" in twice.text and "sudah dipakai" in twice.text
        gone = await d.http.post("/people/import/confirm", data={"csrf": csrf, "sha256": "0" * 64})
        assert gone.status_code == 404

        # The same list as a workbook, with more good rows.
        book = await upload(d, csrf, "daftar.xlsx", xlsx(rows(12)[1:]))
        assert "9 baris dapat ditambahkan; 2 baris bermasalah." in book.text
        assert len(list(tmp_path.joinpath("outbox").glob("*.eml"))) == 2  # two invitations so far


async def test_an_upload_that_is_no_list_is_refused_with_a_reason(
    db_url: str, tmp_path: Path
) -> None:
    async with desk(db_url, tmp_path, people_import_max_bytes=4096) as d:
        csrf = d.sign_in("koordinator")
        cases = (
            ("scan.xlsx", b"%PDF-1.4\n\x00\xff binary", 415, "bukan lembar kerja"),
            ("gambar.csv", b"\x89PNG\r\n\x1a\n\x00\x00", 415, "bukan lembar kerja"),
            ("arsip.xlsx", b"PK\x03\x04 not really a zip", 415, "bukan lembar kerja"),
            ("lama.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, 415, ".xlsx"),
            ("kosong.csv", b"", 422, "Pilih berkas"),
            ("judul.csv", b"nama,email\nA,a@example.org\n", 415, "username, peran"),
            ("besar.csv", b"nama,username\n" + b"x" * 5000, 413, "paling besar 4 KB"),
        )
        for name, content, status, words in cases:
            answer = await upload(d, csrf, name, content)
            assert answer.status_code == status, (name, answer.status_code, answer.text[:300])
            assert words in answer.text, name
        # Larger than any request body: refused before it is read, still a 4xx.
        huge = await upload(d, csrf, "raksasa.csv", b"x" * (3 * 1024 * 1024))
        assert huge.status_code == 413
