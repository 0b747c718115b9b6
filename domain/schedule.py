"""Deadline arithmetic for one commitment cycle.

A `ScheduleSpec` is what an administrator writes (dates and rules); resolving it
against a year and a `WorkingCalendar` gives a `ResolvedSchedule` of concrete
WITA instants that a workflow can sleep until. Shape problems (a negative day,
five quarters) are rejected by pydantic when the spec is built; dates that
contradict each other are found by `resolve_schedule` and raised as
`ScheduleError` naming the field.

`compressed_schedule` lays the same rules out on days that last seconds, so a
demonstration shows a whole cycle (reminders, overdue items, escalation) in minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.calendar import WITA, WorkingCalendar, at_wita, end_of_day, wita_date
from domain.errors import ScheduleError

QUARTER_NAMES: Final[dict[int, str]] = {
    1: "Triwulan I",
    2: "Triwulan II",
    3: "Triwulan III",
    4: "Triwulan IV",
}

# Reminders and escalations go out at 08:00 WITA, at the start of the working day,
# so that everything due for one person on one day falls at the same instant and
# can be gathered into a single daily digest instead of a trickle of emails.
REMINDER_HOUR: Final = 8

# A day as the calendar counts it; a compressed (demonstration) schedule has shorter ones.
DAY: Final = dt.timedelta(days=1)


class FixedDate(BaseModel):
    """Due on a fixed calendar date."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["date"] = "date"
    date: dt.date


class WorkingDaysAfterQuarterEnd(BaseModel):
    """Due on the N-th working day after the quarter ends."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["working_days_after_quarter_end"] = "working_days_after_quarter_end"
    days: int = Field(ge=1, le=90)


class DayOfNextMonth(BaseModel):
    """Due on day D of the month after the quarter; a day past that month's end means its last day.

    So day 31 reads as "the end of next month": 30 April after Triwulan I.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["day_of_next_month"] = "day_of_next_month"
    day: int = Field(ge=1, le=31)


DueRule = Annotated[
    FixedDate | WorkingDaysAfterQuarterEnd | DayOfNextMonth, Field(discriminator="kind")
]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_OF_NEXT_MONTH = re.compile(r"(?:day:(\d{1,2})|(\d{1,2})(?:st|nd|rd|th)-next-month)")
_WORKING_DAYS = re.compile(r"(?:wd:(\d{1,2})|(\d{1,2})wd)")


def parse_due_rule(text: str) -> DueRule:
    """Parse a due rule written on the command line.

    Grammar (case-insensitive, surrounding spaces ignored):

    - ``YYYY-MM-DD``                        a fixed date, e.g. ``2026-04-20``
    - ``day:D`` or ``Dth-next-month``       day D (1–31) of the month after the quarter,
                                            e.g. ``day:20``, ``20th-next-month``, ``1st-next-month``
    - ``wd:N`` or ``Nwd``                   the N-th working day (1–90) after the quarter end,
                                            e.g. ``wd:10``, ``10wd``
    """
    raw = text.strip().lower()
    if _ISO_DATE.fullmatch(raw):
        try:
            return FixedDate(date=dt.date.fromisoformat(raw))
        except ValueError:
            raise ValueError(f"due rule {text!r}: {raw} is not a real date") from None
    if match := _DAY_OF_NEXT_MONTH.fullmatch(raw):
        day = int(match.group(1) or match.group(2))
        if not 1 <= day <= 31:
            raise ValueError(f"due rule {text!r}: day of the month must be 1 to 31, got {day}")
        return DayOfNextMonth(day=day)
    if match := _WORKING_DAYS.fullmatch(raw):
        days = int(match.group(1) or match.group(2))
        if not 1 <= days <= 90:
            raise ValueError(f"due rule {text!r}: working days must be 1 to 90, got {days}")
        return WorkingDaysAfterQuarterEnd(days=days)
    raise ValueError(
        f"due rule {text!r} not understood; write a date (2026-04-20), "
        "a day of the next month (day:20 or 20th-next-month) "
        "or working days after the quarter end (wd:10 or 10wd)"
    )


def quarter_end(year: int, quarter: int) -> dt.date:
    """Return the last day of triwulan `quarter` (1–4) of `year`."""
    if quarter not in QUARTER_NAMES:
        raise ValueError(f"quarter must be 1 to 4, got {quarter}")
    if quarter == 4:
        return dt.date(year, 12, 31)
    return dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)


def due_date(rule: DueRule, period_end: dt.date, calendar: WorkingCalendar) -> dt.date:
    """Return the date `rule` gives for a period (quarter) ending on `period_end`."""
    if isinstance(rule, FixedDate):
        return rule.date
    if isinstance(rule, WorkingDaysAfterQuarterEnd):
        return calendar.add_working_days(period_end, rule.days)
    first_of_next = _first_of_month_after(period_end)
    last_of_next = _first_of_month_after(first_of_next) - dt.timedelta(days=1)
    return first_of_next.replace(day=min(rule.day, last_of_next.day))


