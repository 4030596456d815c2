"""Service tickets (服务请求 / 工单): statuses and their allowed changes, labels,
the ticket register's field specs, satisfaction, follow-up scheduling, numbering.

Pure stdlib. The SLA clocks live in :mod:`rules.sla`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rules.fields import Field, Kind, Option, Problem, Register
from rules.i18n import t
from rules.sla import PAUSING


class Status(StrEnum):
    RECEIVED = "received"
    RESPONDED = "responded"
    DIAGNOSING = "diagnosing"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    WAITING_PARTS = "waiting_parts"
    WAITING_CUSTOMER = "waiting_customer"
    RETURNED_TO_FACTORY = "returned_to_factory"
    REPAIRED = "repaired"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    EMERGENCY = "emergency"
    HIGH = "high"
    STANDARD = "standard"
    LOW = "low"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ONLINE = "online"
    ONSITE = "onsite"
    REMOTE = "remote"


S = Status
# status → the statuses it may change to (domain.md §1: received → diagnosed (remote
# first) → dispatched → on site → repaired → accepted → closed; branches: resolved
# remotely, waiting for parts or for the customer, returned to factory, reopened)
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.RECEIVED: frozenset({S.RESPONDED, S.DIAGNOSING, S.DISPATCHED, S.CANCELLED}),
    S.RESPONDED: frozenset(
        {S.DIAGNOSING, S.DISPATCHED, S.WAITING_CUSTOMER, S.REPAIRED, S.CANCELLED}
    ),
    S.DIAGNOSING: frozenset(
        {
            S.DISPATCHED,
            S.REPAIRED,  # resolved remotely
            S.WAITING_PARTS,
            S.WAITING_CUSTOMER,
            S.RETURNED_TO_FACTORY,
            S.CANCELLED,
        }
    ),
    S.DISPATCHED: frozenset(
        {S.ON_SITE, S.DIAGNOSING, S.WAITING_PARTS, S.WAITING_CUSTOMER, S.CANCELLED}
    ),
    S.ON_SITE: frozenset(
        {S.REPAIRED, S.WAITING_PARTS, S.WAITING_CUSTOMER, S.RETURNED_TO_FACTORY, S.DISPATCHED}
    ),
    S.WAITING_PARTS: frozenset(
        {S.DISPATCHED, S.ON_SITE, S.DIAGNOSING, S.RETURNED_TO_FACTORY, S.CANCELLED}
    ),
    S.WAITING_CUSTOMER: frozenset({S.DIAGNOSING, S.DISPATCHED, S.ON_SITE, S.REPAIRED, S.CANCELLED}),
    S.RETURNED_TO_FACTORY: frozenset({S.REPAIRED, S.WAITING_PARTS, S.DISPATCHED}),
    S.REPAIRED: frozenset({S.ACCEPTED, S.REOPENED}),
    S.ACCEPTED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset(
        {
            S.DIAGNOSING,
            S.DISPATCHED,
            S.ON_SITE,
            S.WAITING_PARTS,
            S.WAITING_CUSTOMER,
            S.REPAIRED,
            S.CANCELLED,
        }
    ),
    S.CANCELLED: frozenset(),
}

# no more work expected: excluded from "open" lists, load and auto-escalation
FINISHED = frozenset({S.REPAIRED, S.ACCEPTED, S.CLOSED, S.CANCELLED})
OPEN = frozenset(Status) - FINISHED


class IllegalTransition(ValueError):
    """A status change the transition table does not allow."""

    def __init__(self, from_status: str, to_status: str):
        super().__init__(from_status, to_status)
        self.from_status = from_status
        self.to_status = to_status

    @property
    def allowed(self) -> list[Status]:
        return allowed_next(self.from_status)

    def message(self, lang: str) -> str:
        allowed = " / ".join(status_label(s, lang) for s in self.allowed) or t("tickets.none", lang)
        return t(
            "tickets.err.illegal_transition",
            lang,
            from_status=status_label(self.from_status, lang),
            to_status=status_label(self.to_status, lang),
            allowed=allowed,
        )

    def __str__(self) -> str:
        return self.message("en")


def allowed_next(status: str) -> list[Status]:
    """The allowed next statuses in lifecycle order (for buttons and messages)."""
    targets = TRANSITIONS.get(Status(status), frozenset())
    return [s for s in Status if s in targets]


def check_transition(from_status: str, to_status: str) -> Status:
    """``to_status`` as a Status, or :class:`IllegalTransition`."""
    try:
        target = Status(to_status)
        source = Status(from_status)
    except ValueError:
        raise IllegalTransition(from_status, to_status) from None
    if target not in TRANSITIONS[source]:
        raise IllegalTransition(from_status, to_status)
    return target


# ---------------------------------------------------------------- SLA state
class SlaState(StrEnum):
    """Where a ticket stands against its stored deadlines (list filter, ⚠, dashboard)."""

    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    PAUSED = "paused"
    DONE = "done"


DUE_SOON = dt.timedelta(hours=4)


def sla_state(
    status: str,
    responded_at: dt.datetime | None,
    respond_due: dt.datetime | None,
    resolve_due: dt.datetime | None,
    now: dt.datetime,
    due_soon: dt.timedelta = DUE_SOON,
) -> SlaState:
    """The SLA state of a ticket from its stored columns; the one definition (the SQL
    of ``data_access.tickets.sla_state_is`` says the same, and a test proves it).

    Finished: done. Open: overdue when a running deadline has passed (respond-by
    counts until responded; a paused ticket keeps a resolve-by only once breached),
    else paused while waiting, else due soon when a deadline falls within
    ``due_soon``, else on track.
    """
    if Status(status) in FINISHED:
        return SlaState.DONE
    deadlines = [d for d in (resolve_due, None if responded_at else respond_due) if d]
    if any(d < now for d in deadlines):
        return SlaState.OVERDUE
    if status in PAUSING:
        return SlaState.PAUSED
    if any(d < now + due_soon for d in deadlines):
        return SlaState.DUE_SOON
    return SlaState.ON_TRACK


# a closed ticket's service report is the signed record: edited only after a reopen
REPORT_LOCKED = frozenset({S.CLOSED})


def deadlines_frozen(from_status: str, to_status: str) -> bool:
    """A finished ticket's deadlines are history: a later SLA or calendar edit, or a
    move between finished statuses (repaired → accepted → closed), keeps them."""
    return from_status in FINISHED and to_status in FINISHED


# ---------------------------------------------------------------- labels
STATUS_OPTIONS = (
    Option(S.RECEIVED, "已受理", "Received", ("受理", "新建", "待响应", "报修")),
    Option(S.RESPONDED, "已响应", "Responded", ("响应", "已确认", "服务请求确认")),
    Option(S.DIAGNOSING, "诊断中", "Diagnosing", ("故障诊断", "远程诊断", "诊断")),
    Option(S.DISPATCHED, "已派工", "Dispatched", ("派工", "已派单")),
    Option(S.ON_SITE, "现场处理中", "On site", ("现场服务", "维修中", "在修")),
    Option(S.WAITING_PARTS, "待备件", "Waiting for parts", ("等待备件", "待件", "缺件")),
    Option(S.WAITING_CUSTOMER, "待客户确认", "Waiting for customer", ("等待客户", "待客户")),
    Option(S.RETURNED_TO_FACTORY, "返厂维修", "Returned to factory", ("返厂",)),
    Option(S.REPAIRED, "已修复", "Repaired", ("维修完成", "已解决", "resolved")),
    Option(S.ACCEPTED, "客户已验收", "Accepted by customer", ("已验收", "验收")),
    Option(S.CLOSED, "已关闭", "Closed", ("关闭", "结案", "已结案")),
    Option(S.REOPENED, "重新打开", "Reopened", ("重开", "已重开")),
    Option(S.CANCELLED, "已取消", "Cancelled", ("取消", "作废", "canceled")),
)
PRIORITY_OPTIONS = (
    Option(Priority.EMERGENCY, "紧急", "Emergency", ("紧急故障", "urgent", "P1")),
    Option(Priority.HIGH, "高", "High", ("高优先级", "高优先级故障", "P2")),
    Option(Priority.STANDARD, "标准", "Standard", ("标准故障", "一般", "普通", "normal", "P3")),
    Option(Priority.LOW, "低", "Low", ("低优先级", "低优先级故障", "P4")),
)
CHANNEL_OPTIONS = (
    Option(Channel.PHONE, "电话", "Phone", ("服务热线", "热线", "电话支持")),
    Option(Channel.EMAIL, "电子邮件", "E-mail", ("邮件", "email")),
    Option(Channel.ONLINE, "在线表单", "Online form", ("在线", "网站", "网页", "web")),
    Option(Channel.ONSITE, "现场", "On site", ("现场报修", "上门")),
    Option(Channel.REMOTE, "远程", "Remote", ("远程支持", "远程协助")),
)
RESULT_OPTIONS = (
    Option("fixed", "已修复", "Fixed", ("修复",)),
    Option("temporary", "临时处理", "Temporary fix", ("临时",)),
    Option("not_fixed", "未修复", "Not fixed", ("未解决",)),
    Option("returned", "返厂", "Returned to factory"),
)
# the kind of service a ticket asks for (seed 000 §5.1.1's table is per service type)
SERVICE_TYPE_OPTIONS = (
    Option("repair", "故障维修", "Repair", ("维修",)),
    Option("maintenance", "保养维护", "Maintenance", ("保养", "维护")),
    Option("installation", "安装调试", "Installation", ("安装",)),
    Option("consultation", "技术咨询", "Consultation", ("咨询",)),
    Option("upgrade", "升级改造", "Upgrade", ("升级",)),
)
_LABELS = {
    "status": {o.value: o for o in STATUS_OPTIONS},
    "priority": {o.value: o for o in PRIORITY_OPTIONS},
    "channel": {o.value: o for o in CHANNEL_OPTIONS},
    "service_type": {o.value: o for o in SERVICE_TYPE_OPTIONS},
}


def _label(kind: str, value: str | None, lang: str) -> str:
    opt = _LABELS[kind].get(value or "")
    return opt.label(lang) if opt else (value or "")


def status_label(value: str | None, lang: str) -> str:
    return _label("status", value, lang)


def priority_label(value: str | None, lang: str) -> str:
    return _label("priority", value, lang)


def channel_label(value: str | None, lang: str) -> str:
    return _label("channel", value, lang)


def service_type_label(value: str | None, lang: str) -> str:
    """A service type in ``lang``; one the list does not know shows as typed."""
    return _label("service_type", value, lang)


# ---------------------------------------------------------------- satisfaction
RATING_MIN, RATING_MAX = 1, 5
RATINGS = ("rating_quality", "rating_attitude", "rating_efficiency")


def satisfaction(quality: int | None, attitude: int | None, efficiency: int | None) -> float | None:
    """Service satisfaction = (quality + attitude + efficiency) / 3 (seed 000 §2.2).

    None unless all three ratings are given.
    """
    values = (quality, attitude, efficiency)
    if any(v is None for v in values):
        return None
    return sum(values) / 3  # type: ignore[arg-type]


def check_ratings(ratings: dict[str, Any]) -> list[Problem]:
    """Each given rating must be a whole number 1–5; all three or none."""
    problems = []
    given = {k: ratings.get(k) for k in RATINGS if ratings.get(k) not in (None, "")}
    for name, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem(name, "err.integer", {"value": value}, value=value))
        elif not RATING_MIN <= value <= RATING_MAX:
            code = "err.min" if value < RATING_MIN else "err.max"
            bound = {"min": RATING_MIN} if value < RATING_MIN else {"max": RATING_MAX}
            problems.append(Problem(name, code, bound, value=value))
    if given and len(given) < len(RATINGS):
        problems.extend(
            Problem(name, "tickets.err.rating_incomplete") for name in RATINGS if name not in given
        )
    return problems


# ---------------------------------------------------------------- follow-ups, numbers
FOLLOWUP_DELAY_DAYS_DEFAULT = 3
FOLLOWUP_DELAY_SETTING = "tickets.followup_delay_days"


def followup_due(closed_at: dt.datetime, delay_days: int = FOLLOWUP_DELAY_DAYS_DEFAULT) -> dt.date:
    """Closing a ticket schedules its follow-up call (回访) ``delay_days`` later."""
    if delay_days < 0:
        raise ValueError("follow-up delay must not be negative")
    return closed_at.date() + dt.timedelta(days=delay_days)


@dataclass(frozen=True)
class ClosingFacts:
    """What a ticket's history says once it is resolved or closed."""

    remote_resolved: bool  # the last repair came without an on-site visit
    first_time_fix: bool | None  # None until repaired (and never reopened)
    followups: tuple[dt.date, ...]  # the follow-up call due after each closing


