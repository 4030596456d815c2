"""SLA clocks with a fixed calendar and a fixed clock.

Test calendar: Mon–Fri 09:00–12:00 + 13:00–18:00 (8 h a day); holidays Thu 2026-10-01 and
Fri 2026-10-02; make-up working day Sat 2026-10-10. 2026-11-23 is a Monday.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from rules.sla import (
    DEFAULT_CALENDAR,
    DEFAULT_ESCALATION,
    DEFAULT_POLICIES,
    ClockState,
    EscalationLevel,
    NoPolicy,
    Policy,
    WorkingCalendar,
    add_business_time,
    business_seconds,
    clock_figures,
    due_escalation_level,
    format_duration,
    policy_for,
    sla_clock,
)

H = 3600
SPANS = [("09:00", "12:00"), ("13:00", "18:00")]
CAL = WorkingCalendar(
    weekly={wd: SPANS for wd in range(5)},
    holidays={dt.date(2026, 10, 1), dt.date(2026, 10, 2)},
    extra_workdays={dt.date(2026, 10, 10)},
)


def d(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_fixture_days_are_what_the_tables_assume():
    assert dt.date(2026, 11, 23).weekday() == 0
    assert dt.date(2026, 10, 1).weekday() == 3
    assert dt.date(2026, 10, 10).weekday() == 5


# ---------------------------------------------------------------- business_seconds
@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-11-23 10:00", "2026-11-23 11:00", 1),  # inside one span
        ("2026-11-23 11:00", "2026-11-23 14:00", 2),  # lunch is not counted
        ("2026-11-23 17:00", "2026-11-24 10:00", 2),  # across the night
        ("2026-11-20 17:00", "2026-11-23 10:00", 2),  # across the weekend
        ("2026-11-21 10:00", "2026-11-23 09:30", 0.5),  # start outside hours
        ("2026-11-23 18:30", "2026-11-23 23:00", 0),  # entirely outside hours
        ("2026-09-30 17:00", "2026-10-05 10:00", 2),  # national-day holidays
        ("2026-10-09 17:00", "2026-10-12 10:00", 10),  # make-up Saturday has 8 h
        ("2026-11-23 10:00", "2026-11-23 10:00", 0),  # zero duration
        ("2026-11-23 11:00", "2026-11-23 10:00", 0),  # end before start
        ("2026-11-23 09:00", "2026-11-30 09:00", 40),  # one regular week
        # 52 weeks of 40 h, minus two weekday holidays, plus one make-up Saturday
        ("2026-01-05 09:00", "2027-01-04 09:00", 52 * 40 - 16 + 8),
    ],
)
def test_business_seconds_table(start, end, hours):
    assert business_seconds(CAL, d(start), d(end)) == hours * H


def test_business_seconds_keeps_seconds_and_microseconds():
    start = d("2026-11-23 10:00:00.250000")
    assert business_seconds(CAL, start, d("2026-11-23 10:00:01")) == 0.75


def test_several_spans_and_overlaps_are_merged():
    cal = WorkingCalendar(weekly={0: [("13:00", "15:00"), ("08:00", "10:00"), ("09:00", "11:00")]})
    assert cal.weekly[0] == (("08:00", "11:00"), ("13:00", "15:00"))
    assert business_seconds(cal, d("2026-11-23 00:00"), d("2026-11-24 00:00")) == 5 * H


def test_json_style_string_weekday_keys_are_accepted():
    cal = WorkingCalendar(weekly={"0": [["09:00", "18:00"]]})
    assert cal.week_seconds == 9 * H


@pytest.mark.parametrize(
    "weekly",
    [{}, {0: [("18:00", "09:00")]}, {0: [("25:00", "26:00")]}, {0: [("9h", "10h")]}],
)
def test_invalid_calendars_are_refused(weekly):
    with pytest.raises(ValueError):
        WorkingCalendar(weekly=weekly)


def test_make_up_day_uses_first_weekday_with_hours():
    cal = WorkingCalendar(
        weekly={1: [("10:00", "12:00")], 2: [("08:00", "18:00")]},
        extra_workdays={dt.date(2026, 11, 22)},  # a Sunday
    )
    assert cal.day_seconds(dt.date(2026, 11, 22)) == 2 * H


def test_holiday_wins_over_make_up_day():
    day = dt.date(2026, 11, 28)
    cal = WorkingCalendar(weekly={0: SPANS}, holidays={day}, extra_workdays={day})
    assert cal.day_seconds(day) == 0


# ---------------------------------------------------------------- add_business_time
@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-11-23 10:00", 1, "2026-11-23 11:00"),
        ("2026-11-23 11:30", 1, "2026-11-23 13:30"),  # over lunch
        ("2026-11-23 17:00", 2, "2026-11-24 10:00"),  # over the night
        ("2026-11-20 17:00", 2, "2026-11-23 10:00"),  # over the weekend
        ("2026-11-21 10:00", 0, "2026-11-23 09:00"),  # zero, outside hours → next span
        ("2026-11-23 10:00", 0, "2026-11-23 10:00"),  # zero, in hours → itself
        ("2026-11-23 12:30", 0, "2026-11-23 13:00"),  # zero at lunch
        ("2026-11-23 18:00", 0, "2026-11-24 09:00"),  # a span's end is outside it
        ("2026-11-23 09:00", 8, "2026-11-23 18:00"),  # runs out at a span's end
        ("2026-11-23 09:00", 3, "2026-11-23 12:00"),
        ("2026-11-21 10:00", 2, "2026-11-23 11:00"),  # starts outside hours
        ("2026-09-30 17:00", 2, "2026-10-05 10:00"),  # holidays skipped
        ("2026-10-09 17:00", 2, "2026-10-10 10:00"),  # make-up Saturday used
        ("2026-11-23 09:00", 400, "2027-01-29 18:00"),  # ten weeks
        ("2026-09-28 09:00", 80, "2026-10-12 18:00"),  # 3 + 5 days, make-up Sat, Mon
    ],
)
def test_add_business_time_table(start, hours, due):
    assert add_business_time(CAL, d(start), hours * H) == d(due)


def test_add_business_time_refuses_negative():
    with pytest.raises(ValueError):
        add_business_time(CAL, d("2026-11-23 10:00"), -1)


def test_add_business_time_is_fast_for_long_ranges():
    import time

    t0 = time.perf_counter()
    due = add_business_time(CAL, d("2026-01-05 09:00"), 10 * 52 * 40 * H)  # ~10 years
    elapsed = time.perf_counter() - t0
    assert business_seconds(CAL, d("2026-01-05 09:00"), due) == 10 * 52 * 40 * H
    assert elapsed < 0.2


def _reference_seconds(cal: WorkingCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Minute-by-minute count (only for minute-aligned times)."""
    total, t = 0, start
    while t < end:
        if cal.is_working(t):
            total += 60
        t += dt.timedelta(minutes=1)
    return total


