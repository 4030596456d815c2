"""Service KPI dashboard (domain.md §8): a card per KPI the reader's role sees, each
explained and drillable to the rows behind it; breakdowns by six dimensions, the
service-type table, trends with their targets, the engineer table, the 85% rule and
the monthly service report. UI only: figures from :mod:`data_access.dashboard`,
definitions from :mod:`rules.dashboard`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from data_access import dashboard as D
from data_access import db
from data_access import reports as monthly
from data_access.audit import record_export
from data_access.dashboard_filters import filter_choices
from data_access.dashboard_rollup import refresh_now
from data_access.errors import InvalidInput
from imports.monthly_report import (
    BREAKDOWN_COLUMNS,
    COLUMN_UNITS,
    ENGINEER_COLUMNS,
    group_label,
    met_text,
    target_text,
)
from imports.writer import write_plain
from pages.common import get_engine, guarded, in_lang, now, require, today, tr
from rules.access import Actor, Page, Role, can_view
from rules.dashboard import (
    DIMENSIONS,
    OWN_FIGURES_ONLY,
    Direction,
    Figure,
    Kpi,
    check_period,
    visible,
)
from rules.i18n import t
from rules.i18n.common import CHART_TIME_LOCALES

P = "dashboard."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TTL = 60  # seconds a period's figures are shared by every viewer of the same role
DRILL_PAGE = 50
MANAGERS = (Role.ADMIN, Role.MANAGER)
# the trend lines one can pick (the trend rows' keys that are KPIs)
TREND_KPIS = ("tickets_received", "first_response_min", "resolution_h", "response_compliance",
              "on_time_repair", "first_time_fix", "csat", "satisfaction_rate")  # fmt: skip
TREND_COLUMN = {"tickets_received": "tickets"}  # a KPI's column in the trend rows


# ---------------------------------------------------------------- formatting
def fmt(unit: str, value: float | None) -> str:
    """A figure as the card shows it; "—" when there is nothing to divide by."""
    if value is None:
        return "—"
    match unit:
        case "%":
            return f"{value:.1f}%"
        case "count":
            return f"{value:,.0f}"
        case "score":
            return f"{value:.2f}"
        case _:
            return f"{value:,.1f}"


def _plain_number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def fmt_change(unit: str, change: float | None) -> str | None:
    if change is None:
        return None
    sign = "+" if change >= 0 else "−"
    shown = fmt(unit, abs(change))
    return f"{sign}{shown}{' pp' if unit == '%' else ''}".replace("% pp", " pp")


def localized(chart: alt.TopLevelMixin, lang: str) -> alt.TopLevelMixin:
    """The chart with Vega's month and weekday names in ``lang`` (Vega defaults to
    English; Streamlit passes a chart's config through, not vega-embed options)."""
    time_locale = CHART_TIME_LOCALES.get(lang)
    return chart.configure(locale={"time": time_locale}) if time_locale else chart


# ---------------------------------------------------------------- cached reads
# Cache keys: the database, the reader (role and id: an engineer's figures are his own),
# the period, the filters (a tuple: hashable and stable) and the minute.
Key = tuple[str, str, int | None, dt.date, dt.date, tuple, dt.datetime]


def _args(key: Key) -> tuple[Actor, D.Period, D.Filters, dt.datetime]:
    _url, role, user_id, start, end, filters, at = key
    return Actor(user_id, role), D.Period(start, end), D.Filters(*filters), at


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def _figures(key: Key) -> dict[str, Figure]:
    actor, period, filters, at = _args(key)
    with db.read(get_engine()) as s:
        return D.figures(s, actor, period, filters, at)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=16)
def _refresh(url: str, at: dt.datetime) -> int | None:
    """Fold the writes since the last render into the dashboard's rollup (once a
    minute; the figures are exact without it, only slower)."""
    del url, at  # cache key only
    return refresh_now(get_engine())


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def _targets(url: str, at: dt.datetime) -> dict[str, float | None]:
    del url, at  # cache key only
    with db.read(get_engine()) as s:
        return D.targets(s)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def _breakdown(key: Key, dimension: str) -> list[dict]:
    actor, period, filters, _ = _args(key)
    with db.read(get_engine()) as s:
        return D.breakdown(s, actor, period, filters, dimension)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def _trend(key: Key, grain: str) -> list[dict]:
    actor, period, filters, _ = _args(key)
    with db.read(get_engine()) as s:
        return D.trend(s, actor, period, filters, grain)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def _engineers(key: Key) -> list[dict]:
    actor, period, filters, _ = _args(key)
    with db.read(get_engine()) as s:
        return D.engineers(s, actor, period, filters)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=64)
