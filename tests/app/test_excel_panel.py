"""The Excel panel as a person uses it on the customers page: upload → preview →
import → undo, refusals, role rights, export round trip. Outcomes are read back from
the database, not only from the screen."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.models import Customer, Device, ImportBatch
from data_access.registers import ConflictError, save_changes
from data_access.users import create_user
from rules.access import Role
from rules.i18n import t
from tests.actors import ADMIN
from tests.app.conftest import PASSWORD, signed_in

NOW = dt.datetime(2026, 11, 23, 9, 0)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TAB = {"customers": 0, "devices": 1}  # tab of the customers page holding each panel


def xlsx(header: list, rows: list[list], *, sheet: str = "Sheet1", titles=()) -> bytes:
    """A workbook as people make them: optional title rows, then the header, then rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for title in titles:
        ws.append(title)
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def users_template(tmp_path_factory, sqlite_template) -> Path:
    """The migrated database with the users these tests sign in as (hashing is slow)."""
    path = tmp_path_factory.mktemp("panel") / "users.db"
    shutil.copy(sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    with db.write(engine) as session:
        for role in (Role.AGENT, Role.ENGINEER, Role.MANAGER):
            create_user(session, role.value, PASSWORD, role, f"{role.value} user", region="华东")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def app_db(users_template, tmp_path, monkeypatch) -> Iterator[Engine]:
    """DATABASE_URL → a fresh copy of that database (the app and the test share it)."""
    path = tmp_path / "app.db"
    shutil.copy(users_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


# ---------------------------------------------------------------- page helpers
def open_customers(username: str) -> AppTest:
    at = signed_in(username)
    at.switch_page("pages/customers.py").run()
    assert not at.exception
    return at


def panel(at: AppTest, register: str):
    """The expander holding the Excel panel of ``register``."""
    return at.tabs[TAB[register]].expander[0]


def key(register: str, name: str) -> str:
    return f"{register}.excel.{name}"


def upload(at: AppTest, register: str, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=key(register, "upload")).set_value((name, data, XLSX))
    at.run()
    assert not at.exception
    return at


def click(at: AppTest, register: str, name: str) -> AppTest:
    at.button(key=key(register, name)).click().run()
    assert not at.exception
    return at


def present(widgets, widget_key: str) -> bool:
    return any(w.key == widget_key for w in widgets)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def table(block, first_column: str):
    """The dataframe in ``block`` whose first column is ``first_column``."""
    found = [d.value for d in block.dataframe if list(d.value.columns)[:1] == [first_column]]
    assert len(found) == 1, f"expected one table starting with {first_column!r}"
    return found[0]


def problems_table(at: AppTest, register: str):
    return table(panel(at, register), t("ui.sheet", "zh"))


def sample_table(at: AppTest, register: str):
    return table(panel(at, register), t("ui.row", "zh"))


def summary(inserted=0, updated=0, unchanged=0, rejected=0) -> str:
    return t(
        "imports.report",
        "zh",
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        rejected=rejected,
    )


# ---------------------------------------------------------------- database helpers
def keys_in(engine, register: str) -> list[str]:
    column = Customer.code if register == "customers" else Device.serial_no
    with db.read(engine) as s:
        return sorted(s.scalars(select(column)))


def batches(engine) -> list[ImportBatch]:
    with db.read(engine) as s:
        return list(s.scalars(select(ImportBatch).order_by(ImportBatch.id)))


def seed_customers(engine, rows: list[dict]) -> None:
    with db.write(engine) as s:
        result = save_changes(
            s, "customers", inserts=rows, updates=[], deletes=[], actor=ADMIN, now=NOW
        )
        assert not result.problems


# ---------------------------------------------------------------- the main path
@dataclass(frozen=True)
class Case:
    register: str
    sheet: str
    header: list[str]
    rows: list[list]
    good: list[str]  # keys that should be imported
    bad_row: int  # Excel row number of the bad row
    bad_column: str
    bad_value: str
    message: str


TITLES = (["2026 年客户台账（华东区）"], ["制表：张伟  日期：2026-11-20"], [])  # header on row 4

CASES = [
    Case(
        "customers",
        "客户清单",
        ["客户编号", "客户名称", "客户等级", "所属区域", "联系电话"],
        [
            ["001", "恒达精密", "A", "华东", "02155551234"],
            ["002", "北方重工", "重点", "华北", "010-66661234"],  # option alias → A
            ["003", "华南包装", "Z", "华南", "020-1"],  # unknown grade
            ["004", "西部电子", "C", "西南", "028-1"],
        ],
        ["001", "002", "004"],
        7,
        "客户等级",
        "Z",
        "无效的选项",
    ),
    Case(
        "devices",
        "设备清单",
        ["序列号", "客户", "安装日期", "安装地点"],
        [
            ["SN-0001", "K01", "2025-03-01", "一号车间"],
            ["00042", "K01", dt.date(2025, 5, 6), "二号车间"],
            ["SN-0003", "K01", "03/04/2025", "三号车间"],  # ambiguous day/month
            ["SN-0004", "恒达精密", "2025/7/8", "四号车间"],  # customer by exact name
        ],
        ["00042", "SN-0001", "SN-0004"],
        7,
        "安装日期",
        "03/04/2025",
        "日期有歧义",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.register for c in CASES])
def test_preview_skip_commit_undo(app_db, case: Case):
    seed_customers(app_db, [{"code": "K01", "name": "恒达精密", "grade": "A"}])
    before = keys_in(app_db, case.register)
    data = xlsx(case.header, case.rows, sheet=case.sheet, titles=TITLES)
    at = upload(open_customers("agent"), case.register, "台账.xlsx", data)
    box = panel(at, case.register)

    # the header on row 4 is found below the title rows and mapped from the Chinese labels
    mapped = [s.value for s in box.selectbox if ".map." in s.key]
    assert mapped == case.header

    click(at, case.register, "preview")
    box = panel(at, case.register)
    assert texts(box.info) == [f"预览: {summary(inserted=3, rejected=1)}"]
    problems = problems_table(at, case.register)
    assert len(problems) == 1
    p = problems.iloc[0]
    assert (p["工作表"], p["行"], p["列"], p["值"]) == (
        case.sheet,
        case.bad_row,
        case.bad_column,
        case.bad_value,
    )
    assert case.message in p["问题"]
    assert sorted(sample_table(at, case.register)["行"]) == [5, 6, 8]
    assert at.download_button(key=key(case.register, "rejected"))  # rows to fix and re-upload

    # bad rows: import is disabled until the user explicitly skips them
    assert at.button(key=key(case.register, "commit")).disabled
    assert keys_in(app_db, case.register) == before and batches(app_db) == []

    at.checkbox(key=key(case.register, "skip")).check().run()
    assert not at.button(key=key(case.register, "commit")).disabled
    click(at, case.register, "commit")
    assert texts(panel(at, case.register).success) == [
        t("imports.done", "zh", summary=summary(inserted=3, rejected=1))
    ]
    assert keys_in(app_db, case.register) == sorted(before + case.good)
    [batch] = batches(app_db)
    assert (batch.register, batch.file_name, batch.sheet) == (
        case.register,
        "台账.xlsx",
        case.sheet,
    )
    assert (batch.inserted, batch.updated, batch.rejected, batch.username) == (3, 0, 1, "agent")
    # the page was redrawn: the grid above the panel already lists the imported rows
    grid = at.data_editor[TAB[case.register]].value
    assert sorted(grid.iloc[:, 2]) == sorted(before + case.good)

    undo = at.button(key=key(case.register, "undo"))
    assert "台账\\.xlsx" in undo.label  # Markdown source: the name is escaped, shown literally
    undo.click().run()
    assert not at.exception
    assert keys_in(app_db, case.register) == before
    assert batches(app_db)[0].undone_at is not None
    assert any("已撤销导入" in s for s in texts(panel(at, case.register).success))
    assert sorted(at.data_editor[TAB[case.register]].value.iloc[:, 2]) == before
    assert not present(at.button, key(case.register, "undo"))  # nothing left to undo


def test_imported_text_keeps_leading_zeros(app_db):
    header = ["客户编号", "客户名称", "客户等级", "联系电话"]
    data = xlsx(header, [["007", "恒达精密", "A", "05715551234"]])
    at = upload(open_customers("agent"), "customers", "c.xlsx", data)
    click(at, "customers", "commit")
    with db.read(app_db) as s:
        row = s.scalars(select(Customer)).one()
    assert (row.code, row.phone) == ("007", "05715551234")


def test_commit_without_preview_is_refused_while_rows_are_bad(app_db):
    header = ["客户编号", "客户名称", "客户等级"]
    data = xlsx(header, [["C1", "甲", "A"], ["C2", "乙", "Z"]])
    at = upload(open_customers("agent"), "customers", "c.xlsx", data)
    click(at, "customers", "commit")  # enabled: nothing previewed yet
    assert texts(panel(at, "customers").error) == [
        t("imports.not_written", "zh", summary=summary(inserted=1, rejected=1))
    ]
    assert keys_in(app_db, "customers") == [] and batches(app_db) == []


def test_file_without_recognisable_columns(app_db):
    data = xlsx(["姓名", "年龄", "爱好"], [["张三", 30, "钓鱼"], ["李四", 41, "象棋"]])
    at = upload(open_customers("agent"), "customers", "名单.xlsx", data)
    no_header = t("imports.no_header", "zh", rows=30)
    assert texts(panel(at, "customers").warning) == [no_header]
    at.checkbox(key=key("customers", "skip")).check().run()  # even when skipping bad rows
    click(at, "customers", "commit")
    box = panel(at, "customers")
    assert texts(box.error) == [t("imports.not_written", "zh", summary=summary())]
    assert list(problems_table(at, "customers")["问题"]) == [no_header]
    assert keys_in(app_db, "customers") == [] and batches(app_db) == []


def _big_workbook() -> bytes:
    """A real, valid customers sheet of a bit more than 1 MB (random notes do not compress)."""
    rng = [base64.b64encode(os.urandom(150)).decode() for _ in range(7000)]
    rows = [[f"{i:05d}", f"客户{i}", "B", note] for i, note in enumerate(rng)]
    return xlsx(["客户编号", "客户名称", "客户等级", "备注"], rows)


@pytest.mark.parametrize(("limit_mb", "refused"), [(1, True), (5, False)])
def test_upload_size_limit(app_db, monkeypatch, limit_mb, refused):
    data = _big_workbook()
    assert 1 * 2**20 < len(data) < 5 * 2**20
    monkeypatch.setenv("AFTERSALES_MAX_UPLOAD_MB", str(limit_mb))
    at = upload(open_customers("agent"), "customers", "big.xlsx", data)
    box = panel(at, "customers")
    too_large = t("imports.err.too_large", "zh", size=round(len(data) / 2**20, 1), limit=1)
    if refused:
        assert texts(box.error) == [too_large]
        assert not present(at.button, key("customers", "preview"))
        assert not present(at.button, key("customers", "commit"))
        return
    assert texts(box.error) == []
    click(at, "customers", "preview")
    assert texts(panel(at, "customers").info) == [f"预览: {summary(inserted=7000)}"]


def test_engineer_sees_export_but_no_import(app_db):
    seed_customers(app_db, [{"code": "007", "name": "恒达精密", "grade": "A"}])
    at = open_customers("engineer")
    box = panel(at, "customers")
    assert not at.file_uploader
    assert t("imports.panel.no_import_right", "zh") in texts(box.caption)
    assert at.download_button(key=key("customers", "template"))
    click(at, "customers", "export_build")
    assert at.download_button(key=key("customers", "export_download"))
    assert not present(at.button, key("customers", "commit"))
    assert not present(at.button, key("customers", "undo"))


@pytest.mark.parametrize("register", ["customers", "devices"])
def test_export_reimports_as_all_unchanged(app_db, register):
    seed_customers(
        app_db,
        [
            {"code": "007", "name": "恒达精密", "grade": "A", "phone": "05715551234"},
            {"code": "C2", "name": "北方重工", "grade": "B", "email": "a@b.cn"},
        ],
    )
    with db.write(app_db) as s:
        save_changes(
            s,
            "devices",
            inserts=[
                {"serial_no": "00042", "customer": "007", "install_date": "2025-03-01"},
                {"serial_no": "SN-2", "customer": "C2", "warranty_end": "2027-01-31"},
            ],
            updates=[],
            deletes=[],
            actor=ADMIN,
            now=NOW,
        )
    at = open_customers("agent")
    click(at, register, "export_build")
    assert at.download_button(key=key(register, "export_download"))
    data = at.session_state[key(register, "export")][1]  # the bytes the download serves
    upload(at, register, "export.xlsx", data)
    click(at, register, "preview")
    box = panel(at, register)
    assert texts(box.info) == [f"预览: {summary(unchanged=2)}"]
    assert not [d for d in box.dataframe if list(d.value.columns)[:1] == ["工作表"]]


def test_next_file_does_not_inherit_the_previous_mapping(app_db):
    """Regression: mapping choices were keyed by column position, so a second file with
    its columns in another order kept the first file's choices (name went into code)."""
    at = open_customers("agent")
    upload(
        at, "customers", "a.xlsx", xlsx(["客户编号", "客户名称", "客户等级"], [["1", "甲", "A"]])
    )
    upload(
        at, "customers", "b.xlsx", xlsx(["客户名称", "客户编号", "客户等级"], [["乙", "2", "B"]])
    )
    mapped = [s.value for s in panel(at, "customers").selectbox if ".map." in s.key]
    assert mapped == ["客户名称", "客户编号", "客户等级"]
    click(at, "customers", "commit")
    with db.read(app_db) as s:
        assert [(c.code, c.name) for c in s.scalars(select(Customer))] == [("2", "乙")]


def test_mapping_is_edited_shown_fresh_and_remembered(app_db):
    header = ["客户号码", "客户名称", "客户等级"]  # the first header is not a known alias
    data = xlsx(header, [["K9", "甲", "A"]])
    at = upload(open_customers("agent"), "customers", "c.xlsx", data)
    picks = [s for s in panel(at, "customers").selectbox if ".map." in s.key]
    assert [s.value for s in picks] == ["（忽略）", "客户名称", "客户等级"]
    click(at, "customers", "preview")
    missing = t("imports.missing_column", "zh", field="客户编号")
    assert list(problems_table(at, "customers")["问题"]) == [missing]

    first = next(s for s in panel(at, "customers").selectbox if s.label == "客户号码")
    first.set_value("客户编号").run()
    # the preview belonged to the old mapping: it is no longer shown
    assert texts(panel(at, "customers").info) == []
    assert not at.button(key=key("customers", "commit")).disabled
    click(at, "customers", "commit")
    assert keys_in(app_db, "customers") == ["K9"]

    # another session, another file with the same odd header: mapped without asking
    at2 = upload(
        open_customers("manager"), "customers", "d.xlsx", xlsx(header, [["K10", "乙", "B"]])
    )
    assert [s.value for s in panel(at2, "customers").selectbox if ".map." in s.key] == [
        "客户编号",
        "客户名称",
        "客户等级",
    ]


def test_conflict_during_import_is_a_message_not_a_crash(app_db, monkeypatch):
    from pages import excel_panel

    def conflicting(*args, **kwargs):
        raise ConflictError("客户台账")

    monkeypatch.setattr(excel_panel, "import_file", conflicting)
    data = xlsx(["客户编号", "客户名称", "客户等级"], [["C1", "甲", "A"]])
    at = upload(open_customers("agent"), "customers", "c.xlsx", data)
    click(at, "customers", "commit")
    assert texts(panel(at, "customers").error) == [t("ui.conflict", "zh", what="客户台账")]


def test_sheet_pick(app_db):
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["请在“客户”工作表中填写"])
    ws = wb.create_sheet("客户")
    ws.append(["客户编号", "客户名称", "客户等级"])
    ws.append(["S1", "甲", "A"])
    buf = io.BytesIO()
    wb.save(buf)
    at = upload(open_customers("agent"), "customers", "two.xlsx", buf.getvalue())
    sheet = at.selectbox(key=key("customers", "sheet"))
    assert sheet.options == ["填表说明", "客户"] and sheet.value == "填表说明"
    assert texts(panel(at, "customers").warning) == [t("imports.no_header", "zh", rows=30)]
    sheet.set_value("客户").run()
    assert texts(panel(at, "customers").warning) == []
    click(at, "customers", "commit")
    assert keys_in(app_db, "customers") == ["S1"]
    [batch] = batches(app_db)
    assert batch.sheet == "客户"


def test_duplicate_columns_are_shown_until_the_mapping_settles_them(app_db):
    header = ["客户编号", "客户名称", "客户等级", "联系电话", "手机"]  # both are the phone
    data = xlsx(header, [["C1", "甲", "A", "021-1", "139"]])
    at = upload(open_customers("agent"), "customers", "c.xlsx", data)
    [shown] = texts(panel(at, "customers").warning)
    expected = t(
        "imports.duplicate_column",
        "zh",
        sheet="Sheet1",
        field="联系电话",
        used="D (联系电话)",
        ignored="E (手机)",
    )
    assert shown.replace("\\", "") == expected
    mobile = next(s for s in panel(at, "customers").selectbox if s.label == "手机")
    mobile.set_value("（忽略）").run()  # the same as before: still worth saying
    assert len(panel(at, "customers").warning) == 1
    first = next(s for s in panel(at, "customers").selectbox if s.label == "联系电话")
    first.set_value("（忽略）").run()
    mobile.set_value("联系电话").run()
    assert texts(panel(at, "customers").warning) == []
    click(at, "customers", "commit")
    with db.read(app_db) as s:
        assert s.scalars(select(Customer.phone)).one() == "139"


def test_duplicate_columns_with_the_same_header_are_reported(app_db):
    header = ["客户编号", "客户名称", "客户等级", "联系电话", "联系电话"]
    data = xlsx(header, [["C1", "甲", "A", "021-1", "139"]])
    at = upload(open_customers("agent"), "customers", "c.xlsx", data)
    click(at, "customers", "preview")
    warned = [w.replace("\\", "") for w in texts(panel(at, "customers").warning)]
    assert any("D (联系电话)" in w and "E (联系电话)" in w for w in warned), warned
    assert not at.button(key=key("customers", "commit")).disabled  # a warning, not a block


def test_trailing_totals_row_is_noted_and_does_not_block(app_db):
    header = ["客户编号", "客户名称", "客户等级"]
    data = xlsx(header, [["C1", "甲", "A"], ["C2", "乙", "B"], ["合计", None, "2 家"]])
    at = upload(open_customers("agent"), "customers", "c.xlsx", data)
    click(at, "customers", "preview")
    assert t("imports.totals_skipped", "zh", rows=4) in texts(panel(at, "customers").info)
    assert not at.button(key=key("customers", "commit")).disabled
    click(at, "customers", "commit")
    assert keys_in(app_db, "customers") == ["C1", "C2"]


def test_preview_with_mixed_cells_shows_text_without_arrow_fixes(app_db, monkeypatch):
    """Blank dates beside dates, numbers beside blanks: the sample is text, so Streamlit
    never has to repair a column (it logs a traceback for each one it repairs)."""
    from streamlit import dataframe_util

    repaired: list = []
    monkeypatch.setattr(dataframe_util._LOGGER, "info", lambda *a, **kw: repaired.append(a))
    seed_customers(app_db, [{"code": "K01", "name": "恒达精密", "grade": "A"}])
    header = ["序列号", "客户", "安装日期", "保修到期日", "安装地点"]
    rows = [
        ["SN1", "K01", dt.date(2025, 5, 6), None, "一号车间"],
        ["SN2", "K01", None, "2026-01-31", None],
        ["SN3", "K01", "2025-03-01", dt.date(2026, 3, 1), 42],
        ["SN4", "K01", "not a date", None, None],
    ]
    at = signed_in("agent")
    at.switch_page("pages/customers.py").run()
    upload(at, "devices", "d.xlsx", xlsx(header, rows))
    click(at, "devices", "preview")
    sample = table(panel(at, "devices"), t("ui.row", "zh"))
    assert list(sample["安装日期"]) == ["2025-05-06", "", "2025-03-01"]
    assert list(sample["安装地点"]) == ["一号车间", "", "42"]
    cells = [v for column in sample.columns[1:] for v in sample[column]]
    assert all(isinstance(v, str) and v != "None" for v in cells), cells
    problems = table(panel(at, "devices"), t("ui.sheet", "zh"))
    assert list(problems["值"]) == ["not a date"]
    assert not [a for a in repaired if "Arrow" in str(a[0])], repaired
