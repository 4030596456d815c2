"""Preventive maintenance (维护计划 / 定期巡检): packages, checklist templates, plans,
visits and their checklist results — field specs and the pure rules.

Pure stdlib; the current day is an argument. How the rules read the issue:

- **Due dates** come from calendar-month arithmetic on the plan's start, never chained:
  the k-th monthly date is ``add_months(start, k)``, so a plan from 31 Jan falls on
  28 Feb, 31 Mar, 30 Apr (29 Feb in leap years). The first visit is due on the start
  date itself. "Every N weeks" adds 7·N days.
- **Fixed schedule** lays out every date from the start; **from last completion** has
  one open visit at a time, due one period after the last done visit (the start while
  none is done).
- A due date that is no working day moves to the next (or, by setting, the previous)
  working day of the working calendar (:class:`rules.sla.WorkingCalendar`): public
  holidays are off, make-up working days (调休) count as working days. The schedule's
  own date (``planned_date``) is kept beside the moved ``due_date``: generation matches
  visits by it, so a visit moved by hand is never generated again.
- **Overdue** is derived by :func:`is_overdue` only: still planned and its due date
  passed. Ageing buckets count days past due: 1–7, 8–30, >30.
- **Completion rate** = visits done within their due window ÷ (visits due − approved
  skips); ``None`` (shown "—") when nothing is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from rules.customers import add_months
from rules.fields import Field, Kind, Option, Problem, Register

HORIZON_MONTHS = 12
WINDOW_DAYS_DEFAULT = 7
HOLIDAY_SHIFT_SETTING = "maintenance.holiday_shift"
# an open visit this many days before its due date shows in "my visits"
WEEK = dt.timedelta(days=7)


class Package(StrEnum):
    """The packages the demo and a new database know (the table may hold more)."""

    BASIC = "basic"
    COMPREHENSIVE = "comprehensive"
    CUSTOM = "custom"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    EVERY_N_MONTHS = "every_n_months"
    EVERY_N_WEEKS = "every_n_weeks"


class Mode(StrEnum):
    FIXED = "fixed"  # every date laid out from the start
    FROM_LAST = "from_last"  # one period after the last completion


class PlanKind(StrEnum):
    INSPECTION = "inspection"
    FIRMWARE = "firmware"  # firmware / software upgrade plan (seed 001 §4)


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    PARTLY_DONE = "partly_done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class VisitResult(StrEnum):
    OK = "ok"
    ISSUES_FOUND = "issues_found"


class SkipReason(StrEnum):
    SHUTDOWN = "shutdown"  # plant shutdown / holiday
    DEVICE_IDLE = "device_idle"
    CUSTOMER_DECLINED = "customer_declined"
    COVERED_BY_REPAIR = "covered_by_repair"
    OTHER = "other"


class ResultKind(StrEnum):
    PASS_FAIL = "pass_fail"
    NUMBER = "number"
    TEXT = "text"


class Shift(StrEnum):
    NEXT = "next"
    PREVIOUS = "previous"


class Ageing(StrEnum):
    DAYS_1_7 = "1-7"
    DAYS_8_30 = "8-30"
    OVER_30 = ">30"


OPEN = frozenset({VisitStatus.PLANNED})
FINISHED = frozenset({VisitStatus.DONE, VisitStatus.PARTLY_DONE})

# months per period of the fixed frequencies
MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 12,
}


# ---------------------------------------------------------------- the calendar
class Calendar(Protocol):
    """What scheduling needs of :class:`rules.sla.WorkingCalendar`."""

    def spans_on(self, day: dt.date) -> tuple: ...


def is_working_day(calendar: Calendar, day: dt.date) -> bool:
    """A day with working hours: holidays are off, make-up days (调休) are worked."""
    return bool(calendar.spans_on(day))


def shift_to_working_day(
    calendar: Calendar, day: dt.date, direction: Shift | str = Shift.NEXT
) -> dt.date:
    """``day`` if it is a working day, else the next (or previous) one."""
    step = dt.timedelta(days=-1 if direction == Shift.PREVIOUS else 1)
    for _ in range(366):
        if is_working_day(calendar, day):
            return day
        day += step
    raise ValueError("no working day within a year")


# ---------------------------------------------------------------- schedules
@dataclass(frozen=True)
class Schedule:
    """What of a plan decides its dates."""

    start: dt.date
    frequency: Frequency | str
    every_n: int | None = None
    end: dt.date | None = None
    mode: Mode | str = Mode.FIXED


def step_of(frequency: Frequency | str, every_n: int | None) -> tuple[int, int]:
    """(months, weeks) per period; ``ValueError`` for a period of 0."""
    freq = Frequency(frequency)
    if freq in MONTHS:
        return MONTHS[freq], 0
    n = every_n or 0
    if n < 1:
        raise ValueError("a period of at least 1 is needed")
    return (n, 0) if freq is Frequency.EVERY_N_MONTHS else (0, n)


def nth_date(anchor: dt.date, k: int, months: int, weeks: int) -> dt.date:
    """The k-th date from ``anchor``: calendar months (clamped), or whole weeks."""
    if months:
        return add_months(anchor, k * months)
    return anchor + dt.timedelta(weeks=k * weeks)


def nominal_dates(schedule: Schedule, first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The fixed schedule's dates in [first, last] (and up to the plan's end)."""
    months, weeks = step_of(schedule.frequency, schedule.every_n)
    stop = min(last, schedule.end) if schedule.end else last
    k = 0
    if weeks and first > schedule.start:  # jump close to ``first`` without walking
        k = max(0, (first - schedule.start).days // (7 * weeks) - 1)
    elif months and first > schedule.start:
        gap = (first.year - schedule.start.year) * 12 + first.month - schedule.start.month
        k = max(0, gap // months - 1)
    while True:
        day = nth_date(schedule.start, k, months, weeks)
        if day > stop:
            return
        if day >= first:
            yield day
        k += 1


def next_after(schedule: Schedule, last_done: dt.date | None) -> dt.date | None:
    """From-last-completion mode: the next nominal date (None past the plan's end)."""
    if last_done is None:
        day = schedule.start
    else:
        months, weeks = step_of(schedule.frequency, schedule.every_n)
        day = nth_date(last_done, 1, months, weeks)
    return None if schedule.end and day > schedule.end else day


def horizon_end(today: dt.date, months: int = HORIZON_MONTHS) -> dt.date:
    return add_months(today, months)


@dataclass(frozen=True)
class Due:
    planned: dt.date  # the schedule's own date (generation matches visits by it)
    due: dt.date  # on a working day


def due_dates(
    schedule: Schedule,
    calendar: Calendar,
    *,
    first: dt.date,
    last: dt.date,
    direction: Shift | str = Shift.NEXT,
    last_done: dt.date | None = None,
    has_open: bool = False,
) -> list[Due]:
    """The visits a plan should have with nominal dates in [first, last].

    Fixed schedule: every date. From last completion: the one next visit, unless one is
    open already.
    """
    if Mode(schedule.mode) is Mode.FROM_LAST:
        if has_open:
            return []
        day = next_after(schedule, last_done)
        days = [day] if day is not None and first <= day <= last else []
    else:
        days = list(nominal_dates(schedule, first, last))
    return [Due(d, shift_to_working_day(calendar, d, direction)) for d in days]


def new_visits(wanted: Iterable[Due], existing_planned: set[dt.date]) -> list[Due]:
    """Idempotent generation: only schedule dates no visit of the plan holds yet (a
    visit moved or cancelled by hand still holds its date)."""
    return [d for d in wanted if d.planned not in existing_planned]


# ---------------------------------------------------------------- states and figures
def is_overdue(status: str | None, due: dt.date | None, today: dt.date) -> bool:
    """The one overdue rule: still planned, and its due date has passed."""
    return status in OPEN and due is not None and due < today


def days_overdue(due: dt.date, today: dt.date) -> int:
    return (today - due).days


def ageing_bucket(days: int) -> Ageing | None:
    if days < 1:
        return None
    if days <= 7:
        return Ageing.DAYS_1_7
    if days <= 30:
        return Ageing.DAYS_8_30
    return Ageing.OVER_30


def window_end(due: dt.date, window_days: int | None) -> dt.date:
    """Last day of the due window that opens on the due date."""
    return due + dt.timedelta(days=max(1, window_days or WINDOW_DAYS_DEFAULT) - 1)


def done_in_window(
    status: str | None, due: dt.date, done_at: dt.datetime | None, window_days: int | None
) -> bool:
    return (
        status == VisitStatus.DONE
        and done_at is not None
        and done_at.date() <= window_end(due, window_days)
    )


@dataclass(frozen=True)
class VisitFact:
    status: str
    due: dt.date
    done_at: dt.datetime | None = None
    window_days: int | None = None
    skip_approved: bool = False


def completion_rate(visits: Iterable[VisitFact], first: dt.date, last: dt.date) -> float | None:
    """Done within the window ÷ (due − approved skips) over visits due in [first, last];
    cancelled visits are not due. None when nothing is due."""
    due = done = 0
    for v in visits:
        if not first <= v.due <= last or v.status == VisitStatus.CANCELLED:
            continue
        if v.status == VisitStatus.SKIPPED and v.skip_approved:
            continue
        due += 1
        done += done_in_window(v.status, v.due, v.done_at, v.window_days)
    return None if due == 0 else done / due


# ---------------------------------------------------------------- the month calendar
OVERDUE = "overdue"  # a state of the month view beside the stored ones (is_overdue)
# the order a day lists its visits: what needs doing first
MONTH_STATES = (OVERDUE, VisitStatus.PLANNED, VisitStatus.PARTLY_DONE, VisitStatus.DONE,
                VisitStatus.SKIPPED, VisitStatus.CANCELLED)  # fmt: skip


class DayKind(StrEnum):
    WORKDAY = "workday"
    OFF = "off"  # a weekend (or any weekday without hours)
    HOLIDAY = "holiday"  # a public holiday
    MAKEUP = "makeup"  # a make-up working day (调休) on a weekend


@dataclass(frozen=True)
class MonthDay:
    """One day of the month view: its kind on the working calendar and its visits per
    state (overdue counted apart from planned)."""

    day: dt.date
    kind: DayKind
    counts: tuple[tuple[str, int], ...] = ()
    today: bool = False

    @property
    def overdue(self) -> int:
        return dict(self.counts).get(OVERDUE, 0)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


def month_start(day: dt.date, months: int = 0) -> dt.date:
    """The first day of ``day``'s month, ``months`` months on (back when negative)."""
    return add_months(day.replace(day=1), months)


def month_end(day: dt.date) -> dt.date:
    return month_start(day, 1) - dt.timedelta(days=1)


def day_kind(calendar: Calendar, day: dt.date) -> DayKind:
    if day in getattr(calendar, "holidays", ()):
        return DayKind.HOLIDAY
    if day in getattr(calendar, "extra_workdays", ()) and day.weekday() >= 5:
        return DayKind.MAKEUP
    return DayKind.WORKDAY if is_working_day(calendar, day) else DayKind.OFF


def visit_state(status: str, due: dt.date, today: dt.date) -> str:
    """The state the month view counts a visit under: overdue by the one rule, else
    its status."""
    return OVERDUE if is_overdue(status, due, today) else str(status)


def month_grid(
    month: dt.date,
    calendar: Calendar,
    counts: dict[dt.date, dict[str, int]],
    today: dt.date,
) -> list[list[MonthDay | None]]:
    """``month``'s weeks, Monday to Sunday (None outside the month), each day with its
    kind on the calendar and its visits per state in :data:`MONTH_STATES` order."""
    first, last = month_start(month), month_end(month)
    day = first - dt.timedelta(days=first.weekday())
    weeks: list[list[MonthDay | None]] = []
    while day <= last:
        week: list[MonthDay | None] = []
        for _ in range(7):
            if first <= day <= last:
                held = counts.get(day, {})
                ordered = tuple((s, held[s]) for s in MONTH_STATES if held.get(s))
                week.append(MonthDay(day, day_kind(calendar, day), ordered, day == today))
            else:
                week.append(None)
            day += dt.timedelta(days=1)
        weeks.append(week)
    return weeks


def format_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def contract_missing(contract_end: dt.date | None, start: dt.date | None) -> bool:
    """A device plan needs a confirmation: no maintenance contract, or it ended before
    the plan starts."""
    return contract_end is None or (start is not None and contract_end < start)


def result_passed(
    kind: str | None, measured: Decimal | None, lower: Decimal | None, upper: Decimal | None
) -> bool | None:
    """A number result passes inside its limits; other kinds are judged by hand."""
    if kind != ResultKind.NUMBER or measured is None:
        return None
    return not (
        (lower is not None and measured < lower) or (upper is not None and measured > upper)
    )


PLAN_PREFIX = "MP"


def plan_no_prefix(day: dt.date) -> str:
    """Plans the desk numbers are ``MP-<year created>-NNNNN`` (the demo's shape)."""
    return f"{PLAN_PREFIX}-{day:%Y}-"


def make_plan_no(day: dt.date, seq: int) -> str:
    return f"{plan_no_prefix(day)}{seq:05d}"


def plan_seq(no: str | None) -> int | None:
    """The sequence of a desk-made plan number (None for a number typed otherwise)."""
    head, _, tail = (no or "").rpartition("-")
    return int(tail) if head and tail.isdigit() else None


def visit_no(plan_no: str, planned: dt.date) -> str:
    return f"{plan_no}-{planned:%Y%m%d}"


# ---------------------------------------------------------------- checks
def _order(row: dict[str, Any], later: str, earlier: str) -> list[Problem]:
    a, b = row.get(later), row.get(earlier)
    if a is not None and b is not None and a < b:
        return [Problem(later, "err.date_order", {"later": later, "earlier": earlier})]
    return []


def _check_plan(row: dict[str, Any]) -> list[Problem]:
    problems = _order(row, "end_date", "start_date")
    freq = row.get("frequency")
    if freq in (Frequency.EVERY_N_MONTHS, Frequency.EVERY_N_WEEKS) and not row.get("every_n"):
        problems.append(Problem("every_n", "maint.err.every_n"))
    return problems


def _check_visit(row: dict[str, Any]) -> list[Problem]:
    problems = _order(row, "departed_at", "arrived_at")
    status = row.get("status")
    done_at, due = row.get("done_at"), row.get("due_date")
    if status in FINISHED and done_at is None:
        problems.append(Problem("done_at", "maint.err.done_at"))
    if done_at is not None and due is not None and done_at.date() < due and not row.get("note"):
        problems.append(Problem("note", "maint.err.early", {"value": due.isoformat()}))
    if status == VisitStatus.SKIPPED and not row.get("skip_reason"):
        problems.append(Problem("skip_reason", "maint.err.skip_reason"))
    if status == VisitStatus.SKIPPED and not row.get("skipped_by"):
        problems.append(Problem("skipped_by", "maint.err.skipped_by"))
    upgrade = row.get("kind") == PlanKind.FIRMWARE
    if upgrade and status == VisitStatus.DONE and not row.get("backup_done"):
        problems.append(Problem("backup_done", "maint.err.backup"))
    return problems


def _check_result(row: dict[str, Any]) -> list[Problem]:
    kind = row.get("result_kind")
    problems = []
    lower, upper = row.get("lower"), row.get("upper")
    if lower is not None and upper is not None and upper < lower:
        problems.append(Problem("upper", "maint.err.limits"))
    measured = row.get("measured")
    if result_passed(kind, measured, lower, upper) is False and not row.get("note"):
        problems.append(Problem("note", "maint.err.out_of_limits", {"value": measured}))
    return problems


def _check_template(row: dict[str, Any]) -> list[Problem]:
    lower, upper = row.get("lower"), row.get("upper")
    if lower is not None and upper is not None and upper < lower:
        return [Problem("upper", "maint.err.limits")]
    return []


# ---------------------------------------------------------------- options
FREQUENCY_OPTIONS = (
    Option(Frequency.MONTHLY, "每月", "Monthly", ("月度", "月")),
    Option(Frequency.QUARTERLY, "每季度", "Quarterly", ("季度", "季")),
    Option(Frequency.HALF_YEARLY, "每半年", "Half-yearly", ("半年", "half yearly")),
    Option(Frequency.YEARLY, "每年", "Yearly", ("年度", "年", "annual")),
    Option(Frequency.EVERY_N_MONTHS, "每N个月", "Every N months", ("每n月",)),
    Option(Frequency.EVERY_N_WEEKS, "每N周", "Every N weeks", ("每n周",)),
)
MODE_OPTIONS = (
    Option(Mode.FIXED, "固定日程", "Fixed schedule", ("固定",)),
    Option(Mode.FROM_LAST, "按上次完成", "From last completion", ("上次完成",)),
)
KIND_OPTIONS = (
    Option(PlanKind.INSPECTION, "定期巡检", "Inspection", ("巡检", "保养")),
    Option(PlanKind.FIRMWARE, "固件/软件升级", "Firmware upgrade", ("升级", "upgrade")),
)
STATUS_OPTIONS = (
    Option(VisitStatus.PLANNED, "已计划", "Planned", ("计划",)),
    Option(VisitStatus.DONE, "已完成", "Done", ("完成",)),
    Option(VisitStatus.PARTLY_DONE, "部分完成", "Partly done", ("部分",)),
    Option(VisitStatus.SKIPPED, "已跳过", "Skipped", ("跳过",)),
    Option(VisitStatus.CANCELLED, "已取消", "Cancelled", ("取消",)),
)
RESULT_OPTIONS = (
    Option(VisitResult.OK, "正常", "OK", ("合格",)),
    Option(VisitResult.ISSUES_FOUND, "发现问题", "Issues found", ("有问题",)),
)
SKIP_OPTIONS = (
    Option(SkipReason.SHUTDOWN, "客户停产/放假", "Plant shutdown", ("停产",)),
    Option(SkipReason.DEVICE_IDLE, "设备停用", "Device idle", ("停用",)),
    Option(SkipReason.CUSTOMER_DECLINED, "客户拒绝", "Customer declined", ("拒绝",)),
    Option(SkipReason.COVERED_BY_REPAIR, "已随维修完成", "Covered by a repair", ("随维修",)),
    Option(SkipReason.OTHER, "其他", "Other"),
)
RESULT_KIND_OPTIONS = (
    Option(ResultKind.PASS_FAIL, "合格/不合格", "Pass / fail", ("判定",)),
    Option(ResultKind.NUMBER, "数值", "Number", ("测量值",)),
    Option(ResultKind.TEXT, "文字", "Text", ("记录",)),
)

_PLAN_NO = Field("plan", "计划编号", "Plan no.", Kind.REF, required=True, ref="maintenance_plans",
                 aliases=("维护计划", "plan no", "plan"), example="MP-2026-00001")  # fmt: skip
_PACKAGE = Field("package", "保养套餐", "Package", Kind.REF, required=True,
                 ref="maintenance_packages", aliases=("套餐", "package code"),
                 example="basic", help_zh="套餐编号：basic / comprehensive / custom",
                 help_en="Package code: basic / comprehensive / custom")  # fmt: skip
_LIMITS = (
    Field("lower", "下限", "Lower limit", Kind.DECIMAL, aliases=("最小值", "min")),
    Field("upper", "上限", "Upper limit", Kind.DECIMAL, aliases=("最大值", "max")),
    Field("unit", "单位", "Unit", max_len=20),
)

PACKAGES = Register(
    name="packages",
    zh="保养套餐",
    en="Maintenance packages",
    key="code",
    fields=(
        Field("code", "套餐编号", "Code", required=True, key=True, max_len=20, example="basic"),
        Field("name_zh", "中文名称", "Name (zh)", required=True, max_len=100, example="基础保养"),
        Field("name_en", "英文名称", "Name (en)", required=True, max_len=100, example="Basic"),
        Field("visits_per_year", "每年次数", "Visits a year", Kind.INT, min_value=0,
              example=1),
        Field("repair_discount_pct", "维修折扣(%)", "Repair discount %", Kind.DECIMAL,
              required=True, min_value=0, max_value=100, aliases=("折扣",), example=10,
              help_zh="合同客户维修费折扣（费用模块读取）",
              help_en="Contract customers' discount on repairs (read by fees)"),
        Field("active", "启用", "Active", Kind.BOOL),
    ),
)  # fmt: skip

CHECKLISTS = Register(
    name="checklists",
    zh="保养清单模板",
    en="Checklist templates",
    key="seq",
    parent="package",
    fields=(
        _PACKAGE,
        Field("seq", "序号", "No.", Kind.INT, required=True, key=True, min_value=1, example=1),
        Field("item", "检查项目", "Item", required=True, max_len=200, example="清洁关键部件"),
        Field("standard", "标准/期望值", "Standard", max_len=300, aliases=("标准", "期望值")),
        Field("result_kind", "结果类型", "Result kind", Kind.ENUM, required=True,
              options=RESULT_KIND_OPTIONS, example="pass_fail"),
        *_LIMITS,
    ),
    checks=(_check_template,),
)  # fmt: skip

PLANS = Register(
    name="plans",
    zh="维护计划",
    en="Maintenance plans",
    key="plan_no",
    fields=(
        Field("plan_no", "计划编号", "Plan no.", required=True, key=True, max_len=40,
              aliases=("编号", "plan no"), example="MP-2026-00001",
              help_zh="新计划留空时自动编号（MP-年份-序号）",
              help_en="Blank on a new plan: numbered MP-year-NNNNN"),
        Field("name", "计划名称", "Name", required=True, max_len=200, example="XK-5000 全面保养"),
        Field("customer", "客户", "Customer", Kind.REF, ref="customers",
              aliases=("客户编号", "客户名称"), help_zh="空白时取设备所属客户",
              help_en="Blank: the device's customer"),
        Field("device", "设备序列号", "Device serial no.", Kind.REF, ref="devices",
              aliases=("序列号", "设备", "serial no", "device"),
              help_zh="按客户合同的计划可留空", help_en="Blank for a plan per customer contract"),
        _PACKAGE,
        Field("kind", "计划类型", "Kind", Kind.ENUM, required=True, options=KIND_OPTIONS,
              example="inspection"),
        Field("frequency", "频次", "Frequency", Kind.ENUM, required=True,
              options=FREQUENCY_OPTIONS, example="half_yearly"),
        Field("every_n", "间隔N", "Every N", Kind.INT, min_value=1,
              help_zh="“每N个月/每N周”的N", help_en="N of 'every N months / weeks'"),
        Field("mode", "排期方式", "Scheduling", Kind.ENUM, options=MODE_OPTIONS,
              help_zh="固定日程，或从上次完成起算", help_en="Fixed, or from the last completion"),
        Field("start_date", "开始日期", "Start", Kind.DATE, required=True,
              help_zh="第一次保养的日期", help_en="The first visit's date"),
        Field("end_date", "结束日期", "End", Kind.DATE,
              help_zh="空白时取设备维保合同到期日", help_en="Blank: the device's contract end"),
        Field("due_window", "执行窗口", "Due window", max_len=100, example="每月第一周"),
        Field("window_days", "窗口天数", "Window days", Kind.INT, min_value=1, example=7),
        Field("responsible", "负责工程师", "Engineer", Kind.REF, ref="users",
              column="responsible_id", aliases=("负责人", "工程师")),
        Field("no_contract_confirmed", "无合同已确认", "No contract confirmed", Kind.BOOL,
              help_zh="设备无维保合同或合同已到期时必须确认",
              help_en="Required when the device has no contract, or it ended"),
        Field("active", "启用", "Active", Kind.BOOL),
        Field("risk_notes", "风险说明", "Risk notes", Kind.LONGTEXT),
        Field("next_due", "下次到期", "Next due", Kind.DATE, computed=True),
    ),
    checks=(_check_plan,),
)  # fmt: skip

VISITS = Register(
    name="visits",
    zh="保养记录",
    en="Maintenance visits",
    key="visit_no",
    fields=(
        Field("visit_no", "保养单号", "Visit no.", required=True, key=True, max_len=60,
              example="MP-2026-00001-20260302"),
        _PLAN_NO,
        Field("kind", "类型", "Kind", Kind.ENUM, options=KIND_OPTIONS,
              help_zh="空白时取计划类型", help_en="Blank: the plan's kind"),
        Field("planned_date", "计划日期", "Planned date", Kind.DATE,
              help_zh="排期规则给出的日期", help_en="The schedule's date"),
        Field("due_date", "到期日", "Due date", Kind.DATE, required=True),
        Field("status", "状态", "Status", Kind.ENUM, required=True, options=STATUS_OPTIONS),
        Field("engineer", "工程师", "Engineer", Kind.REF, ref="users",
              help_zh="空白时取计划负责人", help_en="Blank: the plan's engineer"),
        Field("arrived_at", "到达时间", "Arrived", Kind.DATETIME),
        Field("departed_at", "离开时间", "Departed", Kind.DATETIME),
        Field("done_at", "完成时间", "Done at", Kind.DATETIME),
        Field("result", "结果", "Result", Kind.ENUM, options=RESULT_OPTIONS),
        Field("content", "保养内容", "Work done", Kind.LONGTEXT),
        Field("findings", "发现问题", "Findings", Kind.LONGTEXT),
        Field("skip_reason", "跳过原因", "Skip reason", Kind.ENUM, options=SKIP_OPTIONS),
        Field("skipped_by", "跳过人", "Skipped by", Kind.REF, ref="users",
              column="skipped_by_id"),
        Field("skip_approved", "跳过已批准", "Skip approved", Kind.BOOL),
        Field("customer_rep", "客户代表", "Customer rep.", max_len=100),
        Field("accepted", "客户验收", "Accepted", Kind.BOOL),
        Field("version_from", "原版本", "Version from", max_len=60),
        Field("version_to", "目标版本", "Version to", max_len=60),
        Field("backup_done", "已备份", "Backup done", Kind.BOOL),
        Field("risk_notes", "风险说明", "Risk notes", Kind.LONGTEXT),
        Field("rollback_note", "回滚方案", "Rollback note", Kind.LONGTEXT),
        Field("note", "备注/原因", "Note", Kind.LONGTEXT, aliases=("备注", "原因")),
        Field("ticket", "关联工单", "Ticket", Kind.REF, ref="tickets"),
        Field("overdue", "逾期", "Overdue", Kind.BOOL, computed=True),
    ),
    checks=(_check_visit,),
)  # fmt: skip

VISIT_RESULTS = Register(
    name="visit_results",
    zh="保养检查结果",
    en="Checklist results",
    key="line_no",
    parent="visit",
    fields=(
        Field("visit", "保养单号", "Visit no.", Kind.REF, required=True,
              ref="maintenance_visits", aliases=("visit no",),
              example="MP-2026-00001-20260302"),
        Field("line_no", "行号", "Line", Kind.INT, required=True, key=True, min_value=1,
              example=1),
        Field("item", "检查项目", "Item", required=True, max_len=200, example="清洁关键部件"),
        Field("standard", "标准/期望值", "Standard", max_len=300),
        Field("result_kind", "结果类型", "Result kind", Kind.ENUM, required=True,
              options=RESULT_KIND_OPTIONS),
        *_LIMITS,
        Field("measured", "测量值", "Measured", Kind.DECIMAL),
        Field("observation", "记录", "Observation", max_len=300),
        Field("passed", "合格", "Pass", Kind.BOOL,
              help_zh="数值项空白时按上下限判定", help_en="Blank number items: by the limits"),
        Field("note", "备注", "Note", Kind.LONGTEXT,
              help_zh="超出上下限时必须说明", help_en="Required outside the limits"),
    ),
    checks=(_check_result,),
)  # fmt: skip