def _choices(url: str, role: str, user_id: int | None) -> dict[str, list]:
    del url  # cache key only
    with db.read(get_engine()) as s:
        return filter_choices(s, Actor(user_id, role))


def _options(unfiltered: Key) -> dict[str, list[tuple[Any, str | None]]]:
    """Each filter's choices: the small tables' values, and the service types the
    period holds (the unfiltered service-type table: one query the page makes anyway)."""
    choices = dict(_choices(unfiltered[0], unfiltered[1], unfiltered[2]))
    types = _breakdown(unfiltered, "service_type")
    choices["service_type"] = [(g["key"], g.get("label")) for g in types]
    return choices


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=256)
def _drill(key: Key, kpi: str, after: str | None) -> D.DrillPage:
    actor, period, filters, _ = _args(key)
    with db.read(get_engine()) as s:
        return D.drill(s, actor, kpi, period, filters, after=after, limit=DRILL_PAGE)


# ---------------------------------------------------------------- period and filters
FILTER_FIELDS = {  # dimension → field of data_access.dashboard.Filters
    "region": "region",
    "engineer": "engineer_id",
    "customer_grade": "customer_grade",
    "product_model": "product_model",
    "service_type": "service_type",
    "channel": "channel",
}


def pick_period() -> tuple[dt.date, dt.date] | None:
    day = today()
    chosen = st.date_input(
        tr("dashboard.period"),
        (day - dt.timedelta(days=89), day),
        format="YYYY-MM-DD",
        key=P + "period",
    )
    if not isinstance(chosen, tuple | list) or len(chosen) != 2:
        st.info(tr("dashboard.pick_end"))  # the second click of the range is still to come
        return None
    return chosen[0], chosen[1]


def pick_filters(user, lang: str, options: dict[str, list]) -> D.Filters:
    values: dict[str, Any] = {}
    dims = [d for d in DIMENSIONS if not (d == "engineer" and user.role == Role.ENGINEER)]
    every = tr("ui.all")  # format functions get the language bound, not read at call time
    with st.expander(tr("dashboard.filters"), expanded=False):
        cols = st.columns(3)
        for i, dimension in enumerate(dims):
            labels = {k: group_label(dimension, k, label, lang) for k, label in options[dimension]}
            chosen = cols[i % 3].selectbox(
                tr(f"dashboard.dim.{dimension}"),
                [None, *(k for k in labels if k is not None)],
                format_func=lambda k, labels=labels: every if k is None else labels[k],
                key=in_lang(P + f"filter.{dimension}", lang),
            )
            values[FILTER_FIELDS[dimension]] = chosen
    return D.Filters(**values)


def _key(user, start: dt.date, end: dt.date, filters: D.Filters) -> Key:
    return (db.database_url(), str(user.role), user.id, start, end,
            dataclasses.astuple(filters), now().replace(second=0, microsecond=0))  # fmt: skip


