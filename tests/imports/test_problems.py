"""How an import reports problems: in the reader's language, with every column named."""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import text

from data_access.models import Customer
from imports.engine import ImportReport
from imports.writer import rejected_bytes
from rules.customers import CUSTOMERS
from rules.fields import Field, Kind, Option, ValueProblem, parse_enum
from tests.imports.test_engine import HEAD, _seed_customer, cli, count, listed, run, xlsx

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
EN_HEAD = ["Customer code", "Grade", "Phone", "E-mail"]  # no name column at all
BAD_EN = [
    EN_HEAD,
    ["K1", "Z", "021-1", "a@example.com"],  # bad option, name missing
    ["K2", "A", "021-2", "b@example.com"],
    ["K2", "B", "021-3", "b@example.com"],  # duplicate key
]


def cli_url(engine) -> str:
    """The database of ``engine`` for a subprocess (PostgreSQL: with its test schema)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def english_texts(report: ImportReport) -> list[str]:
    return [x for p in report.problems for x in (p.message("en"), p.column_label("en") or "")]


def test_problems_are_labelled_in_the_readers_language(db_engine):
    report = run(db_engine, "customers", xlsx(BAD_EN, sheet="Sheet1"), dry_run=True)
    codes = sorted({p.code for p in report.problems})
    assert codes == ["err.enum", "err.required", "imports.duplicate_in_file"]
    shown = english_texts(report)
    assert not [s for s in shown if CJK.search(s)], shown
    assert "Customer name" in shown  # a required field without a column, by its label
    enum = next(p for p in report.problems if p.code == "err.enum")
    assert enum.field == "grade" and "A key customer" in enum.message("en")
    assert "重点客户" in enum.message("zh")
    book = openpyxl.load_workbook(io.BytesIO(rejected_bytes(report, lang="en")))
    errors = [row[-1].value for row in book.active.iter_rows(min_row=2)]
    assert errors and not [e for e in errors if CJK.search(e)], errors


def test_missing_key_column_names_the_field(db_engine):
    report = run(db_engine, "customers", xlsx([["Customer name", "Grade"], ["Acme", "A"]]))
    [p] = report.problems
    assert (p.code, p.field, p.params) == ("imports.missing_column", "code", {"field": "code"})
    assert p.message("en") == "Required column missing: Customer code"
    assert p.message("zh") == "缺少必填列：客户编号"


def test_device_checks_are_labelled_in_english(db_engine):
    _seed_customer(db_engine)
    head = ["Serial no.", "Customer", "Install date", "Warranty end"]
    rows = [head, ["SN1", "C1", "2025-05-01", "2025-01-01"]]
    report = run(db_engine, "devices", xlsx(rows, sheet="Sheet1"), dry_run=True)
    [p] = report.problems
    assert p.code == "err.date_order"
    assert p.message("en") == "Warranty end cannot be before Install date"


def test_cli_reports_in_english(db_engine, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx(BAD_EN, sheet="Sheet1"))
    url = cli_url(db_engine)
    plain = cli(url, "import", "customers", str(path), "--lang", "en")
    assert plain.returncode == 1, plain.stderr
    assert "Customer name" in plain.stdout and not CJK.search(plain.stdout), plain.stdout
    as_json = cli(url, "import", "customers", str(path), "--lang", "en", "--json")
    problems = json.loads(as_json.stdout)["problems"]
    assert len(problems) == 6  # K1: grade, name; K2 twice: duplicate, name
    shown = [f"{p['column']} {p['message']}" for p in problems]
    assert not [s for s in shown if CJK.search(s)], shown
    assert count(db_engine, Customer) == 0


def test_conflict_names_the_register_in_the_readers_language():
    from data_access.registers import ConflictError
    from imports.engine import conflict_what

    assert conflict_what(ConflictError("customers").what, "en") == "Customer register"
    assert conflict_what("customers", "zh") == "客户台账"
    assert conflict_what("客户台账", "en") == "客户台账"  # older callers' text as given


# ---------------------------------------------------------------- duplicate header columns
def offset_xlsx(rows: list[list], first_col: int) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("Sheet1")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            ws.write_string(r, c + first_col, v)
    wb.close()
    return buf.getvalue()


@pytest.mark.parametrize("first_col", [0, 1])
def test_duplicate_header_columns_warn_and_import_the_first(db_engine, first_col):
    head = ["客户编号", "客户名称", "联系电话", "客户等级", "手机"]  # phone and its alias
    data = offset_xlsx([head, ["C1", "甲", "021-1", "A", "139"]], first_col)
    report = run(db_engine, "customers", data)
    assert report.ok and report.committed
    assert listed(db_engine, "customers")[0]["phone"] == "021-1"
    [w] = report.warnings
    used, ignored = ("C", "E") if first_col == 0 else ("D", "F")
    assert (w.code, w.field, w.params["used"], w.params["ignored"]) == (
        "imports.duplicate_column",
        "phone",
        f"{used} (联系电话)",
        f"{ignored} (手机)",
    )
    assert w.message("en") == (
        f"Sheet 'Sheet1': several columns map to Phone; column {used} (联系电话) is imported, "
        f"{ignored} (手机) ignored. Change the column mapping to import another one"
    )
    assert report.as_dict("en")["warnings"][0]["field"] == "phone"


def test_cli_shows_duplicate_columns(sqlite_url, tmp_path):
    path = tmp_path / "dup.xlsx"
    head = ["Customer code", "Customer name", "Grade", "Phone", "Phone"]
    path.write_bytes(xlsx([head, ["C1", "Acme", "A", "1", "2"]], sheet="Sheet1"))
    out = cli(sqlite_url, "import", "customers", str(path), "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "column D (Phone) is imported, E (Phone) ignored" in out.stdout


# ---------------------------------------------------------------- a totals row at the end
CUSTOMER_ROWS = [HEAD, ["C1", "甲", "A", "021-1", "华东"], ["C2", "乙", "B", "021-2", "华北"]]


@pytest.mark.parametrize(
    "totals",
    [
        ["合计", None, None, None, "2 家"],
        ["合计"],
        ["总计：", "", "", 2],
        ["小计", None, None, None, None],
        ["Total", 2],
        ["TOTALS", "¥1,200.00", None, "4 pcs"],
        ["Sum"],
    ],
)
def test_trailing_totals_row_is_skipped_with_a_note(db_engine, totals):
    rows = [*CUSTOMER_ROWS, [], totals, []]
    report = run(db_engine, "customers", xlsx(rows))
    assert report.ok and report.committed and report.inserted == 2
    assert report.totals_rows == [5]
    assert report.as_dict("en")["totals_rows"] == [5]
    assert count(db_engine, Customer) == 2


def test_totals_row_with_data_below_is_an_ordinary_row(db_engine):
    rows = [*CUSTOMER_ROWS, ["合计"], ["C3", "丙", "C", "021-3", "华南"]]
    report = run(db_engine, "customers", xlsx(rows))
    assert report.totals_rows == [] and not report.committed
    assert {(p.row, p.code) for p in report.problems} == {(4, "err.required")}


def test_a_customer_called_total_is_imported(db_engine):
    rows = [*CUSTOMER_ROWS, ["Total", "Total Logistics", "A", "021-9", "华东"]]
    report = run(db_engine, "customers", xlsx(rows))
    assert report.ok and report.inserted == 3 and report.totals_rows == []


def test_cli_notes_the_totals_row(sqlite_url, tmp_path):
    path = tmp_path / "totals.xlsx"
    path.write_bytes(xlsx([*CUSTOMER_ROWS, ["合计", None, None, None, "2 家"]]))
    out = cli(sqlite_url, "import", "customers", str(path), "--lang", "en")
    assert out.returncode == 0, out.stderr + out.stdout
    assert "Row 4 is a totals row below the data and was not imported" in out.stdout


# ---------------------------------------------------------------- options by label alone
@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("重点客户", "A"),
        ("普通客户", "B"),
        ("一般客户", "C"),
        ("key customer", "A"),
        ("Regular Customer", "B"),
        (" 一般客户 ", "C"),
        # spellings accepted before stay accepted
        ("A", "A"),
        ("A 重点客户", "A"),
        ("B regular customer", "B"),
        ("重点", "A"),
        ("VIP", "A"),
        ("一般", "C"),
    ],
)
def test_grade_option_by_label_without_its_code(typed, value):
    assert parse_enum(CUSTOMERS.field("grade"), typed) == value


@pytest.mark.parametrize("typed", ["客户", "customer", "重点客户 A", "D 重点客户"])
def test_other_spellings_are_still_refused(typed):
    with pytest.raises(ValueProblem) as exc:
        parse_enum(CUSTOMERS.field("grade"), typed)
    assert exc.value.code == "err.enum"


def test_a_label_without_code_shared_by_two_options_is_refused():
    f = Field(
        "x",
        "X",
        "X",
        Kind.ENUM,
        options=(Option("1", "1 客户", "1 customer"), Option("2", "2 客户", "2 customer")),
    )
    with pytest.raises(ValueProblem):
        parse_enum(f, "客户")
    assert parse_enum(f, "2 客户") == "2"


def test_import_accepts_grade_labels_without_codes(db_engine):
    rows = [HEAD, ["C1", "甲", "重点客户"], ["C2", "乙", "regular customer"]]
    report = run(db_engine, "customers", xlsx(rows))
    assert report.ok and report.committed, [p.message("en") for p in report.problems]
    assert [r["grade"] for r in listed(db_engine, "customers")] == ["A", "B"]
