"""Complaints (投诉): handled until the customer is satisfied, with CAPA (纠正措施要求表).

The field specs of the ``complaints`` register and of its actions (a lines register,
parent ``complaint``), the priority rule table, the investigation deadline, the closing
check, rounds and escalation, and the CAPA effectiveness rule. Pure stdlib: the current
time is an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from rules import sla
from rules.fields import Field, Kind, Problem, Register, options


class Status(StrEnum):
    RECEIVED = "received"
    INVESTIGATING = "investigating"
    HANDLING = "handling"
    FOLLOW_UP = "follow_up"  # handled; waiting for the customer's confirmation
    CLOSED = "closed"


OPEN = frozenset(Status) - {Status.CLOSED}


class Level(StrEnum):
    """Severity, urgency and the priority derived from them."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Channel(StrEnum):
    HOTLINE = "hotline"
    EMAIL = "email"
    ONLINE = "online"
    SOCIAL_MEDIA = "social_media"
    ONSITE = "onsite"


class Category(StrEnum):
    """The complaint's type."""

    QUALITY = "quality"
    RESPONSE = "response"
    FEE = "fee"
    ATTITUDE = "attitude"
    PARTS = "parts"
    PRODUCT = "product"


class CauseCategory(StrEnum):
    PRODUCT = "product"
    WORKMANSHIP = "workmanship"
    PARTS = "parts"
    PROCESS = "process"
    COMMUNICATION = "communication"
    CUSTOMER = "customer"


class ActionKind(StrEnum):
    INVESTIGATION = "investigation"
    MEASURE = "measure"
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"
    VERIFICATION = "verification"
    INFORM = "inform"


class ActionStatus(StrEnum):
    OPEN = "open"
    DOING = "doing"
    DONE = "done"


class CapaStatus(StrEnum):
    OPEN = "open"  # actions set, verification date ahead
    EFFECTIVE = "effective"  # verified: closed
    NOT_EFFECTIVE = "not_effective"  # a repeat complaint, or the verification failed: re-opened


class Tier(IntEnum):
    """Three-tier response: front line, technical, expert."""

    FRONT = 1
    TECHNICAL = 2
    EXPERT = 3


class EventKind(StrEnum):
    INFORM = "inform"  # the customer kept informed
    ROUND = "round"  # not satisfied: handled again
    ESCALATE = "escalate"
    CONFIRM = "confirm"
    CAPA = "capa"
    STATUS = "status"


# ---------------------------------------------------------------- priority
L = Level
# (severity, urgency) → priority
PRIORITY_TABLE: dict[tuple[Level, Level], Level] = {
    (L.HIGH, L.HIGH): L.HIGH,
    (L.HIGH, L.MEDIUM): L.HIGH,
    (L.HIGH, L.LOW): L.MEDIUM,
    (L.MEDIUM, L.HIGH): L.HIGH,
    (L.MEDIUM, L.MEDIUM): L.MEDIUM,
    (L.MEDIUM, L.LOW): L.LOW,
    (L.LOW, L.HIGH): L.MEDIUM,
    (L.LOW, L.MEDIUM): L.LOW,
    (L.LOW, L.LOW): L.LOW,
}
# types that never stay low: the product or the repair failed the customer
AT_LEAST_MEDIUM = frozenset({Category.QUALITY, Category.PRODUCT})


def priority(category: str | None, severity: str, urgency: str) -> Level:
    """The complaint's priority from its type, severity and urgency (the rule table)."""
    level = PRIORITY_TABLE[(Level(severity), Level(urgency))]
    if level is Level.LOW and category in AT_LEAST_MEDIUM:
        return Level.MEDIUM
    return level


# working hours to find the root cause, per priority (configurable: settings key)
INVESTIGATE_HOURS_DEFAULT: dict[Level, int] = {L.HIGH: 8, L.MEDIUM: 24, L.LOW: 48}
INVESTIGATE_HOURS_SETTING = "complaints.investigate_hours"


def investigate_by(
    received: dt.datetime,
    prio: str,
    calendar: sla.WorkingCalendar = sla.DEFAULT_CALENDAR,
    hours: Mapping[str, int] | None = None,
) -> dt.datetime:
    """The investigation deadline: the priority's working hours on the working calendar."""
    budget = (hours or INVESTIGATE_HOURS_DEFAULT)[Level(prio)]
    return sla.add_business_time(calendar, received, budget * 3600)


