"""Statutory holidays from the ``holidays`` package: what a year adds, what stays."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import db
from data_access import sla_settings as S
from data_access.errors import Refused
from data_access.statutory import propose, statutory_days

NOW = dt.datetime(2026, 11, 23, 10, 0)
D = dt.date


def test_2026_spring_festival_and_its_make_up_saturdays():
    days = {day: (kind, name) for day, kind, name in statutory_days(2026, "zh")}
    off = sorted(d for d, (k, _) in days.items() if k == "holiday")
    # the announced breaks, weekends inside and at their edges included
    assert [d for d in off if d.month == 2] == [D(2026, 2, d) for d in range(15, 24)]
    assert [d for d in off if d.month == 10] == [D(2026, 10, d) for d in range(1, 8)]
    assert [d for d in off if d.month == 1] == [D(2026, 1, d) for d in (1, 2, 3)]
    assert [d for d in off if d.month == 4] == [D(2026, 4, d) for d in (4, 5, 6)]
    assert [d for d in off if d.month == 5] == [D(2026, 5, d) for d in range(1, 6)]
    assert days[D(2026, 2, 17)][1] == "春节"
    assert days[D(2026, 2, 14)] == ("workday", "调休上班")
    assert days[D(2026, 2, 28)] == ("workday", "调休上班")
    workdays = sorted(d for d, (k, _) in days.items() if k == "workday")
    assert workdays == [
        D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)
    ]  # fmt: skip
    assert all(d.weekday() >= 5 for d in workdays)


def test_names_follow_the_language():
    en = dict((d, n) for d, _, n in statutory_days(2026, "en"))
    assert en[D(2026, 10, 1)] == "National Day" and en[D(2026, 2, 14)] == "Make-up working day"


@pytest.mark.parametrize("year", [2099, 1990])
def test_a_year_without_a_published_schedule_is_refused(year):
    with pytest.raises(Refused) as exc:
        statutory_days(year)
    assert exc.value.code == "sla.err.year_unknown" and exc.value.params == {"year": year}


def test_days_set_by_hand_are_kept_and_reported_only_when_they_differ():
    existing = {
        D(2026, 10, 1): ("workday", "值班"),  # differs: kept and reported
        D(2026, 10, 2): ("holiday", "国庆"),  # same kind: kept silently
    }
    p = propose(existing, 2026, "zh")
    new = {d for d, _, _ in p.new}
    assert D(2026, 10, 1) not in new and D(2026, 10, 2) not in new and D(2026, 10, 5) in new
    assert p.kept == [((D(2026, 10, 1), "holiday", "国庆节"), (D(2026, 10, 1), "workday", "值班"))]


def test_fill_twice_adds_once(db_engine):
    with db.write(db_engine) as s:
        added, _ = S.fill_statutory(s, 2026, "zh", NOW)
    with db.write(db_engine) as s:
        again = S.fill_statutory(s, 2026, "zh", NOW)
        days = S.calendar_state(s)["days"]
    assert added == len(statutory_days(2026)) == len(days) and again == (0, 0)
