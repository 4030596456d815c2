"""The dashboard's daily rollup: exact sums of the additive ticket measures per day of
receipt and per value of no, one, two or three breakdown dimensions (migration 0017;
0027 added the third).

A day's rows are recomputed from that day's tickets, with the very measure expressions
of :mod:`data_access.dashboard`, whenever a write touched it: database triggers append
what changed to ``dashboard_dirty`` on every write path. Readers never trust a dirty
day: :func:`sums` takes the clean days from the rollup and computes the dirty ones live
(:func:`refresh`, run in a write transaction, folds them in). When the rollup was made
with another first-time-fix window than the setting's, or more than
:data:`MAX_LIVE_DAYS` days of the period are dirty, :func:`sums` answers None and the
caller computes directly.

Served: at most three dimensions in all, filters and the breakdown together: up to three
filters, two with a breakdown or the engineer table, and the trend per day under up to
three. Four or more go direct. The ratings (CSAT, satisfaction) are summed per day
rated, the ticket's latest ones only (not ``superseded``, migration 0020); a period's
superseded ratings still latest within it are read live. The key-part lines (issued within 72 h or not) count per day of their
ticket's receipt under the ticket's values (migration 0026). Not additive, hence always
direct: the tickets overdue (they depend on the clock), complaints, visits, training and
the installed devices.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cache
from itertools import combinations
from typing import Any

from sqlalchemy import (
    Date,
    Engine,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from data_access import dashboard_measures as DB
from data_access import db
from data_access.errors import Refused
from data_access.models import (
    ROLLUP_COUNTS,
    ROLLUP_SUMS,
    Customer,
    DashboardDaily,
    DashboardDirty,
    DashboardRollupState,
    Device,
    FollowUpRating,
    Part,
    ProductModel,
    ServiceReport,
    StockMovement,
    Ticket,
    TicketPart,
)
from rules import dashboard as K

MEASURES = (*ROLLUP_COUNTS, *ROLLUP_SUMS, "labour_hours")
# grouping sets kept: none, each dimension, each pair and each triple (in the order of
# K.DIMENSIONS): two filters with a breakdown, or the engineer table under two filters
DEPTH = 3
GROUPINGS: tuple[tuple[str, ...], ...] = tuple(
    dims for n in range(DEPTH + 1) for dims in combinations(K.DIMENSIONS, n)
)
_VALUES = ("v1", "v2", "v3")
# more dirty days than this in a period: computing the period directly is as quick
MAX_LIVE_DAYS = 31
# a dirty log longer than this (a large import, a demo load): readers compute directly
# and a refresh rebuilds the whole rollup in one pass rather than day by day
MAX_LOG = 20_000
_FIELD = {"region": "region", "engineer_id": "engineer", "customer_grade": "customer_grade",
          "product_model": "product_model", "service_type": "service_type",
          "channel": "channel"}  # fmt: skip
_LOCK = 7216017  # PostgreSQL advisory lock of the refresh


def _day(session: Session, moment: Any):
    if DB._sqlite(session):
        return func.date(moment)
    return cast(moment, Date)


def _dims() -> dict[str, Any]:
    return {
        "region": Customer.region, "customer_grade": Customer.grade,
        "engineer": Ticket.engineer_id, "product_model": Device.model_id,
        "service_type": Ticket.service_type, "channel": Ticket.channel,
    }  # fmt: skip


def _columns(day: Any, given: dict[str, Any]) -> list:
    """Day, the six dimensions and every measure, in one order for both cubes (a measure
    a cube does not give is 0 or NULL)."""
    dims = _dims()
    cols = [day.label("day"), *(c.label(name) for name, c in dims.items())]
    for m in MEASURES:
        if m in given:
            cols.append(given[m].label(m))
        elif m in ROLLUP_COUNTS:
            cols.append(literal_column("0", Integer).label(m))
        else:
            cols.append(cast(None, Numeric(14, 2) if m == "labour_hours" else Float).label(m))
    return cols


def _by_dimensions(stmt: Any, day: Any, where: list) -> Any:
    """``stmt`` (rows joined to their ticket) joined to the ticket's customer and
    device, narrowed by ``where`` and grouped per day and the six dimensions."""
    return (
        stmt.outerjoin(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(Device, Device.id == Ticket.device_id)
        .where(*where)
        .group_by(day, *_dims().values())
    )


def _ticket_cube(session: Session, repeat_days: int, where: list):
    """Per day of receipt and combination of the six dimensions, the measure sums of the
    tickets ``where`` selects."""
    now = dt.datetime(2000, 1, 1)  # only "overdue" reads the clock, and it is left out
    tm = DB.ticket_measures(session, now, repeat_days)
    tm.pop("tickets_overdue")
    measures = {**tm, **DB.report_measures()}
    day = _day(session, Ticket.received_at)
    given = {
        "rows": func.count(Ticket.id),
        "reports": func.count(ServiceReport.id),
        "failure_repairs": func.sum(case((and_(Ticket.service_type == K.FAILURE_SERVICE_TYPE,
                                               Ticket.device_id.is_not(None)), 1), else_=0)),
        "labour_hours": func.sum(ServiceReport.labour_hours),
        **{c.name: c.element for c in DB._aggregate(measures)},
    }  # fmt: skip
    return _by_dimensions(
        select(*_columns(day, given))
        .select_from(Ticket)
        .outerjoin(ServiceReport, ServiceReport.ticket_id == Ticket.id),
        day,
        where,
    )


def _rating_cube(session: Session, where: list):
    """Per day rated and combination of the six dimensions (the ticket's), the rating
    sums of the ratings ``where`` selects (of a ticket)."""
    r = FollowUpRating
    day = _day(session, r.rated_at)
    stmt = select(*_columns(day, DB.rating_sums())).select_from(r)
    return _by_dimensions(stmt.join(Ticket, Ticket.id == r.ticket_id), day, where)


def _parts_cube(session: Session, where: list):
    """Per day of receipt and combination of the six dimensions (the ticket's), the
    key-part lines of the tickets ``where`` selects and those issued within 72 h."""
    counted = case((DB.key_part_within(session), 1), else_=0)
    given = {"key_parts_72h__d": func.count(TicketPart.id),
             "key_parts_72h__n": func.coalesce(func.sum(counted), 0)}  # fmt: skip
    day = _day(session, Ticket.received_at)
    return _by_dimensions(
        select(*_columns(day, given))
        .select_from(TicketPart)
        .join(Part, Part.id == TicketPart.part_id)
        .join(Ticket, Ticket.id == TicketPart.ticket_id)
        .outerjoin(StockMovement, StockMovement.id == TicketPart.movement_id),
        day,
        [Part.is_key.is_(True), *where],
    )


def _not_superseded() -> Any:
    return FollowUpRating.superseded == False  # noqa: E712 (SQL)


def _superseded() -> Any:
    return FollowUpRating.superseded == True  # noqa: E712 (SQL, as the partial index)


def _cube(session: Session, repeat_days: int, days: set[dt.date] | None):
    """The cubes over ``days`` (None: every day): the tickets received, their key-part
    lines and the ratings given then that are their ticket's latest."""
    ranges = None if days is None else tuple(_ranges(days))
    return DB.built(session, ("cube", repeat_days, ranges),
                  lambda: _make_cube(session, repeat_days, days))  # fmt: skip


def _make_cube(session: Session, repeat_days: int, days: set[dt.date] | None):
    rated = [FollowUpRating.ticket_id.is_not(None), _not_superseded()]
    if days is not None:
        rated += _on_days(days, FollowUpRating.rated_at)
    received = [] if days is None else _on_days(days)
    return union_all(
        _ticket_cube(session, repeat_days, received),
        _parts_cube(session, received),
        _rating_cube(session, rated),
    )


def _any_superseded(session: Session, period: DB.Period) -> bool:
    """Whether the period holds a superseded rating (the partial index; usually none)."""
    r = FollowUpRating
    start, end = period.bounds()
    found = select(r.id).where(_superseded(), r.rated_at >= start, r.rated_at < end).limit(1)
    return session.scalar(found) is not None


def _superseded_cube(session: Session, period: DB.Period):
    """The rating sums of the period's superseded ratings that are still their ticket's
    latest within the period (few: the rollup leaves every superseded rating out)."""
    r = FollowUpRating
    start, end = period.bounds()
    return DB.built(session, ("superseded", start, end), lambda: _rating_cube(
        session, [r.ticket_id.is_not(None), _superseded(), r.rated_at >= start,
                  r.rated_at < end, DB.latest_in_period(period)]))  # fmt: skip


def _ranges(days: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as inclusive ranges."""
    out: list[tuple[dt.date, dt.date]] = []
    for d in sorted(days):
        if out and out[-1][1] + dt.timedelta(days=1) == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _on_days(days: set[dt.date], moment: Any = Ticket.received_at) -> list:
    """Rows whose ``moment`` falls on ``days`` (ranges: its index serves them)."""
    parts = [
        and_(moment >= dt.datetime.combine(a, dt.time()),
             moment < dt.datetime.combine(b + dt.timedelta(days=1), dt.time()))
        for a, b in _ranges(days)
    ]  # fmt: skip
    return [or_(*parts)] if parts else [moment.is_(None)]


def _fill(session: Session, repeat_days: int, days: set[dt.date] | None) -> None:
    cube = _cube(session, repeat_days, days).cte("cube").prefix_with("MATERIALIZED")
    sums = [c for c in MEASURES if c != "labour_hours"]
    selects = []
    for dims in GROUPINGS:
        keys = [cast(cube.c[d], String(100)) for d in dims]
        v = [*keys, *([literal(None, String(100))] * (DEPTH - len(keys)))]
        selects.append(
            select(
                cube.c.day, literal(",".join(dims), String(60)), *v,
                *(func.coalesce(func.sum(cube.c[m]), 0) if m in ROLLUP_COUNTS
                  else func.sum(cube.c[m]) for m in sums),
                func.sum(cube.c.labour_hours),
            ).group_by(cube.c.day, *keys)
        )  # fmt: skip
    target = ["day", "dims", *_VALUES, *sums, "labour_hours"]
    fill = insert(DashboardDaily).from_select(target, union_all(*selects))
    # run once per refresh, its shape set by the dirty days' ranges: kept out of the
    # engine's compiled-SQL cache, where each shape held about 5 MB and pushed out the
    # pages' statements
    session.execute(fill, execution_options={"compiled_cache": None})


def _state(session: Session) -> int | None:
    return session.scalar(select(DashboardRollupState.ftf_repeat_days).limit(1))


def rebuild(session: Session) -> None:
    """The whole rollup, from every ticket (the migration; a changed first-time-fix
    window)."""
    repeat_days = DB.ftf_repeat_days(session)
    session.execute(delete(DashboardDaily))
    session.execute(delete(DashboardDirty))
    session.execute(delete(DashboardRollupState))
    _fill(session, repeat_days, None)
    session.add(DashboardRollupState(id=1, ftf_repeat_days=repeat_days))
    session.flush()


def _log_size(session: Session) -> int:
    """At most this many rows in the dirty log (ids only grow; a refresh deletes a
    prefix)."""
    low, high = session.execute(
        select(func.min(DashboardDirty.id), func.max(DashboardDirty.id))
    ).one()
    return 0 if high is None else high - low + 1


def dirty_days(session: Session, repeat_days: int, upto: int | None = None) -> set[dt.date]:
    """The days whose rollup rows a write has made stale (log rows up to id ``upto``)."""
    d = DashboardDirty
    cap = [d.id <= upto] if upto is not None else []
    if session.scalar(select(d.id).where(*cap).limit(1)) is None:
        return set()
    day = _day(session, Ticket.received_at)
    later = or_(d.at.is_(None), and_(Ticket.received_at <= d.at,
                                     d.at <= DB._plus_days(session, Ticket.resolved_at,
                                                           repeat_days)))  # fmt: skip
    r = FollowUpRating
    rated = _day(session, r.rated_at)
    stmt = union_all(
        select(d.day.label("day")).where(d.day.is_not(None), *cap),
        select(day).join(d, d.device_id == Ticket.device_id).where(later, *cap),
        select(day).join(d, d.customer_id == Ticket.customer_id).where(*cap),
        # the ratings of those tickets count under the customer's or the device's values
        select(rated).join(Ticket, Ticket.id == r.ticket_id)
        .join(d, d.customer_id == Ticket.customer_id).where(*cap),
        select(rated).join(Ticket, Ticket.id == r.ticket_id)
        .join(d, d.device_id == Ticket.device_id).where(d.at.is_(None), *cap),
    )  # fmt: skip
    return {DB._as_date(x) for (x,) in session.execute(stmt) if x is not None}


def refresh(session: Session) -> int:
    """Fold what was written since the last refresh into the rollup (call in a write
    transaction); returns the number of days recomputed."""
    if not DB._sqlite(session):
        session.execute(select(func.pg_advisory_xact_lock(_LOCK)))
    repeat_days = DB.ftf_repeat_days(session)
    if _state(session) != repeat_days or _log_size(session) > MAX_LOG:
        rebuild(session)
        return -1
    upto = session.scalar(select(func.max(DashboardDirty.id)))
    if upto is None:
        return 0
    days = dirty_days(session, repeat_days, upto)
    for a, b in _ranges(days):
        session.execute(delete(DashboardDaily).where(DashboardDaily.day >= a,
                                                     DashboardDaily.day <= b))  # fmt: skip
    if days:
        _fill(session, repeat_days, days)
    session.execute(delete(DashboardDirty).where(DashboardDirty.id <= upto))
    return len(days)


REFRESH_WAIT_MS = 200  # SQLite: how long a refresh waits for another writer


def refresh_now(engine: Engine) -> int | None:
    """:func:`refresh` in its own write transaction; None when another writer holds
    the database (a long import): on SQLite it waits :data:`REFRESH_WAIT_MS`, not the
    usual busy timeout, so a page is not held up — readers compute the dirty days live
    meanwhile."""
    sqlite = db.is_sqlite(engine)
    try:
        with engine.execution_options(sqlite_write=True).connect() as conn:
            raw = conn.connection.driver_connection if sqlite else None
            if raw is not None:  # before the transaction begins (BEGIN IMMEDIATE waits)
                raw.execute(f"PRAGMA busy_timeout={REFRESH_WAIT_MS}")
            try:
                with Session(bind=conn) as session, session.begin():
                    return refresh(session)
            finally:
                if raw is not None:
                    raw.execute(f"PRAGMA busy_timeout={db.BUSY_TIMEOUT_MS}")
    except (OperationalError, Refused):
        return None


# PostgreSQL: a rollup table holding more dead rows than this is vacuumed by the ticker
# (a refresh after a bulk load deletes the whole dirty log; a rebuild, the whole rollup).
# Until then every read of the log steps over them: 60-95 ms a query, several queries a
# render, at 1,000,000 tickets after a demo load, against under 1 ms once vacuumed.
DEAD_ROWS = 10_000
_TABLES = ("dashboard_dirty", "dashboard_daily")


def vacuum(engine: Engine) -> list[str]:
    """PostgreSQL: ``VACUUM (ANALYZE)`` the rollup's tables that hold more than
    :data:`DEAD_ROWS` dead rows (autovacuum off or behind); the tables vacuumed. One
    already being vacuumed (another app instance's ticker) is skipped."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        dead = list(conn.scalars(
            text("SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                 "AND relname = ANY(:tables) AND n_dead_tup > :n ORDER BY relname"),
            {"tables": list(_TABLES), "n": DEAD_ROWS},
        ))  # fmt: skip
    if dead:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in dead:  # names from _TABLES only
                conn.exec_driver_sql(f"VACUUM (ANALYZE, SKIP_LOCKED) {table}")
    return dead


# ---------------------------------------------------------------- reading
class Sums(dict):
    """Measure sums with attribute access (what ``dashboard._figure`` reads)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _wanted(f: DB.Filters) -> dict[str, Any]:
    return {_FIELD[k]: getattr(f, k) for k in sorted(f.given())}


def _model_ids(session: Session, code: str) -> list[str]:
    return [str(i) for i in session.scalars(select(ProductModel.id).where(
        ProductModel.code == code))]  # fmt: skip


def _add(into: dict, row: Any) -> None:
    for m in MEASURES:
        value = row[m]
        if value is None:
            continue
        into[m] = value if into.get(m) is None else into[m] + value


@cache
def _rollup_sums() -> tuple:
    """``sum(<measure>)`` of every rollup column, built once (a statement's columns are
    immutable; building them cost more than the rollup's query)."""
    return tuple(func.sum(getattr(DashboardDaily, m)).label(m) for m in MEASURES)


def sums(
    session: Session, period: DB.Period, f: DB.Filters, group: str | None = None,
    by_day: bool = False,
) -> dict[Any, Sums] | None:  # fmt: skip
    """Measure sums of the period's tickets under ``f``, per value of dimension
    ``group`` (key None without one) or per day; None when the rollup cannot answer
    exactly (see the module's docstring)."""
    wanted = _wanted(f)
    dims = sorted(set(wanted) | ({group} if group else set()), key=K.DIMENSIONS.index)
    if len(dims) > DEPTH:
        return None
    repeat_days = DB.ftf_repeat_days(session)
    if _state(session) != repeat_days or _log_size(session) > MAX_LOG:
        return None
    dirty = {d for d in dirty_days(session, repeat_days) if period.start <= d <= period.end}
    if len(dirty) > MAX_LIVE_DAYS:
        return None
    values: dict[str, list[str | None]] = {}
    for dim, value in wanted.items():
        if dim == "product_model":
            values[dim] = _model_ids(session, value)
        else:
            values[dim] = [str(value)]
    out: dict[Any, Sums] = defaultdict(Sums)
    # clean days from the rollup
    r = DashboardDaily
    cols = {dim: getattr(r, _VALUES[i]) for i, dim in enumerate(dims)}
    where = [r.dims == ",".join(dims), r.day >= period.start, r.day <= period.end]
    where += [cols[dim].in_(vals) for dim, vals in values.items()]
    for a, b in _ranges(dirty):
        where.append(~and_(r.day >= a, r.day <= b))
    keys = ([cols[group]] if group else []) + ([r.day] if by_day else [])
    stmt = select(*keys, *_rollup_sums()).where(*where)
    for row in session.execute(stmt.group_by(*keys)).mappings():
        if row["rows"] is None:
            continue  # no rows at all (an aggregate without GROUP BY)
        key = _key(row, group, by_day)
        _add(out[key], row)
    # dirty days live, from the tickets and ratings; the period's superseded ratings
    # that are still their ticket's latest within it (never in the rollup)
    live = [_superseded_cube(session, period)] if _any_superseded(session, period) else []
    if dirty:
        live.append(_cube(session, repeat_days, dirty))
    for part in live:
        for row in session.execute(part).mappings():
            keep = all(
                (None if row[dim] is None else str(row[dim])) in vals
                for dim, vals in values.items()
            )
            if not keep:
                continue
            g = None if group is None else row[group]
            g = None if g is None else str(g)
            key = DB._as_date(row["day"]) if by_day else g
            _add(out[key], row)
    for item in out.values():
        as_direct(item)
    return dict(out)


_REPORT_SUMS = tuple(f"{k}__{p}" for k in ("repair_success", "work_order_accuracy",
                                          "diagnosis_accuracy") for p in "nd")  # fmt: skip
_COUNTED = ("rows", "reports", "failure_repairs", "ratings", "ratings_satisfied",
            "key_parts_72h__d", "key_parts_72h__n")  # fmt: skip


def as_direct(item: Sums) -> Sums:
    """The sums as the direct aggregates give them: counts as integers; a measure's sums
    NULL when no ticket (no report) was aggregated — the rollup's rows that hold only
    ratings add zeros."""
    for m in MEASURES:
        item.setdefault(m, None)
    for m in ROLLUP_COUNTS:
        item[m] = int(item[m] or 0)
    for m in ROLLUP_COUNTS:
        if m not in _COUNTED and (not item["rows"] or m in _REPORT_SUMS and not item["reports"]):
            item[m] = None
    return item


def _key(row: Any, group: str | None, by_day: bool) -> Any:
    if by_day:
        return DB._as_date(row["day"])
    if group:
        return next(row[v] for v in _VALUES if v in row)
    return None
