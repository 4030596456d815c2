"""Customers & devices: the pattern every register page follows.

Filters on top (pages/filter_bar.py, from the field specs), the register grid (pages/register_grid.py) below, and the Excel
panel (pages/excel_panel.py) for import, export, templates and undo.
"""

from __future__ import annotations

import streamlit as st

from pages import device_links, excel_panel
from pages.common import get_engine, guarded, require, tr
from pages.filter_bar import filter_bar
from pages.register_grid import register_grid
from rules.access import Page
from rules.customers import CUSTOMERS, DEVICES

# where a service agent looks first: which device, whose, and is it covered
DEVICE_LEAD = ("serial_no", "customer", "model", "warranty_status", "contract_status")


def main() -> None:
    user, lang, editable = require(Page.CUSTOMERS)
    tab_customers, tab_devices = st.tabs(
        [tr("customers.tab.customers"), tr("customers.tab.devices")]
    )
    with tab_customers, guarded():
        filters, search = filter_bar("customers", CUSTOMERS, ("grade", "region"), lang)
        register_grid(
            "customers", CUSTOMERS, filters=filters, search=search, lang=lang, editable=editable
        )
        with st.expander(tr("imports.panel.title")):
            excel_panel.render("customers", get_engine(), user, lang)
    with tab_devices, guarded():
        filters, search = filter_bar("customers", DEVICES, ("warranty_status", "customer"), lang)
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
        if editable:  # scan-to-report QR labels and links (扫码报修)
            with st.expander(tr("qr.title")):
                device_links.panel(user)


main()