def tier_due(prio: str) -> Tier:
    """The tier a complaint starts at: a high one goes to the technical tier at once."""
    return Tier.TECHNICAL if prio == Level.HIGH else Tier.FRONT


def timed_tier(
    tier: int, status: str, investigate_due: dt.datetime | None, now: dt.datetime
) -> Tier | None:
    """Timed escalation like tickets: an open complaint past its investigation deadline
    without a root cause goes one tier up (at most expert). None: no change."""
    late = investigate_due is not None and now > investigate_due
    if not late or status not in (Status.RECEIVED, Status.INVESTIGATING):
        return None
    return Tier(min(tier + 1, Tier.EXPERT)) if tier < Tier.EXPERT else None


# ---------------------------------------------------------------- closing and rounds
# a complaint handled this many times escalates to the expert tier and the manager
ESCALATE_ROUND = 3


@dataclass(frozen=True)
class Confirmation:
    """The customer's word on the handling: how, who, when, and satisfied or not."""

    channel: str | None
    person: str | None
    at: dt.datetime | None
    satisfied: bool | None


def confirmation_problems(c: Confirmation) -> list[Problem]:
    problems = []
    for name, value in (
        ("confirm_channel", c.channel),
        ("confirm_person", (c.person or "").strip()),
        ("confirm_at", c.at),
    ):
        if not value:
            problems.append(Problem(name, "complaints.err.confirmation"))
    if c.channel and c.channel not in set(Channel):
        problems.append(Problem("confirm_channel", "err.enum", {"value": c.channel}))
    if c.satisfied is None:
        problems.append(Problem("satisfied", "complaints.err.confirmation"))
    return problems


def close_problems(
    root_cause: str | None, action_statuses: Iterable[str], c: Confirmation
) -> list[Problem]:
    """What stops a complaint from closing: every missing one of the three things —
    a root cause, at least one completed action, the customer's satisfied confirmation."""
    problems = []
    if not (root_cause or "").strip():
        problems.append(Problem("root_cause", "complaints.err.no_root_cause"))
    if ActionStatus.DONE not in set(action_statuses):
        problems.append(Problem("actions", "complaints.err.no_done_action"))
    problems.extend(confirmation_problems(c))
    if c.satisfied is False:
        problems.append(Problem("satisfied", "complaints.err.not_satisfied"))
    return problems


@dataclass(frozen=True)
class NextRound:
    rounds: int
    tier: Tier
    to_manager: bool  # round 3 or more: the manager is told


def next_round(rounds: int, tier: int) -> NextRound:
    """Not satisfied: handled again in a new round; round 3 or more goes to the expert
    tier and the manager."""
    new = rounds + 1
    if new >= ESCALATE_ROUND:
        return NextRound(new, Tier.EXPERT, True)
    return NextRound(new, Tier(max(tier, Tier.FRONT)), False)


def row_checks(values: dict[str, Any]) -> list[Problem]:
    """A closed row of the register carries its root cause and satisfied confirmation."""
    if values.get("status") != Status.CLOSED:
        return []
    c = Confirmation(
        values.get("confirm_channel"),
        values.get("confirm_person"),
        values.get("confirm_at"),
        values.get("satisfied"),
    )
    problems = []
    if not (values.get("root_cause") or "").strip():
        problems.append(Problem("root_cause", "complaints.err.no_root_cause"))
    problems.extend(confirmation_problems(c))
    if c.satisfied is False:
        problems.append(Problem("satisfied", "complaints.err.not_satisfied"))
    return problems


# ---------------------------------------------------------------- CAPA
CAPA_VERIFY_DAYS = 90
CAPA_KINDS = frozenset({ActionKind.CORRECTIVE, ActionKind.PREVENTIVE})


def capa_verify_by(start: dt.date, days: int = CAPA_VERIFY_DAYS) -> dt.date:
    """The CAPA verification date: by default 90 days after the actions are set."""
    return start + dt.timedelta(days=days)


