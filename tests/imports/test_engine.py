"""The import/export engine with real files written by the tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import event, insert, select, update

from data_access import bulk, db
from data_access.catalog import ADAPTERS
from data_access.models import Customer, Device, ImportBatch, ImportChange, ProductModel
from data_access.registers import ConflictError, list_rows
from imports.engine import UndoError, _sizes, import_file, read_header, undo_last_import
from imports.reader import ReadError, escape_text, unescape_text
from imports.writer import export_bytes, rejected_bytes, template_bytes
from tests.actors import ADMIN
from tests.helpers import cli, count

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2025, 6, 1, 9, 0)
HEAD = ["客户编号", "客户名称", "客户等级", "联系电话", "所属区域"]


def xlsx(rows: list[list], *, title_rows: int = 0, date1904: bool = False, sheet="台账") -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"date_1904": date1904, "strings_to_numbers": False})
    ws = wb.add_worksheet(sheet)
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows, start=title_rows):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, v, date)
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            elif v is not None:
                ws.write(r, c, v)
    if title_rows:
        ws.write_string(0, 0, "2025 年客户台账（华东区）")
    wb.close()
    return buf.getvalue()


def run(engine, register: str, data, name="f.xlsx", **kw):
    with db.write(engine) as s:
        return import_file(s, register, data, file_name=name, now=NOW, actor=ADMIN, **kw)


def listed(engine, register: str) -> list[dict]:
    with db.read(engine) as s:
        return list_rows(s, register, page_size=1000, today=NOW.date())[0]


def customers_file(n: int = 3, **kw) -> bytes:
    rows = [HEAD] + [[f"{i:04}", f"公司{i}", "A", f"0{i}123", "华东"] for i in range(n)]
    return xlsx(rows, **kw)


# ---------------------------------------------------------------- reading
def test_title_rows_above_header_and_leading_zeros(sqlite_engine):
    report = run(sqlite_engine, "customers", customers_file(title_rows=2))
    assert report.ok and report.committed
    assert report.header.row == 3
    assert [r["code"] for r in listed(sqlite_engine, "customers")] == ["0000", "0001", "0002"]
    assert listed(sqlite_engine, "customers")[0]["phone"] == "00123"


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("gbk", ","), ("gb18030", ";"), ("utf-8", "\t")],
)
def test_csv_encodings_and_delimiters(sqlite_engine, encoding, delimiter):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerows([HEAD, ["007", "华东精密机械", "重点", "021-1", "华东"], ["", "", "", "", ""]])
    data = text.getvalue().encode(encoding)
    report = run(sqlite_engine, "customers", data, name="客户.csv")
    assert report.ok, report.problems
    row = listed(sqlite_engine, "customers")[0]
    assert (row["code"], row["name"], row["grade"]) == ("007", "华东精密机械", "A")


def test_shipped_gbk_fixture(sqlite_engine):
    path = ROOT / "tests" / "fixtures" / "customers_gbk.csv"
    report = run(sqlite_engine, "customers", path, name=path.name)
    assert report.ok, report.problems
    assert report.inserted == 2


def test_merged_cells_formulas_and_error_cells(sqlite_engine):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, HEAD)
    ws.write_row(1, 0, ["C1", "甲", "A"])
    ws.write_formula(1, 4, '="华"&"东"', None, "华东")  # cached value
    ws.merge_range(2, 1, 2, 2, "乙公司")  # name merged over grade: grade is blank
    ws.write_string(2, 0, "C2")
    ws.write_string(3, 0, "C3")
    ws.write_string(3, 1, "丙")
    ws.write_formula(3, 2, "=NA()", None, "#N/A")
    wb.close()
    report = run(sqlite_engine, "customers", buf.getvalue())
    got = sorted((p.row, p.column, p.code) for p in report.problems)
    assert got == [(3, "客户等级", "err.required"), (4, "客户等级", "imports.cell_error")]
    assert report.problems[-1].value == "#N/A" or report.problems[0].value == "#N/A"
    assert count(sqlite_engine, Customer) == 0  # all-or-nothing
    report = run(sqlite_engine, "customers", buf.getvalue(), skip_bad_rows=True)
    assert report.inserted == 1 and listed(sqlite_engine, "customers")[0]["region"] == "华东"


@pytest.mark.parametrize("date1904", [False, True])
def test_date_systems(db_engine, date1904):
    _seed_customer(db_engine)
    epoch = dt.date(1904, 1, 1) if date1904 else dt.date(1899, 12, 30)
    serial = (dt.date(2026, 3, 1) - epoch).days
    rows = [
        ["序列号", "客户", "安装日期", "保修到期日"],
        ["0001", "C1", dt.date(2025, 3, 1), float(serial)],  # a bare serial number too
    ]
    report = run(db_engine, "devices", xlsx(rows, date1904=date1904))
    assert report.ok, report.problems
    dev = listed(db_engine, "devices")[0]
    assert (dev["install_date"], dev["warranty_end"]) == (dt.date(2025, 3, 1), dt.date(2026, 3, 1))


def test_ambiguous_and_bad_dates_are_problems(sqlite_engine):
    _seed_customer(sqlite_engine)
    rows = [
        ["序列号", "客户", "安装日期"],
        ["S1", "C1", "03/04/2025"],
        ["S2", "C1", "2025-02-30"],
        ["S3", "C1", "25/04/2025"],
    ]
    report = run(sqlite_engine, "devices", xlsx(rows))
    got = [(p.row, p.code) for p in report.problems]
    assert got == [(2, "err.date_ambiguous"), (3, "err.date")]
    assert count(sqlite_engine, Device) == 0


def test_duplicate_keys_flag_every_row(sqlite_engine):
    rows = [HEAD, ["C1", "甲", "A"], ["C2", "乙", "B"], ["C1", "丙", "C"], ["C1", "丁", "C"]]
    report = run(sqlite_engine, "customers", xlsx(rows))
    dups = [p.row for p in report.problems if p.code == "imports.duplicate_in_file"]
    assert dups == [2, 4, 5]
    assert count(sqlite_engine, Customer) == 0


def test_bad_row_at_the_very_end_writes_nothing(db_engine, monkeypatch):
    monkeypatch.setattr("imports.engine.CHUNK", 50)  # several chunks written before
    rows = [HEAD] + [[f"K{i:04}", f"公司{i}", "B"] for i in range(200)] + [["K9999", "", "Q"]]
    report = run(db_engine, "customers", xlsx(rows))
    assert not report.committed and report.rejected == 1 and len(report.problems) == 2
    assert count(db_engine, Customer) == 0 and count(db_engine, ImportBatch) == 0


def test_import_twice_changes_nothing_and_export_round_trips(db_engine):
    _seed_customer(db_engine, code="C1")
    with db.write(db_engine) as s:
        s.execute(insert(ProductModel.__table__).values(code="M1", name="机型", version=1))
    rows = [
        ["序列号", "客户", "产品型号", "安装日期", "保修到期日", "备注"],
        ["0001", "C1", "M1", dt.date(2025, 1, 1), None, '=HYPERLINK("x")'],
        ["0002", "C1", None, "2025-02-01", "2027-01-31", "-5 ℃ 运行"],
    ]
    first = run(db_engine, "devices", xlsx(rows))
    assert (first.inserted, first.problems) == (2, [])
    again = run(db_engine, "devices", xlsx(rows))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert {r["version"] for r in listed(db_engine, "devices")} == {1}
    for lang in ("zh", "en"):
        with db.read(db_engine) as s:
            exported = export_bytes(s, "devices", lang=lang, today=NOW.date())
        back = run(db_engine, "devices", exported, name="export.xlsx")
        assert (back.unchanged, back.inserted, back.updated, back.problems) == (2, 0, 0, [])
    assert listed(db_engine, "devices")[0]["notes"] == '=HYPERLINK("x")'


def test_reimport_of_many_rows_finds_the_stored_ones(db_engine):
    # a re-import of many rows, stored (some changed) and new mixed
    n = 1_200
    assert run(db_engine, "customers", customers_file(n)).inserted == n
    rows = [HEAD] + [[f"{i:04}", f"公司{i}", "A", f"0{i}123", "华东"] for i in range(n + 300)]
    for row in rows[1:201]:
        row[1] += "（新）"
    report = run(db_engine, "customers", xlsx(rows))
    assert (report.inserted, report.updated, report.unchanged) == (300, 200, n - 200)
    assert report.problems == []


@pytest.mark.parametrize("total", [0, 1, 20_000, 20_001, 100_000, 123_457])
def test_chunks_start_and_end_small_and_cover_the_sheet(total):
    sizes = _sizes(total, 20_000)
    if total <= 20_000:
        assert next(sizes) == 20_000  # one chunk: nothing to overlap
        return
    got = [next(sizes) for _ in range(2 + -(-(total - 5_000) // 20_000))]
    assert got[0] == got[-1] == 2_500 and sum(got) == total
    assert max(got) <= 20_000 and max(got[1:-1]) - min(got[1:-1]) <= 1
    assert next(sizes) == 2_500  # more rows than the sheet's height said: still read


def test_a_chunk_is_checked_while_the_one_before_is_moved_in_and_stays_off_the_database(
    sqlite_engine, monkeypatch
):
    """Small chunks, each staged: while one chunk's rows are moved into the table on a
    thread, the engine settles the next and converts the one after — and runs no
    statement then (the connection is the mover's). Same outcome as in one chunk."""
    monkeypatch.setattr("imports.engine.CHUNK", 100)
    monkeypatch.setattr("data_access.bulk.STAGE_ROWS", 50)
    n = 1_200
    assert run(sqlite_engine, "customers", customers_file(n)).inserted == n
    rows = [HEAD] + [[f"{i:04}", f"公司{i}", "A", f"0{i}123", "华东"] for i in range(n + 300)]
    for row in rows[1:201]:
        row[1] += "（新）"
    moves, beside = [], []

    def watch(conn, cursor, statement, *_):
        movers = [t for t in threading.enumerate() if t.name == bulk.MOVER]
        if threading.current_thread() in movers:
            moves.append(statement)
        elif movers:
            beside.append(statement)

    event.listen(sqlite_engine, "before_cursor_execute", watch)
    try:
        report = run(sqlite_engine, "customers", xlsx(rows))
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", watch)
    assert (report.inserted, report.updated, report.unchanged) == (300, 200, n - 200)
    assert report.problems == [] and report.committed
    assert len(moves) >= 2  # the chunks holding the 300 new rows, the last one aside
    assert beside == []
    with db.read(sqlite_engine) as s:
        got = dict(s.execute(select(Customer.code, Customer.name)).all())
    assert len(got) == n + 300 and got["0000"] == "公司0（新）" and got["1499"] == "公司1499"


def test_export_layout_and_formula_neutralised(sqlite_engine):
    run(sqlite_engine, "customers", xlsx([HEAD, ["C1", "=1+1", "A", "+86 21", "@home"]]))
    with db.read(sqlite_engine) as s:
        data = export_bytes(s, "customers", lang="en", today=NOW.date())
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    assert [c.value for c in ws[1]][:3] == ["Customer code", "Customer name", "Grade"]
    values = [c.value for c in ws[2]]
    assert values[:5] == ["C1", "'=1+1", "A key customer", "'@home", None]
    assert values[6] == "'+86 21" and ws[2][6].data_type == "s"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\tx", "'=x", "''+x", "'plain", "a"])
def test_escape_round_trip(text):
    assert unescape_text(escape_text(text)) == text
    assert escape_text(text)[0] not in "=+-@\t\r"


def test_undo_restores_and_refuses_after_edit(db_engine):
    run(db_engine, "customers", customers_file(2))
    changed = xlsx([HEAD, ["0000", "新名字", "C"], ["0009", "新客户", "B"]])
    report = run(db_engine, "customers", changed)
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 0)
    with db.write(db_engine) as s:
        result = undo_last_import(s, "customers", ADMIN, now=NOW)
    assert (result.deleted, result.restored) == (1, 1)
    rows = {r["code"]: r for r in listed(db_engine, "customers")}
    assert set(rows) == {"0000", "0001"} and rows["0000"]["name"] == "公司0"
    assert rows["0000"]["grade"] == "A" and rows["0000"]["version"] == 3
    # the first import is next; a row edited since blocks it
    with db.write(db_engine) as s:
        s.execute(update(Customer).where(Customer.code == "0001").values(version=9))
    with pytest.raises(UndoError) as exc, db.write(db_engine) as s:
        undo_last_import(s, "customers", ADMIN, now=NOW)
    assert exc.value.code == "imports.err.undo_edited"
    assert count(db_engine, Customer) == 2


