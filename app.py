"""Aftersales Desk: log-in, language, role → st.navigation(...).run(); nothing else."""

from __future__ import annotations

import time

import streamlit as st

from data_access import db
from data_access.notifications import unread_count
from data_access.users import (
    BadUsername,
    CurrentUser,
    LoginInactive,
    LoginLocked,
    WeakPassword,
    authenticate,
    change_password,
    count_users,
    create_first_admin,
    demo_password_in_use,
    record_refused_login,
)
from pages import public_report
from pages.common import (
    LANG_KEY,
    SEARCH_KEY,
    USER_KEY,
    current_user,
    forget_user,
    get_engine,
    guarded,
    lang,
    now,
    password_refused,
    plain,
    tr,
)
from pages.search_links import search_links
from rules.access import LOCK_MINUTES, MIN_USERNAME_LENGTH, Page, Role, pages_for
from rules.i18n import LANGS
from rules.links import DeepLink, parse_link

SECTIONS: dict[str, tuple[Page, ...]] = {
    "nav.section.overview": (Page.DASHBOARD, Page.SEARCH, Page.INBOX),
    "nav.section.service": (Page.TICKETS, Page.MAINTENANCE, Page.COMPLAINTS, Page.FOLLOWUPS),
    "nav.section.resources": (
        Page.CUSTOMERS,
        Page.PARTS,
        Page.KNOWLEDGE,
        Page.TRAINING,
        Page.FEES,
    ),
    "nav.section.admin": (Page.SLA, Page.SETTINGS, Page.AUDIT),
}
ICONS = {
    Page.DASHBOARD: ":material/monitoring:",
    Page.CUSTOMERS: ":material/business:",
    Page.TICKETS: ":material/build:",
    Page.MAINTENANCE: ":material/event_repeat:",
    Page.PARTS: ":material/inventory_2:",
    Page.COMPLAINTS: ":material/report:",
    Page.FOLLOWUPS: ":material/call:",
    Page.TRAINING: ":material/school:",
    Page.FEES: ":material/payments:",
    Page.SLA: ":material/schedule:",
    Page.SETTINGS: ":material/settings:",
    Page.AUDIT: ":material/history:",
    Page.SEARCH: ":material/search:",
    Page.KNOWLEDGE: ":material/menu_book:",
    Page.INBOX: ":material/inbox:",
}
SIDEBAR_HITS = 5  # per kind, under the sidebar's search box
# a deep link (?ticket=…, ?customer=…) opened before log-in: followed right after it
LINK_KEY = "app.link"
# failed attempts in one browser session before it must wait (the account lock-out
# in data_access.users covers attempts spread over many sessions)
SESSION_FAILS_BEFORE_DELAY = 3


def language_switch() -> None:
    st.sidebar.radio(
        tr("lang.label"),
        LANGS,
        format_func=lambda code: {"zh": "中文", "en": "English"}[code],
        horizontal=True,
        key=LANG_KEY,
    )


def first_start_form() -> None:
    st.title(tr("setup.title"))
    st.info(tr("setup.intro"))
    with st.form("app.setup", enter_to_submit=False):
        username = st.text_input(tr("login.username"), value="admin")
        name = st.text_input(tr("setup.display_name"))
        password = st.text_input(tr("login.password"), type="password")
        password2 = st.text_input(tr("setup.password2"), type="password")
        submitted = st.form_submit_button(tr("setup.submit"), type="primary")
    if not submitted:
        return
    if password != password2:
        st.error(tr("setup.mismatch"))
        return
    try:
        with db.write(get_engine()) as session:
            # False when a second browser was quicker: its admin is the only one
            create_first_admin(session, username.strip(), password, name.strip() or None)
    except BadUsername:
        st.error(tr("setup.username_short", min=MIN_USERNAME_LENGTH))
        return
    except WeakPassword as exc:
        password_refused(exc)
        return
    st.success(tr("setup.done"))
    st.rerun()


def login_form() -> None:
    st.title(tr("app.title"))
    st.caption(tr("app.tagline"))
    with st.form("app.login"):  # Enter logs in, as everywhere else
        username = st.text_input(tr("login.username"))
        password = st.text_input(tr("login.password"), type="password")
        submitted = st.form_submit_button(tr("login.submit"), type="primary")
    if not submitted:
        return
    fails = st.session_state.get("app.login_fails", 0)
    if fails >= SESSION_FAILS_BEFORE_DELAY:
        time.sleep(min(2 ** (fails - SESSION_FAILS_BEFORE_DELAY), 8))
    try:
        with db.write(get_engine()) as session:
            user = authenticate(session, username, password, now())
    except (LoginLocked, LoginInactive) as refused:
        user = None  # one answer: the page must not tell which user names exist
        with db.write(get_engine()) as session:  # the refused attempt's transaction rolled back
            record_refused_login(session, username, refused, now())
    if user is None:
        st.session_state["app.login_fails"] = fails + 1
        st.error(tr("login.refused", minutes=LOCK_MINUTES))
        return
    st.session_state["app.login_fails"] = 0
    forget_user(user.id)  # a copy cached while they were disabled must not sign them out
    st.session_state[USER_KEY] = user
    st.rerun()


