"""Preventive maintenance: an engineer's visits this week (done from a phone), the
manager's month view, overdue ageing, plans and visits with Excel, checklist templates.

No SQL and no rule here: queries and commands are :mod:`data_access.maintenance`, the
rules :mod:`rules.maintenance`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from data_access import db
from data_access import fees as fees_da
from data_access import maintenance as dm
from data_access.errors import InvalidInput
from data_access.maintenance_register import RouteFilter
from data_access.parts import Line
from pages import excel_panel
from pages.common import (
    get_engine,
    guarded,
    now,
    plain,
    require,
    show_problems,
    take_link,
    today,
    tr,
)
from pages.filter_bar import filter_bar
from pages.lines_grid import lines_grid
from pages.pdf_button import pdf_button
from pages.register_grid import refresh_grids, register_grid
from rules import maintenance as mr
from rules.access import Page, Role, may_edit_register
from rules.i18n import t
from rules.maintenance import CHECKLISTS, PACKAGES, PLANS, VISIT_RESULTS, VISITS

MANAGERS = (Role.ADMIN, Role.MANAGER)
OPEN_KEY = "maint.mine.open"  # the visit whose form is open (one at a time)
LINKED_KEY = "maint.linked"  # the visit a ?visit= link opened, shown above the views
PLAN_LEAD = ("plan_no", "name", "device", "customer", "package", "frequency", "next_due")
VISIT_LEAD = ("visit_no", "due_date", "status", "overdue", "engineer", "plan")
# what an engineer fills in on site, in this order (a phone shows a few columns)
AGEING_BY = {"engineer": "maint.month.engineer", "region": "maint.month.region",
             "customer": "maint.ageing.customer"}  # fmt: skip
RESULT_COLUMNS = ("item", "standard", "passed", "measured", "observation", "note")


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    return mr.month_start(day), mr.month_end(day)


# ---------------------------------------------------------------- my visits
def my_visits_tab(user, lang: str, editable: bool) -> None:
    engineer_id = user.id
    if user.role in MANAGERS:
        with db.read(get_engine()) as s:
            people = dm.engineers(s)
        if not people:
            st.info(tr("maint.mine.empty"))
            return
        names = dict(people)
        engineer_id = st.selectbox(
            tr("maint.month.engineer"), list(names), format_func=names.get, key="maint.mine.who"
        )
    with db.read(get_engine()) as s:
        rows = dm.my_visits(s, engineer_id, today())
    if not rows:
        st.info(tr("maint.mine.empty"))
        return
    for row in rows:
        if row["visit_no"] == st.session_state.get(LINKED_KEY):
            continue  # shown above the views, its form there
        with st.container(border=True):
            st.markdown(f"**{plain(row['visit_no'])}** · {plain(_when(row))}")
            st.text(f"{row['customer']} · {row['plan']}")
            if editable and (user.role in MANAGERS or engineer_id == user.id):
                if st.button(tr("maint.mine.done"), key=f"maint.open.{row['visit_no']}"):
                    st.session_state[OPEN_KEY] = row["visit_no"]
                if st.session_state.get(OPEN_KEY) == row["visit_no"]:
                    _done_form(row, lang, user)


def _when(row: dict[str, Any]) -> str:
    """How late (or when due) an open visit is, as its card says it."""
    if row["overdue"]:
        return tr("maint.mine.overdue", days=row["days_overdue"])
    return tr("maint.mine.due", day=row["due_date"].isoformat())


def _done_form(row: dict[str, Any], lang: str, user) -> None:
    k = f"maint.done.{row['visit_no']}"
    with db.read(get_engine()) as s:
        lines = dm.checklist_for(s, row["visit_no"])
    frame = pd.DataFrame(lines, columns=["id", "version", "line_no", *RESULT_COLUMNS,
                                         "result_kind", "lower", "upper", "unit"])  # fmt: skip
    labels = {f.name: f.label(lang) for f in VISIT_RESULTS.fields}
    edited = st.data_editor(
        frame,
        key=k + ".results",
        hide_index=True,
        num_rows="fixed",
        column_order=list(RESULT_COLUMNS),
        column_config={
            "item": st.column_config.TextColumn(labels["item"], disabled=True),
            "standard": st.column_config.TextColumn(labels["standard"], disabled=True),
            "passed": st.column_config.CheckboxColumn(labels["passed"]),
            "measured": st.column_config.NumberColumn(labels["measured"]),
            "observation": st.column_config.TextColumn(labels["observation"]),
            "note": st.column_config.TextColumn(labels["note"]),
        },
    )
    fields = {f.name: f.label(lang) for f in VISITS.fields}
    status = st.radio(
        fields["status"], [mr.VisitStatus.DONE, mr.VisitStatus.PARTLY_DONE],
        format_func=lambda v: VISITS.field("status").option_label(v, lang), key=k + ".status",
        horizontal=True,
    )  # fmt: skip
    day = st.date_input(fields["done_at"], today(), key=k + ".day")
    arrived = st.time_input(fields["arrived_at"], dt.time(9, 0), key=k + ".arrived")
    departed = st.time_input(fields["departed_at"], dt.time(11, 0), key=k + ".departed")
    findings = st.text_area(fields["findings"], key=k + ".findings")
    rep = st.text_input(fields["customer_rep"], key=k + ".rep")
    accepted = st.checkbox(fields["accepted"], key=k + ".accepted")
    note = st.text_input(fields["note"], key=k + ".note")
    backup = False
    if row["kind"] == mr.PlanKind.FIRMWARE:
        backup = st.checkbox(fields["backup_done"], key=k + ".backup")
    st.caption(tr("maint.mine.parts"))
    used = st.data_editor(
        pd.DataFrame({"part_no": pd.Series(dtype="str"), "qty": pd.Series(dtype="Int64")}),
        key=k + ".parts",
        hide_index=True,
        num_rows="dynamic",
        column_config={
            "part_no": st.column_config.TextColumn(tr("maint.parts.part_no")),
            "qty": st.column_config.NumberColumn(tr("maint.parts.qty"), min_value=1, step=1),
        },
    )
    if st.button(tr("ui.save"), type="primary", key=k + ".save"):
        values = {
            "status": status, "arrived_at": dt.datetime.combine(day, arrived),
            "departed_at": dt.datetime.combine(day, departed),
            "done_at": dt.datetime.combine(day, departed), "findings": findings or None,
            "customer_rep": rep or None, "accepted": accepted, "note": note or None,
            "backup_done": backup,
        }  # fmt: skip
        results = [
            {**{c: _cell(r.get(c)) for c in ("id", "version", "line_no", "result_kind",
                                             "lower", "upper", "unit", *RESULT_COLUMNS)}}
            for r in edited.to_dict("records")
        ]  # fmt: skip
        parts = [
            Line(str(r["part_no"]).strip(), int(r["qty"]) if pd.notna(r["qty"]) else 0)
            for r in used.to_dict("records")
            if isinstance(r.get("part_no"), str) and r["part_no"].strip()
        ]
        try:
            with db.write(get_engine()) as s:
                doc = dm.complete_visit(
                    s, row["visit_no"], values, results, actor=user, now=now(), parts=parts
                )
        except InvalidInput as exc:
            show_problems(exc.problems, {**labels, **fields}, lang, register=VISITS)
            return
        figures_changed()
        st.success(tr("maint.mine.saved", value=row["visit_no"]))
        if doc:
            st.success(tr("maint.parts.issued", value=doc))
    if st.button(tr("maint.ticket.open"), key=k + ".ticket"):
        with db.write(get_engine()) as s:
            no = dm.open_ticket_for_visit(s, row["visit_no"], actor=user, now=now())
        st.success(tr("maint.ticket.opened", value=no))


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value


# ---------------------------------------------------------------- manager views
@st.cache_data(ttl=60, show_spinner=False)
def month_figures(url: str, month: dt.date, day: dt.date, engineer_id, region) -> tuple:
    """A month's calendar and completion rate, shared by viewers for a minute (cleared
    by this page's writes)."""
    del url  # part of the cache key only: one cache per database
    with db.read(get_engine()) as s:
        return dm.month_view(s, month, day, dm.MonthFilter(engineer_id, region))


