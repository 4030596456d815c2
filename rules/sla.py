"""Service-level clocks: working calendars, business time, deadlines, escalation.

Pure stdlib; every function takes the current time as an argument.

Public API (quoted by the README):

- :class:`WorkingCalendar` ``(weekly={0: [("09:00", "18:00")], ...}, holidays=set_of_dates,
  extra_workdays=set_of_dates)`` — weekday Mon=0, several spans a day; a holiday has no
  hours; a make-up working day (调休, a weekend day that is worked) has the hours of a
  regular weekday (Monday's spans, or the first weekday that has spans).
- :func:`business_seconds` ``(calendar, start, end) -> float`` — business time between two
  naive local datetimes (0 when ``end <= start``). Whole weeks are counted arithmetically,
  so a range of years costs no more than a few weeks.
- :func:`add_business_time` ``(calendar, start, seconds) -> datetime`` — the deadline.
  Starting outside hours, the clock begins at the next span; 0 seconds gives ``start``
  itself when in hours, else the next span's start. A budget that runs out exactly at the
  end of a span gives that end (18:00), not the next morning.
- :func:`sla_clock` ``(received_at, policy, calendar, events, now) -> SlaClock`` — respond-by,
  resolve-by, their states (met / running / breached / paused), business time left (or
  overdue when negative) at ``now``, and the timeline of which statuses used the time.
- :func:`due_escalation_level` ``(levels, elapsed_seconds) -> int`` — L1…L4.
- :func:`policy_for` ``(policies, priority, grade) -> Policy`` — grade-specific wins over ``*``.
- :func:`clock_calendar` ``(policy, calendar) -> WorkingCalendar`` — the calendar a policy's
  clocks run on: the working calendar, or :data:`ROUND_THE_CLOCK` (24×7) for a policy
  with ``round_the_clock`` (an emergency contract's "24 hours" meant literally).

How the domain's figures are read (domain.md §1, seed 000 §3.2 / §4.1.2)
-------------------------------------------------------------------------
All clocks run in *business time* on the working calendar (default: Mon–Sat 08:30–18:00,
the support hours domain.md gives, i.e. a 9.5-hour working day).

A policy may run round the clock instead (``Policy.round_the_clock``): its hours are then
wall-clock hours, holidays included — what a 24×7 emergency contract promises.

- **Response targets** (4 / 8 / 12 / 24 h) are working hours, as seed 000 states them
  ("服务响应时间不超过 4 个工作小时").
- **Resolution targets** (24 h / 48 h / 72 h / 7 days) and the escalation ladder
  (4 h → 24 h → 3 working days) are read the way a service manager says them: "24 h" is
  *one working day*, "72 h" three working days, "7 days" seven working days. Taken as
  literal business hours, "72 h" would be 7.6 working days — longer than the low priority's
  week — and "7 days" as 168 business hours almost four weeks; both would turn the table's
  order upside down. The defaults therefore store resolve hours = working days × 9.5 h
  (9.5 / 19 / 28.5 / 66.5) and the escalation hours 4 / 9.5 / 28.5. They are data in
  ``sla_policies`` / ``escalation_levels``: a team that means wall-clock days edits them.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

DAY_S = 86_400
_US = 1_000_000


# ---------------------------------------------------------------- calendar
def _parse_hhmm(text: str) -> int:
    """``"08:30"`` → seconds after midnight (``"24:00"`` allowed as an end)."""
    hh, _, mm = str(text).strip().partition(":")
    h, m = int(hh), int(mm or 0)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"not a time of day: {text!r}")
    return h * 3600 + m * 60


def _fmt_hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _merge(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if end <= start:
            raise ValueError(f"span ends before it starts: {_fmt_hhmm(start)}-{_fmt_hhmm(end)}")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working hours per weekday (Mon=0), public holidays and make-up working days."""

    weekly: Mapping[int, Sequence[tuple[str, str]]]
    holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()
    # derived, in seconds after midnight: regular spans per weekday, make-up spans
    _spans: tuple[tuple[tuple[int, int], ...], ...] = field(init=False, repr=False, compare=False)
    _makeup: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _special: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)
    _week: int = field(init=False, repr=False, compare=False)
    # regular seconds of weekdays 0..k-1, and special days' adjustments summed in order
    _prefix: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _adjusted: tuple[int, ...] = field(init=False, repr=False, compare=False)
    # day → (spans in µs, business µs of the day, business µs before it): dates repeat
    # across thousands of tickets, so each is worked out once
    _days: dict[dt.date, _Day] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spans = []
        for wd in range(7):
            raw = self.weekly.get(wd) or self.weekly.get(str(wd)) or ()  # type: ignore[call-overload]
            spans.append(_merge((_parse_hhmm(a), _parse_hhmm(b)) for a, b in raw))
        weekly = {
            wd: tuple((_fmt_hhmm(a), _fmt_hhmm(b)) for a, b in s) for wd, s in enumerate(spans)
        }
        makeup = next((s for s in spans[:5] if s), ())
        holidays, extra = frozenset(self.holidays), frozenset(self.extra_workdays)
        object.__setattr__(self, "weekly", {wd: s for wd, s in weekly.items() if s})
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "extra_workdays", extra)
        object.__setattr__(self, "_spans", tuple(spans))
        object.__setattr__(self, "_makeup", makeup)
        object.__setattr__(self, "_special", tuple(sorted(holidays | extra)))
        if not any(spans):
            raise ValueError("a working calendar needs at least one span of working hours")
        regular = [sum(b - a for a, b in s) for s in spans]
        prefix = [0]
        for secs in regular:
            prefix.append(prefix[-1] + secs)
        adjusted = [0]
        for d in self._special:
            adjusted.append(adjusted[-1] + self.day_seconds(d) - regular[d.weekday()])
        object.__setattr__(self, "_week", prefix[-1])
        object.__setattr__(self, "_prefix", tuple(prefix))
        object.__setattr__(self, "_adjusted", tuple(adjusted))
        object.__setattr__(self, "_days", {})

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.weekly.items())), self.holidays, self.extra_workdays))

    def spans_on(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """Working spans of ``day`` in seconds after midnight (a holiday wins over a make-up day)."""
        if day in self.holidays:
            return ()
        if day in self.extra_workdays:
            return self._makeup
        return self._spans[day.weekday()]

    def day_seconds(self, day: dt.date) -> int:
        return sum(b - a for a, b in self.spans_on(day))

    @property
    def week_seconds(self) -> int:
        """Business seconds of a regular week (no holidays, no make-up days)."""
        return self._week

    @property
    def working_day_hours(self) -> float:
        """Length of a regular working day: Monday's hours, or the first weekday that has any."""
        return sum(b - a for a, b in self._makeup) / 3600

    def _adjustment(self, first: dt.date, last: dt.date) -> int:
        """Special days in ``[first, last]``: their real seconds minus a regular day's."""
        lo = bisect.bisect_left(self._special, first)
        hi = bisect.bisect_right(self._special, last)
        return sum(
            self.day_seconds(d) - sum(b - a for a, b in self._spans[d.weekday()])
            for d in self._special[lo:hi]
        )

    def full_days_seconds(self, first: dt.date, days: int) -> int:
        """Business seconds of ``days`` whole days starting with ``first``."""
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        total = weeks * self.week_seconds
        for i in range(rest):
            total += sum(b - a for a, b in self._spans[(first.weekday() + i) % 7])
        return total + self._adjustment(first, first + dt.timedelta(days=days - 1))

    def is_working(self, moment: dt.datetime) -> bool:
        t = _tod_us(moment)
        return any(a * _US <= t < b * _US for a, b in self.spans_on(moment.date()))

    def _day(self, day: dt.date) -> _Day:
        """``day``'s spans in µs, its business µs, and the business µs of every day
        before it since 0001-01-01 (a Monday): differences of these give business time."""
        try:
            return self._days[day]
        except KeyError:
            pass
        n = day.toordinal() - 1
        weeks, rest = divmod(n, 7)
        before = weeks * self._week + self._prefix[rest]
        before += self._adjusted[bisect.bisect_left(self._special, day)]
        spans = tuple((a * _US, b * _US) for a, b in self.spans_on(day))
        out = _Day(spans, sum(b - a for a, b in spans), before * _US)
        if len(self._days) >= DAY_MEMO:
            self._days.clear()
        self._days[day] = out
        return out


class _Day(NamedTuple):
    spans: tuple[tuple[int, int], ...]  # µs after midnight
    total: int  # business µs of the day
    before: int  # business µs of all earlier days (from an arbitrary origin)


DAY_MEMO = 20_000  # days remembered per calendar (55 years) before starting over


def _tod_us(moment: dt.datetime) -> int:
    """Microseconds after midnight."""
    return (moment.hour * 3600 + moment.minute * 60 + moment.second) * _US + moment.microsecond


def _clock_us(cal: WorkingCalendar, moment: dt.datetime) -> int:
    """Business µs from the calendar's origin to ``moment``."""
    day = moment.date()
    spans, _, before = cal._days.get(day) or cal._day(day)
    t = (moment.hour * 3600 + moment.minute * 60 + moment.second) * _US + moment.microsecond
    for a, b in spans:
        if t <= a:
            break
        before += (b if t > b else t) - a
    return before


def business_seconds(calendar: WorkingCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """Business time between two naive local datetimes, in seconds (0 if ``end <= start``)."""
    return _business_us(calendar, start, end) / _US


def _business_us(cal: WorkingCalendar, start: dt.datetime, end: dt.datetime) -> int:
    if end <= start:
        return 0
    return _clock_us(cal, end) - _clock_us(cal, start)


def add_business_time(calendar: WorkingCalendar, start: dt.datetime, seconds: float) -> dt.datetime:
    """The moment ``seconds`` of business time after ``start`` (a deadline)."""
    if seconds < 0:
        raise ValueError("business time to add must not be negative")
    left = round(seconds * _US)
    if left:
        return _reaching(calendar, start.date(), _clock_us(calendar, start) + left)
    # nothing to add: ``start`` when in hours, else the next span's start
    day, tod = start.date(), _tod_us(start)
    while True:
        for a, b in calendar._day(day).spans:
            if tod < b:
                return _at(day, a if a > tod else tod)
        day, tod = day + dt.timedelta(days=1), 0


def _after(
    calendar: WorkingCalendar, start: dt.datetime, start_us: int, seconds: float
) -> dt.datetime:
    """:func:`add_business_time` when the clock reading of ``start`` is known."""
    left = round(seconds * _US)
    if left <= 0:
        return add_business_time(calendar, start, seconds)
    return _reaching(calendar, start.date(), start_us + left)


def _reaching(calendar: WorkingCalendar, day: dt.date, target: int) -> dt.datetime:
    """The first moment on or after ``day`` whose clock reading is ``target``: inside a
    span, or at its very end (a budget running out at 18:00 ends at 18:00)."""
    spans, total, before = calendar._day(day)
    if before + total < target:
        # later days: the first whose end reaches the target, found from whole weeks
        first = day + dt.timedelta(days=1)
        weeks = (target - calendar._day(first).before - 1) // (calendar.week_seconds * _US)
        day = first + dt.timedelta(days=weeks * 7)
        while day > first and calendar._day(day).before >= target:
            day = max(first, day - dt.timedelta(days=7))
        spans, total, before = calendar._day(day)
        while before + total < target:
            day += dt.timedelta(days=1)
            spans, total, before = calendar._day(day)
    left = target - before
    for a, b in spans:
        if left <= b - a:
            return _at(day, a + left)
        left -= b - a
    raise AssertionError("the day's spans hold the rest")  # pragma: no cover


def _at(day: dt.date, tod_us: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(microseconds=tod_us)


def next_working_moment(calendar: WorkingCalendar, moment: dt.datetime) -> dt.datetime:
    """``moment`` when it is in hours, else the start of the next span."""
    return add_business_time(calendar, moment, 0)


# ---------------------------------------------------------------- defaults
DEFAULT_WEEKLY: dict[int, list[tuple[str, str]]] = {
    wd: [("08:30", "18:00")] for wd in range(6)
}  # Mon–Sat 8:30–18:00 (domain.md: support hours for online/phone)
DEFAULT_CALENDAR = WorkingCalendar(weekly=DEFAULT_WEEKLY)
WORKING_DAY_HOURS = DEFAULT_CALENDAR.working_day_hours  # 9.5


@dataclass(frozen=True)
class Policy:
    """SLA targets of one priority (and customer grade; ``*`` = every grade), in business hours."""

    priority: str
    respond_hours: float
    resolve_hours: float
    customer_grade: str = "*"
    onsite_hours: float | None = None
    # True: the limits are wall-clock hours (24×7), not the working calendar's
    round_the_clock: bool = False


# every hour of every day, holidays too: the calendar of a 24×7 policy
ROUND_THE_CLOCK = WorkingCalendar(weekly={wd: [("00:00", "24:00")] for wd in range(7)})


def clock_calendar(policy: Policy, calendar: WorkingCalendar) -> WorkingCalendar:
    """The calendar ``policy``'s clocks run on."""
    return ROUND_THE_CLOCK if policy.round_the_clock else calendar


def _days(n: float) -> float:
    return n * WORKING_DAY_HOURS


# seed 000 §3.2; see the module docstring for how "24 h" and "7 days" are read
DEFAULT_POLICIES: tuple[Policy, ...] = (
    Policy("emergency", 4, _days(1), onsite_hours=4),
    Policy("high", 8, _days(2), onsite_hours=8),
    Policy("standard", 12, _days(3)),
    Policy("low", 24, _days(7)),
)


class NoPolicy(LookupError):
    """No SLA policy for this priority (neither for the grade nor for ``*``)."""


def policy_for(policies: Iterable[Policy], priority: str, grade: str | None = None) -> Policy:
    """The grade-specific policy of ``priority`` if there is one, else the ``*`` one."""
    fallback = None
    for p in policies:
        if p.priority != priority:
            continue
        if grade and p.customer_grade == grade:
            return p
        if p.customer_grade == "*":
            fallback = p
    if fallback is None:
        raise NoPolicy(priority)
    return fallback


@dataclass(frozen=True)
class EscalationLevel:
    """One rung of the ladder: business hours spent at it before moving up (None = top)."""

    level: int
    zh: str
    en: str
    hours: float | None

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


# seed 000 §4.1.2: L1 front line 4 h → L2 second line + R&D/production 24 h (one working
# day) → L3 expert + R&D/production/sales 3 working days → L4 senior management
DEFAULT_ESCALATION: tuple[EscalationLevel, ...] = (
    EscalationLevel(1, "L1 售后一线", "L1 front line", 4),
    EscalationLevel(2, "L2 售后二线 + 研发/生产", "L2 second line + R&D/production", _days(1)),
    EscalationLevel(
        3, "L3 售后专家 + 研发/生产/销售", "L3 expert + R&D/production/sales", _days(3)
    ),
    EscalationLevel(4, "L4 高级管理层", "L4 senior management", None),
)


def due_escalation_level(levels: Sequence[EscalationLevel], elapsed_seconds: float) -> int:
    """The level a ticket should be at after ``elapsed_seconds`` of business time.

    Hours are per level and add up: with the defaults a ticket reaches L2 after 4 h,
    L3 after 4 + 9.5 h and L4 after 4 + 9.5 + 28.5 h of running resolution time.
    """
    ladder = sorted(levels, key=lambda lv: lv.level)
    if not ladder:
        return 1
    threshold = 0.0
    for rung in ladder[:-1]:
        if rung.hours is None:
            return rung.level
        threshold += rung.hours * 3600
        if elapsed_seconds < threshold:
            return rung.level
    return ladder[-1].level


# ---------------------------------------------------------------- the clocks
class ClockState(StrEnum):
    MET = "met"
    RUNNING = "running"
    BREACHED = "breached"
    PAUSED = "paused"


class Phase(StrEnum):
    """What a status does to the resolution clock."""

    RUNNING = "running"
    PAUSED = "paused"  # waiting for the customer or for parts: the deadline moves out
    STOPPED = "stopped"  # resolved, accepted, closed, cancelled: not counted; reopen resumes


RECEIVED = "received"
PAUSING = frozenset({"waiting_customer", "waiting_parts"})
STOPPING = frozenset({"repaired", "accepted", "closed", "cancelled"})
UNRESOLVED = frozenset({"cancelled"})  # stops the clock without resolving the ticket


def phase_of(status: str) -> Phase:
    if status in PAUSING:
        return Phase.PAUSED
    if status in STOPPING:
        return Phase.STOPPED
    return Phase.RUNNING


@dataclass(frozen=True)
class Segment:
    """A stretch of the history in one status; ``end`` is None for the current one."""

    status: str
    start: dt.datetime
    end: dt.datetime | None
    business_seconds: float
    counted: bool  # consumed resolution time


@dataclass(frozen=True)
class SlaClock:
    respond_by: dt.datetime
    respond_state: ClockState
    responded_at: dt.datetime | None
    # business seconds until respond_by (negative: overdue by that much); 0 once stopped
    respond_left: float
    # None while paused and not yet breached: the deadline moves with the pause
    resolve_by: dt.datetime | None
    resolve_state: ClockState
    resolved_at: dt.datetime | None
    resolve_left: float
    consumed: float  # resolution business seconds used so far
    budget: float
    segments: tuple[Segment, ...]
    by_status: dict[str, float]  # counted business seconds per status
    # business seconds from receipt to the first response (None until responded)
    response_seconds: float | None = None
    # the resolution clock consumed once resolved (None while open, and for a ticket
    # cancelled: it was never resolved); what the dashboard averages
    resolution_seconds: float | None = None

    @property
    def overdue(self) -> bool:
        return ClockState.BREACHED in (self.respond_state, self.resolve_state)


def _timeline(
    received_at: dt.datetime,
    events: Iterable[tuple[dt.datetime, str]],
    now: dt.datetime,
) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    spans: list[tuple[str, dt.datetime, dt.datetime | None]] = []
    status, since = RECEIVED, received_at
    for at, to_status in sorted(events, key=lambda e: e[0]):
        at = max(at, received_at)
        if to_status == status:
            continue
        spans.append((status, since, at))
        status, since = to_status, at
    spans.append((status, since, None))
    return spans


def sla_clock(
    received_at: dt.datetime,
    policy: Policy,
    calendar: WorkingCalendar,
    events: Iterable[tuple[dt.datetime, str]],
    now: dt.datetime,
) -> SlaClock:
    """Both clocks of one ticket from its status history ``(at, to_status)``.

    The response clock runs from ``received_at`` until the first move out of
    ``received``. The resolution clock runs in every working status, pauses (in
    business time) while waiting for the customer or for parts, stops at repaired /
    accepted / closed / cancelled, and a reopen resumes it where it stood.

    A round-the-clock policy runs every clock on :data:`ROUND_THE_CLOCK` whatever
    ``calendar`` is.
    """
    calendar = clock_calendar(policy, calendar)
    events = list(events)
    budget = policy.resolve_hours * 3600
    spans = _timeline(received_at, events, now)
    # the spans follow one another in order: one clock reading per boundary, the last
    # one where the current span stops counting (now)
    ticks = [_clock_us(calendar, start) for _, start, _ in spans]
    ticks.append(_clock_us(calendar, max(now, spans[-1][1])))
    now_us = ticks[-1] if now >= spans[-1][1] else None
    respond_by = _after(calendar, received_at, ticks[0], policy.respond_hours * 3600)

    responded_at = spans[1][1] if len(spans) > 1 else None
    response_seconds = (ticks[1] - ticks[0]) / _US if len(spans) > 1 else None
    if responded_at is not None:
        r_state = ClockState.MET if responded_at <= respond_by else ClockState.BREACHED
        r_left = 0.0
    else:
        r_left = _signed_left(calendar, now, respond_by, now_us)
        r_state = ClockState.BREACHED if now > respond_by else ClockState.RUNNING

    segments: list[Segment] = []
    by_status: dict[str, float] = {}
    consumed = 0.0
    deadline: dt.datetime | None = None
    for i, (status, start, end) in enumerate(spans):
        secs = (ticks[i + 1] - ticks[i]) / _US
        counted = status not in PAUSING and status not in STOPPING  # Phase.RUNNING
        segments.append(Segment(status, start, end, secs, counted))
        if not counted:
            continue
        if deadline is None and (consumed + secs >= budget or end is None):
            deadline = _after(calendar, start, ticks[i], max(budget - consumed, 0.0))
        consumed += secs
        by_status[status] = by_status.get(status, 0.0) + secs

    current = spans[-1][0]
    phase = phase_of(current)
    resolved_at = spans[-1][1] if phase is Phase.STOPPED else None
    if phase is Phase.STOPPED:
        last_counted = next((s for s in reversed(segments) if s.counted), None)
        if deadline is None and last_counted is not None:
            deadline = add_business_time(
                calendar, last_counted.start, budget - (consumed - last_counted.business_seconds)
            )
        breached = consumed > budget
        state = ClockState.BREACHED if breached else ClockState.MET
        left = budget - consumed
    elif phase is Phase.PAUSED:
        breached = consumed > budget
        state = ClockState.BREACHED if breached else ClockState.PAUSED
        left = budget - consumed
        if not breached:
            deadline = None
    else:
        assert deadline is not None
        left = _signed_left(calendar, now, deadline, now_us)
        state = ClockState.BREACHED if now > deadline else ClockState.RUNNING
    return SlaClock(
        respond_by=respond_by,
        respond_state=r_state,
        responded_at=responded_at,
        respond_left=r_left,
        resolve_by=deadline,
        resolve_state=state,
        resolved_at=resolved_at,
        resolve_left=left,
        consumed=consumed,
        budget=budget,
        segments=tuple(segments),
        by_status=by_status,
        response_seconds=response_seconds,
        resolution_seconds=consumed
        if resolved_at is not None and current not in UNRESOLVED
        else None,
    )


class StoredFigures(NamedTuple):
    """What a ticket stores of its clocks (the columns the list and reports read)."""

    respond_by: dt.datetime
    resolve_by: dt.datetime | None
    response_seconds: float | None
    resolution_seconds: float | None


def clock_figures(
    received_at: dt.datetime,
    policy: Policy,
    calendar: WorkingCalendar,
    events: Iterable[tuple[dt.datetime, str]],
) -> StoredFigures:
    """:func:`sla_clock`'s ``respond_by``, ``resolve_by``, ``response_seconds`` and
    ``resolution_seconds``, and nothing else: the figures a write stores, for an import
    of many tickets. None of them depends on the current time (only the open span's
    time so far does, which none of them reads), so there is no ``now``;
    ``tests/rules/test_sla.py`` proves they equal :func:`sla_clock`'s."""
    calendar = clock_calendar(policy, calendar)
    budget = policy.resolve_hours * 3600
    spans = _timeline(received_at, events, received_at)
    ticks = [_clock_us(calendar, start) for _, start, _ in spans]
    respond_by = _after(calendar, received_at, ticks[0], policy.respond_hours * 3600)
    response_seconds = (ticks[1] - ticks[0]) / _US if len(spans) > 1 else None
    consumed = 0.0
    deadline: dt.datetime | None = None
    last_start, last_secs = None, 0.0  # the last counted span
    last = len(spans) - 1
    for i, (status, start, _end) in enumerate(spans):
        if status in PAUSING or status in STOPPING:
            continue
        if i == last:  # the open span: the deadline is where the budget left runs out
            if deadline is None:
                deadline = _after(calendar, start, ticks[i], max(budget - consumed, 0.0))
            break
        secs = (ticks[i + 1] - ticks[i]) / _US
        if deadline is None and consumed + secs >= budget:
            deadline = _after(calendar, start, ticks[i], max(budget - consumed, 0.0))
        consumed += secs
        last_start, last_secs = start, secs
    current = spans[-1][0]
    resolution_seconds = None
    if current in STOPPING:
        if deadline is None and last_start is not None:
            deadline = add_business_time(calendar, last_start, budget - (consumed - last_secs))
        if current not in UNRESOLVED:
            resolution_seconds = consumed
    elif current in PAUSING and consumed <= budget:
        deadline = None
    return StoredFigures(respond_by, deadline, response_seconds, resolution_seconds)


def _signed_left(
    calendar: WorkingCalendar, now: dt.datetime, due: dt.datetime, now_us: int | None = None
) -> float:
    """Business seconds from ``now`` to ``due`` (negative when overdue); ``now_us`` is
    the clock reading of ``now`` when the caller has it."""
    if now_us is None:
        now_us = _clock_us(calendar, now)
    if now <= due:
        return (_clock_us(calendar, due) - now_us) / _US
    return -((now_us - _clock_us(calendar, due)) / _US)


def format_duration(seconds: float, lang: str) -> str:
    """Business time as ``3 h 05 min`` / ``3小时05分``; the sign is dropped."""
    minutes = int(abs(seconds) // 60)
    h, m = divmod(minutes, 60)
    return f"{h}小时{m:02d}分" if lang == "zh" else f"{h} h {m:02d} min"