def test_undo_refuses_when_inserted_rows_are_referenced(sqlite_engine):
    run(sqlite_engine, "customers", customers_file(1))
    run(sqlite_engine, "devices", xlsx([["序列号", "客户"], ["S1", "0000"]]))
    with db.write(sqlite_engine) as s:
        undo_last_import(s, "devices", ADMIN, now=NOW)
    run(sqlite_engine, "devices", xlsx([["序列号", "客户"], ["S1", "0000"]]))
    with pytest.raises(UndoError) as exc, db.write(sqlite_engine) as s:
        undo_last_import(s, "customers", ADMIN, now=NOW)
    assert exc.value.code == "imports.err.undo_in_use"


def test_batches_and_changes_recorded(sqlite_engine):
    data = customers_file(3)
    run(sqlite_engine, "customers", data)
    with db.read(sqlite_engine) as s:
        batch = s.execute(select(ImportBatch)).scalar_one()
        assert (batch.inserted, batch.file_name, len(batch.sha256)) == (3, "f.xlsx", 64)
        # on SQLite the three consecutive ids are journalled as one range
        ids = s.scalars(select(Customer.id).order_by(Customer.id)).all()
        change = s.execute(select(ImportChange)).scalar_one()
        assert (change.action, change.row_id, change.row_id_last) == ("insert", ids[0], ids[-1])
        assert ids == list(range(ids[0], ids[0] + 3))


