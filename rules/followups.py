"""Follow-up calls (回访) and satisfaction: the ``followups`` register, call outcomes and
retries, ratings, the queue-generation rules and the satisfaction threshold.

The ticket follow-up's due date and number stay in :mod:`rules.tickets`. Pure stdlib:
the current time is an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from rules.customers import add_months
from rules.dashboard import REVIEW_SATISFACTION_BELOW, SATISFIED_AT
from rules.fields import Field, Kind, Problem, Register, options


class Status(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"


class Reason(StrEnum):
    TICKET = "ticket"
    COMPLAINT = "complaint"
    INSTALL = "install"
    PERIODIC = "periodic"
    MAINTENANCE = "maintenance"


class Mode(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ONSITE = "onsite"
    WECHAT = "wechat"
    ONLINE = "online"


class ReviewStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Outcome(StrEnum):
    DONE = "done"
    NO_ANSWER = "no_answer"
    REFUSED = "refused"
    WRONG_NUMBER = "wrong_number"
    CALL_BACK = "call_back"


# ---------------------------------------------------------------- ratings
SCORE_MIN, SCORE_MAX = 1, 5
LOW_SCORE = 2  # at or below: a comment is required and a complaint is opened
CENT = Decimal("0.01")


def satisfaction(quality: int, attitude: int, efficiency: int) -> Decimal:
    """Service satisfaction = (quality + attitude + efficiency) / 3, to two places."""
    mean = Decimal(quality + attitude + efficiency) / 3
    return mean.quantize(CENT, rounding=ROUND_HALF_UP)


def rating_problems(
    quality: Any, attitude: Any, efficiency: Any, comment: str | None
) -> list[Problem]:
    """Scores all given or none, each 1–5; a score ≤ 2 needs a comment."""
    given = {
        "rating_quality": quality,
        "rating_attitude": attitude,
        "rating_efficiency": efficiency,
    }
    if all(v is None for v in given.values()):
        return []
    problems = []
    for name, v in given.items():
        if v is None:
            problems.append(Problem(name, "followups.err.score_missing"))
        elif not isinstance(v, int) or not SCORE_MIN <= v <= SCORE_MAX:
            problems.append(Problem(name, "followups.err.score_range", {"value": v}))
    if problems:
        return problems
    if is_low(quality, attitude, efficiency) and not (comment or "").strip():
        problems.append(Problem("rating_comment", "followups.err.low_needs_comment"))
    return problems


def is_low(*scores: int | None) -> bool:
    return any(s is not None and s <= LOW_SCORE for s in scores)


def self_rating(caller: Any, engineer: Any) -> bool:
    """The rated engineer may not record his own rating."""
    return caller is not None and caller == engineer


# ---------------------------------------------------------------- outcomes and retries
MAX_RETRIES = 3  # after the first call: four calls in all
RETRY_HOURS_DEFAULT = 4


@dataclass(frozen=True)
class AfterCall:
    status: Status
    attempts: int
    next_try_at: dt.datetime | None


def after_call(
    outcome: str, attempts: int, now: dt.datetime, retry_hours: int = RETRY_HOURS_DEFAULT
) -> AfterCall | Problem:
    """What one call's outcome does to the follow-up: done; refused or wrong number end
    it (unreachable); no answer or call back later plan the next try, until the third
    retry has been made — a fourth retry is refused."""
    out = Outcome(outcome)
    if attempts >= 1 + MAX_RETRIES:
        return Problem("outcome", "followups.err.retries", {"max": MAX_RETRIES})
    n = attempts + 1
    if out is Outcome.DONE:
        return AfterCall(Status.DONE, n, None)
    if out in (Outcome.REFUSED, Outcome.WRONG_NUMBER):
        return AfterCall(Status.UNREACHABLE, n, None)
    if n >= 1 + MAX_RETRIES:  # that was the last retry
        return AfterCall(Status.UNREACHABLE, n, None)
    hours = 24 if out is Outcome.CALL_BACK else retry_hours
    return AfterCall(Status.PLANNED, n, now + dt.timedelta(hours=hours))


def queue_order(due: dt.date, next_try: dt.datetime | None, today: dt.date) -> tuple:
    """A caller's list: overdue first (oldest first), then today's by the next try."""
    return (0 if due < today else 1, due, next_try or dt.datetime.combine(due, dt.time()))


# ---------------------------------------------------------------- queue generation
INSTALL_WITHIN_DAYS = 30
# months between periodic calls per customer grade; at least once a quarter
GRADE_MONTHS_DEFAULT: dict[str, int] = {"A": 1, "B": 3, "C": 3}
GRADE_MONTHS_SETTING = "followups.grade_months"
QUARTER = 3
PERIODIC_DAY = 15  # the periodic call falls mid-period


@dataclass(frozen=True)
class Planned:
    followup_no: str
    customer_id: int
    reason: Reason
    due: dt.date
    mode: Mode = Mode.PHONE
    ticket_id: int | None = None
    complaint_id: int | None = None


def grade_months(grade: str | None, months: Mapping[str, int] | None = None) -> int:
    """Months between periodic calls: the grade's setting, never more than a quarter."""
    table = months or GRADE_MONTHS_DEFAULT
    return max(1, min(QUARTER, table.get(grade or "", QUARTER)))


