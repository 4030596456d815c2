"""Training (培训): courses, sessions, attendees and their assessment, certificates,
coverage figures and programme templates.

Pure stdlib: the field specs of the ``courses``, ``training_sessions`` and
``attendance`` registers, and the rules (result by pass mark, certificate expiry,
feedback only from those present, capacity, coverage ratios, programme dates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rules.access import Role
from rules.customers import add_months
from rules.fields import Field, Kind, Option, Problem, Register

SCORE_MIN = 0
SCORE_MAX = 100
RATING_MIN = 1
RATING_MAX = 5
EXPIRING_DAYS = 30
REQUIRED_OPERATORS_DEFAULT = 1
# settings keys: required certified operators per model ({"*": n, model code: n}) and
# the internal role × required course matrix ({role: [course code, …]})
REQUIRED_OPERATORS_KEY = "training.required_operators"
ROLE_COURSES_KEY = "training.role_courses"


class Audience(StrEnum):
    OPERATORS = "operators"  # customer operators
    MAINTAINERS = "maintainers"  # customer maintainers
    INTERNAL = "internal"  # own staff


class Topic(StrEnum):
    OPERATION = "operation"
    MAINTENANCE = "maintenance"
    TROUBLESHOOTING = "troubleshooting"
    ADVANCED = "advanced"
    PRODUCT = "product"
    SKILLS = "skills"
    RULES = "rules"
    COMMUNICATION = "communication"


class Delivery(StrEnum):
    ONLINE_LIVE = "online_live"
    ONLINE_PRACTICAL = "online_practical"
    OFFLINE_SEMINAR = "offline_seminar"


class Phase(StrEnum):
    """A customer's programme: first training, deepening sessions, a review."""

    INITIAL = "initial"
    DEEPENING = "deepening"
    REVIEW = "review"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class AttendeeKind(StrEnum):
    CONTACT = "contact"  # a customer's person (contacts)
    STAFF = "staff"  # a user of this app
    GUEST = "guest"  # a person without a log-in, kept on the line


class Presence(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    LATE = "late"


class Practical(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class Result(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


# who was there: late attendees sat the course too
ATTENDED = frozenset({Presence.PRESENT, Presence.LATE})
CUSTOMER_AUDIENCES = frozenset({Audience.OPERATORS, Audience.MAINTAINERS})

# who does what (checked in the data layer; the page shows accordingly)
MANAGE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.TRAINER})
SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.TRAINER})
COVERAGE_ROLES = SEE_ALL_ROLES | {Role.AGENT, Role.ENGINEER}


def may_manage(role: str | None) -> bool:
    return role in MANAGE_ROLES


def may_see_sessions(role: str | None) -> bool:
    return role in SEE_ALL_ROLES


def may_see_coverage(role: str | None) -> bool:
    return role in COVERAGE_ROLES


def coverage_scoped(role: str | None) -> bool:
    """Agents and engineers see coverage for their own region's customers only."""
    return role in (Role.AGENT, Role.ENGINEER)


