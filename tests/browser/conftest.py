"""A real `streamlit run app.py` on a free port against a temporary database, and
Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from data_access import db
from data_access.users import create_user
from rules.access import Role
from tests.conftest import CHROMIUM, missing

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser-pass-1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_app(tmp_path_factory, sqlite_template) -> Iterator[dict]:
    """Serve the app on a free port; yields {"url", "db_url"}."""
    path = tmp_path_factory.mktemp("served") / "app.db"
    path.write_bytes(sqlite_template.read_bytes())
    db_url = f"sqlite:///{path}"
    engine = db.make_engine(db_url)
    with db.write(engine) as session:
        for role in Role:
            create_user(session, role.value, PASSWORD, role, f"{role.value} 用户", region="华东")
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url}
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("streamlit did not start:\n" + log.read_text())
        yield {"url": url, "db_url": db_url, "log": log}
    finally:
        # killed, not asked to stop: its database is thrown away with it, and Streamlit's
        # own shutdown took about 2 s per module
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One Chromium per test process; every test gets its own context (``page``)."""
    if not CHROMIUM.exists():
        missing("/usr/bin/chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def login(page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()


def wait_idle(page) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=30_000)
    page.wait_for_function(_NOT_RUNNING, timeout=30_000)


ERROR_MARKERS = (
    "Traceback",
    "StreamlitAPIException",
    "Error:",
    "Exception:",
    "KeyError",
    "TypeError",
)


def assert_no_exception(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception shown on {where}"
    body = page.locator('[data-testid="stApp"]').inner_text()
    for marker in ERROR_MARKERS:
        assert marker not in body, f"{marker!r} shown to the user on {where}"


_ARM_RERUN = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__stStateChanges = 0;
  if (!window.__stObserver) {
    window.__stObserver = new MutationObserver(r => { window.__stStateChanges += r.length; });
    window.__stObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  }
}"""
_RERUN_DONE = """() => window.__stStateChanges > 0 && document.querySelector(
  '[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'"""


_NOT_RUNNING = """() => document.querySelector(
  '[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'"""


@contextmanager
def expect_rerun(page, timeout_ms: int = 15_000) -> Iterator[None]:
    """Wait for the script run that the actions in the block trigger to finish.

    `wait_idle` can return before a run even starts (Streamlit shows its status widget
    only for slow runs); this watches the app's own run-state attribute instead, armed
    before the action so a quick run is not missed."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate(_ARM_RERUN)
    yield
    try:
        page.wait_for_function(_RERUN_DONE, timeout=timeout_ms)
    except PlaywrightTimeout:
        # On a loaded machine the state flip can be missed; what the caller checks next
        # (grid text, database row) is the real proof, so settle for an idle app here.
        page.wait_for_function(_NOT_RUNNING, timeout=timeout_ms)


def wait_rendered(page) -> None:
    """Wait until the current run is finished and no element is still a loading skeleton
    (Streamlit draws placeholders first; `wait_idle` alone can return before they fill)."""
    wait_idle(page)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
        timeout=30_000,
    )


# ---------------------------------------------------------------- st.data_editor
# glide-data-grid draws on a canvas; beside it is an accessibility table whose cells
# have data-testid="glide-cell-{column}-{row}" (in an editable grid column 0 is the
# row-marker column, so the first data column is 1; a read-only `st.dataframe` without
# index starts at 0; rows count from 0 below the header). The table shows
# what the grid holds and which cell is selected; clicks go to the canvas.
GRID_HEADER_PX = 35  # Streamlit's default header and row height
GRID_ROW_PX = 35
GRID_MARKER_PX = 36  # row-marker (checkbox) column of an editable grid


def grid_cell(grid, col: int, row: int):
    return grid.locator(f'[data-testid="glide-cell-{col}-{row}"]')


def grid_row_of(grid, text: str, col: int = 1) -> int:
    """Row index of the (visible) row whose column ``col`` shows exactly ``text``."""
    ids = grid.locator(f'td[id^="glide-cell-{col}-"]').evaluate_all(
        "(cells, text) => cells.filter(c => c.textContent === text).map(c => c.id)", text
    )
    assert len(ids) == 1, f"expected one row showing {text!r} in column {col}, found {ids}"
    return int(ids[0].rsplit("-", 1)[1])


def select_grid_cell(page, grid, col: int, row: int) -> None:
    """Click the row's first data cell on the canvas, then walk right with the arrow
    keys (column widths depend on content; the column order does not)."""
    from playwright.sync_api import expect

    canvas = grid.locator('[data-testid="data-grid-canvas"]')
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    y = box["y"] + GRID_HEADER_PX + row * GRID_ROW_PX + GRID_ROW_PX / 2
    page.mouse.click(box["x"] + GRID_MARKER_PX + 12, y)
    expect(grid_cell(grid, 1, row)).to_have_attribute("aria-selected", "true")
    for _ in range(col - 1):
        page.keyboard.press("ArrowRight")
    expect(grid_cell(grid, col, row)).to_have_attribute("aria-selected", "true")


def edit_grid_cell(page, grid, col: int, row: int, text: str, *, check: bool = True) -> None:
    """Select the cell, open its editor (Enter), replace the text, commit (Enter) and
    wait for the rerun the edit triggers. ``check``: the grid then shows ``text``.

    With ``check``, an edit the grid dropped is typed once more: on a loaded machine an
    edit committed while a previous run is still in flight is occasionally lost by
    st.data_editor (seen about once in six runs here); what is saved is still asserted
    against the database by the callers."""
    from playwright.sync_api import expect

    attempts = 2 if check else 1
    for attempt in range(attempts):
        _type_into_cell(page, grid, col, row, text)
        if not check:
            return
        try:
            expect(grid_cell(grid, col, row)).to_have_text(text, timeout=5_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise
            wait_idle(page)


_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _type_into_cell(page, grid, col: int, row: int, text: str) -> None:
    from playwright.sync_api import expect

    select_grid_cell(page, grid, col, row)
    page.keyboard.press("Enter")
    editor = page.locator("#portal textarea")
    editor.wait_for()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    # the editor's React state may still lag the typed keys: Enter would commit the old
    # value (an empty cell stays empty, no rerun); let the editor show the text and
    # paint twice first
    expect(editor).to_have_value(text)
    page.evaluate(_TWO_FRAMES)
    with expect_rerun(page):
        page.keyboard.press("Enter")
    editor.wait_for(state="detached")


PHONE = {"width": 390, "height": 844}  # a common phone viewport


@pytest.fixture
def phone(browser) -> Iterator[object]:
    """A page in a phone-sized, touch context (Chinese locale)."""
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