def _first_of_month_after(d: dt.date) -> dt.date:
    if d.month == 12:
        return dt.date(d.year + 1, 1, 1)
    return dt.date(d.year, d.month + 1, 1)


class QuarterRule(BaseModel):
    """When a quarter's progress report falls due and when the quarter locks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The 20th mirrors e-SPM, whose input closes on the 20th after each quarter.
    report_due: DueRule = DayOfNextMonth(day=20)
    lock: DueRule = DayOfNextMonth(day=31)


def _default_quarters() -> list[QuarterRule]:
    return [QuarterRule() for _ in QUARTER_NAMES]


class ScheduleSpec(BaseModel):
    """The deadlines of one cycle as an administrator sets them."""

    model_config = ConfigDict(extra="forbid")

    drafting_due: dt.date
    review_working_days: int = Field(default=5, ge=1, le=60)
    signing_due: dt.date
    quarters: list[QuarterRule] = Field(
        default_factory=_default_quarters, min_length=4, max_length=4
    )
    reminder_days_before: list[int] = Field(default_factory=lambda: [7, 3, 1])
    escalate_head_days_after: int = Field(default=1, ge=0, le=60)
    escalate_manager_days_after: int = Field(default=7, ge=1, le=90)

    @field_validator("reminder_days_before")
    @classmethod
    def _reminders_unique_descending(cls, value: list[int]) -> list[int]:
        out_of_range = [d for d in value if not 1 <= d <= 60]
        if out_of_range:
            raise ValueError(f"each reminder must be 1 to 60 days before, got {out_of_range}")
        if len(set(value)) != len(value):
            raise ValueError(f"reminder days must not repeat, got {value}")
        # Earliest reminder first, matching the order they are sent in.
        return sorted(value, reverse=True)

    @model_validator(mode="after")
    def _manager_after_head(self) -> ScheduleSpec:
        if self.escalate_manager_days_after <= self.escalate_head_days_after:
            raise ValueError(
                "escalate_manager_days_after must be later than escalate_head_days_after "
                f"({self.escalate_manager_days_after} <= {self.escalate_head_days_after})"
            )
        return self


class ResolvedQuarter(BaseModel):
    """A quarter's report deadline and lock time, as WITA instants, and when reports open.

    A quarter's report may be submitted from 00:00 WITA of the first day of the
    quarter's last month (1 March for Triwulan I): late enough that it reports the
    quarter's work, early enough for an office that finishes before the quarter ends.
    `opens` is None in specs resolved before reports had an opening (their workflows
    keep taking reports at any time, so their histories replay unchanged) and on a
    compressed demo schedule, which has no calendar months.
    """

    model_config = ConfigDict(frozen=True)

    quarter: int
    report_due: dt.datetime
    lock: dt.datetime
    opens: dt.datetime | None = None


class ResolvedSchedule(BaseModel):
    """A cycle's concrete deadlines; on the real calendar every datetime is 23:59 WITA of its date.

    Every offset in days (reminders, escalations, review) becomes an instant here, by
    the calendar when a day is a day, or by `day_length` on a compressed schedule.
    """

    model_config = ConfigDict(frozen=True)

    drafting_due: dt.datetime
    signing_due: dt.datetime
    review_working_days: int
    quarters: tuple[ResolvedQuarter, ...]
    reminder_days_before: tuple[int, ...]
    escalate_head_days_after: int
    escalate_manager_days_after: int
    day_length: dt.timedelta = DAY

    @property
    def compressed(self) -> bool:
        """True when a day lasts less than a day: a demonstration, not a real cycle."""
        return self.day_length != DAY

    def reminder_at(self, deadline: dt.datetime, days: int) -> dt.datetime:
        """When the reminder `days` days before `deadline` goes out (negative: escalate after)."""
        if not self.compressed:
            return reminder_at(deadline, days)
        # A compressed day has no 08:00: count whole days from the deadline itself.
        return deadline - days * self.day_length

    def review_due(self, submitted_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
        """When the review of a version submitted at `submitted_at` falls due."""
        if not self.compressed:
            return review_due(submitted_at, self.review_working_days, calendar)
        # Weekends and holidays mean nothing on a clock of seconds: every day is worked.
        return submitted_at + self.review_working_days * self.day_length

    def scaled(self, duration: dt.timedelta) -> dt.timedelta:
        """A stretch of real time as long on this schedule's clock (itself unless compressed)."""
        return duration * (self.day_length / DAY) if self.compressed else duration


