"""What a handed-in file is, judged by its content, and why a file is not taken.

`inspect(content, max_bytes=...)` names the kind of a file from its bytes alone (a PDF
named foto.jpg is a PDF; an executable named laporan.pdf is an executable) and returns
what the reviewer may want to know of a photo: its size in pixels and, from its EXIF,
when and where it was taken. Anything else raises `EvidenceRefused` with one of `CODES`:

    empty        no bytes at all
    too_large    more than `max_bytes` (params: size, limit)
    executable   a program: Windows PE ("MZ"), ELF, Mach-O, or a script ("#!")
    wrong_type   none of the five kinds taken, or an Office file with macros
    polyglot     a file that is two things at once (see below)
    bomb         a picture of more than MAX_PIXELS, or a ZIP that unpacks to far more
                 than it holds
    damaged      a cut-off or corrupt photo, PDF or ZIP
    bad_name     a file name that is a path, or holds control characters (`safe_name`)

What the polyglot check catches, and what it does not:

- a JPEG or PNG with anything after the end of its picture (a ZIP, a PDF, a script)
  beyond MAX_TRAILING_ZEROS bytes of zero padding. The end is found by walking the
  file's structure (JPEG segments and entropy-coded data up to its first EOI; PNG chunks
  up to IEND), not by searching for the last FFD9, which appended data can contain or
  forge. Further whole JPEGs after the first are taken: phones append a gain map or a
  depth map that way (Multi-Picture Format, Ultra HDR). A motion photo, whose video
  follows the picture, is refused; the phone's share or export of the still is a plain
  JPEG.
- a JPEG or PNG that holds "%PDF-" anywhere, or that a ZIP reader opens (its end of
  central directory sits within the last 64 KB);
- a PDF whose header does not sit at offset 0 (PDF readers look for it in the first
  kilobyte, so bytes before it make the file something else as well), and any other
  file with "%PDF-" in its first kilobyte;
- a DOCX or XLSX with a member named by an absolute path or with "..", which an
  unpacking tool would write outside its folder (zip slip).

Not caught: a payload inside a photo's own metadata or comment segment, or inside a
PNG text chunk; data after a PDF's "%%EOF" when the file still ends with one; ZIP or
PE bytes inside a PDF's streams (PDFs legitimately embed files). Originals are to be
served as attachments with their inspected media type and `nosniff`; what a phone shows
is `imaging.derivatives`, re-encoded, never the original bytes.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from PIL import Image, UnidentifiedImageError

from domain.calendar import WITA
from domain.refusals import RefusalCode

CODES = (
    "empty",
    "too_large",
    "wrong_type",
    "executable",
    "polyglot",
    "bomb",
    "damaged",
    "bad_name",
)
"""Why a file is not taken (`EvidenceRefused.code`)."""

MAX_PIXELS = 40_000_000
"""The largest picture decoded, in pixels: about 160 MB of memory once decoded. Phones
take 12 MP by default; their 48 or 50 MP modes are above it."""

MAX_TRAILING_ZEROS = 1024
"""Zero bytes tolerated after a picture's end: some tools pad a file to a block size."""

MAX_UNPACKED = 100 * 1024 * 1024
"""The most a DOCX or XLSX may unpack to, all members together (the refusal's words say
100 MB)."""

MAX_RATIO = 100
"""The most a member larger than RATIO_FLOOR may unpack to, per byte packed."""

RATIO_FLOOR = 1024 * 1024
"""Members unpacking to less are not held to MAX_RATIO: small XML compresses very well."""

MAX_NAME = 200
"""The longest file name kept, in characters."""

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_EXECUTABLES = (
    b"MZ",  # Windows PE (and DOS)
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O 32-bit, big-endian
    b"\xfe\xed\xfa\xcf",  # Mach-O 64-bit, big-endian
    b"\xce\xfa\xed\xfe",  # Mach-O 32-bit, little-endian
    b"\xcf\xfa\xed\xfe",  # Mach-O 64-bit, little-endian
    b"\xca\xfe\xba\xbe",  # Mach-O universal (also a Java class file)
    b"#!",  # a script with its interpreter
)
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"
_PDF_HEADER = re.compile(rb"%PDF-[12]\.")
# Bidirectional controls turn "laporan\u202efdp.exe" into what reads as "laporanexe.pdf".
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DRIVE = re.compile(r"^[A-Za-z]:")

# EXIF tags (the standard's numbers; Pillow names them in ExifTags, by number here).
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATE_TIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011
_GPS_LATITUDE_REF, _GPS_LATITUDE, _GPS_LONGITUDE_REF, _GPS_LONGITUDE = 1, 2, 3, 4
_ORIENTATION = 0x0112


