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
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
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
