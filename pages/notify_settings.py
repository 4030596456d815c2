"""Settings page, notifications tab (admins): SMTP and group-robot settings, the SLA
early-warning lead time, and the outbox with each message's status and last error.

Not a page itself (app.py does not register it): ``pages/settings.py`` renders it.
A stored password, robot address or signing secret is never sent back to the browser:
its box stays empty ("leave empty to keep it") and the page says only whether it is set.
"""

from __future__ import annotations

import streamlit as st

from data_access import db
from data_access import notifications as NT
from data_access.errors import InvalidInput
from pages.common import get_engine, now, tr
from rules.i18n import LANGS
from rules.notifications import LEAD_MINUTES_MAX, OutboxStatus

FORM = "settings.notify"


def _secret(label: str, is_set: bool, key: str) -> tuple[str, bool]:
    """A write-only box: (new value or "", clear the stored one)."""
    value = st.text_input(
        label,
        type="password",
        key=f"{FORM}.{key}",
        placeholder=tr("notify.settings.secret_kept" if is_set else "notify.settings.secret_none"),
    )
    clear = is_set and st.checkbox(tr("notify.settings.clear_secret"), key=f"{FORM}.{key}.clear")
    return value, clear


def settings_form(current: dict, user) -> None:
    with st.form(FORM, enter_to_submit=False):
        st.subheader(tr("notify.settings.general"))
        c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
        base_url = c1.text_input(
            tr("notify.settings.base_url"),
            value=current["base_url"],
            help=tr("notify.settings.base_url_help"),
        )
        lead = c2.number_input(
            tr("notify.settings.lead"), 0, LEAD_MINUTES_MAX, current["sla_lead_minutes"]
        )
        attempts = c3.number_input(
            tr("notify.settings.max_attempts"), 1, 20, current["max_attempts"]
        )
        robot_lang = c4.selectbox(
            tr("notify.settings.robot_lang"),
            LANGS,
            index=LANGS.index(current["robot_lang"]),
            format_func={"zh": "中文", "en": "English"}.get,
        )
        st.subheader(tr("notify.settings.smtp"))
        smtp_on = st.checkbox(tr("notify.settings.enabled"), current["smtp_enabled"], key="smtp_on")
        s1, s2, s3 = st.columns([3, 1, 1])
        host = s1.text_input(tr("notify.settings.host"), current["smtp_host"])
        port = s2.number_input(tr("notify.settings.port"), 1, 65535, current["smtp_port"])
        security = s3.selectbox(
            tr("notify.settings.security"),
            NT.SECURITY,
            index=NT.SECURITY.index(current["smtp_security"]),
            format_func=lambda v: tr(f"notify.settings.security.{v}"),
        )
        s4, s5, s6 = st.columns(3)
        username = s4.text_input(tr("notify.settings.username"), current["smtp_username"])
        with s5:
            password, clear_password = _secret(
                tr("notify.settings.password"), current["smtp_password_set"], "smtp_password"
            )
        sender = s6.text_input(tr("notify.settings.sender"), current["smtp_sender"])
        w1, w2 = st.columns(2)
        with w1:
            st.subheader(tr("notify.settings.wecom"))
            wecom_on = st.checkbox(
                tr("notify.settings.enabled"), current["wecom_enabled"], key="wecom_on"
            )
            wecom_url, clear_wecom = _secret(
                tr("notify.settings.webhook_url"), current["wecom_url_set"], "wecom_url"
            )
        with w2:
            st.subheader(tr("notify.settings.dingtalk"))
            ding_on = st.checkbox(
                tr("notify.settings.enabled"), current["dingtalk_enabled"], key="ding_on"
            )
            ding_url, clear_ding = _secret(
                tr("notify.settings.webhook_url"), current["dingtalk_url_set"], "dingtalk_url"
            )
            ding_secret, clear_ding_secret = _secret(
                tr("notify.settings.dingtalk_secret"),
                current["dingtalk_secret_set"],
                "dingtalk_secret",
            )
        if not st.form_submit_button(tr("ui.save"), type="primary"):
            return
    clears = {
        "smtp_password": clear_password,
        "wecom_url": clear_wecom,
        "dingtalk_url": clear_ding,
        "dingtalk_secret": clear_ding_secret,
    }
    changes = {
        "base_url": base_url,
        "sla_lead_minutes": int(lead),
        "max_attempts": int(attempts),
        "robot_lang": robot_lang,
        "smtp_enabled": smtp_on,
        "smtp_host": host,
        "smtp_port": int(port),
        "smtp_security": security,
        "smtp_username": username,
        "smtp_password": password,
        "smtp_sender": sender,
        "wecom_enabled": wecom_on,
        "wecom_url": wecom_url,
        "dingtalk_enabled": ding_on,
        "dingtalk_url": ding_url,
        "dingtalk_secret": ding_secret,
        "clear": [name for name, on in clears.items() if on],
    }
    try:
        with db.write(get_engine()) as session:
            NT.save_settings(session, changes, actor=user, now=now())
    except InvalidInput as bad:
        for p in bad.problems:
            st.error(tr(p.code, **p.params))
        return
    st.success(tr("notify.settings.saved"))


def outbox_section(user, lang: str) -> None:
    st.subheader(tr("notify.settings.outbox"))
    statuses = [None, *OutboxStatus]
    c1, c2, c3 = st.columns([2, 1, 1])
    status = c1.selectbox(
        tr("notify.col.status"),
        statuses,
        format_func=lambda v: tr("ui.all") if v is None else tr(f"notify.status.{v}"),
        key="settings.outbox_status",
    )
    if c2.button(tr("notify.settings.retry"), key="settings.outbox_retry"):
        with db.write(get_engine()) as session:
            n = NT.retry_failed(session, actor=user, now=now())
        st.success(tr("notify.settings.retried", n=n))
    if c3.button(tr("notify.settings.send_now"), key="settings.outbox_send"):
        NT.sla_round(get_engine(), now())
        r = NT.deliver_round(get_engine(), now())
        if r.skipped:  # the ticker (or another instance) is sending right now
            st.info(tr("notify.settings.busy"))
        else:
            st.success(tr("notify.settings.sent_now", sent=r.sent, failed=r.failed + r.retrying))
    with db.read(get_engine()) as session:
        rows = NT.outbox(session, lang, status=status)
    if not rows:
        st.info(tr("notify.settings.outbox_empty"))
        return
    shown = [
        {
            tr("notify.col.created_at"): r["created_at"],
            tr("notify.col.channel"): tr(f"notify.channel.{r['channel']}"),
            tr("notify.col.recipient"): r["recipient"],
            tr("notify.col.subject"): r["subject"],
            tr("notify.col.status"): tr(f"notify.status.{r['status']}"),
            tr("notify.col.attempts"): r["attempts"],
            tr("notify.col.next_attempt_at"): r["next_attempt_at"],
            tr("notify.col.last_error"): r["last_error"],
            tr("notify.col.sent_at"): r["sent_at"],
        }
        for r in rows
    ]
    st.dataframe(shown, hide_index=True, width="stretch")


def render(user, lang: str) -> None:
    with db.read(get_engine()) as session:
        current = NT.settings_for_page(session)
    settings_form(current, user)
    outbox_section(user, lang)
