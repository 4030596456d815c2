"""Training through the one write path and the coverage queries, on SQLite and
PostgreSQL (``db_engine``): results and certificates derived by the hooks, bad input
refused with nothing written, programmes on the working calendar, sign-in sheets
matched to people, and who may do what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from data_access import db
from data_access import training as training_data
from data_access.errors import NotAllowed, Refused
from data_access.lines import list_lines, save_lines
from data_access.models import (
    AuditLog,
    Contact,
    Customer,
    Device,
    ProductModel,
    TrainingAttendance,
    TrainingCourse,
    TrainingCourseModel,
    TrainingSession,
    User,
)
from data_access.registers import save_changes
from data_access.sla_config import seed_sla_defaults
from imports.sign_in import import_sign_in
from rules.access import Actor, Role
from rules.training import REQUIRED_OPERATORS_KEY, ROLE_COURSES_KEY
from tests.actors import ADMIN

NOW = dt.datetime(2026, 11, 23, 9, 0)
TODAY = NOW.date()
TRAINER = Actor(1, Role.TRAINER)


def _save(engine, register, inserts=(), updates=(), actor=ADMIN):
    with db.write(engine) as s:
        return save_changes(
            s,
            register,
            inserts=list(inserts),
            updates=list(updates),
            deletes=[],
            actor=actor,
            now=NOW,
        )


def _lines(engine, session_no, rows, actor=ADMIN):
    with db.write(engine) as s:
        return save_lines(s, "attendance", session_no, rows, actor=actor, now=NOW)


def _course(code, models="", mark=70, months=12, topic="operation", audience="operators"):
    return {
        "code": code,
        "title_zh": f"课程{code}",
        "topic": topic,
        "delivery": "online_live",
        "audience": audience,
        "hours": 4,
        "pass_mark": mark,
        "validity_months": months,
        "models": models or None,
        "active": True,
    }


def _session(no, course, customer=None, capacity=None, status="held", starts=None):
    return {
        "session_no": no,
        "course": course,
        "customer": customer,
        "trainer": "trainer",
        "starts_at": starts or dt.datetime(2026, 6, 1, 9),
        "capacity": capacity,
        "status": status,
    }


@pytest.fixture
def world(db_engine):
    """Three customers (two in 华东), two models, devices, staff, two courses."""
    with db.write(db_engine) as s:
        seed_sla_defaults(s)
        users = [
            User(username="trainer", display_name="陈静", role="trainer", password_hash="x"),
            User(username="agent", display_name="李娜", role="agent", region="华东", password_hash="x"),
            User(username="eng", display_name="张伟", role="engineer", region="华北", password_hash="x"),
            User(username="manager", display_name="王建华", role="manager", password_hash="x"),
        ]  # fmt: skip
        s.add_all(users)
        c1 = Customer(code="C1", name="甲公司", region="华东")
        c2 = Customer(code="C2", name="乙公司", region="华北")
        c3 = Customer(code="C3", name="丙公司", region="华东")
        m1 = ProductModel(code="M1", name="加工中心")
        m2 = ProductModel(code="M2", name="激光切割机")
        s.add_all([c1, c2, c3, m1, m2])
        s.flush()
        s.add_all(
            [
                Device(serial_no="S1", customer_id=c1.id, model_id=m1.id),
                Device(serial_no="S2", customer_id=c1.id, model_id=m2.id),
                Device(serial_no="S3", customer_id=c2.id, model_id=m1.id),
                Device(serial_no="S4", customer_id=c3.id, model_id=m1.id),
                Contact(customer_id=c1.id, name="王伟", phone="13800000001", title="操作员"),
                Contact(customer_id=c1.id, name="周杰", phone="13800000002", title="班长"),
                Contact(customer_id=c1.id, name="周杰", phone="13800000003", title="操作员"),
            ]
        )
        s.flush()
        ids = {u.username: u.id for u in users}
    result = _save(db_engine, "courses", [_course("OP-M1", "M1"), _course("IN-1", audience="internal", topic="rules", months=None)])  # fmt: skip
    assert result.problems == []
    return db_engine, ids


def _links(engine):
    with db.read(engine) as s:
        return sorted(
            s.execute(
                select(ProductModel.code).join(
                    TrainingCourseModel, TrainingCourseModel.model_id == ProductModel.id
                )
            ).scalars()
        )


def _course_row(engine, code):
    with db.read(engine) as s:
        return s.execute(select(TrainingCourse.id, TrainingCourse.version).where(TrainingCourse.code == code)).one()  # fmt: skip


def test_course_models_follow_the_models_cell(world):
    engine, _ = world
    assert _links(engine) == ["M1"]
    cid, version = _course_row(engine, "OP-M1")
    assert _save(engine, "courses", updates=[{"id": cid, "version": version, "models": "M2，M1"}]).problems == []  # fmt: skip
    assert _links(engine) == ["M1", "M2"]
    cid, version = _course_row(engine, "OP-M1")
    assert _save(engine, "courses", updates=[{"id": cid, "version": version, "models": None}]).problems == []  # fmt: skip
    assert _links(engine) == []


def test_unknown_model_refuses_the_course(world):
    engine, _ = world
    with pytest.raises(Refused) as err:
        _save(engine, "courses", [_course("OP-X", "M1, NOPE")])
    assert err.value.code == "training.err.unknown_model"
    assert err.value.params["value"] == "NOPE"
    with db.read(engine) as s:
        assert s.scalar(select(func.count()).select_from(TrainingCourseModel)) == 1


def _held(engine, no="PX-1", capacity=None, customer="C1", course="OP-M1", status="held"):
    assert (
        _save(
            engine, "training_sessions", [_session(no, course, customer, capacity, status)]
        ).problems
        == []
    )


def test_results_and_certificates_are_derived(world):
    engine, _ = world
    _held(engine)
    result = _lines(
        engine,
        "PX-1",
        [
            {"kind": "contact", "name": "王伟", "presence": "present", "test_score": 85, "rating": 5},
            {"kind": "contact", "name": "周杰", "presence": "late", "test_score": 60},
            {"kind": "guest", "name": "赵六", "customer": "C1", "presence": "absent"},
            {"kind": "staff", "name": "李娜", "user": "agent", "presence": "present", "practical": "pass"},
        ],
    )  # fmt: skip
    assert result.problems == [] and result.inserted == 4
    with db.read(engine) as s:
        rows = {r["name"]: r for r in list_lines(s, "attendance", "PX-1")}
    assert rows["王伟"]["result"] == "passed"
    assert rows["王伟"]["certificate_no"] == "CERT-PX-1-001"
    assert rows["王伟"]["certificate_expires"] == dt.date(2027, 5, 31)
    assert rows["王伟"]["customer"] == "C1"  # a contact takes the session's customer
    assert rows["周杰"]["result"] == "failed" and rows["周杰"]["certificate_no"] is None
    assert rows["赵六"]["result"] is None
    assert rows["李娜"]["result"] == "passed"
    # the course's pass mark changes: results follow
    with db.read(engine) as s:
        course = s.execute(
            select(TrainingSession.course_id).where(TrainingSession.session_no == "PX-1")
        ).scalar()
        version = s.scalar(select(TrainingCourse.version).where(TrainingCourse.id == course))
    assert (
        _save(
            engine, "courses", updates=[{"id": course, "version": version, "pass_mark": 50}]
        ).problems
        == []
    )
    with db.read(engine) as s:
        rows = {r["name"]: r for r in list_lines(s, "attendance", "PX-1")}
    assert rows["周杰"]["result"] == "passed" and rows["周杰"]["certificate_no"] == "CERT-PX-1-002"


@pytest.mark.parametrize(
    ("line", "field", "code"),
    [
        ({"presence": "present", "test_score": 101}, "test_score", "err.max"),
        ({"presence": "present", "test_score": -5}, "test_score", "err.min"),
        ({"presence": "absent", "test_score": 80}, "test_score", "training.err.result_without_attendance"),
        ({"test_score": 80}, "test_score", "training.err.result_without_attendance"),
        ({"presence": "absent", "rating": 4}, "rating", "training.err.feedback_not_present"),
        ({"presence": "present", "rating": 9}, "rating", "err.max"),
        ({"kind": "staff"}, "user", "training.err.staff_needs_user"),
    ],
)  # fmt: skip
def test_bad_lines_are_refused_and_nothing_is_written(world, line, field, code):
    engine, _ = world
    _held(engine)
    rows = [
        {"kind": "contact", "name": "王伟", "presence": "present"},
        {"kind": "guest", "name": "赵六", **line},
    ]
    result = _lines(engine, "PX-1", rows)
    assert [(p.row, p.field, p.code) for p in result.problems] == [(1, field, code)]
    with db.read(engine) as s:
        assert list_lines(s, "attendance", "PX-1") == []


def test_over_capacity_is_refused(world):
    engine, _ = world
    _held(engine, capacity=2)
    rows = [{"kind": "guest", "name": n, "customer": "C1"} for n in ("甲", "乙", "丙")]
    with pytest.raises(Refused) as err:
        _lines(engine, "PX-1", rows)
    assert err.value.code == "training.err.over_capacity"
    assert err.value.params == {"value": "PX-1", "capacity": 2, "count": 3}
    with db.read(engine) as s:
        assert list_lines(s, "attendance", "PX-1") == []
    assert _lines(engine, "PX-1", rows[:2]).inserted == 2


def test_cancelled_session_takes_no_attendance(world):
    engine, _ = world
    _held(engine, status="cancelled")
    result = _lines(engine, "PX-1", [{"kind": "guest", "name": "甲", "presence": "present"}])
    assert [p.code for p in result.problems] == ["training.err.session_cancelled"]


def test_unknown_course_of_a_session(world):
    engine, _ = world
    result = _save(engine, "training_sessions", [_session("PX-9", "NOPE")])
    assert [(p.field, p.code) for p in result.problems] == [("course", "err.unknown_ref")]


def test_only_trainers_and_managers_write(world):
    engine, _ = world
    for role in (Role.AGENT, Role.ENGINEER, Role.QUALITY):
        with pytest.raises(NotAllowed):
            _save(engine, "training_sessions", [_session("PX-7", "OP-M1")], actor=Actor(2, role))
    assert (
        _save(engine, "training_sessions", [_session("PX-7", "OP-M1")], actor=TRAINER).inserted == 1
    )
    with db.read(engine) as s, pytest.raises(NotAllowed):
        training_data.sessions(s, Actor(2, Role.AGENT))
    with db.read(engine) as s, pytest.raises(NotAllowed):
        training_data.coverage(s, Actor(2, Role.QUALITY), TODAY)


def _trained_world(engine):
    _held(engine)
    _lines(
        engine,
        "PX-1",
        [
            {"kind": "contact", "name": "王伟", "presence": "present", "test_score": 90},
            {"kind": "staff", "name": "李娜", "user": "agent", "presence": "present"},
        ],
    )
    assert _save(engine, "training_sessions", [_session("PX-2", "IN-1", None)]).problems == []
    _lines(engine, "PX-2", [{"kind": "staff", "name": "李娜", "user": "agent", "presence": "present", "test_score": 95}])  # fmt: skip


def test_coverage_figures(world):
    engine, _ = world
    with db.read(engine) as s:
        empty = training_data.coverage(s, ADMIN, TODAY)
    assert (empty.customers, empty.trained, empty.customer_ratio) == (3, 0, 0.0)
    assert empty.staff_required == 0 and empty.staff_ratio is None  # "—", not 0 %
    _trained_world(engine)
    with db.write(engine) as s:
        training_data.set_role_courses(s, {"agent": ["IN-1"], "engineer": ["IN-1"]}, actor=ADMIN, now=NOW)  # fmt: skip
        training_data.set_required_operators(s, {"*": 1, "M2": 2}, actor=ADMIN, now=NOW)
    with db.read(engine) as s:
        cov = training_data.coverage(s, ADMIN, TODAY)
    assert (cov.customers, cov.trained) == (3, 1)
    assert cov.customer_ratio == pytest.approx(100 / 3)
    assert [u["code"] for u in cov.untrained] == ["C2", "C3"]
    # sites: C1×M1 (王伟 certified), C1×M2, C2×M1, C3×M1
    assert (cov.sites, cov.sites_covered) == (4, 1)
    gaps = {(g["customer"], g["model"]): (g["certified"], g["required"], g["gap"]) for g in cov.operator_gaps}  # fmt: skip
    assert gaps == {("C1", "M2"): (0, 2, 2), ("C2", "M1"): (0, 1, 1), ("C3", "M1"): (0, 1, 1)}
    assert (cov.staff_required, cov.staff_done) == (2, 1)
    assert [(g["user"], g["course"]) for g in cov.staff_gaps] == [("张伟", "IN-1")]
    assert [e["certificate_no"] for e in cov.expiring] == []
    # a day before the certificate ends: it is expiring; after it ends: the site is a gap
    with db.read(engine) as s:
        soon = training_data.coverage(s, ADMIN, dt.date(2027, 5, 10))
        later = training_data.coverage(s, ADMIN, dt.date(2027, 6, 1))
    assert [e["name"] for e in soon.expiring] == ["王伟"]
    assert later.sites_covered == 0
    with db.read(engine) as s:
        audited = s.scalars(select(AuditLog.entity_key).order_by(AuditLog.id)).all()
    assert audited[-2:] == [ROLE_COURSES_KEY, REQUIRED_OPERATORS_KEY]


def test_agents_see_their_region_only(world):
    engine, ids = world
    _trained_world(engine)
    with db.read(engine) as s:
        cov = training_data.coverage(s, Actor(ids["agent"], Role.AGENT), TODAY)
        eng = training_data.coverage(s, Actor(ids["eng"], Role.ENGINEER), TODAY)
    assert (cov.region, cov.customers, cov.trained) == ("华东", 2, 1)
    assert [u["code"] for u in cov.untrained] == ["C3"]
    assert (eng.region, eng.customers, eng.trained, eng.customer_ratio) == ("华北", 1, 0, 0.0)


def test_sessions_feedback_and_certificates(world):
    engine, ids = world
    _trained_world(engine)
    _lines(engine, "PX-1", [
        {"kind": "contact", "name": "王伟", "presence": "present", "test_score": 90, "rating": 4},
        {"kind": "staff", "name": "李娜", "user": "agent", "presence": "present", "rating": 2},
    ])  # fmt: skip
    trainer = Actor(ids["trainer"], Role.TRAINER)
    with db.read(engine) as s:
        mine = training_data.sessions(s, trainer)
        other = training_data.sessions(s, Actor(ids["manager"], Role.TRAINER))
        everyone = training_data.sessions(s, Actor(ids["manager"], Role.MANAGER), everyone=True)
        by_course = training_data.feedback(s, trainer, "course")
        by_trainer = training_data.feedback(s, trainer, "trainer")
        certs = training_data.certificates(s, trainer, TODAY, "C1")
    assert [m["session_no"] for m in mine] == ["PX-1", "PX-2"] or {m["session_no"] for m in mine} == {"PX-1", "PX-2"}  # fmt: skip
    assert other == [] and len(everyone) == 2
    assert {r["group"]: (r["ratings"], r["mean_rating"]) for r in by_course} == {
        "OP-M1": (2, 3.0),
        "IN-1": (0, None),
    }
    assert [(r["group"], r["ratings"]) for r in by_trainer] == [("陈静", 2)]
    assert [(c["name"], c["certificate_no"], c["valid"]) for c in certs] == [("王伟", "CERT-PX-1-001", True)]  # fmt: skip


def test_apply_programme_on_the_working_calendar(world):
    engine, _ = world
    _save(engine, "courses", [
        _course("MT-1", topic="maintenance", audience="maintainers"),
        _course("TS-1", topic="troubleshooting", audience="maintainers"),
        _course("AD-1", topic="advanced"),
        _course("OP-M2", "M2"),
    ])  # fmt: skip
    with db.write(engine) as s:
        nos, problems = training_data.apply_programme(
            s, "C3", dt.date(2026, 12, 2), trainer="trainer", actor=TRAINER, now=NOW, capacity=10
        )
    assert problems == []
    assert nos == ["PX-2026-0001", "PX-2026-0002", "PX-2026-0003", "PX-2026-0004", "PX-2026-0005"]
    with db.read(engine) as s:
        rows = s.execute(
            select(TrainingSession.phase, TrainingSession.starts_at, TrainingCourse.code)
            .join(TrainingCourse)
            .order_by(TrainingSession.starts_at)
        ).all()
    assert [(r.phase, r.starts_at, r.code) for r in rows] == [
        ("initial", dt.datetime(2026, 12, 2, 8, 30), "OP-M1"),  # C3 runs an M1: its course
        ("deepening", dt.datetime(2026, 12, 7, 8, 30), "MT-1"),
        ("deepening", dt.datetime(2026, 12, 14, 8, 30), "TS-1"),
        ("deepening", dt.datetime(2026, 12, 21, 8, 30), "AD-1"),
        ("review", dt.datetime(2026, 12, 28, 8, 30), "OP-M1"),
    ]
    with db.write(engine) as s:
        again, _ = training_data.apply_programme(
            s, "C3", dt.date(2026, 12, 2), trainer=None, actor=TRAINER, now=NOW
        )
    assert again[0] == "PX-2026-0006"


def test_apply_programme_bad_input(world):
    engine, _ = world
    with db.write(engine) as s:
        nos, problems = training_data.apply_programme(
            s, "NOPE", dt.date(2026, 12, 2), trainer=None, actor=TRAINER, now=NOW
        )
        assert (nos, [p.code for p in problems]) == ([], ["err.unknown_ref"])
        nos, problems = training_data.apply_programme(
            s, "C1", dt.date(2026, 12, 2), trainer=None, actor=TRAINER, now=NOW
        )
        assert [p.code for p in problems] == ["training.err.no_customer_courses"]
        with pytest.raises(NotAllowed):
            training_data.apply_programme(
                s, "C1", dt.date(2026, 12, 2), trainer=None, actor=Actor(2, Role.AGENT), now=NOW
            )
    with db.read(engine) as s:
        assert s.scalar(select(func.count()).select_from(TrainingSession)) == 0


def _sign_in(engine, rows, confirm=False, session_no="PX-1"):
    with db.write(engine) as s:
        return import_sign_in(
            s, session_no, rows, confirm_new=confirm, actor=TRAINER, now=NOW, sheet="签到表"
        )


def _count(engine):
    with db.read(engine) as s:
        return s.scalar(select(func.count()).select_from(TrainingAttendance))


def test_sign_in_sheet_matches_names_to_people(world):
    engine, _ = world
    _held(engine, capacity=5)
    rows = [
        {"_row": 2, "name": "王伟", "presence": "出席", "test_score": 88, "course": "OP-M1"},
        {"_row": 3, "name": "李娜", "presence": "迟到"},
        {"_row": 4, "name": "周杰", "phone": "13800000003", "presence": "出席"},
        {"_row": 5, "name": "新人甲", "phone": "13900000009", "job": "操作员", "presence": "缺席"},
    ]
    first = _sign_in(engine, rows)
    assert [(p.code, p.sheet) for p in first.problems] == [("training.err.new_people", "签到表")]
    assert first.new_people == ["新人甲"] and _count(engine) == 0
    done = _sign_in(engine, rows, confirm=True)
    assert done.problems == [] and done.inserted == 4
    with db.read(engine) as s:
        lines = {r["name"]: r for r in list_lines(s, "attendance", "PX-1")}
    assert (lines["王伟"]["kind"], lines["王伟"]["customer"], lines["王伟"]["result"]) == ("contact", "C1", "passed")  # fmt: skip
    assert (lines["李娜"]["kind"], lines["李娜"]["user"]) == ("staff", "agent")
    assert lines["周杰"]["job"] == "操作员"  # the phone told the two 周杰 apart
    assert (lines["新人甲"]["kind"], lines["新人甲"]["customer"]) == ("guest", "C1")
    # a score list later: names on the session update their lines
    later = _sign_in(engine, [{"_row": 2, "name": "周杰", "test_score": 75}])
    assert later.problems == [] and later.inserted == 0 and _count(engine) == 4
    with db.read(engine) as s:
        lines = {r["name"]: r for r in list_lines(s, "attendance", "PX-1")}
    assert lines["周杰"]["test_score"] == Decimal("75") and lines["周杰"]["result"] == "passed"


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        ({"name": "周杰", "presence": "出席"}, "name", "training.err.ambiguous_person"),
        ({"name": "王伟", "course": "NOPE"}, "course", "training.err.unknown_course"),
        ({"name": "王伟", "course": "IN-1"}, "course", "training.err.other_course"),
        ({"name": "王伟", "presence": "缺席", "test_score": 80}, "test_score", "training.err.result_without_attendance"),
        ({"name": "王伟", "presence": "出席", "test_score": 120}, "test_score", "err.max"),
        ({"name": "王伟", "presence": "缺席", "rating": 5}, "rating", "training.err.feedback_not_present"),
    ],
)  # fmt: skip
def test_sign_in_sheet_bad_rows_name_row_and_column(world, row, field, code):
    engine, _ = world
    _held(engine)
    rows = [{"_row": 2, "name": "李娜", "presence": "出席"}, {"_row": 3, **row}]
    result = _sign_in(engine, rows, confirm=True)
    assert [(p.row, p.field, p.code, p.sheet) for p in result.problems] == [
        (3, field, code, "签到表")
    ]
    assert _count(engine) == 0


def test_sign_in_sheet_over_capacity_and_unknown_session(world):
    engine, _ = world
    _held(engine, capacity=1)
    rows = [{"_row": 2, "name": "王伟"}, {"_row": 3, "name": "李娜"}]
    result = _sign_in(engine, rows)
    assert [(p.row, p.code) for p in result.problems] == [(3, "training.err.over_capacity")]
    assert _count(engine) == 0
    result = _sign_in(engine, rows, session_no="PX-404")
    assert [p.code for p in result.problems] == ["training.err.unknown_session"]
    with db.write(engine) as s, pytest.raises(NotAllowed):
        import_sign_in(s, "PX-1", rows, confirm_new=True, actor=Actor(2, Role.ENGINEER), now=NOW)


def test_demo_training_data(sqlite_engine):
    """A year of sessions; some customers never trained; some certificates end within
    30 days of the demo clock; every stored result is what the rules derive."""
    from data_access import demo
    from data_access.training_register import refresh_results

    demo.load(sqlite_engine, customers=40, tickets=20)
    today = demo.DEMO_NOW.date()
    with db.read(sqlite_engine) as s:
        cov = training_data.coverage(s, ADMIN, today)
        capped = training_data.coverage(s, ADMIN, today, limit=1)
        first, last = s.execute(
            select(func.min(TrainingSession.starts_at), func.max(TrainingSession.starts_at))
        ).one()
    assert 0 < cov.trained < cov.customers and cov.untrained
    assert cov.expiring and all(
        today <= e["certificate_expires"] <= today + dt.timedelta(days=30) for e in cov.expiring
    )
    assert cov.operator_gaps and cov.staff_gaps and cov.staff_required > cov.staff_done > 0
    # the lists stop at the limit, the counts are whole
    assert cov.expiring_total == len(cov.expiring) > 1
    assert len(capped.expiring) == 1 and capped.expiring_total == cov.expiring_total
    assert (last - first).days >= 330
    with db.write(sqlite_engine) as s:
        assert refresh_results(s, TrainingSession.id.is_not(None)) == 0  # nothing to correct


def test_a_new_installation_gets_its_programme_for_its_model(world):
    engine, _ = world
    _save(engine, "courses", [
        _course("MT-1", topic="maintenance", audience="maintainers"),
        _course("TS-1", topic="troubleshooting", audience="maintainers"),
        _course("AD-1", topic="advanced"),
        _course("OP-M2", "M2"),
    ])  # fmt: skip
    today = dt.date(2026, 11, 30)
    with db.write(engine) as s:
        for serial, day in (("S2", dt.date(2026, 11, 20)), ("S3", dt.date(2026, 6, 1)),
                            ("S4", dt.date(2026, 12, 5))):  # fmt: skip
            s.execute(update(Device).where(Device.serial_no == serial).values(install_date=day))
    with db.read(engine) as s:
        owed = training_data.new_installations(s, today)
    # S3 was installed too long ago, S4 is not installed yet
    assert [(r["serial_no"], r["customer_code"], r["model"]) for r in owed] == [("S2", "C1", "M2")]
    with db.write(engine) as s:
        nos, problems = training_data.apply_programme(
            s, "", dt.date(2026, 12, 2), trainer="trainer", actor=TRAINER, now=NOW, device="S2"
        )
    assert problems == [] and len(nos) == 5
    with db.read(engine) as s:
        rows = s.execute(
            select(TrainingCourse.code, Customer.code)
            .select_from(TrainingSession)
            .join(TrainingCourse)
            .join(Customer, Customer.id == TrainingSession.customer_id)
            .order_by(TrainingSession.starts_at)
        ).all()
        assert rows[0] == ("OP-M2", "C1")  # the installed model's course, not C1's M1
        assert {c for _, c in rows} == {"C1"}
        assert training_data.new_installations(s, today) == []
    with db.write(engine) as s:
        nos, problems = training_data.apply_programme(
            s, "", dt.date(2026, 12, 2), trainer=None, actor=TRAINER, now=NOW, device="NOPE"
        )
    assert (nos, [(p.field, p.code) for p in problems]) == ([], [("device", "err.unknown_ref")])
