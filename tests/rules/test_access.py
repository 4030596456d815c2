"""Who may see, change and import what."""

from __future__ import annotations

import pytest

from rules.access import EDIT, VIEW, Page, Role, can_edit, can_import, can_view, pages_for


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
