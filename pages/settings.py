"""Settings (admin only): users and roles."""

from __future__ import annotations

import streamlit as st

from data_access import db
from data_access.users import (
    WeakPassword,
    create_user,
    list_users,
    reset_password,
    username_taken,
)
from pages import backup as backup_tab
from pages import excel_panel
from pages import notify_settings as notify_tab
from pages.common import current_user, get_engine, guarded, password_refused, plain, require, tr
from pages.filter_bar import filter_bar
from pages.register_grid import refresh_grids, register_grid
from rules.access import USERS, Page, Role
from rules.i18n import t


def users_tab(user, lang: str) -> None:
    # format functions take the language explicitly: they may run outside a script run
    def role_label(role: str) -> str:
        return t(f"role.{role}", lang)

    filters, search = filter_bar("settings", USERS, ("role", "region", "is_active"), lang)
    register_grid("settings", USERS, filters=filters, search=search, lang=lang, editable=True)
    st.caption(tr("settings.users_help"))
    with db.read(get_engine()) as session:
        users = list_users(session)
    roles = [str(r) for r in Role]
    left, right = st.columns(2)
    with left, st.form("settings.add_user", clear_on_submit=True, enter_to_submit=False):
        st.subheader(tr("settings.add_user"))
        username = st.text_input(tr("login.username"))
        name = st.text_input(tr("settings.display_name"))
        role = st.selectbox(tr("settings.role"), roles, format_func=role_label)
        region = st.text_input(tr("settings.region"))
        password = st.text_input(tr("login.password"), type="password")
        if st.form_submit_button(tr("settings.add_user")):
            add_user(username.strip(), name, role, region, password)
    with right, st.form("settings.reset", clear_on_submit=True, enter_to_submit=False):
        st.subheader(tr("settings.reset_password"))
        by_name = {u["username"]: u["id"] for u in users}
        who = st.selectbox(tr("settings.pick_user"), list(by_name))
        password = st.text_input(tr("password.new"), type="password")
        if st.form_submit_button(tr("settings.reset_password")) and who:
            try:
                with db.write(get_engine()) as session:
                    reset_password(session, by_name[who], password, by=current_user().id)
            except WeakPassword as exc:
                password_refused(exc)
            else:
                st.success(tr("settings.password_reset", value=plain(who)))


def add_user(username: str, name: str, role: str, region: str, password: str) -> None:
    if not username:
        st.error(tr("err.required") + f": {tr('login.username')}")
        return
    try:
        with db.write(get_engine()) as session:
            if username_taken(session, username):
                st.error(tr("settings.username_taken", value=plain(username)))
                return
            create_user(
                session,
                username,
                password,
                role,
                name or username,
                region or None,
                by=current_user().id,
            )
    except WeakPassword as exc:
        password_refused(exc)
        return
    st.success(tr("settings.user_added", value=plain(username)))
    st.session_state["settings.users.nonce"] = st.session_state.get("settings.users.nonce", 0) + 1
    refresh_grids()


def main() -> None:
    _user, lang, _editable = require(Page.SETTINGS)
    users, backups, notify = st.tabs(
        [tr("settings.tab.users"), tr("settings.tab.backup"), tr("settings.tab.notify")]
    )
    with users, guarded():
        users_tab(_user, lang)
        with st.expander(tr("imports.panel.title")):
            excel_panel.render("users", get_engine(), _user, lang)
    with backups, guarded():
        backup_tab.render(_user, lang)
    with notify, guarded():
        notify_tab.render(_user, lang)


main()
