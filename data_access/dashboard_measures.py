"""The dashboard's building blocks: its filters and periods, the WHERE clauses they
make, and each KPI's *measure* (which rows count, which are in the numerator, what is
averaged) over the tickets and service reports. Shared by the figures
(:mod:`data_access.dashboard`) and the daily rollup (:mod:`data_access.dashboard_rollup`),
so both aggregate the very same expressions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from data_access.errors import InvalidInput, NotAllowed
from data_access.models import (
    Customer,
    Device,
    FollowUpRating,
    ProductModel,
    ServiceReport,
    Setting,
    StockMovement,
    Ticket,
)
from data_access.ticket_queries import sla_state_is
from rules import dashboard as K
from rules.access import Acting
from rules.fields import Problem
from rules.tickets import FINISHED, OPEN, SlaState

DONE = tuple(sorted(FINISHED))
OPEN_STATUSES = tuple(sorted(OPEN))
RESOLVED = ("repaired", "accepted", "closed")  # FINISHED but cancelled


# ---------------------------------------------------------------- input
@dataclass(frozen=True)
class Filters:
    """Every field optional; an engineer is always narrowed to himself."""

    region: str | None = None
    engineer_id: int | None = None
    customer_grade: str | None = None
    product_model: str | None = None  # product_models.code
    service_type: str | None = None
    channel: str | None = None

    def given(self) -> set[str]:
        return {k for k in _FILTER_FIELDS if getattr(self, k) is not None}


_FILTER_FIELDS = ("region", "engineer_id", "customer_grade", "product_model", "service_type",
                  "channel")  # fmt: skip


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """``[start 00:00, end + 1 day 00:00)``."""
        return (
            dt.datetime.combine(self.start, dt.time()),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()),
        )

    def previous(self) -> Period:
        return Period(*K.previous_period(self.start, self.end))


@dataclass(frozen=True)
class DrillPage:
    columns: tuple[str, ...]  # field names; the page translates "drill.col.<name>"
    rows: list[dict]  # plain values; includes "counted" (in the numerator)
    next_after: str | None  # opaque keyset cursor; None on the last page


# ---------------------------------------------------------------- who sees what
def _scope(actor: Acting, filters: Filters) -> tuple[tuple[K.Kpi, ...], Filters]:
    """The KPIs ``actor`` sees and the filters narrowed to him when he sees only his own."""
    kpis = K.visible(actor.role)
    if not kpis:
        raise NotAllowed("view", "dashboard")
    if actor.role in K.OWN_FIGURES_ONLY:
        filters = replace(filters, engineer_id=actor.id if actor.id is not None else -1)
    return kpis, filters


def _check(period: Period) -> None:
    problems = K.check_period(period.start, period.end)
    if problems:
        raise InvalidInput(problems)


def _require_kpi(actor: Acting, key: str) -> K.Kpi:
    kpi = K.KPI_BY_KEY.get(key)
    if kpi is None:
        raise InvalidInput([Problem("kpi", "dashboard.err.unknown_kpi", {"key": key})])
    if actor.role not in kpi.seen_by:
        raise NotAllowed("view", f"dashboard.{key}")
    return kpi


# ---------------------------------------------------------------- settings
def _setting(session: Session, key: str) -> Any:
    return session.scalar(select(Setting.value).where(Setting.key == key))


def targets(session: Session) -> dict[str, float | None]:
    """Every KPI's target: the default of rules.dashboard, overridden by the setting
    ``dashboard.target.<key>`` (a number, or null for "no target")."""
    keys = {K.TARGET_SETTING.format(key=k.key): k.key for k in K.KPIS}
    found = dict(
        session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all()
    )
    out: dict[str, float | None] = {}
    for setting, key in keys.items():
        if setting in found:
            value = found[setting]
            out[key] = float(value) if isinstance(value, int | float) else None
        else:
            out[key] = K.KPI_BY_KEY[key].target
    return out


def ftf_repeat_days(session: Session) -> int:
    value = _setting(session, K.FTF_DAYS_SETTING)
    return value if isinstance(value, int) and value >= 0 else K.FTF_REPEAT_DAYS


# ---------------------------------------------------------------- dialect helpers
def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """`end - start` in seconds, in the dialect's own date arithmetic."""
    if _sqlite(session):
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _plus_days(session: Session, moment: Any, days: int) -> ColumnElement:
    if _sqlite(session):
        return func.datetime(moment, f"+{int(days)} days")
    return moment + dt.timedelta(days=days)


def _bucket(session: Session, moment: Any, grain: str) -> ColumnElement:
    """The first day of ``moment``'s week (Monday) or month."""
    if _sqlite(session):
        if grain == "week":
            return func.date(moment, "-6 days", "weekday 1")
        return func.date(moment, "start of month")
    return cast(func.date_trunc(grain, moment), Date)


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


