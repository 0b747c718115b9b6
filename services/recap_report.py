"""The province recap as a report the province sends up (to the Gubernur), and as a flat file.

`services.recap` computes the figures; this module words and lays them out, for the
page, the XLSX and the CSV alike:

- which quarter a recap shows when none is asked for (`default_quarter`): the latest
  whose report deadline has passed, else Triwulan I. A recap is read once reports are
  in, so before the first deadline Triwulan I (the one being worked on) is the one to see;
- the period a recap covers ("Triwulan I Tahun 2027 (s.d. 31 Maret 2027)");
- the XLSX (`recap_xlsx`): a titled report on one A4 landscape sheet, fit to the page's
  width, with its heading (title, province, cycle, period, when it was made, in WITA),
  a summary, one block per section with a bold total row, numbers kept as numbers
  (Rp `#,##0`, percents `0.00`), the column headings repeated on every printed page,
  and notes (the reference lists' sources, what the figures mean, who is not counted);
- the CSV (`recap_csv`): one row per group, totals included, UTF-8 with a BOM, as every
  export (`services.exports.to_csv`, which also keeps text from being read as a formula).

Everything people read is in `domain.words` (Bahasa Indonesia by default, English too).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from db import models as m
from db import reads
from domain.display import QUARTER_NUMERALS, Language, format_date, format_deadline
from domain.outcomes import references
from domain.schedule import ResolvedSchedule, quarter_end
from domain.words import NC_, by_language
from services.access import AuthUser
from services.cycles import get_cycle
from services.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Cell, Column, Table, to_csv
from services.recap import TOTAL, Drill, Figures, Group, Kind, Recap, province_recap
from services.schemas import (
    RecapDrillOut,
    RecapFiguresOut,
    RecapGroupOut,
    RecapItemOut,
    RecapOut,
    RecapSectionOut,
)

WORDS = {
    "title": NC_(
        "recap.title",
        "Recapitulation of the achievements of the disaster management action plans",
    ),
    "province": NC_("recap.province", "Province of East Nusa Tenggara"),
    "page_title": NC_("recap.page_title", "Province recap"),
    "period": NC_("recap.period", "Quarter {quarter} of {year} (to {end})"),
    "generated": NC_("recap.generated", "Made on {when}"),
    "cycle": NC_("recap.cycle", "Cycle: {name} ({year})"),
    "summary": NC_("recap.summary", "Summary"),
    "counted": NC_("recap.counted", "Parties counted (signed action plan)"),
    "counted_of": NC_("recap.counted_of", "{counted} of {parties}"),
    "code": NC_("recap.code", "Code"),
    "label": NC_("recap.label", "Description"),
    "items": NC_("recap.items", "Actions"),
    "parties": NC_("recap.parties", "Parties"),
    "budget": NC_("recap.budget", "Budget (Rp)"),
    "realised_rp": NC_("recap.realised_rp", "Budget realised (Rp)"),
    "realised_percent": NC_("recap.realised_percent", "Budget realised (%)"),
    "progress": NC_("recap.progress", "Mean verified progress (%)"),
    "done": NC_("recap.done", "Actions done (100%)"),
    "behind_items": NC_("recap.behind_items", "Actions behind"),
    "behind_parties": NC_("recap.behind_parties", "Parties behind"),
    "behind": NC_("recap.behind", "Behind schedule"),
    "carried": NC_("recap.carried", "Carried over"),
    "section": NC_("recap.section", "Section"),
    "kind": NC_("recap.kind", "Kind"),
    "indicator": NC_("recap.indicator", "Indicator {indicator} (priority {priority}: {name})"),
    "notes": NC_("recap.notes", "Notes"),
    "note_sources": NC_("recap.note_sources", "Reference lists: {name}: {source}."),
    "note_progress": NC_(
        "recap.note_progress",
        "Verified progress: the percent realised in each action's latest quarterly report "
        "verified by BPBD Provinsi, up to this quarter; an action without one counts as 0%. "
        "Budget realised comes from the same report.",
    ),
    "note_behind": NC_(
        "recap.note_behind",
        "Behind schedule: an action whose verified progress is below its cumulative target "
        "for this quarter (without quarterly targets: below 100% from its last quarter of "
        "delivery on).",
    ),
    "note_once": NC_(
        "recap.note_once",
        "An action serving several outcomes of one kind counts in each of their rows; the "
        "total row counts it once. Actions of signed action plans only.",
    ),
    "note_not_counted": NC_(
        "recap.note_not_counted",
        "Not counted (no signed action plan yet): {parties}.",
    ),
    "note_all_counted": NC_("recap.note_all_counted", "Every party's signed action plan counts."),
    "page_of": NC_("recap.page_of", "Page &P of &N"),
}
TEXT: dict[Language, dict[str, str]] = by_language(WORDS)
"""The recap's words in each language, for the page as for the files."""

