"""Adding many people at once from a spreadsheet (XLSX) or a CSV file.

The coordinator downloads the template (`template_xlsx`, `template_csv`: the header row),
fills one row per person and uploads it. The upload is judged by its content, not its
name: an XLSX is a zip that openpyxl opens, a CSV is UTF-8 text (comma or semicolon
separated, as Excel writes it in Indonesia); anything else is refused with a reason
(`FileNotAccepted`, its `code` one of NOT_ACCEPTED's keys), and a file over
KOMITMEN_PEOPLE_IMPORT_MAX_BYTES is refused unread (`FileTooLarge`).

The preview lists every row with its errors (the same checks as the one-person form,
`services.people.check_person`, plus a username or email twice in the file or already
in the directory). The upload is kept in `stored_file` under its SHA-256, which the
confirmation carries: confirming reads the same bytes again and checks them again
against the directory as it is then. Valid rows are added and invited; bad rows are
skipped and stay listed, to be fixed and uploaded again (a file of only bad rows adds
nobody). Adding row by row lets the thirty good rows of a list go in while two are
fixed, which is what a coordinator holding a list from 22 regencies expects.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from db import files, people
from services.errors import FileNotAccepted, FileTooLarge, NotFound
from services.mailer import Letter
from services.people import PERSON_FIELDS, REQUIRED, NewPerson, add_people, check_person
from services.settings import Settings

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv"
MAX_ROWS = 2000

HEADER = {
    "full_name": "nama",
    "username": "username",
    "nip": "nip",
    "pangkat": "pangkat_golongan",
    "jabatan": "jabatan",
    "role": "peran",
    "office": "kantor",
    "regency": "kode_kabupaten_kota",
    "email": "email",
    "language": "bahasa",
}
"""Each field's column heading in the template (Bahasa Indonesia, as people fill it)."""
ALIASES = {
    **{heading: name for name, heading in HEADER.items()},
    **{name: name for name in PERSON_FIELDS},
    "name": "full_name",
    "nama_lengkap": "full_name",
    "golongan": "pangkat",
    "pangkat": "pangkat",
    "regency_code": "regency",
    "kabupaten_kota": "regency",
    "kode_wilayah": "regency",
    "language": "language",
}
"""Headings read as each field (case, spaces and dashes do not matter)."""

NOT_ACCEPTED = {
    "not_spreadsheet": "the file is neither an XLSX workbook nor a CSV text file",
    "old_xls": "an old Excel .xls workbook: save it as .xlsx (Excel Workbook) first",
    "empty": "the file has no header row",
    "missing_columns": "the header row lacks columns",
    "too_many_rows": f"the file has more than {MAX_ROWS} rows",
}
"""Why a file is refused as a whole (its `code`), in English; pages word the codes."""


@dataclass
class ImportRow:
    """One row of the file: its line number, the values typed, and what is wrong."""

    line: int
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    person: NewPerson | None = None


@dataclass
class ImportPreview:
    """The rows of an uploaded file, checked, and the SHA-256 it is kept under."""

    sha256: str
    media_type: str
    rows: list[ImportRow]

    @property
    def valid(self) -> list[ImportRow]:
        """The rows that would be added."""
        return [r for r in self.rows if r.person is not None and not r.errors]

    @property
    def invalid(self) -> list[ImportRow]:
        """The rows that would be skipped."""
        return [r for r in self.rows if r.person is None or r.errors]


def _heading(text: object) -> str:
    return "_".join(str(text or "").strip().lower().replace("-", " ").replace("/", " ").split())


