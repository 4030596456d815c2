"""Training queries and commands: coverage (computed in SQL), the trainer's sessions,
feedback summaries, certificate lists, programmes applied to a customer, and the
queries of the sign-in sheet / score list import (:mod:`imports.sign_in`).

Every function takes the acting user: trainers, managers and admins see and manage
everything; agents and engineers see coverage only, for their region's customers.
Writes go through :func:`data_access.registers.save_changes` /
:func:`data_access.lines.save_lines` (the register hooks derive results and
certificates and refuse over-capacity sessions).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, distinct, exists, func, literal, or_, select, true
from sqlalchemy.orm import Session

from data_access import audit
from data_access.errors import NotAllowed, Refused
from data_access.lines import list_lines
from data_access.models import (
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
from data_access.settings import get_setting, put_setting
from data_access.sla_config import load_calendar
from rules import training as tr
from rules.access import Acting
from rules.fields import Problem

A, S, C = TrainingAttendance, TrainingSession, TrainingCourse
LIST_LIMIT = 500
ATTENDED = sorted(str(p) for p in tr.ATTENDED)


# ---------------------------------------------------------------- who may
def require(allowed: bool, action: str) -> None:
    if not allowed:
        raise NotAllowed(action, "training")


def region_scope(session: Session, actor: Acting) -> str | None:
    """The region an agent's or engineer's coverage is limited to (None: every
    customer). Refuses roles that see no training figures at all."""
    require(tr.may_see_coverage(actor.role), "coverage")
    if not tr.coverage_scoped(actor.role) or actor.id is None:
        return None
    return session.scalar(select(User.region).where(User.id == actor.id))


def _customer_scope(region: str | None) -> list:
    return [] if region is None else [Customer.region == region]


# ---------------------------------------------------------------- coverage
def _valid_certificate(today: dt.date):
    return and_(
        A.result == tr.Result.PASSED,
        or_(A.certificate_expires.is_(None), A.certificate_expires >= today),
    )


def trained_exists():
    """A customer attended at least one held session (the training-coverage rule; the
    dashboard counts it too)."""
    return (
        exists()
        .where(A.customer_id == Customer.id, A.presence.in_(ATTENDED))
        .where(S.id == A.session_id, S.status == tr.SessionStatus.HELD)
    )


_trained_exists = trained_exists


def customer_coverage(
    session: Session, region: str | None = None, grade: str | None = None
) -> tuple[int, int]:
    """(customers, customers trained) of ``region`` / ``grade`` (None: all)."""
    scope = _customer_scope(region) + ([] if grade is None else [Customer.grade == grade])
    # one pass over the customers: both counts
    customers, trained = session.execute(
        select(func.count(Customer.id), func.count(case((trained_exists(), 1)))).where(*scope)
    ).one()
    return customers or 0, trained or 0


@dataclass(frozen=True)
class Coverage:
    region: str | None
    customers: int
    trained: int
    untrained: list[dict[str, Any]]
    sites: int  # customer × model pairs with devices
    sites_covered: int
    operator_gaps: list[dict[str, Any]]
    staff_required: int
    staff_done: int
    staff_gaps: list[dict[str, Any]]
    expiring: list[dict[str, Any]]
    expiring_total: int = 0  # the whole count (the list stops at ``limit``)

    @property
    def customer_ratio(self) -> float | None:
        return tr.ratio(self.trained, self.customers)

    @property
    def site_ratio(self) -> float | None:
        return tr.ratio(self.sites_covered, self.sites)

    @property
    def staff_ratio(self) -> float | None:
        return tr.ratio(self.staff_done, self.staff_required)


def coverage(
    session: Session, actor: Acting, today: dt.date, *, limit: int = LIST_LIMIT
) -> Coverage:
    """The trainer's and manager's figures: customers trained, certified operators per
    customer × model against the required number, staff required courses, certificates
    expiring within 30 days. Lists hold at most ``limit`` rows; counts are whole."""
    region = region_scope(session, actor)
    scope = _customer_scope(region)
    customers, trained = customer_coverage(session, region)
    untrained = [
        dict(r)
        for r in session.execute(
            select(Customer.code, Customer.name, Customer.region)
            .where(*scope, ~_trained_exists())
            .order_by(Customer.code)
            .limit(limit)
        ).mappings()
    ]
    sites, covered, gaps = operator_coverage(session, today, region, limit=limit)
    staff_required, staff_done, staff_gaps = staff_coverage(session, actor, today)
    return Coverage(
        region=region,
        customers=customers,
        trained=trained or 0,
        untrained=untrained,
        sites=sites,
        sites_covered=covered,
        operator_gaps=gaps,
        staff_required=staff_required,
        staff_done=staff_done,
        staff_gaps=staff_gaps,
        expiring=expiring_certificates(session, today, region, limit=limit),
        expiring_total=expiring_count(session, today, region),
    )


def _required_expr(session: Session):
    """SQL for the required certified operators of ``ProductModel.code`` (setting)."""
    setting = get_setting(session, tr.REQUIRED_OPERATORS_KEY) or {}
    default = tr.required_operators("*", setting)
    special = {
        k: tr.required_operators(k, setting) for k in setting if k != "*" and isinstance(k, str)
    }
    if not special:
        return literal(default)
    return case(special, value=ProductModel.code, else_=default)


def operator_coverage(
    session: Session, today: dt.date, region: str | None, *, limit: int = LIST_LIMIT
) -> tuple[int, int, list[dict[str, Any]]]:
    """(customer × model pairs with devices, pairs with enough certified operators,
    the gaps). An operator is certified for a model by a passed, unexpired result in a
    course covering it; people count once per customer by name."""
    sites = (
        select(Device.customer_id, Device.model_id, func.count(Device.id).label("devices"))
        .where(Device.model_id.is_not(None))
        .group_by(Device.customer_id, Device.model_id)
        .subquery("sites")
    )
    certified = _certified(session, today)
    have = func.coalesce(certified.c.certified, 0)
    need = _required_expr(session)
    joined = (
        sites.join(Customer, Customer.id == sites.c.customer_id)
        .join(ProductModel, ProductModel.id == sites.c.model_id)
        .outerjoin(
            certified,
            and_(
                certified.c.customer_id == sites.c.customer_id,
                certified.c.model_id == sites.c.model_id,
            ),
        )
    )
    # one pass: every site's figures with the whole counts beside them (window
    # functions), then only the gaps leave the database
    ok = case((have >= need, 1), else_=0)
    figures = (
        select(
            Customer.code.label("customer"),
            Customer.name.label("customer_name"),
            ProductModel.code.label("model"),
            sites.c.devices,
            have.label("certified"),
            need.label("required"),
            func.count().over().label("total"),
            func.sum(ok).over().label("total_ok"),
        )
        .select_from(joined)
        .where(*_customer_scope(region))
        .subquery("figures")
    )
    f = figures.c
    rows = (
        session.execute(
            select(figures)
            .where(f.certified < f.required)
            .order_by(f.customer, f.model)
            .limit(limit)
        )
        .mappings()
        .all()
    )
    if rows:
        total, covered = rows[0]["total"], rows[0]["total_ok"]
    else:  # no gap: the counts alone
        total = session.scalar(
            select(func.count()).select_from(joined).where(*_customer_scope(region))
        )
        covered = total
    keep = ("customer", "customer_name", "model", "devices", "certified", "required")
    gaps = [{k: r[k] for k in keep} for r in rows]
    out = [{**g, "gap": g["required"] - g["certified"]} for g in gaps]
    return int(total or 0), int(covered or 0), out


def _certified(session: Session, today: dt.date):
    """(customer, model, certified operators): distinct people with a valid certificate
    of a course covering the model.

    A model most courses cover alone is counted per (customer, course) first and only
    then spread to its models, so the aggregation runs over the passed lines, not over
    lines × models; models several courses cover count people across those courses by
    name (a person passing two of them counts once)."""
    cm = TrainingCourseModel
    shared = session.scalars(
        select(cm.model_id).group_by(cm.model_id).having(func.count() > 1)
    ).all()
    valid = (A.customer_id.is_not(None), _valid_certificate(today))
    per_course = (
        select(A.customer_id, S.course_id, func.count(distinct(A.name)).label("people"))
        .join(S, S.id == A.session_id)
        .where(*valid)
        .group_by(A.customer_id, S.course_id)
        .subquery("per_course")
    )
    single = (
        select(per_course.c.customer_id, cm.model_id, per_course.c.people.label("certified"))
        .join(cm, cm.course_id == per_course.c.course_id)
        .where(cm.model_id.not_in(shared) if shared else true())
    )
    several = (
        select(A.customer_id, cm.model_id, func.count(distinct(A.name)).label("certified"))
        .join(S, S.id == A.session_id)
        .join(cm, cm.course_id == S.course_id)
        .where(*valid, cm.model_id.in_(shared))
        .group_by(A.customer_id, cm.model_id)
    )
    if not shared:
        return single.subquery("certified")
    return single.union_all(several).subquery("certified")


def required_operators_setting(session: Session) -> dict[str, int]:
    """The required certified operators per model code (``"*"``: every other model)."""
    value = get_setting(session, tr.REQUIRED_OPERATORS_KEY) or {}
    out = {"*": tr.required_operators("*", value)}
    out.update({str(k): tr.required_operators(str(k), value) for k in value if k != "*"})
    return out


def course_codes(session: Session) -> list[str]:
    return list(session.scalars(select(C.code).order_by(C.code)))


def role_courses(session: Session) -> dict[str, list[str]]:
    value = get_setting(session, tr.ROLE_COURSES_KEY) or {}
    return {str(k): [str(c) for c in v] for k, v in value.items() if isinstance(v, list)}


def staff_coverage(
    session: Session, actor: Acting, today: dt.date
) -> tuple[int, int, list[dict[str, Any]]]:
    """Internal staff: (required user × course pairs, pairs done, gaps). Agents and
    engineers see only their own row of the matrix."""
    matrix = role_courses(session)
    if not matrix:
        return 0, 0, []
    users = select(User.id, User.username, User.display_name, User.role).where(
        User.is_active.is_(True), User.role.in_(list(matrix))
    )
    if tr.coverage_scoped(actor.role):
        users = users.where(User.id == actor.id)
    people = session.execute(users.order_by(User.username)).all()
    codes = sorted({c for v in matrix.values() for c in v})
    courses = dict(session.execute(select(C.code, C.title_zh).where(C.code.in_(codes))).all())
    done = set(
        session.execute(
            select(A.user_id, C.code)
            .join(S, S.id == A.session_id)
            .join(C, C.id == S.course_id)
            .where(A.user_id.in_([p.id for p in people]), _valid_certificate(today))
            .distinct()
        ).all()
    )
    required = ok = 0
    gaps = []
    for p in people:
        for code in matrix.get(p.role, []):
            required += 1
            if (p.id, code) in done:
                ok += 1
            else:
                gaps.append(
                    {
                        "user": p.display_name,
                        "role": p.role,
                        "course": code,
                        "title": courses.get(code, code),
                    }
                )
    return required, ok, gaps


def _expiring(today: dt.date):
    until = today + dt.timedelta(days=tr.EXPIRING_DAYS)
    return and_(A.certificate_expires >= today, A.certificate_expires <= until)


def expiring_count(session: Session, today: dt.date, region: str | None) -> int:
    """How many certificates valid today end within the next 30 days."""
    query = select(func.count(A.id)).where(_expiring(today))
    if region is not None:
        query = query.join(Customer, Customer.id == A.customer_id).where(Customer.region == region)
    return session.scalar(query) or 0


def expiring_certificates(
    session: Session, today: dt.date, region: str | None, *, limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """Certificates valid today that end within the next 30 days, soonest first."""
    query = (
        select(
            A.name,
            Customer.code.label("customer"),
            Customer.name.label("customer_name"),
            C.code.label("course"),
            A.certificate_no,
            A.certificate_expires,
        )
        .join(S, S.id == A.session_id)
        .join(C, C.id == S.course_id)
        .outerjoin(Customer, Customer.id == A.customer_id)
        .where(_expiring(today))
        .where(*_customer_scope(region))
        .order_by(A.certificate_expires, A.certificate_no)
        .limit(limit)
    )
    return [dict(r) for r in session.execute(query).mappings()]


def set_required_operators(
    session: Session, value: Mapping[str, int], *, actor: Acting, now: dt.datetime
) -> None:
    """Required certified operators per model code (``"*"``: every other model)."""
    require(tr.may_manage(actor.role), "edit")
    clean = {str(k): int(v) for k, v in value.items() if int(v) >= 0}
    before = get_setting(session, tr.REQUIRED_OPERATORS_KEY)
    put_setting(session, tr.REQUIRED_OPERATORS_KEY, clean, now)
    audit.record(
        session,
        entity="settings",
        action="update",
        now=now,
        key=tr.REQUIRED_OPERATORS_KEY,
        changes={"value": [before, clean]},
        user_id=actor.id,
    )


def set_role_courses(
    session: Session, value: Mapping[str, Sequence[str]], *, actor: Acting, now: dt.datetime
) -> None:
    """The internal role × required course matrix."""
    require(tr.may_manage(actor.role), "edit")
    clean = {str(k): [str(c) for c in v] for k, v in value.items()}
    known = set(session.scalars(select(C.code)))
    for codes in clean.values():
        for code in codes:
            if code not in known:
                raise Refused("training.err.unknown_course", value=code)
    before = get_setting(session, tr.ROLE_COURSES_KEY)
    put_setting(session, tr.ROLE_COURSES_KEY, clean, now)
    audit.record(
        session,
        entity="settings",
        action="update",
        now=now,
        key=tr.ROLE_COURSES_KEY,
        changes={"value": [before, clean]},
        user_id=actor.id,
    )


# ---------------------------------------------------------------- sessions and feedback
def sessions(
    session: Session, actor: Acting, *, everyone: bool = False, limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """The actor's sessions (``everyone``: every trainer's), latest first."""
    require(tr.may_see_sessions(actor.role), "view")
    picked = select(S.id).order_by(S.starts_at.desc(), S.session_no).limit(limit)
    if not everyone:
        picked = picked.where(S.trainer_id == actor.id)
    picked = picked.subquery("picked")
    trainer = User.__table__.alias("trainer")
    attendees = select(func.count(A.id)).where(A.session_id == S.id).correlate(S).scalar_subquery()
    query = (
        select(
            S.session_no,
            S.starts_at,
            S.status,
            C.code.label("course"),
            C.title_zh,
            C.title_en,
            Customer.name.label("customer_name"),
            trainer.c.display_name.label("trainer"),
            attendees.label("attendees"),
            S.capacity,
        )
        .join(picked, picked.c.id == S.id)
        .join(C, C.id == S.course_id)
        .outerjoin(Customer, Customer.id == S.customer_id)
        .outerjoin(trainer, trainer.c.id == S.trainer_id)
        .order_by(S.starts_at.desc(), S.session_no)
    )
    return [dict(r) for r in session.execute(query).mappings()]


def feedback(session: Session, actor: Acting, by: str = "course") -> list[dict[str, Any]]:
    """Ratings per course or per trainer: count, mean, attendees passed."""
    require(tr.may_see_sessions(actor.role), "view")
    passed = func.sum(case((A.result == tr.Result.PASSED, 1), else_=0))
    trainer = User.__table__.alias("trainer")
    if by == "trainer":
        group = [func.coalesce(trainer.c.display_name, "—").label("group")]
        keys = [trainer.c.display_name]
    else:
        group = [C.code.label("group"), C.title_zh, C.title_en]
        keys = [C.code, C.title_zh, C.title_en]
    query = (
        select(
            *group,
            func.count(A.rating).label("ratings"),
            func.avg(A.rating).label("mean_rating"),
            passed.label("passed"),
        )
        .select_from(A)
        .join(S, S.id == A.session_id)
        .join(C, C.id == S.course_id)
        .outerjoin(trainer, trainer.c.id == S.trainer_id)
        .group_by(*keys)
        .order_by(*keys)
    )
    out = []
    for r in session.execute(query).mappings():
        row = dict(r)
        mean = row["mean_rating"]
        row["mean_rating"] = None if mean is None else round(float(mean), 2)
        row["passed"] = int(row["passed"] or 0)
        out.append(row)
    return out


def certificates(
    session: Session, actor: Acting, today: dt.date, customer: str | None = None
) -> list[dict[str, Any]]:
    """Issued certificates (a customer's, by code or name), with whether valid today."""
    require(tr.may_see_sessions(actor.role), "view")
    query = (
        select(
            Customer.code.label("customer"),
            Customer.name.label("customer_name"),
            A.name,
            A.job,
            C.code.label("course"),
            C.title_zh,
            A.certificate_no,
            S.starts_at,
            A.certificate_expires,
        )
        .join(S, S.id == A.session_id)
        .join(C, C.id == S.course_id)
        .outerjoin(Customer, Customer.id == A.customer_id)
        .where(A.certificate_no.is_not(None))
        .order_by(Customer.code, A.name, S.starts_at)
    )
    if customer:
        query = query.where(or_(Customer.code == customer, Customer.name == customer))
    rows = []
    for r in session.execute(query).mappings():
        row = dict(r)
        row["held_on"] = row.pop("starts_at").date()
        row["valid"] = tr.certificate_valid(row["certificate_expires"], today)
        rows.append(row)
    return rows


def certificate(session: Session, actor: Acting, certificate_no: str) -> dict[str, Any] | None:
    """One issued certificate with its attendee, course, session and score (None when
    there is no such number); for the printed certificate."""
    require(tr.may_see_sessions(actor.role), "view")
    trainer = User.__table__.alias("trainer")
    query = (
        select(
            A.certificate_no, A.certificate_expires, A.name, A.job, A.test_score, A.practical,
            A.result, S.session_no, S.starts_at, S.location, C.code.label("course"),
            C.title_zh, C.title_en, C.hours, Customer.name.label("customer_name"),
            trainer.c.display_name.label("trainer"),
        )
        .join(S, S.id == A.session_id)
        .join(C, C.id == S.course_id)
        .outerjoin(Customer, Customer.id == A.customer_id)
        .outerjoin(trainer, trainer.c.id == S.trainer_id)
        .where(A.certificate_no == certificate_no)
    )  # fmt: skip
    found = session.execute(query).mappings().first()
    return dict(found) if found else None


def session_header(session: Session, actor: Acting, session_no: str) -> dict[str, Any] | None:
    require(tr.may_see_sessions(actor.role), "view")
    trainer = User.__table__.alias("trainer")
    query = (
        select(
            S.session_no, S.starts_at, S.ends_at, S.status, S.capacity, S.location,
            S.online_link, C.code.label("course"), C.title_zh, C.title_en, C.pass_mark,
            Customer.code.label("customer"), Customer.name.label("customer_name"),
            trainer.c.display_name.label("trainer"),
        )
        .join(C, C.id == S.course_id)
        .outerjoin(Customer, Customer.id == S.customer_id)
        .outerjoin(trainer, trainer.c.id == S.trainer_id)
        .where(S.session_no == session_no)
    )  # fmt: skip
    found = session.execute(query).mappings().first()
    return dict(found) if found else None


def attendance_sheet(session: Session, actor: Acting, session_no: str) -> list[dict[str, Any]]:
    """The session's lines for the printed sign-in sheet."""
    require(tr.may_see_sessions(actor.role), "view")
    return list_lines(session, "attendance", session_no)


# ---------------------------------------------------------------- programmes
def _next_session_numbers(session: Session, year: int, n: int) -> list[str]:
    prefix = f"PX-{year:04d}-"
    taken = session.scalars(select(S.session_no).where(S.session_no.like(prefix + "%")))
    high = 0
    for no in taken:
        tail = no[len(prefix) :]
        if tail.isdigit():
            high = max(high, int(tail))
    return [f"{prefix}{high + k:04d}" for k in range(1, n + 1)]


def _course_for(session: Session, topic: str, models: set[int]) -> Any:
    """The active customer course of ``topic`` covering most of ``models`` (then by code)."""
    rows = session.execute(
        select(C.id, C.code, C.hours)
        .where(C.topic == topic, C.active.is_(True), C.audience.in_(sorted(tr.CUSTOMER_AUDIENCES)))
        .order_by(C.code)
    ).all()
    if not rows:
        return None
    covers: dict[int, int] = {}
    if models:
        for course_id, count in session.execute(
            select(TrainingCourseModel.course_id, func.count())
            .where(TrainingCourseModel.model_id.in_(sorted(models)))
            .group_by(TrainingCourseModel.course_id)
        ):
            covers[course_id] = count
    return max(rows, key=lambda r: covers.get(r.id, 0)) if covers else rows[0]


def apply_programme(
    session: Session,
    customer: str,
    start: dt.date,
    *,
    trainer: str | None,
    actor: Acting,
    now: dt.datetime,
    capacity: int | None = None,
    steps: Sequence[tr.Step] = tr.PROGRAMME,
    device: str | None = None,
) -> tuple[list[str], list[Problem]]:
    """Create a customer's programme (initial week 1, deepening weeks 2–4, review week 5)
    as planned sessions, each on the first working day of its week at the calendar's
    opening time. Returns (session numbers, problems); nothing is written on a problem.

    With ``device`` (a serial no.) it is a new installation's programme: the device's
    customer (``customer`` may be blank) and courses for the device's model.
    """
    require(tr.may_manage(actor.role), "edit")
    if device:
        found = session.execute(
            select(Customer.id, Customer.code, Device.model_id)
            .join(Device, Device.customer_id == Customer.id)
            .where(Device.serial_no == device)
        ).all()
        if len(found) != 1:
            return [], [Problem("device", "err.unknown_ref", {"value": device})]
        customer_id, code, model_id = found[0]
        models = {model_id} if model_id is not None else set()
    else:
        found = session.execute(
            select(Customer.id, Customer.code).where(
                or_(Customer.code == customer, Customer.name == customer)
            )
        ).all()
        if len(found) != 1:
            return [], [Problem("customer", "err.unknown_ref", {"value": customer})]
        customer_id, code = found[0]
        models = set(
            session.scalars(
                select(Device.model_id).where(
                    Device.customer_id == customer_id, Device.model_id.is_not(None)
                )
            )
        )
    calendar = load_calendar(session)
    inserts = []
    numbers = _next_session_numbers(session, start.year, len(steps))
    for step, number in zip(steps, numbers, strict=True):
        course = _course_for(session, step.topic, models)
        if course is None:
            return [], [
                Problem("course", "training.err.no_customer_courses", {"value": step.topic})
            ]
        hours = float(course.hours or 4)
        slot = tr.first_working_slot(calendar.spans_on, start, step.week, hours)
        if slot is None:
            return [], [Problem("starts_at", "training.err.no_working_day", {"week": step.week})]
        inserts.append(
            {
                "session_no": number,
                "course": course.code,
                "customer": code,
                "phase": str(step.phase),
                "trainer": trainer,
                "starts_at": slot[0],
                "ends_at": slot[1],
                "capacity": capacity,
                "status": str(tr.SessionStatus.PLANNED),
            }
        )
    result = save_changes(
        session, "training_sessions", inserts=inserts, updates=[], deletes=[], actor=actor, now=now
    )
    if result.problems:
        return [], list(result.problems)
    return [i["session_no"] for i in inserts], []


def new_installations(session: Session, today: dt.date, days: int = 90) -> list[dict[str, Any]]:
    """Devices installed in the last ``days`` days whose customer has had no training
    session since: the new installations still owed their programme, newest first."""
    since = today - dt.timedelta(days=days)
    trained = exists().where(
        TrainingSession.customer_id == Device.customer_id,
        TrainingSession.status != tr.SessionStatus.CANCELLED,
        func.date(TrainingSession.starts_at) >= Device.install_date,
    )
    query = (
        select(
            Device.serial_no,
            Device.install_date,
            Customer.code.label("customer_code"),
            Customer.name.label("customer"),
            ProductModel.code.label("model"),
        )
        .join(Customer, Customer.id == Device.customer_id)
        .outerjoin(ProductModel, ProductModel.id == Device.model_id)
        .where(Device.install_date >= since, Device.install_date <= today, ~trained)
        .order_by(Device.install_date.desc(), Device.serial_no)
    )
    return [dict(r._mapping) for r in session.execute(query)]


# ---------------------------------------------------------------- sign-in sheets (SQL)
# the pipeline that takes a sheet into a session's lines is imports.sign_in


def sign_in_target(session: Session, session_no: str) -> Any:
    """The session a sheet goes into: ``id``, ``customer_id``, ``capacity`` and its
    course ``code`` (None: no such session)."""
    return session.execute(
        select(S.id, S.customer_id, S.capacity, C.code)
        .join(C, C.id == S.course_id)
        .where(S.session_no == session_no)
    ).first()


def customer_code(session: Session, customer_id: int | None) -> str | None:
    return session.scalar(select(Customer.code).where(Customer.id == customer_id))


def attendees(session: Session, customer_id: int | None) -> list[tr.Person]:
    """Everyone a sheet's name may mean: the customer's contacts, the staff, and people
    without a log-in earlier sheets named for the same customer."""
    people: list[tr.Person] = []
    code = None
    if customer_id is not None:
        code = session.scalar(select(Customer.code).where(Customer.id == customer_id))
        for name, phone, title in session.execute(
            select(Contact.name, Contact.phone, Contact.title).where(
                Contact.customer_id == customer_id
            )
        ):
            people.append(tr.Person(tr.AttendeeKind.CONTACT, name, code, None, phone, title))
    for username, name, phone in session.execute(
        select(User.username, User.display_name, User.phone).where(User.is_active.is_(True))
    ):
        people.append(tr.Person(tr.AttendeeKind.STAFF, name, None, username, phone))
    guests = select(A.name, A.phone, A.job).where(A.kind == tr.AttendeeKind.GUEST)
    guests = guests.where(
        A.customer_id == customer_id if customer_id is not None else A.customer_id.is_(None)
    )
    for name, phone, job in session.execute(guests.distinct()):
        people.append(tr.Person(tr.AttendeeKind.GUEST, name, code, None, phone, job))
    return people
