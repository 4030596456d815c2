"""Demo data: deterministic, complete, internally consistent, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from data_access import db, demo, tickets
from data_access.catalog import ADAPTERS
from data_access.models import Base, Customer
from data_access.users import authenticate
from imports.engine import import_file
from imports.writer import export_bytes
from rules import sla
from rules.customers import warranty_status
from rules.tickets import RESULT_OPTIONS, Channel, Priority, Status, followup_no
from tests.actors import ADMIN
from tests.helpers import copy_sqlite

SIZES = {"customers": 12, "tickets": 160}
NOW = demo.DEMO_NOW
EMPTY_OK = {"import_batches", "import_changes", "audit_log"}
# the dashboard rollup (dashboard_*) is derived by triggers and refreshes, not demo data
T = {n: t for n, t in Base.metadata.tables.items() if not n.startswith("dashboard_")}


def _load(engine, **kw):
    return demo.load(engine, **{**SIZES, **kw})


def _rows(engine, table: str, skip=()):
    t = T[table]
    cols = [c for c in t.columns if c.name not in skip]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(t.c.id))]


def _fresh_sqlite(tmp_path, sqlite_template, name="other.db"):
    return copy_sqlite(sqlite_template, tmp_path / name)


@pytest.fixture(scope="module")
def users_db(tmp_path_factory, sqlite_template):
    engine = _fresh_sqlite(tmp_path_factory.mktemp("users"), sqlite_template)
    _load(engine, tickets=20)
    yield engine
    engine.dispose()


@pytest.fixture
def loaded(db_engine, load_demo):
    counts = load_demo(db_engine, **SIZES)
    return db_engine, counts


def test_same_seed_gives_identical_rows(loaded, tmp_path, sqlite_template):
    engine, _ = loaded
    other = _fresh_sqlite(tmp_path, sqlite_template)
    _load(other)
    # argon2 salts differ per hash: compare users without the hash
    for table, skip in [
        ("users", ("password_hash",)),
        ("customers", ()),
        ("devices", ()),
        ("tickets", ()),
        ("ticket_events", ()),
        ("stock_movements", ()),
        ("fee_lines", ()),
        ("settlements", ()),
        ("followups", ()),
        ("complaint_actions", ()),
        ("maintenance_visits", ()),
        ("training_attendance", ()),
    ]:
        assert _rows(engine, table, skip) == _rows(other, table, skip), table
    other.dispose()


def test_another_seed_gives_other_rows(tmp_path, sqlite_template):
    a = _fresh_sqlite(tmp_path, sqlite_template, "a.db")
    b = _fresh_sqlite(tmp_path, sqlite_template, "b.db")
    _load(a, seed=1)
    _load(b, seed=2)
    assert _rows(a, "tickets") != _rows(b, "tickets")
    a.dispose()
    b.dispose()


def test_every_table_has_rows_and_counts_are_reported(loaded):
    engine, counts = loaded
    with engine.connect() as conn:
        for name, table in T.items():
            n = conn.execute(select(func.count()).select_from(table)).scalar()
            assert counts[name] == n, name
            if name not in EMPTY_OK:
                assert n > 0, f"{name} is empty"
    assert counts["tickets"] == SIZES["tickets"]
    assert counts["customers"] == SIZES["customers"]


def test_foreign_keys_point_at_existing_rows(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        for table in T.values():
            for fk in table.foreign_keys:
                child, parent = fk.parent, fk.column
                orphans = conn.execute(
                    select(func.count())
                    .select_from(table.outerjoin(parent.table, child == parent))
                    .where(child.is_not(None), parent.is_(None))
                ).scalar()
                assert orphans == 0, f"{table.name}.{child.name} → {parent.table.name}"


def test_stamps_and_versions_are_set(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        for table in T.values():
            for stamp in ("created_at", "updated_at"):
                if stamp in table.c:
                    missing = select(func.count()).where(table.c[stamp].is_(None))
                    assert conn.execute(missing).scalar() == 0, table.name
            if "version" in table.c:
                versions = conn.execute(select(table.c.version).distinct()).scalars().all()
                assert versions in ([], [1]), table.name


def _history(conn):
    events = defaultdict(list)
    e = T["ticket_events"]
    rows = conn.execute(
        select(e.c.ticket_id, e.c.at, e.c.id, e.c.kind, e.c.from_status, e.c.to_status)
        .add_columns(e.c.to_user_id, e.c.level)
        .order_by(e.c.ticket_id, e.c.at, e.c.id)
    )
    for r in rows:
        events[r.ticket_id].append(r)
    return events


def test_ticket_fields_follow_the_event_history(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        events = _history(conn)
        tickets = conn.execute(select(T["tickets"])).all()
    for t in tickets:
        history = events[t.id]
        statuses = [e for e in history if e.kind == "status"]
        assert statuses[0].to_status == Status.RECEIVED and statuses[0].from_status is None
        assert statuses[0].at == t.received_at
        assert t.status == statuses[-1].to_status, t.ticket_no
        for before, after in zip(statuses, statuses[1:], strict=False):
            assert after.from_status == before.to_status, t.ticket_no
        assert all(t.received_at <= e.at <= NOW for e in history)
        responded = [e.at for e in statuses if e.to_status == Status.RESPONDED]
        assert t.responded_at == (responded[0] if responded else None)
        assert (t.closed_at is not None) == (t.status == Status.CLOSED)
        if t.closed_at:
            assert t.closed_at == statuses[-1].at
        if t.status in (Status.REPAIRED, Status.ACCEPTED, Status.CLOSED):
            assert t.resolved_at == max(e.at for e in statuses if e.to_status == Status.REPAIRED)
        else:
            assert t.resolved_at is None
        assigned = [e.to_user_id for e in history if e.kind == "assign"]
        assert t.engineer_id == (assigned[-1] if assigned else None)
        levels = [e.level for e in history if e.kind == "escalate"]
        assert t.escalation_level == max(levels, default=1)
        assert t.respond_due > t.received_at
        # the resolution deadline is unknown while the clock is paused
        if t.status not in ("waiting_parts", "waiting_customer"):
            assert t.resolve_due > t.respond_due


def test_every_status_priority_and_channel_occurs(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        tickets = T["tickets"]
        seen = {
            col: set(conn.execute(select(tickets.c[col]).distinct()).scalars())
            for col in ("status", "priority", "channel")
        }
    assert seen["status"] == {str(s) for s in Status}
    assert seen["priority"] == {str(p) for p in Priority}
    assert seen["channel"] == {str(c) for c in Channel}


def _calendar(conn) -> sla.WorkingCalendar:
    """The stored default calendar as the SLA rules see it."""
    cal, days = T["working_calendars"], T["calendar_days"]
    weekly = conn.execute(select(cal.c.weekly).where(cal.c.is_default.is_(True))).scalar_one()
    rows = conn.execute(select(days.c.day, days.c.kind)).all()
    return sla.WorkingCalendar(
        weekly=weekly,
        holidays=frozenset(d for d, k in rows if k == "holiday"),
        extra_workdays=frozenset(d for d, k in rows if k == "workday"),
    )


def test_status_events_happen_in_working_hours(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        e = T["ticket_events"]
        ats = conn.execute(
            select(e.c.at).where(e.c.kind == "status", e.c.from_status.is_not(None))
        ).scalars()
        ats = list(ats)
        cal = _calendar(conn)
    # a few forced demo tickets are squeezed into a short time and may fall outside
    assert sum(map(cal.is_working, ats)) >= 0.97 * len(ats)


def test_deadlines_follow_the_sla_rules(loaded):
    engine, _ = loaded
    policies = {p.priority: p for p in sla.DEFAULT_POLICIES}
    with engine.connect() as conn:
        cal = _calendar(conn)
        events = _history(conn)
        tickets = conn.execute(select(T["tickets"])).all()
    open_seen = 0
    for t in tickets:
        policy = policies[t.priority]
        respond_by = sla.add_business_time(cal, t.received_at, policy.respond_hours * 3600)
        assert t.respond_due == respond_by
        floor = sla.add_business_time(cal, t.received_at, policy.resolve_hours * 3600)
        if t.status in ("repaired", "accepted", "closed", "cancelled"):
            assert t.resolve_due >= floor, t.ticket_no
            continue
        open_seen += 1
        history = [(e.at, e.to_status) for e in events[t.id] if e.kind == "status"]
        clock = sla.sla_clock(t.received_at, policy, cal, history, NOW)
        assert (t.respond_due, t.resolve_due) == (clock.respond_by, clock.resolve_by)
    assert open_seen >= 5  # enough open tickets for the check to mean something


def test_warranty_reports_and_fees_are_consistent(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        t, d = T["tickets"], T["devices"]
        rows = conn.execute(
            select(
                t.c.id, t.c.status, t.c.received_at, t.c.warranty_status, d.c.warranty_end
            ).select_from(t.outerjoin(d, d.c.id == t.c.device_id))
        ).all()
        reports = set(conn.execute(text("SELECT ticket_id FROM service_reports")).scalars())
        f, v, p = T["fee_lines"], T["maintenance_visits"], T["maintenance_plans"]
        # a ticket's lines from the day received, a billed visit's from the day done
        lines = conn.execute(
            select(
                f.c.settlement_id,
                f.c.amount,
                f.c.list_amount,
                f.c.discount,
                f.c.rule,
                func.coalesce(t.c.received_at, v.c.done_at),
                d.c.warranty_end,
            ).select_from(
                f.outerjoin(t, t.c.id == f.c.ticket_id)
                .outerjoin(v, v.c.id == f.c.visit_id)
                .outerjoin(p, p.c.id == v.c.plan_id)
                .outerjoin(d, d.c.id == func.coalesce(t.c.device_id, p.c.device_id))
            )
        ).all()
        billed = conn.execute(
            select(v.c.done_at, d.c.contract_end)
            .select_from(f.join(v, v.c.id == f.c.visit_id).join(p, p.c.id == v.c.plan_id))
            .join(d, d.c.id == p.c.device_id)
        ).all()
    assert billed  # visits outside a contract are billed, never one under contract
    assert all(end is None or end < done.date() for done, end in billed)
    with engine.connect() as conn:
        settlements = conn.execute(text("SELECT id, total, status FROM settlements")).all()
        paid = dict(
            conn.execute(text("SELECT settlement_id, SUM(amount) FROM payments GROUP BY 1")).all()
        )
    for tid, status, received, stored, w_end in rows:
        expected = warranty_status(w_end, received.date()) if w_end else "unknown"
        assert stored == expected
        assert (tid in reports) == (status in ("repaired", "accepted", "closed"))
    sums = defaultdict(Decimal)
    for sid, amount, list_amount, discount, rule, received, w_end in lines:
        # the one coverage rule: in warranty on the failure date → free, else charged
        in_warranty = w_end is not None and received.date() <= w_end
        if rule == "warranty":
            assert in_warranty and Decimal(amount) == 0
        assert Decimal(amount) == Decimal(list_amount) - Decimal(discount)
        if sid is not None:
            sums[sid] += Decimal(amount)
    for sid, total, status in settlements:
        assert Decimal(str(total)) == sums[sid]
        if status == "paid":
            assert Decimal(str(paid[sid])) == Decimal(str(total))
        else:
            assert Decimal(str(paid.get(sid, 0))) < Decimal(str(total))
    assert {s.status for s in settlements} >= {"paid", "settled"}
    assert {r[4] for r in lines} >= {"warranty", "rate_card"}


def test_parts_on_hand_equals_the_ledger(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        on_hand = dict(conn.execute(text("SELECT id, on_hand FROM parts")).all())
        ledger = dict(
            conn.execute(text("SELECT part_id, SUM(qty) FROM stock_movements GROUP BY 1")).all()
        )
        kinds = set(conn.execute(text("SELECT DISTINCT kind FROM stock_movements")).scalars())
        part_nos = conn.execute(text("SELECT part_no FROM parts")).scalars().all()
        takes = conn.execute(text("SELECT status FROM stock_takes")).scalars().all()
    assert on_hand == {pid: int(ledger.get(pid, 0)) for pid in on_hand}
    assert min(on_hand.values()) >= 0
    assert {"receipt", "issue", "return", "transfer", "scrap", "adjust"} <= kinds
    assert all(len(no) == 6 and no.startswith("000") for no in part_nos)
    assert takes == ["posted"]


def test_complaints_handled_again_until_satisfied(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        again = conn.execute(
            text(
                "SELECT c.id FROM complaints c JOIN complaint_actions a ON a.complaint_id = c.id "
                "WHERE c.rounds = 2 AND a.round = 1 AND a.kind = 'verification' "
                "AND a.effective = :no"
            ),
            {"no": False},
        ).scalars()
        kinds = set(conn.execute(text("SELECT DISTINCT kind FROM complaint_actions")).scalars())
    assert list(again)
    assert {"investigation", "measure", "corrective", "preventive", "verification"} <= kinds


def test_reference_data(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        cal = conn.execute(text("SELECT id, is_default FROM working_calendars")).one()
        cd = T["calendar_days"]
        days = dict(conn.execute(select(cd.c.day, cd.c.kind)).all())
        policies = conn.execute(
            text("SELECT priority, respond_hours, resolve_hours, customer_grade FROM sla_policies")
        ).all()
        levels = dict(conn.execute(text("SELECT level, hours FROM escalation_levels")).all())
        setting = conn.execute(
            text("SELECT value FROM settings WHERE key = 'tickets.followup_delay_days'")
        )
        regions = set(conn.execute(text("SELECT DISTINCT region FROM customers")).scalars())
    assert cal.is_default
    assert days[dt.date(2026, 10, 1)] == "holiday" and days[dt.date(2026, 10, 10)] == "workday"
    # the same defaults as the SLA rules use on an empty database
    assert {(p, float(a), float(b), g) for p, a, b, g in policies} == {
        (p.priority, p.respond_hours, p.resolve_hours, p.customer_grade)
        for p in sla.DEFAULT_POLICIES
    }
    assert {k: v if v is None else float(v) for k, v in levels.items()} == {
        lv.level: lv.hours for lv in sla.DEFAULT_ESCALATION
    }
    assert setting.scalar() == 3
    assert regions <= {"华东", "华南", "华北", "华中", "西南", "西北", "东北"}


@pytest.mark.parametrize(
    "username, role",
    [
        ("admin", "admin"),
        ("manager", "manager"),
        ("agent", "agent"),
        ("engineer", "engineer"),
        ("parts", "parts_keeper"),
        ("trainer", "trainer"),
        ("quality", "quality"),
    ],
)
def test_demo_users_log_in(users_db, username, role):
    with db.write(users_db) as s:
        user = authenticate(s, username, demo.DEMO_PASSWORD, NOW)
        assert user is not None and user.role == role and user.demo_password
        assert authenticate(s, username, "wrong", NOW) is None


def test_demo_users_log_in_on_both_databases(loaded):
    engine, _ = loaded
    with db.write(engine) as s:
        assert authenticate(s, "engineer", demo.DEMO_PASSWORD, NOW).role == "engineer"
        n = s.scalar(text("SELECT COUNT(*) FROM users WHERE role = 'engineer'"))
    assert n >= 13


def test_refuses_a_database_with_data_unless_reset(loaded):
    engine, counts = loaded
    with pytest.raises(demo.NotEmptyError):
        _load(engine)
    again = _load(engine, reset=True)
    assert again == counts


def test_rows_added_after_the_demo_get_new_ids(loaded):
    engine, counts = loaded
    with db.write(engine) as s:
        c = Customer(code="NEW-0001", name="新客户有限公司", grade="B")
        s.add(c)
        s.flush()
        assert c.id == counts["customers"] + 1


def test_cli_loads_refuses_and_resets(sqlite_url, capsys):
    args = ["--url", sqlite_url, "--customers", "4", "--tickets", "30"]
    assert demo.main(args) == 0
    out = capsys.readouterr().out
    assert "tickets" in out and "load" in out
    assert demo.main(args) == 2
    assert "--reset" in capsys.readouterr().err
    assert demo.main([*args, "--reset"]) == 0


def test_follow_ups_and_reports_match_the_tickets_rules(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        t, f, r = T["tickets"], T["followups"], T["service_reports"]
        closed = dict(
            conn.execute(select(t.c.id, t.c.ticket_no).where(t.c.status == "closed")).all()
        )
        numbers = dict(
            conn.execute(select(f.c.ticket_id, f.c.followup_no).where(f.c.reason == "ticket")).all()
        )
        results = set(conn.execute(select(r.c.result).distinct()).scalars())
    assert numbers == {tid: followup_no(no, 1) for tid, no in closed.items()}
    assert results <= {o.value for o in RESULT_OPTIONS}


def test_the_tickets_domain_works_on_the_demo_data(loaded):
    engine, _ = loaded
    with db.write(engine) as s:
        rows = tickets.list_tickets(s, tickets.TicketFilter(open_only=True), now=NOW)
        assert rows
        for row in rows[:5]:
            assert tickets.ticket_detail(s, row["id"], NOW)
        accepted = s.scalar(text("SELECT id FROM tickets WHERE status = 'accepted' LIMIT 1"))
        ticket = tickets.change_status(
            s, accepted, "closed", actor=ADMIN, now=NOW, expected_version=1
        )
        assert ticket.status == "closed"
        tickets.auto_escalate(s, NOW)


@pytest.mark.parametrize("register", sorted(ADAPTERS))
def test_demo_registers_round_trip_through_excel(loaded, register):
    """Export a demo register and import it back: nothing changes (the reviewer's
    first move, and a team's on day one)."""
    engine, _ = loaded
    today = dt.date(2026, 11, 23)
    with db.read(engine) as s:
        data = export_bytes(s, register, lang="zh", today=today)
    with db.write(engine) as s:
        report = import_file(
            s, register, data, file_name="export.xlsx", now=dt.datetime(2026, 11, 23), actor=ADMIN
        )
    assert report.problems == []
    assert (report.inserted, report.updated) == (0, 0) and report.unchanged > 0


def test_demo_people_have_distinct_display_names(loaded):
    engine, _ = loaded
    with engine.connect() as conn:
        names = conn.execute(text("SELECT display_name FROM users")).scalars().all()
    assert len(names) == len(set(names)) and not any("（" in n for n in names)


def test_demo_closing_facts_follow_the_one_rule(users_db):
    """The demo's first-time-fix and remote flags are what the app would derive."""
    from rules.tickets import closing_facts

    with users_db.connect() as conn:
        events: dict[int, list] = {}
        e = T["ticket_events"]
        query = (
            select(e.c.ticket_id, e.c.at, e.c.to_status)
            .where(e.c.kind == "status")
            .order_by(e.c.ticket_id, e.c.at, e.c.id)
        )
        for tid, at, status in conn.execute(query):
            events.setdefault(tid, []).append((at, status))
        rows = conn.execute(text("SELECT id, first_time_fix, remote_resolved FROM tickets")).all()
    assert rows
    for tid, first_time, remote in rows:
        facts = closing_facts(events[tid])
        expected = facts.first_time_fix
        assert (None if first_time is None else bool(first_time)) == expected, tid
        assert bool(remote) == facts.remote_resolved, tid