@dataclass(frozen=True)
class Repeat:
    """Another complaint, as the CAPA rule sees it."""

    complaint_no: str
    received_at: dt.datetime
    model_id: int | None
    fault_code_id: int | None


def repeat_of(
    model_id: int | None,
    fault_code_id: int | None,
    set_at: dt.datetime,
    verify_by: dt.date,
    others: Sequence[Repeat],
) -> Repeat | None:
    """A complaint on the same product model and fault code, received after the CAPA
    was set and before its verification date: the CAPA was not effective."""
    if model_id is None or fault_code_id is None:
        return None
    for r in sorted(others, key=lambda r: r.received_at):
        same = r.model_id == model_id and r.fault_code_id == fault_code_id
        if same and set_at < r.received_at and r.received_at.date() <= verify_by:
            return r
    return None


def capa_verify_problems(
    verifier_id: int | None,
    verified_on: dt.date | None,
    result: str | None,
    capa_action_statuses: Sequence[str],
) -> list[Problem]:
    """Closing a CAPA needs verifier, date and result, and its actions done first."""
    problems = []
    if verifier_id is None:
        problems.append(Problem("capa_verifier", "err.required"))
    if verified_on is None:
        problems.append(Problem("capa_verified_at", "err.required"))
    if not (result or "").strip():
        problems.append(Problem("capa_result", "err.required"))
    if not capa_action_statuses:
        problems.append(Problem("actions", "complaints.err.no_capa_action"))
    elif any(s != ActionStatus.DONE for s in capa_action_statuses):
        problems.append(Problem("actions", "complaints.err.capa_not_done"))
    return problems


# ---------------------------------------------------------------- numbers
COMPLAINT_PREFIX = "TS"


def complaint_no_prefix(day: dt.date) -> str:
    return f"{COMPLAINT_PREFIX}-{day:%Y%m%d}-"


def make_complaint_no(day: dt.date, seq: int) -> str:
    return f"{complaint_no_prefix(day)}{seq:04d}"


def complaint_seq(no: str) -> int | None:
    head, _, tail = no.rpartition("-")
    return int(tail) if head and tail.isdigit() else None


# ---------------------------------------------------------------- field specs
STATUS_OPTIONS = options(
    {
        Status.RECEIVED: ("已受理", "Received"),
        Status.INVESTIGATING: ("调查中", "Investigating"),
        Status.HANDLING: ("处理中", "Handling"),
        Status.FOLLOW_UP: ("待客户确认", "Awaiting confirmation"),
        Status.CLOSED: ("已关闭", "Closed"),
    }
)
LEVEL_OPTIONS = options({L.HIGH: ("高", "High"), L.MEDIUM: ("中", "Medium"), L.LOW: ("低", "Low")})
CHANNEL_OPTIONS = options(
    {
        Channel.HOTLINE: ("热线电话", "Hotline"),
        Channel.EMAIL: ("电子邮件", "Email"),
        Channel.ONLINE: ("在线", "Online"),
        Channel.SOCIAL_MEDIA: ("社交媒体", "Social media"),
        Channel.ONSITE: ("现场", "On site"),
    }
)
CATEGORY_OPTIONS = options(
    {
        Category.QUALITY: ("维修质量", "Repair quality"),
        Category.RESPONSE: ("响应速度", "Response time"),
        Category.FEE: ("收费", "Fees"),
        Category.ATTITUDE: ("服务态度", "Attitude"),
        Category.PARTS: ("备件", "Parts"),
        Category.PRODUCT: ("产品质量", "Product quality"),
    }
)
CAUSE_OPTIONS = options(
    {
        CauseCategory.PRODUCT: ("产品设计/制造", "Product design/manufacture"),
        CauseCategory.WORKMANSHIP: ("维修工艺", "Workmanship"),
        CauseCategory.PARTS: ("备件质量/供应", "Parts quality/supply"),
        CauseCategory.PROCESS: ("服务流程", "Service process"),
        CauseCategory.COMMUNICATION: ("沟通", "Communication"),
        CauseCategory.CUSTOMER: ("客户使用", "Customer use"),
    }
)
CAPA_OPTIONS = options(
    {
        CapaStatus.OPEN: ("待验证", "To verify"),
        CapaStatus.EFFECTIVE: ("有效", "Effective"),
        CapaStatus.NOT_EFFECTIVE: ("无效（重开）", "Not effective (re-opened)"),
    }
)
KIND_OPTIONS = options(
    {
        ActionKind.INVESTIGATION: ("调查", "Investigation"),
        ActionKind.MEASURE: ("处理措施", "Measure"),
        ActionKind.CORRECTIVE: ("纠正措施", "Corrective"),
        ActionKind.PREVENTIVE: ("预防措施", "Preventive"),
        ActionKind.VERIFICATION: ("效果验证", "Verification"),
        ActionKind.INFORM: ("告知客户", "Inform customer"),
    }
)
ACTION_STATUS_OPTIONS = options(
    {
        ActionStatus.OPEN: ("未开始", "Open"),
        ActionStatus.DOING: ("进行中", "In progress"),
        ActionStatus.DONE: ("已完成", "Done"),
    }
)

