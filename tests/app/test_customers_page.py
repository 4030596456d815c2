"""Customers & devices page: list, filters, role rights, save path, conflicts."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.models import Customer
from data_access.registers import save_changes
from pages.common import text_width
from pages.register_grid import Changes, editor_changes, grid_rows, problem_keys
from rules.customers import CUSTOMERS, DEVICES
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in

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
            actor=ADMIN,
            now=NOW,
        )
        save_changes(
            s,
            "devices",
            inserts=[
                {
                    "serial_no": "SN-0001",
                    "customer": "007",
                    "install_date": CLOCK.date().isoformat(),
                }
            ],
            updates=[],
            deletes=[],
            actor=ADMIN,
            now=NOW,
        )
    return app_db


def open_customers(username: str, lang: str = "zh") -> AppTest:
    at = signed_in(username, lang)
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
        "added_rows": [{"code": "C3", "name": "", "grade": "A"}, {"code": None}, {}],
        "deleted_rows": [0],
    }
    changes = editor_changes(CUSTOMERS, frame, state)
    assert changes.updates == [{"id": 6, "version": 1, "name": "B2"}]
    # a new row left blank is still sent: its required cells are reported, not skipped
    assert changes.inserts == [{"code": "C3", "name": None, "grade": "A"}, {"code": None}, {}]
    assert changes.deletes == [{"id": 5, "version": 3}]
    assert changes.update_rows == [1] and changes.delete_rows == [0]
    assert changes.update_keys == ["C2"] and changes.delete_keys == ["007"]


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
            update_keys=["007"],
            delete_keys=[],
        ),
    )
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 3
    assert set(table.iloc[:, 0]) == {1, 3, 4}  # grid rows: the edited row 1, new rows 3 and 4
    # the row's key beside its number, so the user can find it
    assert table.columns[1] == "客户编号"
    assert dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True)) == {
        1: "007",
        3: "C2",
        4: "C9",
    }
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


def test_problem_keys_name_the_row():
    from data_access.registers import RowProblem

    changes = Changes(
        inserts=[{"code": "N1"}],
        updates=[{"id": 1, "version": 1, "name": "x"}, {"id": 2, "version": 1, "code": "NEW"}],
        deletes=[{"id": 3, "version": 1}],
        update_rows=[0, 1],
        delete_rows=[2],
        update_keys=["007", "OLD"],
        delete_keys=["C2"],
    )
    problems = [
        RowProblem("name", "err.required", {}, row, None, None, kind)
        for row, kind in ((0, "insert"), (0, "update"), (1, "update"), (0, "delete"))
    ]
    # an edited key is what the grid now shows
    assert problem_keys(problems, changes, "code") == ["N1", "007", "NEW", "C2"]


def test_empty_cells_show_empty_not_none(customers_db):
    at = open_customers("agent")
    assert pd.isna(at.data_editor[0].value.loc[0, "phone"])  # the cell really is empty
    for editor in at.data_editor:
        # without a placeholder the grid writes "None" into every empty cell
        assert editor.proto.HasField("placeholder") and editor.proto.placeholder == ""


def test_saving_an_edit_leaves_empty_cells_null(customers_db):
    at = open_customers("agent")
    at.session_state["customers.customers.grid.0"] = {
        "edited_rows": {"1": {"name": "北方重工集团", "region": ""}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="customers.customers.save").click().run()
    assert not at.exception and not at.error
    with db.read(customers_db) as s:
        c2 = s.query(Customer).filter_by(code="C2").one()
        assert c2.name == "北方重工集团"
        assert c2.region is None  # a cleared cell: NULL, not ""
        # untouched empty cells: still NULL, not "None"
        assert (c2.industry, c2.phone, c2.email, c2.notes) == (None, None, None, None)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_grade_column_fits_its_header_and_labels(customers_db, lang):
    at = open_customers("agent", lang)
    grade = json.loads(at.data_editor[0].proto.columns)["grade"]
    texts = [grade["label"], *(o["label"] for o in grade["type_config"]["options"])]
    assert grade["width"] > max(text_width(t) for t in texts)


def test_device_statuses_follow_serial_customer_and_model(customers_db):
    at = open_customers("agent")
    order = list(at.data_editor[1].proto.column_order)
    assert order[:5] == ["serial_no", "customer", "model", "warranty_status", "contract_status"]
    assert sorted(order) == sorted(f.name for f in DEVICES.fields)  # every column still shown
    # the register (and so the Excel layout) keeps the statuses last
    assert [f.name for f in DEVICES.fields][-2:] == ["warranty_status", "contract_status"]


@pytest.mark.parametrize("lang, text", [("zh", "请选择"), ("en", "Choose options")])
def test_filter_placeholders_in_the_ui_language(customers_db, lang, text):
    at = open_customers("agent", lang)
    for key in ("customers.customers.grade", "customers.devices.warranty_status"):
        assert at.multiselect(key=f"{key}.{lang}").proto.placeholder == text


def test_required_columns_are_checked_on_save_not_held_back_by_the_grid(customers_db):
    at = open_customers("agent")
    for editor in at.data_editor:
        columns = json.loads(editor.proto.columns)
        # a required column makes the grid keep an incomplete new row to itself: never
        # sent, so "nothing to save" while the row stays on screen
        assert not any(c.get("required") for c in columns.values() if isinstance(c, dict))
    assert json.loads(at.data_editor[0].proto.columns)["code"]["label"].endswith(" *")


@pytest.mark.parametrize(
    "lang, code_label, required", [("zh", "客户编号", "必填"), ("en", "Customer code", "Required")]
)
def test_new_row_missing_required_cells_listed_with_the_duplicate(
    customers_db, lang, code_label, required
):
    at = open_customers("agent", lang)
    at.session_state["customers.customers.grid.0"] = {
        "edited_rows": {},
        "added_rows": [{}, {"name": "只有名称"}, {"code": "C2", "name": "重复", "grade": "A"}],
        "deleted_rows": [],
    }
    at.button(key="customers.customers.save").click().run()
    assert not at.exception
    assert not at.info  # not "nothing to save"
    (table,) = [d.value for d in at.dataframe if d.value.columns[0] in ("行", "Row")]
    by_row = {}
    for _, r in table.iterrows():
        by_row.setdefault(r.iloc[0], []).append((r.iloc[2], r.iloc[4]))
    assert set(by_row) == {3, 4, 5}  # new rows follow the page's two rows
    assert {c for c, _ in by_row[3]} >= {code_label} and len(by_row[3]) >= 2
    assert code_label in {c for c, _ in by_row[4]}
    assert all(required in m for _, m in by_row[3] + by_row[4])
    assert [c for c, _ in by_row[5]] == [code_label]  # the duplicate key
    assert set(_ids(customers_db)) == {"007", "C2"}  # nothing saved


def test_filter_bar_from_the_field_specs(customers_db):
    """Option fields are choices in the page's language, text fields match a part."""
    at = open_customers("agent", "en")
    grade = at.multiselect(key="customers.customers.grade.en")
    assert grade.label == CUSTOMERS.field("grade").label("en")
    assert grade.options == [
        CUSTOMERS.field("grade").option_label(o.value, "en")
        for o in CUSTOMERS.field("grade").options
    ]
    region = at.text_input(key="customers.customers.region")
    region.input(region_part := "北").run()
    codes = list(at.data_editor[0].value["code"])
    with db.read(customers_db) as s:
        expected = sorted(c.code for c in s.query(Customer) if region_part in (c.region or ""))
    assert sorted(codes) == expected == ["C2"]


def test_export_holds_the_rows_the_filter_shows(customers_db):
    import io

    from openpyxl import load_workbook

    at = open_customers("agent")
    at.button(key="customers.excel.export_build").click().run()
    everything = at.session_state["customers.excel.export"][1]
    at.text_input(key="customers.customers.search").input("北方").run()
    labels = [b.label for b in at.button if b.key == "customers.excel.export_build"]
    assert labels == ["导出当前筛选结果"]
    # the export made before the filter is not offered for the filtered list
    assert not [d for d in at.get("download_button") if d.key == "customers.excel.export_download"]
    at.button(key="customers.excel.export_build").click().run()
    filtered = at.session_state["customers.excel.export"][1]

    def codes(data: bytes) -> list[str]:
        ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        return [r[0] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]]

    assert codes(everything) == ["007", "C2"]
    assert codes(filtered) == ["C2"]