def _random_moment(rng: random.Random, base: dt.datetime, days: int) -> dt.datetime:
    return base + dt.timedelta(minutes=rng.randrange(days * 24 * 60))


def test_business_seconds_matches_a_minute_by_minute_count():
    rng = random.Random(4)
    base = d("2026-09-24 00:00")
    for _ in range(60):
        a = _random_moment(rng, base, 25)
        b = a + dt.timedelta(minutes=rng.randrange(0, 12 * 24 * 60))
        assert business_seconds(CAL, a, b) == _reference_seconds(CAL, a, b), (a, b)


@pytest.mark.parametrize("calendar", [CAL, DEFAULT_CALENDAR], ids=["test", "default"])
def test_round_trip_business_seconds_of_add_business_time(calendar):
    """business_seconds(c, s, add_business_time(c, s, x)) == x over many cases."""
    rng = random.Random(20261123)
    base = d("2026-09-01 00:00")
    for _ in range(2000):
        start = base + dt.timedelta(seconds=rng.randrange(0, 200 * 86400))
        seconds = rng.choice(
            [0, rng.randrange(1, 4 * H), rng.randrange(0, 200 * H), rng.uniform(0, 3000 * H)]
        )
        seconds = round(seconds, 6)
        due = add_business_time(calendar, start, seconds)
        assert due >= start
        assert business_seconds(calendar, start, due) == pytest.approx(seconds, abs=1e-6)
        # the deadline is the earliest such moment: never later than necessary
        if seconds > 0:
            assert calendar.is_working(due - dt.timedelta(microseconds=1))


