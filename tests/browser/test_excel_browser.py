"""A real browser imports a spreadsheet on the customers page: upload, preview with a
bad row, skip it, import, undo. Every outcome is checked against the database."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from data_access import db
from data_access.models import Customer, ImportBatch
from rules.i18n import t
from tests.browser.conftest import assert_no_exception, login, wait_idle

# one module on one worker: its tests share the module's app server
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group(__name__)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = "客户_[2026]_*终版*.xlsx"  # Markdown characters: shown literally, not formatted


def workbook() -> bytes:
    """Title rows above a Chinese header; row 6 has an unknown grade."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户清单"
    ws.append(["2026 年客户台账"])
    ws.append([])
    ws.append(["客户编号", "客户名称", "客户等级", "联系电话"])
    ws.append(["X001", "浏览器精密机械", "A", "02155550001"])
    ws.append(["X002", "浏览器重工", "B", "01066660002"])
    ws.append(["X003", "浏览器包装", "Z", "02077770003"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def summary(**counts: int) -> str:
    return t("imports.report", "zh", **{"inserted": 0, "updated": 0, "unchanged": 0, **counts})


@pytest.fixture
def engine(served_app) -> Iterator[object]:
    e = db.make_engine(served_app["db_url"])
    yield e
    e.dispose()


def codes(engine) -> list[str]:
    with db.read(engine) as s:
        return sorted(s.scalars(select(Customer.code).where(Customer.code.like("X%"))))


def test_agent_imports_a_spreadsheet(served_app, page, engine):
    login(page, served_app["url"], "agent")
    title = t("page.customers", "zh")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)

    panel = page.locator('[data-testid="stExpander"]:visible').filter(
        has_text=t("imports.panel.title", "zh")
    )
    panel.locator("summary").first.click()
    panel.locator('input[type="file"]').set_input_files(
        files=[{"name": FILE, "mimeType": XLSX, "buffer": workbook()}]
    )
    preview = panel.get_by_role("button", name=t("imports.panel.preview", "zh"), exact=True)
    preview.wait_for()
    wait_idle(page)
    preview.click()
    expect(panel.get_by_text(f"预览: {summary(inserted=2, rejected=1)}")).to_be_visible()
    wait_idle(page)
    problems = panel.locator('[data-testid="stDataFrame"]').last
    expect(problems).to_contain_text("客户清单")  # sheet, Excel row, column, value
    for cell in ("6", "客户等级", "Z"):
        expect(problems.locator(f'td:text-is("{cell}")').first).to_be_attached()

    commit = panel.get_by_role("button", name=t("imports.panel.commit", "zh"))
    expect(commit).to_be_disabled()  # bad rows: nothing is written unless skipped
    assert codes(engine) == []
    panel.get_by_text(t("imports.panel.skip_bad", "zh")).click()
    wait_idle(page)
    expect(commit).to_be_enabled()
    commit.click()
    done = t("imports.done", "zh", summary=summary(inserted=2, rejected=1))
    expect(page.get_by_text(done)).to_be_visible()
    wait_idle(page)
    assert_no_exception(page, "after import")
    assert codes(engine) == ["X001", "X002"]
    grid = page.locator('[data-testid="stDataFrame"]:visible').first  # the register above
    expect(grid).to_contain_text("浏览器重工")  # redrawn with the imported rows
    with db.read(engine) as s:
        batch = s.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
        phone = s.scalars(select(Customer.phone).where(Customer.code == "X001")).one()
    assert (batch.file_name, batch.inserted, batch.rejected) == (FILE, 2, 1)
    assert phone == "02155550001"  # leading zero kept through the browser upload

    undo = panel.get_by_role("button", name=t("imports.panel.undo", "zh"))
    expect(undo).to_contain_text(FILE)
    undo.click()
    expect(page.get_by_text(f"已撤销导入“{FILE}”")).to_be_visible()
    wait_idle(page)
    assert_no_exception(page, "after undo")
    assert codes(engine) == []
    expect(grid).not_to_contain_text("浏览器重工")
