"""The devices tab's scan-to-report panel: a customer's QR label sheet, and a device's
link rotated or revoked. Not a page: ``pages/customers.py`` shows it to the desk.
"""

from __future__ import annotations

import os

import streamlit as st

from data_access import db
from data_access import public_intake as P
from data_access.qr_labels import sheet_png
from pages.common import get_engine, now, plain, tr

K = "customers.qr"
DEFAULT_BASE_URL = "http://localhost:8501"


def panel(user) -> None:
    with db.read(get_engine()) as s:
        customers = P.customer_choices(s)
    base = st.text_input(
        tr("qr.base_url"),
        value=os.environ.get("AFTERSALES_PUBLIC_URL", DEFAULT_BASE_URL),
        key=f"{K}.base",
    )
    labels = dict(customers)
    customer = st.selectbox(
        tr("qr.customer"), list(labels), format_func=labels.get, key=f"{K}.customer"
    )
    if customer is not None and st.button(tr("qr.sheet"), key=f"{K}.sheet"):
        with db.write(get_engine()) as s:
            found = P.labels_for_customer(s, customer, actor=user, now=now())
        for i, png in enumerate(sheet_png(found, base), start=1):
            st.download_button(
                f"{tr('qr.download')} {i}", png, file_name=f"qr-labels-{i}.png",
                mime="image/png", key=f"{K}.dl.{i}",
            )  # fmt: skip
    serial = st.text_input(tr("qr.device"), key=f"{K}.serial")
    rotate, revoke = st.columns(2)
    if rotate.button(tr("qr.rotate"), key=f"{K}.rotate") and serial.strip():
        _change(user, serial, rotate=True)
    if revoke.button(tr("qr.revoke"), key=f"{K}.revoke") and serial.strip():
        _change(user, serial, rotate=False)


def _change(user, serial: str, *, rotate: bool) -> None:
    with db.write(get_engine()) as s:
        device_id = P.device_id_by_serial(s, serial)
        if device_id is None:
            st.error(tr("qr.unknown_device", value=plain(serial)))
            return
        if rotate:
            P.issue_token(s, device_id, actor=user, now=now(), rotate=True)
        else:
            P.revoke_token(s, device_id, actor=user, now=now())
    st.success(tr("qr.done"))