# ---------------------------------------------------------------- policies
def test_default_policies_follow_the_domain_table():
    hours = {p.priority: (p.respond_hours, p.resolve_hours) for p in DEFAULT_POLICIES}
    # respond: working hours; resolve: 1 / 2 / 3 / 7 working days of 9.5 h
    assert hours == {
        "emergency": (4, 9.5),
        "high": (8, 19),
        "standard": (12, 28.5),
        "low": (24, 66.5),
    }
    order = [hours[p] for p in ("emergency", "high", "standard", "low")]
    assert order == sorted(order)


def test_grade_specific_policy_wins_over_star():
    policies = (
        Policy("high", 8, 19),
        Policy("high", 2, 9.5, customer_grade="A"),
        Policy("low", 24, 66.5),
    )
    assert policy_for(policies, "high", "A").respond_hours == 2
    assert policy_for(policies, "high", "B").respond_hours == 8
    assert policy_for(policies, "high", None).respond_hours == 8
    with pytest.raises(NoPolicy):
        policy_for(policies, "emergency", "A")


# ---------------------------------------------------------------- the clocks
POLICY = Policy("standard", respond_hours=2, resolve_hours=8)
RECEIVED = d("2026-11-23 09:00")  # Monday


def clock(events, now, policy=POLICY, received=RECEIVED):
    return sla_clock(received, policy, CAL, [(d(a), s) for a, s in events], d(now))


@pytest.mark.parametrize(
    ("events", "now", "respond_state", "respond_by", "resolve_state", "resolve_by"),
    [
        # nothing happened yet
        ([], "2026-11-23 10:00", "running", "2026-11-23 11:00", "running", "2026-11-23 18:00"),
        # response stops at the first move out of "received"
        (
            [("2026-11-23 10:30", "responded")],
            "2026-11-23 12:00",
            "met",
            "2026-11-23 11:00",
            "running",
            "2026-11-23 18:00",
        ),
        (
            [("2026-11-23 11:30", "diagnosing")],
            "2026-11-23 12:00",
            "breached",
            "2026-11-23 11:00",
            "running",
            "2026-11-23 18:00",
        ),
        # waiting for parts Mon 11:00 → Tue 11:00 = 8 business hours: deadline +8 h
        (
            [
                ("2026-11-23 10:00", "diagnosing"),
                ("2026-11-23 11:00", "waiting_parts"),
                ("2026-11-24 11:00", "dispatched"),
            ],
            "2026-11-24 12:00",
            "met",
            "2026-11-23 11:00",
            "running",
            "2026-11-24 18:00",
        ),
        # still waiting for the customer: no fixed deadline, the clock is paused
        (
            [("2026-11-23 10:00", "responded"), ("2026-11-23 11:00", "waiting_customer")],
            "2026-11-24 10:00",
            "met",
            "2026-11-23 11:00",
            "paused",
            None,
        ),
        # the budget ran out before the pause: breached stays breached
        (
            [("2026-11-23 10:00", "responded"), ("2026-11-24 10:00", "waiting_customer")],
            "2026-11-24 12:00",
            "met",
            "2026-11-23 11:00",
            "breached",
            "2026-11-23 18:00",
        ),
        # repaired in time / late
        (
            [("2026-11-23 10:00", "diagnosing"), ("2026-11-23 16:00", "repaired")],
            "2026-11-25 12:00",
            "met",
            "2026-11-23 11:00",
            "met",
            "2026-11-23 18:00",
        ),
        (
            [("2026-11-23 10:00", "diagnosing"), ("2026-11-24 10:00", "repaired")],
            "2026-11-25 12:00",
            "met",
            "2026-11-23 11:00",
            "breached",
            "2026-11-23 18:00",
        ),
        # reopened Wednesday: 4 h used Monday, closed time not counted, 4 h left
        (
            [
                ("2026-11-23 10:00", "diagnosing"),
                ("2026-11-23 14:00", "repaired"),
                ("2026-11-23 15:00", "accepted"),
                ("2026-11-23 16:00", "closed"),
                ("2026-11-25 10:00", "reopened"),
            ],
            "2026-11-25 11:00",
            "met",
            "2026-11-23 11:00",
            "running",
            "2026-11-25 15:00",
        ),
        # cancelled: both clocks stop
        (
            [("2026-11-23 09:30", "cancelled")],
            "2026-11-30 09:00",
            "met",
            "2026-11-23 11:00",
            "met",
            "2026-11-23 18:00",
        ),
    ],
)
def test_sla_clock_table(events, now, respond_state, respond_by, resolve_state, resolve_by):
    c = clock(events, now)
    assert c.respond_state == respond_state
    assert c.respond_by == d(respond_by)
    assert c.resolve_state == resolve_state
    assert c.resolve_by == (d(resolve_by) if resolve_by else None)