def resolve_schedule(spec: ScheduleSpec, year: int, calendar: WorkingCalendar) -> ResolvedSchedule:
    """Turn `spec` into the deadlines of `year`; raise ScheduleError at the first contradiction."""
    _within_cycle("drafting_due", spec.drafting_due, year)
    _within_cycle("signing_due", spec.signing_due, year)
    if spec.signing_due < spec.drafting_due:
        raise ScheduleError(
            "signing_due",
            f"signing is due {spec.signing_due.isoformat()}, "
            f"before drafting is due {spec.drafting_due.isoformat()}",
            "signing_before_drafting",
        )
    quarters: list[ResolvedQuarter] = []
    previous: tuple[dt.date, dt.date] | None = None
    for index, rule in enumerate(spec.quarters):
        number = index + 1
        name = QUARTER_NAMES[number]
        end = quarter_end(year, number)
        report = due_date(rule.report_due, end, calendar)
        lock = due_date(rule.lock, end, calendar)
        field = f"quarters[{index}]"
        _within_cycle(f"{field}.report_due", report, year)
        _within_cycle(f"{field}.lock", lock, year)
        if report <= end:
            raise ScheduleError(
                f"{field}.report_due",
                f"{name} report is due {report.isoformat()}, "
                f"not after the quarter ends on {end.isoformat()}",
                "report_in_quarter",
            )
        if lock < report:
            raise ScheduleError(
                f"{field}.lock",
                f"{name} locks {lock.isoformat()}, before its report is due {report.isoformat()}",
                "lock_before_report",
            )
        if previous is not None:
            previous_report, previous_lock = previous
            if report < previous_report:
                raise ScheduleError(
                    f"{field}.report_due",
                    f"{name} report is due {report.isoformat()}, before the previous "
                    f"quarter's report ({previous_report.isoformat()})",
                    "report_before_previous",
                )
            if lock < previous_lock:
                raise ScheduleError(
                    f"{field}.lock",
                    f"{name} locks {lock.isoformat()}, before the previous quarter "
                    f"locks ({previous_lock.isoformat()})",
                    "lock_before_previous",
                )
        previous = (report, lock)
        quarters.append(
            ResolvedQuarter(
                quarter=number,
                report_due=end_of_day(report),
                lock=end_of_day(lock),
                opens=at_wita(dt.date(year, 3 * number, 1), 0),
            )
        )
    return ResolvedSchedule(
        drafting_due=end_of_day(spec.drafting_due),
        signing_due=end_of_day(spec.signing_due),
        review_working_days=spec.review_working_days,
        quarters=tuple(quarters),
        reminder_days_before=tuple(spec.reminder_days_before),
        escalate_head_days_after=spec.escalate_head_days_after,
        escalate_manager_days_after=spec.escalate_manager_days_after,
    )


def _within_cycle(field: str, date: dt.date, year: int) -> None:
    # The cycle's calendar spans the years around its own; a date beyond them is a typo,
    # and one near the end of the calendar would overflow the reminder arithmetic.
    if not year - 1 <= date.year <= year + 1:
        raise ScheduleError(
            field,
            f"{date.isoformat()} is outside {year - 1}-{year + 1}, the cycle's years",
            "outside",
        )


def default_schedule(year: int) -> ScheduleSpec:
    """Return the default spec for the follow-up year `year`: draft by 15 Jan, sign by 15 Feb."""
    return ScheduleSpec(drafting_due=dt.date(year, 1, 15), signing_due=dt.date(year, 2, 15))


def compressed_schedule(
    rules: ScheduleSpec, start: dt.datetime, day_length: dt.timedelta
) -> ResolvedSchedule:
    """Lay a cycle out from `start` on days lasting `day_length`, for demonstrations.

    Reminder, escalation and review offsets are those of `rules`; its dates are not
    used. Deadlines follow one another a reminder span apart (the earliest reminder
    plus a day), so each one's first reminder comes after the one before: drafting,
    signing, then each quarter's report, locking half a span after it is due.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"expected an aware start, got naive {start.isoformat()}")
    if not dt.timedelta(0) < day_length < DAY:
        raise ValueError(
            f"a compressed day must last less than a day and more than 0, got {day_length}"
        )
    span = max(rules.reminder_days_before, default=0) + 1

    def day(n: float) -> dt.datetime:
        return start.astimezone(WITA) + n * day_length

    return ResolvedSchedule(
        drafting_due=day(span),
        signing_due=day(2 * span),
        review_working_days=rules.review_working_days,
        quarters=tuple(
            ResolvedQuarter(
                quarter=q, report_due=day((2 + q) * span), lock=day((2 + q) * span + span / 2)
            )
            for q in QUARTER_NAMES
        ),
        reminder_days_before=tuple(rules.reminder_days_before),
        escalate_head_days_after=rules.escalate_head_days_after,
        escalate_manager_days_after=rules.escalate_manager_days_after,
        day_length=day_length,
    )


def review_due(
    submitted_at: dt.datetime, working_days: int, calendar: WorkingCalendar
) -> dt.datetime:
    """Return 23:59 WITA of the N-th working day after the WITA date of `submitted_at`."""
    return end_of_day(calendar.add_working_days(wita_date(submitted_at), working_days))


def reminder_at(deadline: dt.datetime, days: int) -> dt.datetime:
    """Return 08:00 WITA `days` days before the deadline's WITA date (negative: after it)."""
    return at_wita(wita_date(deadline) - dt.timedelta(days=days), REMINDER_HOUR)