@st.cache_data(ttl=300, show_spinner=False)
def month_choices(url: str) -> tuple[list[tuple[int, str]], list[str]]:
    """The month view's filter choices: engineers and regions."""
    del url
    with db.read(get_engine()) as s:
        return dm.engineers(s), dm.regions(s)


@st.cache_data(ttl=60, show_spinner=False)
def ageing_rows(url: str, day: dt.date, by: str) -> list[dict[str, Any]]:
    del url
    with db.read(get_engine()) as s:
        return dm.overdue_ageing(s, day, by=by)


def figures_changed() -> None:
    month_figures.clear()
    ageing_rows.clear()
    refresh_grids()


MONTH_KEY = "maint.month.first"  # the first day of the month shown
# how a day is marked on the working calendar (a day off: its number in grey)
DAY_MARK = {mr.DayKind.HOLIDAY: ("gray-background", "maint.day.holiday"),
            mr.DayKind.MAKEUP: ("orange-background", "maint.day.makeup")}  # fmt: skip
STATE_COLOUR = {mr.OVERDUE: "red", mr.VisitStatus.PLANNED: "blue",
                mr.VisitStatus.PARTLY_DONE: "orange", mr.VisitStatus.DONE: "green",
                mr.VisitStatus.SKIPPED: "gray", mr.VisitStatus.CANCELLED: "gray"}  # fmt: skip


