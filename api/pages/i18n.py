"""The words of the pages in Bahasa Indonesia (default) and English, and the language choice."""

from __future__ import annotations

from domain.display import QUARTER_NUMERALS, Language, normalize_language
from domain.plan import (
    BUDGET_SOURCE_LABELS,
    ISSUE_LABELS,
    PARTNER_LABELS,
    PHASE_LABELS,
    StrategicIssue,
)
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
        "joint_document": "Komitmen bersama (siap cetak)",
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
        "form_expired": "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
        "locked_out": "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.",
        "actions": "Tindakan",
        "draft_editor": "Susun rencana aksi",
        "spare_row_hint": "Baris kosong terakhir untuk aksi baru; biarkan kosong bila tidak perlu.",
        "new_item": "Aksi baru",
        "remove": "Hapus aksi ini",
        "unit": "Satuan",
        "due_quarters": "Triwulan pelaksanaan",
        "responsible": "Penanggung jawab",
        "location": "Lokasi",
        "partners": "Mitra pentahelix",
        "budget_source": "Sumber dana",
        "save_draft": "Simpan draf",
        "submit": "Ajukan untuk reviu",
        "recorded_check": (
            "Periksa angka yang tercatat pada versi {version} sebelum diajukan; "
            "bila ada yang keliru, perbaiki drafnya dulu."
        ),
        "recorded_report": "Realisasi yang tercatat",
        "target_example": "misalnya 12,5",
        "budget_example": "misalnya 150.000.000",
        "percent_example": "misalnya 12,5",
        "approve": "Setujui",
        "request_changes": "Minta revisi",
        "comment_on": "Catatan untuk aksi",
        "sign": "Tanda tangani",
        "signing_as": "Anda menandatangani sebagai",
        "sign_wet": "Tanda tangan basah",
        "sign_wet_print": "Cetak rencana aksi yang disetujui:",
        "sign_wet_stamp": "Tanda tangani dengan tinta dan bubuhkan cap dinas.",
        "sign_wet_upload": (
            "Unggah pindaian halaman bertanda tangan (PDF, PNG atau JPEG, paling besar {mb} MB)"
        ),
        "sign_wet_submit": "Unggah dan tanda tangani",
        "sign_certified": "Tanda tangan elektronik tersertifikasi (TTE BSrE)",
        "sign_certified_intro": (
            "Server mengirim PDF rencana aksi ke BSrE untuk ditandatangani dengan sertifikat "
            "Anda. Passphrase tidak disimpan."
        ),
        "sign_certified_submit": "Tanda tangani dengan TTE",
        "nik": "NIK (16 angka)",
        "passphrase": "Passphrase TTE",
        "download_pdf": "Unduh PDF",
        "tte_waiting": (
            "Tanda tangan elektronik Anda menunggu layanan BSrE (percobaan ke-{attempts}); "
            "akan dicoba lagi otomatis."
        ),
        "tte_enter_again": (
            "Jika belum berhasil dalam beberapa menit, masukkan passphrase lagi di bawah."
        ),
        "tte_refused": "BSrE menolak permintaan tanda tangan: periksa NIK dan passphrase.",
        "tte_invalid": (
            "PDF yang dikembalikan BSrE tidak lolos pemeriksaan tanda tangan; tidak ada yang "
            "ditandatangani. Hubungi admin."
        ),
        "tte_form_invalid": "Isi NIK 16 angka dan passphrase.",
        "scan_too_large": "Berkas pindaian terlalu besar: paling besar {mb} MB.",
        "scan_not_accepted": (
            "Berkas pindaian harus PDF, PNG atau JPEG (dinilai dari isinya, bukan namanya)."
        ),
        "method_confirmed": "Persetujuan di Komitmen",
        "method_wet": "Tanda tangan basah (pindaian)",
        "method_certified": "TTE tersertifikasi (BSrE)",
        "signature_file": "Unduh berkas",
        "definitive_holder": "pejabat definitif",
        "acting_on_record": "(kedudukan jabatan yang tercatat pada akun Anda)",
        "decline": "Tolak tanda tangan",
        "reason": "Alasan",
        "report_progress": "Laporkan kemajuan",
        "percent_realised": "Realisasi (%)",
        "narrative": "Uraian",
        "evidence": "Bukti (satu tautan per baris)",
        "send_report": "Kirim laporan",
        "verify": "Verifikasi",
        "return_report": "Kembalikan",
        "versions": "Versi",
        "changes": "Perubahan",
        "compare": "Bandingkan",
        "from": "dari",
        "to": "ke",
        "no_changes": "Tidak ada perubahan.",
        "fix_errors": "Periksa isian yang ditandai.",
        "refused": "Tindakan ditolak",
        "diff_added": "Ditambahkan",
        "diff_removed": "Dihapus",
        "diff_changed": "Diubah",
        "manager_view": "Pantauan manajer",
        "overdue_list": "Daftar keterlambatan",
        "nothing_overdue": "Tidak ada yang terlambat.",
        "obligation": "Kewajiban",
        "due_since": "Jatuh tempo sejak",
        "overdue_for": "Terlambat selama",
        "filter": "Saring",
        "all": "Semua",
        "clear_filter": "Hapus saringan",
        "bad_filter": "Saringan tidak dikenal",
        "bad_page": "Halaman daftar tidak dikenal",
        "overdue_pages": "Halaman daftar keterlambatan",
        "first_page": "« Halaman pertama",
        "previous_page": "‹ Sebelumnya",
        "next_page": "Berikutnya ›",
        "due_drafting": "Penyusunan draf rencana aksi",
        "due_review": "Reviu rencana aksi",
        "due_signing": "Penandatanganan",
        "due_report": "Laporan triwulan {quarter}",
        "one_day": "{n} hari",
        "days": "{n} hari",
        "one_hour": "{n} jam",
        "hours": "{n} jam",
        "under_an_hour": "kurang dari 1 jam",
        "completeness": "Kelengkapan dan ketepatan waktu laporan triwulan",
        "not_due": "Belum jatuh tempo",
        "no_plan": "Belum ada rencana bertanda tangan",
        "past_due": "Lewat tenggat, belum masuk",
        "waiting": "Menunggu verifikasi",
        "total": "Jumlah",
        "progress": "Kemajuan per isu strategis dan fase",
        "progress_note": (
            "Rata-rata realisasi aksi pada rencana aksi yang sudah ditandatangani, menurut "
            "laporan triwulan terverifikasi terakhir; aksi yang belum dilaporkan dihitung 0%."
        ),
        "progress_chart": "Grafik kemajuan per isu strategis dan fase",
        "n_actions": "{n} aksi",
        "no_actions": "tidak ada aksi",
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
        "joint_document": "Joint commitment (printable)",
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
        "form_expired": "This form has expired. Reload the page and try again.",
        "locked_out": "Too many failed sign-ins. Try again in {minutes} minutes.",
        "actions": "Actions",
        "draft_editor": "Draft the action plan",
        "spare_row_hint": "The last empty row is for a new action; leave it empty to skip it.",
        "new_item": "New action",
        "remove": "Remove this action",
        "unit": "Unit",
        "due_quarters": "Quarters of delivery",
        "responsible": "Responsible unit",
        "location": "Location",
        "partners": "Pentahelix partners",
        "budget_source": "Source of funds",
        "save_draft": "Save draft",
        "submit": "Submit for review",
        "recorded_check": (
            "Check the amounts recorded in version {version} before you submit; "
            "if one is wrong, correct the draft first."
        ),
        "recorded_report": "Progress as recorded",
        "target_example": "e.g. 12.5",
        "budget_example": "e.g. 150,000,000",
        "percent_example": "e.g. 12.5",
        "approve": "Approve",
        "request_changes": "Request changes",
        "comment_on": "Comment on action",
        "sign": "Sign",
        "signing_as": "You sign as",
        "sign_wet": "Wet signature",
        "sign_wet_print": "Print the approved action plan:",
        "sign_wet_stamp": "Sign it in ink and apply the office stamp.",
        "sign_wet_upload": "Upload the scan of the signed page (PDF, PNG or JPEG, at most {mb} MB)",
        "sign_wet_submit": "Upload and sign",
        "sign_certified": "Certified electronic signature (BSrE TTE)",
        "sign_certified_intro": (
            "The server sends the action plan's PDF to BSrE to be signed with your "
            "certificate. The passphrase is not kept."
        ),
        "sign_certified_submit": "Sign with TTE",
        "nik": "NIK (16 digits)",
        "passphrase": "TTE passphrase",
        "download_pdf": "Download PDF",
        "tte_waiting": (
            "Your electronic signature is waiting for the BSrE service (attempt {attempts}); "
            "it is retried automatically."
        ),
        "tte_enter_again": (
            "If it has not gone through in a few minutes, enter the passphrase again below."
        ),
        "tte_refused": "BSrE refused the signing request: check the NIK and passphrase.",
        "tte_invalid": (
            "The PDF BSrE returned failed the signature check; nothing was signed. Contact "
            "the administrator."
        ),
        "tte_form_invalid": "Enter the 16-digit NIK and the passphrase.",
        "scan_too_large": "The scan is too large: at most {mb} MB.",
        "scan_not_accepted": (
            "The scan must be a PDF, PNG or JPEG (judged by its content, not its name)."
        ),
        "method_confirmed": "Confirmed in Komitmen",
        "method_wet": "Wet signature (scan)",
        "method_certified": "Certified TTE (BSrE)",
        "signature_file": "Download file",
        "definitive_holder": "the definitive office-holder",
        "acting_on_record": "(the acting status recorded on your account)",
        "decline": "Decline to sign",
        "reason": "Reason",
        "report_progress": "Report progress",
        "percent_realised": "Realised (%)",
        "narrative": "Narrative",
        "evidence": "Evidence (one link per line)",
        "send_report": "Send report",
        "verify": "Verify",
        "return_report": "Return",
        "versions": "Versions",
        "changes": "Changes",
        "compare": "Compare",
        "from": "from",
        "to": "to",
        "no_changes": "No changes.",
        "fix_errors": "Check the marked fields.",
        "refused": "Action refused",
        "diff_added": "Added",
        "diff_removed": "Removed",
        "diff_changed": "Changed",
        "manager_view": "Manager view",
        "overdue_list": "Overdue",
        "nothing_overdue": "Nothing is overdue.",
        "obligation": "Obligation",
        "due_since": "Due since",
        "overdue_for": "Overdue for",
        "filter": "Filter",
        "all": "All",
        "clear_filter": "Clear filter",
        "bad_filter": "Unknown filter",
        "bad_page": "Unknown page of the list",
        "overdue_pages": "Pages of the overdue list",
        "first_page": "« First page",
        "previous_page": "‹ Previous",
        "next_page": "Next ›",
        "due_drafting": "Drafting the action plan",
        "due_review": "Reviewing the action plan",
        "due_signing": "Signing",
        "due_report": "Quarterly report {quarter}",
        "one_day": "{n} day",
        "days": "{n} days",
        "one_hour": "{n} hour",
        "hours": "{n} hours",
        "under_an_hour": "under an hour",
        "completeness": "Quarterly report completeness and timeliness",
        "not_due": "Not yet due",
        "no_plan": "No signed plan yet",
        "past_due": "Past due, not in yet",
        "waiting": "Waiting for verification",
        "total": "Total",
        "progress": "Progress by strategic issue and phase",
        "progress_note": (
            "Mean realisation of the actions in signed action plans, from the latest "
            "verified quarterly report; actions not yet reported count as 0%."
        ),
        "progress_chart": "Chart of progress by strategic issue and phase",
        "n_actions": "{n} actions",
        "no_actions": "no actions",
    },
}