# ---------------------------------------------------------------- cards
def card(kpi: Kpi, fig: Figure, target: float | None, lang: str) -> None:
    """Value, change against the previous period, target and whether it is met (colour
    and sign and words), numerator / denominator, the formula in words, the drill button."""
    unit = str(kpi.unit)
    with st.container(border=True):
        st.metric(
            tr(f"kpi.{kpi.key}"),
            fmt(unit, fig.value),
            delta=fmt_change(unit, fig.change),
            delta_color="inverse" if kpi.direction is Direction.AT_MOST else "normal",
        )
        goal = target_text(kpi, target)
        if goal:
            met = kpi.met(fig.value, target)
            text = f"{tr('dashboard.target_label')} {goal}"
            if met is not None:
                text += f" · :{'green' if met else 'red'}[{met_text(met, lang)}]"
            st.markdown(text)
        num, den = _plain_number(fig.numerator), _plain_number(fig.denominator)
        ratio = f"{tr(f'kpi.{kpi.key}.num')}: {num}"
        if fig.denominator is not None or fig.value is None:
            ratio = f"{tr(f'kpi.{kpi.key}.num')} / {tr(f'kpi.{kpi.key}.den')}: {num} / {den}"
        st.caption(f"{ratio} · {tr('dashboard.previous')} {fmt(unit, fig.previous)}")
        st.caption(tr(f"kpi.{kpi.key}.formula"))
        if kpi.drill and st.button(tr("dashboard.drill"), key=P + f"drill.{kpi.key}",
                                   width="stretch"):  # fmt: skip
            st.session_state[P + "drill.kpi"] = kpi.key
            st.session_state[P + "drill.pages"] = [None]
            st.session_state.pop(P + "drill.export", None)


def cards(shown: list[Kpi], figures: dict[str, Figure], targets: dict, lang: str) -> None:
    cols = st.columns(4)
    for i, kpi in enumerate(shown):
        with cols[i % 4]:
            card(kpi, figures[kpi.key], targets.get(kpi.key, kpi.target), lang)


