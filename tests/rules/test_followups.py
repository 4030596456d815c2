"""Follow-up rules: satisfaction, ratings, outcomes and retries, queue plans, threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules import followups as R
from rules.fields import validate_row

NOW = dt.datetime(2026, 11, 20, 10, 0)


@pytest.mark.parametrize(
    ("q", "a", "e", "expected"),
    [
        (5, 5, 5, "5.00"),
        (5, 4, 4, "4.33"),
        (4, 4, 5, "4.33"),
        (3, 4, 4, "3.67"),
        (1, 1, 2, "1.33"),
        (1, 1, 1, "1.00"),
    ],
)
def test_satisfaction_is_the_mean_of_three_scores(q, a, e, expected):
    assert R.satisfaction(q, a, e) == Decimal(expected)


@pytest.mark.parametrize(
    ("scores", "comment", "codes"),
    [
        ((5, 4, 3), None, []),
        ((None, None, None), None, []),
        ((3, 3, 3), None, []),
        ((2, 5, 5), None, ["followups.err.low_needs_comment"]),
        ((2, 5, 5), "  ", ["followups.err.low_needs_comment"]),
        ((2, 5, 5), "等了三天", []),
        ((5, 5, 1), "态度差", []),
        ((0, 5, 5), None, ["followups.err.score_range"]),
        ((6, 5, 5), None, ["followups.err.score_range"]),
        ((5, None, 5), None, ["followups.err.score_missing"]),
    ],
)
def test_rating_checks(scores, comment, codes):
    assert [p.code for p in R.rating_problems(*scores, comment)] == codes


@pytest.mark.parametrize(
    ("outcome", "attempts", "expected"),
    [
        ("done", 0, R.AfterCall(R.Status.DONE, 1, None)),
        ("done", 3, R.AfterCall(R.Status.DONE, 4, None)),
        ("no_answer", 0, R.AfterCall(R.Status.PLANNED, 1, NOW + dt.timedelta(hours=4))),
        ("call_back", 1, R.AfterCall(R.Status.PLANNED, 2, NOW + dt.timedelta(hours=24))),
        ("no_answer", 2, R.AfterCall(R.Status.PLANNED, 3, NOW + dt.timedelta(hours=4))),
        ("no_answer", 3, R.AfterCall(R.Status.UNREACHABLE, 4, None)),  # the third retry
        ("refused", 0, R.AfterCall(R.Status.UNREACHABLE, 1, None)),
        ("wrong_number", 1, R.AfterCall(R.Status.UNREACHABLE, 2, None)),
    ],
)
def test_call_outcomes_and_retries(outcome, attempts, expected):
    assert R.after_call(outcome, attempts, NOW) == expected


@pytest.mark.parametrize("outcome", list(R.Outcome))
def test_a_fourth_retry_is_refused(outcome):
    got = R.after_call(outcome, 4, NOW)
    assert got.code == "followups.err.retries"  # type: ignore[union-attr]


def test_queue_order_puts_overdue_first():
    today = dt.date(2026, 11, 20)
    calls = {
        "today-late": (today, dt.datetime(2026, 11, 20, 15, 0)),
        "today": (today, None),
        "overdue-new": (today - dt.timedelta(days=1), None),
        "overdue-old": (today - dt.timedelta(days=5), None),
    }
    order = sorted(calls, key=lambda k: R.queue_order(*calls[k], today))
    assert order == ["overdue-old", "overdue-new", "today", "today-late"]


@pytest.mark.parametrize(
    ("grade", "months", "expected"),
    [
        ("A", None, 1),
        ("B", None, 3),
        ("C", None, 3),
        (None, None, 3),
        ("B", {"B": 6}, 3),  # never less than once a quarter
        ("B", {"B": 2}, 2),
        ("A", {"A": 0}, 1),
    ],
)
def test_grade_frequency(grade, months, expected):
    assert R.grade_months(grade, months) == expected


def test_periodic_plan_per_grade_and_skips_covered_periods():
    a = R.periodic_plan(1, "C0001", "A", 2027)
    assert [p.due for p in a] == [dt.date(2027, m, 15) for m in range(1, 13)]
    assert a[0].followup_no == "HF-P-C0001-2027-01"
    b = R.periodic_plan(2, "C0002", "B", 2027, covered=[dt.date(2027, 5, 2)])
    assert [p.due for p in b] == [dt.date(2027, 1, 15), dt.date(2027, 7, 15), dt.date(2027, 10, 15)]
    assert {p.reason for p in b} == {R.Reason.PERIODIC}


@pytest.mark.parametrize(
    ("installed", "due"),
    [(dt.date(2026, 11, 1), dt.date(2026, 12, 1)), (dt.date(2026, 12, 31), dt.date(2027, 1, 30))],
)
def test_a_new_installation_gets_a_phone_call_within_a_month(installed, due):
    p = R.install_call(3, "SN1", installed)
    assert (p.due, p.mode, p.reason, p.followup_no) == (due, R.Mode.PHONE, "install", "HF-I-SN1")


def test_calls_after_a_visit_and_a_closed_complaint():
    m = R.maintenance_call(4, 77, dt.date(2026, 11, 2), 3)
    assert (m.followup_no, m.due) == ("HF-M-77", dt.date(2026, 11, 5))
    c = R.complaint_call(4, 9, "TS-20261101-0001", 2, dt.date(2026, 11, 2), 7)
    assert (c.followup_no, c.due, c.complaint_id) == (
        "HF-TS-20261101-0001-2",
        dt.date(2026, 11, 9),
        9,
    )


@pytest.mark.parametrize(
    ("scores", "rate", "review"),
    [
        ([], None, False),
        ([Decimal("4.00")] * 17 + [Decimal("3.67")] * 3, 85.0, False),  # exactly 85 %: fine
        ([Decimal("4.00")] * 16 + [Decimal("3.67")] * 4, 80.0, True),
        ([5, 5, 5, 3], 75.0, True),
        ([4.33, 4, 5], 100.0, False),
    ],
)
def test_the_85_percent_threshold(scores, rate, review):
    got = R.satisfaction_rate(scores)
    assert got == (pytest.approx(rate) if rate is not None else None)
    assert R.needs_review(got) is review


def test_threshold_is_configurable():
    assert R.needs_review(88.0, threshold=90) and not R.needs_review(88.0)


def _row(**kw):
    base = {"followup_no": "HF-1", "customer": "C1", "reason": "ticket", "mode": "phone",
            "due_date": dt.date(2026, 11, 20), "status": "done", "rating_quality": 5,
            "rating_attitude": 4, "rating_efficiency": 4, "caller": "agent1",
            "engineer": "eng1"}  # fmt: skip
    return {**base, **kw}


@pytest.mark.parametrize(
    ("change", "codes"),
    [
        ({}, []),
        ({"rating_quality": 6}, ["err.max"]),
        ({"rating_quality": 0}, ["err.min"]),
        ({"rating_quality": 2}, ["followups.err.low_needs_comment"]),
        ({"rating_quality": 2, "rating_comment": "慢"}, []),
        ({"caller": "eng1"}, ["followups.err.self_rating"]),
        ({"attempts": 5}, ["err.max"]),
    ],
)
def test_register_row_checks(change, codes):
    _, problems = validate_row(R.FOLLOWUPS, _row(**change))
    assert [p.code for p in problems] == codes