_STATUSES = {s.value: s for s in Status}  # a dict look-up: Status(text) costs an enum call


def closing_facts(
    events: Sequence[tuple[dt.datetime, str]],
    followup_delay_days: int = FOLLOWUP_DELAY_DAYS_DEFAULT,
) -> ClosingFacts:
    """The facts derived from a ticket's status history ``[(at, to_status)]`` in order,
    alike for a ticket worked in the app and one imported from a register.

    First-time fix: repaired at the first visit (or remotely), no wait for parts,
    never reopened (a reopen makes it False for good).
    """
    statuses = [_STATUSES.get(status) or Status(status) for _, status in events]
    reopened = S.REOPENED in statuses
    repairs = [i for i, status in enumerate(statuses) if status is S.REPAIRED]
    followups = tuple(
        followup_due(at, followup_delay_days) for at, status in events if status == S.CLOSED
    )
    if not repairs:
        return ClosingFacts(False, False if reopened else None, followups)
    before = statuses[: repairs[-1]]
    first_time = not reopened and before.count(S.ON_SITE) <= 1 and S.WAITING_PARTS not in statuses
    return ClosingFacts(S.ON_SITE not in before, first_time, followups)


def followup_no(ticket_no: str, n: int) -> str:
    """The n-th follow-up of a ticket (a reopened ticket closed again gets another)."""
    return f"FU-{ticket_no}-{n}"