def test_rejected_rows_workbook(sqlite_engine):
    rows = [HEAD + ["自定义列"], ["C1", "甲", "Z", "1", "", "keep"], ["C2", "乙", "A"]]
    report = run(sqlite_engine, "customers", xlsx(rows), skip_bad_rows=True)
    ws = openpyxl.load_workbook(io.BytesIO(rejected_bytes(report, lang="zh"))).active
    assert [c.value for c in ws[1]] == [*HEAD, "自定义列", "错误说明"]
    assert [c.value for c in ws[2]][:3] == ["C1", "甲", "Z"] and ws["F2"].value == "keep"
    assert ws["C2"].fill.fgColor.rgb.endswith("FFC7CE") and "无效的选项" in ws["C2"].comment.text
    assert "客户等级" in ws["G2"].value and ws.max_row == 2
    # fixed and re-uploaded: the error column is unknown and ignored
    ws["C2"] = "A"
    buf = io.BytesIO()
    ws.parent.save(buf)
    again = run(sqlite_engine, "customers", buf.getvalue())
    assert again.ok and again.inserted == 1 and "错误说明" in again.header.unknown


def test_mapping_override_is_remembered(sqlite_engine):
    rows = [["客户代号", "公司全称", "级别"], ["C1", "甲", "A"]]
    report = run(sqlite_engine, "customers", xlsx(rows), dry_run=True)
    assert not report.ok  # 客户代号 is not an alias of the key
    override = {"客户代号": "code", "公司全称": "name"}
    report = run(sqlite_engine, "customers", xlsx(rows), mapping=override)
    assert report.ok and report.inserted == 1
    with db.read(sqlite_engine) as s:
        header = read_header(s, "customers", xlsx(rows), file_name="x.xlsx")
    assert header.mapping == {0: "code", 1: "name", 2: "grade"}


