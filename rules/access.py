"""Roles and what each may see and change.

The navigation shows a role only its pages, and every page checks again with
:func:`can_view`, so typing a page's URL does not bypass the menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from rules.fields import Field, Kind, Option, Register


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"
    ENGINEER = "engineer"
    PARTS_KEEPER = "parts_keeper"
    TRAINER = "trainer"
    QUALITY = "quality"


class Page(StrEnum):
    DASHBOARD = "dashboard"
    CUSTOMERS = "customers"
    TICKETS = "tickets"
    MAINTENANCE = "maintenance"
    PARTS = "parts"
    COMPLAINTS = "complaints"
    FOLLOWUPS = "followups"
    TRAINING = "training"
    FEES = "fees"
    SLA = "sla"
    SETTINGS = "settings"
    AUDIT = "audit"
    SEARCH = "search"
    KNOWLEDGE = "knowledge"
    INBOX = "inbox"  # everyone's own notifications


R = Role
ALL = frozenset(Role)

# page → roles that may open it
VIEW: dict[Page, frozenset[Role]] = {
    # an engineer sees his own figures (the data layer narrows them to him)
    Page.DASHBOARD: frozenset({R.ADMIN, R.MANAGER, R.QUALITY, R.AGENT, R.ENGINEER}),
    Page.CUSTOMERS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER, R.QUALITY, R.TRAINER}),
    Page.TICKETS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER, R.QUALITY, R.PARTS_KEEPER}),
    Page.MAINTENANCE: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER}),
    Page.PARTS: frozenset({R.ADMIN, R.MANAGER, R.PARTS_KEEPER, R.ENGINEER}),
    # engineers see the complaints about their own tickets (the data layer filters)
    Page.COMPLAINTS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.QUALITY, R.ENGINEER}),
    Page.FOLLOWUPS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.QUALITY}),
    # agents and engineers: the coverage section only (rules.training)
    Page.TRAINING: frozenset({R.ADMIN, R.MANAGER, R.TRAINER, R.AGENT, R.ENGINEER}),
    Page.FEES: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER}),
    Page.SLA: frozenset({R.ADMIN, R.MANAGER, R.QUALITY}),
    Page.SETTINGS: frozenset({R.ADMIN}),
    Page.AUDIT: frozenset({R.ADMIN}),
    Page.SEARCH: ALL,  # each kind of hit only for who may open its page
    Page.KNOWLEDGE: ALL,  # every member of staff reads the fault codes and the FAQ
    Page.INBOX: ALL,
}

# page → roles that may change its data (a subset of VIEW)
EDIT: dict[Page, frozenset[Role]] = {
    Page.DASHBOARD: frozenset(),
    Page.CUSTOMERS: frozenset({R.ADMIN, R.MANAGER, R.AGENT}),
    Page.TICKETS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER}),
    Page.MAINTENANCE: frozenset({R.ADMIN, R.MANAGER, R.ENGINEER}),
    Page.PARTS: frozenset({R.ADMIN, R.MANAGER, R.PARTS_KEEPER}),
    Page.COMPLAINTS: frozenset({R.ADMIN, R.MANAGER, R.QUALITY}),
    Page.FOLLOWUPS: frozenset({R.ADMIN, R.MANAGER, R.AGENT}),
    Page.TRAINING: frozenset({R.ADMIN, R.MANAGER, R.TRAINER}),
    # engineers propose fee lines (their own tickets); the rate card and payments: below
    Page.FEES: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER}),
    Page.SLA: frozenset({R.ADMIN, R.MANAGER}),
    Page.SETTINGS: frozenset({R.ADMIN}),
    Page.AUDIT: frozenset(),  # nobody edits the audit log
    Page.SEARCH: frozenset(),
    Page.KNOWLEDGE: frozenset({R.ADMIN, R.MANAGER, R.QUALITY}),  # quality edits and publishes
    Page.INBOX: ALL,  # marking one's own messages read
}

# import register → page whose edit right it needs
REGISTER_PAGE: dict[str, Page] = {
    "customers": Page.CUSTOMERS,
    "devices": Page.CUSTOMERS,
    "tickets": Page.TICKETS,
    "ticket_parts": Page.TICKETS,
    "users": Page.SETTINGS,
    "plans": Page.MAINTENANCE,
    "visits": Page.MAINTENANCE,
    "visit_results": Page.MAINTENANCE,
    "checklists": Page.MAINTENANCE,
    "packages": Page.MAINTENANCE,
    "parts": Page.PARTS,
    "stock": Page.PARTS,
    "warehouses": Page.PARTS,
    "complaints": Page.COMPLAINTS,
    "complaint_actions": Page.COMPLAINTS,
    "followups": Page.FOLLOWUPS,
    "training": Page.TRAINING,
    "courses": Page.TRAINING,
    "training_sessions": Page.TRAINING,
    "attendance": Page.TRAINING,
    "fees": Page.FEES,
    "faultcodes": Page.KNOWLEDGE,
    "articles": Page.KNOWLEDGE,
    "ratecard": Page.FEES,
    "payments": Page.FEES,
    "sla_policies": Page.SLA,
}

# registers only some of their page's editors may change (grid saves and imports)
REGISTER_ROLES: dict[str, frozenset[Role]] = {
    "ratecard": frozenset({R.ADMIN, R.MANAGER}),
    "payments": frozenset({R.ADMIN, R.MANAGER}),
}


def can_view(role: str | None, page: Page | str) -> bool:
    return role in VIEW.get(Page(page), ()) if role else False


def can_edit(role: str | None, page: Page | str) -> bool:
    return role in EDIT.get(Page(page), ()) if role else False


# registers whose import rewrites history: these roles only, on top of the page's edit
# right (an agent logs tickets one by one; moving the ticket history in is a manager's)
IMPORT_ROLES: dict[str, frozenset[Role]] = {
    "tickets": frozenset({R.ADMIN, R.MANAGER}),
    # a sheet of report parts may name any ticket: a back-office job; an engineer enters
    # the parts of his own tickets in the service report
    "ticket_parts": frozenset({R.ADMIN, R.MANAGER}),
    "users": frozenset({R.ADMIN}),
    "ratecard": frozenset({R.ADMIN, R.MANAGER}),
    "payments": frozenset({R.ADMIN, R.MANAGER}),
    # maintenance reference data and plans: managers (engineers import their visits)
    "plans": frozenset({R.ADMIN, R.MANAGER}),
    "checklists": frozenset({R.ADMIN, R.MANAGER}),
    "packages": frozenset({R.ADMIN, R.MANAGER}),
}


def can_import(role: str | None, register: str) -> bool:
    page = REGISTER_PAGE.get(register)
    if page is None or not can_edit(role, page):
        return False
    allowed = IMPORT_ROLES.get(register)
    return allowed is None or role in allowed


# ---------------------------------------------------------------- who acts
# the app itself (the escalation job, the command-line import): never a log-in, never a
# page; the data layer lets it do only what the tables below name
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who does a write: the data layer checks ``role`` (and ``id`` for ownership)."""

    id: int | None
    role: str