def test_time_left_and_overdue_are_business_time():
    running = clock([], "2026-11-23 10:00")
    assert running.respond_left == 1 * H
    assert running.resolve_left == 7 * H  # 10–12 and 13–18
    late = clock([], "2026-11-23 15:00")
    assert late.respond_state is ClockState.BREACHED
    assert late.respond_left == -3 * H  # 11–12 and 13–15
    assert late.overdue


def test_paused_clock_reports_what_is_left():
    c = clock(
        [("2026-11-23 10:00", "responded"), ("2026-11-23 11:00", "waiting_customer")],
        "2026-11-24 10:00",
    )
    assert c.resolve_left == 6 * H
    assert c.consumed == 2 * H


def test_breakdown_says_which_statuses_used_the_time():
    c = clock(
        [
            ("2026-11-23 10:00", "diagnosing"),
            ("2026-11-23 11:00", "waiting_parts"),
            ("2026-11-24 11:00", "dispatched"),
            ("2026-11-24 16:00", "on_site"),
        ],
        "2026-11-25 10:00",
    )
    assert c.by_status == {
        "received": 1 * H,
        "diagnosing": 1 * H,
        "dispatched": 4 * H,  # Tue 11–12, 13–16
        "on_site": 3 * H,  # Tue 16–18, Wed 9–10
    }
    paused = [s for s in c.segments if not s.counted]
    assert [(s.status, s.business_seconds) for s in paused] == [("waiting_parts", 8 * H)]
    assert c.segments[-1].end is None
    assert c.resolve_state is ClockState.BREACHED
    assert c.resolve_by == d("2026-11-24 18:00")


def test_policy_change_moves_both_deadlines():
    events = [("2026-11-23 10:00", "diagnosing")]
    before = clock(events, "2026-11-23 12:00")
    after = clock(events, "2026-11-23 12:00", policy=Policy("standard", 4, 16))
    assert (before.respond_by, before.resolve_by) == (d("2026-11-23 11:00"), d("2026-11-23 18:00"))
    assert (after.respond_by, after.resolve_by) == (d("2026-11-23 14:00"), d("2026-11-24 18:00"))


def test_received_outside_hours_starts_at_the_next_span():
    c = clock([], "2026-11-21 11:00", received=d("2026-11-21 10:00"))  # Saturday
    assert c.respond_by == d("2026-11-23 11:00")
    assert c.respond_left == 2 * H
    assert c.resolve_by == d("2026-11-23 18:00")


def test_events_out_of_order_and_repeated_statuses():
    c = clock(
        [
            ("2026-11-23 11:00", "waiting_parts"),
            ("2026-11-23 10:00", "diagnosing"),
            ("2026-11-23 10:30", "diagnosing"),
            ("2026-11-23 09:00", "received"),
        ],
        "2026-11-23 11:30",
    )
    assert c.responded_at == d("2026-11-23 10:00")
    assert c.by_status == {"received": 1 * H, "diagnosing": 1 * H}


# ---------------------------------------------------------------- escalation
@pytest.mark.parametrize(
    ("hours", "level"),
    [(0, 1), (3.99, 1), (4, 2), (13.49, 2), (13.5, 3), (41.99, 3), (42, 4), (1000, 4)],
)
def test_default_escalation_ladder(hours, level):
    assert due_escalation_level(DEFAULT_ESCALATION, hours * H) == level


def test_escalation_ladder_is_data():
    ladder = (
        EscalationLevel(2, "二线", "L2", 1),
        EscalationLevel(1, "一线", "L1", 2),
        EscalationLevel(3, "专家", "L3", None),
    )
    assert [due_escalation_level(ladder, h * H) for h in (1.9, 2, 2.9, 3, 99)] == [1, 2, 2, 3, 3]
    assert due_escalation_level((), 99 * H) == 1