# ---------------------------------------------------------------- drill-down
def _drill_cells(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    frame.columns = [tr(f"drill.col.{c}") for c in columns]
    return frame


def drill_down(user, key: Key, lang: str) -> None:
    kpi_key = st.session_state.get(P + "drill.kpi")
    if kpi_key is None:
        return
    pages = st.session_state.setdefault(P + "drill.pages", [None])
    st.subheader(tr("dashboard.drill_title", kpi=tr(f"kpi.{kpi_key}")))
    page = _drill(key, kpi_key, pages[-1])
    if page.rows:
        st.dataframe(_drill_cells(page.rows, page.columns), hide_index=True)
    else:
        st.info(tr("ui.no_rows"))
    prev, where, nxt, close = st.columns([1, 2, 1, 1])
    if prev.button(tr("dashboard.prev"), key=P + "drill.prev", disabled=len(pages) <= 1):
        pages.pop()
        st.rerun()
    where.caption(tr("dashboard.drill_page", page=len(pages)))
    if nxt.button(tr("dashboard.next"), key=P + "drill.next", disabled=page.next_after is None):
        pages.append(page.next_after)
        st.rerun()
    if close.button(tr("dashboard.close"), key=P + "drill.close"):
        st.session_state.pop(P + "drill.kpi", None)
        st.rerun()
    _drill_export(user, key, kpi_key, lang)


def drill_export_bytes(user, key: Key, kpi_key: str, lang: str) -> tuple[bytes, int]:
    actor, period, filters, _ = _args(key)
    out = io.BytesIO()
    with db.read(get_engine()) as s:
        first = D.drill(s, actor, kpi_key, period, filters, limit=1)
        columns = first.columns
        rows = ([r.get(c) for c in columns]
                for r in D.drill_rows(s, actor, kpi_key, period, filters))  # fmt: skip
        headers = [tr(f"drill.col.{c}") for c in columns]
        n = write_plain(out, tr(f"kpi.{kpi_key}"), headers, rows, lang=lang)
    return out.getvalue(), n


def _drill_export(user, key: Key, kpi_key: str, lang: str) -> None:
    signature = (key[:-1], kpi_key, lang)  # not the minute: the rows are what was asked for
    file_name = f"{kpi_key}-{key[3]:%Y%m%d}-{key[4]:%Y%m%d}.xlsx"
    if st.button(tr("dashboard.export_rows"), key=P + "drill.export_build"):
        data, n = drill_export_bytes(user, key, kpi_key, lang)
        with db.write(get_engine()) as s:
            record_export(s, register=f"dashboard.{kpi_key}", rows=n,
                          selection={"period": [key[3], key[4]], "filters": key[5]},
                          user_id=user.id, now=now(), file_name=file_name)  # fmt: skip
        st.session_state[P + "drill.export"] = (signature, data)
    built = st.session_state.get(P + "drill.export")
    if built and built[0] == signature:
        st.download_button(tr("ui.download"), built[1], file_name=file_name, mime=XLSX,
                           key=P + "drill.download")  # fmt: skip


# ---------------------------------------------------------------- breakdowns and trends
def _table(rows: list[dict], dimension: str, columns: tuple[str, ...], lang: str) -> pd.DataFrame:
    data = [
        {tr(f"dashboard.dim.{dimension}"): group_label(dimension, r.get("key"), r.get("label"), lang),
         **{tr(f"dashboard.col.{c}"): _rounded(r.get(c), c) for c in columns}}
        for r in rows
    ]  # fmt: skip
    return pd.DataFrame(data)


def _rounded(value: Any, column: str) -> Any:
    if value is None:
        return None
    return round(float(value), 2 if COLUMN_UNITS.get(column) == "score" else 1)


def breakdowns(key: Key, lang: str) -> None:
    st.subheader(tr("dashboard.breakdowns"))
    dimension = (
        st.segmented_control(
            tr("dashboard.by"),
            DIMENSIONS,
            format_func=lambda d: t(f"dashboard.dim.{d}", lang),
            default="region",
            key=in_lang(P + "breakdown", lang),
        )
        or "region"
    )
    rows = _breakdown(key, dimension)
    if not rows:
        st.info(tr("ui.no_rows"))
        return
    st.dataframe(_table(rows, dimension, BREAKDOWN_COLUMNS, lang), hide_index=True)


def service_types(key: Key, lang: str) -> None:
    """Seed 000 §5.1.1: per service type the count, share, mean resolution hours and
    mean satisfaction."""
    st.subheader(tr("dashboard.service_table"))
    rows = _breakdown(key, "service_type")
    if rows:
        columns = ("tickets", "share", "resolution_h", "csat")
        st.dataframe(_table(rows, "service_type", columns, lang), hide_index=True)
    else:
        st.info(tr("ui.no_rows"))


def trends(key: Key, targets: dict, lang: str) -> None:
    st.subheader(tr("dashboard.trends"))
    left, right = st.columns(2)
    grain = left.segmented_control(
        tr("dashboard.grain"), ("week", "month"), default="week",
        format_func=lambda g: t(f"dashboard.grain.{g}", lang), key=in_lang(P + "grain", lang),
    ) or "week"  # fmt: skip
    shown = right.selectbox(
        tr("dashboard.trend_kpi"),
        TREND_KPIS,
        format_func=lambda k: t(f"kpi.{k}", lang),
        key=in_lang(P + "trend_kpi", lang),
    )
    rows = _trend(key, grain)
    column = TREND_COLUMN.get(shown, shown)
    frame = pd.DataFrame(
        [{"bucket": pd.Timestamp(r["bucket"]), "value": r.get(column)} for r in rows],
        columns=["bucket", "value"],
    )
    label = tr(f"kpi.{shown}")
    line = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("bucket:T", title=tr(f"dashboard.grain.{grain}"),
                    axis=alt.Axis(format=tr("chart.day_format") if grain == "week" else "%Y-%m")),
            y=alt.Y("value:Q", title=label),
            tooltip=[alt.Tooltip("bucket:T", title=tr(f"dashboard.grain.{grain}")),
                     alt.Tooltip("value:Q", title=label, format=".2f")],
        )
    )  # fmt: skip
    target = targets.get(shown)
    chart: alt.TopLevelMixin = line
    if target is not None:
        rule = (
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(color="red", strokeDash=[6, 4])
            .encode(y="target:Q")
        )
        chart = alt.layer(line, rule)
    st.altair_chart(localized(chart, lang), width="stretch")
    volume = (
        alt.Chart(pd.DataFrame([{"bucket": pd.Timestamp(r["bucket"]), "tickets": r.get("tickets")}
                                for r in rows], columns=["bucket", "tickets"]))
        .mark_bar()
        .encode(x=alt.X("bucket:T", title=tr(f"dashboard.grain.{grain}"),
                        axis=alt.Axis(format=tr("chart.day_format") if grain == "week" else "%Y-%m")),
                y=alt.Y("tickets:Q", title=tr("dashboard.col.tickets")))
    )  # fmt: skip
    st.altair_chart(localized(volume, lang), width="stretch")