SYSTEM_ACTOR = Actor(None, SYSTEM)
# the public scan-to-report page (no log-in): it may open a ticket, nothing else
PUBLIC = "public"
PUBLIC_ACTOR = Actor(None, PUBLIC)


class Acting(Protocol):
    """An :class:`Actor` or anything shaped like one (the signed-in user)."""

    @property
    def id(self) -> int | None: ...

    @property
    def role(self) -> str: ...


class TicketAction(StrEnum):
    OPEN = "open"  # intake
    STATUS = "status"
    DISPATCH = "dispatch"
    REASSIGN = "reassign"
    ESCALATE = "escalate"
    REPORT = "report"  # the service report and its parts lines
    EDIT = "edit"  # a row of the tickets register (grid or import)


_DESK = frozenset({R.ADMIN, R.MANAGER, R.AGENT})
# action → roles that may do it to any ticket
TICKET_ANY: dict[TicketAction, frozenset[str]] = {
    TicketAction.OPEN: EDIT[Page.TICKETS] | {PUBLIC},
    TicketAction.STATUS: _DESK,
    TicketAction.DISPATCH: _DESK,
    TicketAction.REASSIGN: _DESK,
    TicketAction.ESCALATE: _DESK | {SYSTEM},
    TicketAction.REPORT: _DESK,
    TicketAction.EDIT: _DESK,
}
# action → roles that may do it to the tickets assigned to them only
TICKET_OWN: dict[TicketAction, frozenset[str]] = {
    TicketAction.STATUS: frozenset({R.ENGINEER}),
    TicketAction.REPORT: frozenset({R.ENGINEER}),
    TicketAction.EDIT: frozenset({R.ENGINEER}),
}
# registers whose rows belong to a ticket: the action a change of them is
TICKET_REGISTERS: dict[str, TicketAction] = {
    "tickets": TicketAction.EDIT,
    "ticket_parts": TicketAction.REPORT,
    # fee lines: an engineer proposes those of his own tickets and visits, checked by the
    # fee hooks (a line's document is a ticket's or a visit's)
}


def may_change_ticket(
    role: str | None, user_id: int | None, ticket_engineer_id: int | None, action: str
) -> bool:
    """``role`` (user ``user_id``) may do ``action`` to a ticket held by ``ticket_engineer_id``."""
    act = TicketAction(action)
    if role in TICKET_ANY[act]:
        return True
    own = user_id is not None and user_id == ticket_engineer_id
    return own and role in TICKET_OWN.get(act, ())


def may_edit_register(role: str | None, register: str) -> bool:
    """Grid saves: the edit right of the register's page (unknown register: nobody)."""
    page = REGISTER_PAGE.get(register)
    allowed = REGISTER_ROLES.get(register)
    return page is not None and can_edit(role, page) and (allowed is None or role in allowed)


def may_import(role: str | None, register: str) -> bool:
    """The import right; the command line imports as the system (whoever runs it holds
    the database already)."""
    return role == SYSTEM or can_import(role, register)


