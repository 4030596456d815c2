"""Customers & devices: the pattern every register page follows.

Filter → one page of rows from SQL → `st.data_editor` built from the field specs →
an explicit Save that sends every insert/update/delete through the register's one
write path in a single transaction; problems come back by row and column, a stale
edit comes back as a conflict, never a silent overwrite.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from data_access.registers import ConflictError, list_rows, save_changes

from data_access import db
from pages import excel_panel
from pages.common import column_config, get_engine, guarded, now, pager, require, show_problems, tr
from rules.access import Page
from rules.customers import CUSTOMERS, DEVICES, GRADE_OPTIONS, WARRANTY_OPTIONS
from rules.fields import Register

PAGE_SIZES = (25, 50, 100, 200)


def customer_filters(lang: str) -> tuple[dict[str, Any], str | None]:
    c1, c2, c3 = st.columns([1, 1, 2])
    grades = c1.multiselect(
        tr("customers.filter.grade"),
        [o.value for o in GRADE_OPTIONS],
        format_func=lambda v: CUSTOMERS.field("grade").option_label(v, lang),
        key="customers.customers.grade",
    )
    region = c2.text_input(tr("customers.filter.region"), key="customers.customers.region")
    search = c3.text_input(tr("ui.search"), key="customers.customers.search")
    filters: dict[str, Any] = {}
    if grades:
        filters["grade"] = grades
    if region.strip():
        filters["region"] = region.strip()
    return filters, search.strip() or None


def device_filters(lang: str) -> tuple[dict[str, Any], str | None]:
    c1, c2, c3 = st.columns([1, 1, 2])
    statuses = c1.multiselect(
        tr("customers.filter.warranty"),
        [o.value for o in WARRANTY_OPTIONS],
        format_func=lambda v: DEVICES.field("warranty_status").option_label(v, lang),
        key="customers.devices.warranty",
    )
    customer = c2.text_input(tr("customers.filter.customer"), key="customers.devices.customer")
    search = c3.text_input(tr("ui.search"), key="customers.devices.search")
    filters: dict[str, Any] = {}
    if statuses:
        filters["warranty_status"] = statuses
    if customer.strip():
        filters["customer"] = customer.strip()
    return filters, search.strip() or None


def register_grid(
    register: Register, filters: dict[str, Any], search: str | None, lang: str, editable: bool
) -> None:
    name = register.name
    size_col, _ = st.columns([1, 4])
    page_size = size_col.selectbox(
        tr("ui.page_size"), PAGE_SIZES, index=1, key=f"customers.{name}.page_size"
    )
    with db.read(get_engine()) as session:
        _, total = list_rows(
            session,
            name,
            filters=filters,
            search=search,
            page=1,
            page_size=1,
            today=dt.date.today(),
        )
    page = pager(f"customers.{name}.page", total, page_size)
    with db.read(get_engine()) as session:
        rows, total = list_rows(
            session,
            name,
            filters=filters,
            search=search,
            page=page,
            page_size=page_size,
            today=dt.date.today(),
        )
    columns = ["id", "version", *(f.name for f in register.fields)]
    frame = pd.DataFrame(rows, columns=columns)
    for f in register.fields:
        if f.kind in ("date",):
            frame[f.name] = pd.to_datetime(frame[f.name]).dt.date
    nonce = st.session_state.get(f"customers.{name}.nonce", 0)
    key = f"customers.{name}.grid.{nonce}"
    if editable:
        st.caption(tr("customers.editor_help"))
    st.data_editor(
        frame,
        key=key,
        hide_index=True,
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        column_config=column_config(register.fields, lang, editable),
        column_order=[f.name for f in register.fields],
    )
    if not editable:
        return
    save, discard, _ = st.columns([1, 1, 4])
    if discard.button(tr("ui.discard"), key=f"customers.{name}.discard"):
        st.session_state[f"customers.{name}.nonce"] = nonce + 1
        st.rerun()
    if save.button(tr("ui.save"), type="primary", key=f"customers.{name}.save"):
        apply_edits(register, frame, st.session_state.get(key, {}), (page - 1) * page_size, lang)


def _changes(register: Register, frame: pd.DataFrame, state: dict) -> tuple[list, list, list, list]:
    """Turn the editor's diff into inserts/updates/deletes plus a row label for each."""
    fields = {f.name for f in register.input_fields}
    updates, labels_u = [], []
    for idx, edit in state.get("edited_rows", {}).items():
        row = frame.iloc[int(idx)]
        changed = {k: _blank(v) for k, v in edit.items() if k in fields}
        if changed:
            updates.append({"id": int(row["id"]), "version": int(row["version"]), **changed})
            labels_u.append(int(idx))
    inserts = [
        {k: _blank(v) for k, v in added.items() if k in fields}
        for added in state.get("added_rows", [])
        if any(_blank(v) is not None for v in added.values())
    ]
    deletes = [
        {"id": int(frame.iloc[int(i)]["id"]), "version": int(frame.iloc[int(i)]["version"])}
        for i in state.get("deleted_rows", [])
    ]
    return inserts, updates, labels_u, deletes


def _blank(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def apply_edits(
    register: Register, frame: pd.DataFrame, state: dict, offset: int, lang: str
) -> None:
    inserts, updates, update_rows, deletes = _changes(register, frame, state)
    if not (inserts or updates or deletes):
        st.info(tr("ui.nothing_to_save"))
        return
    try:
        with db.write(get_engine()) as session:
            result = save_changes(
                session,
                register.name,
                inserts=inserts,
                updates=updates,
                deletes=deletes,
                user_id=st.session_state["user"].id,
                now=now(),
            )
            if result.problems:
                # nothing may be half-written: undo this transaction
                session.rollback()
    except ConflictError as exc:
        st.error(tr("ui.conflict", what=exc.what))
        return
    if result.problems:
        show_problems(
            _with_grid_rows(result.problems, inserts, update_rows, offset, len(frame)),
            _labels(register, lang),
            lang,
        )
        return
    st.session_state[f"customers.{register.name}.nonce"] = (
        st.session_state.get(f"customers.{register.name}.nonce", 0) + 1
    )
    st.toast(
        tr("ui.saved", inserted=result.inserted, updated=result.updated, deleted=result.deleted)
    )
    st.rerun()


def _with_grid_rows(
    problems: list, inserts: list, update_rows: list, offset: int, page_rows: int
) -> list:
    """Problem rows as the user sees them: the grid's row number on this page."""
    out = []
    for p in problems:
        kind = getattr(p, "kind", None)
        if kind == "insert":
            row = offset + page_rows + p.row + 1
        elif kind == "update":
            row = offset + update_rows[p.row] + 1
        else:
            row = p.row
        out.append(dataclasses.replace(p, row=row))
    return out


def _labels(register: Register, lang: str) -> dict[str, str]:
    return {f.name: f.label(lang) for f in register.fields}


def main() -> None:
    user, lang, editable = require(Page.CUSTOMERS)
    tab_customers, tab_devices = st.tabs(
        [tr("customers.tab.customers"), tr("customers.tab.devices")]
    )
    with tab_customers, guarded():
        filters, search = customer_filters(lang)
        register_grid(CUSTOMERS, filters, search, lang, editable)
        with st.expander(tr("ui.export") + " / Excel"):
            excel_panel.render("customers", get_engine(), user, lang)
    with tab_devices, guarded():
        filters, search = device_filters(lang)
        register_grid(DEVICES, filters, search, lang, editable)
        with st.expander(tr("ui.export") + " / Excel"):
            excel_panel.render("devices", get_engine(), user, lang)


main()
