"""Settings page: the users grid, adding a user, resetting a password."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.users import username_taken
from rules.i18n import t
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


def test_reset_to_a_refused_password_says_why_in_the_page_language(app_db):
    at = open_settings("en")
    (new,) = [w for w in at.text_input if w.label == t("password.new", "en")]
    new.input("Engineer")
    (who,) = [w for w in at.selectbox if w.label == t("settings.pick_user", "en")]
    who.set_value("engineer")
    (submit,) = [b for b in at.button if b.label == t("settings.reset_password", "en")]
    submit.click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The password needs at least 10 characters. The password cannot be the user name."
    ]
    assert not at.success


def test_new_user_with_a_refused_password_is_not_added(app_db):
    at = open_settings()
    add = {w.label: w for w in at.text_input if w.label in ("用户名", "密码")}
    add["用户名"].input("wang01")
    add["密码"].input("WANG01")
    (submit,) = [b for b in at.button if b.label == t("settings.add_user", "zh")]
    submit.click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["密码至少 10 个字符。 密码不能与用户名相同。"]
    with db.read(app_db) as s:
        assert not username_taken(s, "wang01")


def test_users_grid_saves_through_the_register_and_keeps_an_admin(app_db):
    at = open_settings("en")
    grid = at.data_editor(key="settings.users.grid.0")
    users = list(grid.value["username"])
    at.session_state["settings.users.grid.0"] = {
        "edited_rows": {str(users.index("admin")): {"role": "manager"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="settings.users.save").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("users.err.last_admin", "en")]
    at.session_state["settings.users.grid.0"] = {
        "edited_rows": {str(users.index("engineer")): {"region": "华南"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="settings.users.save").click().run()
    assert not at.exception and not at.error
    with db.read(app_db) as s:
        assert (
            s.execute(text("SELECT region FROM users WHERE username='engineer'")).scalar() == "华南"
        )


def test_a_password_reset_on_the_page_names_who_did_it(app_db):
    at = open_settings("en")
    (new,) = [w for w in at.text_input if w.label == t("password.new", "en")]
    new.input("a-long-enough-password")
    (who,) = [w for w in at.selectbox if w.label == t("settings.pick_user", "en")]
    who.set_value("engineer")
    (submit,) = [b for b in at.button if b.label == t("settings.reset_password", "en")]
    submit.click().run()
    assert not at.exception and not at.error
    with db.read(app_db) as s:
        by = s.execute(
            text("SELECT username FROM audit_log WHERE action = 'password_reset' ORDER BY id DESC")
        ).scalar()
    assert by == "admin"