def test_template_has_comments_dropdowns_and_example(sqlite_engine):
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes("customers", lang="zh")))
    ws = wb.active
    assert ws["A1"].value == "客户编号" and "必填" in ws["A1"].comment.text
    assert ws["A2"].value == "C0001"
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("A 重点客户" in f for f in lists)


@pytest.mark.parametrize("register", sorted(ADAPTERS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_example_row_left_in_is_not_imported(sqlite_engine, register, lang):
    """People fill the template below its example row and forget to delete it."""
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes(register, lang=lang)))
    ws = wb.active
    example = [c.value for c in ws[2]]
    ws.append(["X-1" if i == 0 else v for i, v in enumerate(example)])  # a real row
    buf = io.BytesIO()
    wb.save(buf)
    report = run(sqlite_engine, register, buf.getvalue(), dry_run=True)
    assert report.example_rows == [2]
    assert report.total == 2 and report.inserted + report.rejected == 1


# ---------------------------------------------------------------- refusing files
def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (60 * 1024 * 1024) + b"</a>")
    return buf.getvalue()


def _sparse() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(HEAD)
    wb.active["XFD1048576"] = "far"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _lying_dimension() -> bytes:
    src = zipfile.ZipFile(io.BytesIO(xlsx([HEAD, ["C1", "甲", "A"]])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(
                    b'<dimension ref="A1:E2"/>', b'<dimension ref="A1:XFD1048576"/>'
                )
            out.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"PK\x03\x04broken", "x.xlsx", "imports.err.corrupt"),
        (customers_file(50)[:3000], "x.xlsx", "imports.err.corrupt"),
        (b"\x00\x01\x02binary", "x.xlsx", "imports.err.not_excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "x.xls", "imports.err.corrupt"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"),
            "p.xlsx",
            "imports.err.password",
        ),
        (_zip_bomb(), "bomb.xlsx", "imports.err.bomb"),
        (_sparse(), "sparse.xlsx", "imports.err.dimension"),
    ],
)
def test_unreadable_files_raise_one_clear_error(sqlite_engine, data, name, code):
    with pytest.raises(ReadError) as exc:
        run(sqlite_engine, "customers", data, name=name)
    assert exc.value.code == code
    assert exc.value.message("zh") != code