COMPLAINTS = Register(
    name="complaints",
    zh="投诉",
    en="Complaints",
    key="complaint_no",
    checks=(row_checks,),
    fields=(
        Field("complaint_no", "投诉编号", "Complaint no.", required=True, key=True, max_len=40,
              aliases=("投诉单号", "complaint no", "no."), example="TS-20261120-0001"),
        Field("customer", "客户", "Customer", Kind.REF, required=True, ref="customers",
              aliases=("客户编号", "客户名称", "customer code"), example="C0001"),
        Field("ticket", "工单号", "Ticket no.", Kind.REF, ref="tickets",
              aliases=("服务单号", "ticket"), example="SR-20261101-0001"),
        Field("device", "设备序列号", "Serial no.", Kind.REF, ref="devices",
              aliases=("序列号", "serial no", "serial")),
        Field("engineer", "涉及工程师", "Engineer", Kind.REF, ref="users",
              aliases=("工程师", "engineer")),
        Field("model", "产品型号", "Product model", Kind.REF, ref="product_models",
              aliases=("型号", "model")),
        Field("fault_code", "故障代码", "Fault code", Kind.REF, ref="fault_codes",
              aliases=("故障码",)),
        Field("complainant", "投诉人", "Complainant", required=True, max_len=100,
              aliases=("联系人",), example="张伟"),
        Field("contact", "联系方式", "Contact", max_len=100, aliases=("电话", "phone")),
        Field("channel", "投诉渠道", "Channel", Kind.ENUM, required=True,
              options=CHANNEL_OPTIONS, aliases=("渠道",), example="hotline"),
        Field("received_at", "投诉时间", "Received", Kind.DATETIME, required=True,
              aliases=("受理时间", "received at"), example=dt.datetime(2026, 11, 20, 9, 30)),
        Field("content", "投诉内容", "Content", Kind.LONGTEXT, required=True,
              aliases=("内容", "描述"), example="维修后同样故障再次出现"),
        Field("category", "投诉类型", "Type", Kind.ENUM, options=CATEGORY_OPTIONS,
              aliases=("类型", "type", "分类")),
        Field("severity", "严重程度", "Severity", Kind.ENUM, required=True,
              options=LEVEL_OPTIONS, example="medium"),
        Field("urgency", "紧急程度", "Urgency", Kind.ENUM, required=True,
              options=LEVEL_OPTIONS, example="medium"),
        Field("priority", "优先级", "Priority", Kind.ENUM, options=LEVEL_OPTIONS,
              help_zh="空白时按类型、严重和紧急程度计算", help_en="Blank: from type, severity, urgency"),
        Field("status", "状态", "Status", Kind.ENUM, required=True, options=STATUS_OPTIONS,
              example="received"),
        Field("tier", "响应层级", "Tier", Kind.INT, min_value=1, max_value=3,
              help_zh="1 一线 / 2 技术 / 3 专家", help_en="1 front line / 2 technical / 3 expert"),
        Field("handling_group", "处理小组", "Handling group", max_len=100),
        Field("handler", "负责人", "Owner", Kind.REF, ref="users", aliases=("处理人", "owner")),
        Field("manager", "通知经理", "Manager", Kind.REF, ref="users"),
        Field("investigate_by", "调查期限", "Investigate by", Kind.DATETIME,
              help_zh="空白时按优先级和工作日历计算", help_en="Blank: from priority and calendar"),
        Field("cause_category", "原因类别", "Cause category", Kind.ENUM, options=CAUSE_OPTIONS),
        Field("root_cause", "根本原因分析", "Root cause", Kind.LONGTEXT, aliases=("原因分析",)),
        Field("result", "处理结果", "Result", Kind.LONGTEXT),
        Field("rounds", "处理轮次", "Round", Kind.INT, min_value=1),
        Field("satisfied", "客户满意", "Satisfied", Kind.BOOL),
        Field("confirm_channel", "确认方式", "Confirmed via", Kind.ENUM, options=CHANNEL_OPTIONS),
        Field("confirm_person", "确认人", "Confirmed by", max_len=100),
        Field("confirm_at", "确认时间", "Confirmed at", Kind.DATETIME),
        Field("closed_at", "关闭时间", "Closed", Kind.DATETIME),
        Field("capa_status", "CAPA状态", "CAPA status", Kind.ENUM, options=CAPA_OPTIONS),
        Field("capa_criterion", "有效性标准", "Effectiveness criterion", Kind.LONGTEXT),
        Field("capa_verify_by", "验证日期", "Verify by", Kind.DATE),
        Field("capa_verified_at", "验证完成日期", "Verified on", Kind.DATE),
        Field("capa_verifier", "验证人", "Verifier", Kind.REF, ref="users"),
        Field("capa_result", "验证结果", "Verification result", Kind.LONGTEXT),
    ),
)  # fmt: skip

