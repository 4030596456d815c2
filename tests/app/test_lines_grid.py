"""The lines grid component (AppTest): a document's lines from the field specs, saved
as a whole through the lines register's write path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.lines import list_lines
from data_access.models import Customer, Part, Ticket, User
from data_access.users import CurrentUser
from pages.lines_grid import wanted_lines
from rules.service_reports import TICKET_PARTS

NOW = dt.datetime(2026, 11, 23, 9, 0)


def _script():
    import streamlit as st

    from pages.lines_grid import lines_grid

    lines_grid("test", "ticket_parts", "SR1", lang=st.session_state["lang"], editable=True)


def _world(engine, status="on_site"):
    with db.write(engine) as s:
        c = Customer(code="C0001", name="华东精密机械")
        s.add(c)
        s.flush()
        s.add_all(
            [
                Ticket(
                    ticket_no="SR1",
                    customer_id=c.id,
                    channel="phone",
                    priority="standard",
                    status=status,
                    fault_description="异响",
                    received_at=NOW,
                ),
                Part(part_no="0042", name="主轴轴承", price=Decimal("120.00")),
            ]
        )


def _app(app_db, lang="zh") -> AppTest:
    at = AppTest.from_function(_script, default_timeout=30)
    at.session_state["lang"] = lang
    with db.read(app_db) as s:  # the signed-in manager as the log-in stores them
        manager = s.scalar(select(User.id).where(User.username == "manager"))
    at.session_state["user"] = CurrentUser(
        manager, "manager", "manager user", "manager", "华东", False
    )
    return at.run()


def test_wanted_lines_from_the_editor_state():
    frame = pd.DataFrame(
        [
            {"id": 5, "version": 2, "line_no": 1, "part_no": "0042", "qty": 1},
            {"id": 6, "version": 1, "line_no": 2, "part_no": "X-9", "qty": 1},
        ]
    )
    state = {
        "edited_rows": {"0": {"qty": 3}},
        "deleted_rows": [1],
        "added_rows": [{"part_no": "P-7", "qty": 2}, {"part_no": ""}],
    }
    got = wanted_lines(TICKET_PARTS, frame, state)
    assert got[0]["id"] == 5 and got[0]["version"] == 2 and got[0]["qty"] == 3
    assert got[1] == {
        "line_no": None,
        "part_no": "P-7",
        "description": None,
        "qty": 2,
        "unit_price": None,
        "non_catalogue": None,
        "non_catalogue_reason": None,
    }
    assert len(got) == 2  # the removed line and the blank added row are gone


def test_lines_grid_adds_lines_and_shows_every_problem(app_db):
    _world(app_db)
    at = _app(app_db)
    assert at.data_editor[0].value.empty
    grid = at.data_editor[0]
    at.session_state[grid.key] = {
        "edited_rows": {},
        "deleted_rows": [],
        "added_rows": [{"part_no": "0042", "qty": 0}, {"part_no": None, "qty": 2}],
    }
    at.button(key="test.ticket_parts.SR1.save").click()
    at.run()
    assert not at.exception
    shown = at.dataframe[-1].value.to_string()
    assert "数量" in shown and "配件编号" in shown  # both rows' problems, by column
    with db.read(app_db) as s:
        assert list_lines(s, "ticket_parts", "SR1") == []  # nothing half-written
    at.session_state[grid.key] = {
        "edited_rows": {},
        "deleted_rows": [],
        "added_rows": [{"part_no": "0042", "qty": 2}],
    }
    at.button(key="test.ticket_parts.SR1.save").click()
    at.run()
    assert not at.exception and not at.error
    with db.read(app_db) as s:
        (line,) = list_lines(s, "ticket_parts", "SR1")
    assert (line["line_no"], line["description"], line["qty"]) == (1, "主轴轴承", 2)
    assert at.data_editor[0].value["part_no"].tolist() == ["0042"]  # read again after save


def test_lines_grid_in_english_names_columns_in_english(app_db):
    _world(app_db, status="closed")
    at = _app(app_db, lang="en")
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {},
        "deleted_rows": [],
        "added_rows": [{"part_no": "0042", "qty": 1}],
    }
    at.button(key="test.ticket_parts.SR1.save").click()
    at.run()
    text = " ".join(e.value for e in at.error) + at.dataframe[-1].value.to_string()
    assert "closed" in text and "SR1" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)
