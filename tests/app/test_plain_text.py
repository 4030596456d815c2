"""User text is text: what people typed never renders as Markdown (no links, colours or
remote images — an image would make every viewer's browser fetch an outside URL)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access import tickets as T
from data_access.models import Customer, User
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in

PIXEL = "![x](http://example.invalid/p.png)"
LINK = "**bold** [link](http://example.invalid)"
COLOUR = ":red[alarm] <img src=http://example.invalid/i.png>"
# Markdown a renderer would act on: an image or link not escaped by a backslash
LIVE = re.compile(r"(?<!\\)!\[|(?<!\\)\]\(|(?<!\\):red\[|(?<!\\)<img")


def esc(text: str) -> str:
    """``text`` as Markdown that shows it literally: ASCII punctuation backslashed."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def rendered(at: AppTest) -> list[str]:
    """The text of every element that Streamlit renders as Markdown."""
    out: list[str] = []
    for kind in ("markdown", "caption", "title", "header", "subheader"):
        out += [str(e.value) for e in at.get(kind)]
    for kind in ("info", "success", "warning", "error", "toast"):
        out += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        out += [str(m.label), str(m.value)]
    return out


def assert_no_live_markdown(at: AppTest) -> None:
    live = [text for text in rendered(at) if LIVE.search(text)]
    assert not live, live


def test_plain_escapes_markdown_and_keeps_line_breaks():
    from pages.common import plain

    assert plain(PIXEL) == r"\!\[x\]\(http\:\/\/example\.invalid\/p\.png\)"
    assert plain("a\nb") == "a  \nb"
    assert plain(None) == ""
    assert plain(LINK) == esc(LINK)
    assert plain("SR-2026-0001") == "SR-2026-0001"  # a hyphen inside a line is harmless
    assert plain("- item\n---") == "\\- item  \n\\---"  # no list, no rule
    assert plain("恒达精密（华东）") == "恒达精密（华东）"  # CJK text untouched


@pytest.fixture
def hostile_ticket(app_db) -> str:
    with db.write(app_db) as s:
        customer = Customer(code="C-1", name=LINK, grade="A", region="华东")
        s.add(customer)
        s.flush()
        engineer = s.scalar(select(User).where(User.username == "engineer"))
        engineer.display_name = COLOUR
        s.scalar(select(User).where(User.username == "agent")).display_name = PIXEL
        ticket = T.create_ticket(
            s,
            customer_id=customer.id,
            channel="phone",
            priority="high",
            fault_description=f"{PIXEL}\n{LINK}",
            received_at=CLOCK,
            actor=ADMIN,
            now=CLOCK,
            serial_no="[s](http://example.invalid/s)",
        )
        T.dispatch(
            s, ticket.id, engineer.id, actor=ADMIN, now=CLOCK, expected_version=ticket.version
        )
        return ticket.ticket_no


def _detail(ticket_no: str) -> AppTest:
    at = signed_in("agent", "en")
    at.switch_page("pages/tickets.py").run()
    next(r for r in at.radio if r.key.startswith("tickets.view")).set_value("detail").run()
    at.text_input(key="tickets.detail_no").input(ticket_no).run()
    assert not at.exception, at.exception
    return at


def test_ticket_detail_shows_user_text_literally(hostile_ticket):
    at = _detail(hostile_ticket)
    shown = "\n".join(rendered(at))
    assert esc(PIXEL) in shown  # the fault description, as typed
    assert esc(LINK) in shown  # the customer name
    assert esc("[s](http://example.invalid/s)") in shown  # the serial
    assert esc(COLOUR) in [str(m.value) for m in at.metric]  # the engineer
    assert_no_live_markdown(at)


def test_the_signed_in_users_name_is_shown_literally(hostile_ticket):
    at = signed_in("agent", "en")
    assert any(esc(PIXEL) in str(c.value) for c in at.sidebar.caption)
    assert_no_live_markdown(at)


def test_a_typed_ticket_number_is_echoed_literally(hostile_ticket):
    at = _detail(PIXEL)
    assert any(esc(PIXEL) in w.value for w in at.warning)
    assert_no_live_markdown(at)


def test_settings_messages_show_a_user_name_literally(app_db):
    at = signed_in("admin", "en")
    at.switch_page("pages/settings.py").run()
    form = [w for w in at.text_input if w.label in ("Username", "Password")]
    name = "**u**[l](http://example.invalid)"
    form[0].input(name)
    form[1].input("a-long-password")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception, at.exception
    assert any(esc(name) in s.value for s in at.success)
    assert_no_live_markdown(at)
