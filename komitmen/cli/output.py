"""What the command line prints: labels in Bahasa Indonesia, times in WITA, aligned text."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import ValidationError

from domain.calendar import WITA
from domain.commitment import DeadlineKey
from domain.display import QUARTER_NUMERALS, acting_mark, format_date, format_number
from domain.plan import BUDGET_SOURCE_LABELS
from domain.reports import REPORT_STATE_LABELS, TIMELINESS_LABELS
from domain.stages import STAGE_LABELS, Stage
from domain.words import by_value

STAGES = STAGE_LABELS["id"]
CYCLE_STATUS = {"running": "Berjalan", "completed": "Selesai", "cancelled": "Dibatalkan"}
QUARTERS = QUARTER_NUMERALS
# The pages' labels (`domain.words`): one label for each state, whichever door shows it.
REPORT_STATE = by_value(REPORT_STATE_LABELS)["id"]
BUDGET_SOURCE = by_value(BUDGET_SOURCE_LABELS)["id"]
TIMELINESS = by_value(TIMELINESS_LABELS)["id"]


def deadline_label(key: str) -> str:
    """A deadline key as people say it: "Laporan Triwulan I", "Penandatanganan"."""
    fixed = {"drafting": "Penyusunan draf", "review": "Reviu", "signing": "Penandatanganan"}
    if key in fixed:
        return fixed[key]
    try:
        deadline = DeadlineKey(key)
    except ValueError:
        return key
    quarter = QUARTERS.get(deadline.quarter or 0, key)
    return f"Kunci Triwulan {quarter}" if deadline.is_lock else f"Laporan Triwulan {quarter}"


def mark_of(acting: str) -> str:
    """An acting mark with the space that separates it from the title ("Plt. "); "" if none."""
    mark = acting_mark(acting)
    return f"{mark} " if mark else ""


def say(text: str = "") -> None:
    """Print a line to stdout at once (long-running commands are often piped)."""
    print(text, flush=True)


def complain(text: str) -> None:
    """Print a line to stderr."""
    print(text, file=sys.stderr, flush=True)


def when(moment: datetime | None) -> str:
    """An instant in WITA: "15 Januari 2026 23.59"; "-" for none."""
    if moment is None:
        return "-"
    local = moment.astimezone(WITA)
    return f"{format_date(local)} {local:%H.%M}"


def stage_label(stage: str | None) -> str:
    """The Bahasa Indonesia label of a stage."""
    if not stage:
        return "-"
    try:
        return STAGES[Stage(stage)]
    except ValueError:
        return stage


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], indent: str = "") -> str:
    """Rows as left-aligned columns under a header and a rule."""
    body = [["-" if cell is None or cell == "" else str(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [list(headers), ["-" * w for w in widths], *body]
    return "\n".join(
        indent + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def pairs(items: Sequence[tuple[str, object]], indent: str = "") -> str:
    """`label: value` lines with the values aligned."""
    width = max((len(label) for label, _ in items), default=0) + 1
    return "\n".join(f"{indent}{(label + ':').ljust(width)} {value}" for label, value in items)


def field_errors(error: ValidationError) -> list[str]:
    """One line per bad field, named by its path: "items[2].target_value: ..."."""
    problems = error.errors()
    lines = []
    for problem in problems:
        loc = problem["loc"]
        # A list whose items failed is also "too short"; the item errors say it all.
        if problem["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and other["loc"][: len(loc)] == loc for other in problems
        ):
            continue
        path = ""
        for part in loc:
            path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
        lines.append(f"{path}: {problem['msg']}" if path else str(problem["msg"]))
    return lines


def source_label(source: str) -> str:
    """A budget source as officers write it: APBD, APBN, mitra."""
    return BUDGET_SOURCE.get(source, source)


def decimal_text(value: Decimal) -> str:
    """A number the Indonesian way, with decimals only when it has them."""
    decimals = 0 if value == value.to_integral_value() else 2
    return format_number(value, decimals)


def nip_text(nip: str | None) -> str:
    """An 18-digit NIP grouped 8-6-1-3, as printed under a signature."""
    if not nip or len(nip) != 18:
        return nip or "-"
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def days_text(days: int | None) -> str:
    """A reminder offset: D-7 before the deadline, D+1 after it."""
    if days is None:
        return "-"
    return f"D-{days}" if days > 0 else f"D+{-days}"


def safe_url(url: str) -> str:
    """A database URL with its password hidden."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)
