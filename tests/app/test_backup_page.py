"""Settings → backup & restore: back up now, verify, schedule, restore with a typed word."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from streamlit.testing.v1 import AppTest

from data_access import backup, db
from data_access.models import AuditLog, Customer
from pages.backup import CONFIRM_WORD
from pages.common import USER_KEY
from rules.i18n import t
from tests.app.conftest import CLOCK, signed_in
from tests.data_access.test_backup import flip


@pytest.fixture
def folder(app_db, tmp_path):
    """The schedule's folder points into the test's directory (never the repo's data/)."""
    path = tmp_path / "backups"
    plan = backup.Schedule(enabled=False, folder=str(path), every_hours=24, keep=7)
    with db.write(app_db) as s:
        backup.save_schedule(s, plan, role="admin", now=CLOCK)
    return path


def open_tab(lang: str = "en") -> AppTest:
    at = signed_in("admin", lang)
    at.switch_page("pages/settings.py").run()
    assert not at.exception, at.exception
    return at


def customers(engine) -> int:
    with db.read(engine) as s:
        return s.scalar(select(func.count(Customer.id)))


def add_customer(engine, code: str) -> None:
    with db.write(engine) as s:
        s.execute(
            text(
                "INSERT INTO customers (code, name, grade, version, created_at, updated_at) "
                "VALUES (:c, '测试客户', 'B', 1, :at, :at)"
            ),
            {"c": code, "at": CLOCK},
        )


def test_tab_is_there_in_both_languages(app_db, folder):
    for lang in ("zh", "en"):
        at = open_tab(lang)
        assert t("settings.tab.backup", lang) in [tab.label for tab in at.tabs]
        # the backup tab's one message (the notifications tab has its own)
        assert t("backup.none", lang) in [i.value for i in at.info]


def test_back_up_now_then_verify(app_db, folder):
    add_customer(app_db, "000777")
    at = open_tab()
    at.button(key="backup.create").click().run()
    assert not at.exception and not at.error
    (made,) = backup.list_backups(folder)
    assert made.path.name == "aftersales-20261123-100000.zip"
    assert at.success[0].value.startswith("Backup written: aftersales-20261123-100000.zip")
    at.button(key="backup.verify").click().run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("Verified: aftersales-20261123-100000.zip")
    with db.read(app_db) as s:
        audits = s.execute(select(AuditLog.entity, AuditLog.action, AuditLog.username)).all()
    assert ("backup", "backup", "admin") in audits


def test_schedule_is_saved(app_db, folder):
    at = open_tab()
    (enabled,) = [c for c in at.checkbox if c.label == t("backup.schedule.enabled", "en")]
    enabled.check()
    (keep,) = [n for n in at.number_input if n.label == t("backup.schedule.keep", "en")]
    keep.set_value(3)
    (save,) = [b for b in at.button if b.label == t("backup.schedule.save", "en")]
    save.click().run()
    assert not at.exception and not at.error
    with db.read(app_db) as s:
        plan = backup.get_schedule(s)
    assert (plan.enabled, plan.keep, plan.folder) == (True, 3, str(folder))


def restore(at: AppTest, word: str) -> AppTest:
    (typed,) = [
        w for w in at.text_input if w.label == t("backup.restore.confirm", "en", word=CONFIRM_WORD)
    ]
    typed.input(word)
    (go,) = [b for b in at.button if b.label == t("backup.restore.button", "en")]
    return go.click().run()


def test_restore_needs_the_typed_word_and_replaces_the_data(app_db, folder):
    add_customer(app_db, "000777")
    made = backup.create_backup(app_db, folder, role="admin", now=CLOCK)
    add_customer(app_db, "000888")
    at = open_tab()
    restore(at, "restore please")
    assert not at.exception
    assert [e.value for e in at.error] == [t("backup.restore.unconfirmed", "en", word=CONFIRM_WORD)]
    assert customers(app_db) == 2
    restore(at, CONFIRM_WORD)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert customers(app_db) == 1
    assert USER_KEY not in at.session_state  # sign in again
    # the data before the restore was backed up first
    names = [b.path.name for b in backup.list_backups(folder)]
    assert made.path.name in names and len(names) == 2
    assert "Please sign in again" in at.success[0].value


def test_a_damaged_backup_is_refused_in_words(app_db, folder):
    made = backup.create_backup(app_db, folder, role="admin", now=CLOCK)
    flip(made.path, "tables/users.jsonl")
    before = customers(app_db)
    at = open_tab()
    restore(at, CONFIRM_WORD)
    assert not at.exception
    assert at.error and at.error[0].value.startswith("The backup file is damaged")
    assert customers(app_db) == before
    assert len(backup.list_backups(folder)) == 1  # nothing written, not even a backup
