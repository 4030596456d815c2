"""The sidebar search box and the search page: hits by kind as links that open the
record, as the role may see them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.models import Ticket
from tests.actors import ADMIN
from tests.app.conftest import signed_in
from tests.helpers import one_open_ticket

RECEIVED = dt.datetime(2026, 11, 23, 9, 0)


def searched(role: str, fragment: str) -> AppTest:
    """The search page for ``fragment`` as the sidebar box opens it."""
    at = signed_in(role, "en")
    at.session_state["app.search"] = fragment
    at.switch_page("pages/search.py").run()
    assert not at.exception, at.exception
    return at


def links(at: AppTest) -> list[tuple[str, str, str]]:
    """(label, target page, query string) of each hit."""
    return [(p.label, p.proto.page, p.proto.query_string) for p in at.main.get("page_link")]


def ticket_no(engine) -> str:
    with db.read(engine) as s:
        return s.scalar(select(Ticket.ticket_no))


def test_hits_are_links_that_open_the_record(app_db):
    one_open_ticket(app_db, RECEIVED, ADMIN)
    no = ticket_no(app_db)
    ((label, page, query),) = links(searched("agent", "主轴异"))
    assert (label, query) == (f"{no} · 恒达精密", f"ticket={no}") and "tickets" in page
    # two characters: the start of a customer's name (no ticket text matches)
    assert [label for label, _, _ in links(searched("agent", "恒达"))] == ["007 · 恒达精密"]


def test_a_trainer_finds_customers_but_no_tickets(app_db):
    one_open_ticket(app_db, RECEIVED, ADMIN)
    assert [label for label, _, _ in links(searched("trainer", "恒达精"))] == ["007 · 恒达精密"]
    assert [label for label, _, _ in links(searched("trainer", "主轴异"))] == []


def test_nothing_found_says_so(app_db):
    at = searched("manager", "不存在的东西")
    assert "Nothing found for '不存在的东西'." in [c.value for c in at.main.caption]


def test_the_sidebar_has_the_box(app_db):
    at = signed_in("agent", "en")
    assert at.sidebar.text_input(key="app.search").label.startswith("Search tickets, customers")
