"""Value parsing and row validation driven by the field specs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules.customers import CUSTOMERS, DEVICES
from rules.fields import (
    Field,
    Kind,
    Option,
    ValueProblem,
    normalize_label,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_value,
    validate_row,
)
from rules.i18n import CATALOGUE, t


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025/1/3", dt.date(2025, 1, 3)),
        ("2025-01-03", dt.date(2025, 1, 3)),
        ("2025年1月3日", dt.date(2025, 1, 3)),
        ("2025.1.3", dt.date(2025, 1, 3)),
        ("13/1/2025", dt.date(2025, 1, 13)),  # only one reading possible
        ("1/13/2025", dt.date(2025, 1, 13)),
        ("1/1/2025", dt.date(2025, 1, 1)),  # both readings agree
        (45660, dt.date(2025, 1, 3)),  # Excel 1900 serial
        (45660.75, dt.date(2025, 1, 3)),
        ("45660", dt.date(2025, 1, 3)),
        (dt.datetime(2025, 1, 3, 8, 0), dt.date(2025, 1, 3)),
        ("２０２５－０１－０３", dt.date(2025, 1, 3)),  # full-width
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_1904_serial():
    assert parse_date(44198, date1904=True) == dt.date(2025, 1, 3)


@pytest.mark.parametrize("raw", ["3/1/2025", "03-01-2025", "12/11/2025"])
def test_ambiguous_day_month_is_an_error(raw):
    with pytest.raises(ValueProblem) as exc:
        parse_date(raw)
    assert exc.value.code == "err.date_ambiguous"


@pytest.mark.parametrize("raw", ["2025-02-30", "tomorrow", "32/13/2025", True])
def test_bad_dates(raw):
    with pytest.raises(ValueProblem) as exc:
        parse_date(raw)
    assert exc.value.code == "err.date"


def test_datetime_with_time():
    assert parse_datetime("2025-01-03 14:05") == dt.datetime(2025, 1, 3, 14, 5)
    assert parse_datetime("2025年1月3日 8时30分") == dt.datetime(2025, 1, 3, 8, 30)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("¥1,000", Decimal("1000")),
        ("１２", Decimal("12")),
        (3, Decimal(3)),
        (0.1, Decimal("0.1")),
        ("", None),
    ],
)
def test_parse_decimal(raw, expected):
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("TRUE", True),
        ("false", False),
        (1, True),
        (0, False),
        ("", None),
    ],
)
def test_parse_bool(raw, expected):
    assert parse_bool(raw) is expected


def test_parse_bool_rejects_other_text():
    with pytest.raises(ValueProblem):
        parse_bool("maybe")


def test_enum_by_either_label_or_alias():
    f = Field(
        "p", "优先级", "Priority", Kind.ENUM, options=(Option("high", "高", "High", ("urgent",)),)
    )
    assert parse_value(f, "高") == "high"
    assert parse_value(f, "HIGH") == "high"
    assert parse_value(f, " urgent ") == "high"
    with pytest.raises(ValueProblem) as exc:
        parse_value(f, "低")
    assert "高" in t(exc.value.code, "zh", **exc.value.params)


def test_text_keeps_leading_zeros_and_drops_float_tail():
    f = Field("part_no", "备件编号", "Part no.")
    assert parse_value(f, "000123") == "000123"
    assert parse_value(f, 123.0) == "123"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("客户名称：", "客户名称"),
        ("Customer  Name", "customer name"),
        ("（备注）", "(备注)"),
        ("*序列号", "序列号"),
        ("ＳＮ", "sn"),
    ],
)
def test_normalize_label(a, b):
    assert normalize_label(a) == normalize_label(b)


def test_validate_row_collects_every_problem():
    raw = {
        "serial_no": "",
        "customer": "C1",
        "install_date": "3/1/2025",
        "warranty_end": "not a date",
    }
    _, problems = validate_row(DEVICES, raw, row=7, sheet="设备")
    fields = sorted(p.field for p in problems)
    assert fields == ["install_date", "serial_no", "warranty_end"]
    assert all(p.row == 7 and p.sheet == "设备" for p in problems)


def test_validate_row_cross_field_check():
    raw = {
        "serial_no": "S1",
        "customer": "C1",
        "install_date": "2025-05-01",
        "warranty_end": "2025-01-01",
    }
    _, problems = validate_row(DEVICES, raw)
    assert [p.field for p in problems] == ["warranty_end"]
    assert problems[0].code == "err.date_order"


def test_required_fields_missing_from_the_row():
    _, problems = validate_row(CUSTOMERS, {"code": "C1"})
    assert {p.field for p in problems} == {"name", "grade"}
    _, problems = validate_row(CUSTOMERS, {"code": "C1"}, partial=True)
    assert problems == []


def test_every_problem_code_used_by_rules_is_in_the_catalogue():
    import pathlib
    import re

    codes = set()
    for path in pathlib.Path("rules").rglob("*.py"):
        codes |= set(re.findall(r'"(err\.[a-z_]+)"', path.read_text()))
    assert codes
    assert codes <= CATALOGUE.keys()


def test_catalogue_has_both_languages():
    for key, (zh, en) in CATALOGUE.items():
        assert zh.strip() and en.strip(), key


def test_problems_are_worded_at_the_edge_in_the_readers_language():
    """Rules give field names; the reader's labels come only when shown."""
    from rules.customers import DEVICES, _check_device
    from rules.fields import Problem

    row = {
        "install_date": dt.date(2025, 5, 1),
        "warranty_end": dt.date(2025, 1, 1),
        "contract_end": None,
    }
    (p,) = _check_device(row)
    assert p.params == {"later": "warranty_end", "earlier": "install_date"}
    english = p.message("en", DEVICES)
    assert "Warranty" in english and not any("\u4e00" <= c <= "\u9fff" for c in english)
    assert "保修" in p.message("zh", DEVICES)
    grade = Problem("grade", "err.enum", {"value": "Z", "allowed": "x"})
    from rules.customers import CUSTOMERS

    assert grade.message("en", CUSTOMERS).endswith(
        "A key customer / B regular customer / C occasional customer"
    )
