"""The app shell: first start, log-in, role navigation, language, log-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.users import count_users
from tests.app.conftest import APP, PASSWORD, ROOT, login, signed_in


def texts(at: AppTest) -> str:
    parts = (
        [m.value for m in at.markdown] + [e.value for e in at.error] + [t.value for t in at.title]
    )
    parts += (
        [w.value for w in at.warning] + [i.value for i in at.info] + [c.value for c in at.caption]
    )
    return "\n".join(str(p) for p in parts)


def test_first_start_asks_for_admin(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "首次启动" in texts(at)
    at.text_input[0].input("boss")
    at.text_input[1].input("Boss Person")
    at.text_input[2].input("short")
    at.text_input[3].input("short")
    at.button[0].click()
    at.run()
    assert "至少 10 个字符" in texts(at)
    engine = db.make_engine(sqlite_url)
    with db.read(engine) as s:
        assert count_users(s) == 0
    at.text_input[2].input("a-long-password")
    at.text_input[3].input("a-long-password")
    at.button[0].click()
    at.run()
    with db.read(engine) as s:
        assert count_users(s) == 1
    assert not at.exception
    login(at, "boss", "a-long-password")
    assert at.session_state["user"].role == "admin"


def test_wrong_password_is_refused(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    login(at, "admin", "wrong")
    assert "用户名或密码错误" in texts(at)
    assert "user" not in at.session_state


def test_account_locks_after_repeated_failures(app_db):
    for _ in range(5):  # a fresh session each time: the lock is kept in the database
        at = AppTest.from_file(APP, default_timeout=30).run()
        login(at, "agent", "nope")
    at = AppTest.from_file(APP, default_timeout=30).run()
    login(at, "agent", PASSWORD)  # right password, but locked
    assert "登录失败次数过多" in texts(at)
    assert "user" not in at.session_state


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        ("admin", {"customers", "settings", "tickets", "fees"}, set()),
        ("engineer", {"tickets", "parts", "customers"}, {"settings", "fees", "complaints"}),
        ("trainer", {"training", "customers"}, {"tickets", "settings"}),
        ("parts_keeper", {"parts"}, {"complaints", "settings", "fees"}),
    ],
)
def test_navigation_shows_role_pages(app_db, username, visible, hidden):
    at = signed_in(username)
    assert not at.exception
    # AppTest keeps what st.navigation registered on the last run
    registered = {Path(info["script_path"]).stem for info in at._registered_pages.values()}
    assert visible <= registered
    assert not hidden & registered


def test_language_switch_changes_labels(app_db):
    at = signed_in("admin", lang="en")
    assert not at.exception
    at.switch_page("pages/customers.py").run()
    assert "Customers & devices" in texts(at)
    at.session_state["lang"] = "zh"
    at.run()
    assert "客户与设备" in texts(at)


def test_page_checks_the_role_itself(app_db):
    """A page run without the menu (e.g. a typed URL) still refuses the wrong role."""
    at = signed_in("engineer")
    engineer = at.session_state["user"]
    page = AppTest.from_file(str(ROOT / "pages/settings.py"), default_timeout=30)
    page.session_state["user"] = engineer
    page.run()
    assert "无权访问" in texts(page)
    assert not page.button  # nothing to act on
    assert not page.exception


def test_page_refuses_without_login(app_db):
    page = AppTest.from_file(str(ROOT / "pages/customers.py"), default_timeout=30).run()
    assert "无权访问" in texts(page)


def test_logout_forgets_the_user(app_db):
    at = signed_in("manager")
    assert at.session_state["user"].username == "manager"
    at.button(key="app.logout").click().run()
    assert "user" not in at.session_state


def test_forms_show_no_english_enter_hint(sqlite_url, monkeypatch):
    # with Enter-to-submit on, Streamlit writes "Press Enter to submit form" under inputs
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    at = AppTest.from_file(APP, default_timeout=30).run()
    seen = [(f.proto.form.form_id, f.proto.form.enter_to_submit) for f in at.get("form")]
    assert seen == [("app.setup", False)]


def test_password_form_shows_no_english_enter_hint_but_enter_logs_in(app_db):
    # log-in keeps Enter (people type the password and press it): the hint is the price
    at = AppTest.from_file(APP, default_timeout=30).run()
    seen = [(f.proto.form.form_id, f.proto.form.enter_to_submit) for f in at.get("form")]
    assert seen == [("app.login", True)]
    login(at, "admin")
    seen = [(f.proto.form.form_id, f.proto.form.enter_to_submit) for f in at.get("form")]
    assert seen == [("app.password", False)]