# ---------------------------------------------------------------- options
TOPIC_OPTIONS = (
    Option(Topic.OPERATION, "设备操作", "Equipment operation", ("操作",)),
    Option(Topic.MAINTENANCE, "维护保养", "Maintenance", ("维护", "保养")),
    Option(Topic.TROUBLESHOOTING, "故障排除", "Troubleshooting", ("故障",)),
    Option(Topic.ADVANCED, "高级应用", "Advanced application", ("高级",)),
    Option(Topic.PRODUCT, "内部·产品知识", "Internal: product", ("产品知识", "产品")),
    Option(Topic.SKILLS, "内部·维修技能", "Internal: skills", ("技能",)),
    Option(Topic.RULES, "内部·服务规范", "Internal: service rules", ("服务规范", "规范")),
    Option(Topic.COMMUNICATION, "内部·沟通技巧", "Internal: communication", ("沟通",)),
)
DELIVERY_OPTIONS = (
    Option(Delivery.ONLINE_LIVE, "线上直播", "Online live", ("直播", "线上")),
    Option(Delivery.ONLINE_PRACTICAL, "线上+实操", "Online + practical", ("线上加实操",)),
    Option(Delivery.OFFLINE_SEMINAR, "线下研讨", "Offline seminar", ("线下", "研讨会")),
)
AUDIENCE_OPTIONS = (
    Option(Audience.OPERATORS, "客户操作人员", "Customer operators", ("操作人员", "操作员")),
    Option(Audience.MAINTAINERS, "客户维护人员", "Customer maintainers", ("维护人员",)),
    Option(Audience.INTERNAL, "内部员工", "Internal staff", ("内部", "员工")),
)
PHASE_OPTIONS = (
    Option(Phase.INITIAL, "初始培训", "Initial", ("初始",)),
    Option(Phase.DEEPENING, "深化培训", "Deepening", ("深化",)),
    Option(Phase.REVIEW, "复训回顾", "Review", ("回顾", "复训")),
)
STATUS_OPTIONS = (
    Option(SessionStatus.PLANNED, "计划中", "Planned", ("计划",)),
    Option(SessionStatus.HELD, "已举办", "Held", ("已完成", "完成")),
    Option(SessionStatus.CANCELLED, "已取消", "Cancelled", ("取消",)),
)
KIND_OPTIONS = (
    Option(AttendeeKind.CONTACT, "客户联系人", "Customer contact", ("客户",)),
    Option(AttendeeKind.STAFF, "内部员工", "Staff user", ("员工", "内部")),
    Option(AttendeeKind.GUEST, "无账号人员", "Person without log-in", ("其他", "访客")),
)
PRESENCE_OPTIONS = (
    Option(Presence.PRESENT, "出席", "Present", ("到", "已到", "签到", "√")),
    Option(Presence.ABSENT, "缺席", "Absent", ("未到", "缺勤", "×")),
    Option(Presence.LATE, "迟到", "Late"),
)
PRACTICAL_OPTIONS = (
    Option(Practical.PASS, "通过", "Pass", ("合格",)),
    Option(Practical.FAIL, "未通过", "Fail", ("不合格",)),
)
RESULT_OPTIONS = (
    Option(Result.PASSED, "合格", "Passed", ("通过",)),
    Option(Result.FAILED, "不合格", "Failed", ("未通过",)),
)


# ---------------------------------------------------------------- registers
COURSES = Register(
    name="courses",
    zh="培训课程",
    en="Training courses",
    key="code",
    fields=(
        Field("code", "课程编号", "Course code", required=True, key=True, max_len=40,
              aliases=("课程代码", "code"), example="TR-OP-01"),
        Field("title_zh", "课程名称", "Title (zh)", required=True, max_len=200,
              aliases=("名称", "中文名称", "课程"), example="设备操作培训"),
        Field("title_en", "英文名称", "Title (en)", max_len=200,
              aliases=("english title", "title"), example="Equipment operation"),
        Field("topic", "课程类别", "Kind", Kind.ENUM, required=True, options=TOPIC_OPTIONS,
              aliases=("类别", "类型", "kind"), example="设备操作"),
        Field("delivery", "授课方式", "Delivery", Kind.ENUM, required=True,
              options=DELIVERY_OPTIONS, aliases=("方式",), example="线上直播"),
        Field("audience", "培训对象", "Audience", Kind.ENUM, required=True,
              options=AUDIENCE_OPTIONS, aliases=("对象",), example="客户操作人员"),
        Field("hours", "课时", "Hours", Kind.DECIMAL, min_value=0, max_value=1000,
              aliases=("学时",), example=4),
        Field("outline", "大纲", "Outline", Kind.LONGTEXT, aliases=("课程大纲",)),
        Field("materials", "资料链接", "Materials link", max_len=500,
              aliases=("教材", "资料", "materials")),
        Field("pass_mark", "及格分", "Pass mark", Kind.DECIMAL, min_value=SCORE_MIN,
              max_value=SCORE_MAX, aliases=("合格分", "及格线"), example=70,
              help_zh="在线考试成绩达到此分为合格；空白 = 不考试",
              help_en="Online test score needed to pass; blank = no test"),
        Field("validity_months", "证书有效期（月）", "Certificate validity (months)", Kind.INT,
              min_value=1, max_value=240, aliases=("有效期", "validity"),
              help_zh="空白 = 长期有效", help_en="Blank = never expires"),
        Field("models", "适用型号", "Product models", max_len=500,
              aliases=("型号", "产品型号", "models"), example="CNC-850, CNC-1060",
              help_zh="产品型号编号，用逗号分隔", help_en="Model codes, separated by commas"),
        Field("active", "启用", "Active", Kind.BOOL, aliases=("在用",)),
    ),
)  # fmt: skip