class EvidenceRefused(Exception):
    """Why a file is not taken: `code` (one of CODES) and `params` (str/int values)."""

    def __init__(self, code: str, **params: str | int) -> None:
        if code not in CODES:
            raise ValueError(f"unknown evidence refusal {code!r}; one of {', '.join(CODES)}")
        super().__init__(code, params)
        self.code = code
        self.params: dict[str, str | int] = dict(params)

    def __str__(self) -> str:
        return self.code if not self.params else f"{self.code} {self.params}"


@dataclass(frozen=True)
class Inspected:
    """A file taken: its kind by content, its size, and a photo's EXIF time and place.

    `width` and `height` are a photo's as shown, its EXIF orientation applied (a phone's
    portrait photo is taller than wide); None for the documents. `taken_at` is aware:
    the EXIF offset when the camera wrote one, else WITA. Nothing else of the EXIF is
    kept: no camera serial, maker notes or owner name.
    """

    media_type: str
    kind: str
    size: int
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


_REFUSAL_CODES = {
    "empty": RefusalCode.EVIDENCE_EMPTY,
    "too_large": RefusalCode.EVIDENCE_TOO_LARGE,
    "wrong_type": RefusalCode.EVIDENCE_WRONG_TYPE,
    "executable": RefusalCode.EVIDENCE_EXECUTABLE,
    "polyglot": RefusalCode.EVIDENCE_POLYGLOT,
    "bomb": RefusalCode.EVIDENCE_BOMB,
    "damaged": RefusalCode.EVIDENCE_DAMAGED,
    "bad_name": RefusalCode.EVIDENCE_BAD_NAME,
}


def refusal_code(code: str) -> RefusalCode:
    """The refusal words of an evidence refusal code, e.g. "too_large" → EVIDENCE_TOO_LARGE;
    the services raise `refused(refusal_code(e.code), **e.params)` or its like."""
    try:
        return _REFUSAL_CODES[code]
    except KeyError:
        raise ValueError(f"unknown evidence refusal {code!r}; one of {', '.join(CODES)}") from None


def inspect(content: bytes, *, max_bytes: int) -> Inspected:
    """What `content` is, by its bytes alone; EvidenceRefused if it is not taken."""
    if not content:
        raise EvidenceRefused("empty")
    if len(content) > max_bytes:
        # Grouped the way the signed scan's refusal has always shown them.
        raise EvidenceRefused("too_large", size=f"{len(content):,}", limit=f"{max_bytes:,}")
    if content.startswith(_EXECUTABLES):
        raise EvidenceRefused("executable")
    if _PDF_HEADER.match(content):
        return _pdf(content)
    if content.startswith((_JPEG_MAGIC, _PNG_MAGIC)):
        return _photo(content)
    if b"%PDF-" in content[:1024]:
        raise EvidenceRefused("polyglot")
    if content.startswith(_ZIP_MAGIC):
        return _office(content)
    raise EvidenceRefused("wrong_type")


def safe_name(name: str) -> str:
    """The file name as kept: NFC-normalised and stripped; EvidenceRefused("bad_name") for
    a path (any slash or backslash, "..", a drive letter), a control character, nothing
    left, or more than MAX_NAME characters.

    Any slash is refused, not only "../": browsers send the name alone, so a separator
    means a crafted request (or an old browser sending "C:\\...", refused too).
    """
    if any(_is_control(c) for c in name):
        raise EvidenceRefused("bad_name")
    kept = unicodedata.normalize("NFC", name).strip()
    if (
        not kept
        or len(kept) > MAX_NAME
        or "/" in kept
        or "\\" in kept
        or kept in (".", "..")
        or _DRIVE.match(kept)
    ):
        raise EvidenceRefused("bad_name")
    return kept


def _is_control(char: str) -> bool:
    # Cc: C0/C1 controls, NUL and line breaks; Cs: lone surrogates; Zl/Zp: line and
    # paragraph separators. Other format characters (joiners in emoji) are letters' kin.
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or char in _BIDI


# --- photos ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """How large a picture's header says it is, and where its data ends."""

    width: int
    height: int
    end: int


