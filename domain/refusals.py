"""Every refusal the transition rules can give: a code, its parameters, and its words.

A refusal travels as a code and parameters (`TransitionRefused.code`, `.params`; across
Temporal in the ApplicationError's details) so that each door words it in the reader's
language: the JSON API keeps the English reason, the pages and the mail render
`refusal_text(code, params, language)`. The English wording is the API's `detail` as it
has always been, so clients matching on it keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.display import Language, normalize_language
from domain.errors import TransitionRefused


class RefusalCode(StrEnum):
    """Why the rules refuse an action."""

    OUT_OF_REGENCY = "out_of_regency"
    WRONG_STAGE = "wrong_stage"
    WRONG_ROLE = "wrong_role"
    STALE_EDIT = "stale_edit"
    STALE_VERSION = "stale_version"
    NOTHING_TO_SUBMIT = "nothing_to_submit"
    NO_SUCH_ITEM_COMMENTED = "no_such_item_commented"
    NOT_A_SIGNATORY = "not_a_signatory"
    ALREADY_SIGNED = "already_signed"
    NOT_YOUR_TURN = "not_your_turn"
    FILE_REQUIRED = "file_required"
    FILE_NOT_TAKEN = "file_not_taken"
    STALE_DOCUMENT = "stale_document"
    NO_SIGNATURE_PENDING = "no_signature_pending"
    QUARTER_LOCKED = "quarter_locked"
    REPORT_NOT_OPEN = "report_not_open"
    REPORT_ALREADY = "report_already"
    ITEM_REPORTED_TWICE = "item_reported_twice"
    NO_SUCH_ITEM_REPORTED = "no_such_item_reported"
    NO_REPORT_WAITING = "no_report_waiting"
    VERIFY_INSTEAD = "verify_instead"
    DEADLINE_NOT_APPLICABLE = "deadline_not_applicable"
    DEADLINE_LOCKED = "deadline_locked"
    DEADLINE_MET = "deadline_met"
    EXTENSION_NOT_LATER = "extension_not_later"
    EXTENSION_TOO_FAR = "extension_too_far"
    CYCLE_ROLE = "cycle_role"
    CYCLE_ENDED = "cycle_ended"
    COMMITMENT_ENDED = "commitment_ended"


Params = Mapping[str, str | int]

_WORDS: dict[Language, dict[RefusalCode, str]] = {
    "en": {
        RefusalCode.OUT_OF_REGENCY: "{name} acts for regency {own}, not {regency}",
        RefusalCode.WRONG_STAGE: "cannot {action} a commitment in stage '{stage}'{allowed}",
        RefusalCode.WRONG_ROLE: "role '{role}' may not {action}; needs {roles}",
        RefusalCode.STALE_EDIT: (
            "stale version: this edit started from version {based_on}, but version {latest} "
            "has been saved since; reload and edit again"
        ),
        RefusalCode.STALE_VERSION: "stale version: {what} is version {expected}, not {given}",
        RefusalCode.NOTHING_TO_SUBMIT: "nothing to submit: save a draft first",
        RefusalCode.NO_SUCH_ITEM_COMMENTED: (
            "comment on item {item}, but the draft has {count} items"
        ),
        RefusalCode.NOT_A_SIGNATORY: (
            "office '{office}' is not a required signatory; required: {required}"
        ),
        RefusalCode.ALREADY_SIGNED: "office '{office}' has already signed",
        RefusalCode.NOT_YOUR_TURN: "signing order: '{first}' signs first",
        RefusalCode.FILE_REQUIRED: (
            "this cycle signs {method}: the signature needs its file "
            "(the stamped scan, or the certified PDF)"
        ),
        RefusalCode.FILE_NOT_TAKEN: "this cycle signs in Komitmen: a signature takes no file",
        RefusalCode.STALE_DOCUMENT: (
            "stale document: the hash does not match the approved version {version} ({hash})"
        ),
        RefusalCode.NO_SIGNATURE_PENDING: "office '{office}' has no signature pending",
        RefusalCode.QUARTER_LOCKED: (
            "quarter {quarter} is locked; reports can no longer be submitted"
        ),
        RefusalCode.REPORT_NOT_OPEN: (
            "the quarter {quarter} report opens on {opens} (WITA), in the quarter's last "
            "month; it cannot be submitted before"
        ),
        RefusalCode.REPORT_ALREADY: "the quarter {quarter} report is already {state}",
        RefusalCode.ITEM_REPORTED_TWICE: "an item is reported twice",
        RefusalCode.NO_SUCH_ITEM_REPORTED: (
            "item {item} does not exist; the approved plan has {count} items"
        ),
        RefusalCode.NO_REPORT_WAITING: ("no quarter {quarter} report is waiting for verification"),
        RefusalCode.VERIFY_INSTEAD: "quarter {quarter} is locked; verify the report instead",
        RefusalCode.DEADLINE_NOT_APPLICABLE: "deadline '{key}' does not apply now",
        RefusalCode.DEADLINE_LOCKED: (
            "quarter {quarter} is locked; its deadlines can no longer move"
        ),
        RefusalCode.DEADLINE_MET: (
            "deadline '{key}' has been met; the commitment is in stage '{stage}'"
        ),
        RefusalCode.EXTENSION_NOT_LATER: (
            "an extension must be later than the current deadline {current}"
        ),
        RefusalCode.EXTENSION_TOO_FAR: (
            "an extension moves a deadline at most {days} days, to {latest}"
        ),
        RefusalCode.CYCLE_ROLE: "role '{role}' may not cancel a cycle; needs coordinator",
        RefusalCode.CYCLE_ENDED: "the cycle is already {status}",
        RefusalCode.COMMITMENT_ENDED: (
            "the commitment has ended (its last quarter locked, or it was withdrawn or "
            "cancelled) while this request was on its way"
        ),
    },
    "id": {
        RefusalCode.OUT_OF_REGENCY: (
            "{name} bertugas untuk kabupaten/kota {own}, bukan {regency}."
        ),
        RefusalCode.WRONG_STAGE: (
            "Tindakan ini tidak dapat dilakukan pada tahap komitmen saat ini."
        ),
        RefusalCode.WRONG_ROLE: "Peran Anda tidak dapat melakukan tindakan ini.",
        RefusalCode.STALE_EDIT: (
            "Draf ini Anda ubah dari versi {based_on}, tetapi versi {latest} sudah disimpan "
            "sejak itu. Muat ulang halaman lalu ubah lagi."
        ),
        RefusalCode.STALE_VERSION: (
            "Versi yang Anda pakai ({given}) bukan versi terbaru ({expected}). Muat ulang halaman."
        ),
        RefusalCode.NOTHING_TO_SUBMIT: "Belum ada yang dapat diajukan: simpan draf dahulu.",
        RefusalCode.NO_SUCH_ITEM_COMMENTED: (
            "Catatan untuk aksi nomor {item}, padahal draf hanya memuat {count} aksi."
        ),
        RefusalCode.NOT_A_SIGNATORY: (
            "Jabatan Anda tidak termasuk penanda tangan rencana aksi ini."
        ),
        RefusalCode.ALREADY_SIGNED: "Jabatan Anda sudah menandatangani dokumen ini.",
        RefusalCode.NOT_YOUR_TURN: (
            "Penandatanganan berurutan: giliran penanda tangan sebelumnya lebih dahulu."
        ),
        RefusalCode.FILE_REQUIRED: (
            "Siklus ini memakai tanda tangan basah atau TTE: lampirkan pindaian bercap atau "
            "PDF bertanda tangan elektronik."
        ),
        RefusalCode.FILE_NOT_TAKEN: (
            "Siklus ini ditandatangani langsung di Komitmen, tanpa berkas."
        ),
        RefusalCode.STALE_DOCUMENT: (
            "Dokumen yang Anda tanda tangani bukan versi yang disetujui (versi {version}). "
            "Muat ulang halaman."
        ),
        RefusalCode.NO_SIGNATURE_PENDING: (
            "Tidak ada tanda tangan yang menunggu dari jabatan Anda."
        ),
        RefusalCode.QUARTER_LOCKED: (
            "Triwulan {quarter} sudah dikunci; laporan tidak dapat diajukan lagi."
        ),
        RefusalCode.REPORT_NOT_OPEN: (
            "Laporan triwulan {quarter} baru dibuka pada {opens} WITA (bulan terakhir "
            "triwulan); belum dapat diajukan."
        ),
        RefusalCode.REPORT_ALREADY: "Laporan triwulan {quarter} sudah diajukan atau diverifikasi.",
        RefusalCode.ITEM_REPORTED_TWICE: "Satu aksi dilaporkan dua kali.",
        RefusalCode.NO_SUCH_ITEM_REPORTED: (
            "Aksi nomor {item} tidak ada; rencana aksi yang disetujui memuat {count} aksi."
        ),
        RefusalCode.NO_REPORT_WAITING: (
            "Tidak ada laporan triwulan {quarter} yang menunggu verifikasi."
        ),
        RefusalCode.VERIFY_INSTEAD: (
            "Triwulan {quarter} sudah dikunci; verifikasi laporannya, jangan dikembalikan."
        ),
        RefusalCode.DEADLINE_NOT_APPLICABLE: "Tenggat ini tidak berlaku saat ini.",
        RefusalCode.DEADLINE_LOCKED: (
            "Triwulan {quarter} sudah dikunci; tenggatnya tidak dapat diubah lagi."
        ),
        RefusalCode.DEADLINE_MET: "Tenggat ini sudah terpenuhi.",
        RefusalCode.EXTENSION_NOT_LATER: (
            "Perpanjangan harus lebih lambat dari tenggat sekarang ({current})."
        ),
        RefusalCode.EXTENSION_TOO_FAR: ("Perpanjangan paling lama {days} hari, sampai {latest}."),
        RefusalCode.CYCLE_ROLE: "Hanya koordinator yang dapat membatalkan siklus.",
        RefusalCode.CYCLE_ENDED: "Siklus ini sudah berakhir.",
        RefusalCode.COMMITMENT_ENDED: (
            "Komitmen ini sudah berakhir (triwulan terakhir dikunci, dikeluarkan dari siklus, "
            "atau siklus dibatalkan) saat permintaan Anda dikirim."
        ),
    },
}


def refusal_text(code: str, params: Params, language: str = "id") -> str:
    """A refusal in the reader's language; a code or parameters this version does not know
    (from a newer or older worker) give a general sentence rather than a wrong one."""
    lang = normalize_language(language)
    general = "Permintaan ditolak." if lang == "id" else "The request was refused."
    try:
        return _WORDS[lang][RefusalCode(code)].format(**params)
    except (ValueError, KeyError, IndexError):
        return general


def english_reason(code: RefusalCode, params: Params) -> str:
    """The English reason, as the JSON API's `detail` has always worded it."""
    return _WORDS["en"][code].format(**params)


def refused(code: RefusalCode, **params: str | int) -> TransitionRefused:
    """The refusal of `code` with its parameters, its reason in English."""
    return TransitionRefused(english_reason(code, params), code.value, params)