def _session_checks(v: dict[str, Any]) -> list[Problem]:
    starts, ends = v.get("starts_at"), v.get("ends_at")
    if starts is not None and ends is not None and ends < starts:
        return [Problem("ends_at", "err.date_order", {"later": "ends_at", "earlier": "starts_at"})]
    return []


SESSIONS = Register(
    name="training_sessions",
    zh="培训场次",
    en="Training sessions",
    key="session_no",
    checks=(_session_checks,),
    fields=(
        Field("session_no", "场次编号", "Session no.", required=True, key=True, max_len=40,
              aliases=("场次", "session"), example="PX-2026-0001"),
        Field("course", "课程编号", "Course code", Kind.REF, required=True, ref="courses",
              aliases=("课程",), example="TR-OP-01"),
        Field("customer", "客户", "Customer", Kind.REF, ref="customers",
              aliases=("客户编号", "客户名称"), help_zh="内部培训留空",
              help_en="Blank for internal training"),
        Field("phase", "培训阶段", "Phase", Kind.ENUM, options=PHASE_OPTIONS,
              aliases=("阶段",)),
        Field("trainer", "培训师", "Trainer", Kind.REF, ref="users", aliases=("讲师",)),
        Field("starts_at", "开始时间", "Starts", Kind.DATETIME, required=True,
              aliases=("时间", "日期", "培训时间"), example=dt.datetime(2026, 12, 1, 9, 0)),
        Field("ends_at", "结束时间", "Ends", Kind.DATETIME),
        Field("location", "地点", "Place", max_len=200, aliases=("培训地点",)),
        Field("online_link", "线上链接", "Online link", max_len=500,
              aliases=("会议链接", "直播链接", "link")),
        Field("capacity", "名额", "Capacity", Kind.INT, min_value=1, max_value=10000,
              aliases=("人数上限",), help_zh="空白 = 不限", help_en="Blank = no limit"),
        Field("status", "状态", "Status", Kind.ENUM, required=True, options=STATUS_OPTIONS,
              example="计划中"),
    ),
)  # fmt: skip


def attendance_problems(v: Mapping[str, Any]) -> list[Problem]:
    """Row rules of an attendee line: a staff attendee names their user; scores and
    feedback come only from those who were there. (A contact without a customer takes
    the session's: the register hooks check that.)"""
    problems: list[Problem] = []
    kind = v.get("kind")
    if kind == AttendeeKind.STAFF and not v.get("user"):
        problems.append(Problem("user", "training.err.staff_needs_user"))
    attended = v.get("presence") in ATTENDED
    for name in ("test_score", "practical"):
        if v.get(name) is not None and not attended:
            problems.append(Problem(name, "training.err.result_without_attendance"))
    for name in ("rating", "comment"):
        if v.get(name) not in (None, "") and v.get("presence") not in ATTENDED:
            problems.append(Problem(name, "training.err.feedback_not_present"))
    return problems