def _photo(content: bytes) -> Inspected:
    """A JPEG or PNG whole, of a sane size, with nothing hidden after it."""
    if b"%PDF-" in content or _opens_as_zip(content):
        raise EvidenceRefused("polyglot")
    is_jpeg = content.startswith(_JPEG_MAGIC)
    layout = _jpeg_layout(content, 0) if is_jpeg else _png_layout(content)
    # The header's size, before Pillow decodes a single pixel.
    if layout.width * layout.height > MAX_PIXELS:
        raise EvidenceRefused("bomb")
    _refuse_trailing(content, layout.end, is_jpeg)
    try:
        with Image.open(io.BytesIO(content), formats=["JPEG" if is_jpeg else "PNG"]) as image:
            image.verify()
        # verify() leaves the image unusable; a fresh open decodes the whole stream, which
        # is what finds a cut-off file (Pillow refuses truncated images by default). A JPEG
        # is decoded at an eighth of its size (`draft`): every byte is still read, at a
        # sixty-fourth of the memory, which keeps an API process small while many upload.
        with Image.open(io.BytesIO(content), formats=["JPEG" if is_jpeg else "PNG"]) as image:
            width, height = image.size
            if is_jpeg:
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            image.load()
            taken_at, latitude, longitude = _exif(image)
            if _turned(image):
                width, height = height, width
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Unreachable below MAX_PIXELS unless Pillow's own limit is lowered; kept so a
        # bomb is never reported as damage.
        raise EvidenceRefused("bomb") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as error:
        raise EvidenceRefused("damaged") from error
    return Inspected(
        media_type=JPEG if is_jpeg else PNG,
        kind="photo",
        size=len(content),
        width=width,
        height=height,
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
    )


def _opens_as_zip(content: bytes) -> bool:
    return zipfile.is_zipfile(io.BytesIO(content))


def _refuse_trailing(content: bytes, end: int, is_jpeg: bool) -> None:
    """Refuse data after the picture: only whole JPEGs (a phone's gain or depth map) and
    a little zero padding may follow."""
    while is_jpeg and content.startswith(_JPEG_MAGIC, end):
        try:
            end = _jpeg_layout(content, end).end
        except EvidenceRefused:
            raise EvidenceRefused("polyglot") from None
    rest = content[end:]
    if rest and (len(rest) > MAX_TRAILING_ZEROS or rest.count(0) != len(rest)):
        raise EvidenceRefused("polyglot")


# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_RST = frozenset(range(0xD0, 0xD8))


