"""The public scan-to-report pages (扫码报修): no log-in, phone-sized, Chinese first.

``?r=<token>`` (the device's QR code) shows the device and the repair form;
``?status=1`` the status lookup by ticket no. + phone. :func:`wanted` tells ``app.py``
to run these instead of the log-in: the public run registers this one page only (hidden
navigation), so nothing else of the app is reachable from here.

Not a page of the staff navigation; UI only (data_access.public_intake does the work).
"""

from __future__ import annotations

import hashlib
import uuid

import streamlit as st

from data_access import db
from data_access import public_intake as P
from pages.common import LANG_KEY, get_engine, guarded, now, plain, tr
from rules.faultcodes import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_PHONE,
    MAX_TICKET_NO,
    URGENCY_OPTIONS,
    RepairForm,
    Urgency,
    client_key,
    next_step,
)
from rules.tickets import status_label

K = "public"
TOKEN_PARAM = "r"
STATUS_PARAM = "status"


def wanted() -> bool:
    """Whether this request is for the public pages (a device link or the lookup)."""
    return TOKEN_PARAM in st.query_params or STATUS_PARAM in st.query_params


def run() -> None:
    st.session_state.setdefault(LANG_KEY, "zh")  # Chinese unless the visitor switches
    st.set_page_config(
        page_title=tr("public.title"),
        page_icon=":material/build:",
        layout="centered",
        initial_sidebar_state="collapsed",
    )
    page = st.Page(render, title=tr("public.title"), url_path="report", default=True)
    st.navigation([page], position="hidden").run()


def _client() -> str | None:
    """The visitor, hashed: the address the server saw, else this browser session."""
    address = getattr(st.context, "ip_address", None)
    if not address:
        address = st.session_state.setdefault(f"{K}.session", uuid.uuid4().hex)
    return client_key(address)


def _lang_toggle() -> None:
    lang = st.session_state.get(LANG_KEY, "zh")
    if st.button(tr("public.lang"), key=f"{K}.lang"):
        st.session_state[LANG_KEY] = "en" if lang == "zh" else "zh"
        st.rerun()


def render() -> None:
    _lang_toggle()
    with guarded():
        token = st.query_params.get(TOKEN_PARAM)
        if token is not None:
            report_view(token)
        lookup_view(expanded=token is None)


def report_view(token: str) -> None:
    st.title(tr("public.title"))
    with db.read(get_engine()) as s:
        device = P.device_for_token(s, token)
    if device is None:
        st.error(tr("public.invalid"))
        return
    st.markdown(
        tr("public.device", model=plain(device.model or "-"), tail=plain(device.serial_tail))
    )
    if device.location:
        st.caption(tr("public.site", value=plain(device.location)))
    done = st.session_state.get(f"{K}.done.{_short(token)}")
    if done:
        st.success(done)
        return
    lang = st.session_state.get(LANG_KEY, "zh")
    labels = {o.value: o.label(lang) for o in URGENCY_OPTIONS}
    with st.form(f"{K}.form", enter_to_submit=False):
        name = st.text_input(tr("public.contact"), max_chars=MAX_NAME, key=f"{K}.name")
        phone = st.text_input(tr("public.phone"), max_chars=MAX_PHONE, key=f"{K}.phone")
        text = st.text_area(tr("public.description"), max_chars=MAX_DESCRIPTION, key=f"{K}.text")
        urgency = st.radio(
            tr("public.urgency"), list(Urgency), index=2, format_func=labels.get, key=f"{K}.urgency"
        )
        photo = st.file_uploader(
            tr("public.photo"), type=["jpg", "jpeg", "png", "webp"], key=f"{K}.photo"
        )
        sent = st.form_submit_button(tr("public.submit"), type="primary", width="stretch")
    if not sent:
        return
    form = RepairForm(name, phone, text, str(urgency))
    data = photo.getvalue() if photo is not None else None
    with db.write(get_engine()) as s:
        result = P.submit_report(s, token, form, client=_client(), now=now(), photo=data)
    show_result(result, token)


def show_result(result: P.Submitted, token: str) -> None:
    match result.outcome:
        case P.Outcome.CREATED | P.Outcome.DUPLICATE:
            key = "public.created" if result.outcome is P.Outcome.CREATED else "public.duplicate"
            st.session_state[f"{K}.done.{_short(token)}"] = tr(key, value=plain(result.ticket_no))
            st.rerun()
        case P.Outcome.LIMITED:
            st.error(tr("public.limited"))
        case P.Outcome.INVALID_LINK:
            st.error(tr("public.invalid"))
        case P.Outcome.INVALID_INPUT:
            labels = {
                "contact_name": tr("public.contact"),
                "phone": tr("public.phone"),
                "description": tr("public.description"),
                "urgency": tr("public.urgency"),
                "photo": tr("public.photo"),
            }
            lang = st.session_state.get(LANG_KEY, "zh")
            for p in result.problems:
                st.error(f"{labels.get(p.field or '', '')}：{p.message(lang)}")


def lookup_view(expanded: bool) -> None:
    with st.expander(tr("public.lookup.title"), expanded=expanded):
        with st.form(f"{K}.lookup", enter_to_submit=True):
            number = st.text_input(tr("public.lookup.ticket"), max_chars=MAX_TICKET_NO)
            phone = st.text_input(tr("public.phone"), max_chars=MAX_PHONE, key=f"{K}.lookup_phone")
            ok = st.form_submit_button(tr("public.lookup.submit"))
        if not ok:
            return
        with db.write(get_engine()) as s:
            found = P.lookup_status(s, number, phone, client=_client(), now=now())
        lang = st.session_state.get(LANG_KEY, "zh")
        if found.outcome is P.LookupOutcome.LIMITED:
            st.error(tr("public.limited"))
        elif found.outcome is P.LookupOutcome.NOT_FOUND:
            st.warning(tr("public.lookup.none"))
        else:
            st.info(
                "  \n".join(
                    [
                        plain(found.ticket_no),
                        tr("public.lookup.status", value=status_label(found.status, lang)),
                        tr("public.lookup.engineer", value=plain(found.engineer or "-")),
                        tr("public.lookup.next", value=next_step(found.status or "", lang)),
                    ]
                )
            )


def _short(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]