ATTENDANCE = Register(
    name="attendance",
    zh="培训签到与成绩",
    en="Attendance and scores",
    key="line_no",
    parent="session",
    checks=(attendance_problems,),
    fields=(
        Field("session", "场次编号", "Session no.", Kind.REF, required=True,
              ref="training_sessions", aliases=("场次", "session"), example="PX-2026-0001"),
        Field("line_no", "序号", "Line", Kind.INT, required=True, key=True, min_value=1,
              aliases=("行号", "no."), example=1),
        Field("kind", "人员类型", "Attendee kind", Kind.ENUM, required=True,
              options=KIND_OPTIONS, aliases=("类型",), example="客户联系人"),
        Field("name", "姓名", "Name", required=True, max_len=100,
              aliases=("学员", "学员姓名", "参训人"), example="王伟"),
        Field("customer", "客户", "Customer", Kind.REF, ref="customers",
              aliases=("客户编号", "单位")),
        Field("user", "员工账号", "Staff user", Kind.REF, ref="users",
              aliases=("用户名", "账号")),
        Field("phone", "电话", "Phone", max_len=40, aliases=("手机", "联系电话")),
        Field("job", "岗位", "Job", max_len=100, aliases=("职务", "职位")),
        Field("presence", "出勤", "Attendance", Kind.ENUM, options=PRESENCE_OPTIONS,
              aliases=("签到", "出勤情况")),
        Field("test_score", "在线考试成绩", "Test score", Kind.DECIMAL, min_value=SCORE_MIN,
              max_value=SCORE_MAX, aliases=("成绩", "考试成绩", "分数", "score")),
        Field("practical", "实操考核", "Practical exam", Kind.ENUM, options=PRACTICAL_OPTIONS,
              aliases=("实操", "实操考试")),
        Field("rating", "评分", "Rating", Kind.INT, min_value=RATING_MIN, max_value=RATING_MAX,
              aliases=("满意度", "反馈评分"), help_zh="1–5，仅出席者",
              help_en="1–5, from those present only"),
        Field("comment", "意见", "Comment", Kind.LONGTEXT, aliases=("反馈", "评价")),
        Field("result", "结果", "Result", Kind.ENUM, options=RESULT_OPTIONS, computed=True),
        Field("certificate_no", "证书编号", "Certificate no.", computed=True),
        Field("certificate_expires", "证书到期", "Certificate expires", Kind.DATE,
              computed=True),
    ),
)  # fmt: skip


# ---------------------------------------------------------------- rules
def result_of(
    presence: str | None,
    test_score: Decimal | int | float | None,
    practical: str | None,
    pass_mark: Decimal | int | float | None,
) -> Result | None:
    """Passed / failed by the course's pass mark, or None while nothing is assessed.

    Only those who attended have a result. Each assessment given must pass: the test
    score reaches the pass mark (a course without a pass mark has no test to fail), and
    the practical exam is not failed.
    """
    if presence not in ATTENDED:
        return None
    if test_score is None and practical is None:
        return None
    if practical == Practical.FAIL:
        return Result.FAILED
    if test_score is not None and pass_mark is not None and test_score < pass_mark:
        return Result.FAILED
    return Result.PASSED


def certificate_no(session_no: str, line_no: int) -> str:
    return f"CERT-{session_no}-{line_no:03d}"


def certificate_expiry(held_on: dt.date, validity_months: int | None) -> dt.date | None:
    """The last day a certificate is valid (None: it never expires)."""
    if validity_months is None:
        return None
    return add_months(held_on, validity_months) - dt.timedelta(days=1)


def certificate_valid(expires: dt.date | None, today: dt.date) -> bool:
    return expires is None or expires >= today


def certificate_expiring(
    expires: dt.date | None, today: dt.date, days: int = EXPIRING_DAYS
) -> bool:
    """Valid today and ending within ``days``."""
    return expires is not None and today <= expires <= today + dt.timedelta(days=days)