def _jpeg_layout(content: bytes, start: int) -> _Layout:
    """Walk a JPEG's segments from its SOI at `start` to its first EOI; "damaged" if the
    file ends first or a segment is malformed."""
    n = len(content)
    pos = start + 2
    size: tuple[int, int] | None = None
    while True:
        if pos >= n or content[pos] != 0xFF:
            raise EvidenceRefused("damaged")
        while pos < n and content[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos >= n:
            raise EvidenceRefused("damaged")
        marker = content[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            if size is None:
                raise EvidenceRefused("damaged")
            return _Layout(width=size[0], height=size[1], end=pos)
        if marker == 0x01 or marker in _RST:  # markers without a length
            continue
        if marker in (0x00, 0xD8) or pos + 2 > n:
            raise EvidenceRefused("damaged")
        length = int.from_bytes(content[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            raise EvidenceRefused("damaged")
        if marker in _SOF:
            if length < 7:
                raise EvidenceRefused("damaged")
            height, width = struct.unpack(">HH", content[pos + 3 : pos + 7])
            size = (width, height)
        pos += length
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            if size is None:
                raise EvidenceRefused("damaged")
            pos = _after_scan(content, pos)


def _after_scan(content: bytes, pos: int) -> int:
    """The offset of the marker that ends an entropy-coded scan starting at `pos`."""
    n = len(content)
    while True:
        found = content.find(b"\xff", pos)
        if found < 0 or found + 1 >= n:
            raise EvidenceRefused("damaged")
        following = content[found + 1]
        if following == 0x00 or following in _RST:  # a stuffed FF, a restart marker
            pos = found + 2
        elif following == 0xFF:  # fill: look at the next byte
            pos = found + 1
        else:
            return found


def _png_layout(content: bytes) -> _Layout:
    """Walk a PNG's chunks to IEND; "damaged" if the file ends first."""
    n = len(content)
    if n < 33 or content[12:16] != b"IHDR":
        raise EvidenceRefused("damaged")
    width, height = struct.unpack(">II", content[16:24])
    pos = 8
    while True:
        if pos + 8 > n:
            raise EvidenceRefused("damaged")
        length, kind = struct.unpack(">I4s", content[pos : pos + 8])
        end = pos + 12 + length  # length, type, data, CRC
        if end > n:
            raise EvidenceRefused("damaged")
        if kind == b"IEND":
            return _Layout(width=width, height=height, end=end)
        pos = end


def _turned(image: Image.Image) -> bool:
    """Whether the EXIF orientation turns the picture a quarter (5 to 8)."""
    try:
        return image.getexif().get(_ORIENTATION) in (5, 6, 7, 8)
    except _EXIF_ERRORS:
        return False


# A camera's EXIF is sometimes malformed; that loses its time or place, never the photo.
_EXIF_ERRORS = (ValueError, TypeError, KeyError, IndexError, OSError, struct.error, SyntaxError)


def _exif(image: Image.Image) -> tuple[datetime | None, float | None, float | None]:
    """DateTimeOriginal and the GPS position, and nothing else of the EXIF."""
    try:
        exif = image.getexif()
        exif_ifd = exif.get_ifd(_EXIF_IFD)
        gps = exif.get_ifd(_GPS_IFD)
    except _EXIF_ERRORS:
        return None, None, None
    taken_at = _taken_at(exif_ifd.get(_DATE_TIME_ORIGINAL), exif_ifd.get(_OFFSET_TIME_ORIGINAL))
    latitude = _degrees(gps.get(_GPS_LATITUDE), gps.get(_GPS_LATITUDE_REF), "S", 90)
    longitude = _degrees(gps.get(_GPS_LONGITUDE), gps.get(_GPS_LONGITUDE_REF), "W", 180)
    if latitude is None or longitude is None:
        return taken_at, None, None
    return taken_at, latitude, longitude


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ") if isinstance(value, str) else None


def _taken_at(value: object, offset: object) -> datetime | None:
    """EXIF "YYYY:MM:DD HH:MM:SS", aware: its OffsetTimeOriginal ("+08:00") or WITA,
    where the officers and their phones are (Asia/Makassar, UTC+8 all year)."""
    text = _text(value)
    if not text:
        return None
    try:
        naive = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone: timezone = WITA
    match = re.fullmatch(r"([+-])(\d\d):(\d\d)", _text(offset) or "")
    if match and int(match[2]) <= 14 and int(match[3]) < 60:
        delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
        zone = timezone(-delta if match[1] == "-" else delta)
    return naive.replace(tzinfo=zone)


def _degrees(value: object, ref: object, negative: str, bound: float) -> float | None:
    """EXIF degrees, minutes and seconds as signed decimal degrees; None if unreadable."""
    try:
        parts = [float(part) for part in value]  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if len(parts) != 3:
        return None
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if not 0 <= degrees <= bound:  # also False for NaN (a zero denominator)
        return None
    return -degrees if (_text(ref) or "").upper() == negative else degrees


# --- PDF ---------------------------------------------------------------------------------


def _pdf(content: bytes) -> Inspected:
    """A PDF that starts with its header and ends with %%EOF; a cut-off upload does not."""
    if b"%%EOF" not in content[-1024:]:
        raise EvidenceRefused("damaged")
    return Inspected(media_type=PDF, kind="pdf", size=len(content))


# --- DOCX and XLSX -----------------------------------------------------------------------


def _office(content: bytes) -> Inspected:
    """A DOCX or XLSX: an Office Open XML ZIP without macros, safe to unpack.

    Only the ZIP's directory is read, and [Content_Types].xml (at most 1 MB of it): the
    sizes it declares are what a bomb is judged by, and no member is unpacked here.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            if "[Content_Types].xml" not in names:
                raise EvidenceRefused("wrong_type")
            _refuse_unsafe_members(members)
            with archive.open("[Content_Types].xml") as types:
                content_types = types.read(1024 * 1024)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        raise EvidenceRefused("damaged") from error
    except NotImplementedError as error:  # a compression method zipfile cannot read
        raise EvidenceRefused("wrong_type") from error
    if b"macroenabled" in content_types.lower() or any(
        name.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for name in names
    ):
        raise EvidenceRefused("wrong_type")
    if "word/document.xml" in names:
        return Inspected(media_type=DOCX, kind="docx", size=len(content))
    if "xl/workbook.xml" in names:
        return Inspected(media_type=XLSX, kind="xlsx", size=len(content))
    raise EvidenceRefused("wrong_type")  # a plain ZIP, a PPTX, an ODT


def _refuse_unsafe_members(members: list[zipfile.ZipInfo]) -> None:
    """Zip slip is a polyglot (a document that is also an installer); a bomb is a bomb."""
    for member in members:
        parts = re.split(r"[/\\]", member.filename)
        if member.filename.startswith(("/", "\\")) or _DRIVE.match(member.filename):
            raise EvidenceRefused("polyglot")
        if ".." in parts:
            raise EvidenceRefused("polyglot")
    if sum(member.file_size for member in members) > MAX_UNPACKED:
        raise EvidenceRefused("bomb")
    for member in members:
        packed = max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * packed:
            raise EvidenceRefused("bomb")
