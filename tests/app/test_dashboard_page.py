"""Dashboard page: charts and the period picker speak the page's language."""

from __future__ import annotations

import json

import pytest

from data_access import db
from data_access import tickets as T
from data_access.models import Customer
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in


@pytest.fixture
def one_ticket(app_db):
    today = CLOCK.replace(hour=9)
    with db.write(app_db) as s:
        c = Customer(code="007", name="恒达精密", grade="A", region="华东")
        s.add(c)
        s.flush()
        T.create_ticket(
            s,
            customer_id=c.id,
            channel="phone",
            priority="standard",
            fault_description="主轴异响",
            received_at=today,
            actor=ADMIN,
            now=today,
        )
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
