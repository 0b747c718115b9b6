"""Cycle schedules for tests that need a quarterly report accepted today."""

from __future__ import annotations

from datetime import date, datetime

from domain.calendar import wita_date
from domain.schedule import FixedDate, QuarterRule, ScheduleSpec


def reporting_cycle(now: datetime) -> tuple[int, ScheduleSpec]:
    """A cycle year and schedule whose quarterly reports are all open at `now`, nothing yet due.

    A quarter's report opens on the first day of the quarter's last month (1 March for
    Triwulan I), so a cycle for the coming year takes no report today. This one is for
    the previous year in WITA: every quarter of it has begun, so every report is open.
    Drafting, signing and every quarter's report and lock fall on 31 December of `now`'s
    year, the latest date the cycle's calendar takes (its year and the next; see
    `domain.schedule._within_cycle`), so each one lies ahead and a report sent now is on
    time. Send it as ``schedule=spec.model_dump(mode="json")`` over the API.

    Its limit: on 31 December (WITA) itself every deadline is today, due at 23:59, so
    a test that moves the clock, or runs across midnight, finds them past; and from
    24 December on the schedule's reminders (7, 3 and 1 days before) fall due while it runs.
    """
    today = wita_date(now)
    last = FixedDate(date=date(today.year, 12, 31))
    rule = QuarterRule(report_due=last, lock=last)
    schedule = ScheduleSpec(
        drafting_due=last.date, signing_due=last.date, quarters=[rule, rule, rule, rule]
    )
    return today.year - 1, schedule
