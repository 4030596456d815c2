"""The monthly service report (月度服务报告): one workbook whose summary holds exactly the
dashboard's figures for the month, a sheet per breakdown, the trends, the engineer
table and charts; the command line writes it and refuses a bad month with rc 2."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, update

from data_access import dashboard as D
from data_access import db, demo
from data_access.errors import InvalidInput
from data_access.models import Customer, User
from data_access.reports import file_name, monthly_workbook, parse_month
from rules.access import Actor, Role
from rules.dashboard import DIMENSIONS, visible
from rules.i18n import t
from tests.helpers import ROOT, copy_sqlite

NOW = demo.DEMO_NOW
MONTH = "2026-10"
ADMIN = Actor(None, Role.ADMIN)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory, sqlite_template) -> Path:
    """A demo database (every domain) loaded once; each test works on a copy."""
    path = tmp_path_factory.mktemp("monthly") / "demo.db"
    engine = copy_sqlite(sqlite_template, path)
    demo.load(engine, customers=12, tickets=400)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_db(demo_file, tmp_path):
    engine = copy_sqlite(demo_file, tmp_path / "report.db")
    yield engine
    engine.dispose()


def _book(engine, actor=ADMIN, month=MONTH, lang="zh") -> tuple[bytes, openpyxl.Workbook]:
    with db.read(engine) as s:
        data = monthly_workbook(s, actor, month, NOW, lang)
    return data, openpyxl.load_workbook(io.BytesIO(data))


def _summary(wb, lang="zh") -> dict[str, tuple]:
    ws = wb[t("dashboard.sheet.summary", lang)]
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    return {r[0]: r for r in rows if r[0]}


def test_summary_holds_the_dashboards_figures_for_the_month(demo_db):
    _, wb = _book(demo_db)
    summary = _summary(wb)
    with db.read(demo_db) as s:
        figures = D.figures(s, ADMIN, D.Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
                            D.Filters(), NOW)  # fmt: skip
    assert len(summary) == len(figures) == len(visible(Role.ADMIN))
    some_value = False
    for key, fig in figures.items():
        label, value, _target, _met, num, den, prev, change, formula = summary[t(f"kpi.{key}")]
        assert label == t(f"kpi.{key}")
        if fig.value is None:
            assert value == "—", key
        else:
            some_value = True
            assert value == pytest.approx(fig.value), key
        assert num == (None if fig.numerator is None else pytest.approx(fig.numerator)), key
        assert den == (None if fig.denominator is None else pytest.approx(fig.denominator)), key
        assert prev == (None if fig.previous is None else pytest.approx(fig.previous)), key
        assert change == (None if fig.change is None else pytest.approx(fig.change)), key
        assert formula == t(f"kpi.{key}.formula"), key
    assert some_value  # the demo month has real figures, not only dashes


def test_met_is_said_in_words_and_sign(demo_db):
    _, wb = _book(demo_db, lang="en")
    summary = _summary(wb, "en")
    verdicts = {r[3] for r in summary.values() if r[3]}
    assert verdicts, "some KPI has a target and a value"
    assert verdicts <= {"✔ " + t("dashboard.met", "en"), "✘ " + t("dashboard.missed", "en")}


def test_a_sheet_per_breakdown_the_trend_and_engineers_with_charts(demo_db):
    data, wb = _book(demo_db)
    dims = [t("dashboard.sheet.by", "zh", dim=t(f"dashboard.dim.{d}", "zh")) for d in DIMENSIONS]
    expected = [t("dashboard.sheet.summary", "zh"), *dims, t("dashboard.sheet.trend", "zh"),
                t("dashboard.sheet.engineers", "zh")]  # fmt: skip
    assert wb.sheetnames == expected
    period = D.Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    with db.read(demo_db) as s:
        by_type = D.breakdown(s, ADMIN, period, D.Filters(), "service_type")
        engineers = D.engineers(s, ADMIN, period, D.Filters())
    ws = wb[dims[DIMENSIONS.index("service_type")]]
    body = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert len(body) == len(by_type) > 0
    assert sum(r[1] for r in body) == sum(g["tickets"] for g in by_type)
    eng = wb[t("dashboard.sheet.engineers", "zh")]
    assert eng.max_row - 1 == len(engineers)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    charts = [n for n in names if n.startswith("xl/charts/chart")]
    drawings = [n for n in names if n.startswith("xl/drawings/drawing")]
    # the service types (column + pie), the trend (volume + rates), the engineers
    assert len(charts) >= 5 and drawings


def test_an_engineer_gets_his_own_figures_and_no_engineer_table(demo_db):
    with db.read(demo_db) as s:
        me = s.scalars(select(User).where(User.username == "engineer")).one()
        actor = Actor(me.id, me.role)
        figures = D.figures(s, actor, D.Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
                            D.Filters(), NOW)  # fmt: skip
    _, wb = _book(demo_db, actor)
    summary = _summary(wb)
    assert set(summary) == {t(f"kpi.{k.key}") for k in visible(Role.ENGINEER)}
    received = summary[t("kpi.tickets_received")][1]
    assert received == pytest.approx(figures["tickets_received"].value)
    assert t("dashboard.sheet.engineers", "zh") not in wb.sheetnames


def test_text_from_the_data_is_never_a_formula(demo_db):
    with db.write(demo_db) as s:
        s.execute(update(Customer).values(region='=HYPERLINK("http://x","y")'))
    _, wb = _book(demo_db)
    ws = wb[t("dashboard.sheet.by", "zh", dim=t("dashboard.dim.region", "zh"))]
    names = [r[0] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert names
    for name in names:
        assert not str(name).startswith("=")
    assert any(str(n).startswith("'=HYPERLINK") for n in names)


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "11/2026", "", "2026-1x", "abcd-11"])
def test_a_bad_month_is_invalid_input(demo_db, bad):
    with pytest.raises(InvalidInput) as exc, db.read(demo_db) as s:
        monthly_workbook(s, ADMIN, bad, NOW, "zh")
    assert exc.value.problems[0].field == "month"


def test_month_parsing():
    assert parse_month("2026-11") == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert parse_month("2026-2") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert parse_month("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert file_name("2026-11") == "月度服务报告-2026-11.xlsx"


# ---------------------------------------------------------------- the command line
def _cli(url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "data_access.reports", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )  # fmt: skip


def test_cli_writes_the_workbook_under_its_default_name(demo_file, tmp_path):
    shutil.copy(demo_file, tmp_path / "cli.db")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = _cli(url, tmp_path, "monthly", "2026-10")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "月度服务报告-2026-10.xlsx"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == t("dashboard.sheet.summary", "zh")
    done = _cli(url, tmp_path, "monthly", "2026-10", "--out", str(tmp_path / "r.xlsx"),
                "--lang", "en", "--user", "quality")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = _summary(openpyxl.load_workbook(tmp_path / "r.xlsx"), "en")
    assert set(summary) == {t(f"kpi.{k.key}", "en") for k in visible(Role.QUALITY)}


def test_cli_refuses_a_bad_month_an_unknown_user_and_a_missing_folder(demo_file, tmp_path):
    shutil.copy(demo_file, tmp_path / "cli.db")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = _cli(url, tmp_path, "monthly", "2026-13", "--lang", "en")
    assert done.returncode == 2
    assert "2026-13" in done.stderr and "YYYY-MM" in done.stderr
    assert "Traceback" not in done.stderr
    done = _cli(url, tmp_path, "monthly", "2026-10", "--user", "nobody", "--lang", "en")
    assert done.returncode == 2 and "nobody" in done.stderr
    done = _cli(url, tmp_path, "monthly", "2026-10", "--out", str(tmp_path / "no" / "x.xlsx"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.xlsx"))  # nothing half-written
