"""Working days and wall-clock deadlines in WITA.

Holidays are data (``domain/data/holidays/<year>.json``) because the government
sets them each year by a joint ministerial decree (SKB 3 Menteri) and sometimes
amends them mid-year; editing a JSON file must be enough to follow a change. Each
file names its decree and the decrees amending it (`HolidayYear`). A year is added
only from its published decree: until then it has no file, and a cycle using it
warns the coordinator (`years_without_holidays`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

# NTT keeps UTC+8 all year (Asia/Makassar, no daylight saving), so a fixed offset is
# exact and spares workflow sandboxes a tzdata dependency.
WITA = timezone(timedelta(hours=8), "WITA")

# "A deadline on a date" means the last minute of that date in WITA.
DEADLINE_TIME = time(23, 59)

HolidayKind = Literal["libur_nasional", "cuti_bersama"]


def at_wita(d: date, hour: int, minute: int = 0) -> datetime:
    """Return the aware datetime of `hour`:`minute` WITA on date `d`."""
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=WITA)


def end_of_day(d: date) -> datetime:
    """Return 23:59 WITA of `d`, the instant a deadline on that date falls due."""
    return datetime.combine(d, DEADLINE_TIME, tzinfo=WITA)


def wita_date(moment: datetime) -> date:
    """Return the calendar date in WITA of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        # astimezone() on a naive value would read the host's zone: refuse instead.
        raise ValueError(f"expected an aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(WITA).date()


class Holiday(BaseModel):
    """A day off set by the SKB 3 Menteri: a national holiday or a cuti bersama day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    name: str
    kind: HolidayKind


class HolidayYear(BaseModel):
    """One year's holiday file: the decree that set it, those amending it, its days."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    decree: str
    amended_by: tuple[str, ...] = ()
    holidays: tuple[Holiday, ...]


def holiday_year(year: int) -> HolidayYear | None:
    """The holiday file of `year` with its decree; None when no decree is on file."""
    text = _holiday_file(year)
    if text is None:
        return None
    data = HolidayYear.model_validate_json(text)
    if data.year != year:
        raise ValueError(f"holidays/{year}.json says it is the year {data.year}")
    return data


class WorkingCalendar(BaseModel):
    """Working days (Monday–Friday minus holidays), small enough to pass into a workflow."""

    model_config = ConfigDict(frozen=True)

    holidays: tuple[date, ...] = ()

    @field_validator("holidays")
    @classmethod
    def _sorted_unique(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        # A canonical order makes two calendars with the same days compare equal.
        return tuple(sorted(set(value)))

    def is_working_day(self, d: date) -> bool:
        """True when `d` is a Monday–Friday that is neither a holiday nor cuti bersama."""
        return d.weekday() < 5 and d not in self.holidays

    def add_working_days(self, d: date, n: int) -> date:
        """Return the `n`-th working day strictly after `d`; `n` = 0 returns `d` itself."""
        if n < 0:
            raise ValueError(f"n must be zero or more, got {n}")
        current = d
        remaining = n
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current


def _holiday_file(year: int) -> str | None:
    resource = files("domain") / "data" / "holidays" / f"{year}.json"
    if not resource.is_file():
        return None
    return resource.read_text(encoding="utf-8")


def holidays_for(year: int) -> list[Holiday]:
    """Return the holidays and cuti bersama of `year` from package data, by date; [] if none."""
    data = holiday_year(year)
    if data is None:
        return []
    holidays = list(data.holidays)
    stray = [h.date.isoformat() for h in holidays if h.date.year != year]
    if stray:
        raise ValueError(f"holidays/{year}.json lists dates of another year: {', '.join(stray)}")
    return sorted(holidays, key=lambda h: h.date)


def years_without_holidays(years: Iterable[int]) -> list[int]:
    """The years among `years` with no holiday data file: their deadlines count Monday to
    Friday as working days, so a coordinator planning one is told (`services.cycles`)."""
    return sorted(year for year in set(years) if _holiday_file(year) is None)


def load_calendar(years: Iterable[int]) -> WorkingCalendar:
    """Build the working calendar of `years` from package data.

    A year without a data file contributes no holidays: its working days are
    simply Monday to Friday. Deadlines then fall at worst a few days early, which
    is safer than refusing to plan a year whose decree is not yet published.
    """
    days = [h.date for year in set(years) for h in holidays_for(year)]
    return WorkingCalendar(holidays=tuple(days))