def account_box(user: CurrentUser) -> None:
    st.sidebar.caption(
        tr("login.signed_in_as", name=plain(user.display_name), role=tr(f"role.{user.role}"))
    )
    # the own demo password, or (admins only) anyone's while one is still in use
    if user.demo_password or (user.role == Role.ADMIN and _demo_users_present()):
        st.sidebar.warning(tr("login.demo_warning"))
    with st.sidebar.expander(tr("password.change")):
        with st.form("app.password", enter_to_submit=False):
            current = st.text_input(tr("password.current"), type="password")
            new = st.text_input(tr("password.new"), type="password")
            new2 = st.text_input(tr("setup.password2"), type="password")
            ok = st.form_submit_button(tr("ui.save"))
        if ok:
            change_own_password(user, current, new, new2)
    st.sidebar.button(tr("login.logout"), key="app.logout", on_click=logout)


def change_own_password(user: CurrentUser, current: str, new: str, new2: str) -> None:
    if new != new2:
        st.error(tr("setup.mismatch"))
        return
    try:
        with db.write(get_engine()) as session:
            changed = change_password(session, user.id, current, new, now())
    except WeakPassword as exc:
        password_refused(exc)
        return
    if changed:
        forget_user(user.id)  # the demo-password warning goes at once
        st.success(tr("password.changed"))
    else:
        st.error(tr("password.wrong_current"))


def logout() -> None:
    """Forget everything of this session but its language."""
    for key in list(st.session_state):
        if key != LANG_KEY:
            del st.session_state[key]


def navigation(user: CurrentUser) -> tuple[st.Page, dict[Page, st.Page]]:
    """The signed-in user's menu: (the page this run shows, every page of the menu)."""
    allowed = set(pages_for(user.role))
    sections, entries = {}, {}
    for section, pages in SECTIONS.items():
        for page in pages:
            if page in allowed:
                entries[page] = st.Page(
                    f"pages/{page}.py", title=_title(page, user), icon=ICONS[page], url_path=page
                )
        listed = [entries[page] for page in pages if page in entries]
        if listed:
            sections[tr(section)] = listed
    return st.navigation(sections, expanded=True), entries


def _title(page: Page, user: CurrentUser) -> str:
    """A page's menu title; the inbox's tells how many messages are unread."""
    if page is not Page.INBOX:
        return tr(f"page.{page}")
    with db.read(get_engine()) as session:
        unread = unread_count(session, user.id)
    return tr("page.inbox_unread", n=unread) if unread else tr("page.inbox")


def remember_link() -> None:
    """Keep a record link of the address across the log-in (the log-in page's own
    reruns and a failed attempt must not lose it)."""
    link = parse_link(st.query_params.to_dict())
    if link is not None:
        st.session_state[LINK_KEY] = link


def follow_link(current: st.Page, pages: dict[Page, st.Page]) -> None:
    """After log-in, open the page a remembered link points to, with the link; a page
    the role may not open gets the same "no access" as typing its address."""
    link: DeepLink | None = st.session_state.pop(LINK_KEY, None)
    if link is None:
        return
    target = pages.get(link.page)
    if target is None:
        st.error(tr("page.forbidden"))
        return
    if current.url_path != target.url_path or parse_link(st.query_params.to_dict()) != link:
        st.switch_page(target, query_params={link.kind: link.key})


def main() -> None:
    if public_report.wanted():  # a device's QR link or the status lookup: no log-in,
        public_report.run()  # and nothing but the public page is registered
        return
    st.set_page_config(
        page_title=tr("app.title"), page_icon=":material/support_agent:", layout="wide"
    )
    st.session_state.setdefault(LANG_KEY, lang())
    language_switch()
    user = current_user()  # re-read from the database on every run
    if user is None:
        remember_link()
        # st.navigation on every run, also before log-in: without it Streamlit would
        # list every module under pages/ in the sidebar
        page = st.Page(anonymous_page, title=tr("login.title"), url_path="login", default=True)
        # every page's address shows the log-in too, so a typed URL or a refresh (F5)
        # keeps its path and query; after log-in the user is where the address points
        also = [st.Page(anonymous_page, title=tr("login.title"), url_path=str(p)) for p in Page]
        st.navigation([page, *also], position="hidden").run()
        return
    account_box(user)
    current, pages = navigation(user)
    search_box(user)
    follow_link(current, pages)
    current.run()


def search_box(user: CurrentUser) -> None:
    """One box in the sidebar: the first hits of each kind right under it, each a link
    that opens the record; all of them on the search page."""
    fragment = st.sidebar.text_input(
        tr("search.box"), key=SEARCH_KEY, max_chars=100, placeholder="SR2026… / 精密 / 138…"
    )
    if fragment.strip():
        with st.sidebar, guarded():
            search_links(user, fragment, limit=SIDEBAR_HITS)


def anonymous_page() -> None:
    with guarded():
        with db.read(get_engine()) as session:
            users = count_users(session)
        if users == 0:
            first_start_form()
        else:
            login_form()  # never a word of demo accounts to a visitor


def _demo_users_present() -> bool:
    with db.read(get_engine()) as session:
        return demo_password_in_use(session)


main()
