"""Training: the trainer's sessions (attendance and scores in a grid, the sign-in sheet
in and out), coverage, courses and sessions, feedback, programmes.

Agents and engineers see the coverage tab only (their region's customers); trainers,
managers and admins see and manage everything. Queries and writes are in
:mod:`data_access.training`; the sheets in :mod:`imports.training`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from data_access import db
from data_access import training as data
from imports.reader import ReadError
from imports.sign_in import import_sign_in
from imports.training import attendance_sheet_bytes, certificates_bytes, read_sign_in
from pages import excel_panel
from pages.common import (
    current_user,
    get_engine,
    guarded,
    now,
    plain,
    require,
    show_problems,
    today,
    tr,
)
from pages.lines_grid import lines_grid
from pages.pdf_button import pdf_button
from pages.register_grid import refresh_grids, register_grid
from rules import training as rules
from rules.access import Page, Role
from rules.training import ATTENDANCE, COURSES, SESSIONS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
P = "training."
# coverage and feedback aggregate every attendance row: computed once a minute per
# viewer and day (and again at once after this page's own writes), not on every click
FIGURES_TTL_S = 60
SHOWN_ROWS = 200  # rows per coverage list on the page (the headers give the whole counts)


@st.cache_data(ttl=FIGURES_TTL_S, show_spinner=False)
def _coverage(url: str, role: str, user_id: int | None, day) -> data.Coverage:
    with db.read(get_engine()) as s:
        return data.coverage(s, _Who(user_id, role), day, limit=SHOWN_ROWS)


@st.cache_data(ttl=FIGURES_TTL_S, show_spinner=False)
def _feedback(url: str, role: str, user_id: int | None) -> tuple[list, list]:
    who = _Who(user_id, role)
    with db.read(get_engine()) as s:
        return data.feedback(s, who, "course"), data.feedback(s, who, "trainer")


@dataclasses.dataclass(frozen=True)
class _Who:
    id: int | None
    role: str


def _figures_changed() -> None:
    _coverage.clear()
    _feedback.clear()


def main() -> None:
    user, lang, editable = require(Page.TRAINING)
    if not rules.may_see_sessions(user.role):
        with guarded():
            coverage_tab(user, lang)
        return
    tabs = st.tabs(
        [
            tr("training.tab.sessions"),
            tr("training.tab.coverage"),
            tr("training.tab.courses"),
            tr("training.tab.feedback"),
            tr("training.tab.programme"),
        ]
    )
    with tabs[0], guarded():
        sessions_tab(user, lang, editable)
    with tabs[1], guarded():
        coverage_tab(user, lang)
    with tabs[2], guarded():
        courses_tab(user, lang, editable)
    with tabs[3], guarded():
        feedback_tab(user, lang)
    with tabs[4], guarded():
        programme_tab(user, lang, editable)


# ---------------------------------------------------------------- sessions
def _title(row: dict[str, Any], lang: str) -> str:
    return (row.get("title_en") if lang == "en" else None) or row.get("title_zh") or ""


def sessions_tab(user, lang: str, editable: bool) -> None:
    everyone = st.checkbox(
        tr("training.all_sessions"), value=user.role != Role.TRAINER, key=P + "everyone"
    )
    with db.read(get_engine()) as s:
        rows = data.sessions(s, user, everyone=everyone)
    if not rows:
        st.info(tr("training.no_sessions"))
        return
    status = SESSIONS.field("status")
    table = [
        {
            tr("training.col.session"): r["session_no"],
            tr("training.col.starts"): r["starts_at"],
            tr("training.col.course"): f"{r['course']} {_title(r, lang)}",
            tr("training.col.customer"): r["customer_name"] or "",
            tr("training.col.trainer"): r["trainer"] or "",
            tr("training.col.status"): status.option_label(r["status"], lang),
            tr("training.col.attendees"): r["attendees"],
            tr("training.col.capacity"): r["capacity"],
        }
        for r in rows
    ]
    st.dataframe(table, hide_index=True, height=240)
    numbers = [r["session_no"] for r in rows]
    chosen = st.selectbox(tr("training.pick_session"), numbers, key=P + "session")
    if chosen:
        session_detail(user, lang, editable, chosen)


def session_detail(user, lang: str, editable: bool, session_no: str) -> None:
    with db.read(get_engine()) as s:
        head = data.session_header(s, user, session_no)
        lines = data.attendance_sheet(s, user, session_no)
    if head is None:
        return
    where = head["online_link"] or head["location"] or ""
    st.text(
        f"{head['course']} {_title(head, lang)} · {head['starts_at']:%Y-%m-%d %H:%M} · "
        f"{head['customer_name'] or ''} · {where}"
    )
    st.subheader(tr("training.attendees"))
    lines_grid("training", "attendance", session_no, lang=lang, editable=editable)
    st.download_button(
        tr("training.export_sheet"),
        attendance_sheet_bytes(head, lines, lang=lang),
        file_name=f"{session_no}-sign-in.xlsx",
        mime=XLSX,
        key=P + "sheet",
    )
    certificates = [ln["certificate_no"] for ln in lines if ln.get("certificate_no")]
    if certificates:
        with st.expander(tr("docs.print_certificate")):
            number = st.selectbox(tr("docs.certificate_pick"), certificates, key=P + "cert_pick")
            pdf_button("certificate", number, user, lang, P + "cert")
    if editable:
        with st.expander(tr("training.import_sheet")):
            sign_in_import(user, lang, session_no)


def sign_in_import(user, lang: str, session_no: str) -> None:
    upload = st.file_uploader(
        tr("training.import_sheet"), type=["xlsx", "xls", "csv"], key=P + "upload"
    )
    confirm = st.checkbox(tr("training.confirm_new"), key=P + "confirm")
    if upload is None or not st.button(tr("imports.panel.commit"), key=P + "import"):
        return
    try:
        sheet, rows = read_sign_in(upload.getvalue(), upload.name)
    except ReadError as exc:
        st.error(tr(exc.code, **exc.params))
        return
    with db.write(get_engine()) as s:
        result = import_sign_in(
            s, session_no, rows, confirm_new=confirm, actor=current_user(), now=now(), sheet=sheet
        )
    if result.problems:
        labels = {f.name: f.label(lang) for f in ATTENDANCE.fields}
        labels["course"] = tr("training.col.course")
        show_problems(result.problems, labels, lang, register=ATTENDANCE)
        return
    refresh_grids()
    _figures_changed()
    st.success(tr("training.imported", inserted=result.inserted, updated=result.updated))


# ---------------------------------------------------------------- coverage
def coverage_tab(user, lang: str) -> None:
    cov = _coverage(str(get_engine().url), user.role, user.id, today())
    if cov.region:
        st.caption(tr("training.coverage_scope", value=plain(cov.region)))
    a, b, c = st.columns(3)
    a.metric(
        tr("training.customers_trained"),
        rules.shown_ratio(cov.customer_ratio),
        f"{cov.trained} / {cov.customers}",
        delta_color="off",
    )
    b.metric(
        tr("training.sites_covered"),
        rules.shown_ratio(cov.site_ratio),
        f"{cov.sites_covered} / {cov.sites}",
        delta_color="off",
    )
    c.metric(
        tr("training.staff_covered"),
        rules.shown_ratio(cov.staff_ratio),
        f"{cov.staff_done} / {cov.staff_required}",
        delta_color="off",
    )
    _table(
        "training.untrained",
        cov.untrained,
        {"code": "customer", "name": "customer_name", "region": "region"},
        cov.customers - cov.trained,
    )
    _table(
        "training.operator_gaps",
        cov.operator_gaps,
        {
            "customer": "customer",
            "customer_name": "customer_name",
            "model": "model",
            "devices": "devices",
            "certified": "certified",
            "required": "required",
            "gap": "gap",
        },
        cov.sites - cov.sites_covered,
    )
    _table(
        "training.staff_gaps",
        cov.staff_gaps,
        {"user": "user", "role": "role", "course": "course"},
        cov.staff_required - cov.staff_done,
    )
    _table(
        "training.expiring",
        cov.expiring,
        {
            "name": "name",
            "customer_name": "customer_name",
            "course": "course",
            "certificate_no": "certificate",
            "certificate_expires": "expires",
        },
        cov.expiring_total,
    )


def _table(title: str, rows: list[dict], columns: dict[str, str], total: int) -> None:
    st.subheader(f"{tr(title)}（{total}）")
    if rows:
        heads = {
            k: tr(f"training.col.{label}") for k, label in columns.items()
        }  # once, not per row
        shown = [{head: r[k] for k, head in heads.items()} for r in rows]
        st.dataframe(shown, hide_index=True, height=min(400, 40 + 35 * len(shown)))


# ---------------------------------------------------------------- courses and sessions
def courses_tab(user, lang: str, editable: bool) -> None:
    register_grid("training", COURSES, filters={}, search=None, lang=lang, editable=editable)
    with st.expander(tr("imports.panel.title")):
        excel_panel.render("courses", get_engine(), user, lang)
    st.subheader(tr("training.tab.sessions"))
    register_grid("training", SESSIONS, filters={}, search=None, lang=lang, editable=editable)
    with st.expander(tr("imports.panel.title") + " · " + tr("training.attendees")):
        excel_panel.render("attendance", get_engine(), user, lang)
    settings_section(user, lang, editable)
    st.subheader(tr("training.certificates"))
    customer = st.text_input(tr("training.col.customer"), key=P + "cert_customer").strip()
    if st.button(tr("training.export_certificates"), key=P + "cert_build"):
        with db.read(get_engine()) as s:
            rows = data.certificates(s, user, today(), customer or None)
        st.session_state[P + "cert_file"] = (customer, certificates_bytes(rows, lang=lang))
    built = st.session_state.get(P + "cert_file")
    if built and built[0] == customer:  # a list built for another customer is not offered
        st.download_button(
            tr("ui.download"),
            built[1],
            file_name=f"certificates-{customer or 'all'}.xlsx",
            mime=XLSX,
            key=P + "certificates",
        )


def settings_section(user, lang: str, editable: bool) -> None:
    """What coverage is measured against: required operators per model, and the
    courses each internal role must hold."""
    with db.read(get_engine()) as s:
        required = data.required_operators_setting(s)
        matrix = data.role_courses(s)
        codes = data.course_codes(s)
    with st.expander(tr("training.requirements")):
        rows = [{"model": k, "required": v} for k, v in required.items()]
        edited = st.data_editor(
            rows,
            key=P + "required",
            num_rows="dynamic" if editable else "fixed",
            disabled=not editable,
            column_config={
                "model": st.column_config.TextColumn(tr("training.col.model")),
                "required": st.column_config.NumberColumn(
                    tr("training.col.required"), min_value=0, step=1
                ),
            },
            hide_index=True,
        )
        picks = {}
        for role in (Role.ENGINEER, Role.AGENT, Role.MANAGER, Role.TRAINER):
            options = sorted(set(codes) | set(matrix.get(role, [])))
            picks[str(role)] = st.multiselect(
                f"{tr('training.col.role')}: {role}",
                options,
                default=matrix.get(role, []),
                key=P + f"role.{role}",
                disabled=not editable,
            )
        if editable and st.button(tr("ui.save"), key=P + "requirements_save"):
            value = {
                str(r["model"]).strip(): int(r["required"])
                for r in edited
                if r.get("model") and r.get("required") is not None
            }
            with db.write(get_engine()) as s:
                data.set_required_operators(s, value, actor=current_user(), now=now())
                data.set_role_courses(
                    s, {k: v for k, v in picks.items() if v}, actor=current_user(), now=now()
                )
            _figures_changed()
            st.success(tr("training.saved"))


# ---------------------------------------------------------------- feedback
def feedback_tab(user, lang: str) -> None:
    by_course, by_trainer = _feedback(str(get_engine().url), user.role, user.id)
    for title, rows, first in (
        ("training.by_course", by_course, "course"),
        ("training.by_trainer", by_trainer, "trainer"),
    ):
        st.subheader(tr(title))
        st.dataframe(
            [
                {
                    tr(f"training.col.{first}"): (
                        f"{r['group']} {_title(r, lang)}" if first == "course" else r["group"]
                    ),
                    tr("training.col.ratings"): r["ratings"],
                    tr("training.col.mean_rating"): r["mean_rating"],
                    tr("training.col.passed"): r["passed"],
                }
                for r in rows
            ],
            hide_index=True,
        )


# ---------------------------------------------------------------- programmes
def programme_tab(user, lang: str, editable: bool) -> None:
    st.caption(
        " · ".join(
            f"{SESSIONS.field('phase').option_label(s.phase, lang)} W{s.week}"
            for s in rules.PROGRAMME
        )
    )
    if not editable:
        return
    for_device = st.toggle(tr("training.programme_for_device"), key=P + "prog_for")
    customer, device, first = "", None, today()
    if for_device:
        with db.read(get_engine()) as s:
            owed = data.new_installations(s, today())
        if not owed:
            st.info(tr("training.no_new_installations"))
            return
        by_serial = {r["serial_no"]: r for r in owed}
        device = st.selectbox(
            tr("training.new_installation"), list(by_serial), key=P + "prog_device",
            format_func=lambda n: (f"{n} · {by_serial[n]['customer']} · {by_serial[n]['model'] or '—'}"
                                   f" · {by_serial[n]['install_date'].isoformat()}"),
        )  # fmt: skip
        first = max(today(), by_serial[device]["install_date"])
    else:
        customer = st.text_input(tr("training.col.customer"), key=P + "prog_customer")
    start = st.date_input(tr("training.programme_start"), value=first, key=P + "prog_start")
    clicked = st.button(tr("training.apply_programme"), key=P + "prog_apply")
    if not clicked or not (customer or device):
        return
    with db.write(get_engine()) as s:
        nos, problems = data.apply_programme(
            s, customer.strip(), start, trainer=user.username, actor=current_user(), now=now(),
            device=device,
        )  # fmt: skip
    if problems:
        labels = {f.name: f.label(lang) for f in SESSIONS.fields}
        shown = [dataclasses.replace(p, value=p.params.get("value")) for p in problems]
        show_problems(shown, labels, lang, register=SESSIONS)
        return
    refresh_grids()
    _figures_changed()
    st.success(tr("training.programme_done", value=plain(", ".join(nos))))


main()