SOURCE_NAMES = {
    "spm": Kind.SPM,
    "ikd": Kind.IKD,
    "sendai": Kind.SENDAI,
    "destana_levels": Kind.DESTANA,
}
"""The reference lists whose source the notes name, and the section each feeds."""

COLUMNS = (
    ("code", 9, None),
    ("label", 44, None),
    ("items", 8, "#,##0"),
    ("parties", 8, "#,##0"),
    ("budget", 16, "#,##0"),
    ("realised_rp", 16, "#,##0"),
    ("realised_percent", 10, "0.00"),
    ("progress", 11, "0.00"),
    ("done", 9, "#,##0"),
    ("behind_items", 9, "#,##0"),
    ("behind_parties", 9, "#,##0"),
    ("carried", 9, "#,##0"),
)
"""The report's columns: the word heading it, its width in characters, its number format."""


def recap_clock(session: Session, cycle: m.Cycle, now: datetime) -> datetime:
    """The cycle's clock: the later of now and the last change recorded (a demo's workflows
    may run ahead of the wall clock), as the manager view measures it."""
    changes = [row.updated_at for row in reads.list_commitments(session, cycle_id=cycle.id)]
    return max([now.astimezone(UTC), *(c.astimezone(UTC) for c in changes)])


def default_quarter(cycle: m.Cycle, at: datetime) -> int:
    """The latest quarter whose report deadline has passed at `at`, else 1 (module docstring)."""
    schedule = ResolvedSchedule.model_validate(cycle.spec["schedule"])
    passed = [q.quarter for q in schedule.quarters if q.report_due <= at]
    return max(passed, default=1)


def period_end(cycle: m.Cycle, quarter: int) -> date:
    """The last day of the recap's quarter in the cycle's year."""
    return quarter_end(cycle.year, quarter)


def period(cycle: m.Cycle, quarter: int, language: Language) -> str:
    """ "Triwulan I Tahun 2027 (s.d. 31 Maret 2027)"."""
    return TEXT[language]["period"].format(
        quarter=QUARTER_NUMERALS[quarter],
        year=cycle.year,
        end=format_date(period_end(cycle, quarter), language),
    )


def group_label(group: Group, language: Language) -> str:
    """A group's name as read beside its code (`shown_code`): without the code the
    reference list's name starts with, and an IKD indicator with its priority's name."""
    if group.code == TOTAL:
        return group.label
    if group.kind is Kind.IKD_INDICATOR:
        priority, indicator = group.code.split(".")
        name = references().ikd[int(priority)].name(language)
        return TEXT[language]["indicator"].format(indicator=indicator, priority=priority, name=name)
    return group.label.removeprefix(f"{group.code}. ")


def shown_code(group: Group) -> str:
    """A group's code as the report prints it: SPM services by number, none where the name
    says it all (Destana levels, issue × phase) or on a total row."""
    if group.code == TOTAL or group.kind in (Kind.DESTANA, Kind.ISSUE_PHASE):
        return ""
    return group.code.removeprefix("spm")


def figure_cells(figures: Figures) -> list[Cell]:
    """A group's figures in the report's column order, numbers as numbers (None: no value)."""
    return [
        figures.items,
        len(figures.parties),
        _whole(figures.budget_rp),
        _whole(figures.realised_rp),
        figures.realised_budget_percent,
        figures.progress_percent,
        figures.done,
        figures.behind_items,
        len(figures.behind_parties),
        figures.carried,
    ]


def _whole(amount: Decimal) -> int | Decimal:
    return int(amount) if amount == amount.to_integral_value() else amount


def not_counted_text(recap: Recap, language: Language) -> str:
    """The note naming the parties not counted, or saying every party is."""
    words = TEXT[language]
    if not recap.not_counted:
        return words["note_all_counted"]
    return words["note_not_counted"].format(
        parties=", ".join(f"{name} ({code})" for code, name in recap.not_counted)
    )


def notes(recap: Recap, language: Language) -> list[str]:
    """The notes under the report: sources of the reference lists, meanings, who is left out."""
    words = TEXT[language]
    refs = references()
    sources = []
    for attribute, kind in SOURCE_NAMES.items():
        entries = getattr(refs, attribute)
        source = next(iter(entries.values())).source
        sources.append(words["note_sources"].format(name=recap.section(kind).title, source=source))
    return [
        *sources,
        words["note_progress"],
        words["note_behind"],
        words["note_once"],
        not_counted_text(recap, language),
    ]


# --- the XLSX ------------------------------------------------------------------------------

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9E2EA")
SECTION_FILL = PatternFill("solid", fgColor="EEF2F4")
TOTAL_FILL = PatternFill("solid", fgColor="F5F5F5")
BODY = Font(name="Arial", size=10)
BOLD = Font(name="Arial", size=10, bold=True)
LINE_POINTS = 13
"""The height of one line of 10-point text, in points."""


