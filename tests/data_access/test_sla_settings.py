"""SLA settings commands (whole-table saves, conflicts, calendar) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data_access import db
from data_access import sla_settings as S
from data_access import tickets as T
from data_access.models import AuditLog, Customer, SlaPolicy, Ticket
from rules.sla import DEFAULT_CALENDAR, DEFAULT_ESCALATION, add_business_time
from rules.sla_settings import POLICY_COLUMNS
from tests.actors import ADMIN

MON = dt.datetime(2026, 11, 16, 9, 0)  # a Monday; default calendar Mon–Sat 08:30–18:00
NOW = dt.datetime(2026, 11, 16, 10, 0)
H = 3600


@pytest.fixture
def world(db_engine):
    """Customers of grade A and B, one open standard ticket each, one closed ticket."""
    with db.write(db_engine) as s:
        a = Customer(code="C1", name="华东精密", grade="A", region="华东")
        b = Customer(code="C2", name="南方电子", grade="B", region="华南")
        s.add_all([a, b])
        s.flush()
        ids = {}
        for name, cust in (("a", a), ("b", b), ("done", b)):
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
        T.change_status(s, ids["done"], "cancelled", actor=ADMIN, now=NOW, expected_version=None)
    return db_engine, ids


def due(engine, ticket_id: int) -> dt.datetime:
    with db.read(engine) as s:
        return s.get(Ticket, ticket_id).resolve_due


def table(engine) -> list[dict]:
    with db.read(engine) as s:
        return S.policy_table(s)


def edited(seen: list[dict], changes: dict[int, dict] | None = None, added=(), deleted=()):
    """``rows`` as the page builds them from the editor's diff."""
    rows = []
    for i, old in enumerate(seen):
        if i in deleted:
            continue
        row = {c: old[c] for c in POLICY_COLUMNS} | (changes or {}).get(i, {})
        rows.append({**row, "seen_index": i, "row": i + 1})
    for j, new in enumerate(added):
        rows.append({**new, "seen_index": None, "row": len(seen) + j + 1})
    return rows


def save(engine, seen, rows) -> int:
    with db.write(engine) as s:
        return S.save_policy_table(s, seen, rows, NOW)


# ---------------------------------------------------------------- policies
def test_empty_table_lists_the_defaults_in_priority_order(world):
    engine, _ = world
    rows = table(engine)
    assert [(r["priority"], r["customer_grade"], r["id"]) for r in rows] == [
        ("emergency", "*", None),
        ("high", "*", None),
        ("standard", "*", None),
        ("low", "*", None),
    ]


def test_saving_stores_the_table_and_recomputes_open_tickets(world):
    engine, ids = world
    seen = table(engine)
    before_done = due(engine, ids["done"])
    grade_a = {
        "priority": "standard",
        "customer_grade": "A",
        "respond_hours": 2,
        "resolve_hours": 8,
        "onsite_hours": None,
    }
    rows = edited(seen, {2: {"resolve_hours": 19}}, added=[grade_a])
    assert save(engine, seen, rows) == 2  # the two open tickets, not the cancelled one
    after = table(engine)
    assert [(r["priority"], r["customer_grade"], r["resolve_hours"]) for r in after] == [
        ("emergency", "*", 9.5),
        ("high", "*", 19.0),
        ("standard", "*", 19.0),
        ("standard", "A", 8.0),
        ("low", "*", 66.5),
    ]
    assert all(r["id"] is not None for r in after)
    assert due(engine, ids["a"]) == add_business_time(DEFAULT_CALENDAR, MON, 8 * H)
    assert due(engine, ids["b"]) == add_business_time(DEFAULT_CALENDAR, MON, 19 * H)
    assert due(engine, ids["done"]) == before_done


