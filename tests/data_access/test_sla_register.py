"""The SLA policy table on the one write path: the SLA page's save, a grid save of the
``sla_policies`` register, its Excel import and the import's undo store the same table,
recompute the same open deadlines and leave a finished ticket's deadlines alone."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from data_access import db
from data_access import sla_settings as S
from data_access import tickets as T
from data_access.errors import NotAllowed, Refused
from data_access.models import Customer, SlaPolicy, Ticket
from data_access.registers import save_changes
from data_access.ticket_queries import ticket_detail
from imports.engine import import_file, undo_last_import
from imports.writer import export_bytes
from rules.access import Actor, Role
from rules.sla import DEFAULT_CALENDAR, add_business_time
from rules.sla_settings import POLICY_COLUMNS
from tests.actors import ADMIN

MON = dt.datetime(2026, 11, 16, 9, 0)  # a Monday; default calendar Mon–Sat 08:30–18:00
NOW = dt.datetime(2026, 11, 16, 10, 0)
LATER = dt.datetime(2026, 11, 16, 11, 0)
H = 3600


@pytest.fixture
def world(db_engine):
    """A grade-A customer with an open and a closed standard ticket, a grade-B customer
    with an open one; the default policies stored (as the page's first save does)."""
    with db.write(db_engine) as s:
        a = Customer(code="C1", name="华东精密", grade="A", region="华东")
        b = Customer(code="C2", name="南方电子", grade="B", region="华南")
        s.add_all([a, b])
        s.flush()
        ids = {}
        for name, cust in (("a", a), ("b", b), ("done", a)):
            ids[name] = T.create_ticket(
                s,
                customer_id=cust.id,
                channel="phone",
                priority="standard",
                fault_description="x",
                received_at=MON,
                actor=ADMIN,
                now=MON,
            ).id
        T.change_status(s, ids["done"], "cancelled", actor=ADMIN, now=MON, expected_version=None)
    with db.write(db_engine) as s:
        seen = S.policy_table(s)
        rows = [{**r, "seen_index": i, "row": i + 1} for i, r in enumerate(seen)]
        S.save_policy_table(s, seen, rows, MON)
    return db_engine, ids


def stored(engine) -> list[tuple]:
    with db.read(engine) as s:
        return sorted(
            (p.priority, p.customer_grade, float(p.respond_hours), float(p.resolve_hours),
             p.round_the_clock)
            for p in s.scalars(select(SlaPolicy))
        )  # fmt: skip


def deadlines(engine, ids) -> dict[str, tuple]:
    with db.read(engine) as s:
        return {
            k: (t.respond_due, t.resolve_due)
            for k, t in ((k, s.get(Ticket, i)) for k, i in ids.items())
        }


def page_save(engine, change: dict, added: list[dict]) -> int:
    """The SLA page: the standard row changed as ``change``, ``added`` rows appended."""
    with db.write(engine) as s:
        seen = S.policy_table(s)
        rows = []
        for i, r in enumerate(seen):
            row = {c: r[c] for c in POLICY_COLUMNS}
            if r["priority"] == "standard" and r["customer_grade"] == "*":
                row |= change
            rows.append({**row, "seen_index": i, "row": i + 1})
        rows += [{**a, "seen_index": None, "row": len(seen) + j + 1} for j, a in enumerate(added)]
        return S.save_policy_table(s, seen, rows, NOW)


def grid_save(engine, change: dict, added: list[dict], actor=ADMIN) -> None:
    """The register's own grid save (what a register grid or the lines grid does)."""
    with db.write(engine) as s:
        std = s.scalars(
            select(SlaPolicy).where(
                SlaPolicy.priority == "standard", SlaPolicy.customer_grade == "*"
            )
        ).one()
        result = save_changes(
            s,
            "sla_policies",
            inserts=added,
            updates=[{"id": std.id, "version": std.version, **change}],
            deletes=[],
            actor=actor,
            now=NOW,
        )
        assert result.problems == []


def sheet(engine, change: dict, added: list[dict]) -> bytes:
    """The register exported, the standard row edited in Excel and rows added."""
    with db.read(engine) as s:
        data = export_bytes(s, "sla_policies", lang="zh", today=NOW.date())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    head = [c.value for c in ws[1]]
    col = {name: head.index(label) for name, label in LABELS.items()}
    for r in ws.iter_rows(min_row=2):
        if r[col["priority"]].value == "标准" and r[col["customer_grade"]].value == "全部等级":
            for name, value in change.items():
                r[col[name]].value = value
    for a in added:
        line = [None] * len(head)
        for name, value in a.items():
            line[col[name]] = value
        ws.append(line)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


LABELS = {
    "priority": "优先级",
    "customer_grade": "客户等级",
    "respond_hours": "响应时限（工作小时）",
    "resolve_hours": "解决时限（工作小时）",
    "onsite_hours": "到场时限（工作小时）",
    "round_the_clock": "全天候 24×7",
}
CHANGE = {"resolve_hours": 19}
GRADE_A = {"priority": "standard", "customer_grade": "A", "respond_hours": 2, "resolve_hours": 8}


def test_page_grid_and_import_store_the_same_and_move_the_same_deadlines(world, tmp_path):
    engine, ids = world
    start = (stored(engine), deadlines(engine, ids))
    # the SLA page
    assert page_save(engine, CHANGE, [GRADE_A]) == 2  # the two open tickets
    expected = (stored(engine), deadlines(engine, ids))
    assert expected[1]["a"][1] == add_business_time(DEFAULT_CALENDAR, MON, 8 * H)
    assert expected[1]["b"][1] == add_business_time(DEFAULT_CALENDAR, MON, 19 * H)
    assert expected[1]["done"] == start[1]["done"]  # finished: history
    page_save(engine, {"resolve_hours": 28.5}, [])  # back, and the grade row removed
    with db.write(engine) as s:
        seen = S.policy_table(s)
        rows = [
            {**{c: r[c] for c in POLICY_COLUMNS}, "seen_index": i, "row": i + 1}
            for i, r in enumerate(seen)
            if r["customer_grade"] == "*"
        ]
        S.save_policy_table(s, seen, rows, NOW)
    assert (stored(engine), deadlines(engine, ids)) == start
    # the register's grid save
    grid_save(engine, CHANGE, [GRADE_A])
    assert (stored(engine), deadlines(engine, ids)) == expected
    # undo by grid, then the import of the same edit, and its undo
    with db.write(engine) as s:
        rows = {(p.priority, p.customer_grade): p for p in s.scalars(select(SlaPolicy))}
        std, a = rows[("standard", "*")], rows[("standard", "A")]
        save_changes(
            s,
            "sla_policies",
            inserts=[],
            updates=[{"id": std.id, "version": std.version, "resolve_hours": 28.5}],
            deletes=[{"id": a.id, "version": a.version}],
            actor=ADMIN,
            now=NOW,
        )
    assert (stored(engine), deadlines(engine, ids)) == start
    data = sheet(engine, CHANGE, [{**GRADE_A, "priority": "标准", "customer_grade": "A 重点客户"}])
    with db.write(engine) as s:
        report = import_file(s, "sla_policies", data, file_name="p.xlsx", now=NOW, actor=ADMIN)
    assert report.problems == [] and (report.inserted, report.updated) == (1, 1)
    assert (stored(engine), deadlines(engine, ids)) == expected
    with db.write(engine) as s:
        undone = undo_last_import(s, "sla_policies", ADMIN, now=LATER)
    assert undone is not None
    assert (stored(engine), deadlines(engine, ids)) == start


def test_round_the_clock_by_import_and_a_blank_flag_is_off(world):
    engine, ids = world
    data = sheet(engine, {"round_the_clock": "是"}, [])
    with db.write(engine) as s:
        report = import_file(s, "sla_policies", data, file_name="p.xlsx", now=NOW, actor=ADMIN)
    assert report.problems == []
    assert deadlines(engine, ids)["a"][1] == MON + dt.timedelta(hours=28.5)
    data = sheet(engine, {"round_the_clock": None}, [])
    with db.write(engine) as s:
        import_file(s, "sla_policies", data, file_name="p.xlsx", now=NOW, actor=ADMIN)
    assert not any(p[4] for p in stored(engine))
    assert deadlines(engine, ids)["a"][1] == add_business_time(DEFAULT_CALENDAR, MON, 28.5 * H)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"resolve_hours": "abc"}, ("resolve_hours", "err.number")),
        ({"respond_hours": 0}, ("respond_hours", "sla.err.positive")),
        ({"resolve_hours": -3}, ("resolve_hours", "sla.err.positive")),
        ({"respond_hours": 100}, ("respond_hours", "sla.err.respond_after_resolve")),
    ],
)
def test_import_problems_name_the_column(world, change, problem):
    engine, _ = world
    before = stored(engine)
    data = sheet(engine, change, [])
    with db.write(engine) as s:
        report = import_file(s, "sla_policies", data, file_name="p.xlsx", now=NOW, actor=ADMIN)
    assert [(p.field, p.code) for p in report.problems] == [problem]
    assert stored(engine) == before


