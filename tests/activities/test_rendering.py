"""Email templates, one set for Bahasa Indonesia and English, rendered with real context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from domain.calendar import WITA
from mailing.rendering import MailRenderer, RenderedMail

DUE = datetime(2026, 4, 20, 23, 59, tzinfo=WITA)
PAGE = "https://komitmen.example.org/cycles/rakor-2026/commitments/53.01/page"
ALOR = "https://komitmen.example.org/cycles/rakor-2026/commitments/53.05/page"


@dataclass(frozen=True)
class Entry:
    """A digest entry as an object, to show templates accept objects as well as dicts."""

    kind: str
    deadline_kind: str
    quarter: int | None
    regency_name: str
    due_at: datetime
    days: int
    cycle_name: str
    page_url: str


def entry(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "kind": "reminder",
        "deadline_kind": "report",
        "quarter": 1,
        "regency_name": "Kabupaten Kupang",
        "due_at": DUE,
        "days": 7,
        "cycle_name": "Rakor PB NTT 2025",
        "page_url": PAGE,
    }
    return {**base, **overrides}


@pytest.fixture(scope="module")
def renderer() -> MailRenderer:
    return MailRenderer()


def digest(renderer: MailRenderer, language: str, *entries: object) -> RenderedMail:
    return renderer.render(
        "reminder_digest",
        language,
        {"recipient_name": "Yohanes Bria", "entries": list(entries)},
    )


def test_single_reminder_in_indonesian(renderer: MailRenderer) -> None:
    mail = digest(renderer, "id", entry())
    assert (
        mail.subject == "Pengingat: laporan triwulan I Kabupaten Kupang jatuh tempo 20 April 2026"
    )
    assert mail.text.startswith("Yth. Bapak/Ibu Yohanes Bria,\n\nDengan hormat,\n")
    assert "pengingat atas tenggat Komitmen berikut" in mail.text
    assert "1. [Pengingat] Laporan triwulan I - Kabupaten Kupang\n" in mail.text
    assert "Jatuh tempo : Senin, 20 April 2026 pukul 23.59 WITA\n" in mail.text
    assert "Status      : 7 hari lagi\n" in mail.text
    assert "Siklus      : Rakor PB NTT 2025\n" in mail.text
    assert "eskalasi" not in mail.text.lower()
    assert '<html lang="id">' in mail.html
    assert "Laporan triwulan I &ndash; Kabupaten Kupang" in mail.html
    assert "Senin, 20 April 2026 pukul 23.59 WITA" in mail.html


def test_single_reminder_in_english(renderer: MailRenderer) -> None:
    mail = digest(renderer, "en", entry())
    assert mail.subject == (
        "Reminder: quarterly report (Q1) for Kabupaten Kupang due 20 April 2026"
    )
    assert mail.text.startswith("Dear Yohanes Bria,\n")
    assert "This is a reminder of the following Komitmen deadline:" in mail.text
    assert "1. [Reminder] Quarterly report (Q1) - Kabupaten Kupang\n" in mail.text
    assert "Due    : Monday, 20 April 2026, 23:59 WITA\n" in mail.text
    assert "Status : in 7 days\n" in mail.text
    assert '<html lang="en">' in mail.html
    assert "Monday, 20 April 2026, 23:59 WITA" in mail.html


@pytest.mark.parametrize(
    ("deadline_kind", "quarter", "language", "label"),
    [
        ("drafting", None, "id", "penyusunan rencana aksi"),
        ("review", None, "id", "reviu rencana aksi"),
        ("signing", None, "id", "penandatanganan komitmen"),
        ("report", 1, "id", "laporan triwulan I"),
        ("report", 2, "id", "laporan triwulan II"),
        ("report", 3, "id", "laporan triwulan III"),
        ("report", 4, "id", "laporan triwulan IV"),
        ("drafting", None, "en", "drafting the action plan"),
        ("review", None, "en", "reviewing the action plan"),
        ("signing", None, "en", "signing the commitment"),
        ("report", 2, "en", "quarterly report (Q2)"),
        ("report", 4, "en", "quarterly report (Q4)"),
    ],
)
def test_deadline_kinds_are_translated(
    renderer: MailRenderer, deadline_kind: str, quarter: int | None, language: str, label: str
) -> None:
    mail = digest(renderer, language, entry(deadline_kind=deadline_kind, quarter=quarter))
    assert f": {label} " in mail.subject
    heading = label[0].upper() + label[1:]
    assert f"{heading} - Kabupaten Kupang" in mail.text


@pytest.mark.parametrize(
    ("days", "language", "phrase"),
    [
        (7, "id", "7 hari lagi"),
        (1, "id", "besok"),
        (0, "id", "hari ini"),
        (-1, "id", "terlambat 1 hari"),
        (7, "en", "in 7 days"),
        (1, "en", "tomorrow"),
        (0, "en", "today"),
        (-1, "en", "1 day overdue"),
        (-4, "en", "4 days overdue"),
    ],
)
def test_days_remaining(renderer: MailRenderer, days: int, language: str, phrase: str) -> None:
    mail = digest(renderer, language, entry(days=days))
    assert f": {phrase}\n" in mail.text
    assert f">{phrase}</strong>" in mail.html


def test_single_escalation(renderer: MailRenderer) -> None:
    overdue = entry(kind="escalation", deadline_kind="signing", quarter=None, days=-7)
    mail = digest(renderer, "id", overdue)
    assert mail.subject == "Eskalasi: penandatanganan komitmen Kabupaten Kupang terlambat 7 hari"
    assert "eskalasi atas tenggat Komitmen yang telah terlewati" in mail.text
    assert "1. [Eskalasi] Penandatanganan komitmen - Kabupaten Kupang\n" in mail.text
    assert "Status      : terlambat 7 hari\n" in mail.text
    assert "Mohon Bapak/Ibu berkenan segera" not in mail.text

    english = digest(renderer, "en", overdue)
    assert english.subject == (
        "Escalation: signing the commitment for Kabupaten Kupang 7 days overdue"
    )
    assert "[Escalation] Signing the commitment - Kabupaten Kupang" in english.text


def test_digest_of_several_entries(renderer: MailRenderer) -> None:
    entries = [
        entry(),
        Entry(
            kind="reminder",
            deadline_kind="drafting",
            quarter=None,
            regency_name="Kabupaten Alor",
            due_at=datetime(2026, 5, 4, 15, 59, tzinfo=UTC),
            days=1,
            cycle_name="Rakor PB NTT 2025",
            page_url=ALOR,
        ),
        entry(kind="escalation", regency_name="Kota Kupang", days=-3),
    ]
    mail = digest(renderer, "id", *entries)
    assert mail.subject == "Pengingat: 3 tenggat Komitmen (1 terlambat)"
    assert "pengingat dan eskalasi atas tenggat Komitmen berikut" in mail.text
    assert "2. [Pengingat] Penyusunan rencana aksi - Kabupaten Alor\n" in mail.text
    assert "Jatuh tempo : Senin, 4 Mei 2026 pukul 23.59 WITA\n" in mail.text
    assert "Status      : besok\n" in mail.text
    assert "3. [Eskalasi] Laporan triwulan I - Kota Kupang\n" in mail.text
    assert "Status      : terlambat 3 hari\n" in mail.text
    # Each entry links to its own commitment's page.
    assert f"   Halaman     : {ALOR}\n" in mail.text and mail.text.count(PAGE) == 2
    assert f'href="{ALOR}"' in mail.html and mail.html.count(f'href="{PAGE}"') == 2
    # Both closing requests, each its own paragraph.
    assert "melalui aplikasi Komitmen.\n\nTenggat yang telah terlewati" in mail.text

    english = digest(renderer, "en", *entries)
    assert english.subject == "Reminder: 3 Komitmen deadlines (1 overdue)"
    assert "reminder and escalation of the following Komitmen deadlines:" in english.text


def test_digest_of_escalations_only(renderer: MailRenderer) -> None:
    entries = [entry(kind="escalation", days=-2), entry(kind="escalation", days=-9)]
    assert digest(renderer, "id", *entries).subject == "Eskalasi: 2 tenggat Komitmen terlewati"
    assert digest(renderer, "en", *entries).subject == "Escalation: 2 overdue Komitmen deadlines"


def test_digest_without_overdue_entries_has_plain_count(renderer: MailRenderer) -> None:
    mail = digest(renderer, "id", entry(), entry(regency_name="Kabupaten Ende", days=3))
    assert mail.subject == "Pengingat: 2 tenggat Komitmen"


def changes_context(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "recipient_name": "Maria Goreti",
        "cycle_name": "Rakor PB NTT 2025",
        "regency_name": "Kabupaten Sikka",
        "round": 2,
        "version": 3,
        "reviewer_name": "Petrus Kanisius",
        "page_url": PAGE,
        "general_comment": "Lengkapi indikator dan satuan.\nSesuaikan pagu dengan DPA.",
        "item_comments": [
            {"item_position": 1, "activity": "Sosialisasi SPM", "text": "Target belum terukur."},
            {
                "item_position": 4,
                "activity": "Pelatihan Destana",
                "text": "Cantumkan lokasi desa.\nTambahkan mitra pentahelix.",
            },
        ],
    }
    return {**base, **overrides}


def test_changes_requested_in_indonesian(renderer: MailRenderer) -> None:
    mail = renderer.render("changes_requested", "id", changes_context())
    assert mail.subject == "Perlu Revisi: rencana aksi Kabupaten Sikka (putaran 2)"
    assert "direviu dengan hasil Perlu Revisi" in mail.text
    assert f"Buka halaman komitmen:\n{PAGE}\n" in mail.text and f'href="{PAGE}"' in mail.html
    assert "Kabupaten/kota : Kabupaten Sikka\n" in mail.text
    assert "Versi          : 3\n" in mail.text
    assert "Putaran reviu  : 2\n" in mail.text
    assert "Pereviu        : Petrus Kanisius\n" in mail.text
    assert (
        "Catatan umum:\nLengkapi indikator dan satuan.\nSesuaikan pagu dengan DPA.\n" in mail.text
    )
    assert "- Butir 1: Sosialisasi SPM\n  Target belum terukur.\n" in mail.text
    assert (
        "- Butir 4: Pelatihan Destana\n  Cantumkan lokasi desa.\n  Tambahkan mitra pentahelix.\n"
        in mail.text
    )
    assert "Butir 4: Pelatihan Destana" in mail.html


def test_changes_requested_in_english(renderer: MailRenderer) -> None:
    mail = renderer.render("changes_requested", "en", changes_context())
    assert mail.subject == "Changes requested: action plan for Kabupaten Sikka (round 2)"
    assert "Reviewer     : Petrus Kanisius\n" in mail.text
    assert "- Item 1: Sosialisasi SPM\n  Target belum terukur.\n" in mail.text
    assert "General comment" in mail.html


def test_changes_requested_without_comments(renderer: MailRenderer) -> None:
    mail = renderer.render(
        "changes_requested", "id", changes_context(general_comment=None, item_comments=[])
    )
    assert "Catatan umum" not in mail.text
    assert "Catatan per butir" not in mail.text
    assert "Catatan umum" not in mail.html


def test_html_is_escaped_and_text_is_verbatim(renderer: MailRenderer) -> None:
    hostile = "<script>alert('x')</script> & co"
    context = changes_context(
        general_comment=hostile,
        item_comments=[{"item_position": 2, "activity": "<b>Rapat</b>", "text": hostile}],
    )
    for language in ("id", "en"):
        mail = renderer.render("changes_requested", language, context)
        assert "<script>" not in mail.html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in mail.html
        assert "&lt;b&gt;Rapat&lt;/b&gt;" in mail.html
        assert hostile in mail.text


def test_digest_html_escapes_regency_name(renderer: MailRenderer) -> None:
    mail = digest(renderer, "id", entry(regency_name="<script>x</script>"))
    assert "<script>" not in mail.html
    assert "&lt;script&gt;x&lt;/script&gt;" in mail.html


@pytest.mark.parametrize("language", ["id", "en"])
def test_notice(renderer: MailRenderer, language: str) -> None:
    mail = renderer.render(
        "notice",
        language,
        {
            "recipient_name": "Agustinus Nahak",
            "cycle_name": "Rakor PB NTT 2025",
            "regency_name": "Kabupaten Malaka",
            "title": "Ditolak oleh penandatangan",
            "body": "Bupati Malaka menolak menandatangani.\n\nAlasan: <pagu> belum final.",
            "page_url": PAGE,
        },
    )
    assert mail.subject == "Ditolak oleh penandatangan: Kabupaten Malaka (Rakor PB NTT 2025)"
    assert "Bupati Malaka menolak menandatangani.\n\nAlasan: <pagu> belum final." in mail.text
    assert "Alasan: &lt;pagu&gt; belum final." in mail.html
    assert "Kabupaten Malaka" in mail.html
    assert f"\n{PAGE}\n" in mail.text and f'href="{PAGE}"' in mail.html
    if language == "id":
        assert "Perihal        : Ditolak oleh penandatangan\n" in mail.text
    else:
        assert "Subject      : Ditolak oleh penandatangan\n" in mail.text


def test_subject_is_one_line(renderer: MailRenderer) -> None:
    mail = renderer.render(
        "notice",
        "id",
        {
            "recipient_name": "A",
            "cycle_name": "Siklus\n2026",
            "regency_name": "Kota Kupang",
            "title": "Judul\r\npanjang",
            "body": "Isi.",
            "page_url": PAGE,
        },
    )
    assert mail.subject == "Judul panjang: Kota Kupang (Siklus 2026)"


def test_unknown_language_falls_back_to_indonesian(renderer: MailRenderer) -> None:
    mail = digest(renderer, "fr", entry())
    assert mail.subject.startswith("Pengingat: ")


def test_missing_context_key_fails(renderer: MailRenderer) -> None:
    with pytest.raises(UndefinedError):
        renderer.render("notice", "id", {"recipient_name": "A"})


def test_custom_templates_dir(tmp_path: Path) -> None:
    folder = tmp_path / "email"
    folder.mkdir()
    (folder / "hello.subject.txt").write_text("Hi {{ name }}\n")
    (folder / "hello.txt").write_text("Paid {{ amount | rupiah }} on {{ day | date }}")
    (folder / "hello.html").write_text("<p>{{ amount | number(2) }} {{ name }}</p>")
    mail = MailRenderer(tmp_path).render(
        "hello", "en", {"name": "<Ana>", "amount": 1250000.5, "day": DUE}
    )
    assert mail == RenderedMail(
        subject="Hi <Ana>",
        text="Paid Rp1.250.000 on 20 April 2026\n",
        html="<p>1,250,000.50 &lt;Ana&gt;</p>",
    )


def turn_context(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "recipient_name": "Reviewer BPBD Provinsi NTT",
        "cycle_name": "Rakor PB NTT 2025",
        "regency_name": "Kabupaten Kupang",
        "turn": "submitted",
        "actor_name": "Operator BPBD <Kupang>",
        "version": 2,
        "quarter": None,
        "reason": None,
        "role": "reviewer",
        "page_url": PAGE,
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("language", "subject", "happened", "todo"),
    [
        (
            "id",
            "Rencana aksi diajukan untuk reviu: Kabupaten Kupang (Rakor PB NTT 2025)",
            "Rencana aksi telah diajukan untuk reviu oleh Operator BPBD <Kupang>.",
            "Mohon Bapak/Ibu mereviu rencana aksi ini",
        ),
        (
            "en",
            "Action plan submitted for review: Kabupaten Kupang (Rakor PB NTT 2025)",
            "The action plan has been submitted for review by Operator BPBD <Kupang>.",
            "Please review the action plan",
        ),
    ],
)
def test_turn_notice_names_what_happened_what_to_do_and_links_the_page(
    renderer: MailRenderer, language: str, subject: str, happened: str, todo: str
) -> None:
    mail = renderer.render("turn", language, turn_context())
    assert mail.subject == subject
    assert happened in mail.text and todo in mail.text
    assert "Operator BPBD &lt;Kupang&gt;" in mail.html
    assert f"\n{PAGE}\n" in mail.text and f'href="{PAGE}"' in mail.html
    assert ("Versi          : 2" if language == "id" else "Version      : 2") in mail.text


@pytest.mark.parametrize(
    ("turn", "quarter", "role", "id_subject", "en_subject", "id_todo"),
    [
        (
            "approved",
            None,
            "signatory",
            "Rencana aksi disetujui, menunggu tanda tangan",
            "Action plan approved, awaiting signatures",
            "menandatangani komitmen ini",
        ),
        (
            "signed",
            None,
            "signatory",
            "Giliran tanda tangan",
            "Your turn to sign",
            "menandatangani komitmen ini",
        ),
        (
            "declined",
            None,
            "reviewer",
            "Penandatanganan ditolak",
            "Signature declined",
            "mereviunya kembali",
        ),
        (
            "declined",
            None,
            "regency_officer",
            "Penandatanganan ditolak",
            "Signature declined",
            "Pereviu akan menindaklanjutinya",
        ),
        (
            "fully_signed",
            None,
            "regency_officer",
            "Komitmen ditandatangani lengkap",
            "Commitment fully signed",
            "melaporkan kemajuan rencana aksi setiap triwulan",
        ),
        (
            "fully_signed",
            None,
            "coordinator",
            "Komitmen ditandatangani lengkap",
            "Commitment fully signed",
            "untuk diketahui",
        ),
        (
            "report_submitted",
            3,
            "reviewer",
            "Laporan triwulan III diajukan untuk verifikasi",
            "Q3 report submitted for verification",
            "memverifikasi laporan ini",
        ),
        (
            "report_returned",
            3,
            "regency_officer",
            "Laporan triwulan III dikembalikan",
            "Q3 report returned",
            "memperbaiki laporan",
        ),
        (
            "report_verified",
            3,
            "regency_officer",
            "Laporan triwulan III diverifikasi",
            "Q3 report verified",
            "tidak ada tindakan lagi",
        ),
    ],
)
def test_every_turn_has_its_words_in_both_languages(
    renderer: MailRenderer,
    turn: str,
    quarter: int | None,
    role: str,
    id_subject: str,
    en_subject: str,
    id_todo: str,
) -> None:
    context = turn_context(turn=turn, quarter=quarter, role=role, reason="Data <belum> lengkap")
    indonesian = renderer.render("turn", "id", context)
    english = renderer.render("turn", "en", context)
    assert indonesian.subject.startswith(id_subject + ": Kabupaten Kupang")
    assert english.subject.startswith(en_subject + ": Kabupaten Kupang")
    assert id_todo in indonesian.text
    assert "Alasan:\nData <belum> lengkap" in indonesian.text
    assert "Data &lt;belum&gt; lengkap" in english.html
