"""Tests of WITA deadlines, holiday data and working-day arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.calendar import (
    WITA,
    WorkingCalendar,
    at_wita,
    end_of_day,
    holidays_for,
    load_calendar,
    wita_date,
    years_without_holidays,
)

CAL_2026 = load_calendar([2026])
CAL_2025_2026 = load_calendar([2025, 2026])


def test_wita_is_utc_plus_eight() -> None:
    assert WITA.utcoffset(None) == timedelta(hours=8)
    assert WITA.tzname(None) == "WITA"


def test_end_of_day_is_2359_wita() -> None:
    due = end_of_day(date(2026, 4, 20))
    assert due == datetime(2026, 4, 20, 23, 59, tzinfo=WITA)
    assert due.astimezone(UTC) == datetime(2026, 4, 20, 15, 59, tzinfo=UTC)


def test_at_wita() -> None:
    assert at_wita(date(2026, 4, 13), 8) == datetime(2026, 4, 13, 0, 0, tzinfo=UTC)
    assert at_wita(date(2026, 4, 13), 14, 30) == datetime(2026, 4, 13, 14, 30, tzinfo=WITA)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 31, 15, 59, tzinfo=UTC), date(2026, 3, 31)),
        (datetime(2026, 3, 31, 16, 0, tzinfo=UTC), date(2026, 4, 1)),
        (datetime(2026, 4, 1, 0, 30, tzinfo=WITA), date(2026, 4, 1)),
    ],
)
def test_wita_date(moment: datetime, expected: date) -> None:
    assert wita_date(moment) == expected


def test_wita_date_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        wita_date(datetime(2026, 4, 1, 8, 0))


@pytest.mark.parametrize(
    ("year", "libur_nasional", "cuti_bersama"),
    [(2026, 17, 8), (2025, 17, 11)],
)
def test_holiday_counts(year: int, libur_nasional: int, cuti_bersama: int) -> None:
    holidays = holidays_for(year)
    assert sum(h.kind == "libur_nasional" for h in holidays) == libur_nasional
    assert sum(h.kind == "cuti_bersama" for h in holidays) == cuti_bersama
    assert len(holidays) == libur_nasional + cuti_bersama


@pytest.mark.parametrize("year", [2025, 2026])
def test_holiday_data_is_sorted_unique_and_cuti_bersama_on_weekdays(year: int) -> None:
    holidays = holidays_for(year)
    dates = [h.date for h in holidays]
    assert dates == sorted(set(dates))
    assert all(d.year == year for d in dates)
    assert all(h.date.weekday() < 5 for h in holidays if h.kind == "cuti_bersama")


@pytest.mark.parametrize(
    ("day", "name", "kind"),
    [
        (date(2026, 3, 21), "Idul Fitri 1447 Hijriah", "libur_nasional"),
        (date(2026, 3, 24), "Cuti Bersama Idul Fitri 1447 Hijriah", "cuti_bersama"),
        (date(2026, 8, 17), "Proklamasi Kemerdekaan", "libur_nasional"),
        (date(2025, 12, 26), "Cuti Bersama Kelahiran Yesus Kristus", "cuti_bersama"),
    ],
)
def test_holiday_entries(day: date, name: str, kind: str) -> None:
    matches = [h for h in holidays_for(day.year) if h.date == day]
    assert [(h.name, h.kind) for h in matches] == [(name, kind)]


def test_year_without_data_has_no_holidays() -> None:
    assert holidays_for(2099) == []
    assert load_calendar([2099]).holidays == ()
    assert load_calendar([2026, 2099]) == CAL_2026


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # Tahun Baru
        (date(2026, 1, 2), True),  # Friday
        (date(2026, 1, 3), False),  # Saturday
        (date(2026, 1, 4), False),  # Sunday
        (date(2026, 3, 18), False),  # cuti bersama Nyepi
        (date(2026, 3, 24), False),  # cuti bersama Idul Fitri
        (date(2026, 3, 25), True),
        (date(2026, 12, 24), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert CAL_2026.is_working_day(day) is working


@pytest.mark.parametrize(
    ("calendar", "start", "n", "expected"),
    [
        (CAL_2026, date(2026, 1, 9), 0, date(2026, 1, 9)),
        (CAL_2026, date(2026, 3, 21), 0, date(2026, 3, 21)),
        (CAL_2026, date(2026, 1, 9), 1, date(2026, 1, 12)),  # Fri -> Mon
        (CAL_2026, date(2026, 1, 10), 1, date(2026, 1, 12)),  # Sat -> Mon
        (CAL_2026, date(2026, 1, 9), 5, date(2026, 1, 19)),  # skips Isra Mikraj 16 Jan
        (CAL_2026, date(2026, 3, 17), 1, date(2026, 3, 25)),  # Nyepi + Idul Fitri block
        (CAL_2026, date(2026, 3, 13), 10, date(2026, 4, 6)),  # ... and Good Friday 3 Apr
        (CAL_2026, date(2026, 3, 31), 10, date(2026, 4, 15)),
        (WorkingCalendar(), date(2026, 3, 13), 10, date(2026, 3, 27)),  # weekends only
        (CAL_2025_2026, date(2025, 12, 23), 3, date(2025, 12, 30)),  # Natal + cuti
        (CAL_2025_2026, date(2025, 12, 31), 1, date(2026, 1, 2)),  # over Tahun Baru
    ],
)
def test_add_working_days(calendar: WorkingCalendar, start: date, n: int, expected: date) -> None:
    assert calendar.add_working_days(start, n) == expected


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        CAL_2026.add_working_days(date(2026, 1, 9), -1)


def test_calendar_is_canonical_and_serialisable() -> None:
    shuffled = WorkingCalendar(holidays=(date(2026, 3, 19), date(2026, 1, 1), date(2026, 3, 19)))
    assert shuffled.holidays == (date(2026, 1, 1), date(2026, 3, 19))
    assert WorkingCalendar.model_validate_json(CAL_2026.model_dump_json()) == CAL_2026
    assert len(CAL_2026.holidays) == 25


def test_the_years_without_holiday_data_are_named() -> None:
    assert years_without_holidays([2026, 2025, 2026]) == []
    assert years_without_holidays([2026, 2099, 2098]) == [2098, 2099]
