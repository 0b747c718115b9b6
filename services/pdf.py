"""The signed documents as PDF: a regency's action plan and the cycle's joint commitment.

fpdf2 writes them (pure Python, no system libraries; docs/pdf.md says why), in DejaVu
Sans bundled in `services/fonts/`, since what people type may hold any character and
the PDF core fonts know only Latin-1. A PDF shows what the printed HTML page shows:
every field of every item with exact amounts, the signature blocks, the document
hash, the head of the cycle's audit chain, and a QR code with the short verification
code. The same document always gives the same bytes: the creation date is the
document's own (its last signature), never the clock, because verifiers are shown the
file's SHA-256.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, VAlign, XPos, YPos
from fpdf.fonts import FontFace

from db import models as m
from domain.audit import ChainHead
from domain.catalog import load_catalog
from domain.display import QUARTER_NUMERALS, Language, format_amount, normalize_language
from domain.document import verification_code
from domain.plan import (
    BUDGET_SOURCE_LABELS,
    ISSUE_LABELS,
    PARTNER_LABELS,
    PHASE_LABELS,
    StrategicIssue,
)
from domain.words import by_value
from services import item_details
from services.documents import (
    WORDS,
    JointCommitment,
    PlanDocument,
    SignatureBlock,
    listed,
    stage_words,
)

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
MARGIN = 12.0  # mm, as the HTML documents' @page
GREY = (235, 235, 235)

# Each label is the one the pages show (`domain.words`).
PHASES = by_value(PHASE_LABELS)
PARTNERS = by_value(PARTNER_LABELS)
SOURCES = by_value(BUDGET_SOURCE_LABELS)

# Column widths of the plan's table in mm, 273 in all (A4 landscape less the margins).
PLAN_COLUMNS = (
    ("no", 8),
    ("issue", 25),
    ("phase", 22),
    ("activity", 40),
    ("indicator", 30),
    ("target", 17),
    ("quarters", 15),
    ("responsible", 24),
    ("partners", 22),
    ("budget", 28),
    ("source", 18),
    ("location", 24),
)
TABLE_POINTS = 7.5
LINE = 3.4  # mm per line of table text
PADDING = 1.0
DETAIL_FACE = FontFace(size_pt=TABLE_POINTS - 0.5, color=(60, 60, 60))
"""An item's line of details under its row: a little smaller and greyer than the row."""


class Document(FPDF):
    """An A4 page in DejaVu Sans with "Halaman i dari n" and a line naming the document."""

    def __init__(self, orientation: str, language: Language, running_title: str) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.language = language
        self.running_title = running_title
        self.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, 14, MARGIN)
        self.set_auto_page_break(True, margin=16)
        self.set_lang(language)
        self.set_creator("Komitmen")
        self.set_font(FAMILY, size=10)

    def footer(self) -> None:
        """The document's name on the left and the page count on the right of every page."""
        self.set_y(-11)
        self.set_font(FAMILY, size=7)
        self.set_text_color(80)
        width = self.w - 2 * MARGIN
        self.cell(width * 0.75, 4, self.running_title, align=Align.L)
        pages = WORDS[self.language]["page_of"].format(page=self.page_no(), pages="{nb}")
        self.cell(width * 0.25, 4, pages, align=Align.R)
        self.set_text_color(0)

    def text_width(self) -> float:
        """The width between the margins."""
        return self.w - self.l_margin - self.r_margin

    def room(self) -> float:
        """What is left of the page above the bottom margin."""
        return self.page_break_trigger - self.y

    def keep(self, height: float) -> None:
        """Start a new page unless `height` still fits on this one."""
        if height > self.room():
            self.add_page()

    def paragraph(self, text: str, size: float = 10, *, bold: bool = False, **kw: Any) -> None:
        """A paragraph of wrapped text across the page."""
        self.set_font(FAMILY, "B" if bold else "", size)
        self.multi_cell(0, size * 0.45, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, **kw)

    def left_lines(self, width: float, height: float, text: str) -> None:
        """Wrapped text `width` wide from the current x, aligned left; then the line below."""
        self.multi_cell(width, height, text, new_x=XPos.LEFT, new_y=YPos.NEXT, align=Align.L)

    def lines_of(self, text: str, width: float) -> list[str]:
        """How the current font wraps `text` in a box `width` wide."""
        lines = self.multi_cell(width, LINE, text, dry_run=True, output="LINES", padding=0)
        assert isinstance(lines, list)  # what output="LINES" returns
        return [str(line) for line in lines] or [""]