def _go_month(months: int) -> None:
    shown = st.session_state.get(MONTH_KEY) or mr.month_start(today())
    st.session_state[MONTH_KEY] = mr.month_start(shown, months)


def _this_month() -> None:
    st.session_state[MONTH_KEY] = mr.month_start(today())


def month_tab(lang: str) -> None:
    """The month as a calendar: weeks × weekdays, each day its visits per state, the
    working calendar's holidays and make-up days marked, overdue in red."""
    people, areas = month_choices(db.database_url())
    names: dict[int | None, str] = {None: tr("ui.any"), **dict(people)}
    a, b = st.columns(2)
    engineer_id = a.selectbox(tr("maint.month.engineer"), list(names), format_func=names.get,
                              key="maint.month.engineer")  # fmt: skip
    region = b.selectbox(tr("maint.month.region"), [None, *areas], key="maint.month.region",
                         format_func=lambda r: tr("ui.any") if r is None else r)  # fmt: skip
    month = st.session_state.get(MONTH_KEY) or mr.month_start(today())
    prev, label, now_btn, nxt = st.columns([1, 3, 1, 1])
    prev.button("◀", key="maint.month.prev", on_click=_go_month, args=(-1,),
                help=tr("maint.month.prev"))  # fmt: skip
    label.markdown(f"**{tr('maint.month.title', year=month.year, month=month.month)}**")
    now_btn.button(tr("maint.month.this"), key="maint.month.this", on_click=_this_month)
    nxt.button("▶", key="maint.month.next", on_click=_go_month, args=(1,),
               help=tr("maint.month.next"))  # fmt: skip
    grid, rate = month_figures(db.database_url(), month, today(), engineer_id, region)
    st.metric(tr("maint.month.rate", value=""), mr.format_rate(rate))
    _calendar(grid, lang)
    if not any(d and d.total for week in grid for d in week):
        st.info(tr("maint.month.empty"))


def _calendar(grid: list[list[mr.MonthDay | None]], lang: str) -> None:
    """The month as one Markdown table (one element: a grid of 42 cells drawn as
    widgets cost more than the counts behind them)."""
    head = "| " + " | ".join(tr(f"maint.weekday.{i}") for i in range(7)) + " |"
    rows = [head, "|" + " :-- |" * 7]
    for week in grid:
        cells = [_day_text(day, lang) if day else " " for day in week]
        rows.append("| " + " | ".join(cells) + " |")
    st.markdown("\n".join(rows))


def _day_text(day: mr.MonthDay, lang: str) -> str:
    """A day's cell: its number (today's highlighted), its mark on the working calendar,
    each state with its count. Only the app's own words: no user text."""
    number = f"**{day.day.day}**"
    if day.today:
        head = f":blue-background[{number}]"
    elif day.kind in (mr.DayKind.OFF, mr.DayKind.HOLIDAY):
        head = f":gray[{number}]"
    else:
        head = number
    if day.kind in DAY_MARK:
        style, word = DAY_MARK[day.kind]
        head += f" :{style}[{tr(word)}]"
    lines = [head]
    for state, n in day.counts:
        colour = STATE_COLOUR.get(state, "gray")
        text = f"{_state_label(state, lang)} {n}"
        lines.append(f":{colour}[**{text}**]" if state == mr.OVERDUE else f":{colour}[{text}]")
    return " ".join(lines)


