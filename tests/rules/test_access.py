"""Who may see, change and import what; the password policy."""

from __future__ import annotations

import pytest

from rules.access import (
    EDIT,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    VIEW,
    Page,
    PasswordProblem,
    Role,
    can_edit,
    can_import,
    can_view,
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