# ---------------------------------------------------------------- filters per domain
def _customers_where(f: Filters) -> list[ColumnElement[bool]]:
    c = []
    if f.region is not None:
        c.append(Customer.region == f.region)
    if f.customer_grade is not None:
        c.append(Customer.grade == f.customer_grade)
    return c


def _customer_in(column: Any, f: Filters, ranged: bool = False) -> list[ColumnElement[bool]]:
    """``ranged``: the rows are also narrowed to a period by an indexed date: the
    column is wrapped (``+ 0``) so that the planner walks the date's index rather than
    the customer's, across all time (measured at 1M tickets: 0.17 s instead of 0.87 s
    for a region)."""
    where = _customers_where(f)
    if not where:
        return []
    return [(column + 0 if ranged else column).in_(select(Customer.id).where(*where))]


def _model_ids(code: str):
    return select(ProductModel.id).where(ProductModel.code == code)


def _ticket_where(f: Filters, ranged: bool = False) -> list[ColumnElement[bool]]:
    """``ranged``: with a period on received_at (see :func:`_customer_in`)."""
    c = _customer_in(Ticket.customer_id, f, ranged)
    if f.engineer_id is not None:
        c.append(Ticket.engineer_id == f.engineer_id)
    if f.product_model is not None:
        device = Ticket.device_id + 0 if ranged else Ticket.device_id
        devices = select(Device.id).where(Device.model_id.in_(_model_ids(f.product_model)))
        c.append(device.in_(devices))
    if f.service_type is not None:
        c.append(Ticket.service_type == f.service_type)
    if f.channel is not None:
        c.append(Ticket.channel == f.channel)
    return c


def _tickets_in(period: Period) -> list[ColumnElement[bool]]:
    start, end = period.bounds()
    return [Ticket.received_at >= start, Ticket.received_at < end]


# ---------------------------------------------------------------- ticket measures
@dataclass(frozen=True)
class Measure:
    """A KPI over one domain's rows: ``base`` selects the denominator's rows; a ratio
    counts ``counted`` among them, a mean averages ``value`` over them, a count counts
    them."""

    kind: str  # "count" | "ratio" | "mean"
    base: ColumnElement[bool]
    counted: ColumnElement[bool] | None = None
    value: ColumnElement | None = None
    scale: float = 1.0  # value → unit (seconds → minutes: 1/60)
    percent: bool = True  # a ratio in percent


def _resolved() -> ColumnElement[bool]:
    return and_(Ticket.status.in_(RESOLVED), Ticket.resolution_business_s.is_not(None))


def _repeat_on_device(session: Session, days: int) -> ColumnElement[bool]:
    """Another ticket on the same device, received from this one's receipt until
    ``days`` days after it was resolved."""
    other = aliased(Ticket)
    return exists().where(
        other.device_id == Ticket.device_id,
        other.id != Ticket.id,
        other.received_at >= Ticket.received_at,
        other.received_at <= _plus_days(session, Ticket.resolved_at, days),
    )


_BUILT: dict[tuple, Any] = {}  # expressions and statements, per dialect and inputs


def built(session: Session, key: tuple, make: Callable[[], Any]) -> Any:
    """What ``make`` builds, kept per dialect and ``key`` (at most 64 kept): expressions
    and statements are immutable, and building them costs more than a render's queries."""
    key = (session.get_bind().dialect.name, *key)
    made = _BUILT.get(key)
    if made is None:
        if len(_BUILT) > 64:
            _BUILT.clear()
        made = _BUILT[key] = make()
    return made


def ticket_measures(session: Session, now: dt.datetime, repeat_days: int) -> dict[str, Measure]:
    """The ticket KPIs, as expressions over the ``tickets`` row. Built once per dialect,
    clock and window (a render asks for them several times)."""
    key = ("ticket measures", now, repeat_days)
    return dict(built(session, key, lambda: _ticket_measures(session, now, repeat_days)))