@pytest.mark.parametrize(
    ("seconds", "lang", "text"),
    [
        (3 * H + 5 * 60, "en", "3 h 05 min"),
        (-(25 * H), "zh", "25小时00分"),
        (59, "en", "0 h 00 min"),
    ],
)
def test_format_duration(seconds, lang, text):
    assert format_duration(seconds, lang) == text


# ---------------------------------------------------------------- the day cache
def _walked_seconds(cal: WorkingCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Business time summed day by day from ``spans_on``: what the day cache must equal."""
    total, day = 0, start.date()
    while day <= end.date():
        base = dt.datetime.combine(day, dt.time())
        for a, b in cal.spans_on(day):
            lo = max(base + dt.timedelta(seconds=a), start)
            hi = min(base + dt.timedelta(seconds=b), end)
            total += max((hi - lo) // dt.timedelta(microseconds=1), 0)
        day += dt.timedelta(days=1)
    return total / 1_000_000


def _walked_deadline(cal: WorkingCalendar, start: dt.datetime, seconds: float) -> dt.datetime:
    """The deadline found by walking the spans one by one."""
    left, day = dt.timedelta(microseconds=round(seconds * 1_000_000)), start.date()
    while True:
        base = dt.datetime.combine(day, dt.time())
        for a, b in cal.spans_on(day):
            lo, hi = max(base + dt.timedelta(seconds=a), start), base + dt.timedelta(seconds=b)
            if hi > lo and left <= hi - lo:
                return lo + left
            left -= max(hi - lo, dt.timedelta())
        day += dt.timedelta(days=1)


HOLIDAY_CALENDARS = {
    "test": CAL,
    "default": DEFAULT_CALENDAR,
    "spring festival": WorkingCalendar(  # a week off, two make-up Saturdays, a 24:00 end
        weekly={wd: [("00:00", "06:00"), ("20:00", "24:00")] for wd in range(5)},
        holidays={dt.date(2026, 2, 16) + dt.timedelta(days=i) for i in range(7)},
        extra_workdays={dt.date(2026, 2, 14), dt.date(2026, 2, 28), dt.date(2026, 2, 17)},
    ),
}


@pytest.mark.parametrize("name", HOLIDAY_CALENDARS)
@pytest.mark.parametrize("memo", [20_000, 1])
def test_cached_days_give_what_walking_the_spans_gives(name, memo, monkeypatch):
    """Business time and deadlines from the per-day cache equal a plain walk over the
    spans, with the cache kept and with it dropped at every day (``DAY_MEMO = 1``)."""
    monkeypatch.setattr("rules.sla.DAY_MEMO", memo)
    cal = HOLIDAY_CALENDARS[name]
    cal._days.clear()
    rng = random.Random(7)
    origin = dt.datetime(2026, 1, 20)
    for _ in range(400):
        start = origin + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        end = start + dt.timedelta(minutes=rng.choice([0, 30, 600, 3000, 20000, 90000]))
        if rng.random() < 0.2:
            start, end = start.replace(minute=0), end.replace(minute=0)
        assert business_seconds(cal, start, end) == _walked_seconds(cal, start, end)
        budget = rng.choice([0, 1, 1800, 4 * H, 9.5 * H, 28.5 * H, 66.5 * H, 300 * H])
        assert add_business_time(cal, start, budget) == _walked_deadline(cal, start, budget)
    cal._days.clear()


@pytest.mark.parametrize("name", HOLIDAY_CALENDARS)
def test_clock_segments_and_time_left_agree_with_business_seconds(name):
    """sla_clock reads the calendar once per status change; each segment and the time
    left must still be what business_seconds gives for them."""
    cal, rng = HOLIDAY_CALENDARS[name], random.Random(11)
    statuses = ["responded", "on_site", "waiting_parts", "repaired", "reopened", "closed"]
    for _ in range(300):
        received = dt.datetime(2026, 1, 25) + dt.timedelta(minutes=rng.randrange(0, 80_000))
        events, at = [], received
        for _ in range(rng.randrange(0, 6)):
            at += dt.timedelta(minutes=rng.choice([0, 45, 700, 4000]))
            events.append((at, rng.choice(statuses)))
        now = received + dt.timedelta(minutes=rng.randrange(0, 30_000))
        clock = sla_clock(received, DEFAULT_POLICIES[rng.randrange(4)], cal, events, now)
        for seg in clock.segments:
            stop = seg.end if seg.end is not None else max(now, seg.start)
            assert seg.business_seconds == business_seconds(cal, seg.start, stop)
        if clock.segments[-1].counted:  # running now: time left to the deadline
            due = clock.resolve_by
            expected = (
                business_seconds(cal, now, due) if now <= due else -business_seconds(cal, due, now)
            )
            assert clock.resolve_left == expected
        if clock.responded_at is None:
            due = clock.respond_by
            expected = (
                business_seconds(cal, now, due) if now <= due else -business_seconds(cal, due, now)
            )
            assert clock.respond_left == expected


# ---------------------------------------------------------------- 24×7 policies
@pytest.mark.parametrize(
    ("received", "round_the_clock", "respond_by", "resolve_by"),
    [
        # Friday night before a holiday: 4 h / 24 h literally …
        ("2026-09-30 20:00", True, "2026-10-01 00:00", "2026-10-01 20:00"),
        # … or in business hours (09:00–12:00, 13:00–18:00 Mon–Fri; 1–2 Oct off; Sat 10 Oct worked)
        ("2026-09-30 20:00", False, "2026-10-05 14:00", "2026-10-07 18:00"),
        # round the clock runs through a make-up day and a weekend alike
        ("2026-10-10 08:00", True, "2026-10-10 12:00", "2026-10-11 08:00"),
    ],
)
def test_a_round_the_clock_policy_counts_wall_clock_hours(
    received, round_the_clock, respond_by, resolve_by
):
    policy = Policy("emergency", 4, 24, round_the_clock=round_the_clock)
    clock = sla_clock(d(received), policy, CAL, [], d(received))
    assert (clock.respond_by, clock.resolve_by) == (d(respond_by), d(resolve_by))


def test_round_the_clock_pauses_still_stop_the_clock():
    """Waiting for the customer pauses a 24×7 clock too (for wall-clock time)."""
    policy = Policy("emergency", 4, 24, round_the_clock=True)
    events = [
        (d("2026-10-03 01:00"), "responded"),
        (d("2026-10-03 02:00"), "waiting_customer"),
        (d("2026-10-03 12:00"), "on_site"),
    ]
    clock = sla_clock(d("2026-10-03 00:00"), policy, CAL, events, d("2026-10-03 13:00"))
    assert clock.resolve_by == d("2026-10-04 10:00")  # 24 h + the 10 h waiting


# ---------------------------------------------------------------- stored figures
_STEPS = ["received", "diagnosing", "dispatched", "on_site", "waiting_parts",
          "waiting_customer", "repaired", "accepted", "closed", "cancelled", "reopened"]  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("round_the_clock", [False, True])
def test_clock_figures_are_sla_clocks_stored_values(seed, round_the_clock):
    """What an import stores per ticket (``clock_figures``) is what ``sla_clock``
    gives, whatever the history and whenever it is asked."""
    rng = random.Random(seed)
    cal = WorkingCalendar(
        weekly=CAL.weekly, holidays={dt.date(2026, 1, 6)}, extra_workdays={dt.date(2026, 1, 4)}
    )
    for _ in range(300):
        policy = Policy("x", rng.choice([0.5, 2, 4, 8]), rng.choice([4, 9.5, 24, 72]),
                        round_the_clock=round_the_clock)  # fmt: skip
        received = dt.datetime(2026, 1, 1, 7) + dt.timedelta(minutes=rng.randrange(0, 20000))
        at, events = received, []
        for _ in range(rng.randrange(0, 7)):
            at += dt.timedelta(minutes=rng.randrange(-30, 3000))
            events.append((at, rng.choice(_STEPS)))
        now = received + dt.timedelta(minutes=rng.randrange(-60, 30000))
        clock = sla_clock(received, policy, cal, events, now)
        got = clock_figures(received, policy, cal, events)
        want = (clock.respond_by, clock.resolve_by, clock.response_seconds,
                clock.resolution_seconds)  # fmt: skip
        assert tuple(got) == want, (received, policy, events, now)