def _state_label(state: str, lang: str) -> str:
    if state == mr.OVERDUE:
        return VISITS.field("overdue").label(lang)
    return VISITS.field("status").option_label(state, lang)


def ageing_tab(lang: str) -> None:
    by = st.radio(
        tr("maint.ageing.by"), ["engineer", "region", "customer"], horizontal=True,
        key="maint.ageing.by", format_func=lambda v: t(AGEING_BY[v], lang),
    )  # fmt: skip
    rows = ageing_rows(db.database_url(), today(), by)
    if not rows:
        st.info(tr("maint.ageing.empty"))
        return
    frame = pd.DataFrame(rows).rename(
        columns={"who": tr(f"maint.month.{by}") if by != "customer" else tr("maint.ageing.customer"),
                 "total": tr("maint.ageing.total")}
    )  # fmt: skip
    st.dataframe(frame, hide_index=True)


def plans_tab(user, lang: str, editable: bool) -> None:
    filters, search = filter_bar("maint", PLANS, ("frequency", "package"), lang)
    register_grid("maint", PLANS, filters=filters, search=search, lang=lang,
                  editable=editable and user.role in MANAGERS, lead=PLAN_LEAD)  # fmt: skip
    with st.expander(tr("imports.panel.title")):
        excel_panel.render(
            "plans", get_engine(), user, lang, selection=excel_panel.grid_selection(filters, search)
        )
    if user.role not in MANAGERS:
        return
    if st.button(tr("maint.generate"), key="maint.generate"):
        with db.write(get_engine()) as s:
            added = dm.generate_visits(s, today=today(), actor=user, now=now())
        figures_changed()
        st.success(tr("maint.generated", value=added))
    with st.expander(tr("maint.shift.title")):
        _shift_form(user, lang)


def _shift_form(user, lang: str) -> None:
    code = st.text_input(tr("maint.shift.customer"), key="maint.shift.customer")
    a, b, c = st.columns(3)
    first = a.date_input(tr("maint.shift.first"), today(), key="maint.shift.first")
    last = b.date_input(tr("maint.shift.last"), today(), key="maint.shift.last")
    days = c.number_input(tr("maint.shift.days"), -60, 60, 7, key="maint.shift.days")
    if st.button(tr("maint.shift.go"), key="maint.shift.go"):
        try:
            with db.write(get_engine()) as s:
                moved = dm.shift_open_visits(
                    s, code.strip(), first, last, int(days), actor=user, now=now()
                )
        except InvalidInput as exc:
            show_problems(exc.problems, {}, lang)
            return
        figures_changed()
        st.success(tr("maint.shift.done", value=moved))


def visits_tab(user, lang: str, editable: bool) -> None:
    filters, search = filter_bar("maint", VISITS, ("status", "overdue", "engineer"), lang)
    register_grid("maint", VISITS, filters=filters, search=search, lang=lang,
                  editable=editable, lead=VISIT_LEAD)  # fmt: skip
    with st.expander(tr("maint.route.title") + " · " + tr("imports.panel.title")):
        # the export is the route sheet: one engineer's (or everyone's) visits of a month
        excel_panel.render("visits", get_engine(), user, lang, selection=_route(user))
    with st.expander(VISIT_RESULTS.label(lang)):
        excel_panel.render("visit_results", get_engine(), user, lang)
    with st.expander(tr("docs.print_visit")):
        visit_no = st.text_input(VISITS.field("visit_no").label(lang), key="maint.print.no")
        if visit_no.strip():
            pdf_button("visit", visit_no.strip(), user, lang, "maint.print")


def _route(user) -> excel_panel.Selection:
    with db.read(get_engine()) as s:
        names: dict[int | None, str] = {None: tr("ui.any"), **dict(dm.engineers(s))}
    if user.role == Role.ENGINEER:
        names = {user.id: user.display_name}
    a, b = st.columns(2)
    who = a.selectbox(tr("maint.month.engineer"), list(names), format_func=names.get,
                      key="maint.route.who")  # fmt: skip
    day = b.date_input(tr("maint.month.pick"), today(), key="maint.route.month")
    first, last = month_bounds(day)
    return excel_panel.Selection(RouteFilter(who, first, last), now())


