"""The audit log: append-only in the database, and one row per audited event — on
both databases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from data_access import audit, db
from data_access import sla_settings as S
from data_access import tickets as T
from data_access.models import AuditLog
from data_access.users import (
    LoginInactive,
    LoginLocked,
    authenticate,
    change_password,
    create_user,
    record_refused_login,
    reset_admin,
    reset_password,
)
from imports.writer import export_audit
from rules.access import LOCK_MINUTES, MAX_FAILED_LOGINS

NOW = dt.datetime(2026, 11, 23, 9, 0)
PASSWORD = "a-good-password"


def rows(engine, **where) -> list[dict]:
    """Audit rows (oldest first) as plain dicts, filtered by column values."""
    stmt = select(
        AuditLog.user_id,
        AuditLog.username,
        AuditLog.entity,
        AuditLog.entity_key,
        AuditLog.action,
        AuditLog.changes,
    ).order_by(AuditLog.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditLog, name) == value)
    with db.read(engine) as s:
        return [dict(r._mapping) for r in s.execute(stmt)]


@pytest.fixture
def people(db_engine):
    with db.write(db_engine) as s:
        admin = create_user(s, "boss", PASSWORD, "admin", now=NOW).id
        li = create_user(s, "li.wei", PASSWORD, "engineer", region="华南", by=admin, now=NOW).id
    return db_engine, {"boss": admin, "li.wei": li}


# ---------------------------------------------------------------- append-only
def test_insert_works_update_and_delete_are_refused(people):
    engine, _ = people
    table = AuditLog.__table__
    with db.write(engine) as s:
        audit.record(s, entity="test", action="note", key="k", now=NOW)
    before = rows(engine)
    for stmt in (update(table).values(action="edited"), delete(table)):
        with pytest.raises(DBAPIError, match="append-only"), db.write(engine) as s:
            s.execute(stmt)
    assert rows(engine) == before
    with db.write(engine) as s:  # a plain INSERT, as a restore or the demo loader writes
        s.execute(insert(table).values(at=NOW, created_at=NOW, entity="test", action="x"))
    assert len(rows(engine)) == len(before) + 1


def test_raw_sql_is_refused_too(people):
    engine, _ = people
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET username = 'someone else'"))


def test_cleared_lets_a_whole_wipe_through_and_keeps_the_guard(people):
    engine, _ = people
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE audit_log"))  # fires no row trigger
        else:
            with audit.cleared(conn):
                conn.execute(delete(AuditLog.__table__))
    assert rows(engine) == []
    with db.write(engine) as s:
        audit.record(s, entity="test", action="note", now=NOW)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(delete(AuditLog.__table__))


# ---------------------------------------------------------------- users and log-ins
def test_creating_a_user_names_who_did_it(people):
    engine, ids = people
    created = rows(engine, action="user_create")
    assert created == [
        {
            "user_id": None,
            "username": None,
            "entity": "users",
            "entity_key": "boss",
            "action": "user_create",
            "changes": {"role": "admin", "region": None, "display_name": "boss"},
        },
        {
            "user_id": ids["boss"],
            "username": "boss",
            "entity": "users",
            "entity_key": "li.wei",
            "action": "user_create",
            "changes": {"role": "engineer", "region": "华南", "display_name": "li.wei"},
        },
    ]
    assert all(PASSWORD not in str(r) for r in rows(engine))


def test_log_in_success_and_failures_record_the_name_tried(people):
    engine, ids = people
    with db.write(engine) as s:
        assert authenticate(s, " li.wei ", PASSWORD, NOW) is not None
        assert authenticate(s, "li.wei", "wrong", NOW) is None
        assert authenticate(s, "nobody", PASSWORD, NOW) is None
    logins = rows(engine, entity="login")
    assert logins == [
        {
            "user_id": ids["li.wei"],
            "username": "li.wei",
            "entity": "login",
            "entity_key": "li.wei",
            "action": "login",
            "changes": None,
        },
        {
            "user_id": None,
            "username": None,
            "entity": "login",
            "entity_key": "li.wei",
            "action": "login_failed",
            "changes": None,
        },
        {
            "user_id": None,
            "username": None,
            "entity": "login",
            "entity_key": "nobody",
            "action": "login_failed",
            "changes": None,
        },
    ]


def test_the_failure_that_locks_says_so_and_a_refused_log_in_is_recorded(people):
    engine, _ = people
    with db.write(engine) as s:
        for _ in range(MAX_FAILED_LOGINS):
            authenticate(s, "li.wei", "wrong", NOW)
    last = rows(engine, action="login_failed")[-1]
    assert last["entity_key"] == "li.wei" and "locked_until" in last["changes"]
    refused = None
    try:
        with db.write(engine) as s:
            authenticate(s, "li.wei", PASSWORD, NOW)
    except LoginLocked as exc:  # raises: its transaction rolls back, the caller records
        refused = exc
    assert refused is not None
    with db.write(engine) as s:
        record_refused_login(s, "li.wei", refused, NOW)
        record_refused_login(s, "li.wei", LoginInactive(), NOW)
    assert [r["action"] for r in rows(engine, entity="login")][-2:] == [
        "login_locked",
        "login_inactive",
    ]
    later = NOW + dt.timedelta(minutes=LOCK_MINUTES + 1)
    with db.write(engine) as s:  # the lock has run out: a plain failure again
        assert authenticate(s, "li.wei", "wrong", later) is None
    assert rows(engine, action="login_failed")[-1]["changes"] is None


def test_password_change_and_reset(people):
    engine, ids = people
    with db.write(engine) as s:
        assert not change_password(s, ids["li.wei"], "wrong", "another-password-1", NOW)
        assert change_password(s, ids["li.wei"], PASSWORD, "another-password-1", NOW)
        reset_password(s, ids["li.wei"], "yet-another-pass-2", by=ids["boss"], now=NOW)
    got = [
        (r["action"], r["entity_key"], r["username"])
        for r in rows(engine, entity="users")
        if r["action"].startswith("password")
    ]
    assert got == [("password_change", "li.wei", "li.wei"), ("password_reset", "li.wei", "boss")]


def test_reset_admin_is_recorded(people):
    engine, _ = people
    with db.write(engine) as s:
        reset_admin(s, "li.wei")
    [row] = rows(engine, action="admin_reset")
    assert (row["entity_key"], row["user_id"], row["changes"]) == (
        "li.wei",
        None,
        {"created": False},
    )


# ---------------------------------------------------------------- settings and SLA
def test_follow_up_delay_records_before_and_after(people):
    engine, ids = people
    with db.write(engine) as s:
        T.set_followup_delay_days(s, 5, NOW, by=ids["boss"])
        T.set_followup_delay_days(s, 5, NOW, by=ids["boss"])  # no change: no row
        T.set_followup_delay_days(s, 9, NOW, by=ids["boss"])
    assert rows(engine, entity="settings") == [
        {
            "user_id": ids["boss"],
            "username": "boss",
            "entity": "settings",
            "entity_key": T.FOLLOWUP_DELAY_KEY,
            "action": "setting",
            "changes": {"value": [before, after]},
        }
        for before, after in ((None, 5), (5, 9))
    ]


def test_sla_policy_save_records_what_changed(people):
    engine, ids = people
    with db.read(engine) as s:
        seen = S.policy_table(s)
    edited = [
        {**{k: r[k] for k in r if k not in ("id", "version")}, "seen_index": i, "row": i + 1}
        for i, r in enumerate(seen)
    ]
    first = edited[0]
    old = first["respond_hours"]
    first["respond_hours"] = 1.5
    with db.write(engine) as s:
        S.save_policy_table(s, seen, edited, NOW, by=ids["boss"])
    [row] = rows(engine, entity="sla_policies")
    assert row["username"] == "boss" and row["action"] == "setting"
    key = f"{first['priority']}/*"
    assert list(row["changes"]) == [key]
    before, after = row["changes"][key]
    assert float(before[0]) == float(old) and after[0] == "1.50" and before[1:] == after[1:]


def test_calendar_and_ladder_saves_record_before_and_after(people):
    engine, ids = people
    boss = ids["boss"]
    with db.read(engine) as s:
        cal = S.calendar_state(s)
        ladder = T.load_levels(s)
    with db.write(engine) as s:
        S.save_weekly(s, {0: "9:00-12:00"}, cal["version"], NOW, by=boss)
        S.add_calendar_days(s, [(dt.date(2026, 12, 25), "holiday", "Xmas")], NOW, by=boss)
        S.remove_calendar_days(s, [dt.date(2026, 12, 25)], NOW, by=boss)
        top = [
            {"level": lv.level, "name_zh": lv.zh, "name_en": lv.en, "hours": lv.hours}
            for lv in ladder
        ]
        top[0]["hours"] = (top[0]["hours"] or 0) + 1
        S.save_ladder(s, ladder, top, by=boss, now=NOW)
    calendar = rows(engine, entity="sla_calendar")
    assert [r["username"] for r in calendar] == ["boss"] * 3
    weekly, added, removed = (r["changes"] for r in calendar)
    assert weekly["wd0"][1] == "09:00-12:00" and weekly["wd1"][1] is None
    assert added == {"2026-12-25": [None, ["holiday", "Xmas"]]}
    assert removed == {"2026-12-25": [["holiday", "Xmas"], None]}
    [lad] = rows(engine, entity="sla_escalation")
    level = str(ladder[0].level)
    assert lad["changes"][level][0][2] == ladder[0].hours
    assert lad["changes"][level][1][2] == (ladder[0].hours or 0) + 1


# ---------------------------------------------------------------- the page's queries
def test_search_filters_and_export(people):
    engine, ids = people
    with db.write(engine) as s:
        authenticate(s, "li.wei", "wrong", NOW)
        authenticate(s, "=HYPERLINK(1)", "wrong", NOW + dt.timedelta(days=2))
    with db.read(engine) as s:
        everything = audit.search(s, audit.AuditFilter())
        failed = audit.search(s, audit.AuditFilter(action="login_failed"))
        by_key = audit.search(s, audit.AuditFilter(key_text="LI."))
        by_user = audit.search(s, audit.AuditFilter(username="boss"))
        later = audit.search(s, audit.AuditFilter(start=(NOW + dt.timedelta(days=1)).date()))
        day = audit.search(s, audit.AuditFilter(start=NOW.date(), end=NOW.date()))
        options = audit.choices(s)
        data, n = export_audit(s, audit.AuditFilter(action="login_failed"), lang="en")
    assert len(everything) == 4 and everything[0]["entity_key"] == "=HYPERLINK(1)"
    assert [r["entity_key"] for r in failed] == ["=HYPERLINK(1)", "li.wei"]
    assert {r["entity_key"] for r in by_key} == {"li.wei"}
    assert [r["entity_key"] for r in by_user] == ["li.wei"]  # boss created li.wei
    assert [r["entity_key"] for r in later] == ["=HYPERLINK(1)"]
    assert len(day) == 3
    assert options["action"] == ["login_failed", "user_create"]
    assert options["username"] == ["boss"]
    assert n == 2
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][:6] == ["No.", "Time", "User", "Entity", "Key", "Action"]
    assert values[1][4] == "'=HYPERLINK(1)"  # a spreadsheet must not evaluate it
    with db.read(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 4


@dataclasses.dataclass(frozen=True)
class PageFilter:
    statuses: frozenset[str]
    since: dt.date | None
    text: str | None = None


def test_an_export_records_register_rows_and_filter(people):
    engine, ids = people
    picked = PageFilter(frozenset({"open", "closed"}), dt.date(2026, 11, 1))
    with db.write(engine) as s:
        audit.record_export(
            s, register="customers", rows=12, selection=picked, user_id=ids["li.wei"], now=NOW
        )
    [row] = rows(engine, action="export")
    assert row == {
        "user_id": ids["li.wei"],
        "username": "li.wei",
        "entity": "customers",
        "entity_key": None,
        "action": "export",
        "changes": {
            "rows": 12,
            "filter": {"statuses": ["closed", "open"], "since": "2026-11-01"},
        },
    }