def test_grade_row_deleted_and_key_swapped(world):
    engine, ids = world
    seen = table(engine)
    extra = [
        {"priority": "high", "customer_grade": g, "respond_hours": h, "resolve_hours": 10}
        for g, h in (("A", 1), ("B", 2))
    ]
    save(engine, seen, edited(seen, added=extra))
    seen = table(engine)
    assert [(r["priority"], r["customer_grade"]) for r in seen][1:4] == [
        ("high", "*"),
        ("high", "A"),
        ("high", "B"),
    ]
    # swap A and B (the unique key must not trip), then delete the B row
    save(engine, seen, edited(seen, {2: {"customer_grade": "B"}, 3: {"customer_grade": "A"}}))
    seen = table(engine)
    assert [(r["customer_grade"], r["respond_hours"]) for r in seen[1:4]] == [
        ("*", 8.0),
        ("A", 2.0),
        ("B", 1.0),
    ]
    save(engine, seen, edited(seen, deleted={3}))
    assert [(r["priority"], r["customer_grade"]) for r in table(engine)] == [
        ("emergency", "*"),
        ("high", "*"),
        ("high", "A"),
        ("standard", "*"),
        ("low", "*"),
    ]


def test_every_problem_named_by_row_and_column_nothing_written(world):
    engine, ids = world
    seen = table(engine)
    before = due(engine, ids["a"])
    rows = edited(
        seen,
        {0: {"respond_hours": 0}, 1: {"resolve_hours": -3}, 3: {"respond_hours": 100}},
        added=[
            {"priority": None, "customer_grade": "A", "respond_hours": 1, "resolve_hours": 2},
            {"priority": "emergency", "customer_grade": "*", "respond_hours": 1},
        ],
        deleted={2},
    )
    with pytest.raises(T.InvalidInput) as info:
        save(engine, seen, rows)
    got = {(p.row, p.field, p.code) for p in info.value.problems}
    assert got == {
        (1, "respond_hours", "sla.err.positive"),
        (2, "resolve_hours", "sla.err.positive"),
        (4, "respond_hours", "sla.err.respond_after_resolve"),
        (5, "priority", "err.required"),
        (6, "resolve_hours", "err.required"),
        (6, "customer_grade", "sla.err.duplicate_policy"),
    }
    with db.read(engine) as s:
        assert s.scalar(select(func.count(SlaPolicy.id))) == 0
    assert due(engine, ids["a"]) == before


def test_a_priority_needs_its_all_grades_row(world):
    engine, _ = world
    seen = table(engine)
    with pytest.raises(T.InvalidInput) as info:
        save(engine, seen, edited(seen, deleted={3}))
    assert [(p.code, p.value) for p in info.value.problems] == [("sla.err.no_all_grades", "low")]


def test_stale_table_is_a_conflict(world):
    engine, _ = world
    seen = table(engine)
    save(engine, seen, edited(seen, {0: {"respond_hours": 3}}))
    mine = table(engine)
    theirs = table(engine)
    save(engine, theirs, edited(theirs, {1: {"respond_hours": 5}}))
    # an edit, a delete and an add on a stale table are all refused
    for rows in (
        edited(mine, {2: {"respond_hours": 6}}),
        edited(mine, {1: {"respond_hours": 7}}),
    ):
        with pytest.raises(T.ConflictError):
            save(engine, mine, rows)
    # an insert of a key someone else has added meanwhile
    stale_defaults = [dict(r, id=None, version=None) for r in mine]
    with pytest.raises(T.ConflictError):
        save(engine, stale_defaults, edited(stale_defaults, {0: {"respond_hours": 1}}))
    assert [r["respond_hours"] for r in table(engine)][:2] == [3.0, 5.0]


# ---------------------------------------------------------------- escalation ladder
def ladder_rows(levels, **changes) -> list[dict]:
    rows = [
        {"level": lv.level, "name_zh": lv.zh, "name_en": lv.en, "hours": lv.hours} for lv in levels
    ]
    for i, change in changes.items():
        rows[int(i[1:])].update(change)
    return rows


def test_ladder_saved_and_conflict(world):
    engine, _ = world
    rows = ladder_rows(DEFAULT_ESCALATION, r0={"hours": 2})
    with db.write(engine) as s:
        S.save_ladder(s, DEFAULT_ESCALATION, rows)
    with db.read(engine) as s:
        levels = T.load_levels(s)
    assert [lv.hours for lv in levels] == [2.0, 9.5, 28.5, None]
    with pytest.raises(T.ConflictError), db.write(engine) as s:
        S.save_ladder(s, DEFAULT_ESCALATION, rows)  # started from the old ladder