def _ticket_measures(session: Session, now: dt.datetime, repeat_days: int) -> dict[str, Measure]:
    responded = Ticket.responded_at.is_not(None)
    resolved = _resolved()
    ftf = and_(
        Ticket.first_time_fix.is_(True),
        or_(Ticket.device_id.is_(None), ~_repeat_on_device(session, repeat_days)),
    )
    wall_response = seconds_between(session, Ticket.received_at, Ticket.responded_at)
    wall_resolution = seconds_between(session, Ticket.received_at, Ticket.resolved_at)
    return {
        "tickets_received": Measure("count", true()),
        "tickets_open": Measure("count", Ticket.status.in_(OPEN_STATUSES)),
        "tickets_overdue": Measure("count", sla_state_is(SlaState.OVERDUE, now)),
        "first_response_min": Measure(
            "mean",
            Ticket.response_business_s.is_not(None),
            value=Ticket.response_business_s,
            scale=1 / 60,
        ),  # fmt: skip
        "first_response_wall_min": Measure("mean", responded, value=wall_response, scale=1 / 60),
        "resolution_h": Measure(
            "mean", resolved, value=Ticket.resolution_business_s, scale=1 / 3600
        ),  # fmt: skip
        "resolution_wall_h": Measure(
            "mean",
            and_(resolved, Ticket.resolved_at.is_not(None)),
            value=wall_resolution,
            scale=1 / 3600,
        ),  # fmt: skip
        "response_compliance": Measure(
            "ratio",
            and_(responded, Ticket.respond_due.is_not(None)),
            counted=Ticket.responded_at <= Ticket.respond_due,
        ),  # fmt: skip
        "on_time_repair": Measure(
            "ratio",
            and_(resolved, Ticket.resolved_at.is_not(None), Ticket.resolve_due.is_not(None)),
            counted=Ticket.resolved_at <= Ticket.resolve_due,
        ),  # fmt: skip
        "first_time_fix": Measure("ratio", resolved, counted=ftf),
    }


def _report_complete() -> ColumnElement[bool]:
    return and_(*(getattr(ServiceReport, name).is_not(None) for name in K.REPORT_REQUIRED),
                func.trim(ServiceReport.work_done) != "",
                func.trim(ServiceReport.diagnosis) != "")  # fmt: skip


def report_measures() -> dict[str, Measure]:
    """KPIs of the service reports (joined to their ticket)."""
    has_report = ServiceReport.id.is_not(None)
    return {
        "repair_success": Measure(
            "ratio",
            and_(_resolved(), has_report, ServiceReport.result.is_not(None)),
            counted=ServiceReport.result.in_(K.SUCCESS_RESULTS),
        ),  # fmt: skip
        "work_order_accuracy": Measure(
            "ratio",
            has_report,
            counted=and_(_report_complete(), ServiceReport.corrected_at.is_(None)),
        ),  # fmt: skip
        "diagnosis_accuracy": Measure(
            "ratio",
            and_(
                has_report,
                ServiceReport.fault_code_id.is_not(None),
                Ticket.fault_code_id.is_not(None),
            ),
            counted=ServiceReport.fault_code_id == Ticket.fault_code_id,
        ),  # fmt: skip
    }


# ---------------------------------------------------------------- key-part measures
def key_part_requested() -> ColumnElement:
    """When a key-part line was asked for: its issue's request time, else the ticket's
    receipt."""
    return func.coalesce(StockMovement.requested_at, Ticket.received_at)


def key_part_within(session: Session) -> ColumnElement[bool]:
    """A key-part line (``ticket_parts`` outer-joined to its issue) was issued from stock
    within :data:`rules.dashboard.KEY_PARTS_HOURS` of being asked for."""
    return and_(
        StockMovement.id.is_not(None),
        StockMovement.qty < 0,
        seconds_between(session, key_part_requested(), StockMovement.at)
        <= K.KEY_PARTS_HOURS * 3600,
    )


# ---------------------------------------------------------------- rating measures
def rating_sums() -> dict[str, ColumnElement]:
    """The sums CSAT and the share satisfied are made of, over ``followup_ratings`` rows
    (each ticket's latest rating of the period): the rollup's rating columns."""
    r = FollowUpRating
    return {
        "ratings": func.count(r.id),
        "rating_score": func.sum(cast(r.score, Float)),
        "ratings_satisfied": func.coalesce(
            func.sum(case((r.score >= K.SATISFIED_AT, 1), else_=0)), 0
        ),
    }


def latest_in_period(period: Period) -> ColumnElement[bool]:
    """A rating is its ticket's latest of ``period``: no later rating (higher id) of the
    same ticket was given in the period. True of every rating not superseded at all."""
    r, later = FollowUpRating, aliased(FollowUpRating)
    start, end = period.bounds()
    return ~exists().where(later.ticket_id == r.ticket_id, later.id > r.id,
                           later.rated_at >= start, later.rated_at < end)  # fmt: skip


def _aggregate(measures: dict[str, Measure]) -> list:
    cols = []
    for key, m in measures.items():
        if m.kind == "count":
            cols.append(func.sum(case((m.base, 1), else_=0)).label(f"{key}__n"))
            continue
        cols.append(func.sum(case((m.base, 1), else_=0)).label(f"{key}__d"))
        if m.kind == "ratio":
            cols.append(func.sum(case((and_(m.base, m.counted), 1), else_=0)).label(f"{key}__n"))
        else:
            cols.append(func.sum(case((m.base, cast(m.value, Float)), else_=None)).label(
                f"{key}__n"))  # fmt: skip
    return cols