def checklists_tab(user, lang: str, editable: bool) -> None:
    manager = editable and user.role in MANAGERS
    register_grid("maint", PACKAGES, filters={}, search=None, lang=lang, editable=manager)
    with db.read(get_engine()) as s:
        codes = dm.package_codes(s)
    for code in codes:
        st.subheader(code)
        lines_grid("maint", CHECKLISTS.name, code, lang=lang, editable=manager)


VIEWS = {
    "mine": my_visits_tab,
    "month": lambda user, lang, editable: month_tab(lang),
    "ageing": lambda user, lang, editable: ageing_tab(lang),
    "plans": plans_tab,
    "visits": visits_tab,
    "checklists": checklists_tab,
}


# ---------------------------------------------------------------- a linked visit
def linked_visit(user, lang: str, editable: bool) -> None:
    """The visit a ``?visit=<no>`` link names (the overdue alert's link), above the views,
    with its form for the engineer it is assigned to (or a manager) while it is open."""
    linked = take_link("visit")
    if linked:
        st.session_state[LINKED_KEY] = linked
    visit_no = st.session_state.get(LINKED_KEY)
    if not visit_no:
        return
    with db.read(get_engine()) as s:
        row = dm.visit_card(s, visit_no, today())
    if row is None:
        st.warning(tr("link.not_found", value=visit_no))
        st.session_state.pop(LINKED_KEY, None)
        return
    status = VISITS.field("status").option_label(row["status"], lang)
    with st.container(border=True):
        head, close = st.columns([6, 1])
        head.markdown(f"**{plain(row['visit_no'])}** · {plain(status)}")
        if close.button(tr("ui.close"), key="maint.linked.close"):
            st.session_state.pop(LINKED_KEY, None)
            st.rerun()
        st.text(f"{row['customer']} · {row['plan']} · {row['engineer'] or '—'} · {_when(row)}")
        if row["results"]:
            labels = {f.name: f.label(lang) for f in VISIT_RESULTS.fields}
            frame = pd.DataFrame(row["results"], columns=list(RESULT_COLUMNS))
            st.dataframe(frame.rename(columns=labels), hide_index=True)
        if row["parts"]:
            st.caption(tr("maint.parts.used"))
            st.dataframe(
                pd.DataFrame(row["parts"]).rename(columns=lambda c: tr(f"maint.parts.{c}")),
                hide_index=True,
            )
        pdf_button("visit", row["visit_no"], user, lang, "maint.linked.print")
        _bill_button(user, row)
        mine = user.role in MANAGERS or row["engineer_id"] == user.id
        if editable and mine and row["status"] in mr.OPEN:
            _done_form(row, lang, user)


def _bill_button(user, row: dict[str, Any]) -> None:
    """The "bill this visit" button: a done visit outside a contract gets its fee lines (inspection,
    labour, travel, the parts issued to it), quoted and settled on the fees page."""
    own = user.role != Role.ENGINEER or row["engineer_id"] == user.id  # as a ticket's lines
    if not (may_edit_register(user.role, "fees") and own):
        return
    with db.read(get_engine()) as s:
        billable = fees_da.billable_visit(s, row["visit_no"])
    if billable and st.button(tr("fees.bill_visit"), key="maint.linked.bill"):
        with db.write(get_engine()) as s:
            n = fees_da.bill_visit(s, row["visit_no"], actor=user, now=now())
        st.success(tr("fees.billed_visit", value=plain(row["visit_no"]), n=n))


def main() -> None:
    user, lang, editable = require(Page.MAINTENANCE)
    with guarded():
        linked_visit(user, lang, editable)
    # one view per run (tabs would run every section each click: at 200,000 visits the
    # grids and charts together cost seconds)
    view = st.radio(
        tr("maint.view"), list(VIEWS), horizontal=True, key="maint.view",
        format_func=lambda v: t(f"maint.tab.{v}", lang), label_visibility="collapsed",
    )  # fmt: skip
    with guarded():
        VIEWS[view](user, lang, editable)


main()