TICKET_PREFIX = "SR"
_TICKET_NO = re.compile(r"^([A-Z]+)-(\d{8})-(\d{4,})$")


def ticket_no_prefix(day: dt.date, prefix: str = TICKET_PREFIX) -> str:
    return f"{prefix}-{day:%Y%m%d}-"


def make_ticket_no(day: dt.date, seq: int, prefix: str = TICKET_PREFIX) -> str:
    """``SR-20261123-0001``: the day received and a per-day sequence (4+ digits)."""
    if seq < 1:
        raise ValueError("ticket sequence starts at 1")
    return f"{ticket_no_prefix(day, prefix)}{seq:04d}"


def ticket_seq(ticket_no: str) -> int | None:
    """The per-day sequence of a generated number, None for a foreign one."""
    m = _TICKET_NO.match(ticket_no or "")
    return int(m[3]) if m else None


# ---------------------------------------------------------------- register
_DATE_ORDER = (
    "received_at",
    "responded_at",
    "resolved_at",
    "closed_at",
)


def _check_ticket(row: dict[str, Any]) -> list[Problem]:
    """Dates in lifecycle order (each after the last one given); ratings all or none."""
    problems = []
    earlier: tuple[dt.datetime, str] | None = None
    for name in _DATE_ORDER:
        value = row.get(name)
        if not value:
            continue
        if earlier and value < earlier[0]:
            problems.append(Problem(name, "err.date_order", {"later": name, "earlier": earlier[1]}))
            continue
        earlier = (value, name)
    problems.extend(check_ratings(row))
    return problems