def over_capacity(capacity: int | None, attendees: int) -> bool:
    return capacity is not None and attendees > capacity


def ratio(part: int, whole: int) -> float | None:
    """A share in % (None when there is nothing to divide by)."""
    return None if whole == 0 else 100.0 * part / whole


def shown_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def required_operators(model_code: str, setting: Mapping[str, Any] | None) -> int:
    """Certified operators a customer needs per product model (default 1)."""
    setting = setting or {}
    for key in (model_code, "*"):
        value = setting.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return REQUIRED_OPERATORS_DEFAULT


def model_codes(text: str | None) -> list[str]:
    """The model codes a course's ``models`` cell names, in order, once each."""
    if not text:
        return []
    parts = text.replace("，", ",").replace("、", ",").replace(";", ",").split(",")
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


# ---------------------------------------------------------------- programmes
@dataclass(frozen=True)
class Step:
    phase: Phase
    week: int  # 1 = the programme's first week
    topic: Topic


# the customer programme (domain.md §6): initial week 1, deepening weeks 2–4, review week 5
PROGRAMME: tuple[Step, ...] = (
    Step(Phase.INITIAL, 1, Topic.OPERATION),
    Step(Phase.DEEPENING, 2, Topic.MAINTENANCE),
    Step(Phase.DEEPENING, 3, Topic.TROUBLESHOOTING),
    Step(Phase.DEEPENING, 4, Topic.ADVANCED),
    Step(Phase.REVIEW, 5, Topic.OPERATION),
)


def week_start(start: dt.date, week: int) -> dt.date:
    """Monday of the programme's ``week`` (week 1 holds ``start``)."""
    monday = start - dt.timedelta(days=start.weekday())
    return monday + dt.timedelta(weeks=week - 1)


def first_working_slot(
    spans_on, start: dt.date, week: int, hours: float
) -> tuple[dt.datetime, dt.datetime] | None:
    """The first working day of the programme's ``week`` on or after ``start``: from its
    first working span's start, ``hours`` long (cut at the day's last span's end).
    ``spans_on(day)`` gives the calendar's working spans (seconds of the day)."""
    day = max(week_start(start, week), start)
    last = week_start(start, week) + dt.timedelta(days=6)
    while day <= last:
        spans = spans_on(day)
        if spans:
            begin = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=spans[0][0])
            close = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=spans[-1][1])
            return begin, min(begin + dt.timedelta(hours=hours), close)
        day += dt.timedelta(days=1)
    return None


# ---------------------------------------------------------------- sign-in sheets
@dataclass(frozen=True)
class Person:
    """Someone a sign-in sheet's name may mean."""

    kind: AttendeeKind
    name: str
    customer: str | None = None  # customer code
    user: str | None = None  # username
    phone: str | None = None
    job: str | None = None


def match_person(
    name: str, phone: str | None, people: Sequence[Person]
) -> tuple[Person | None, list[Person]]:
    """(the one person ``name`` means, every candidate). Same name and, when both
    give one, the same phone. Several candidates: no match (the caller says which)."""
    hits = [p for p in people if p.name == name]
    if phone:
        by_phone = [p for p in hits if p.phone and _digits(p.phone) == _digits(phone)]
        if by_phone:
            hits = by_phone
    unique = list({(p.kind, p.customer, p.user, p.name, p.phone): p for p in hits}.values())
    return (unique[0] if len(unique) == 1 else None), unique


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def feedback_summary(rows: Iterable[tuple[str, int]]) -> dict[str, tuple[int, float]]:
    """(group, rating) → group → (count, mean rating)."""
    acc: dict[str, list[int]] = {}
    for group, value in rows:
        acc.setdefault(group, []).append(value)
    return {g: (len(v), sum(v) / len(v)) for g, v in acc.items()}
