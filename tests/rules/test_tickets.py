"""Ticket rules: the transition table, labels, register, satisfaction, numbering."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from rules.fields import validate_row
from rules.i18n import CATALOGUE
from rules.tickets import (
    CHANNEL_OPTIONS,
    FINISHED,
    OPEN,
    PRIORITY_OPTIONS,
    STATUS_OPTIONS,
    TICKETS,
    TRANSITIONS,
    Channel,
    IllegalTransition,
    Priority,
    Status,
    allowed_next,
    check_ratings,
    check_transition,
    closing_facts,
    followup_due,
    followup_no,
    imported_history,
    make_ticket_no,
    satisfaction,
    status_label,
    ticket_seq,
)

# sorted: frozenset order varies between processes, and xdist workers must collect alike
ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a, b in itertools.product(Status, Status) if b not in TRANSITIONS[a]]


def test_every_status_has_a_row_and_labels():
    assert set(TRANSITIONS) == set(Status)
    assert {o.value for o in STATUS_OPTIONS} == set(Status)
    assert {o.value for o in PRIORITY_OPTIONS} == set(Priority)
    assert {o.value for o in CHANNEL_OPTIONS} == set(Channel)
    for opt in (*STATUS_OPTIONS, *PRIORITY_OPTIONS, *CHANNEL_OPTIONS):
        assert opt.zh and opt.en


def test_values_the_demo_generator_relies_on_are_unchanged():
    assert [s.value for s in Status] == [
        "received",
        "responded",
        "diagnosing",
        "dispatched",
        "on_site",
        "waiting_parts",
        "waiting_customer",
        "returned_to_factory",
        "repaired",
        "accepted",
        "closed",
        "reopened",
        "cancelled",
    ]
    assert [p.value for p in Priority] == ["emergency", "high", "standard", "low"]
    assert [c.value for c in Channel] == ["phone", "email", "online", "onsite", "remote"]


@pytest.mark.parametrize(("a", "b"), ALLOWED)
def test_allowed_moves_pass(a, b):
    assert check_transition(a, b) is b


@pytest.mark.parametrize(("a", "b"), ILLEGAL)
def test_every_illegal_move_is_refused_and_lists_the_allowed_ones(a, b):
    with pytest.raises(IllegalTransition) as info:
        check_transition(a, b)
    err = info.value
    assert err.allowed == allowed_next(a)
    for lang in ("zh", "en"):
        text = err.message(lang)
        assert status_label(b, lang) in text
        for allowed in allowed_next(a):
            assert status_label(allowed, lang) in text


def test_unknown_status_is_an_illegal_transition():
    with pytest.raises(IllegalTransition):
        check_transition("received", "teleported")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Status.DIAGNOSING, Status.REPAIRED),  # resolved remotely
        (Status.ON_SITE, Status.WAITING_PARTS),
        (Status.WAITING_PARTS, Status.DISPATCHED),
        (Status.ON_SITE, Status.RETURNED_TO_FACTORY),
        (Status.CLOSED, Status.REOPENED),
        (Status.ACCEPTED, Status.CLOSED),
    ],
)
def test_domain_branches_are_allowed(a, b):
    assert b in TRANSITIONS[a]


def test_cancelled_is_final_and_closing_needs_acceptance():
    assert TRANSITIONS[Status.CANCELLED] == frozenset()
    closers = {a for a, targets in TRANSITIONS.items() if Status.CLOSED in targets}
    assert closers == {Status.ACCEPTED}


def test_every_status_is_reachable_from_received():
    seen, todo = {Status.RECEIVED}, [Status.RECEIVED]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(Status)


def test_open_and_finished_split_the_statuses():
    assert set(Status) == OPEN | FINISHED
    assert not OPEN & FINISHED


def test_messages_exist_in_both_languages():
    for key in ("tickets.err.illegal_transition", "tickets.err.rating_incomplete"):
        zh, en = CATALOGUE[key]
        assert zh and en and zh != en


# ---------------------------------------------------------------- satisfaction
@pytest.mark.parametrize(
    ("q", "a", "e", "expected"),
    [(5, 5, 5, 5.0), (4, 5, 3, 4.0), (1, 2, 2, 5 / 3), (5, None, 5, None)],
)
def test_satisfaction_is_the_mean_of_three(q, a, e, expected):
    assert satisfaction(q, a, e) == (pytest.approx(expected) if expected else None)


@pytest.mark.parametrize(
    ("ratings", "codes"),
    [
        ({"rating_quality": 5, "rating_attitude": 4, "rating_efficiency": 3}, []),
        ({}, []),
        (
            {"rating_quality": 0, "rating_attitude": 6, "rating_efficiency": 3},
            ["err.min", "err.max"],
        ),
        (
            {"rating_quality": 4},
            ["tickets.err.rating_incomplete", "tickets.err.rating_incomplete"],
        ),
        (
            {"rating_quality": 4.5, "rating_attitude": True, "rating_efficiency": 3},
            ["err.integer", "err.integer"],
        ),
    ],
)
def test_rating_validation_returns_every_problem(ratings, codes):
    assert [p.code for p in check_ratings(ratings)] == codes


# ---------------------------------------------------------------- follow-ups, numbers
@pytest.mark.parametrize(
    ("closed", "days", "due"),
    [
        (dt.datetime(2026, 11, 23, 17, 0), 3, dt.date(2026, 11, 26)),
        (dt.datetime(2026, 12, 30, 9, 0), 3, dt.date(2027, 1, 2)),
        (dt.datetime(2026, 11, 23, 17, 0), 0, dt.date(2026, 11, 23)),
    ],
)
def test_followup_due(closed, days, due):
    assert followup_due(closed, days) == due


def test_followup_delay_cannot_be_negative():
    with pytest.raises(ValueError):
        followup_due(dt.datetime(2026, 11, 23), -1)


def test_numbers():
    assert make_ticket_no(dt.date(2026, 11, 23), 1) == "SR-20261123-0001"
    assert make_ticket_no(dt.date(2026, 11, 23), 12345) == "SR-20261123-12345"
    assert ticket_seq("SR-20261123-0042") == 42
    assert ticket_seq("old-123") is None
    assert followup_no("SR-20261123-0001", 2) == "FU-SR-20261123-0001-2"
    with pytest.raises(ValueError):
        make_ticket_no(dt.date(2026, 11, 23), 0)


# ---------------------------------------------------------------- the register
def test_register_reads_chinese_labels_and_keeps_text():
    clean, problems = validate_row(
        TICKETS,
        {
            "ticket_no": "SR-20261123-0001",
            "customer": "C0001",
            "serial_no": "0012345",
            "contact_phone": "013800138000",
            "channel": "服务热线",
            "priority": "紧急",
            "status": "待件",
            "fault_description": "主轴异响",
            "received_at": "2026年11月23日 9:15",
            "responded_at": "2026-11-23 09:40",
            "escalation_level": "2",
            "rating_quality": "5",
            "rating_attitude": 4,
            "rating_efficiency": 4.0,
        },
    )
    assert problems == []
    assert clean["serial_no"] == "0012345"
    assert clean["contact_phone"] == "013800138000"
    assert (clean["channel"], clean["priority"], clean["status"]) == (
        "phone",
        "emergency",
        "waiting_parts",
    )
    assert clean["received_at"] == dt.datetime(2026, 11, 23, 9, 15)


def test_register_accepts_english_labels():
    clean, problems = validate_row(
        TICKETS,
        {
            "ticket_no": "X1",
            "customer": "C1",
            "channel": "E-mail",
            "priority": "High",
            "status": "Waiting for customer",
            "fault_description": "x",
            "received_at": "2026-11-23 09:00",
        },
    )
    assert problems == []
    assert (clean["priority"], clean["status"]) == ("high", "waiting_customer")


def test_register_returns_every_problem():
    _, problems = validate_row(
        TICKETS,
        {
            "ticket_no": "",
            "customer": "C1",
            "channel": "pigeon",
            "priority": "urgentissimo",
            "status": "已关闭",
            "fault_description": "x",
            "received_at": "2026-11-23 09:00",
            "escalation_level": 7,
            "rating_quality": 9,
        },
    )
    assert sorted(p.field for p in problems) == [
        "channel",
        "escalation_level",
        "priority",
        "rating_quality",
        "ticket_no",
    ]


def test_register_checks_date_order_and_rating_completeness():
    _, problems = validate_row(
        TICKETS,
        {
            "ticket_no": "X1",
            "customer": "C1",
            "channel": "电话",
            "priority": "低",
            "status": "已关闭",
            "fault_description": "x",
            "received_at": "2026-11-23 09:00",
            "closed_at": "2026-11-22 09:00",
            "rating_quality": 5,
        },
    )
    assert sorted((p.field, p.code) for p in problems) == [
        ("closed_at", "err.date_order"),
        ("rating_attitude", "tickets.err.rating_incomplete"),
        ("rating_efficiency", "tickets.err.rating_incomplete"),
    ]


def test_register_key_and_computed_fields():
    assert TICKETS.key == "ticket_no"
    computed = {f.name for f in TICKETS.fields if f.computed}
    assert computed == {"satisfaction", "respond_due", "resolve_due"}
    assert {f.name for f in TICKETS.input_fields} >= {
        "customer",
        "serial_no",
        "engineer",
        "escalation_level",
        "closed_at",
    }


# ---------------------------------------------------------------- imported history
R0 = dt.datetime(2025, 3, 3, 9, 0)
R1 = dt.datetime(2025, 3, 3, 9, 30)
R2 = dt.datetime(2025, 3, 3, 15, 0)
R3 = dt.datetime(2025, 3, 4, 10, 0)


@pytest.mark.parametrize(
    ("status", "dates", "expected"),
    [
        ("received", (R1, R2, R3), [(R0, "received")]),
        ("responded", (R1, None, None), [(R0, "received"), (R1, "responded")]),
        ("on_site", (R1, None, None), [(R0, "received"), (R1, "responded"), (R1, "on_site")]),
        ("on_site", (None, None, None), [(R0, "received"), (R0, "on_site")]),
        # an open ticket ignores later milestones its status has not reached
        (
            "waiting_parts",
            (R1, R2, None),
            [(R0, "received"), (R1, "responded"), (R1, "waiting_parts")],
        ),
        ("repaired", (R1, R2, None), [(R0, "received"), (R1, "responded"), (R2, "repaired")]),
        ("accepted", (None, R2, None), [(R0, "received"), (R2, "repaired"), (R2, "accepted")]),
        (
            "closed",
            (R1, R2, R3),
            [(R0, "received"), (R1, "responded"), (R2, "repaired"), (R3, "closed")],
        ),
        ("closed", (None, None, None), [(R0, "received"), (R0, "closed")]),
        ("cancelled", (R1, None, R3), [(R0, "received"), (R1, "responded"), (R3, "cancelled")]),
        (
            "reopened",
            (R1, R2, R3),
            [
                (R0, "received"),
                (R1, "responded"),
                (R2, "repaired"),
                (R3, "closed"),
                (R3, "reopened"),
            ],
        ),
    ],
)
def test_imported_history(status, dates, expected):
    assert imported_history(status, R0, *dates) == expected


@pytest.mark.parametrize(
    ("dates", "bad"),
    [
        ({"responded_at": R1, "resolved_at": R2, "closed_at": R3}, []),
        ({"responded_at": R2, "resolved_at": R1}, ["resolved_at"]),
        ({"resolved_at": R3, "closed_at": R2}, ["closed_at"]),
        ({"responded_at": dt.datetime(2025, 3, 2)}, ["responded_at"]),
    ],
)
def test_ticket_dates_must_follow_the_lifecycle(dates, bad):
    problems = TICKETS.checks[0]({"received_at": R0, **dates})
    assert [p.field for p in problems if p.code == "err.date_order"] == bad


# ---------------------------------------------------------------- closing facts
_T0 = dt.datetime(2026, 11, 23, 9, 0)


def _history(*statuses: str) -> list[tuple[dt.datetime, str]]:
    return [(_T0 + dt.timedelta(hours=i), s) for i, s in enumerate(statuses)]


@pytest.mark.parametrize(
    ("statuses", "remote", "first_time", "followups"),
    [
        (("received", "diagnosing"), False, None, 0),
        (("received", "diagnosing", "repaired"), True, True, 0),
        (("received", "dispatched", "on_site", "repaired", "accepted", "closed"), False, True, 1),
        (("received", "on_site", "waiting_parts", "on_site", "repaired"), False, False, 0),
        (("received", "on_site", "dispatched", "on_site", "repaired"), False, False, 0),
        (("received", "repaired", "accepted", "closed", "reopened"), True, False, 1),
        (
            ("received", "repaired", "closed", "reopened", "on_site", "repaired", "closed"),
            False,
            False,
            2,
        ),
    ],
)
def test_closing_facts_come_from_the_history(statuses, remote, first_time, followups):
    facts = closing_facts(_history(*statuses), followup_delay_days=3)
    assert (facts.remote_resolved, facts.first_time_fix) == (remote, first_time)
    assert len(facts.followups) == followups
    if followups:
        assert facts.followups[-1] == (_T0 + dt.timedelta(hours=len(statuses) - 1, days=3)).date()


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [("repair", "zh", "故障维修"), ("consultation", "en", "Consultation"),
     ("maintenance", "zh", "保养维护"), ("custom", "zh", "custom"), (None, "en", "")],
)  # fmt: skip
def test_service_types_speak_the_readers_language(value, lang, shown):
    from imports.monthly_report import group_label
    from rules.tickets import service_type_label

    assert service_type_label(value, lang) == shown
    if value:  # the dashboard's and the monthly report's group names
        assert group_label("service_type", value, None, lang) == shown
