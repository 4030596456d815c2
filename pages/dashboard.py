"""Service KPI dashboard: the figures managers are judged on, computed in SQL."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from data_access import db
from data_access.dashboard import by_priority, daily_volume, kpis, status_counts
from pages.common import get_engine, guarded, now, require, tr
from rules.access import Page
from rules.dashboard import KPIS, REVIEW_SATISFACTION_BELOW, Direction, Kpi
from rules.i18n.common import CHART_TIME_LOCALES
from rules.tickets import Priority, Status, priority_label, status_label


def fmt(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return tr("dashboard.no_data")
    match kpi.unit:
        case "%":
            return f"{value:.1f}%"
        case "count":
            return f"{int(value):,}"
        case "score":
            return f"{value:.2f}"
        case _:
            return f"{value:,.1f}"


def target_text(kpi: Kpi, value: float | None) -> str | None:
    if kpi.target is None:
        return None
    op = "≤" if kpi.direction is Direction.AT_MOST else "≥"
    met = kpi.met(value)
    verdict = "" if met is None else " · " + tr("dashboard.met" if met else "dashboard.missed")
    return tr("dashboard.target", op=op, target=kpi.target) + verdict


def localized(chart: alt.Chart, lang: str) -> alt.Chart:
    """The chart with Vega's month and weekday names in ``lang`` (Vega defaults to
    English; Streamlit passes a chart's config through, not vega-embed options)."""
    time_locale = CHART_TIME_LOCALES.get(lang)
    return chart.configure(locale={"time": time_locale}) if time_locale else chart


@st.cache_data(ttl=60, show_spinner=False)
def load(url: str, start: dt.datetime, end: dt.datetime, at: dt.datetime) -> tuple:
    """The period's aggregates (no customer rows), shared by every viewer for a minute:
    over a million tickets they cost a few hundred milliseconds a rerun."""
    del url  # part of the cache key only: one cache per database
    with db.read(get_engine()) as session:
        return (
            kpis(session, start, end, at),
            by_priority(session, start, end),
            status_counts(session),
            daily_volume(session, start, end),
        )


def main() -> None:
    _, lang, _ = require(Page.DASHBOARD)
    today = now().date()
    period = st.date_input(
        tr("dashboard.period"),
        (today - dt.timedelta(days=90), today),
        format="YYYY-MM-DD",
        key="dashboard.period",
    )
    if not isinstance(period, tuple) or len(period) != 2:
        st.stop()
    start = dt.datetime.combine(period[0], dt.time())
    end = dt.datetime.combine(period[1] + dt.timedelta(days=1), dt.time())
    figures = priorities = statuses = volume = None
    with guarded():
        figures, priorities, statuses, volume = load(
            db.database_url(), start, end, now().replace(second=0)
        )
    if figures is None:
        return
    cols = st.columns(4)
    for i, kpi in enumerate(KPIS):
        value = figures.get(kpi.key)
        cols[i % 4].metric(
            tr(f"kpi.{kpi.key}"), fmt(kpi, value), help=target_text(kpi, value), border=True
        )
    rate = figures.get("satisfaction_rate")
    if rate is not None and rate < REVIEW_SATISFACTION_BELOW:
        st.warning(tr("dashboard.review", value=rate))
    left, right = st.columns(2)
    with left:
        st.subheader(tr("dashboard.by_priority"))
        order = {p.value: i for i, p in enumerate(Priority)}
        frame = pd.DataFrame(sorted(priorities, key=lambda r: order.get(r["priority"], 99)))
        if not frame.empty:
            frame["priority"] = [priority_label(p, lang) for p in frame["priority"]]
            frame.columns = [tr(f"dashboard.col.{c}") for c in frame.columns]
        st.dataframe(frame.round(1), hide_index=True)
        st.subheader(tr("dashboard.status_counts"))
        status_frame = pd.DataFrame(
            [{"status": status_label(s, lang), "count": statuses.get(s.value, 0)} for s in Status]
        )
        st.altair_chart(
            localized(
                alt.Chart(status_frame)
                .mark_bar()
                .encode(
                    x=alt.X("count:Q", title=tr("dashboard.col.count")),
                    y=alt.Y("status:N", sort=None, title=tr("dashboard.col.status")),
                ),
                lang,
            ),
        )
    with right:
        st.subheader(tr("dashboard.volume"))
        if volume:
            st.altair_chart(
                localized(
                    alt.Chart(pd.DataFrame(volume))
                    .mark_area(opacity=0.6)
                    .encode(
                        x=alt.X(
                            "day:T",
                            title=tr("dashboard.col.day"),
                            axis=alt.Axis(format=tr("chart.day_format")),
                        ),
                        y=alt.Y("count:Q", title=tr("dashboard.col.count")),
                    ),
                    lang,
                ),
            )


main()