def _cell(value: object) -> str:
    """A cell as the text it shows; a whole number stays whole."""
    if value is None:
        return ""
    if isinstance(value, float):
        # A regency code typed into a number cell: 53.1 was "53.10".
        return f"{value:.2f}" if not value.is_integer() else str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(content: bytes) -> list[list[object]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise FileNotAccepted(NOT_ACCEPTED["not_spreadsheet"], "not_spreadsheet") from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[object]] = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _csv_rows(content: bytes) -> list[list[object]]:
    if b"\x00" in content:
        raise FileNotAccepted(NOT_ACCEPTED["not_spreadsheet"], "not_spreadsheet")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileNotAccepted(NOT_ACCEPTED["not_spreadsheet"], "not_spreadsheet") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def read_file(content: bytes) -> tuple[str, list[dict[str, str]]]:
    """The media type and the rows (field -> text) of an uploaded file, judged by content.

    Rows that are wholly empty are left out; each row keeps its line number under "_line".
    """
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileNotAccepted(NOT_ACCEPTED["old_xls"], "old_xls")
    if content.startswith(b"PK\x03\x04"):
        media_type, raw = XLSX_MEDIA_TYPE, _xlsx_rows(content)
    else:
        media_type, raw = CSV_MEDIA_TYPE, _csv_rows(content)
    if not raw or not any(_cell(v).strip() for v in raw[0]):
        raise FileNotAccepted(NOT_ACCEPTED["empty"], "empty")
    columns = [ALIASES.get(_heading(v)) for v in raw[0]]
    missing = [HEADER[name] for name in REQUIRED if name not in columns]
    if missing:
        detail = f"{NOT_ACCEPTED['missing_columns']}: {', '.join(missing)}"
        raise FileNotAccepted(detail, "missing_columns", {"columns": ", ".join(missing)})
    if len(raw) > MAX_ROWS + 1:
        raise FileNotAccepted(NOT_ACCEPTED["too_many_rows"], "too_many_rows", {"max": MAX_ROWS})
    rows = []
    for line, values in enumerate(raw[1:], start=2):
        row = {"_line": str(line)}
        for name, value in zip(columns, values, strict=False):
            if name is not None:
                row[name] = _cell(value).strip()
        if any(row.get(name) for name in PERSON_FIELDS):
            rows.append(row)
    return media_type, rows


def check_rows(
    session: Session, sha256: str, media_type: str, rows: list[dict[str, str]], today: date
) -> ImportPreview:
    """Every row checked: its own fields, then usernames and emails against the file and
    the directory."""
    checked = []
    for values in rows:
        line = int(values.pop("_line"))
        row = ImportRow(line=line, values=values)
        outcome = check_person(values, today)
        if isinstance(outcome, NewPerson):
            row.person = outcome
        else:
            row.errors = outcome
        checked.append(row)
    usernames = Counter(r.values.get("username", "").lower() for r in checked)
    emails = Counter(r.values.get("email", "").lower() for r in checked)
    taken_names = people.taken_usernames(session, usernames=[u for u in usernames if u])
    taken_mail = people.taken_emails(session, emails=[e for e in emails if e])
    for row in checked:
        username = row.values.get("username", "").lower()
        email = row.values.get("email", "").lower()
        if username and "username" not in row.errors:
            if username in taken_names:
                row.errors["username"] = "username_taken"
            elif usernames[username] > 1:
                row.errors["username"] = "username_twice"
        if email and "email" not in row.errors:
            if email in taken_mail:
                row.errors["email"] = "email_taken"
            elif emails[email] > 1:
                row.errors["email"] = "email_twice"
    return ImportPreview(sha256=sha256, media_type=media_type, rows=checked)


def preview(
    session: Session, settings: Settings, content: bytes, *, now: datetime, today: date
) -> ImportPreview:
    """Read and check an uploaded file, and keep it (by SHA-256) for the confirmation."""
    if len(content) > settings.people_import_max_bytes:
        raise FileTooLarge(f"the file is larger than {settings.people_import_max_bytes} bytes")
    media_type, rows = read_file(content)
    sha256 = hashlib.sha256(content).hexdigest()
    files.put_file(session, sha256=sha256, content=content, media_type=media_type, now=now)
    return check_rows(session, sha256, media_type, rows, today)


def confirm(
    session: Session, settings: Settings, sha256: str, *, actor: str, now: datetime, today: date
) -> tuple[ImportPreview, list[Letter]]:
    """Add the valid rows of a kept upload, checked again now; the rows and the invitations.

    NotFound if no upload is kept under that SHA-256.
    """
    kept = files.get_file(session, sha256)
    if kept is None or kept.media_type not in (XLSX_MEDIA_TYPE, CSV_MEDIA_TYPE):
        raise NotFound(f"no uploaded list {sha256!r}")
    media_type, rows = read_file(kept.content)
    checked = check_rows(session, sha256, media_type, rows, today)
    valid = [r.person for r in checked.valid if r.person is not None]
    letters = add_people(session, settings, valid, actor=actor, via="import", now=now)
    return checked, letters


def template_xlsx() -> bytes:
    """The import template as a workbook: the header row, the NIP column as text."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "pengguna"
    sheet.append([HEADER[name] for name in PERSON_FIELDS])
    nip_column = PERSON_FIELDS.index("nip") + 1
    for row in range(1, 1001):
        sheet.cell(row=row, column=nip_column).number_format = "@"
    for column in "ABCDEFGHIJ":
        sheet.column_dimensions[column].width = 22
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    """The import template as CSV (UTF-8 with a BOM, so Excel opens it): the header row."""
    return ("\ufeff" + ",".join(HEADER[name] for name in PERSON_FIELDS) + "\r\n").encode()
