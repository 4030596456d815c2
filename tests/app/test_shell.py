"""The app shell: first start, log-in, role navigation, language, log-out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.models import User
from data_access.users import count_users
from pages import common
from rules.access import LOCK_MINUTES, Page
from rules.i18n import t
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
    assert "登录失败" in texts(at)
    assert "user" not in at.session_state


REFUSED = "登录失败：用户名或密码错误，或账户已被锁定、停用。"


@pytest.mark.parametrize(
    ("username", "state"),
    [
        ("nobody", {}),
        ("agent", {"is_active": False}),
        ("agent", {"locked_until": dt.datetime(2099, 1, 1)}),
        ("agent", {"password": "wrong-password"}),
    ],
)
def test_log_in_gives_one_answer_for_unknown_locked_and_disabled(app_db, username, state):
    password = state.pop("password", PASSWORD)
    if state:
        _change_user(app_db, "agent", **state)
    at = AppTest.from_file(APP, default_timeout=30).run()
    login(at, username, password)
    assert not at.exception
    assert [e.value for e in at.error] == [t("login.refused", "zh", minutes=LOCK_MINUTES)]
    assert REFUSED in at.error[0].value
    assert "user" not in at.session_state


@pytest.mark.parametrize("username", ["", "ab"])
def test_first_start_refuses_a_blank_or_short_admin_name(sqlite_url, monkeypatch, username):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.text_input[0].input(username)
    at.text_input[2].input("a-long-password")
    at.text_input[3].input("a-long-password")
    at.button[0].click()
    at.run()
    assert "用户名至少 3 个字符" in texts(at)
    with db.read(db.make_engine(sqlite_url)) as s:
        assert count_users(s) == 0


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        ("admin", {"customers", "settings", "tickets", "fees"}, set()),
        # engineers see the complaints about their own tickets and propose fee lines
        ("engineer", {"tickets", "parts", "customers", "complaints", "fees"}, {"settings"}),
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


def _registered(at: AppTest) -> set[str]:
    return {Path(info["script_path"]).stem for info in at._registered_pages.values()}


def _log_in_only(at: AppTest) -> bool:
    pages = at._registered_pages.values()
    return {(info["page_name"], info["script_path"]) for info in pages} == {("登录", "")}


def _change_user(engine, username: str, **values) -> None:
    with db.write(engine) as s:
        user = s.query(User).filter_by(username=username).one()
        for name, value in values.items():
            setattr(user, name, value)


def test_anonymous_visitor_is_shown_the_log_in_page_alone(app_db):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    # the log-in page alone, also under every page's address (a typed URL or F5 keeps
    # its path through the log-in); no module under pages/
    assert _log_in_only(at)
    assert not _registered(at) & {str(p) for p in Page}
    assert [f.proto.form.form_id for f in at.get("form")] == ["app.login"]


@pytest.fixture
def no_user_cache(monkeypatch):
    """Re-read the user on every run (the few seconds' cache would hide the change)."""
    monkeypatch.setattr(common, "USER_TTL_SECONDS", 0, raising=False)


def next_action(at: AppTest) -> AppTest:
    """The same browser session's next run of the app (its session state as it was:
    the user signed in as whatever role they had then)."""
    again = AppTest.from_file(APP, default_timeout=30)
    for key in ("user", "lang", "clock"):
        again.session_state[key] = at.session_state[key]
    if common.EPOCH_KEY in at.session_state:
        again.session_state[common.EPOCH_KEY] = at.session_state[common.EPOCH_KEY]
    return again.run()


def test_demoted_user_loses_the_old_roles_pages_at_once(app_db, no_user_cache):
    at = signed_in("manager")
    assert {"fees", "sla", "dashboard"} <= _registered(at)
    _change_user(app_db, "manager", role="engineer")
    at = next_action(at)
    assert not at.exception
    assert at.session_state["user"].role == "engineer"
    assert {"tickets", "dashboard"} <= _registered(at)  # the dashboard: his own figures now
    assert "sla" not in _registered(at)


def test_demoted_admin_loses_the_settings_buttons_at_once(app_db, no_user_cache):
    at = signed_in("admin")
    at.switch_page("pages/settings.py").run()
    assert [b for b in at.button if str(b.key or "").startswith("settings.")]
    _change_user(app_db, "admin", role="agent")
    _change_user(app_db, "manager", role="admin")  # the installation keeps an admin
    at.run()  # the page's own check reads the role again
    assert not at.exception
    assert "无权访问" in texts(at)
    assert not [b for b in at.button if str(b.key or "").startswith("settings.")]


def test_deactivated_users_session_ends_at_its_next_action(app_db, no_user_cache):
    at = signed_in("agent")
    assert at.session_state["user"].username == "agent"
    _change_user(app_db, "agent", is_active=False)
    at = next_action(at)
    assert not at.exception
    assert "user" not in at.session_state
    assert _log_in_only(at)
    assert [f.proto.form.form_id for f in at.get("form")] == ["app.login"]


def test_users_are_cached_only_briefly(app_db):
    at = signed_in("agent")
    _change_user(app_db, "agent", role="engineer")
    assert next_action(at).session_state["user"].role == "agent"  # within the seconds
    common.forget_user(at.session_state["user"].id)
    assert next_action(at).session_state["user"].role == "engineer"


def _warning_texts(at: AppTest) -> str:
    return "\n".join(str(w.value) for w in at.sidebar.warning)


def test_demo_accounts_are_never_shown_to_a_visitor(app_db):
    _change_user(app_db, "agent", demo_password=True)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    shown = texts(at)
    assert "demo" not in shown.lower() and "演示" not in shown
    assert "demo123" not in shown


def test_demo_warning_after_log_in_to_admins_while_demo_passwords_are_in_use(app_db):
    warning = t("login.demo_warning", "zh")
    assert warning not in _warning_texts(signed_in("admin"))  # none in use yet
    _change_user(app_db, "agent", demo_password=True)
    assert warning in _warning_texts(signed_in("admin"))
    assert warning not in _warning_texts(signed_in("manager"))
    assert warning in _warning_texts(signed_in("agent"))  # their own demo password


def test_a_reactivated_user_stays_signed_in(app_db):
    at = signed_in("agent")
    _change_user(app_db, "agent", is_active=False)
    common.forget_user(at.session_state["user"].id)
    assert "user" not in next_action(at).session_state  # disabled: out, and cached so
    _change_user(app_db, "agent", is_active=True)
    at = signed_in("agent")  # within the cache's seconds
    assert next_action(at).session_state["user"].username == "agent"


def test_every_session_ends_after_a_restore(app_db, no_user_cache, tmp_path):
    """A restore may give the signed-in user's id to someone else: the session ends."""
    from data_access import backup

    at = signed_in("agent")
    done = backup.create_backup(app_db, tmp_path, role="admin")
    at = next_action(at)
    assert at.session_state["user"].username == "agent"  # nothing restored yet
    backup.restore_backup(app_db, done.path, role="admin", force=True)
    at = next_action(at)
    assert not at.exception
    assert "user" not in at.session_state
    assert [f.proto.form.form_id for f in at.get("form")] == ["app.login"]


def test_a_session_whose_id_now_names_another_user_ends(app_db, no_user_cache):
    at = signed_in("agent")
    with db.write(app_db) as s:
        s.query(User).filter_by(username="agent").one().username = "someone_else"
    at = next_action(at)
    assert "user" not in at.session_state
