"""AppTest helpers: a migrated SQLite database with users, and a signed-in app."""

from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

import pytest
from streamlit import config
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.users import create_user
from rules.access import Role

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PASSWORD = "correct-horse-1"
# every page works at this moment (pages.common.now): no test depends on today's date
CLOCK = dt.datetime(2026, 11, 23, 10, 0)  # a Monday, inside working hours


@pytest.fixture(scope="session", autouse=True)
def _scan_components_once():
    """Every new AppTest scans the metadata of every installed package for Streamlit
    components (its first ``run``); nothing gets installed during a test run, so scan
    once per session. The app declares no components either way."""
    with pytest.MonkeyPatch.context() as mp:
        scan = functools.cache(manifest_scanner.scan_component_manifests)
        mp.setattr(manifest_scanner, "scan_component_manifests", scan)
        yield


@pytest.fixture(scope="session", autouse=True)
def _compile_scripts_once():
    """Each ``AppTest.run`` makes a new ScriptCache, so app.py and the page were read,
    rewritten for magic and compiled again on every run; the code only changes when the
    file does (its size and modification time are in the key)."""
    original = ScriptCache.get_bytecode
    compiled: dict[tuple, object] = {}

    def get_bytecode(self, script_path: str):
        stat = os.stat(script_path)
        magic = config.get_option("runner.magicEnabled")
        key = (os.path.abspath(script_path), stat.st_mtime_ns, stat.st_size, magic)
        if key not in compiled:
            compiled[key] = original(self, script_path)
        return compiled[key]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ScriptCache, "get_bytecode", get_bytecode)
        yield


@pytest.fixture
def app_db(sqlite_url, monkeypatch):
    """DATABASE_URL → a migrated SQLite file holding one user per role."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    engine = db.make_engine(sqlite_url)
    with db.write(engine) as session:
        for role in Role:
            create_user(session, role.value, PASSWORD, role, f"{role.value} user", region="华东")
    yield engine
    engine.dispose()


def login(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def signed_in(username: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["lang"] = lang
    at.session_state["clock"] = CLOCK
    at.run()
    return login(at, username)