# where each status sits in the lifecycle, for rebuilding an imported ticket's history
_RANK = {S.RECEIVED: 0, S.RESPONDED: 1, S.REPAIRED: 3, S.ACCEPTED: 4, S.CLOSED: 5}
_LAST_RANK = 6  # reopened: after every dated step


def imported_history(
    status: str,
    received_at: dt.datetime,
    responded_at: dt.datetime | None = None,
    resolved_at: dt.datetime | None = None,
    closed_at: dt.datetime | None = None,
) -> list[tuple[dt.datetime, Status]]:
    """The status history ``[(at, status)]`` of a ticket imported from a register.

    A register row has only its milestone dates and its current status, so the
    history is received → responded → repaired → closed, keeping each dated step
    that comes before the current status, then the current status: at its own
    milestone date when it is one (cancelled: at the closing date), otherwise at the
    latest date given. The SLA clocks and reports derive from this like any other.
    """
    final = Status(status)
    # working statuses and cancelled sit between responded and repaired
    rank = _RANK.get(final, _LAST_RANK if final is S.REOPENED else 2)
    steps: list[tuple[dt.datetime, Status]] = [(received_at, S.RECEIVED)]
    own = {S.RESPONDED: responded_at, S.REPAIRED: resolved_at, S.CLOSED: closed_at}
    for at, step in ((responded_at, S.RESPONDED), (resolved_at, S.REPAIRED), (closed_at, S.CLOSED)):
        if at is not None and _RANK[step] < rank and at >= steps[-1][0]:
            steps.append((at, step))
    if final is S.RECEIVED:
        return steps[:1]
    at = own.get(final) or (closed_at if final is S.CANCELLED else None)
    if at is None or at < steps[-1][0]:
        at = steps[-1][0]
    steps.append((at, final))
    return steps


