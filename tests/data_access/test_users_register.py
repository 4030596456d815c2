"""Users as a register (grid and Excel), on SQLite and PostgreSQL: audited role
changes, no deletes, always one active administrator, imported users without a
password until an admin resets one."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import xlsxwriter
from sqlalchemy import select

from data_access import db
from data_access.errors import Refused
from data_access.models import AuditLog, User
from data_access.registers import list_rows, save_changes
from data_access.users import authenticate, create_user, reset_password
from imports.engine import import_file
from tests.actors import ADMIN

NOW = dt.datetime(2026, 11, 23, 9, 0)
PASSWORD = "correct-horse-1"


@pytest.fixture
def people(db_engine):
    with db.write(db_engine) as s:
        create_user(s, "admin", PASSWORD, "admin", "管理员")
        create_user(s, "wang", PASSWORD, "engineer", "王工", region="华东")
    return db_engine


def rows(engine):
    with db.read(engine) as s:
        return {r["username"]: r for r in list_rows(s, "users", page_size=100, today=NOW.date())[0]}


def save(engine, **changes):
    with db.write(engine) as s:
        kw = {"inserts": [], "updates": [], "deletes": [], **changes}
        return save_changes(s, "users", actor=ADMIN, now=NOW, **kw)


def test_role_change_is_audited(people):
    wang = rows(people)["wang"]
    done = save(people, updates=[{"id": wang["id"], "version": wang["version"], "role": "manager"}])
    assert done.problems == [] and done.updated == 1
    with db.read(people) as s:
        (changes,) = s.scalars(
            select(AuditLog.changes).where(AuditLog.entity == "users", AuditLog.action == "update")
        )
    assert changes == {"role": ["engineer", "manager"]}


def test_users_are_never_deleted(people):
    wang = rows(people)["wang"]
    done = save(people, deletes=[{"id": wang["id"], "version": wang["version"]}])
    assert [p.code for p in done.problems] == ["err.not_deletable"]
    assert "wang" in rows(people)


@pytest.mark.parametrize("change", [{"role": "manager"}, {"is_active": False}])
def test_the_last_active_admin_stays(people, change):
    admin = rows(people)["admin"]
    with pytest.raises(Refused) as info:
        save(people, updates=[{"id": admin["id"], "version": admin["version"], **change}])
    assert info.value.code == "users.err.last_admin"
    assert rows(people)["admin"]["role"] == "admin"


def test_imported_users_cannot_log_in_until_reset(people):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet()
    for r, row in enumerate(
        [["用户名", "姓名", "角色", "区域"], ["li", "李工", "现场服务工程师", "华南"]]
    ):
        ws.write_row(r, 0, row)
    wb.close()
    with db.write(people) as s:
        report = import_file(
            s, "users", buf.getvalue(), file_name="users.xlsx", now=NOW, actor=ADMIN
        )
    assert (report.inserted, report.problems) == (1, [])
    li = rows(people)["li"]
    assert (li["role"], li["is_active"], li["region"]) == ("engineer", True, "华南")
    with db.write(people) as s:
        assert authenticate(s, "li", "", NOW) is None
        assert authenticate(s, "li", "!", NOW) is None
        reset_password(s, li["id"], PASSWORD)
    with db.write(people) as s:
        assert authenticate(s, "li", PASSWORD, NOW).role == "engineer"
        assert s.scalar(select(User.demo_password).where(User.username == "li")) is False
