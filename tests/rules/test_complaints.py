"""Complaint rules: priority table, deadlines, closing check, rounds, CAPA."""

from __future__ import annotations

import datetime as dt

import pytest

from rules import complaints as R
from rules import sla
from rules.fields import validate_row

NOW = dt.datetime(2026, 11, 20, 10, 0)  # a Friday, working hours


@pytest.mark.parametrize(
    ("category", "severity", "urgency", "expected"),
    [
        ("fee", "high", "high", "high"),
        ("fee", "high", "medium", "high"),
        ("fee", "high", "low", "medium"),
        ("fee", "medium", "high", "high"),
        ("fee", "medium", "medium", "medium"),
        ("fee", "medium", "low", "low"),
        ("fee", "low", "high", "medium"),
        ("fee", "low", "medium", "low"),
        ("attitude", "low", "low", "low"),
        ("quality", "low", "low", "medium"),  # a failed repair never stays low
        ("product", "medium", "low", "medium"),
        ("product", "high", "high", "high"),
        (None, "low", "low", "low"),
    ],
)
def test_priority_by_the_rule_table(category, severity, urgency, expected):
    assert R.priority(category, severity, urgency) == expected


@pytest.mark.parametrize(
    ("received", "prio", "expected"),
    [
        # Friday 10:00, 8 working hours (08:30–18:00, Mon–Sat): Friday's close
        (NOW, "high", dt.datetime(2026, 11, 20, 18, 0)),
        # 24 working hours: 8 h Fri, 9.5 h Sat, Sunday off, 6.5 h Mon → Mon 15:00
        (NOW, "medium", dt.datetime(2026, 11, 23, 15, 0)),
        # received on Sunday: the clock starts Monday 08:30
        (dt.datetime(2026, 11, 22, 12, 0), "high", dt.datetime(2026, 11, 23, 16, 30)),
    ],
)
def test_investigation_deadline_on_the_working_calendar(received, prio, expected):
    assert R.investigate_by(received, prio, sla.DEFAULT_CALENDAR) == expected


def test_investigation_hours_are_configurable():
    got = R.investigate_by(NOW, "low", sla.DEFAULT_CALENDAR, {"low": 2, "medium": 4, "high": 1})
    assert got == dt.datetime(2026, 11, 20, 12, 0)


@pytest.mark.parametrize(
    ("tier", "status", "due", "expected"),
    [
        (1, "received", NOW - dt.timedelta(hours=1), 2),
        (2, "investigating", NOW - dt.timedelta(hours=1), 3),
        (3, "investigating", NOW - dt.timedelta(hours=1), None),  # already expert
        (1, "received", NOW + dt.timedelta(hours=1), None),  # not late
        (1, "handling", NOW - dt.timedelta(hours=1), None),  # root cause found: no timer
        (1, "received", None, None),
    ],
)
def test_timed_escalation(tier, status, due, expected):
    assert R.timed_tier(tier, status, due, NOW) == expected


GOOD = R.Confirmation("hotline", "张伟", NOW, True)


@pytest.mark.parametrize(
    ("root", "actions", "conf", "codes"),
    [
        ("培训不足", ["done"], GOOD, []),
        ("培训不足", ["open", "done"], GOOD, []),
        ("", ["done"], GOOD, ["complaints.err.no_root_cause"]),
        ("  ", ["done"], GOOD, ["complaints.err.no_root_cause"]),
        ("培训不足", ["open", "doing"], GOOD, ["complaints.err.no_done_action"]),
        ("培训不足", [], GOOD, ["complaints.err.no_done_action"]),
        (
            "培训不足",
            ["done"],
            R.Confirmation(None, None, None, True),
            ["complaints.err.confirmation"] * 3,
        ),
        (
            "培训不足",
            ["done"],
            R.Confirmation("hotline", "张伟", NOW, None),
            ["complaints.err.confirmation"],
        ),
        (
            "培训不足",
            ["done"],
            R.Confirmation("hotline", "张伟", NOW, False),
            ["complaints.err.not_satisfied"],
        ),
        (
            None,
            [],
            R.Confirmation(None, "张伟", NOW, True),
            [
                "complaints.err.no_root_cause",
                "complaints.err.no_done_action",
                "complaints.err.confirmation",
            ],
        ),
    ],
)
def test_closing_needs_root_cause_a_done_action_and_confirmation(root, actions, conf, codes):
    assert [p.code for p in R.close_problems(root, actions, conf)] == codes


