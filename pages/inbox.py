"""The signed-in user's notifications: newest first, unread marked, each opening the
record it is about (the same deep link the e-mail carries). User text (customer names,
fault descriptions) is shown in grid cells and st.text, never as Markdown."""

from __future__ import annotations

import streamlit as st

from data_access import db
from data_access import notifications as NT
from pages.common import get_engine, guarded, now, require, tr
from rules.access import Page, can_view

UNREAD_ONLY = "inbox.unread_only"
PICK = "inbox.pick"


def _mark_all(user_id: int) -> None:
    with db.write(get_engine()) as session:
        n = NT.mark_read(session, user_id, None, now())
    st.session_state["inbox.flash"] = tr("inbox.marked", n=n)


def _open(user_id: int, message: dict) -> None:
    """Mark the message read and go to its record (its page checks the role again)."""
    with db.write(get_engine()) as session:
        NT.mark_read(session, user_id, [message["id"]], now())
    link = message["link"]
    # a page follows an address's link once ("<page>.linked"); this is a new request
    st.session_state.pop(f"{link.page}.linked", None)
    st.switch_page(f"pages/{link.page}.py", query_params={link.kind: link.key})


def main() -> None:
    user, lang, _editable = require(Page.INBOX)
    if "inbox.flash" in st.session_state:
        st.success(st.session_state.pop("inbox.flash"))
    with guarded():
        left, right = st.columns([1, 1])
        unread_only = left.toggle(tr("inbox.unread_only"), key=UNREAD_ONLY)
        with db.read(get_engine()) as session:
            messages = NT.inbox(session, user.id, lang, unread_only=unread_only)
            unread = NT.unread_count(session, user.id)
        if unread:
            right.button(tr("inbox.mark_all"), key="inbox.mark_all", on_click=_mark_all,
                         args=(user.id,))  # fmt: skip
        if not messages:
            st.info(tr("inbox.empty"))
            return
        rows = [
            {
                tr("inbox.col.at"): m["at"].strftime("%Y-%m-%d %H:%M"),
                tr("inbox.col.subject"): ("● " if not m["read"] else "") + m["subject"],
                tr("inbox.col.body"): m["body"].replace("\n", " · "),
            }
            for m in messages
        ]
        st.dataframe(rows, hide_index=True, width="stretch")
        by_id = {m["id"]: m for m in messages}
        picked = st.selectbox(
            tr("inbox.pick"), list(by_id), format_func=lambda i: by_id[i]["subject"], key=PICK
        )
        message = by_id[picked]
        st.text(message["body"])
        link = message["link"]
        if link is None:
            st.caption(tr("inbox.no_link"))
        elif not can_view(user.role, link.page):
            st.caption(tr("page.forbidden"))
        elif st.button(tr("inbox.open"), key="inbox.open", type="primary"):
            _open(user.id, message)


main()