def test_size_limit(sqlite_engine, monkeypatch):
    monkeypatch.setenv("AFTERSALES_MAX_UPLOAD_MB", "1")
    with pytest.raises(ReadError) as exc:
        run(sqlite_engine, "customers", b"x" * (1024 * 1024 + 1), name="big.csv")
    assert exc.value.code == "imports.err.too_large" and exc.value.params["limit"] == 1


def test_lying_dimension_is_read_by_real_extent(sqlite_engine):
    report = run(sqlite_engine, "customers", _lying_dimension())
    assert report.ok and report.inserted == 1


# ---------------------------------------------------------------- command line


def test_cli_exit_codes(sqlite_url, tmp_path):
    good, bad, broken = tmp_path / "good.xlsx", tmp_path / "bad.xlsx", tmp_path / "broken.xlsx"
    good.write_bytes(customers_file(2))
    bad.write_bytes(xlsx([HEAD, ["C1", "", "Z"]]))
    broken.write_bytes(b"PK\x03\x04nope")
    dry = cli(sqlite_url, "import", "customers", str(good), "--dry-run", "--json")
    assert dry.returncode == 0 and json.loads(dry.stdout)["inserted"] == 2
    assert cli(sqlite_url, "import", "customers", str(good)).returncode == 0
    rejected = cli(sqlite_url, "import", "customers", str(bad), "--json")
    assert rejected.returncode == 1 and len(json.loads(rejected.stdout)["problems"]) == 2
    unreadable = cli(sqlite_url, "import", "customers", str(broken))
    assert unreadable.returncode == 2 and "Traceback" not in unreadable.stderr
    assert len(unreadable.stderr.strip().splitlines()) == 1
    later = cli(sqlite_url, "import", "not_a_register", str(good))
    assert later.returncode == 2 and "not_a_register" in later.stderr
    out = tmp_path / "out.xlsx"
    assert cli(sqlite_url, "export", "customers", str(out), "--lang", "en").returncode == 0
    again = cli(sqlite_url, "import", "customers", str(out), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["unchanged"] == 2
    assert cli(sqlite_url, "template", "devices", str(tmp_path / "t.xlsx")).returncode == 0


def test_cli_without_tables(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(customers_file(1))
    result = cli(f"sqlite:///{tmp_path / 'none.db'}", "import", "customers", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr


# ---------------------------------------------------------------- helpers
def _seed_customer(engine, code: str = "C1") -> None:
    with db.write(engine) as s:
        s.execute(
            insert(Customer.__table__).values(code=code, name=f"客户{code}", grade="A", version=1)
        )


def _until_waiting(engine, timeout: float = 30) -> None:
    """PostgreSQL: until another session waits on a lock (the second import's insert
    behind the first's uncommitted keys) — a fixed sleep loses the race on a busy
    machine, where the second import reads after the first committed. SQLite: the
    second writer waits for the first whenever it starts, so a short pause will do."""
    if engine.dialect.name == "sqlite":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database() AND position('customers' in query) > 0"
            ).scalar()
            if waiting:
                return
            conn.rollback()
            time.sleep(0.05)


def test_concurrent_import_of_the_same_new_keys(db_engine):
    """Two people import the same new rows at once. SQLite orders the writers, so the
    second finds them unchanged; PostgreSQL lets both look, then fails the second on
    the unique key: a conflict to retry, never an unexplained error, nothing half-kept."""
    data = customers_file(3)
    got: list = []

    def second() -> None:
        try:
            got.append(run(db_engine, "customers", data))
        except ConflictError as exc:
            got.append(exc)

    with db.write(db_engine) as s:
        first = import_file(s, "customers", data, file_name="a.xlsx", now=NOW, actor=ADMIN)
        assert first.inserted == 3
        thread = threading.Thread(target=second)
        thread.start()
        _until_waiting(db_engine)  # the second import is now waiting on the first
    thread.join(30)
    [outcome] = got
    if db_engine.dialect.name == "sqlite":
        assert (outcome.unchanged, outcome.inserted) == (3, 0)
    else:
        assert isinstance(outcome, ConflictError)
    assert count(db_engine, Customer) == 3 and count(db_engine, ImportBatch) == 1


def test_an_import_runs_with_fewer_collections_and_restores_the_threshold(
    sqlite_engine, monkeypatch
):
    import gc

    from imports import engine as import_engine

    seen = []
    real = import_engine._run

    def watching(*args, **kw):
        seen.append(gc.get_threshold()[0])
        return real(*args, **kw)

    monkeypatch.setattr(import_engine, "_run", watching)
    before = gc.get_threshold()
    run(sqlite_engine, "customers", customers_file(3))
    assert seen == [max(before[0], import_engine.BULK_GC_THRESHOLD)]
    assert gc.get_threshold() == before
