"""Settings (admin only): users and roles."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.orm.exc import StaleDataError

from data_access import db
from data_access.users import (
    WeakPassword,
    create_user,
    list_users,
    reset_password,
    update_user,
    username_taken,
)
from pages.common import get_engine, guarded, password_refused, require, tr
from rules.access import Page, Role
from rules.i18n import t


def users_tab(lang: str) -> None:
    # format functions take the language explicitly: they may run outside a script run
    def role_label(role: str) -> str:
        return t(f"role.{role}", lang)

    with db.read(get_engine()) as session:
        users = list_users(session)
    frame = pd.DataFrame(users)
    roles = [str(r) for r in Role]
    nonce = st.session_state.get("settings.users.nonce", 0)
    key = f"settings.users.grid.{nonce}"
    st.data_editor(
        frame,
        key=key,
        hide_index=True,
        placeholder="",  # no region, never logged in: an empty cell, not "None"
        column_order=[
            "username",
            "display_name",
            "role",
            "region",
            "is_active",
            "demo_password",
            "last_login_at",
        ],
        column_config={
            "username": st.column_config.TextColumn(tr("login.username"), disabled=True),
            "display_name": st.column_config.TextColumn(tr("settings.display_name"), disabled=True),
            "role": st.column_config.SelectboxColumn(
                tr("settings.role"),
                options=roles,
                format_func=role_label,
                required=True,
            ),
            "region": st.column_config.TextColumn(tr("settings.region")),
            "is_active": st.column_config.CheckboxColumn(tr("settings.active")),
            "demo_password": st.column_config.CheckboxColumn(
                tr("settings.demo_password"), disabled=True
            ),
            "last_login_at": st.column_config.DatetimeColumn(
                tr("settings.last_login"), disabled=True
            ),
        },
    )
    if st.button(tr("ui.save"), key="settings.users.save", type="primary"):
        edits = st.session_state.get(key, {}).get("edited_rows", {})
        if not edits:
            st.info(tr("ui.nothing_to_save"))
        else:
            try:
                with db.write(get_engine()) as session:
                    for idx, change in edits.items():
                        row = {**users[int(idx)], **change}
                        update_user(
                            session,
                            row["id"],
                            row["version"],
                            role=row["role"],
                            region=row["region"],
                            is_active=bool(row["is_active"]),
                        )
            except StaleDataError as exc:
                st.error(tr("ui.conflict", what=str(exc)))
            else:
                st.session_state["settings.users.nonce"] = nonce + 1
                st.rerun()

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
                    reset_password(session, by_name[who], password)
            except WeakPassword as exc:
                password_refused(exc)
            else:
                st.success(tr("settings.password_reset", value=who))


def add_user(username: str, name: str, role: str, region: str, password: str) -> None:
    if not username:
        st.error(tr("err.required") + f": {tr('login.username')}")
        return
    try:
        with db.write(get_engine()) as session:
            if username_taken(session, username):
                st.error(tr("settings.username_taken", value=username))
                return
            create_user(session, username, password, role, name or username, region or None)
    except WeakPassword as exc:
        password_refused(exc)
        return
    st.success(tr("settings.user_added", value=username))
    st.session_state["settings.users.nonce"] = st.session_state.get("settings.users.nonce", 0) + 1


def main() -> None:
    _user, lang, _editable = require(Page.SETTINGS)
    (users,) = st.tabs([tr("settings.tab.users")])
    with users, guarded():
        users_tab(lang)


main()
