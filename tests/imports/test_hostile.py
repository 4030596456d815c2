"""Hostile files (tests/fixtures/hostile/, written by make.py there) through the engine,
the command line and the panel. Each must end as one clear message while this process,
standing in for the app server, keeps running and keeps importing."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from data_access import db
from data_access.models import Customer
from imports import engine as import_engine
from imports import reader, sandbox
from imports.books import open_book
from imports.engine import import_file
from imports.reader import ReadError, escape_text, sheet_title, unescape_text
from imports.writer import export_bytes, rejected_bytes
from rules.i18n import t
from tests.actors import ADMIN
from tests.app.test_excel_panel import (  # noqa: F401  (fixtures)
    app_db,
    key,
    open_customers,
    panel,
    texts,
    upload,
    users_template,
)
from tests.helpers import cli

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
NOW = dt.datetime(2026, 11, 30, 9, 0)
GOOD = "客户编号,客户名称,客户等级\r\nC1,甲,A\r\n".encode()

REFUSED = [
    ("out_of_order_xfd.xlsx", "imports.err.dimension"),
    ("four_letters.xlsx", "imports.err.wide"),
    ("quoted_ref.xlsx", "imports.err.dimension"),
    ("no_r_wide.xlsx", "imports.err.wide"),
    ("sparse_z.xlsx", "imports.err.sparse"),
    ("shift_jis.csv", "imports.err.encoding_guess"),
]


def run(engine, name: str, data: bytes | Path | None = None, **kw):
    source = data if data is not None else HOSTILE / name
    with db.write(engine) as s:
        return import_file(s, "customers", source, file_name=name, now=NOW, actor=ADMIN, **kw)


def still_serving(engine) -> None:
    """This process is alive and a normal file still imports."""
    os.kill(os.getpid(), 0)
    assert run(engine, "good.csv", GOOD, dry_run=True).ok


# ---------------------------------------------------------------- the guard
@pytest.mark.parametrize(("name", "code"), REFUSED)
def test_hostile_file_is_one_clear_refusal(sqlite_engine, name, code):
    start = time.perf_counter()
    with pytest.raises(ReadError) as exc:
        run(sqlite_engine, name)
    assert exc.value.code == code
    assert time.perf_counter() - start < 5
    message = exc.value.message("en")
    assert message.startswith(("File refused", "Sheet")), message
    still_serving(sqlite_engine)


def test_shift_jis_is_named(sqlite_engine):
    with pytest.raises(ReadError) as exc:
        run(sqlite_engine, "shift_jis.csv")
    assert "Shift-JIS" in exc.value.message("zh")


# ---------------------------------------------------------------- the sandbox
def test_parser_abort_happens_in_the_child(sqlite_engine, monkeypatch):
    """With the guard opened wide, calamine itself aborts (SIGABRT): in the child only."""
    monkeypatch.setenv("AFTERSALES_MAX_CELLS", str(10**13))
    monkeypatch.setenv("AFTERSALES_SPARSE_RATIO", "0")
    with pytest.raises(ReadError) as exc:
        run(sqlite_engine, "out_of_order_xfd.xlsx")
    assert exc.value.code in ("imports.err.refused", "imports.err.refused_memory")
    assert exc.value.message("en").startswith("File refused")
    still_serving(sqlite_engine)


def _spawns(monkeypatch) -> list[int]:
    started: list[int] = []
    real = sandbox.Child._spawn

    def counting(self):
        real(self)
        started.append(self._proc.pid)

    monkeypatch.setattr(sandbox.Child, "_spawn", counting)
    return started


def test_a_parse_ahead_that_ends_the_child_opens_the_file_again_carefully(monkeypatch):
    """The sheet parsed beside the scan can make calamine allocate a bomb's extent and
    abort the child before the scan refuses (a race: on this file the scan often wins).
    Here the child always dies first, as calamine's abort would end it; one more child,
    scan first and nothing ahead, then says why."""
    started = _spawns(monkeypatch)
    opens: list[object] = []
    real = sandbox.Child.call

    def aborting(self, *msg):
        if msg[0] == "open":
            opens.append(msg[3])
            if msg[3] is not None:
                self._proc.send_signal(signal.SIGABRT)
                self._proc.wait()
        return real(self, *msg)

    monkeypatch.setattr(sandbox.Child, "call", aborting)
    with pytest.raises(ReadError) as exc:
        open_book(HOSTILE / "out_of_order_xfd.xlsx", "x.xlsx", ahead="")
    assert exc.value.code == "imports.err.dimension"
    assert exc.value.params["ref"] == "A1:XFD1048576"
    assert len(started) == 2 and opens == ["", None]
    started.clear()
    opens.clear()
    with pytest.raises(ReadError) as exc:  # asked for nothing ahead: one child, no retry
        open_book(HOSTILE / "out_of_order_xfd.xlsx", "x.xlsx")
    assert exc.value.code == "imports.err.dimension"
    assert len(started) == 1 and opens == [None]


def test_a_child_out_of_time_is_not_opened_again(monkeypatch):
    """A parse ahead that ran out of time is not tried again (the user would wait twice)."""
    started = _spawns(monkeypatch)
    monkeypatch.setattr(sandbox, "time_limit_s", lambda: 0.2)
    real = sandbox.Child.call

    def stalled(self, *msg):
        if msg[0] == "open":
            self._proc.send_signal(signal.SIGSTOP)
        return real(self, *msg)

    monkeypatch.setattr(sandbox.Child, "call", stalled)
    with pytest.raises(ReadError) as exc:
        open_book(HOSTILE / "nul_cell.xlsx", "n.xlsx", ahead="")
    assert exc.value.code == "imports.err.refused_time"
    assert len(started) == 1


def test_the_sheet_parsed_ahead_is_the_one_read(monkeypatch, tmp_path):
    """The parse ahead serves the sheet asked for; another sheet is parsed when asked."""
    started = _spawns(monkeypatch)
    wb = openpyxl.Workbook()
    wb.active.title = "甲"
    wb.active.append(["a"])
    wb.create_sheet("乙").append(["b"])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    for ahead, wanted in (("乙", "乙"), ("", "甲"), ("乙", "甲"), ("丙", "乙")):
        book = open_book(path, "two.xlsx", ahead=ahead)
        try:
            _first, rows = book.rows(wanted)
            assert [list(r) for r in rows] == [["a" if wanted == "甲" else "b"]]
        finally:
            book.close()
    assert len(started) == 4  # none of them died


def test_a_refusal_ends_the_child_while_its_parse_ahead_runs(monkeypatch):
    """The scan refuses a sparse sheet while the thread still parses: the child ends at
    once on close, and no process is left."""
    started = _spawns(monkeypatch)
    begun = time.perf_counter()
    with pytest.raises(ReadError) as exc:
        open_book(HOSTILE / "sparse_z.xlsx", "s.xlsx", ahead="")
    assert exc.value.code == "imports.err.sparse"
    assert time.perf_counter() - begun < 3  # not the 5 s the parent waits before a kill
    (pid,) = started
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_the_next_workbook_gets_a_child_started_ahead(monkeypatch):
    """A workbook done with its child starts one for the next; one started with other
    limits is ended, not used."""
    started = _spawns(monkeypatch)
    book = open_book(HOSTILE / "nul_cell.xlsx", "a.xlsx")
    assert not sandbox._spare  # not while this one is read: it would take a core
    book.close()
    (spare,) = sandbox._spare
    assert spare.proc.poll() is None and spare.proc.pid != started[0]
    open_book(HOSTILE / "nul_cell.xlsx", "b.xlsx").close()
    assert started[1] == spare.proc.pid and sandbox._spare[0].proc.pid != spare.proc.pid
    spare = sandbox._spare[0]
    monkeypatch.setenv("AFTERSALES_PARSE_MEMORY_MB", "700")
    open_book(HOSTILE / "nul_cell.xlsx", "c.xlsx").close()
    assert started[2] != spare.proc.pid and spare.proc.poll() is not None  # ended
    assert sandbox._spare[0].settings[2] == "700"
    spare = sandbox._spare[0]
    monkeypatch.setenv("AFTERSALES_MAX_CELLS", "123")  # read by the guard in the child
    open_book(HOSTILE / "nul_cell.xlsx", "d.xlsx").close()
    assert started[3] != spare.proc.pid and spare.proc.poll() is not None


def test_memory_limit(sqlite_engine, monkeypatch):
    monkeypatch.setenv("AFTERSALES_SPARSE_RATIO", "0")
    monkeypatch.setenv("AFTERSALES_PARSE_MEMORY_MB", "500")
    with pytest.raises(ReadError) as exc:
        run(sqlite_engine, "sparse_z.xlsx")
    assert exc.value.code == "imports.err.refused_memory"
    assert exc.value.params == {"limit": 500}
    still_serving(sqlite_engine)


def test_time_limit(sqlite_engine, monkeypatch):
    monkeypatch.setenv("AFTERSALES_SPARSE_RATIO", "0")
    monkeypatch.setenv("AFTERSALES_PARSE_SECONDS", "1")
    start = time.perf_counter()
    with pytest.raises(ReadError) as exc:
        run(sqlite_engine, "sparse_z.xlsx")
    assert exc.value.code == "imports.err.refused_time"
    assert time.perf_counter() - start < 5
    still_serving(sqlite_engine)


# ---------------------------------------------------------------- NUL
@pytest.mark.parametrize(
    ("name", "row"), [("nul_late.csv", 202), ("nul_cell.xlsx", 2)], ids=["csv", "xlsx"]
)
def test_nul_is_a_row_problem_on_both_databases(db_engine, name, row):
    report = run(db_engine, name)
    assert not report.ok and not report.committed
    (problem,) = report.problems
    assert (problem.sheet, problem.row, problem.column) == (report.sheet, row, "客户名称")
    assert problem.code == "imports.err.nul"
    skipped = run(db_engine, name, skip_bad_rows=True)
    assert skipped.rejected == 1
    with db.read(db_engine) as s:
        names = list(s.scalars(select(Customer.name)))
    assert len(names) == skipped.inserted and not any("\0" in n for n in names)


# ---------------------------------------------------------------- writing
def test_line_feed_before_formula_is_neutralised(sqlite_engine):
    assert escape_text("\n=HYPERLINK(1)") == "'\n=HYPERLINK(1)"
    assert unescape_text(escape_text("\n=1")) == "\n=1"
    with db.write(sqlite_engine) as s:
        s.add(Customer(code="C1", name="\n=cmd()", grade="A"))
    with db.read(sqlite_engine) as s:
        data = export_bytes(s, "customers", lang="zh", today=NOW.date())
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    names = [r[1] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert names == ["'\n=cmd()"]


def test_rejected_workbook_of_a_csv_with_brackets(sqlite_engine):
    bad = "客户编号,客户名称,客户等级\r\nC1,甲,Z\r\n".encode()
    report = run(sqlite_engine, "export[1].csv", bad)
    assert report.sheet == "export[1]" and report.rejected_rows
    wb = openpyxl.load_workbook(io.BytesIO(rejected_bytes(report, lang="zh")))
    assert wb.sheetnames == ["export_1_"]
    assert sheet_title("a" * 40 + ":") == "a" * 31 and sheet_title("''") == "rejected"


# ---------------------------------------------------------------- command line


@pytest.mark.parametrize(("name", "code"), REFUSED[:3] + REFUSED[-1:])
def test_cli_refuses_with_one_line(sqlite_url, sqlite_engine, name, code):
    done = cli(sqlite_url, "import", "customers", str(HOSTILE / name), "--dry-run")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [t(code, "zh", **_params(name, code))]
    still_serving(sqlite_engine)


def _params(name: str, code: str) -> dict:
    with pytest.raises(ReadError) as exc:
        open_book(HOSTILE / name, name)
    assert exc.value.code == code
    return exc.value.params


@pytest.mark.parametrize("command", ["export", "template"])
def test_cli_write_into_a_missing_folder(sqlite_url, tmp_path, command):
    out = tmp_path / "missing" / "folder" / "x.xlsx"
    done = cli(sqlite_url, command, "customers", str(out), "--lang", "en")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == f"No such folder: {out.parent}"


# ---------------------------------------------------------------- the panel
def test_panel_refuses_and_keeps_serving(app_db):  # noqa: F811
    at = upload(
        open_customers("agent"), "customers", "x.xlsx", (HOSTILE / "sparse_z.xlsx").read_bytes()
    )
    (error,) = texts(panel(at, "customers").error)
    assert error.startswith("文件被拒绝")
    os.kill(os.getpid(), 0)
    at = upload(at, "customers", "good.csv", GOOD)
    assert texts(panel(at, "customers").error) == []
    assert any(b.key == key("customers", "preview") for b in at.button)


def test_panel_parses_an_upload_once(app_db, monkeypatch):  # noqa: F811
    opened: list[str] = []
    real = import_engine.open_book

    def counting(source, name, **kw):
        opened.append(name)
        return real(source, name, **kw)

    monkeypatch.setattr(import_engine, "open_book", counting)
    data = (HOSTILE / "nul_cell.xlsx").read_bytes()
    at = upload(open_customers("agent"), "customers", "n.xlsx", data)
    first = len(opened)
    assert first == 2  # sheet names, then the header of the first sheet
    for _ in range(3):
        at.run()
    assert len(opened) == first
    refused = (HOSTILE / "four_letters.xlsx").read_bytes()
    at = upload(at, "customers", "w.xlsx", refused)
    at.run()
    assert opened[first:] == ["w.xlsx"]  # a refusal is remembered too


# ---------------------------------------------------------------- the extent, reference by reference
def _scan(rows: list[str]):
    sys.path.insert(0, str(HOSTILE))
    try:
        import make
    finally:
        sys.path.remove(str(HOSTILE))
    with zipfile.ZipFile(io.BytesIO(make.xlsx(rows))) as zf:
        return reader._scan_sheet(zf, "xl/worksheets/sheet1.xml", "台账")


@pytest.mark.parametrize(
    ("rows", "extent"),
    [
        (['<row r="2"><c r="B2"/></row>', '<row r="1"><c r="A1"/></row>'], (2, 26)),
        (['<row r="2"><c r="A5000"/></row>'], (5000, 26)),  # the cell, not its row
        (['<row r="3"><c r="AB3"/><c r="ZZ3"/><c r="C3"/></row>'], (3, 702)),
        (['<x:row r="7"><x:c r="AB7"/></x:row>'], (7, 28)),  # prefixed tags
        (['<row r="900"/>', "<row><c/><c/><c/></row>"], (901, 3)),  # by position
        (['<row r="4"><c r="zz4"/></row>'], (4, 702)),  # lower case
        (['<row r="1"><c r="B1"/><c/><c/></row>'], (1, 4)),
    ],
)
def test_extent_from_every_reference(rows, extent):
    scan = _scan(rows)
    assert (scan.rows, scan.cols) == extent
