"""Complaints (投诉): the list, a complaint's detail (actions as lines, the customer
informed, confirmation and closing, CAPA verification, the report), intake, and the
register with its Excel panel.

Agents log complaints and keep the customer informed; quality staff and managers
handle and close them; engineers read the complaints on their own tickets. The data
layer checks every right again.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from data_access import complaints as CP
from data_access import db
from data_access.complaint_register import Intake, log_complaint
from data_access.errors import InvalidInput, NotAllowed
from imports.complaint_report import report_bytes, report_sections
from pages import excel_panel
from pages.common import (
    get_engine,
    guarded,
    now,
    plain,
    require,
    show_problems,
    take_link,
    tr,
)
from pages.filter_bar import filter_bar
from pages.lines_grid import lines_grid
from pages.pdf_button import pdf_button
from pages.register_grid import register_grid
from rules import complaints as R
from rules.access import Page

K = "complaints."
F = R.COMPLAINTS.field
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _labels(lang: str) -> dict[str, str]:
    out = {f.name: f.label(lang) for f in R.COMPLAINTS.fields}
    out["actions"] = tr("complaints.actions")
    out["note"] = tr("complaints.inform.what")
    return out


def _write(action, success: str, lang: str) -> bool:
    """One write transaction; the problems people can fix, in their words."""
    try:
        with db.write(get_engine()) as s:
            result = action(s)
    except InvalidInput as exc:
        show_problems(exc.problems, _labels(lang), lang, register=R.COMPLAINTS)
        return False
    except NotAllowed as exc:
        st.error(tr(exc.code, **exc.params))
        return False
    st.session_state[K + "flash"] = tr(success, value=plain(result), rounds=plain(result))
    return True


def _opt(name: str, lang: str):
    f = F(name)
    return [o.value for o in f.options], (lambda v: f.option_label(v, lang))


def _select(col, name: str, lang: str, key: str, index: int = 0):
    values, fmt = _opt(name, lang)
    return col.selectbox(F(name).label(lang), values, index=index, format_func=fmt, key=key)


# ---------------------------------------------------------------- list
def _list(user, lang: str) -> list[dict[str, Any]]:
    c1, c2 = st.columns([1, 3])
    open_only = c1.checkbox(tr("complaints.filter.open"), value=True, key=K + "open_only")
    search = c2.text_input(tr("ui.search"), key=K + "search") or None
    page = int(st.session_state.get(K + "page", 1))
    flt = CP.ComplaintFilter(open_only=open_only, search=search)
    with db.read(get_engine()) as s:
        rows, total = CP.list_complaints(
            s, flt, actor=user, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        pages = max(1, -(-total // PAGE_SIZE))
        if page > pages:  # the filter shrank the list under the page number
            page = pages
            rows, _ = CP.list_complaints(
                s, flt, actor=user, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
    if not rows:
        st.info(tr("complaints.none"))
        return rows
    names = ("complaint_no", "customer", "received_at", "category", "priority", "status",
             "tier", "rounds", "investigate_by", "capa_status")  # fmt: skip
    fields = [F(n) for n in names]
    heads = [f.label(lang) for f in fields]
    # option labels once per column, not once per cell
    options = {
        n: {o.value: o.label(lang) for o in f.options}
        for n, f in zip(names, fields, strict=True)
        if f.options
    }
    shown = [
        {
            h: options[n].get(r[n], r[n]) if n in options else r[n]
            for h, n in zip(heads, names, strict=True)
        }
        for r in rows
    ]
    st.dataframe(shown, hide_index=True)
    left, right = st.columns([1, 4])
    st.session_state[K + "page"] = page  # back within range when the filter shrank the list
    left.number_input(tr("ui.page"), 1, pages, key=K + "page")
    right.caption(tr("ui.page_of", page=page, pages=pages, total=total))
    return rows


# ---------------------------------------------------------------- detail
def _detail(user, lang: str, rows: list[dict[str, Any]]) -> None:
    numbers = [r["complaint_no"] for r in rows]
    if not numbers:
        return
    no = st.selectbox(tr("complaints.pick"), numbers, key=K + "pick")
    with db.read(get_engine()) as s:
        d = CP.complaint_detail(s, no, actor=user)
    handler = CP.may_handle(user.role)
    if not handler:
        st.caption(tr("complaints.read_only"))
    for title, cells in report_sections(d, lang)[:1]:
        st.subheader(title)
        st.dataframe([{"": c[0], " ": c[1]} for c in cells], hide_index=True)
    st.subheader(tr("complaints.actions"))
    lines_grid(
        "complaints",
        "complaint_actions",
        no,
        lang=lang,
        editable=handler and d["status"] != R.Status.CLOSED,
    )
    st.subheader(tr("complaints.history"))
    st.dataframe(d["events"], hide_index=True)
    with st.expander(tr("complaints.tab.report")):  # the printable report
        for title, cells in report_sections(d, lang)[1:]:
            st.markdown(f"**{title}**")
            width = max((len(c) for c in cells), default=0)
            st.dataframe([c + [""] * (width - len(c)) for c in cells], hide_index=True)
    # built on request: a workbook per rerun would cost every click
    if st.button(tr("complaints.report.download"), key=K + "report_build"):
        st.session_state[K + "report"] = (no, lang, report_bytes(d, lang))
    built = st.session_state.get(K + "report")
    if built and built[:2] == (no, lang):
        st.download_button(
            tr("ui.download"), built[2], file_name=f"{no}.xlsx", mime=XLSX, key=K + "report"
        )
    pdf_button("complaint", no, user, lang, K + "report")
    if d["status"] == R.Status.CLOSED and handler and d["capa_status"]:
        _capa_form(user, lang, no)
    if d["status"] == R.Status.CLOSED:
        return
    if CP.may_log(user.role):
        _inform_form(user, lang, no)
    if handler:
        _confirm_form(user, lang, no)


def _inform_form(user, lang: str, no: str) -> None:
    with st.form(K + "inform_form", enter_to_submit=False):
        st.markdown(f"**{tr('complaints.inform')}**")
        c1, c2 = st.columns(2)
        channel = _select(c1, "channel", lang, K + "inform_channel")
        person = c2.text_input(F("confirm_person").label(lang), key=K + "inform_person")
        what = st.text_area(tr("complaints.inform.what"), key=K + "inform_what")
        if st.form_submit_button(tr("complaints.inform")) and _write(
            lambda s: CP.inform(s, no, channel=channel, what=what, person=person or None,
                                actor=user, now=now()),
            "complaints.inform.done",
            lang,
        ):  # fmt: skip
            st.rerun()


def _confirm_form(user, lang: str, no: str) -> None:
    with st.form(K + "confirm_form", enter_to_submit=False):
        st.markdown(f"**{tr('complaints.confirm')}**")
        c1, c2, c3 = st.columns(3)
        channel = _select(c1, "confirm_channel", lang, K + "confirm_channel")
        person = c2.text_input(F("confirm_person").label(lang), key=K + "confirm_person")
        satisfied = c3.radio(
            F("satisfied").label(lang),
            [True, False],
            format_func=lambda v: tr("ui.yes") if v else tr("ui.no"),
            key=K + "confirm_satisfied",
            horizontal=True,
        )
        if st.form_submit_button(tr("complaints.confirm.save"), type="primary"):
            confirmation = R.Confirmation(channel, person, now(), satisfied)

            def act(s):
                status = CP.confirm(s, no, confirmation, actor=user, now=now())
                if status == R.Status.CLOSED:
                    return no
                return CP.complaint_detail(s, no, actor=user)["rounds"]

            key = "complaints.closed" if satisfied else "complaints.new_round"
            if _write(act, key, lang):
                st.rerun()


def _capa_form(user, lang: str, no: str) -> None:
    with st.form(K + "capa_form", enter_to_submit=False):
        st.markdown(f"**{tr('complaints.capa')}**")
        c1, c2, c3 = st.columns(3)
        verifier = c1.text_input(F("capa_verifier").label(lang), key=K + "capa_verifier")
        on = c2.date_input(F("capa_verified_at").label(lang), value=now().date(), key=K + "capa_on")
        effective = c3.checkbox(R.CAPA_OPTIONS[1].label(lang), value=True, key=K + "capa_ok")
        result = st.text_area(F("capa_result").label(lang), key=K + "capa_result")
        if st.form_submit_button(tr("complaints.capa.save")) and _write(
            lambda s: CP.verify_capa(s, no, verifier=verifier or None, verified_on=on,
                                     result=result, effective=effective, actor=user, now=now()),
            "complaints.capa.done",
            lang,
        ):  # fmt: skip
            st.rerun()


# ---------------------------------------------------------------- intake
def _intake(user, lang: str) -> None:
    with st.form(K + "intake_form", enter_to_submit=False):
        c1, c2, c3 = st.columns(3)
        customer = c1.text_input(F("customer").label(lang) + " *", key=K + "in_customer")
        complainant = c2.text_input(F("complainant").label(lang) + " *", key=K + "in_who")
        contact = c3.text_input(F("contact").label(lang), key=K + "in_contact")
        channel = _select(c1, "channel", lang, K + "in_channel")
        category = _select(c2, "category", lang, K + "in_category")
        ticket = c3.text_input(F("ticket").label(lang), key=K + "in_ticket")
        severity = _select(c1, "severity", lang, K + "in_severity", index=1)
        urgency = _select(c2, "urgency", lang, K + "in_urgency", index=1)
        content = st.text_area(F("content").label(lang) + " *", key=K + "in_content")
        if st.form_submit_button(tr("complaints.tab.intake"), type="primary"):
            intake = Intake(
                customer=customer.strip(), complainant=complainant.strip(), channel=channel,
                content=content.strip(), severity=severity, urgency=urgency,
                received_at=now(), category=category, contact=contact or None,
                ticket=ticket.strip() or None,
            )  # fmt: skip
            if _write(lambda s: log_complaint(s, intake, actor=user, now=now()),
                      "complaints.logged", lang):  # fmt: skip
                st.rerun()


def main() -> None:
    user, lang, editable = require(Page.COMPLAINTS)
    linked = take_link("complaint")
    if linked:  # ?complaint=TS…: the list shows it alone, its detail open
        st.session_state[K + "open_only"] = False
        st.session_state[K + "page"] = 1
        st.session_state[K + "search"] = linked
        st.session_state[K + "pick"] = linked
    flash = st.session_state.pop(K + "flash", None)
    if flash:
        st.success(flash)
    names = ["complaints.tab.list"]
    if CP.may_log(user.role):
        names.append("complaints.tab.intake")
    if editable:
        names.append("complaints.tab.register")
    tabs = dict(zip(names, st.tabs([tr(n) for n in names]), strict=True))
    with tabs["complaints.tab.list"], guarded():
        rows = _list(user, lang)
        _detail(user, lang, rows)
    if "complaints.tab.intake" in tabs:
        with tabs["complaints.tab.intake"], guarded():
            _intake(user, lang)
    if "complaints.tab.register" in tabs:
        with tabs["complaints.tab.register"], guarded():
            # every tab runs on each rerun: the grid loads when asked for
            if not st.toggle(tr("complaints.tab.register"), key=K + "show_register"):
                return
            filters, search = filter_bar("complaints", R.COMPLAINTS, ("status", "priority"), lang)
            register_grid(
                "complaints", R.COMPLAINTS, filters=filters, search=search, lang=lang,
                editable=editable,
            )  # fmt: skip
            with st.expander(tr("imports.panel.title")):
                excel_panel.render(
                    "complaints",
                    get_engine(),
                    user,
                    lang,
                    selection=excel_panel.grid_selection(filters, search),
                )
                excel_panel.render("complaint_actions", get_engine(), user, lang)


main()
