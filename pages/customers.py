"""Customers & devices: the pattern every register page follows.

Filters on top, the register grid (pages/register_grid.py) below, and the Excel
panel (pages/excel_panel.py) for import, export, templates and undo.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pages import excel_panel
from pages.common import get_engine, guarded, require, tr
from pages.register_grid import register_grid
from rules.access import Page
from rules.customers import CUSTOMERS, DEVICES, GRADE_OPTIONS, WARRANTY_OPTIONS

# where a service agent looks first: which device, whose, and is it covered
DEVICE_LEAD = ("serial_no", "customer", "model", "warranty_status", "contract_status")


def customer_filters(lang: str) -> tuple[dict[str, Any], str | None]:
    c1, c2, c3 = st.columns([1, 1, 2])
    grades = c1.multiselect(
        tr("customers.filter.grade"),
        [o.value for o in GRADE_OPTIONS],
        format_func=lambda v: CUSTOMERS.field("grade").option_label(v, lang),
        placeholder=tr("ui.choose"),
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
        placeholder=tr("ui.choose"),
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


def main() -> None:
    user, lang, editable = require(Page.CUSTOMERS)
    tab_customers, tab_devices = st.tabs(
        [tr("customers.tab.customers"), tr("customers.tab.devices")]
    )
    with tab_customers, guarded():
        filters, search = customer_filters(lang)
        register_grid(
            "customers", CUSTOMERS, filters=filters, search=search, lang=lang, editable=editable
        )
        with st.expander(tr("imports.panel.title")):
            excel_panel.render("customers", get_engine(), user, lang)
    with tab_devices, guarded():
        filters, search = device_filters(lang)
        register_grid(
            "customers",
            DEVICES,
            filters=filters,
            search=search,
            lang=lang,
            editable=editable,
            lead=DEVICE_LEAD,
        )
        with st.expander(tr("imports.panel.title")):
            excel_panel.render("devices", get_engine(), user, lang)


main()
