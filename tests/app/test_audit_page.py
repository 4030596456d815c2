"""Audit page: lists the log, filters it, exports it (recorded), admins only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.models import AuditLog, User
from rules.i18n import t
from tests.app.conftest import APP, CLOCK, ROOT, login, signed_in


def open_audit(lang: str = "en") -> AppTest:
    at = signed_in("admin", lang)
    at.switch_page("pages/audit.py").run()
    assert not at.exception, at.exception
    return at


def shown(at: AppTest) -> list[dict]:
    (table,) = at.dataframe
    return table.value.to_dict("records")


def test_lists_log_ins_and_filters_by_action(app_db):
    # a failed attempt first: its row must be on the page, with the name tried
    login(AppTest.from_file(APP, default_timeout=30).run(), "nobody", "wrong-password")
    signed_in("engineer")
    at = open_audit()
    rows = shown(at)
    actions = {r["action"] for r in rows}
    assert {t("audit.action.login", "en"), t("audit.action.user_create", "en")} <= actions
    failed = t("audit.action.login_failed", "en")
    assert {"entity_key": "nobody", "action": failed} in [
        {k: r[k] for k in ("entity_key", "action")} for r in rows
    ]
    (pick,) = [s for s in at.selectbox if s.label == t("audit.action", "en")]
    pick.set_value("login").run()
    assert not at.exception, at.exception
    rows = shown(at)
    assert {r["action"] for r in rows} == {t("audit.action.login", "en")}
    assert {r["entity_key"] for r in rows} == {"engineer", "admin"}


def test_export_is_offered_and_recorded(app_db):
    at = open_audit()
    (build,) = [b for b in at.button if b.label == t("audit.export", "en")]
    build.click().run()
    assert not at.exception, at.exception
    assert at.get("download_button")
    with db.read(app_db) as s:
        row = s.execute(
            select(AuditLog.username, AuditLog.entity, AuditLog.changes).where(
                AuditLog.action == "export"
            )
        ).one()
    assert row.username == "admin" and row.entity == "audit_log"
    assert row.changes["rows"] >= 1


def test_refuses_non_admins(app_db):
    at = signed_in("manager")
    registered = {Path(info["script_path"]).stem for info in at._registered_pages.values()}
    assert "audit" not in registered and "sla" in registered  # not in the menu
    # nor when run without the menu (a typed URL)
    page = AppTest.from_file(str(ROOT / "pages/audit.py"), default_timeout=30)
    page.session_state["user"] = at.session_state["user"]
    page.run()
    assert not page.exception
    assert [e.value for e in page.error] == [t("page.forbidden", "zh")]
    assert not page.dataframe and not page.button


def test_admin_menu_lists_it(app_db):
    at = signed_in("admin")
    registered = {Path(info["script_path"]).stem for info in at._registered_pages.values()}
    assert "audit" in registered


def test_a_log_in_refused_for_a_locked_account_is_recorded(app_db):
    with db.write(app_db) as s:
        user = s.execute(select(User).where(User.username == "agent")).scalar_one()
        user.locked_until = CLOCK + dt.timedelta(minutes=5)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["clock"] = CLOCK
    login(at.run(), "agent")
    assert "user" not in at.session_state
    with db.read(app_db) as s:
        actions = s.execute(
            select(AuditLog.action).where(
                AuditLog.entity == "login", AuditLog.entity_key == "agent"
            )
        ).scalars()
        assert list(actions) == ["login_locked"]


def test_a_register_export_records_who_what_and_how_many(app_db):
    at = signed_in("engineer")
    at.switch_page("pages/customers.py").run()
    at.button(key="customers.excel.export_build").click().run()
    assert not at.exception, at.exception
    assert at.download_button(key="customers.excel.export_download")
    with db.read(app_db) as s:
        row = s.execute(select(AuditLog).where(AuditLog.action == "export")).scalar_one()
    assert (row.username, row.entity, row.changes) == (
        "engineer",
        "customers",
        {"rows": 0, "filter": None},
    )
    assert row.entity_key == f"customers-{CLOCK:%Y%m%d}.xlsx"
