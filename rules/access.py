"""Roles and what each may see and change.

The navigation shows a role only its pages, and every page checks again with
:func:`can_view`, so typing a page's URL does not bypass the menu.
"""

from __future__ import annotations

from enum import StrEnum


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


R = Role
ALL = frozenset(Role)

# page → roles that may open it
VIEW: dict[Page, frozenset[Role]] = {
    Page.DASHBOARD: frozenset({R.ADMIN, R.MANAGER, R.QUALITY, R.AGENT}),
    Page.CUSTOMERS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER, R.QUALITY, R.TRAINER}),
    Page.TICKETS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER, R.QUALITY, R.PARTS_KEEPER}),
    Page.MAINTENANCE: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.ENGINEER}),
    Page.PARTS: frozenset({R.ADMIN, R.MANAGER, R.PARTS_KEEPER, R.ENGINEER}),
    Page.COMPLAINTS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.QUALITY}),
    Page.FOLLOWUPS: frozenset({R.ADMIN, R.MANAGER, R.AGENT, R.QUALITY}),
    Page.TRAINING: frozenset({R.ADMIN, R.MANAGER, R.TRAINER}),
    Page.FEES: frozenset({R.ADMIN, R.MANAGER, R.AGENT}),
    Page.SLA: frozenset({R.ADMIN, R.MANAGER, R.QUALITY}),
    Page.SETTINGS: frozenset({R.ADMIN}),
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
    Page.FEES: frozenset({R.ADMIN, R.MANAGER}),
    Page.SLA: frozenset({R.ADMIN, R.MANAGER}),
    Page.SETTINGS: frozenset({R.ADMIN}),
}

# import register → page whose edit right it needs
REGISTER_PAGE: dict[str, Page] = {
    "customers": Page.CUSTOMERS,
    "devices": Page.CUSTOMERS,
    "tickets": Page.TICKETS,
    "plans": Page.MAINTENANCE,
    "parts": Page.PARTS,
    "complaints": Page.COMPLAINTS,
    "followups": Page.FOLLOWUPS,
    "training": Page.TRAINING,
    "fees": Page.FEES,
}


def can_view(role: str | None, page: Page | str) -> bool:
    return role in VIEW.get(Page(page), ()) if role else False


def can_edit(role: str | None, page: Page | str) -> bool:
    return role in EDIT.get(Page(page), ()) if role else False


# registers whose import rewrites history: these roles only, on top of the page's edit
# right (an agent logs tickets one by one; moving the ticket history in is a manager's)
IMPORT_ROLES: dict[str, frozenset[Role]] = {
    "tickets": frozenset({R.ADMIN, R.MANAGER}),
}


def can_import(role: str | None, register: str) -> bool:
    page = REGISTER_PAGE.get(register)
    if page is None or not can_edit(role, page):
        return False
    allowed = IMPORT_ROLES.get(register)
    return allowed is None or role in allowed


def pages_for(role: str | None) -> list[Page]:
    return [p for p in Page if can_view(role, p)]


# log-in throttling
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15

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
