"""Tests of due rules, schedule resolution and reminder times."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.calendar import WITA, WorkingCalendar, load_calendar
from domain.commitment import (
    CommitmentSpec,
    CommitmentState,
    advance,
    next_wakeup,
    overdue_since,
    reminder_intents,
)
from domain.errors import FieldError, InvalidInput, ScheduleError
from domain.schedule import (
    DAY,
    QUARTER_NAMES,
    DayOfNextMonth,
    DueRule,
    FixedDate,
    QuarterRule,
    ResolvedSchedule,
    ScheduleSpec,
    WorkingDaysAfterQuarterEnd,
    compressed_schedule,
    default_schedule,
    due_date,
    parse_due_rule,
    quarter_end,
    reminder_at,
    resolve_schedule,
    review_due,
)

CAL = load_calendar([2026, 2027])


def wita(y: int, m: int, d: int, hour: int = 23, minute: int = 59) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=WITA)


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [
        (1, date(2026, 3, 31)),
        (2, date(2026, 6, 30)),
        (3, date(2026, 9, 30)),
        (4, date(2026, 12, 31)),
    ],
)
def test_quarter_end(quarter: int, expected: date) -> None:
    assert quarter_end(2026, quarter) == expected


@pytest.mark.parametrize("quarter", [0, 5])
def test_quarter_end_refuses_bad_quarter(quarter: int) -> None:
    with pytest.raises(ValueError, match="1 to 4"):
        quarter_end(2026, quarter)


def test_quarter_names() -> None:
    assert QUARTER_NAMES == {1: "Triwulan I", 2: "Triwulan II", 3: "Triwulan III", 4: "Triwulan IV"}


@pytest.mark.parametrize(
    ("rule", "period_end", "expected"),
    [
        (DayOfNextMonth(day=20), date(2026, 3, 31), date(2026, 4, 20)),
        (DayOfNextMonth(day=20), date(2026, 12, 31), date(2027, 1, 20)),
        (DayOfNextMonth(day=31), date(2026, 3, 31), date(2026, 4, 30)),  # clamped
        (DayOfNextMonth(day=31), date(2026, 6, 30), date(2026, 7, 31)),
        (DayOfNextMonth(day=30), date(2026, 6, 30), date(2026, 7, 30)),
        (DayOfNextMonth(day=30), date(2026, 1, 31), date(2026, 2, 28)),
        (DayOfNextMonth(day=30), date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (WorkingDaysAfterQuarterEnd(days=10), date(2026, 3, 31), date(2026, 4, 15)),
        (WorkingDaysAfterQuarterEnd(days=1), date(2026, 6, 30), date(2026, 7, 1)),
        (FixedDate(date=date(2026, 5, 4)), date(2026, 3, 31), date(2026, 5, 4)),
    ],
)
def test_due_date(rule: DueRule, period_end: date, expected: date) -> None:
    assert due_date(rule, period_end, CAL) == expected


def test_default_schedule_resolves_like_e_spm() -> None:
    resolved = resolve_schedule(default_schedule(2026), 2026, CAL)
    assert resolved.drafting_due == wita(2026, 1, 15)
    assert resolved.signing_due == wita(2026, 2, 15)
    assert resolved.review_working_days == 5
    assert resolved.reminder_days_before == (7, 3, 1)
    assert (resolved.escalate_head_days_after, resolved.escalate_manager_days_after) == (1, 7)
    assert [(q.quarter, q.report_due, q.lock) for q in resolved.quarters] == [
        (1, wita(2026, 4, 20), wita(2026, 4, 30)),
        (2, wita(2026, 7, 20), wita(2026, 7, 31)),
        (3, wita(2026, 10, 20), wita(2026, 10, 31)),
        (4, wita(2027, 1, 20), wita(2027, 1, 31)),
    ]


def test_q1_default_due_instant_in_utc() -> None:
    q1 = resolve_schedule(default_schedule(2026), 2026, CAL).quarters[0]
    assert q1.report_due.astimezone(UTC) == datetime(2026, 4, 20, 15, 59, tzinfo=UTC)


def test_working_days_rule_resolves_over_holidays() -> None:
    rule = QuarterRule(report_due=WorkingDaysAfterQuarterEnd(days=10))
    spec = default_schedule(2026).model_copy(update={"quarters": [rule] * 4})
    quarters = resolve_schedule(spec, 2026, CAL).quarters
    assert [q.report_due for q in quarters[:3]] == [
        wita(2026, 4, 15),  # skips Good Friday 3 Apr
        wita(2026, 7, 14),
        wita(2026, 10, 14),
    ]
    assert quarters[0].lock == wita(2026, 4, 30)


def _spec(**quarters: QuarterRule) -> ScheduleSpec:
    rules = [quarters.get(f"q{i}", QuarterRule()) for i in range(1, 5)]
    return ScheduleSpec(
        drafting_due=date(2026, 1, 15), signing_due=date(2026, 2, 15), quarters=rules
    )


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (
            ScheduleSpec(drafting_due=date(2026, 2, 1), signing_due=date(2026, 1, 31)),
            "signing_due",
        ),
        (
            _spec(q1=QuarterRule(report_due=FixedDate(date=date(2026, 3, 1)))),
            "quarters[0].report_due",
        ),
        (
            _spec(q2=QuarterRule(report_due=FixedDate(date=date(2026, 6, 30)))),
            "quarters[1].report_due",
        ),
        (
            _spec(q3=QuarterRule(report_due=DayOfNextMonth(day=20), lock=DayOfNextMonth(day=10))),
            "quarters[2].lock",
        ),
        (
            _spec(
                q1=QuarterRule(
                    report_due=FixedDate(date=date(2026, 8, 1)),
                    lock=FixedDate(date=date(2026, 8, 31)),
                )
            ),
            "quarters[1].report_due",
        ),
        (_spec(q1=QuarterRule(lock=FixedDate(date=date(2026, 12, 31)))), "quarters[1].lock"),
    ],
)
def test_schedule_errors_name_their_field(spec: ScheduleSpec, field: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        resolve_schedule(spec, 2026, CAL)
    error = caught.value
    assert error.field == field
    assert isinstance(error, InvalidInput)
    assert isinstance(error, ValueError)
    assert error.errors == [FieldError(field, error.message)]
    assert str(error).startswith(f"{field}: ")
    # Each contradiction is named, so a page words it in its reader's language.
    assert error.kind in (
        "outside",
        "signing_before_drafting",
        "report_in_quarter",
        "lock_before_report",
        "report_before_previous",
        "lock_before_previous",
    )


def test_schedule_error_message_is_plain() -> None:
    spec = _spec(q3=QuarterRule(report_due=DayOfNextMonth(day=20), lock=DayOfNextMonth(day=10)))
    with pytest.raises(ScheduleError) as caught:
        resolve_schedule(spec, 2026, CAL)
    assert str(caught.value) == (
        "quarters[2].lock: Triwulan III locks 2026-10-10, before its report is due 2026-10-20"
    )
    assert caught.value.kind == "lock_before_report"


def test_signing_on_drafting_day_is_allowed() -> None:
    spec = ScheduleSpec(drafting_due=date(2026, 1, 15), signing_due=date(2026, 1, 15))
    assert resolve_schedule(spec, 2026, CAL).signing_due == wita(2026, 1, 15)


def test_schedule_error_pickles() -> None:
    error = ScheduleError("quarters[0].lock", "too early", "lock_before_report")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, copy.message, copy.kind, str(copy)) == (
        "quarters[0].lock",
        "too early",
        "lock_before_report",
        "quarters[0].lock: too early",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"quarters": [{}, {}, {}]},
        {"quarters": [{}, {}, {}, {}, {}]},
        {"reminder_days_before": [0]},
        {"reminder_days_before": [61]},
        {"reminder_days_before": [3, 3]},
        {"review_working_days": 0},
        {"review_working_days": 61},
        {"escalate_head_days_after": 7, "escalate_manager_days_after": 7},
        {"escalate_head_days_after": 3, "escalate_manager_days_after": 2},
        {"quarters": [{"report_due": {"kind": "day_of_next_month", "day": 32}}, {}, {}, {}]},
        {"quarters": [{"report_due": {"kind": "working_days_after_quarter_end", "days": 0}}] * 4},
        {"quarters": [{"report_due": {"kind": "weekly"}}, {}, {}, {}]},
        {"unexpected": 1},
    ],
)
def test_spec_shape_is_validated(changes: dict[str, Any]) -> None:
    data: dict[str, Any] = {"drafting_due": "2026-01-15", "signing_due": "2026-02-15"}
    with pytest.raises(ValidationError):
        ScheduleSpec.model_validate(data | changes)


def test_reminders_are_stored_descending() -> None:
    spec = ScheduleSpec(
        drafting_due=date(2026, 1, 15),
        signing_due=date(2026, 2, 15),
        reminder_days_before=[1, 14, 3],
    )
    assert spec.reminder_days_before == [14, 3, 1]


def test_spec_round_trips_through_json() -> None:
    spec = _spec(q2=QuarterRule(report_due=WorkingDaysAfterQuarterEnd(days=10)))
    again = ScheduleSpec.model_validate_json(spec.model_dump_json())
    assert again == spec
    assert again.quarters[1].report_due == WorkingDaysAfterQuarterEnd(days=10)


def test_due_rule_union_uses_kind() -> None:
    adapter: TypeAdapter[DueRule] = TypeAdapter(DueRule)
    assert adapter.validate_python({"kind": "day_of_next_month", "day": 20}) == DayOfNextMonth(
        day=20
    )
    assert adapter.validate_python({"kind": "date", "date": "2026-04-20"}) == FixedDate(
        date=date(2026, 4, 20)
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-20", FixedDate(date=date(2026, 4, 20))),
        ("day:20", DayOfNextMonth(day=20)),
        (" DAY:5 ", DayOfNextMonth(day=5)),
        ("20th-next-month", DayOfNextMonth(day=20)),
        ("1st-next-month", DayOfNextMonth(day=1)),
        ("31st-next-month", DayOfNextMonth(day=31)),
        ("10wd", WorkingDaysAfterQuarterEnd(days=10)),
        ("wd:10", WorkingDaysAfterQuarterEnd(days=10)),
        ("WD:90", WorkingDaysAfterQuarterEnd(days=90)),
    ],
)
def test_parse_due_rule(text: str, expected: DueRule) -> None:
    assert parse_due_rule(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-02-30", "not a real date"),
        ("day:0", "1 to 31"),
        ("day:32", "1 to 31"),
        ("0wd", "1 to 90"),
        ("wd:91", "1 to 90"),
        ("next month", "not understood"),
        ("20-next-month", "not understood"),
        ("", "not understood"),
    ],
)
def test_parse_due_rule_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_due_rule(text)


@pytest.mark.parametrize(
    ("submitted_at", "days", "expected"),
    [
        # 00:30 WITA Tuesday is still Monday in UTC: the WITA date counts.
        (datetime(2026, 2, 2, 16, 30, tzinfo=UTC), 1, wita(2026, 2, 4)),
        (datetime(2026, 2, 2, 16, 30, tzinfo=UTC), 5, wita(2026, 2, 10)),
        # Friday before Imlek: cuti bersama 16 Feb and Imlek 17 Feb are skipped.
        (wita(2026, 2, 13, 10, 0), 5, wita(2026, 2, 24)),
        # Over Nyepi and Idul Fitri.
        (wita(2026, 3, 17, 9, 0), 5, wita(2026, 3, 31)),
    ],
)
def test_review_due(submitted_at: datetime, days: int, expected: datetime) -> None:
    assert review_due(submitted_at, days, CAL) == expected


def test_review_due_refuses_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        review_due(datetime(2026, 2, 2, 9, 0), 5, WorkingCalendar())


@pytest.mark.parametrize(
    ("deadline", "days", "expected"),
    [
        (wita(2026, 4, 20), 7, wita(2026, 4, 13, 8, 0)),
        (wita(2026, 4, 20), 1, wita(2026, 4, 19, 8, 0)),
        (wita(2026, 4, 20), 0, wita(2026, 4, 20, 8, 0)),
        (wita(2026, 4, 20), -1, wita(2026, 4, 21, 8, 0)),
        (wita(2026, 4, 20), -7, wita(2026, 4, 27, 8, 0)),
        (wita(2027, 1, 20), 30, wita(2026, 12, 21, 8, 0)),
        # 17:00 UTC is 01:00 WITA the next day: days count from the WITA date.
        (datetime(2026, 4, 20, 17, 0, tzinfo=UTC), 1, wita(2026, 4, 20, 8, 0)),
    ],
)
def test_reminder_at(deadline: datetime, days: int, expected: datetime) -> None:
    result = reminder_at(deadline, days)
    assert result == expected
    assert result.utcoffset() == WITA.utcoffset(None)


# --- compressed (demonstration) schedules ---------------------------------------------

START = wita(2026, 6, 6, 14, 30)  # a Saturday: a compressed review does not wait for Monday
SECONDS = timedelta(seconds=20)


def test_a_real_schedule_keeps_the_calendar() -> None:
    sched = resolve_schedule(default_schedule(2026), 2026, CAL)
    assert sched.day_length == DAY and not sched.compressed
    for days in (7, 3, 1, -1, -7):
        assert sched.reminder_at(wita(2026, 4, 20), days) == reminder_at(wita(2026, 4, 20), days)
    submitted = wita(2026, 2, 13, 10, 0)
    assert sched.review_due(submitted, CAL) == review_due(submitted, 5, CAL)
    assert sched.scaled(timedelta(minutes=15)) == timedelta(minutes=15)


def test_a_schedule_stored_before_compression_reads_as_real_days() -> None:
    stored = resolve_schedule(default_schedule(2026), 2026, CAL).model_dump(mode="json")
    del stored["day_length"]
    assert ResolvedSchedule.model_validate(stored).day_length == DAY


def test_compressed_deadlines_come_in_order_a_reminder_span_apart() -> None:
    sched = compressed_schedule(default_schedule(2026), START, SECONDS)
    deadlines = [sched.drafting_due, sched.signing_due]
    for q in sched.quarters:
        deadlines += [q.report_due, q.lock]
    assert deadlines == sorted(set(deadlines))
    # D-7 is the first reminder: drafting falls eight days out, so it comes after the start.
    assert sched.drafting_due == START + 8 * SECONDS
    assert sched.signing_due == START + 16 * SECONDS
    assert [(q.report_due - START) / SECONDS for q in sched.quarters] == [24, 32, 40, 48]
    assert [(q.lock - q.report_due) / SECONDS for q in sched.quarters] == [4, 4, 4, 4]
    assert sched.quarters[-1].lock - START == timedelta(minutes=17, seconds=20)
    assert sched.drafting_due.utcoffset() == WITA.utcoffset(None)
    assert (sched.reminder_days_before, sched.review_working_days) == ((7, 3, 1), 5)


@pytest.mark.parametrize("day", [timedelta(seconds=1), SECONDS, timedelta(minutes=3)])
def test_compressed_reminders_scale_with_the_day(day: timedelta) -> None:
    sched = compressed_schedule(default_schedule(2026), START, day)
    due = sched.signing_due
    assert [sched.reminder_at(due, d) for d in (7, 3, 1, -1, -7)] == [
        due - 7 * day,
        due - 3 * day,
        due - day,
        due + day,
        due + 7 * day,
    ]
    assert sched.review_due(START, CAL) == START + 5 * day
    assert sched.scaled(DAY) == day
    assert sched.scaled(timedelta(minutes=15)) == timedelta(minutes=15) * (day / DAY)


def test_compressed_offsets_follow_the_rules() -> None:
    rules = default_schedule(2026).model_copy(
        update={"reminder_days_before": [3, 1], "review_working_days": 2}
    )
    sched = compressed_schedule(rules, START, SECONDS)
    assert sched.drafting_due == START + 4 * SECONDS
    assert sched.review_due(START, CAL) == START + 2 * SECONDS


@pytest.mark.parametrize(
    ("start", "day", "message"),
    [
        (datetime(2026, 6, 6, 14, 30), SECONDS, "aware"),
        (START, timedelta(0), "less than a day"),
        (START, DAY, "less than a day"),
    ],
)
def test_compressed_schedule_refuses(start: datetime, day: timedelta, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compressed_schedule(default_schedule(2026), start, day)


def test_a_compressed_commitment_is_reminded_and_escalated_seconds_apart() -> None:
    sched = compressed_schedule(default_schedule(2026), START, SECONDS)
    spec = CommitmentSpec(
        cycle_id="demo",
        cycle_name="Demo",
        regency_code="53.01",
        regency_name="Kabupaten Kupang",
        signatories=("bpbd_head",),
        schedule=sched,
        calendar=CAL,
    )
    state = CommitmentState.start(spec, START)
    fires = {(i.kind.value, i.days): i.fires_at - START for i in reminder_intents(state)}
    assert fires == {
        ("reminder", 7): 1 * SECONDS,
        ("reminder", 3): 5 * SECONDS,
        ("reminder", 1): 7 * SECONDS,
        ("escalation", -1): 9 * SECONDS,
        ("escalation", -7): 15 * SECONDS,
    }
    assert next_wakeup(state) == START + SECONDS
    tick = advance(state, START + 10 * SECONDS)
    assert [i.days for i in tick.reminders] == [7, 3, 1]
    assert [i.days for i in tick.escalations] == [-1]
    assert overdue_since(state, START + 10 * SECONDS) == sched.drafting_due