def _width_chars() -> int:
    return sum(width for _, width, _ in COLUMNS)


def _lines(text: str, chars: float) -> int:
    """How many lines `text` takes in a cell `chars` wide (wrapped by words, roughly)."""
    return sum(max(1, math.ceil(len(part) / max(chars, 1))) for part in text.split("\n"))


def _merged(sheet: Worksheet, row: int, text: str, font: Font, *, height: bool = False) -> None:
    """Text across the whole width of the report on `row`."""
    last = get_column_letter(len(COLUMNS))
    sheet.merge_cells(f"A{row}:{last}{row}")
    cell = sheet.cell(row=row, column=1, value=text)
    cell.data_type = "s"
    cell.font = font
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if height:
        # A merged cell never grows to fit its text: give the row the lines it needs.
        sheet.row_dimensions[row].height = LINE_POINTS * _lines(text, _width_chars() * 1.25) + 3


def _group_row(sheet: Worksheet, row: int, group: Group, language: Language, total: bool) -> None:
    values: list[Cell] = [shown_code(group), group_label(group, language)]
    values += figure_cells(group.figures)
    for column, ((_, _, number_format), value) in enumerate(
        zip(COLUMNS, values, strict=True), start=1
    ):
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # what people named stays text, never a formula
        cell.font = BOLD if total else BODY
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=column == 2, vertical="top")
        if number_format is not None:
            cell.number_format = number_format
        if total:
            cell.fill = TOTAL_FILL
    label = str(values[1])
    sheet.row_dimensions[row].height = LINE_POINTS * _lines(label, COLUMNS[1][1] * 1.4) + 3


def recap_xlsx(recap: Recap, *, generated_at: datetime, language: Language = "id") -> bytes:
    """The recap as a report on one A4 landscape sheet (module docstring)."""
    words = TEXT[language]
    cycle = recap.cycle
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"{words['page_title']} TW {QUARTER_NUMERALS[recap.quarter]}"[:31]
    for index, (_, width, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    row = 1
    title = Font(name="Arial", size=14, bold=True)
    for text, font in (
        (words["title"].upper(), title),
        (words["province"], Font(name="Arial", size=12, bold=True)),
        (words["cycle"].format(name=cycle.name, year=cycle.year), BOLD),
        (period(cycle, recap.quarter, language), BOLD),
        (words["generated"].format(when=format_deadline(generated_at, language)), BODY),
    ):
        _merged(sheet, row, text, font)
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center")
        sheet.row_dimensions[row].height = 20 if font is title else 16
        row += 1

    # The summary: every counted action lies in exactly one issue × phase row.
    row += 1
    whole = recap.section(Kind.ISSUE_PHASE).total
    _merged(sheet, row, words["summary"], BOLD)
    row += 1
    parties = len(recap.counted) + len(recap.not_counted)
    summary: list[tuple[str, Cell, str | None]] = [
        (
            words["counted"],
            words["counted_of"].format(counted=len(recap.counted), parties=parties),
            None,
        ),
        *(
            (words[key], value, number_format)
            for (key, _, number_format), value in zip(
                COLUMNS[2:], figure_cells(whole.figures), strict=True
            )
        ),
    ]
    for label, value, number_format in summary:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        name = sheet.cell(row=row, column=1, value=label)
        name.font = BODY
        name.border = BOX
        cell = sheet.cell(row=row, column=3, value=value)
        sheet.merge_cells(start_row=row, start_column=3, end_row=row, end_column=5)
        cell.font = BOLD
        cell.border = BOX
        cell.alignment = Alignment(horizontal="right")
        if isinstance(value, str):
            cell.data_type = "s"
        if number_format is not None:
            cell.number_format = number_format
        row += 1

    # One row of column headings, repeated at the top of every printed page.
    row += 1
    head = row
    for column, (key, _, _) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=row, column=column, value=words[key])
        cell.font = BOLD
        cell.fill = HEAD_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    sheet.row_dimensions[row].height = LINE_POINTS * 3 + 4
    sheet.print_title_rows = f"{head}:{head}"
    sheet.freeze_panes = f"A{head + 1}"

    for letter, section in zip("ABCDEFGHIJ", recap.sections, strict=False):
        row += 1
        _merged(sheet, row, f"{letter}. {section.title}", BOLD)
        for column in range(1, len(COLUMNS) + 1):
            sheet.cell(row=row, column=column).fill = SECTION_FILL
            sheet.cell(row=row, column=column).border = BOX
        sheet.row_dimensions[row].height = 18
        for group in section.groups:
            row += 1
            _group_row(sheet, row, group, language, total=False)
        row += 1
        _group_row(sheet, row, section.total, language, total=True)

    row += 2
    _merged(sheet, row, f"{words['notes']}:", BOLD)
    for number, note in enumerate(notes(recap, language), start=1):
        row += 1
        _merged(sheet, row, f"{number}. {note}", BODY, height=True)

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, footer=0.3)
    sheet.print_options.horizontalCentered = True
    footer = sheet.oddFooter
    assert footer is not None
    footer.center.text = words["page_of"]
    footer.center.size = 8
    sheet.print_area = f"A1:{get_column_letter(len(COLUMNS))}{row}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the CSV --------------------------------------------------------------------------------