COMPLAINT_ACTIONS = Register(
    name="complaint_actions",
    zh="投诉处理措施",
    en="Complaint actions",
    key="line_no",
    parent="complaint",
    fields=(
        Field("complaint", "投诉编号", "Complaint no.", Kind.REF, required=True,
              ref="complaints", aliases=("投诉单号", "complaint"), example="TS-20261120-0001"),
        Field("line_no", "行号", "Line", Kind.INT, required=True, key=True, min_value=1,
              aliases=("序号",), example=1),
        Field("round", "轮次", "Round", Kind.INT, min_value=1, example=1),
        Field("kind", "措施类型", "Kind", Kind.ENUM, required=True, options=KIND_OPTIONS,
              example="measure"),
        Field("description", "措施内容", "Measure", Kind.LONGTEXT, required=True,
              aliases=("内容", "措施"), example="更换故障部件"),
        Field("department", "责任部门", "Department", max_len=100),
        Field("responsible", "责任人", "Responsible", max_len=100),
        Field("deadline", "完成期限", "Deadline", Kind.DATE),
        Field("status", "完成状态", "Status", Kind.ENUM, options=ACTION_STATUS_OPTIONS,
              example="open"),
        Field("done_at", "完成时间", "Done at", Kind.DATETIME),
        Field("effective", "有效", "Effective", Kind.BOOL),
    ),
)  # fmt: skip


def action_defaults(values: dict[str, Any]) -> list[Problem]:
    """A line's status follows its completion time where not given; done needs a time."""
    if values.get("status") is None and "status" in values:
        values["status"] = ActionStatus.DONE if values.get("done_at") else ActionStatus.OPEN
    if values.get("round") is None and "round" in values:
        values["round"] = 1
    return []


def complaint_defaults(values: dict[str, Any], calendar: sla.WorkingCalendar) -> None:
    """Blank priority from the rule table, blank tier from the priority, blank
    investigation deadline from the priority and calendar."""
    sev, urg = values.get("severity"), values.get("urgency")
    if values.get("priority") is None and "priority" in values and sev and urg:
        values["priority"] = priority(values.get("category"), sev, urg).value
    prio = values.get("priority")
    if values.get("tier") is None and "tier" in values and prio:
        values["tier"] = int(tier_due(prio))
    if values.get("rounds") is None and "rounds" in values:
        values["rounds"] = 1
    received = values.get("received_at")
    if values.get("investigate_by") is None and "investigate_by" in values and prio and received:
        values["investigate_by"] = investigate_by(received, prio, calendar)