# ---------------------------------------------------------------- calendar
def test_weekly_hours_saved_recomputed_and_stale_refused(world):
    engine, ids = world
    with db.read(engine) as s:
        version = S.calendar_state(s)["version"]
    texts = {wd: "09:00-12:00, 13:00-17:00" for wd in range(5)}
    with db.write(engine) as s:
        assert S.save_weekly(s, texts, version, NOW) == 2
    with db.read(engine) as s:
        state = S.calendar_state(s)
    assert state["weekly"][0] == [("09:00", "12:00"), ("13:00", "17:00")]
    assert state["weekly"][5] == [] and state["week_hours"] == 35
    # standard: 28.5 h at 7 h a day from Mon 09:00 → Mon–Thu 28 h, then Fri 09:30
    assert due(engine, ids["a"]) == dt.datetime(2026, 11, 20, 9, 30)
    with pytest.raises(T.ConflictError), db.write(engine) as s:
        S.save_weekly(s, texts, version, NOW)


def test_weekly_problems_name_the_weekday(world):
    engine, _ = world
    with pytest.raises(T.InvalidInput) as info, db.write(engine) as s:
        S.save_weekly(s, {0: "9-12", 1: "9-12x", 2: "17-9"}, None, NOW)
    assert [(p.field, p.code) for p in info.value.problems] == [
        ("wd1", "sla.err.span"),
        ("wd2", "sla.err.span_order"),
    ]


def test_days_added_and_removed_move_deadlines(world):
    engine, ids = world
    before = due(engine, ids["a"])
    with db.write(engine) as s:
        n = S.add_calendar_days(
            s,
            [(dt.date(2026, 11, 17), "holiday", "test"), (dt.date(2026, 11, 22), "workday", None)],
            NOW,
        )
    assert n == 2
    with db.read(engine) as s:
        days = S.calendar_state(s)["days"]
    assert [(d["day"], d["kind"], d["name"]) for d in days] == [
        (dt.date(2026, 11, 17), "holiday", "test"),
        (dt.date(2026, 11, 22), "workday", None),
    ]
    moved = due(engine, ids["a"])
    assert moved > before
    with db.write(engine) as s:
        S.remove_calendar_days(s, [dt.date(2026, 11, 17), dt.date(2026, 11, 22)], NOW)
    assert due(engine, ids["a"]) == before


def test_a_policy_turned_round_the_clock_moves_open_deadlines_to_wall_clock(world):
    """Standard runs 24×7 from now: the open tickets' limits become wall-clock hours
    (28.5 h from Monday 09:00 = Tuesday 13:30, not three working days); the closed
    ticket is untouched; the audit trail says "24x7"."""
    engine, ids = world
    seen = table(engine)
    std = next(i for i, r in enumerate(seen) if r["priority"] == "standard")
    before_done = due(engine, ids["done"])
    n = save(engine, seen, edited(seen, {std: {"round_the_clock": True}}))
    assert n == 2
    assert due(engine, ids["a"]) == MON + dt.timedelta(hours=28.5)
    assert due(engine, ids["done"]) == before_done
    rows = table(engine)
    assert [r["priority"] for r in rows if r["round_the_clock"]] == ["standard"]
    with db.read(engine) as s:
        stored = s.scalars(select(SlaPolicy).where(SlaPolicy.round_the_clock)).all()
        log = s.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert [p.priority for p in stored] == ["standard"]
    assert "24x7" in str(log.changes)
    # and back: business hours again
    save(engine, rows, edited(rows, {std: {"round_the_clock": False}}))
    assert due(engine, ids["a"]) == add_business_time(DEFAULT_CALENDAR, MON, 28.5 * H)


def test_an_unchanged_flag_writes_nothing(world):
    engine, _ = world
    seen = table(engine)
    save(engine, seen, edited(seen))
    seen = table(engine)
    versions = [r["version"] for r in seen]
    save(engine, seen, edited(seen, {0: {"round_the_clock": None}}))  # a blank cell = off
    assert [r["version"] for r in table(engine)] == versions