def recap_table(recap: Recap, language: Language = "id") -> Table:
    """One row per group of every section, totals included: what the CSV holds."""
    words = TEXT[language]
    columns = (
        Column(words["section"], 30),
        Column(words["kind"], 14),
        *(Column(words[key], width, fmt) for key, width, fmt in COLUMNS),
    )
    table = Table(words["page_title"], columns)
    for section in recap.sections:
        for group in [*section.groups, section.total]:
            table.rows.append(
                [
                    section.title,
                    section.kind.value,
                    group.code,
                    group_label(group, language),
                    *figure_cells(group.figures),
                ]
            )
    return table


def recap_csv(recap: Recap, language: Language = "id") -> bytes:
    """The recap as CSV, one row per group (`recap_table`), UTF-8 with a BOM."""
    return to_csv(recap_table(recap, language))


# --- a file of the recap, for the page's links and the API's exports -----------------------


@dataclass(frozen=True)
class RecapFile:
    """A recap file ready to send: its bytes, media type and name."""

    content: bytes
    media_type: str
    filename: str


def recap_file(
    session: Session,
    user: AuthUser,
    cycle_id: str,
    quarter: int | None,
    fmt: str,
    *,
    now: datetime,
    language: Language = "id",
) -> RecapFile:
    """The recap of a cycle as an XLSX or CSV file, in the person's scope; at the default
    quarter (`default_quarter`) unless one is asked for."""
    if quarter is None:
        cycle = get_cycle(session, cycle_id)
        quarter = default_quarter(cycle, recap_clock(session, cycle, now))
    recap = province_recap(session, user, cycle_id, quarter, language=language)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", cycle_id)
    filename = f"rekap-provinsi-{safe}-tw{quarter}.{fmt}"
    if fmt == "xlsx":
        content = recap_xlsx(recap, generated_at=now, language=language)
        return RecapFile(content, XLSX_MEDIA_TYPE, filename)
    return RecapFile(recap_csv(recap, language), CSV_MEDIA_TYPE, filename)


# --- the JSON views -------------------------------------------------------------------------


def _group_view(group: Group, language: Language) -> RecapGroupOut:
    f = group.figures
    return RecapGroupOut(
        code=group.code,
        label=group_label(group, language),
        figures=RecapFiguresOut(
            items=f.items,
            parties=sorted(f.parties),
            budget_rp=f.budget_rp,
            realised_rp=f.realised_rp,
            realised_budget_percent=f.realised_budget_percent,
            progress_percent=f.progress_percent,
            done=f.done,
            behind_items=f.behind_items,
            behind_parties=sorted(f.behind_parties),
            carried=f.carried,
        ),
    )


def recap_view(recap: Recap, language: Language = "id") -> RecapOut:
    """The recap as the JSON API answers it."""
    return RecapOut(
        cycle_id=recap.cycle.id,
        quarter=recap.quarter,
        period=period(recap.cycle, recap.quarter, language),
        sections=[
            RecapSectionOut(
                kind=section.kind.value,
                title=section.title,
                groups=[_group_view(g, language) for g in section.groups],
                total=_group_view(section.total, language),
            )
            for section in recap.sections
        ],
        counted=recap.counted,
        not_counted=[{"code": code, "name": name} for code, name in recap.not_counted],
    )


def drill_view(drill: Drill, language: Language = "id") -> RecapDrillOut:
    """A drill-down as the JSON API answers it."""
    group = drill.recap.group(drill.kind, drill.code)
    return RecapDrillOut(
        cycle_id=drill.recap.cycle.id,
        quarter=drill.recap.quarter,
        kind=drill.kind.value,
        code=drill.code,
        label=group_label(group, language),
        figure=drill.figure.value,
        items=[
            RecapItemOut(
                party=item.party,
                party_name=drill.recap.names.get(item.party, item.party),
                position=item.position,
                activity=item.activity,
                strategic_issue=item.strategic_issue,
                phase=item.phase,
                budget_rp=item.budget_rp,
                realised_rp=item.realised_rp,
                percent=item.percent,
                expected=item.expected,
                behind=item.behind,
                done=item.done,
                carried=bool(item.carried),
            )
            for item in drill.items
        ],
        not_counted=[{"code": code, "name": name} for code, name in drill.recap.not_counted],
    )