# knowledge base: who proposes a draft article from a solved ticket, who publishes
PROPOSE_ARTICLE = frozenset({R.ADMIN, R.MANAGER, R.QUALITY, R.ENGINEER})


def may_propose_article(role: str | None) -> bool:
    return role in PROPOSE_ARTICLE


def may_publish_article(role: str | None) -> bool:
    return can_edit(role, Page.KNOWLEDGE)


class FeeAction(StrEnum):
    QUOTE = "quote"  # quote a job and record the customer's confirmation
    APPROVE = "approve"  # change fee lines after confirmation
    SETTLE = "settle"  # statements per ticket or month
    PAY = "pay"  # payments, write-offs, bank statements


FEE_ROLES: dict[FeeAction, frozenset[str]] = {
    FeeAction.QUOTE: frozenset({R.ADMIN, R.MANAGER, R.AGENT}),
    FeeAction.APPROVE: frozenset({R.ADMIN, R.MANAGER, SYSTEM}),
    FeeAction.SETTLE: frozenset({R.ADMIN, R.MANAGER}),
    FeeAction.PAY: frozenset({R.ADMIN, R.MANAGER}),
}


def may_fee(role: str | None, action: str) -> bool:
    return role in FEE_ROLES[FeeAction(action)]


def pages_for(role: str | None) -> list[Page]:
    return [p for p in Page if can_view(role, p)]


# log-in throttling
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15

# the first admin's user name: not blank, not a single letter people guess
MIN_USERNAME_LENGTH = 3


def username_too_short(username: str) -> bool:
    return len(username.strip()) < MIN_USERNAME_LENGTH


# password policy (NIST SP 800-63B: length over composition rules)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; a cap keeps a log-in cheap


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    SAME_AS_USERNAME = "same_as_username"
    ONE_CHARACTER = "one_character"


def password_problems(password: str, username: str | None = None) -> list[PasswordProblem]:
    """Every way ``password`` breaks the policy (empty when it may be used)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    if username and password.strip().casefold() == username.strip().casefold():
        problems.append(PasswordProblem.SAME_AS_USERNAME)
    if password and len(set(password)) == 1:
        problems.append(PasswordProblem.ONE_CHARACTER)
    return problems


# ---------------------------------------------------------------- the users register
_ROLE_LABELS = {
    Role.ADMIN: ("系统管理员", "Administrator"),
    Role.MANAGER: ("服务经理", "Service manager"),
    Role.AGENT: ("客服专员", "Customer service agent"),
    Role.ENGINEER: ("现场服务工程师", "Field service engineer"),
    Role.PARTS_KEEPER: ("备件管理员", "Parts keeper"),
    Role.TRAINER: ("培训师", "Trainer"),
    Role.QUALITY: ("质量专员", "Quality officer"),
}
LANG_OPTIONS = (Option("zh", "中文", "Chinese"), Option("en", "英文", "English"))
ROLE_OPTIONS = tuple(Option(r.value, zh, en) for r, (zh, en) in _ROLE_LABELS.items())
# a user is never deleted (tickets, audit and history name them): deactivate instead
USERS = Register(
    name="users",
    zh="用户",
    en="Users",
    key="username",
    deletable=False,
    fields=(
        Field("username", "用户名", "Username", required=True, key=True, max_len=64,
              aliases=("登录名", "账号", "user name", "login"), example="wang.wei"),
        Field("display_name", "姓名", "Name", required=True, max_len=100,
              aliases=("显示名称", "display name"), example="王伟"),
        Field("role", "角色", "Role", Kind.ENUM, required=True, options=ROLE_OPTIONS,
              aliases=("岗位",), example="engineer"),
        Field("region", "区域", "Region", max_len=50, aliases=("负责区域",), example="华东"),
        Field("phone", "电话", "Phone", max_len=40, aliases=("手机", "联系电话", "mobile")),
        Field("email", "电子邮件", "E-mail", max_len=120, aliases=("邮箱", "e-mail", "mail"),
              help_zh="接收通知邮件的地址", help_en="Where notification e-mails go"),
        Field("lang", "通知语言", "Language", Kind.ENUM, options=LANG_OPTIONS,
              aliases=("语言", "language"), help_zh="空：中文", help_en="Empty: Chinese"),
        Field("skills", "技能", "Skills", max_len=200, aliases=("擅长", "专长")),
        Field("engineer_level", "工程师级别", "Engineer level", max_len=20,
              aliases=("级别", "技术等级", "level"), example="senior",
              help_zh="工时费按此级别取价目表（如 junior / standard / senior）；空：standard",
              help_en="Labour is priced at this rate-card level (e.g. junior / standard / "
                      "senior); empty: standard"),
        Field("is_active", "启用", "Active", Kind.BOOL, aliases=("在职", "active")),
        Field("demo_password", "演示密码", "Demo password", Kind.BOOL, computed=True),
        Field("last_login_at", "最近登录", "Last log-in", Kind.DATETIME, computed=True),
    ),
)  # fmt: skip