_CHANGES_REQUESTED: dict[Language, str] = {"id": "Perlu Revisi", "en": "Changes requested"}

PHASES = PHASE_LABELS

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

FIELD_WORDS = {
    "strategic_issue": "issue",
    "phase": "phase",
    "activity": "activity",
    "indicator": "indicator",
    "target_value": "target",
    "target_unit": "unit",
    "due_quarters": "due_quarters",
    "responsible_unit": "responsible",
    "partners": "partners",
    "budget_rp": "budget",
    "budget_source": "budget_source",
    "location": "location",
}
"""The TEXT key naming each action-item field."""

ACTION_LABELS: dict[Language, dict[str, str]] = {
    "id": {
        "started": "Dimulai",
        "save_draft": "Draf disimpan",
        "submit": "Diajukan",
        "approve": "Disetujui",
        "request_changes": "Diminta revisi",
        "sign": "Ditandatangani",
        "decline": "Tanda tangan ditolak",
        "submit_report": "Laporan diajukan",
        "verify_report": "Laporan diverifikasi",
        "return_report": "Laporan dikembalikan",
        "extend_deadline": "Tenggat diperpanjang",
        "withdraw": "Ditarik",
        "cancel": "Dibatalkan",
    },
    "en": {
        "started": "Started",
        "save_draft": "Draft saved",
        "submit": "Submitted",
        "approve": "Approved",
        "request_changes": "Changes requested",
        "sign": "Signed",
        "decline": "Signing declined",
        "submit_report": "Report submitted",
        "verify_report": "Report verified",
        "return_report": "Report returned",
        "extend_deadline": "Deadline extended",
        "withdraw": "Withdrawn",
        "cancel": "Cancelled",
    },
}
"""What an audit row's action reads as; unknown actions show their code."""

