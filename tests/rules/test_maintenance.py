"""Preventive maintenance rules: due dates by calendar months on the working calendar,
overdue, ageing, completion rate, and the registers' checks.

Spring Festival 2026 as published by the State Council (and as the ``holidays`` package
has it: Feb 16–20 and 23 statutory days, the weekends between them off): 15–23 Feb off,
make-up working days Sat 14 Feb and Sat 28 Feb. ``MON_FRI`` works Mon–Fri, so the make-up
Saturdays are the only Saturdays it works; ``MON_SAT`` is the app's default week.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules import maintenance as mr
from rules.fields import validate_row
from rules.sla import DEFAULT_WEEKLY, WorkingCalendar

SPRING_FESTIVAL = {dt.date(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)}
MAKEUP = {dt.date(2026, 2, 14), dt.date(2026, 2, 28)}
MON_FRI = WorkingCalendar(
    weekly={wd: [("09:00", "18:00")] for wd in range(5)},
    holidays=SPRING_FESTIVAL,
    extra_workdays=MAKEUP,
)
MON_FRI_PLAIN = WorkingCalendar(weekly={wd: [("09:00", "18:00")] for wd in range(5)})
MON_SAT = WorkingCalendar(weekly=DEFAULT_WEEKLY, holidays=SPRING_FESTIVAL, extra_workdays=MAKEUP)
EVERY_DAY = WorkingCalendar(weekly={wd: [("09:00", "18:00")] for wd in range(7)})


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ds(*texts: str) -> list[dt.date]:
    return [d(t) for t in texts]


@pytest.mark.parametrize(
    ("start", "frequency", "every_n", "first", "last", "expected"),
    [
        # calendar months from the start, clamped: never chained (28 Feb → 31 Mar)
        ("2026-01-31", "monthly", None, "2026-01-01", "2026-04-30",
         ("2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30")),
        ("2024-01-31", "monthly", None, "2024-01-01", "2024-04-30",
         ("2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30")),
        ("2025-11-30", "quarterly", None, "2025-11-01", "2026-12-31",
         ("2025-11-30", "2026-02-28", "2026-05-30", "2026-08-30", "2026-11-30")),
        ("2025-08-31", "half_yearly", None, "2025-01-01", "2026-12-31",
         ("2025-08-31", "2026-02-28", "2026-08-31")),
        ("2024-02-29", "yearly", None, "2024-01-01", "2028-03-01",
         ("2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29")),
        ("2026-01-31", "every_n_months", 5, "2026-01-01", "2026-12-31",
         ("2026-01-31", "2026-06-30", "2026-11-30")),
        ("2026-02-02", "every_n_weeks", 2, "2026-02-01", "2026-03-02",
         ("2026-02-02", "2026-02-16", "2026-03-02")),
        # a window starting later skips ahead without losing a date
        ("2020-01-31", "monthly", None, "2026-02-01", "2026-03-31",
         ("2026-02-28", "2026-03-31")),
        ("2020-01-06", "every_n_weeks", 3, "2026-02-01", "2026-03-02", ("2026-02-09", "2026-03-02")),
    ],
)  # fmt: skip
def test_nominal_dates_follow_calendar_months(start, frequency, every_n, first, last, expected):
    schedule = mr.Schedule(d(start), frequency, every_n)
    assert list(mr.nominal_dates(schedule, d(first), d(last))) == ds(*expected)


def test_nominal_dates_stop_at_the_plans_end():
    schedule = mr.Schedule(d("2026-01-31"), "monthly", end=d("2026-03-30"))
    assert list(mr.nominal_dates(schedule, d("2026-01-01"), d("2026-12-31"))) == ds(
        "2026-01-31", "2026-02-28"
    )


@pytest.mark.parametrize(
    ("calendar", "start", "frequency", "every_n", "direction", "expected"),
    [
        # 31 Jan is a Saturday (→ Mon 2 Feb); 28 Feb a make-up Saturday: worked, kept
        (MON_FRI, "2026-01-31", "monthly", None, "next",
         (("2026-01-31", "2026-02-02"), ("2026-02-28", "2026-02-28"),
          ("2026-03-31", "2026-03-31"))),
        # without the make-up day 28 Feb moves to Monday 2 Mar
        (MON_FRI_PLAIN, "2026-01-31", "monthly", None, "next",
         (("2026-01-31", "2026-02-02"), ("2026-02-28", "2026-03-02"),
          ("2026-03-31", "2026-03-31"))),
        # Spring Festival: Tue 17 Feb is off → Tue 24 Feb; backwards → the make-up Sat 14 Feb
        (MON_FRI, "2025-02-17", "yearly", None, "next",
         (("2025-02-17", "2025-02-17"), ("2026-02-17", "2026-02-24"))),
        (MON_FRI, "2025-02-17", "yearly", None, "previous",
         (("2025-02-17", "2025-02-17"), ("2026-02-17", "2026-02-14"))),
        (MON_FRI_PLAIN, "2025-02-17", "yearly", None, "previous",
         (("2025-02-17", "2025-02-17"), ("2026-02-17", "2026-02-17"))),
        # every two weeks: Mon 16 Feb is a holiday → 24 Feb; the next date is unmoved
        (MON_FRI, "2026-02-02", "every_n_weeks", 2, "next",
         (("2026-02-02", "2026-02-02"), ("2026-02-16", "2026-02-24"),
          ("2026-03-02", "2026-03-02"))),
        # Mon–Sat week: Sat 21 Feb inside the holidays → 24 Feb; Sat 30 May worked
        (MON_SAT, "2025-11-21", "quarterly", None, "next",
         (("2025-11-21", "2025-11-21"), ("2026-02-21", "2026-02-24"),
          ("2026-05-21", "2026-05-21"))),
        (MON_FRI, "2025-11-30", "quarterly", None, "next",
         (("2025-11-30", "2025-12-01"), ("2026-02-28", "2026-02-28"),
          ("2026-05-30", "2026-06-01"))),
    ],
)  # fmt: skip
def test_due_dates_move_off_holidays_onto_working_days(
    calendar, start, frequency, every_n, direction, expected
):
    schedule = mr.Schedule(d(start), frequency, every_n)
    last = d(expected[-1][0])
    got = mr.due_dates(schedule, calendar, first=d(start), last=last, direction=direction)
    assert [(x.planned, x.due) for x in got] == [(d(a), d(b)) for a, b in expected]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-02-14", True),  # make-up Saturday
        ("2026-02-21", False),  # Saturday inside the holidays
        ("2026-02-23", False),
        ("2026-02-24", True),
        ("2026-02-28", True),
        ("2026-03-07", False),  # an ordinary Saturday
    ],
)
def test_working_days_count_make_up_days(day, expected):
    assert mr.is_working_day(MON_FRI, d(day)) is expected


@pytest.mark.parametrize(
    ("last_done", "has_open", "expected"),
    [
        (None, False, ("2026-01-31", "2026-02-02")),  # nothing done: the start
        ("2026-02-20", False, ("2026-03-20", "2026-03-20")),  # one month after completion
        ("2026-01-17", False, ("2026-02-17", "2026-02-24")),  # lands in the holidays
        ("2026-02-20", True, None),  # one open visit at a time
        ("2026-11-20", False, None),  # past the plan's end
    ],
)
def test_from_last_completion(last_done, has_open, expected):
    schedule = mr.Schedule(d("2026-01-31"), "monthly", end=d("2026-12-01"), mode="from_last")
    got = mr.due_dates(
        schedule, MON_FRI, first=d("2026-01-01"), last=d("2027-12-31"),
        last_done=d(last_done) if last_done else None, has_open=has_open,
    )  # fmt: skip
    assert [(x.planned, x.due) for x in got] == (
        [(d(expected[0]), d(expected[1]))] if expected else []
    )


def test_generation_is_idempotent_and_keeps_moved_visits():
    schedule = mr.Schedule(d("2026-01-31"), "monthly")
    wanted = mr.due_dates(schedule, EVERY_DAY, first=d("2026-01-01"), last=d("2026-04-30"))
    first = mr.new_visits(wanted, set())
    assert len(first) == 4
    assert mr.new_visits(wanted, {x.planned for x in first}) == []
    # 28 Feb's visit was moved to 5 Mar by hand: its schedule date is still held
    held = {x.planned for x in first}
    assert mr.new_visits(wanted, held) == []


@pytest.mark.parametrize(
    ("frequency", "every_n"),
    [("every_n_months", 0), ("every_n_weeks", None), ("every_n_weeks", -1)],
)
def test_a_period_of_zero_is_refused(frequency, every_n):
    with pytest.raises(ValueError):
        mr.step_of(frequency, every_n)


@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        ("planned", "2026-11-22", True),
        ("planned", "2026-11-23", False),  # due today: not yet
        ("planned", "2026-11-24", False),
        ("done", "2026-11-01", False),
        ("partly_done", "2026-11-01", False),
        ("skipped", "2026-11-01", False),
        ("cancelled", "2026-11-01", False),
    ],
)
def test_overdue_is_one_rule(status, due, expected):
    assert mr.is_overdue(status, d(due), d("2026-11-23")) is expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, None), (1, "1-7"), (7, "1-7"), (8, "8-30"), (30, "8-30"), (31, ">30"), (400, ">30")],
)
def test_ageing_buckets(days, expected):
    assert mr.ageing_bucket(days) == (mr.Ageing(expected) if expected else None)


NOV = (d("2026-11-01"), d("2026-11-30"))


def v(status, due, done=None, window=7, approved=False):
    done_at = dt.datetime.fromisoformat(done) if done else None
    return mr.VisitFact(status, d(due), done_at, window, approved)


@pytest.mark.parametrize(
    ("visits", "expected"),
    [
        ([], None),  # nothing due: "—"
        ([v("cancelled", "2026-11-05")], None),
        ([v("skipped", "2026-11-05", approved=True)], None),
        ([v("done", "2026-11-05", "2026-11-05 10:00")], 1.0),
        ([v("done", "2026-11-05", "2026-11-11 17:00")], 1.0),  # last day of a 7-day window
        ([v("done", "2026-11-05", "2026-11-12 09:00")], 0.0),  # late
        ([v("partly_done", "2026-11-05", "2026-11-05 10:00")], 0.0),
        ([v("done", "2026-11-05", "2026-11-05 10:00"), v("planned", "2026-11-10"),
          v("skipped", "2026-11-12", approved=True), v("skipped", "2026-11-13")], 1 / 3),
        ([v("done", "2026-10-31", "2026-10-31 10:00")], None),  # due outside the period
    ],
)  # fmt: skip
def test_completion_rate(visits, expected):
    got = mr.completion_rate(visits, *NOV)
    assert got == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("rate", "text"), [(None, "—"), (0.0, "0%"), (2 / 3, "67%"), (1.0, "100%")]
)
def test_format_rate(rate, text):
    assert mr.format_rate(rate) == text


@pytest.mark.parametrize(
    ("kind", "measured", "lower", "upper", "expected"),
    [
        ("number", "0.01", "-0.02", "0.02", True),
        ("number", "0.021", "-0.02", "0.02", False),
        ("number", "-0.02", "-0.02", "0.02", True),
        ("number", "0.5", "1", None, False),
        ("number", None, "1", None, None),
        ("pass_fail", "5", "1", "2", None),
    ],
)
def test_number_results_pass_inside_their_limits(kind, measured, lower, upper, expected):
    dec = lambda x: None if x is None else Decimal(x)  # noqa: E731
    assert mr.result_passed(kind, dec(measured), dec(lower), dec(upper)) is expected


@pytest.mark.parametrize(
    ("contract_end", "start", "expected"),
    [
        (None, "2026-01-01", True),
        ("2025-12-31", "2026-01-01", True),
        ("2026-01-01", "2026-01-01", False),
    ],
)
def test_a_plan_without_a_current_contract_needs_confirming(contract_end, start, expected):
    assert mr.contract_missing(d(contract_end) if contract_end else None, d(start)) is expected


PLAN = {"plan_no": "MP-1", "name": "n", "package": "basic", "kind": "inspection",
        "frequency": "monthly", "start_date": "2026-01-01"}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"end_date": "2025-12-31"}, "end_date", "err.date_order"),
        ({"frequency": "every_n_months"}, "every_n", "maint.err.every_n"),
        ({"frequency": "every_n_weeks", "every_n": 0}, "every_n", "err.min"),
        ({"frequency": "fortnightly"}, "frequency", "err.enum"),
    ],
)
def test_plan_checks(changes, field, code):
    _, problems = validate_row(mr.PLANS, {**PLAN, **changes})
    assert [(p.field, p.code) for p in problems] == [(field, code)]


def test_a_plain_plan_passes():
    assert validate_row(mr.PLANS, PLAN)[1] == []


VISIT = {"visit_no": "V1", "plan": "MP-1", "due_date": "2026-11-20", "status": "planned"}
DONE = {"status": "done", "done_at": "2026-11-20 15:00"}


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"status": "done"}, "done_at", "maint.err.done_at"),
        ({"status": "partly_done"}, "done_at", "maint.err.done_at"),
        ({**DONE, "done_at": "2026-11-18 15:00"}, "note", "maint.err.early"),
        ({"status": "skipped", "skipped_by": "mgr"}, "skip_reason", "maint.err.skip_reason"),
        ({"status": "skipped", "skip_reason": "shutdown"}, "skipped_by", "maint.err.skipped_by"),
        ({**DONE, "kind": "firmware"}, "backup_done", "maint.err.backup"),
        ({**DONE, "kind": "firmware", "backup_done": "否"}, "backup_done", "maint.err.backup"),
        ({"arrived_at": "2026-11-20 10:00", "departed_at": "2026-11-20 09:00"},
         "departed_at", "err.date_order"),
    ],
)  # fmt: skip
def test_visit_checks(changes, field, code):
    _, problems = validate_row(mr.VISITS, {**VISIT, **changes})
    assert [(p.field, p.code) for p in problems] == [(field, code)]


@pytest.mark.parametrize(
    "changes",
    [
        DONE,
        {**DONE, "done_at": "2026-11-18 15:00", "note": "客户要求提前"},
        {**DONE, "kind": "firmware", "backup_done": "是"},
        {"status": "skipped", "skip_reason": "shutdown", "skipped_by": "mgr"},
    ],
)
def test_valid_visits_pass(changes):
    assert validate_row(mr.VISITS, {**VISIT, **changes})[1] == []


RESULT = {"visit": "V1", "line_no": 1, "item": "校准传感器", "result_kind": "number",
          "lower": "-0.02", "upper": "0.02"}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "codes"),
    [
        ({"measured": "0.05"}, ["maint.err.out_of_limits"]),
        ({"measured": "0.05", "note": "已调整"}, []),
        ({"measured": "0.01"}, []),
        ({"lower": "1", "upper": "0"}, ["maint.err.limits"]),
    ],
)
def test_result_checks(changes, codes):
    _, problems = validate_row(mr.VISIT_RESULTS, {**RESULT, **changes})
    assert [p.code for p in problems] == codes


FEB_2026 = WorkingCalendar(
    weekly=DEFAULT_WEEKLY,
    holidays=frozenset(dt.date(2026, 2, 15) + dt.timedelta(days=i) for i in range(9)),
    extra_workdays=frozenset({dt.date(2026, 2, 14), dt.date(2026, 2, 28)}),
)


def test_month_grid_lays_weeks_monday_to_sunday_with_the_calendar_and_states():
    counts = {
        dt.date(2026, 2, 3): {"done": 2, "overdue": 1, "cancelled": 0},
        dt.date(2026, 2, 24): {"planned": 4},
    }
    grid = mr.month_grid(dt.date(2026, 2, 20), FEB_2026, counts, dt.date(2026, 2, 10))
    assert [len(w) for w in grid] == [7] * 5  # 1 Feb 2026 is a Sunday
    assert grid[0][:6] == [None] * 6 and grid[0][6].day == dt.date(2026, 2, 1)
    assert grid[-1][5].day == dt.date(2026, 2, 28) and grid[-1][6] is None
    days = {d.day: d for w in grid for d in w if d}
    assert len(days) == 28
    # overdue first, states without visits left out
    assert days[dt.date(2026, 2, 3)].counts == (("overdue", 1), ("done", 2))
    assert days[dt.date(2026, 2, 3)].overdue == 1 and days[dt.date(2026, 2, 3)].total == 3
    assert days[dt.date(2026, 2, 10)].today and not days[dt.date(2026, 2, 11)].today
    kinds = {d: days[d].kind for d in (dt.date(2026, 2, 13), dt.date(2026, 2, 14),
                                       dt.date(2026, 2, 16), dt.date(2026, 2, 22),
                                       dt.date(2026, 2, 28), dt.date(2026, 2, 8))}  # fmt: skip
    assert list(kinds.values()) == [mr.DayKind.WORKDAY, mr.DayKind.MAKEUP, mr.DayKind.HOLIDAY,
                                    mr.DayKind.HOLIDAY, mr.DayKind.MAKEUP, mr.DayKind.OFF]  # fmt: skip


@pytest.mark.parametrize(
    "day, months, first, last",
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 1), dt.date(2026, 1, 31)),
        (dt.date(2026, 1, 15), -1, dt.date(2025, 12, 1), dt.date(2026, 1, 31)),
        (dt.date(2028, 2, 10), 0, dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
    ],
)
def test_month_navigation(day, months, first, last):
    assert mr.month_start(day, months) == first
    assert mr.month_end(day) == last