def periodic_plan(
    customer_id: int,
    customer_code: str,
    grade: str | None,
    year: int,
    covered: Iterable[dt.date] = (),
    months: Mapping[str, int] | None = None,
) -> list[Planned]:
    """A customer's periodic calls of ``year``: one per period of the grade's length,
    unless another follow-up (``covered``: due dates) already falls in that period."""
    step = grade_months(grade, months)
    days = sorted(covered)
    out = []
    for k, m in enumerate(range(0, 12, step), 1):
        start = dt.date(year, 1 + m, 1)
        end = add_months(start, step)
        if any(start <= d < end for d in days):
            continue
        out.append(
            Planned(
                f"HF-P-{customer_code}-{year}-{k:02d}",
                customer_id,
                Reason.PERIODIC,
                start.replace(day=PERIODIC_DAY),
            )
        )
    return out


def install_call(customer_id: int, serial_no: str, install_date: dt.date) -> Planned:
    """A new installation gets a phone follow-up within a month."""
    due = install_date + dt.timedelta(days=INSTALL_WITHIN_DAYS)
    return Planned(f"HF-I-{serial_no}", customer_id, Reason.INSTALL, due)


def maintenance_call(customer_id: int, visit_id: int, visit_day: dt.date, delay: int) -> Planned:
    return Planned(
        f"HF-M-{visit_id}", customer_id, Reason.MAINTENANCE, visit_day + dt.timedelta(days=delay)
    )


def complaint_call(
    customer_id: int, complaint_id: int, complaint_no: str, rounds: int, closed: dt.date, delay: int
) -> Planned:
    """After a complaint is closed, a call asks whether the customer stays satisfied."""
    return Planned(
        f"HF-{complaint_no}-{rounds}",
        customer_id,
        Reason.COMPLAINT,
        closed + dt.timedelta(days=delay),
        complaint_id=complaint_id,
    )


# ---------------------------------------------------------------- threshold
THRESHOLD_SETTING = "followups.review_below_pct"


def satisfied(score: Decimal | float) -> bool:
    return float(score) >= SATISFIED_AT


def satisfaction_rate(scores: Sequence[Decimal | float]) -> float | None:
    """Share (percent) of ratings counted satisfied; None without ratings."""
    if not scores:
        return None
    return 100.0 * sum(1 for s in scores if satisfied(s)) / len(scores)


def needs_review(rate: float | None, threshold: float = REVIEW_SATISFACTION_BELOW) -> bool:
    """Below the threshold (default 85 %) a review record is opened for the manager."""
    return rate is not None and rate < threshold


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day.replace(day=1)
    return start, add_months(start, 1)


# ---------------------------------------------------------------- field spec
STATUS_OPTIONS = options(
    {
        Status.PLANNED: ("待回访", "Planned"),
        Status.DONE: ("已回访", "Done"),
        Status.UNREACHABLE: ("联系不上", "Unreachable"),
        Status.CANCELLED: ("已取消", "Cancelled"),
    }
)
REASON_OPTIONS = options(
    {
        Reason.TICKET: ("工单关闭", "Ticket closed"),
        Reason.COMPLAINT: ("投诉关闭", "Complaint closed"),
        Reason.INSTALL: ("新装机", "New installation"),
        Reason.PERIODIC: ("定期回访", "Periodic"),
        Reason.MAINTENANCE: ("维护保养", "Maintenance visit"),
    }
)
MODE_OPTIONS = options(
    {
        Mode.PHONE: ("电话", "Phone"),
        Mode.EMAIL: ("邮件", "Email"),
        Mode.ONSITE: ("上门", "On site"),
        Mode.WECHAT: ("微信", "WeChat"),
        Mode.ONLINE: ("在线问卷", "Online survey"),
    }
)
OUTCOME_OPTIONS = options(
    {
        Outcome.DONE: ("已完成", "Done"),
        Outcome.NO_ANSWER: ("无人接听", "No answer"),
        Outcome.REFUSED: ("拒绝回访", "Refused"),
        Outcome.WRONG_NUMBER: ("号码错误", "Wrong number"),
        Outcome.CALL_BACK: ("稍后回电", "Call back later"),
    }
)


