"""Dashboard page: charts and the period picker speak the page's language."""

from __future__ import annotations

import json

import pytest

from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in
from tests.helpers import one_open_ticket


@pytest.fixture
def one_ticket(app_db):
    one_open_ticket(app_db, CLOCK.replace(hour=9), ADMIN)
    return app_db


def charts(lang: str) -> list[dict]:
    at = signed_in("manager", lang)
    at.switch_page("pages/dashboard.py").run()
    assert not at.exception, at.exception
    assert at.date_input(key="dashboard.period").proto.format == "YYYY-MM-DD"
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_chinese_charts_name_months_in_chinese(one_ticket):
    specs = charts("zh")
    assert len(specs) == 2
    for spec in specs:
        assert spec["config"]["locale"]["time"]["shortMonths"][10] == "11月"
    (volume,) = [s for s in specs if s["mark"]["type"] == "area"]
    assert volume["encoding"]["x"]["axis"]["format"] == "%m-%d"


def test_english_charts_keep_vega_defaults(one_ticket):
    for spec in charts("en"):
        assert "locale" not in spec.get("config", {})
