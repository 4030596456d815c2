"""Settings page: the users grid, adding a user, resetting a password."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.app.conftest import signed_in


def open_settings(lang: str = "zh") -> AppTest:
    at = signed_in("admin", lang)
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    return at


def test_users_grid_shows_empty_cells_not_none(app_db):
    at = open_settings()
    grid = at.data_editor(key="settings.users.grid.0")
    users = grid.value.set_index("username")
    # never logged in: the cell really is empty
    assert pd.isna(users.loc["engineer", "last_login_at"])
    assert grid.proto.HasField("placeholder") and grid.proto.placeholder == ""


def test_forms_show_no_english_enter_hint(app_db):
    at = open_settings()
    forms = at.get("form")
    assert {f.proto.form.form_id for f in forms} >= {"settings.add_user", "settings.reset"}
    # with Enter-to-submit on, Streamlit writes "Press Enter to submit form" under inputs
    assert not any(f.proto.form.enter_to_submit for f in forms)
