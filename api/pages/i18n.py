"""The words of the pages in Bahasa Indonesia (default) and English, and the language choice."""

from __future__ import annotations

from activities.formatting import Language, normalize_language
from domain.plan import ISSUE_LABELS, Phase, StrategicIssue
from domain.roles import Acting
from domain.stages import STAGE_LABELS, Stage

LANG_COOKIE = "komitmen_lang"

TEXT: dict[Language, dict[str, str]] = {
    "id": {
        "app": "Komitmen",
        "login": "Masuk",
        "logout": "Keluar",
        "username": "Nama pengguna",
        "password": "Kata sandi",
        "wrong_credentials": "Nama pengguna atau kata sandi salah.",
        "board": "Papan siklus",
        "no_cycles": "Belum ada siklus komitmen.",
        "regency": "Kabupaten/kota",
        "stage": "Tahap",
        "round": "Putaran",
        "next_deadline": "Tenggat berikutnya",
        "overdue": "Terlambat",
        "reports_verified": "Laporan triwulan terverifikasi",
        "not_started": "Belum dimulai",
        "none": "—",
        "items": "Rencana aksi",
        "version": "versi",
        "no_items": "Belum ada draf rencana aksi.",
        "issue": "Isu strategis",
        "phase": "Fase",
        "activity": "Uraian aksi",
        "indicator": "Indikator",
        "target": "Target",
        "budget": "Pagu",
        "comments": "Catatan reviu",
        "general_comments": "Catatan umum",
        "signatures": "Tanda tangan",
        "no_signatures": "Belum ada tanda tangan.",
        "document_hash": "Hash dokumen (SHA-256)",
        "reports": "Laporan triwulan",
        "no_reports": "Belum ada laporan triwulan.",
        "quarter": "Triwulan",
        "state": "Status",
        "timeliness": "Ketepatan waktu",
        "submitted": "Diajukan",
        "verified": "Diverifikasi",
        "audit": "Riwayat",
        "when": "Waktu",
        "who": "Oleh",
        "action": "Tindakan",
        "forbidden": "Akses ditolak",
        "not_found": "Tidak ditemukan",
        "back": "Kembali ke papan",
        "signed_in_as": "Masuk sebagai",
    },
    "en": {
        "app": "Komitmen",
        "login": "Sign in",
        "logout": "Sign out",
        "username": "Username",
        "password": "Password",
        "wrong_credentials": "Wrong username or password.",
        "board": "Cycle board",
        "no_cycles": "No commitment cycle yet.",
        "regency": "Regency/city",
        "stage": "Stage",
        "round": "Round",
        "next_deadline": "Next deadline",
        "overdue": "Overdue",
        "reports_verified": "Quarterly reports verified",
        "not_started": "Not started",
        "none": "—",
        "items": "Action plan",
        "version": "version",
        "no_items": "No draft action plan yet.",
        "issue": "Strategic issue",
        "phase": "Phase",
        "activity": "Action",
        "indicator": "Indicator",
        "target": "Target",
        "budget": "Budget",
        "comments": "Review comments",
        "general_comments": "General comments",
        "signatures": "Signatures",
        "no_signatures": "No signatures yet.",
        "document_hash": "Document hash (SHA-256)",
        "reports": "Quarterly reports",
        "no_reports": "No quarterly report yet.",
        "quarter": "Quarter",
        "state": "State",
        "timeliness": "Timeliness",
        "submitted": "Submitted",
        "verified": "Verified",
        "audit": "History",
        "when": "When",
        "who": "By",
        "action": "Action",
        "forbidden": "Access denied",
        "not_found": "Not found",
        "back": "Back to the board",
        "signed_in_as": "Signed in as",
    },
}

_CHANGES_REQUESTED: dict[Language, str] = {"id": "Perlu Revisi", "en": "Changes requested"}

PHASES: dict[Language, dict[str, str]] = {
    "id": {
        Phase.PRA_BENCANA: "Pra-bencana",
        Phase.TANGGAP_DARURAT: "Tanggap darurat",
        Phase.PASCA_BENCANA: "Pasca-bencana",
    },
    "en": {
        Phase.PRA_BENCANA: "Pre-disaster",
        Phase.TANGGAP_DARURAT: "Emergency response",
        Phase.PASCA_BENCANA: "Post-disaster",
    },
}

REPORT_STATES: dict[Language, dict[str, str]] = {
    "id": {
        "submitted": "Diajukan",
        "returned": "Dikembalikan",
        "verified": "Terverifikasi",
        "missing": "Tidak masuk",
    },
    "en": {
        "submitted": "Submitted",
        "returned": "Returned",
        "verified": "Verified",
        "missing": "Missing",
    },
}

TIMELINESS: dict[Language, dict[str, str]] = {
    "id": {"on_time": "Tepat waktu", "late": "Terlambat", "missing": "Tidak masuk"},
    "en": {"on_time": "On time", "late": "Late", "missing": "Missing"},
}

ACTING_MARK = {Acting.PLT: "Plt.", Acting.PLH: "Plh.", Acting.PJ: "Pj."}

QUARTERS = {1: "I", 2: "II", 3: "III", 4: "IV"}


def choose_language(query: str | None, cookie: str | None) -> Language:
    """The page language: `?lang=` first, then the cookie, else Bahasa Indonesia."""
    chosen = query or cookie or "id"
    return normalize_language(chosen)


def stage_label(stage: str, revising: bool, language: Language) -> str:
    """A stage as users say it; drafting after a change request reads "Perlu Revisi"."""
    value = Stage(stage)
    if value is Stage.DRAFTING and revising:
        return _CHANGES_REQUESTED[language]
    return STAGE_LABELS[language][value]


def issue_label(issue: str, language: Language) -> str:
    """A strategic issue's label, or its code if unknown."""
    try:
        return ISSUE_LABELS[language][StrategicIssue(issue)]
    except ValueError:
        return issue


def acting_mark(acting: str) -> str:
    """The mark of an acting official (Plt., Plh., Pj.); empty for a definitive one."""
    try:
        return ACTING_MARK.get(Acting(acting), "")
    except ValueError:
        return ""