TICKETS = Register(
    name="tickets",
    zh="服务工单台账",
    en="Service ticket register",
    key="ticket_no",
    fields=(
        Field(
            "ticket_no",
            "工单编号",
            "Ticket no.",
            key=True,
            required=True,
            max_len=40,
            aliases=("工单号", "服务单号", "报修单号", "单号", "SR", "ticket", "ticket number"),
            example="SR-20251103-0001",
            help_zh="唯一编号，保留前导零",
            help_en="Unique number; leading zeros are kept",
        ),
        Field(
            "customer",
            "客户",
            "Customer",
            Kind.REF,
            required=True,
            ref="customers",
            aliases=("客户编号", "客户名称", "报修单位", "customer code", "customer name"),
            example="C0001",
            help_zh="客户编号或完整客户名称",
            help_en="Customer code or exact customer name",
        ),
        Field(
            "serial_no",
            "设备序列号",
            "Serial no.",
            Kind.REF,
            ref="devices",
            column="device_id",
            loose="serial_no",
            max_len=80,
            aliases=("序列号", "出厂编号", "机身号", "sn", "serial", "serial number"),
            example="SN0012345",
            help_zh="可填未登记的序列号",
            help_en="An unregistered serial is kept as typed",
        ),
        Field(
            "contact_name",
            "联系人",
            "Contact",
            max_len=100,
            aliases=("报修人", "联系人姓名", "contact person"),
            example="张伟",
        ),
        Field(
            "contact_phone",
            "联系电话",
            "Phone",
            max_len=40,
            aliases=("电话", "手机", "phone", "tel", "mobile"),
            example="021-55551234",
        ),
        Field(
            "channel",
            "受理渠道",
            "Channel",
            Kind.ENUM,
            required=True,
            options=CHANNEL_OPTIONS,
            aliases=("报修渠道", "渠道", "来源", "source"),
            example=Channel.PHONE,
        ),
        Field(
            "priority",
            "优先级",
            "Priority",
            Kind.ENUM,
            required=True,
            options=PRIORITY_OPTIONS,
            aliases=("紧急程度", "级别", "故障等级"),
            example=Priority.STANDARD,
        ),
        Field(
            "status",
            "状态",
            "Status",
            Kind.ENUM,
            required=True,
            options=STATUS_OPTIONS,
            aliases=("工单状态", "处理状态", "进度"),
            example=Status.RECEIVED,
        ),
        Field(
            "fault_description",
            "故障描述",
            "Fault description",
            Kind.LONGTEXT,
            required=True,
            aliases=("故障现象", "问题描述", "报修内容", "fault", "problem", "description"),
            example="主轴异响，运行中停机",
        ),
        Field(
            "fault_code",
            "故障代码",
            "Fault code",
            Kind.REF,
            ref="fault_codes",
            max_len=40,
            aliases=("故障编码", "错误代码", "error code"),
            example="E0123",
        ),
        Field(
            "received_at",
            "受理时间",
            "Received at",
            Kind.DATETIME,
            required=True,
            aliases=("报修时间", "接单时间", "请求时间", "received", "reported at"),
            example=dt.datetime(2025, 11, 3, 9, 15),
        ),
        Field(
            "responded_at",
            "响应时间",
            "Responded at",
            Kind.DATETIME,
            aliases=("首次响应时间", "responded", "first response"),
        ),
        Field(
            "resolved_at",
            "解决时间",
            "Resolved at",
            Kind.DATETIME,
            aliases=("修复时间", "完成时间", "resolved", "repaired at"),
        ),
        Field(
            "closed_at",
            "关闭时间",
            "Closed at",
            Kind.DATETIME,
            aliases=("结案时间", "closed"),
        ),
        Field(
            "engineer",
            "服务工程师",
            "Engineer",
            Kind.REF,
            ref="users",
            max_len=100,
            aliases=("工程师", "维修人员", "处理人", "负责人", "engineer name"),
            example="engineer",
            help_zh="用户名或姓名",
            help_en="Username or display name",
        ),
        Field(
            "escalation_level",
            "升级级别",
            "Escalation level",
            Kind.INT,
            min_value=1,
            max_value=4,
            aliases=("升级", "level", "escalation"),
            example=1,
        ),
        Field(
            "rating_quality",
            "服务质量评分",
            "Quality rating",
            Kind.INT,
            min_value=RATING_MIN,
            max_value=RATING_MAX,
            aliases=("服务质量", "quality"),
        ),
        Field(
            "rating_attitude",
            "服务态度评分",
            "Attitude rating",
            Kind.INT,
            min_value=RATING_MIN,
            max_value=RATING_MAX,
            aliases=("服务态度", "attitude"),
        ),
        Field(
            "rating_efficiency",
            "服务效率评分",
            "Efficiency rating",
            Kind.INT,
            min_value=RATING_MIN,
            max_value=RATING_MAX,
            aliases=("服务效率", "efficiency"),
        ),
        Field(
            "satisfaction",
            "满意度",
            "Satisfaction",
            Kind.DECIMAL,
            computed=True,
            help_zh="（服务质量 + 服务态度 + 服务效率）/ 3",
            help_en="(quality + attitude + efficiency) / 3",
        ),
        Field(
            "respond_due",
            "响应时限",
            "Respond by",
            Kind.DATETIME,
            computed=True,
        ),
        Field(
            "resolve_due",
            "解决时限",
            "Resolve by",
            Kind.DATETIME,
            computed=True,
        ),
    ),
    checks=(_check_ticket,),
)