def test_a_priority_left_without_its_all_grades_row_is_refused(world):
    engine, _ = world
    with db.write(engine) as s:
        low = s.scalars(
            select(SlaPolicy).where(SlaPolicy.priority == "low", SlaPolicy.customer_grade == "*")
        ).one()
        key = (low.id, low.version)
    with pytest.raises(Refused) as info, db.write(engine) as s:
        save_changes(
            s,
            "sla_policies",
            inserts=[],
            updates=[],
            deletes=[{"id": key[0], "version": key[1]}],
            actor=ADMIN,
            now=NOW,
        )
    assert (info.value.code, info.value.params) == ("sla.err.no_all_grades", {"value": "low"})
    assert len(stored(engine)) == 4


def test_only_the_sla_pages_editors_save_the_register(world):
    engine, _ = world
    with pytest.raises(NotAllowed):
        grid_save(engine, CHANGE, [], actor=Actor(None, Role.QUALITY))
    with pytest.raises(NotAllowed), db.write(engine) as s:
        seen = S.policy_table(s)
        rows = [{**r, "seen_index": i, "row": i + 1} for i, r in enumerate(seen)]
        S.save_policy_table(s, seen, rows, NOW, actor=Actor(None, Role.AGENT))


def test_a_finished_tickets_deadlines_stay_in_list_and_detail(world):
    """Issue 8: after an SLA or a calendar edit a finished ticket shows the deadlines
    it finished with, in the detail as in the stored columns the list reads."""
    engine, ids = world
    with db.read(engine) as s:
        before = ticket_detail(s, ids["done"], NOW)["sla"]
    stored_before = deadlines(engine, ids)["done"]
    page_save(engine, {"respond_hours": 1, "resolve_hours": 2}, [])
    with db.write(engine) as s:
        S.add_calendar_days(s, [(dt.date(2026, 11, 16), "holiday", "x")], NOW)
    with db.read(engine) as s:
        after = ticket_detail(s, ids["done"], NOW)["sla"]
    assert deadlines(engine, ids)["done"] == stored_before
    assert (after.respond_by, after.resolve_by) == (before.respond_by, before.resolve_by)
    assert (after.respond_by, after.resolve_by) == stored_before


def test_an_import_of_some_priorities_into_an_empty_table_is_taken(db_engine):
    """A priority never stored runs on the built-in default (the page shows it so):
    only taking a stored all-grades row away is refused."""
    wb = openpyxl.Workbook()
    wb.active.append(list(LABELS.values()))
    wb.active.append(["低", "全部等级", 20, 60, None, "否"])
    buf = io.BytesIO()
    wb.save(buf)
    with db.write(db_engine) as s:
        report = import_file(
            s, "sla_policies", buf.getvalue(), file_name="p.xlsx", now=NOW, actor=ADMIN
        )
    assert report.problems == [] and report.inserted == 1
    with db.read(db_engine) as s:
        table = S.policy_table(s)
    assert [(r["priority"], r["id"] is not None) for r in table] == [
        ("emergency", False),
        ("high", False),
        ("standard", False),
        ("low", True),
    ]
