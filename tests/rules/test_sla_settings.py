"""SLA settings checks (pure): policy table, escalation ladder, weekly hours, pasted days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules.fields import ValueProblem
from rules.sla import DEFAULT_ESCALATION, EscalationLevel
from rules.sla_settings import (
    check_day_entries,
    check_ladder,
    check_policies,
    check_weekly,
    parse_day_lines,
    parse_spans,
)

# the built-in defaults as the page shows them: one all-grades row per priority
TABLE = [
    {"priority": "emergency", "customer_grade": "*", "respond_hours": 1, "resolve_hours": 8},
    {"priority": "high", "customer_grade": "*", "respond_hours": 2, "resolve_hours": 16},
    {"priority": "standard", "customer_grade": "*", "respond_hours": 4, "resolve_hours": 28.5},
    {"priority": "low", "customer_grade": "*", "respond_hours": 8, "resolve_hours": 40},
]


def policy_rows(changes: dict[int, dict]) -> list[dict]:
    """The table with ``changes`` typed into rows (0-based), as the page sends it."""
    rows = []
    for i, old in enumerate(TABLE):
        change = changes.get(i, {})
        rows.append({**old, **change, "row": i + 1, "changed": set(change)})
    return rows


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # the resolve limit was edited below the respond limit: the resolve cell is named
        ({1: {"resolve_hours": 1}}, [(2, "resolve_hours", "sla.err.respond_after_resolve", 1)]),
        ({1: {"respond_hours": 20}}, [(2, "respond_hours", "sla.err.respond_after_resolve", 20)]),
        (
            {1: {"respond_hours": 5, "resolve_hours": 3}},
            [(2, "respond_hours", "sla.err.respond_after_resolve", 5)],
        ),
        ({0: {"respond_hours": 0}}, [(1, "respond_hours", "sla.err.positive", 0)]),
        ({2: {"resolve_hours": None}}, [(3, "resolve_hours", "err.required", None)]),
        ({3: {"onsite_hours": "abc"}}, [(4, "onsite_hours", "err.number", "abc")]),
        ({3: {"onsite_hours": 100000}}, [(4, "onsite_hours", "err.max", 100000)]),
        ({3: {"priority": None}}, [(4, "priority", "err.required", None)]),
        (
            {3: {"customer_grade": "Z"}},
            [
                (4, "customer_grade", "err.enum", None),
                (None, "priority", "sla.err.no_all_grades", "low"),
            ],
        ),
        ({3: {"customer_grade": None}}, []),  # blank grade = all grades
        ({}, []),
    ],
)
def test_policy_problems_name_row_column_and_value(changes, expected):
    _, problems = check_policies(policy_rows(changes))
    assert [(p.row, p.field, p.code, p.value) for p in problems] == expected


def test_without_edit_marks_the_respond_limit_is_named_with_its_value():
    rows = [dict(r) for r in TABLE]
    rows[1]["resolve_hours"] = 1
    _, problems = check_policies(rows)
    assert [(p.row, p.field, p.value) for p in problems] == [(2, "respond_hours", 2)]


def test_policy_duplicates_and_missing_all_grades_row():
    rows = [*policy_rows({}), {"priority": "low", "customer_grade": "*", "respond_hours": 1,
                               "resolve_hours": 2, "row": 5}]  # fmt: skip
    _, problems = check_policies(rows)
    assert [(p.row, p.code, p.params) for p in problems] == [
        (5, "sla.err.duplicate_policy", {"first": 4})
    ]
    _, problems = check_policies(policy_rows({})[:3])
    assert [(p.code, p.value) for p in problems] == [("sla.err.no_all_grades", "low")]


def test_clean_policy_hours_are_decimals():
    clean, problems = check_policies(policy_rows({}))
    assert problems == []
    assert clean[2]["resolve_hours"] == Decimal("28.5") and clean[2]["onsite_hours"] is None


def ladder_rows(levels, **changes) -> list[dict]:
    rows = [
        {"level": lv.level, "name_zh": lv.zh, "name_en": lv.en, "hours": lv.hours} for lv in levels
    ]
    for i, change in changes.items():
        rows[int(i[1:])].update(change)
    return rows


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"r3": {"hours": 5}}, [(4, "hours", "sla.err.top_hours")]),
        ({"r1": {"hours": None}}, [(2, "hours", "err.required")]),
        ({"r1": {"hours": 0}}, [(2, "hours", "sla.err.positive")]),
        ({"r2": {"level": 5}}, [(None, "level", "sla.err.levels")]),
        ({"r2": {"level": 2}}, [(None, "level", "sla.err.levels")]),
        ({"r0": {"name_en": " "}}, [(1, "name_en", "err.required")]),
    ],
)
def test_ladder_problems(change, expected):
    _, problems = check_ladder(ladder_rows(DEFAULT_ESCALATION, **change))
    assert [(p.row, p.field, p.code) for p in problems] == expected


def test_shorter_ladder_is_fine():
    ladder, problems = check_ladder(
        [
            {"level": 2, "name_zh": "二线", "name_en": "L2", "hours": None},
            {"level": 1, "name_zh": "一线", "name_en": "L1", "hours": 4},
        ]
    )
    assert problems == []
    assert ladder == [
        EscalationLevel(1, "一线", "L1", 4.0),
        EscalationLevel(2, "二线", "L2", None),
    ]


# ---------------------------------------------------------------- calendar
@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("09:00-12:00, 13:00-18:00", [("09:00", "12:00"), ("13:00", "18:00")]),
        ("9-12，13:30 ~ 18", [("09:00", "12:00"), ("13:30", "18:00")]),
        ("８：３０－１８：００", [("08:30", "18:00")]),
        ("00:00-24:00", [("00:00", "24:00")]),
        ("", []),
        ("  ", []),
    ],
)
def test_parse_spans(text, spans):
    assert parse_spans(text) == spans


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("9:00-25:00", "sla.err.span"),
        ("morning", "sla.err.span"),
        ("09:00", "sla.err.span"),
        ("09:70-10:00", "sla.err.span"),
        ("18:00-09:00", "sla.err.span_order"),
        ("09:00-09:00", "sla.err.span_order"),
    ],
)
def test_bad_spans(text, code):
    with pytest.raises(ValueProblem) as info:
        parse_spans(text)
    assert info.value.code == code


def test_no_working_hours_at_all():
    _, problems = check_weekly({})
    assert [p.code for p in problems] == ["sla.err.no_hours"]


def test_pasted_day_lines():
    entries, problems = parse_day_lines(
        "2026-10-01, 休, 国庆节\n\n2026/10/10\t班\t国庆调休\n2026-10-02 holiday\n"
        "2026-13-01, 休\n2026-10-03, 上午\n2026-10-01, 休"
    )
    assert entries == [
        (dt.date(2026, 10, 1), "holiday", "国庆节"),
        (dt.date(2026, 10, 10), "workday", "国庆调休"),
        (dt.date(2026, 10, 2), "holiday", None),
        (dt.date(2026, 10, 1), "holiday", None),
    ]
    assert [(p.row, p.field, p.code) for p in problems] == [
        (5, "day", "err.date"),
        (6, "kind", "sla.err.kind"),
        (7, "day", "sla.err.duplicate_day"),
    ]


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([(dt.date(2026, 10, 1), "holiday", "国庆节")], []),
        ([(dt.date(2026, 10, 1), "sometimes", None)], [(1, "kind", "sla.err.kind")]),
        (
            [(dt.date(2026, 10, 1), "workday", None), (dt.date(2026, 10, 2), "holiday", "x" * 101)],
            [(2, "name", "err.too_long")],
        ),
    ],
)
def test_day_entries(entries, expected):
    assert [(p.row, p.field, p.code) for p in check_day_entries(entries)] == expected
