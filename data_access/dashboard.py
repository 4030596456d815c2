"""KPI figures of the dashboard, computed in SQL over stored columns (never by replaying
ticket histories, never by loading tickets into pandas).

Each KPI of :data:`rules.dashboard.KPIS` is a *measure* here: the rows of its
denominator (``base``), those of its numerator (``counted``) or the value it averages.
The same measure gives the figure (one aggregate per domain), the breakdowns and the
rows behind it (the drill), so a card and its drill cannot disagree.

Periods are inclusive dates; tickets belong to the period they were received in,
ratings to the period they were given in (as the follow-ups page counts them),
complaints to the period received, maintenance visits to the period they were due.
A filter a domain cannot honour (e.g. a channel for maintenance visits) leaves that
KPI without a value (None) rather than an unfiltered figure.

The module is the dashboard's one name for callers: :mod:`data_access.dashboard_figures`
(the figures and the 85 % rule), :mod:`data_access.dashboard_breakdowns` (breakdowns,
trends, engineers), :mod:`data_access.dashboard_drill` (the rows behind a figure) and
:mod:`data_access.dashboard_kpis` (the API of before the KPI catalogue); the measures in
:mod:`data_access.dashboard_measures`, the rollup in :mod:`data_access.dashboard_rollup`.
"""

from data_access.dashboard_breakdowns import breakdown, engineers, trend
from data_access.dashboard_drill import drill, drill_rows
from data_access.dashboard_figures import figures, review_due
from data_access.dashboard_kpis import by_priority, daily_volume, kpis, status_counts
from data_access.dashboard_measures import DrillPage, Filters, Measure, Period, targets

__all__ = [
    "DrillPage", "Filters", "Measure", "Period", "breakdown", "by_priority", "daily_volume",
    "drill", "drill_rows", "engineers", "figures", "kpis", "review_due", "status_counts",
    "targets", "trend",
]  # fmt: skip
