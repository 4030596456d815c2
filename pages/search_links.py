"""Search hits as links: each opens its record (``?ticket=…``, ``?customer=…``); shared by
the sidebar box and the search page. Each kind only for a user who may open its page."""

from __future__ import annotations

import streamlit as st

from data_access import complaints, db, search
from data_access.users import CurrentUser
from pages.common import get_engine, tr
from rules.access import Page, can_view

# kind → the page that opens it, and the query parameter naming the record
TARGETS: dict[str, tuple[Page, str]] = {
    "ticket": (Page.TICKETS, "ticket"),
    "customer": (Page.CUSTOMERS, "customer"),
    "device": (Page.CUSTOMERS, "customer"),  # the device's customer
    "part": (Page.PARTS, "part"),
    "complaint": (Page.COMPLAINTS, "complaint"),
}
ICONS = {
    "ticket": ":material/build:",
    "customer": ":material/business:",
    "device": ":material/precision_manufacturing:",
    "part": ":material/inventory_2:",
    "complaint": ":material/report:",
}


def visible_kinds(role: str | None) -> list[str]:
    return [kind for kind, (page, _) in TARGETS.items() if can_view(role, page)]


def find(user: CurrentUser, fragment: str, limit: int) -> list[search.Hit]:
    with db.read(get_engine()) as s:
        return search.search(
            s,
            fragment,
            kinds=visible_kinds(user.role),
            limit=limit,
            complaints_seen=complaints.readable_by(user),
        )


def search_links(user: CurrentUser, fragment: str, *, limit: int) -> list[search.Hit]:
    """The hits as page links, grouped by kind; "nothing found" when there are none."""
    hits = find(user, fragment, limit)
    if not hits:
        st.caption(tr("search.none", q=search.cleaned(fragment)))
        return hits
    for kind in TARGETS:
        mine = [h for h in hits if h.kind == kind]
        if not mine:
            continue
        page, param = TARGETS[kind]
        st.caption(f"{tr(f'search.kind.{kind}')} ({len(mine)})")
        for h in mine:
            st.page_link(
                f"pages/{page.value}.py",
                label=f"{h.key} · {h.title}",
                help=h.detail or None,
                icon=ICONS[kind],
                query_params={param: h.opens or h.key},
            )
    return hits
