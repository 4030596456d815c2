"""Who may see, change and import what; the password policy."""

from __future__ import annotations

import pytest

from rules.access import (
    EDIT,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    SYSTEM,
    TICKET_ANY,
    VIEW,
    Page,
    PasswordProblem,
    Role,
    TicketAction,
    can_edit,
    can_import,
    can_view,
    may_change_ticket,
    may_import,
    pages_for,
    password_problems,
)


def test_edit_rights_are_a_subset_of_view_rights():
    for page in Page:
        assert EDIT[page] <= VIEW[page], page


@pytest.mark.parametrize(
    ("role", "register", "allowed"),
    [
        (Role.AGENT, "customers", True),
        (Role.ENGINEER, "customers", False),
        (Role.MANAGER, "tickets", True),
        (Role.ADMIN, "tickets", True),
        # may work tickets but not rewrite the ticket history
        (Role.AGENT, "tickets", False),
        (Role.ENGINEER, "tickets", False),
        (Role.QUALITY, "tickets", False),
        (Role.MANAGER, "no-such-register", False),
        (None, "customers", False),
    ],
)
def test_import_rights(role, register, allowed):
    assert can_import(role, register) is allowed


def test_sla_settings_are_seen_by_quality_and_changed_by_managers():
    assert can_view(Role.QUALITY, Page.SLA) and not can_edit(Role.QUALITY, Page.SLA)
    assert can_edit(Role.MANAGER, Page.SLA) and not can_view(Role.AGENT, Page.SLA)
    assert Page.SETTINGS in pages_for(Role.ADMIN) and Page.SETTINGS not in pages_for(Role.MANAGER)


@pytest.mark.parametrize(
    ("password", "username", "expected"),
    [
        ("correct-horse-1", "li", []),
        ("长城长城长城长城长城", "li", []),  # ten characters, not ten bytes
        ("123456789", "li", [PasswordProblem.TOO_SHORT]),
        ("", "li", [PasswordProblem.TOO_SHORT]),
        (
            "x" * (MAX_PASSWORD_LENGTH + 1),
            None,
            [PasswordProblem.TOO_LONG, PasswordProblem.ONE_CHARACTER],
        ),
        ("Engineer01", "engineer01", [PasswordProblem.SAME_AS_USERNAME]),
        (" engineer01 ", "engineer01", [PasswordProblem.SAME_AS_USERNAME]),
        ("engineer01!", "engineer01", []),
        ("aaaaaaaaaaaa", "li", [PasswordProblem.ONE_CHARACTER]),
        ("admin", "admin", [PasswordProblem.TOO_SHORT, PasswordProblem.SAME_AS_USERNAME]),
    ],
)
def test_password_policy(password, username, expected):
    assert password_problems(password, username) == expected
    assert len(password) >= MIN_PASSWORD_LENGTH or expected


# ---------------------------------------------------------------- ticket actions
OWN, OTHER = 7, 8  # the acting user's id; another engineer's


@pytest.mark.parametrize(
    ("role", "holder", "action", "allowed"),
    [
        (Role.AGENT, OTHER, TicketAction.REASSIGN, True),
        (Role.MANAGER, None, TicketAction.ESCALATE, True),
        (Role.ENGINEER, OWN, TicketAction.STATUS, True),
        (Role.ENGINEER, OWN, TicketAction.REPORT, True),
        (Role.ENGINEER, OTHER, TicketAction.STATUS, False),
        (Role.ENGINEER, None, TicketAction.REPORT, False),
        (Role.ENGINEER, OWN, TicketAction.REASSIGN, False),
        (Role.ENGINEER, OWN, TicketAction.ESCALATE, False),
        (Role.PARTS_KEEPER, OWN, TicketAction.REASSIGN, False),
        (Role.QUALITY, None, TicketAction.STATUS, False),
        (SYSTEM, None, TicketAction.ESCALATE, True),
        (SYSTEM, None, TicketAction.REASSIGN, False),
        (None, None, TicketAction.OPEN, False),
    ],
)
def test_may_change_ticket(role, holder, action, allowed):
    assert may_change_ticket(role, OWN, holder, action) is allowed


def test_every_ticket_action_has_a_rule():
    assert set(TICKET_ANY) == set(TicketAction)


def test_the_system_imports_but_edits_no_page():
    assert may_import(SYSTEM, "tickets") and not can_edit(SYSTEM, Page.CUSTOMERS)
    assert may_import(Role.MANAGER, "tickets") and not may_import(Role.AGENT, "tickets")