ACTION_DONE: dict[Language, dict[str, str]] = {
    "id": {
        "save_draft": "Draf tersimpan sebagai versi baru.",
        "submit": "Rencana aksi diajukan untuk reviu.",
        "approve": "Rencana aksi disetujui; menunggu tanda tangan.",
        "request_changes": "Permintaan revisi terkirim.",
        "sign": "Tanda tangan tercatat.",
        "decline": "Penolakan tercatat; rencana aksi kembali ke reviu.",
        "submit_report": "Laporan triwulan terkirim.",
        "verify_report": "Laporan triwulan terverifikasi.",
        "return_report": "Laporan triwulan dikembalikan untuk diperbaiki.",
    },
    "en": {
        "save_draft": "Draft saved as a new version.",
        "submit": "Action plan submitted for review.",
        "approve": "Action plan approved; waiting for signatures.",
        "request_changes": "Change request sent.",
        "sign": "Signature recorded.",
        "decline": "Declined; the action plan is back in review.",
        "submit_report": "Quarterly report sent.",
        "verify_report": "Quarterly report verified.",
        "return_report": "Quarterly report returned for correction.",
    },
}

PROGRESS: dict[Language, dict[str, str]] = {
    "id": {
        "belum_mulai": "Belum mulai",
        "sesuai_jadwal": "Sesuai jadwal",
        "berisiko": "Berisiko",
        "terlambat": "Terlambat",
        "selesai": "Selesai",
    },
    "en": {
        "belum_mulai": "Not started",
        "sesuai_jadwal": "On schedule",
        "berisiko": "At risk",
        "terlambat": "Behind schedule",
        "selesai": "Done",
    },
}

BUDGET_SOURCES = BUDGET_SOURCE_LABELS

PARTNERS = PARTNER_LABELS

QUARTERS = QUARTER_NUMERALS


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
