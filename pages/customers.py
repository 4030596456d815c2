"""Customers & devices: the pattern every register page follows.

Filters on top (pages/filter_bar.py, from the field specs), the register grid (pages/register_grid.py) below, and the Excel
panel (pages/excel_panel.py) for import, export, templates and undo.
"""

from __future__ import annotations

import streamlit as st

from data_access import db
from data_access.links import customer_card
from pages import device_links, excel_panel
from pages.common import get_engine, guarded, plain, require, today, tr
from pages.filter_bar import filter_bar
from pages.register_grid import register_grid
from rules.access import Page
from rules.customers import CUSTOMERS, DEVICES
from rules.links import parse_link

# where a service agent looks first: which device, whose, and is it covered
DEVICE_LEAD = ("serial_no", "customer", "model", "warranty_status", "contract_status")


def linked_customer(lang: str) -> None:
    """``?customer=C001`` shows that customer above the registers."""
    link = parse_link(st.query_params.to_dict())
    if link is None or link.kind != "customer":
        return
    with db.read(get_engine()) as session:
        card = customer_card(session, link.key, today())
    if card is None:
        st.warning(tr("link.not_found", value=plain(link.key)))
        return
    c = card["customer"]
    with st.container(border=True):
        st.subheader(f"{plain(c['code'])} · {plain(c['name'])}")
        labels = {f.name: f.label(lang) for f in CUSTOMERS.fields}
        st.dataframe(
            [{labels.get(k, k): ("" if v is None else str(v)) for k, v in c.items()}],
            hide_index=True,
            width="stretch",
        )
        st.caption(tr("customers.link.open_tickets", n=card["open_tickets"]))
        if card["devices"]:
            st.dataframe(
                [_device_row(d, lang) for d in card["devices"]],
                hide_index=True,
                width="stretch",
            )


def _device_row(device: dict, lang: str) -> dict:
    row = {}
    for name, value in device.items():
        f = DEVICES.field(name)
        row[f.label(lang)] = f.option_label(value, lang) if f.options else value
    return row


def main() -> None:
    user, lang, editable = require(Page.CUSTOMERS)
    with guarded():
        linked_customer(lang)
    tab_customers, tab_devices = st.tabs(
        [tr("customers.tab.customers"), tr("customers.tab.devices")]
    )
    with tab_customers, guarded():
        filters, search = filter_bar("customers", CUSTOMERS, ("grade", "region"), lang)
        register_grid(
            "customers", CUSTOMERS, filters=filters, search=search, lang=lang, editable=editable
        )
        with st.expander(tr("imports.panel.title")):
            excel_panel.render(
                "customers",
                get_engine(),
                user,
                lang,
                selection=excel_panel.grid_selection(filters, search),
            )
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
            excel_panel.render(
                "devices",
                get_engine(),
                user,
                lang,
                selection=excel_panel.grid_selection(filters, search),
            )
        if editable:  # scan-to-report QR labels and links (扫码报修)
            with st.expander(tr("qr.title")):
                device_links.panel(user)


main()