def _score(name: str, zh: str, en: str) -> Field:
    return Field(name, zh, en, Kind.INT, min_value=SCORE_MIN, max_value=SCORE_MAX)


def row_checks(values: dict[str, Any]) -> list[Problem]:
    problems = rating_problems(
        values.get("rating_quality"),
        values.get("rating_attitude"),
        values.get("rating_efficiency"),
        values.get("rating_comment"),
    )
    if values.get("rating_quality") is not None and self_rating(
        values.get("caller"), values.get("engineer")
    ):
        problems.append(Problem("caller", "followups.err.self_rating"))
    attempts = values.get("attempts")
    if attempts is not None and attempts > 1 + MAX_RETRIES:
        problems.append(Problem("attempts", "followups.err.retries", {"max": MAX_RETRIES}))
    return problems


FOLLOWUPS = Register(
    name="followups",
    zh="回访",
    en="Follow-ups",
    key="followup_no",
    checks=(row_checks,),
    fields=(
        Field("followup_no", "回访编号", "Follow-up no.", required=True, key=True, max_len=40,
              aliases=("回访单号", "follow-up no", "no."), example="HF-20261120-0001"),
        Field("customer", "客户", "Customer", Kind.REF, required=True, ref="customers",
              aliases=("客户编号", "客户名称", "customer code"), example="C0001"),
        Field("ticket", "工单号", "Ticket no.", Kind.REF, ref="tickets", aliases=("ticket",)),
        Field("complaint", "投诉编号", "Complaint no.", Kind.REF, ref="complaints"),
        Field("engineer", "被评价工程师", "Rated engineer", Kind.REF, ref="users",
              aliases=("工程师",)),
        Field("reason", "回访原因", "Reason", Kind.ENUM, required=True, options=REASON_OPTIONS,
              example="periodic"),
        Field("mode", "回访方式", "Mode", Kind.ENUM, required=True, options=MODE_OPTIONS,
              example="phone"),
        Field("due_date", "计划日期", "Due", Kind.DATE, required=True,
              aliases=("回访日期", "due date"), example=dt.date(2026, 11, 25)),
        Field("status", "状态", "Status", Kind.ENUM, required=True, options=STATUS_OPTIONS,
              example="planned"),
        Field("outcome", "通话结果", "Outcome", Kind.ENUM, options=OUTCOME_OPTIONS),
        Field("attempts", "拨打次数", "Calls", Kind.INT, min_value=0, max_value=1 + MAX_RETRIES),
        Field("next_try_at", "下次拨打", "Next try", Kind.DATETIME),
        Field("done_at", "完成时间", "Done at", Kind.DATETIME),
        Field("caller", "回访人", "Caller", Kind.REF, ref="users", column="user_id",
              aliases=("回访专员",)),
        Field("content", "回访内容", "Content", Kind.LONGTEXT),
        Field("opinions", "客户意见", "Opinions", Kind.LONGTEXT),
        Field("suggestions", "客户建议", "Suggestions", Kind.LONGTEXT),
        _score("rating_quality", "服务质量评分", "Quality score"),
        _score("rating_attitude", "服务态度评分", "Attitude score"),
        _score("rating_efficiency", "服务效率评分", "Efficiency score"),
        Field("rating_comment", "评分说明", "Score comment", Kind.LONGTEXT,
              help_zh="评分≤2时必填", help_en="Required when a score is 2 or less"),
        Field("satisfaction", "满意度", "Satisfaction", Kind.DECIMAL, computed=True),
        Field("issue_raised", "客户反映问题", "Issue raised", Kind.LONGTEXT),
        Field("issue_ticket", "问题工单", "Issue ticket", Kind.REF, ref="tickets"),
        Field("issue_closed", "问题已解决", "Issue closed", Kind.BOOL),
    ),
)  # fmt: skip


def computed(row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    q, a, e = row.get("rating_quality"), row.get("rating_attitude"), row.get("rating_efficiency")
    if q is None or a is None or e is None:
        return {"satisfaction": None}
    return {"satisfaction": satisfaction(q, a, e)}