@pytest.mark.parametrize(
    ("rounds", "tier", "expected"),
    [
        (1, 1, R.NextRound(2, R.Tier.FRONT, False)),
        (1, 2, R.NextRound(2, R.Tier.TECHNICAL, False)),
        (2, 1, R.NextRound(3, R.Tier.EXPERT, True)),  # round 3: expert and the manager
        (3, 3, R.NextRound(4, R.Tier.EXPERT, True)),
    ],
)
def test_not_satisfied_starts_another_round(rounds, tier, expected):
    assert R.next_round(rounds, tier) == expected


def _repeat(no, received, model=1, fault=7):
    return R.Repeat(no, received, model, fault)


SET = dt.datetime(2026, 6, 1, 9, 0)
VERIFY = R.capa_verify_by(SET.date())


@pytest.mark.parametrize(
    ("others", "expected"),
    [
        ([_repeat("TS-2", dt.datetime(2026, 7, 1))], "TS-2"),
        ([_repeat("TS-2", dt.datetime(2026, 8, 30))], "TS-2"),  # on the verification day
        ([_repeat("TS-2", dt.datetime(2026, 8, 31))], None),  # after it: effective
        ([_repeat("TS-2", dt.datetime(2026, 5, 30))], None),  # before the CAPA was set
        ([_repeat("TS-2", dt.datetime(2026, 7, 1), model=2)], None),  # other model
        ([_repeat("TS-2", dt.datetime(2026, 7, 1), fault=8)], None),  # other fault
        (
            [_repeat("TS-3", dt.datetime(2026, 7, 9)), _repeat("TS-2", dt.datetime(2026, 7, 1))],
            "TS-2",
        ),
    ],
)
def test_a_repeat_complaint_before_verification_makes_the_capa_not_effective(others, expected):
    assert dt.date(2026, 8, 30) == VERIFY
    found = R.repeat_of(1, 7, SET, VERIFY, others)
    assert (found.complaint_no if found else None) == expected


def test_no_model_or_fault_no_repeat():
    assert R.repeat_of(None, 7, SET, VERIFY, [_repeat("X", dt.datetime(2026, 7, 1))]) is None


@pytest.mark.parametrize(
    ("verifier", "on", "result", "statuses", "codes"),
    [
        (5, dt.date(2026, 9, 1), "无重复", ["done", "done"], []),
        (None, dt.date(2026, 9, 1), "无重复", ["done"], ["err.required"]),
        (5, None, "无重复", ["done"], ["err.required"]),
        (5, dt.date(2026, 9, 1), " ", ["done"], ["err.required"]),
        (5, dt.date(2026, 9, 1), "无重复", ["done", "doing"], ["complaints.err.capa_not_done"]),
        (5, dt.date(2026, 9, 1), "无重复", [], ["complaints.err.no_capa_action"]),
    ],
)
def test_capa_verification_needs_verifier_date_result_and_done_actions(
    verifier, on, result, statuses, codes
):
    assert [p.code for p in R.capa_verify_problems(verifier, on, result, statuses)] == codes


def test_numbers():
    assert R.make_complaint_no(dt.date(2026, 11, 20), 7) == "TS-20261120-0007"
    assert R.complaint_seq("TS-20261120-0012") == 12
    assert R.complaint_seq("bad") is None


def test_defaults_fill_priority_tier_and_deadline():
    values = {"category": "fee", "severity": "high", "urgency": "high", "priority": None,
              "tier": None, "rounds": None, "received_at": NOW, "investigate_by": None}  # fmt: skip
    R.complaint_defaults(values, sla.DEFAULT_CALENDAR)
    assert values["priority"] == "high" and values["tier"] == 2 and values["rounds"] == 1
    assert values["investigate_by"] == dt.datetime(2026, 11, 20, 18, 0)


def _row(**kw):
    base = {"complaint_no": "TS-1", "customer": "C1", "complainant": "王", "channel": "hotline",
            "received_at": NOW, "content": "慢", "severity": "low", "urgency": "low",
            "status": "closed", "root_cause": "原因", "confirm_channel": "hotline",
            "confirm_person": "王", "confirm_at": NOW, "satisfied": True}  # fmt: skip
    return {**base, **kw}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({}, []),
        ({"root_cause": None}, ["root_cause"]),
        ({"satisfied": False}, ["satisfied"]),
        ({"confirm_person": None, "confirm_at": None}, ["confirm_person", "confirm_at"]),
        ({"status": "handling", "root_cause": None, "satisfied": None}, []),
    ],
)
def test_a_closed_register_row_carries_its_root_cause_and_confirmation(change, fields):
    _, problems = validate_row(R.COMPLAINTS, _row(**change))
    assert [p.field for p in problems] == fields
