"""Training rules: result by pass mark, certificates, feedback only from those present,
capacity, coverage ratios, programme dates, name matching."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules import sla
from rules import training as tr
from rules.fields import validate_row
from rules.training import AttendeeKind as K
from rules.training import Person


@pytest.mark.parametrize(
    ("presence", "score", "practical", "mark", "expected"),
    [
        ("present", Decimal(70), None, Decimal(70), "passed"),  # exactly the mark passes
        ("present", Decimal("69.5"), None, Decimal(70), "failed"),
        ("late", Decimal(90), None, Decimal(70), "passed"),
        ("present", Decimal(90), "fail", Decimal(70), "failed"),  # practical failed
        ("present", None, "pass", Decimal(70), "passed"),  # practical only
        ("present", Decimal(10), None, None, "passed"),  # no pass mark: no test to fail
        ("present", None, None, Decimal(70), None),  # nothing assessed yet
        ("absent", Decimal(90), None, Decimal(70), None),  # absentees have no result
        (None, Decimal(90), "pass", Decimal(70), None),
        ("present", Decimal(0), "pass", Decimal(0), "passed"),
    ],
)
def test_result_of(presence, score, practical, mark, expected):
    assert tr.result_of(presence, score, practical, mark) == expected


@pytest.mark.parametrize(
    ("held", "months", "expected"),
    [
        (dt.date(2026, 1, 15), 12, dt.date(2027, 1, 14)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 27)),  # Feb 28 is the month's end; -1 day
        (dt.date(2025, 12, 1), 24, dt.date(2027, 11, 30)),
        (dt.date(2026, 5, 5), None, None),  # never expires
    ],
)
def test_certificate_expiry(held, months, expected):
    assert tr.certificate_expiry(held, months) == expected


TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("expires", "valid", "expiring"),
    [
        (None, True, False),
        (dt.date(2026, 11, 22), False, False),
        (dt.date(2026, 11, 23), True, True),
        (dt.date(2026, 12, 23), True, True),  # the 30th day
        (dt.date(2026, 12, 24), True, False),
    ],
)
def test_certificate_valid_and_expiring(expires, valid, expiring):
    assert tr.certificate_valid(expires, TODAY) is valid
    assert tr.certificate_expiring(expires, TODAY) is expiring


@pytest.mark.parametrize(
    ("capacity", "attendees", "over"),
    [(None, 500, False), (20, 20, False), (20, 21, True), (1, 0, False)],
)
def test_over_capacity(capacity, attendees, over):
    assert tr.over_capacity(capacity, attendees) is over


@pytest.mark.parametrize(
    ("part", "whole", "value", "shown"),
    [(0, 0, None, "—"), (3, 4, 75.0, "75.0%"), (0, 5, 0.0, "0.0%"), (5, 5, 100.0, "100.0%")],
)
def test_ratio(part, whole, value, shown):
    assert tr.ratio(part, whole) == value
    assert tr.shown_ratio(tr.ratio(part, whole)) == shown


@pytest.mark.parametrize(
    ("model", "setting", "expected"),
    [
        ("VMC-850", None, 1),
        ("VMC-850", {"*": 2}, 2),
        ("HMC-630", {"*": 1, "HMC-630": 3}, 3),
        ("HMC-630", {"HMC-630": 0}, 0),
        ("VMC-850", {"*": "x"}, 1),  # nonsense falls back to the default
        ("VMC-850", {"*": True}, 1),
    ],
)
def test_required_operators(model, setting, expected):
    assert tr.required_operators(model, setting) == expected


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        (None, []),
        ("", []),
        ("VMC-850, VMC-1160", ["VMC-850", "VMC-1160"]),
        ("VMC-850，HMC-630、VMC-850;CK-6150", ["VMC-850", "HMC-630", "CK-6150"]),
    ],
)
def test_model_codes(text, codes):
    assert tr.model_codes(text) == codes


def _line(**kw):
    base = {"session": "PX-1", "line_no": 1, "kind": "guest", "name": "王伟"}
    return validate_row(tr.ATTENDANCE, {**base, **kw})[1]


@pytest.mark.parametrize(
    ("values", "codes"),
    [
        ({"presence": "present", "test_score": 80, "rating": 5}, []),
        ({"presence": "late", "practical": "pass", "comment": "好"}, []),
        ({"presence": "absent", "test_score": 80}, ["training.err.result_without_attendance"]),
        ({"test_score": 80}, ["training.err.result_without_attendance"]),
        ({"presence": "absent", "practical": "fail"}, ["training.err.result_without_attendance"]),
        ({"presence": "absent", "rating": 4}, ["training.err.feedback_not_present"]),
        ({"comment": "很好"}, ["training.err.feedback_not_present"]),
        ({"presence": "present", "test_score": 101}, ["err.max"]),
        ({"presence": "present", "test_score": -1}, ["err.min"]),
        ({"presence": "present", "rating": 6}, ["err.max"]),
        ({"presence": "present", "rating": 0}, ["err.min"]),
        ({"kind": "staff"}, ["training.err.staff_needs_user"]),
        ({"kind": "contact"}, []),  # takes the session's customer (hooks)
        ({"presence": "maybe"}, ["err.enum"]),
    ],
)
def test_attendance_row_rules(values, codes):
    assert [p.code for p in _line(**values)] == codes


@pytest.mark.parametrize(
    ("start", "week", "expected"),
    [
        (dt.date(2026, 12, 2), 1, dt.date(2026, 11, 30)),  # a Wednesday: its Monday
        (dt.date(2026, 12, 2), 2, dt.date(2026, 12, 7)),
        (dt.date(2026, 12, 2), 5, dt.date(2026, 12, 28)),
    ],
)
def test_week_start(start, week, expected):
    assert tr.week_start(start, week) == expected


CAL = sla.WorkingCalendar(
    weekly={d: (("09:00", "12:00"), ("13:00", "18:00")) for d in range(5)},
    holidays=frozenset({dt.date(2026, 12, 28)}),
)


@pytest.mark.parametrize(
    ("start", "week", "hours", "expected"),
    [
        # week 1 starts on the start day itself (not the Monday before it)
        (dt.date(2026, 12, 2), 1, 4, (dt.datetime(2026, 12, 2, 9), dt.datetime(2026, 12, 2, 13))),
        (dt.date(2026, 12, 2), 2, 4, (dt.datetime(2026, 12, 7, 9), dt.datetime(2026, 12, 7, 13))),
        # a start on Saturday: week 1 has no working day left
        (dt.date(2026, 12, 5), 1, 4, None),
        # a holiday on the week's Monday: the Tuesday
        (
            dt.date(2026, 12, 28),
            1,
            4,
            (dt.datetime(2026, 12, 29, 9), dt.datetime(2026, 12, 29, 13)),
        ),
        (
            dt.date(2026, 12, 21),
            2,
            4,
            (dt.datetime(2026, 12, 29, 9), dt.datetime(2026, 12, 29, 13)),
        ),
        # a long course ends with the working day
        (dt.date(2026, 12, 2), 1, 16, (dt.datetime(2026, 12, 2, 9), dt.datetime(2026, 12, 2, 18))),
    ],
)
def test_first_working_slot(start, week, hours, expected):
    assert tr.first_working_slot(CAL.spans_on, start, week, hours) == expected


def test_programme_template_weeks():
    assert [(s.phase, s.week) for s in tr.PROGRAMME] == [
        ("initial", 1),
        ("deepening", 2),
        ("deepening", 3),
        ("deepening", 4),
        ("review", 5),
    ]


PEOPLE = [
    Person(K.CONTACT, "王伟", customer="C00001", phone="138 0000 0001"),
    Person(K.CONTACT, "王伟", customer="C00002", phone="13900000002"),
    Person(K.STAFF, "李娜", user="agent"),
    Person(K.GUEST, "赵敏", customer="C00001", phone="13700000003"),
]


@pytest.mark.parametrize(
    ("name", "phone", "found", "candidates"),
    [
        ("李娜", None, "agent", 1),
        ("王伟", None, None, 2),  # two people: no guess
        ("王伟", "13800000001", "C00001", 1),  # the phone tells them apart
        ("王伟", "10000000000", None, 2),  # a phone matching neither keeps both
        ("钱七", None, None, 0),  # nobody: a new person
        ("赵敏", None, "C00001", 1),
    ],
)
def test_match_person(name, phone, found, candidates):
    person, hits = tr.match_person(name, phone, PEOPLE)
    assert len(hits) == candidates
    assert (person and (person.user or person.customer)) == found


def test_feedback_summary():
    summary = tr.feedback_summary([("A", 5), ("A", 4), ("B", 3)])
    assert summary == {"A": (2, 4.5), "B": (1, 3.0)}


@pytest.mark.parametrize(
    ("role", "manage", "sessions", "coverage", "scoped"),
    [
        ("admin", True, True, True, False),
        ("manager", True, True, True, False),
        ("trainer", True, True, True, False),
        ("agent", False, False, True, True),
        ("engineer", False, False, True, True),
        ("quality", False, False, False, False),
        (None, False, False, False, False),
    ],
)
def test_training_roles(role, manage, sessions, coverage, scoped):
    assert tr.may_manage(role) is manage
    assert tr.may_see_sessions(role) is sessions
    assert tr.may_see_coverage(role) is coverage
    assert tr.coverage_scoped(role) is scoped
