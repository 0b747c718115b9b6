"""Evidence files built in the tests: photos with EXIF, PDFs, DOCX and XLSX, and hostile ones."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable

from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image, ImageCms

SERIAL = "SN-KOMITMEN-0042"
"""A camera serial number planted in the EXIF; it must never come out again."""

OWNER = "Yohanes Pemilik Kamera"
"""A camera owner's name planted in the EXIF."""


def photo_exif(
    *,
    orientation: int | None = None,
    taken: str | None = "2026:03:14 09:30:00",
    offset: str | None = None,
    gps: tuple[str, tuple[float, float, float], str, tuple[float, float, float]] | None = (
        "S",
        (10.0, 10.0, 37.92),
        "E",
        (123.0, 36.0, 25.2),
    ),
) -> Image.Exif:
    """EXIF as a phone writes it: time, place, and the camera's serial and owner."""
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    exif[0x0110] = "Model X"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    if taken is not None:
        sub[0x9003] = taken  # DateTimeOriginal
    if offset is not None:
        sub[0x9011] = offset  # OffsetTimeOriginal
    sub[0xA430] = OWNER  # CameraOwnerName
    sub[0xA431] = SERIAL  # BodySerialNumber
    if gps is not None:
        place = exif.get_ifd(0x8825)
        place[1], place[2], place[3], place[4] = gps
    return exif


def jpeg(
    size: tuple[int, int] = (64, 48),
    *,
    exif: Image.Exif | None = None,
    icc: bytes | None = None,
    colour: tuple[int, int, int] = (200, 60, 20),
) -> bytes:
    """A JPEG of one colour with a diagonal stripe (so orientation shows)."""
    picture = Image.new("RGB", size, colour)
    for i in range(min(size)):
        picture.putpixel((i, i), (0, 0, 255))
    out = io.BytesIO()
    extra: dict[str, object] = {}
    if exif is not None:
        extra["exif"] = exif
    if icc is not None:
        extra["icc_profile"] = icc
    picture.save(out, format="JPEG", quality=90, **extra)
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), *, mode: str = "RGBA") -> bytes:
    """A PNG, by default with transparency."""
    colour: object = (30, 120, 200, 128) if mode == "RGBA" else 1000 if mode == "I;16" else 128
    picture = Image.new(mode, size, colour)  # type: ignore[arg-type]
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def srgb_profile() -> bytes:
    """An ICC profile as a photo embeds one."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A valid one-bit PNG of `width` x `height` black pixels, compressed row by row so
    that building it never holds the picture: a few dozen KB for hundreds of megapixels."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims `width` x `height`."""
    content = bytearray(jpeg())
    sof = content.index(b"\xff\xc0")
    content[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(content)


def pdf(text: str = "Daftar hadir simulasi evakuasi, Desa Oelnasi") -> bytes:
    """A one-page PDF written by fpdf2."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def handmade_pdf(version: bytes = b"1.4") -> bytes:
    """The smallest PDF a reader opens, written by hand."""
    return (
        b"%PDF-" + version + b"\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def zipped(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP (deflated) of the members."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def content_types(main: str, *, macros: bool = False) -> bytes:
    """[Content_Types].xml naming the main part's type."""
    kind = {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    }[main]
    if macros:
        kind = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/main" ContentType="' + kind.encode() + b'"/></Types>'
    )


def docx(extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    """A minimal DOCX: its content types, relationships and document."""
    return zipped(
        [
            ("[Content_Types].xml", content_types("docx")),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", b"<w:document><w:body><w:p/></w:body></w:document>"),
            *extra,
        ]
    )


def xlsx() -> bytes:
    """A real XLSX, written by openpyxl."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Kegiatan", "Peserta"])
    sheet.append(["Simulasi evakuasi", 42])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_macros(content: bytes) -> bytes:
    """An Office file with a VBA project added, as Excel saves an .xlsm."""
    out = io.BytesIO(content)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro storage")
    return out.getvalue()


def streamed_zip(name: str, megabytes: int, extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    """A ZIP holding `megabytes` MB of zeros under `name`, compressed as written so the
    zeros are never all in memory: the classic bomb, some 1000 to 1."""
    out = io.BytesIO()
    block = b"\x00" * (1024 * 1024)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in extra:
            archive.writestr(member, data)
        with archive.open(name, "w", force_zip64=True) as sink:
            for _ in range(megabytes):
                sink.write(block)
    return out.getvalue()