def qr_code(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code of `url` as one filled path of rectangles: crisp at any zoom, no seams."""
    qr = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in qr.matrix]
    border = 4  # the quiet zone a reader needs, in modules
    module = size / (len(rows) + 2 * border)
    with pdf.new_path() as path:
        path.style.fill_color = "#000000"
        path.style.stroke_color = None
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rectangle(
                    x + (border + start) * module,
                    y + (border + r) * module,
                    (c - start) * module,
                    module,
                )


def verification_panel(
    pdf: Document, *, document_hash: str, hash_label: str, verify_url: str, notes: Sequence[str]
) -> None:
    """The hash, notes (format, chain head), and the QR code with the code beside it."""
    words = WORDS[pdf.language]
    code = verification_code(document_hash)
    site = verify_url.rsplit("/", 1)[0]
    qr_size = 32.0
    text_x = pdf.l_margin + qr_size + 4
    text_width = pdf.w - pdf.r_margin - text_x
    pdf.set_font(FAMILY, size=8)
    note_lines = sum(len(pdf.lines_of(n, text_width)) for n in notes)
    pdf.keep(max(qr_size, 26 + note_lines * 3.6) + 6)
    pdf.ln(3)
    pdf.set_draw_color(0)
    pdf.line(pdf.l_margin, pdf.y, pdf.w - pdf.r_margin, pdf.y)
    pdf.ln(2)
    top = pdf.y
    qr_code(pdf, verify_url, pdf.l_margin, top, qr_size)
    pdf.set_xy(text_x, top + 2)
    pdf.set_font(FAMILY, "B", 8)
    pdf.left_lines(text_width, 3.6, f"{hash_label}:")
    pdf.set_font(FAMILY, "", 8)
    pdf.left_lines(text_width, 3.6, document_hash)
    for note in notes:
        pdf.left_lines(text_width, 3.6, note)
    pdf.set_xy(text_x, pdf.y + 1.5)
    pdf.set_font(FAMILY, "", 9)
    pdf.left_lines(text_width, 4.2, words["verify"].format(site=site))
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(text_width, 7, code, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.y, top + qr_size))


SIGN_LINE = 4.2  # mm per line of a signature block
SIGN_SPACE = 14.0  # mm left blank to sign in


def block_lines(
    pdf: Document, blocks: Sequence[SignatureBlock], width: float
) -> tuple[int, int, int]:
    """The most lines a place, a title and a name take in a row of blocks `width` mm wide."""
    pdf.set_font(FAMILY, size=9)
    place = max((len(pdf.lines_of(b.place_and_date, width - 2)) for b in blocks), default=1)
    title = max((len(pdf.lines_of(heading(b), width - 2)) for b in blocks), default=1)
    pdf.set_font(FAMILY, "B", 9)
    name = max((len(pdf.lines_of(b.name, width - 2)) for b in blocks), default=1)
    return place, title, name


def heading(block: SignatureBlock) -> str:
    """The office's title, and an a.n. signer's own title on the line below it."""
    return f"{block.title}\n{block.own_title}" if block.own_title else block.title


def row_height(pdf: Document, blocks: Sequence[SignatureBlock], width: float) -> float:
    """How tall a row of signature blocks `width` mm wide is, pangkat and NIP lines included."""
    place, title, name = block_lines(pdf, blocks, width)
    return SIGN_LINE * (place + title + name + 2) + SIGN_SPACE


def signature_row(pdf: Document, blocks: Sequence[SignatureBlock], width: float) -> None:
    """Signature blocks side by side, `width` mm each; names line up under the longest title."""
    place, title, name = block_lines(pdf, blocks, width)
    height = row_height(pdf, blocks, width)
    pdf.keep(height + 2)
    top = pdf.y
    names_at = top + SIGN_LINE * (place + title) + SIGN_SPACE
    for n, block in enumerate(blocks):
        x = pdf.l_margin + n * width
        pdf.set_xy(x, top)
        pdf.set_font(FAMILY, "", 9)
        pdf.left_lines(width - 2, SIGN_LINE, block.place_and_date)
        pdf.set_xy(x, top + SIGN_LINE * place)
        pdf.left_lines(width - 2, SIGN_LINE, heading(block))
        pdf.set_xy(x, names_at)
        pdf.set_font(FAMILY, "BU", 9)
        pdf.left_lines(width - 2, SIGN_LINE, block.name)
        pdf.set_xy(x, names_at + SIGN_LINE * name)
        pdf.set_font(FAMILY, "", 9)
        if block.pangkat:
            pdf.cell(width - 2, SIGN_LINE, block.pangkat)
            pdf.set_xy(x, names_at + SIGN_LINE * (name + 1))
        if block.nip:
            pdf.cell(width - 2, SIGN_LINE, f"NIP. {block.nip}")
    pdf.set_xy(pdf.l_margin, top + height)


def acknowledgment_block(pdf: Document, block: SignatureBlock) -> None:
    """The "Mengetahui," block, centred under the parties' signatures, signed on paper."""
    width = pdf.text_width() / 3
    pdf.ln(4)
    margin = pdf.l_margin
    pdf.set_left_margin(margin + width)
    try:
        signature_row(pdf, [block], width)
    finally:
        pdf.set_left_margin(margin)
    pdf.set_x(margin)


def signature_blocks(pdf: Document, blocks: Sequence[SignatureBlock], per_row: int) -> None:
    """Every signature block, `per_row` to a row across the page."""
    width = pdf.text_width() / per_row
    for first in range(0, len(blocks), per_row):
        signature_row(pdf, blocks[first : first + per_row], width)


def most_lines(text: str, width: float) -> int:
    """At most how many lines `text` wraps to in a table cell `width` mm wide, unmeasured."""
    # No glyph of DejaVu Sans is wider than 1.2 em: a cheap bound spares measuring the
    # short texts, which are nearly all of them.
    per_line = max(1, int(width / (1.2 * TABLE_POINTS * 25.4 / 72)))
    return len(text) // per_line + text.count("\n") + 1


def split_rows(pdf: Document, cells: Sequence[str], widths: Sequence[float]) -> list[list[str]]:
    """One item's row, or several when its text is taller than a page would hold.

    fpdf2 never breaks a table row across pages, so an item whose text runs longer than
    about half a page (an activity may hold 2,000 characters) goes on in rows of its own.
    """
    most = int((pdf.h - 60) / LINE / 2)
    inner = [w - 2 * PADDING - 0.5 for w in widths]
    if all(most_lines(text, w) <= most for text, w in zip(cells, inner, strict=True)):
        return [list(cells)]
    pdf.set_font(FAMILY, size=TABLE_POINTS)
    wrapped = [pdf.lines_of(text, w) for text, w in zip(cells, inner, strict=True)]
    tallest = max(len(lines) for lines in wrapped)
    if tallest <= most:
        return [list(cells)]
    rows = [["\n".join(lines[n : n + most]) for lines in wrapped] for n in range(0, tallest, most)]
    for row in rows[1:]:
        row[0] = row[0] or cells[0]  # each continuation says which item it continues
    return rows


def item_cells(item: m.ActionItem, language: Language) -> list[str]:
    """The printed fields of one action item, in the table's column order."""
    try:
        issue = ISSUE_LABELS[language][StrategicIssue(item.strategic_issue)]
    except ValueError:
        issue = item.strategic_issue
    quarters = ", ".join(QUARTER_NUMERALS.get(int(q), str(q)) for q in item.due_quarters)
    partners = ", ".join(PARTNERS[language].get(p, p) for p in item.partners)
    return [
        str(item.position),
        issue,
        PHASES[language].get(item.phase, item.phase),
        item.activity,
        item.indicator,
        f"{format_amount(item.target_value, language)} {item.target_unit}",
        quarters,
        item.responsible_unit,
        partners or "—",
        format_amount(item.budget_rp, language, rupiah=True),
        SOURCES[language].get(item.budget_source, item.budget_source),
        item.location,
    ]


def items_table(pdf: Document, items: Sequence[m.ActionItem]) -> None:
    """The plan's items, the heading repeated at the top of every page the table runs onto."""
    words = WORDS[pdf.language]
    widths = [w for _, w in PLAN_COLUMNS]
    align = ["C"] + ["L"] * 8 + ["R", "L", "L"]
    # An item's carried-over mark, baseline, quarter targets and outcomes go on a line of
    # their own under its row, across the table, so the twelve columns stay as they were.
    rows: list[tuple[list[str], bool]] = []
    for item in items:
        rows += [(r, False) for r in split_rows(pdf, item_cells(item, pdf.language), widths)]
        details = item_details.detail_lines(item, pdf.language)
        if details:
            rows.append((["\n".join(details)], True))
    pdf.set_font(FAMILY, size=TABLE_POINTS)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align=Align.L,
        line_height=LINE,
        padding=PADDING,
        text_align=tuple(align),
        v_align=VAlign.T,
        borders_layout=TableBordersLayout.ALL,
        headings_style=FontFace(emphasis="BOLD", fill_color=GREY),
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for key, _ in PLAN_COLUMNS:
            heading.cell(words[key], align=Align.C)
        for cells, detail in rows:
            row = table.row()
            if detail:
                row.cell(cells[0], align=Align.L, colspan=len(widths), style=DETAIL_FACE)
                continue
            for text in cells:
                row.cell(text)


def date_stamp(moment: datetime) -> datetime:
    """The document's own moment to the second, the creation date a PDF records."""
    return moment.replace(microsecond=0)


def finish(
    pdf: Document, *, created: datetime, title: str, subject: str, keywords: list[str]
) -> bytes:
    """The metadata, then the bytes: the same document always gives the same ones."""
    pdf.set_title(title)
    pdf.set_subject(subject)
    pdf.set_author(load_catalog().province.disaster_agency)
    pdf.set_keywords(keywords)
    pdf.set_creation_date(date_stamp(created))
    return bytes(pdf.output())


def chain_note(chain: ChainHead | None, language: Language) -> list[str]:
    """The line naming the cycle's audit chain head, if the cycle has one."""
    if chain is None:
        return []
    words = WORDS[language]
    return [f"{words['chain_head']}: {chain.hash} ({chain.length} {words['chain_entries']})"]


def metadata(document_hash: str, chain: ChainHead | None, **more: object) -> list[str]:
    """What a verifier's tools read from the file's Keywords: `name=value` pairs."""
    pairs = {"document-hash": document_hash, **more}
    pairs["verification-code"] = verification_code(document_hash)
    if chain is not None:
        pairs["chain-head"] = chain.hash
        pairs["chain-length"] = chain.length
    return [f"{name}={value}" for name, value in pairs.items()]


def plan_pdf(document: PlanDocument, *, verify_url: str, language: str = "id") -> bytes:
    """A regency's approved, signed action plan as an A4 landscape PDF."""
    lang = normalize_language(language)
    words = WORDS[lang]
    row, cycle = document.row, document.cycle
    agency = load_catalog().province.disaster_agency
    title = words["plan_title"].format(regency=row.regency_name)
    code = verification_code(document.document_hash)
    running = f"{title} · {words['version']} {row.approved_version} · {code}"
    pdf = Document("landscape", lang, running)
    pdf.add_page()
    pdf.paragraph(agency.upper(), 10, bold=True, align=Align.C)
    pdf.paragraph(title.upper(), 13, bold=True, align=Align.C)
    pdf.paragraph(
        f"{words['cycle']}: {cycle.name} ({cycle.year}) · {words['version']} "
        f"{row.approved_version}",
        10,
        align=Align.C,
    )
    pdf.ln(4)
    items_table(pdf, document.items)
    pdf.ln(6)
    signature_blocks(pdf, document.blocks, per_row=3)
    fmt = int(document.document_format)
    verification_panel(
        pdf,
        document_hash=document.document_hash,
        hash_label=f"{words['document_hash']}, {words['document_format'].format(format=fmt)}",
        verify_url=verify_url,
        notes=chain_note(document.chain, lang),
    )
    return finish(
        pdf,
        created=document.issued_at,
        title=title,
        subject=f"{title} · {cycle.name} ({cycle.year})",
        keywords=metadata(
            document.document_hash,
            document.chain,
            **{"document-format": fmt, "cycle": cycle.id, "regency": row.regency_code},
        ),
    )


def joint_pdf(document: JointCommitment, *, verify_url: str, language: str = "id") -> bytes:
    """The cycle's joint commitment, every regency with its signatures, as an A4 portrait PDF."""
    lang = normalize_language(language)
    words = WORDS[lang]
    cycle = document.cycle
    agency = load_catalog().province.disaster_agency
    cycle_hash = document.cycle_hash
    code = verification_code(cycle_hash)
    running = f"{words['title']} · {cycle.name} ({cycle.year}) · {code}"
    pdf = Document("portrait", lang, running)
    pdf.add_page()
    pdf.paragraph(agency.upper(), 10, bold=True, align=Align.C)
    pdf.paragraph(words["title"], 14, bold=True, align=Align.C)
    pdf.paragraph(f"{words['cycle']}: {cycle.name} ({cycle.year})", 10, align=Align.C)
    pdf.ln(4)
    preamble = words["preamble"].format(
        meeting=cycle.name,
        agency=agency,
        regencies=listed(document.regency_names, words["and"]),
        year=cycle.year,
        phases=listed([p.lower() for p in PHASES[lang].values()], words["and"]),
    )
    pdf.paragraph(preamble, 10, align=Align.J)
    pdf.ln(1)
    for n, issue in enumerate(ISSUE_LABELS[lang].values(), start=1):
        pdf.set_x(pdf.l_margin + 6)
        pdf.set_font(FAMILY, size=10)
        pdf.cell(0, 4.8, f"{n}. {issue}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    block_width = pdf.text_width() / 3
    for n, regency in enumerate(document.regencies, start=1):
        # A regency's heading stays with (at least the first row of) its signatures.
        first_row = regency.blocks[:3]
        pdf.keep(22 + (row_height(pdf, first_row, block_width) + 2 if first_row else 0))
        pdf.ln(4)
        pdf.paragraph(f"{n}. {regency.name} ({regency.code})", 11, bold=True)
        status = f"{words['stage']}: {stage_words(regency.row, lang)}"
        if regency.row is not None and regency.row.approved_version:
            status += f" · {words['version']} {regency.row.approved_version}"
        pdf.paragraph(status, 9)
        if regency.document_hash:
            pdf.paragraph(f"{words['document_hash']}: {regency.document_hash}", 8)
        else:
            unsigned = words["unsigned"]
            if regency.blocks:
                count = words["signed_count"].format(
                    signed=len(regency.blocks), required=document.required
                )
                unsigned += f" ({count})"
            pdf.paragraph(f"{words['document_hash']}: {unsigned}", 8)
        if regency.blocks:
            pdf.ln(2)
            signature_blocks(pdf, regency.blocks, per_row=3)
        pdf.ln(2)
    if document.acknowledgment is not None:
        acknowledgment_block(
            pdf, replace(document.acknowledgment, place_and_date=words["acknowledged"])
        )
    verification_panel(
        pdf,
        document_hash=cycle_hash,
        hash_label=words["cycle_hash"],
        verify_url=verify_url,
        notes=[words["cycle_hash_rule"], *chain_note(document.chain, lang)],
    )
    return finish(
        pdf,
        created=document.issued_at,
        title=f"{words['title']} · {cycle.name} ({cycle.year})",
        subject=f"{words['title']} · {cycle.name} ({cycle.year})",
        keywords=metadata(
            cycle_hash, document.chain, **{"document-format": "cycle", "cycle": cycle.id}
        ),
    )