def engineer_table(key: Key, lang: str) -> None:
    st.subheader(tr("dashboard.engineers"))
    rows = _engineers(key)
    if not rows:
        st.info(tr("ui.no_rows"))
        return
    data = [
        {tr("dashboard.col.engineer"): r.get("engineer") or tr("dashboard.unset"),
         **{tr(f"dashboard.col.{c}"): _rounded(r.get(c), c) for c in ENGINEER_COLUMNS}}
        for r in rows
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(data), hide_index=True)


# ---------------------------------------------------------------- the 85% rule
@st.cache_data(ttl=TTL, show_spinner=False, max_entries=64)
def _review(url: str, start: dt.date, end: dt.date, at: dt.datetime) -> dict | None:
    del url  # cache key only
    with db.write(get_engine()) as s:  # finding the review may open it (once per period)
        return D.review_due(s, D.Period(start, end), at)


def review_warning(user, key: Key, figures: dict) -> None:
    """The 85% rule over the whole period (not for an engineer: his figures are his own)."""
    if "satisfaction_rate" not in figures or user.role in OWN_FIGURES_ONLY:
        return
    due = _review(key[0], key[3], key[4], key[6])
    if not due:
        return
    st.warning(tr("dashboard.review", value=due["rate"], threshold=due["threshold"]), icon="⚠️")
    if due.get("link") and can_view(user.role, Page.FOLLOWUPS):
        st.page_link("pages/followups.py", label=tr("dashboard.review_link", id=due["review_id"]),
                     query_params=dict(_query(due["link"])), icon="🔎")  # fmt: skip


def _query(link: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(link.split("?", 1)[-1])


# ---------------------------------------------------------------- the monthly report
def monthly_report(user, lang: str) -> None:
    with st.expander(tr("dashboard.monthly")):
        first = today().replace(day=1)
        months = [f"{(first - dt.timedelta(days=31 * i)).replace(day=1):%Y-%m}" for i in range(13)]
        month = st.selectbox(tr("dashboard.month"), months, index=1, key=P + "month")
        signature = (month, lang, user.id)
        if st.button(tr("dashboard.monthly_build"), key=P + "monthly.build"):
            with db.read(get_engine()) as s:
                data = monthly.monthly_workbook(s, user, month, now(), lang)
            st.session_state[P + "monthly"] = (signature, data)
        built = st.session_state.get(P + "monthly")
        if built and built[0] == signature:
            st.download_button(tr("ui.download"), built[1], file_name=monthly.file_name(month),
                               mime=XLSX, key=P + "monthly.download")  # fmt: skip


# ---------------------------------------------------------------- the page
def _load(user, start: dt.date, end: dt.date, lang: str) -> tuple[Key, dict] | None:
    """The filters (their choices from the period's data) and the figures; None after
    showing why the data layer refused the period."""
    try:
        unfiltered = _key(user, start, end, D.Filters())
        _refresh(unfiltered[0], unfiltered[-1])
        options = _options(unfiltered)
        key = _key(user, start, end, pick_filters(user, lang, options))
        return key, _figures(key)
    except InvalidInput as exc:
        for p in exc.problems:
            st.error(p.message(lang))
        return None


def main() -> None:
    user, lang, _ = require(Page.DASHBOARD)
    period = pick_period()
    if period is None:
        return
    start, end = period
    shown = list(visible(user.role))
    if not shown:
        st.info(tr("dashboard.nothing_visible"))
        return
    problems = check_period(start, end)
    if problems:  # end before start, a period too long: the reader's words, no query
        for p in problems:
            st.error(p.message(lang))
        return
    loaded = None
    with guarded():
        loaded = _load(user, start, end, lang)
    if loaded is None:
        return
    key, figures = loaded
    with guarded():
        review_warning(user, key, figures)
    targets = _targets(key[0], key[-1])
    cards([k for k in shown if k.key in figures], figures, targets, lang)
    with guarded():
        drill_down(user, key, lang)
    with guarded():
        breakdowns(key, lang)
        service_types(key, lang)
        trends(key, targets, lang)
        if user.role in MANAGERS:
            engineer_table(key, lang)
    with guarded():
        monthly_report(user, lang)


main()
