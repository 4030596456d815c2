"""Customers & devices page: list, filters, role rights, save path, conflicts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.models import Customer
from data_access.registers import save_changes
from pages.register_grid import Changes, editor_changes, grid_rows
from rules.customers import CUSTOMERS
from tests.app.conftest import signed_in

NOW = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
def customers_db(app_db):
    with db.write(app_db) as s:
        save_changes(
            s,
            "customers",
            inserts=[
                {"code": "007", "name": "恒达精密", "grade": "A", "region": "华东"},
                {"code": "C2", "name": "北方重工", "grade": "B", "region": "华北"},
            ],
            updates=[],
            deletes=[],
            user_id=None,
            now=NOW,
        )
        save_changes(
            s,
            "devices",
            inserts=[
                {
                    "serial_no": "SN-0001",
                    "customer": "007",
                    "install_date": dt.date.today().isoformat(),
                }
            ],
            updates=[],
            deletes=[],
            user_id=None,
            now=NOW,
        )
    return app_db


def open_customers(username: str) -> AppTest:
    at = signed_in(username)
    at.switch_page("pages/customers.py").run()
    assert not at.exception
    return at


def test_agent_sees_rows_and_can_edit(customers_db):
    at = open_customers("agent")
    customers, devices = at.data_editor[0].value, at.data_editor[1].value
    assert list(customers["code"]) == ["007", "C2"]  # leading zero kept
    assert devices.loc[0, "warranty_status"] == "in_warranty"
    assert at.button(key="customers.customers.save")


def test_search_filters_in_sql(customers_db):
    at = open_customers("agent")
    at.text_input(key="customers.customers.search").input("北方").run()
    assert list(at.data_editor[0].value["code"]) == ["C2"]


def test_engineer_may_look_but_not_change(customers_db):
    at = open_customers("engineer")
    assert at.data_editor[0].value.shape[0] == 2
    keys = {b.key for b in at.button}
    assert "customers.customers.save" not in keys


def test_editor_changes_from_the_grid_diff():
    frame = pd.DataFrame(
        [
            {"id": 5, "version": 3, "code": "007", "name": "A"},
            {"id": 6, "version": 1, "code": "C2", "name": "B"},
        ]
    )
    state = {
        "edited_rows": {"1": {"name": "B2", "warranty_status": "x"}},
        "added_rows": [{"code": "C3", "name": "", "grade": "A"}, {"code": None}],
        "deleted_rows": [0],
    }
    changes = editor_changes(CUSTOMERS, frame, state)
    assert changes.updates == [{"id": 6, "version": 1, "name": "B2"}]
    assert changes.inserts == [{"code": "C3", "name": None, "grade": "A"}]  # empty row dropped
    assert changes.deletes == [{"id": 5, "version": 3}]
    assert changes.update_rows == [1] and changes.delete_rows == [0]


def _save_script():
    import streamlit as st

    from pages.register_grid import Changes, save_edits
    from rules.customers import CUSTOMERS

    changes = Changes(**st.session_state["changes"])
    st.session_state["saved"] = save_edits(CUSTOMERS, changes, offset=0, page_rows=2, lang="zh")


def run_save(app_db, user, changes: dict) -> AppTest:
    at = AppTest.from_function(_save_script, default_timeout=30)
    at.session_state["user"] = user
    at.session_state["changes"] = changes
    return at.run()


def _ids(engine) -> dict[str, tuple[int, int, str]]:
    with db.read(engine) as s:
        return {c.code: (c.id, c.version, c.name) for c in s.query(Customer)}


def test_stale_edit_is_a_conflict_not_an_overwrite(customers_db):
    user = signed_in("agent").session_state["user"]
    cid, version, _ = _ids(customers_db)["C2"]
    with db.write(customers_db) as s:  # someone else saves first
        s.get(Customer, cid).name = "北方重工（新）"
    at = run_save(
        customers_db,
        user,
        dict(
            inserts=[],
            updates=[{"id": cid, "version": version, "name": "我的修改"}],
            deletes=[],
            update_rows=[1],
            delete_rows=[],
        ),
    )
    assert not at.exception
    assert "保存冲突" in at.error[0].value
    assert at.session_state["saved"] is False
    assert _ids(customers_db)["C2"][2] == "北方重工（新）"


def test_every_problem_shown_and_nothing_written(customers_db):
    user = signed_in("agent").session_state["user"]
    cid, version, _ = _ids(customers_db)["007"]
    at = run_save(
        customers_db,
        user,
        dict(
            inserts=[
                {"code": "C2", "name": "重复", "grade": "A"},
                {"code": "C9", "name": "新", "grade": "Z"},
            ],
            updates=[{"id": cid, "version": version, "email": "not-an-email"}],
            deletes=[],
            update_rows=[0],
            delete_rows=[],
        ),
    )
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 3
    assert set(table.iloc[:, 0]) == {1, 3, 4}  # grid rows: the edited row 1, new rows 3 and 4
    assert set(_ids(customers_db)) == {"007", "C2"}
    assert _ids(customers_db)["007"][1] == version


def test_grid_rows_counts_across_pages():
    from data_access.registers import RowProblem

    changes = Changes([{}], [{}], [{}], update_rows=[4], delete_rows=[7])
    problems = [
        RowProblem("name", "err.required", {}, 0, None, None, kind)
        for kind in ("insert", "update", "delete")
    ]
    assert [p.row for p in grid_rows(problems, changes, offset=50, page_rows=50)] == [101, 55, 58]
