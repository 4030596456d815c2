"""SLA & working calendar page: policy save recomputes open tickets, problems and
conflicts shown as messages, holidays, read-only role, both languages."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access import sla_settings as S
from data_access import tickets as T
from data_access.models import FollowUp, SlaPolicy, Ticket
from rules.sla import DEFAULT_CALENDAR, add_business_time
from rules.sla_settings import POLICY_COLUMNS
from tests.actors import ADMIN
from tests.app.conftest import ROOT, signed_in
from tests.helpers import one_open_ticket

RECEIVED = dt.datetime(2026, 11, 16, 9, 0)  # a Monday; the deadline does not depend on now
H = 3600
POLICIES = "sla.policies.grid.0"  # the editor's key before the first save


@pytest.fixture
def sla_db(app_db):
    """One open standard ticket of a grade-A customer."""
    one_open_ticket(app_db, RECEIVED, ADMIN)
    return app_db


def open_sla(username: str, lang: str = "en") -> AppTest:
    at = signed_in(username, lang)
    at.switch_page("pages/sla.py").run()
    assert not at.exception, at.exception
    return at


def edit(at: AppTest, key: str, edited=None, added=(), deleted=()) -> None:
    """What the grid sends after the user's edits (AppTest cannot type into a grid)."""
    at.session_state[key] = {
        "edited_rows": edited or {},
        "added_rows": list(added),
        "deleted_rows": list(deleted),
    }


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def resolve_due(engine) -> dt.datetime:
    with db.read(engine) as s:
        return s.scalar(select(Ticket.resolve_due))


def problems_table(at: AppTest):
    """The table of problems shown under a refused save."""
    return next(d.value for d in at.dataframe if "Problem" in d.value.columns)


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.error, *at.success, *at.info, *at.warning])


def test_edit_policy_saves_and_moves_open_deadlines(sla_db):
    at = open_sla("manager")
    grid = at.data_editor(key=POLICIES).value
    assert list(grid["priority"]) == ["emergency", "high", "standard", "low"]
    assert "business (working) hours" in "\n".join(c.value for c in at.caption)
    # standard (row 3): 3 working days → 2; grade A customers get their own row
    edit(
        at,
        POLICIES,
        edited={"2": {"resolve_hours": 19}},
        added=[
            {
                "priority": "standard",
                "customer_grade": "A",
                "respond_hours": 2,
                "resolve_hours": 8,
            }
        ],
    )
    click(at, "sla.policies.save")
    assert "Deadlines of 1 open tickets were recomputed" in texts(at)
    with db.read(sla_db) as s:
        rows = S.policy_table(s)
    assert [(r["priority"], r["customer_grade"], r["resolve_hours"]) for r in rows][2:4] == [
        ("standard", "*", 19.0),
        ("standard", "A", 8.0),
    ]
    assert resolve_due(sla_db) == add_business_time(DEFAULT_CALENDAR, RECEIVED, 8 * H)
    # the grid shows what was stored, with a fresh key
    assert list(at.data_editor(key="sla.policies.grid.1").value["customer_grade"]) == [
        "*",
        "*",
        "*",
        "A",
        "*",
    ]


def test_invalid_values_show_row_and_column_and_store_nothing(sla_db):
    before = resolve_due(sla_db)
    at = open_sla("manager")
    edit(
        at,
        POLICIES,
        edited={"0": {"respond_hours": 0}, "3": {"resolve_hours": -1}},
        added=[{"priority": "high", "customer_grade": "*", "respond_hours": 1, "resolve_hours": 2}],
    )
    click(at, "sla.policies.save")
    assert "3 problems; nothing was saved" in texts(at)
    problems = problems_table(at)
    assert list(zip(problems["Row"], problems["Column"], strict=True)) == [
        (1, "Respond within (business h)"),
        (4, "Resolve within (business h)"),
        (5, "Customer grade"),
    ]
    assert "Must be greater than 0" in set(problems["Problem"])
    with db.read(sla_db) as s:
        assert s.scalar(select(func.count(SlaPolicy.id))) == 0
    assert resolve_due(sla_db) == before


def test_stale_edit_shows_a_conflict(sla_db):
    at = open_sla("manager")
    # someone else saves the table meanwhile
    with db.write(sla_db) as s:
        seen = S.policy_table(s)
        rows = [
            {**{c: r[c] for c in POLICY_COLUMNS}, "seen_index": i, "row": i + 1}
            for i, r in enumerate(seen)
        ]
        rows[0]["respond_hours"] = 3
        S.save_policy_table(s, seen, rows, RECEIVED)
    edit(at, POLICIES, edited={"0": {"respond_hours": 1}})
    click(at, "sla.policies.save")
    assert "changed by someone else" in texts(at)
    with db.read(sla_db) as s:
        assert S.policy_table(s)[0]["respond_hours"] == 3.0
    click(at, "sla.policies.reload")
    assert at.data_editor(key="sla.policies.grid.1").value["respond_hours"].iloc[0] == 3.0


def test_escalation_ladder_saved_and_top_level_checked(sla_db):
    at = open_sla("admin")
    edit(at, "sla.escalation.grid.0", edited={"3": {"hours": 10}})
    click(at, "sla.escalation.save")
    assert "The top level has no time limit" in "\n".join(problems_table(at)["Problem"].astype(str))
    edit(at, "sla.escalation.grid.0", edited={"0": {"hours": 2, "name_en": "L1 hotline"}})
    click(at, "sla.escalation.save")
    assert "Saved." in texts(at)
    with db.read(sla_db) as s:
        first = T.load_levels(s)[0]
    assert (first.en, first.hours) == ("L1 hotline", 2.0)


def test_weekly_hours_validated_then_saved(sla_db):
    at = open_sla("manager")
    at.text_input(key="sla.calendar.wd1.0").input("09:00-12:00, 13:00-18:30x")
    click(at, "sla.calendar.save")
    assert "1 problems; nothing was saved" in texts(at)
    problems = problems_table(at)
    assert list(problems["Column"]) == ["Tuesday"]
    assert "Not a span: '13:00-18:30x'" in problems["Problem"].iloc[0]
    at.text_input(key="sla.calendar.wd1.0").input("09:00-12:00, 13:00-18:00")
    click(at, "sla.calendar.save")
    assert "Deadlines of 1 open tickets were recomputed" in texts(at)
    with db.read(sla_db) as s:
        weekly = S.calendar_state(s)["weekly"]
    assert weekly[1] == [("09:00", "12:00"), ("13:00", "18:00")]
    assert weekly[0] == [("08:30", "18:00")]


def test_add_and_remove_a_holiday(sla_db):
    before = resolve_due(sla_db)
    at = open_sla("manager")
    at.date_input(key="sla.days.day.0").set_value(dt.date(2026, 11, 17))
    at.selectbox(key="sla.days.kind.0").set_value("workday")
    at.text_input(key="sla.days.name.0").input("停电")
    click(at, "sla.days.add")
    assert "1 days recorded. Deadlines of 1 open tickets were recomputed." in texts(at)
    with db.read(sla_db) as s:
        days = S.calendar_state(s)["days"]
    assert [(d["day"], d["kind"], d["name"]) for d in days] == [
        (dt.date(2026, 11, 17), "workday", "停电")
    ]
    # the entry starts empty again for the next day
    (day,) = [d for d in at.date_input if d.label == "Date"]
    (kind,) = [k for k in at.selectbox if k.label == "Kind"]
    (name,) = [n for n in at.text_input if n.label == "Name"]
    assert (day.value, kind.value, name.value) == (None, "holiday", "")
    assert day.proto.format == "YYYY-MM-DD"  # not the US-looking YYYY/MM/DD
    at.multiselect(key="sla.days.pick").set_value([dt.date(2026, 11, 17)])
    click(at, "sla.days.remove")
    with db.read(sla_db) as s:
        assert S.calendar_state(s)["days"] == []
    assert resolve_due(sla_db) == before


def test_pasted_days_with_a_bad_line_store_nothing(sla_db):
    at = open_sla("manager")
    at.text_area(key="sla.days.bulk.0").input("2026-10-01, 休, 国庆节\n2026-10-10, sometimes")
    click(at, "sla.days.bulk_add")
    problems = problems_table(at)
    assert list(zip(problems["Row"], problems["Column"], strict=True)) == [(2, "Kind")]
    with db.read(sla_db) as s:
        assert S.calendar_state(s)["days"] == []
    at.text_area(key="sla.days.bulk.0").input("2026-10-01, 休, 国庆节\n2026-10-10, 班, 国庆调休")
    click(at, "sla.days.bulk_add")
    with db.read(sla_db) as s:
        kinds = [d["kind"] for d in S.calendar_state(s)["days"]]
    assert kinds == ["holiday", "workday"]


def test_quality_sees_everything_but_cannot_save(sla_db):
    at = open_sla("quality")
    assert "may view these settings but not change them" in texts(at)
    assert [e.editing_mode for e in at.data_editor] == ["fixed", "fixed"]
    for key in (
        "sla.policies.save",
        "sla.escalation.save",
        "sla.calendar.save",
        "sla.days.add",
        "sla.days.remove",
        "sla.days.bulk_add",
    ):
        assert at.button(key=key).disabled, key
    assert at.text_input(key="sla.calendar.wd0.0").disabled
    # edits sent by a read-only grid are never written
    edit(at, POLICIES, edited={"0": {"respond_hours": 1}})
    at.run()
    assert not at.exception
    with db.read(sla_db) as s:
        assert s.scalar(select(func.count(SlaPolicy.id))) == 0


def test_roles_without_the_page_are_refused(sla_db):
    """Not in the agent's menu, and the page itself refuses a typed URL."""
    agent = signed_in("agent", "en")
    registered = {Path(p["script_path"]).stem for p in agent._registered_pages.values()}
    assert "sla" not in registered
    page = AppTest.from_file(str(ROOT / "pages/sla.py"), default_timeout=30)
    page.session_state["user"] = agent.session_state["user"]
    page.session_state["lang"] = "en"
    page.run()
    assert not page.exception
    assert "Your role may not open this page." in texts(page)
    assert not page.button


@pytest.mark.parametrize(
    ("lang", "title", "tab"),
    [
        ("zh", "服务时限与工作日历", "升级阶梯"),
        ("en", "SLA & working calendar", "Escalation ladder"),
    ],
)
def test_page_runs_in_both_languages(sla_db, lang, title, tab):
    at = open_sla("admin", lang)
    assert at.title[0].value == title
    assert tab in [t.label for t in at.tabs]
    assert not at.exception


def test_follow_up_delay_is_set_here_and_used_when_a_ticket_closes(sla_db):
    at = open_sla("manager")
    assert at.number_input(key="sla.followup.days").value == 3  # the default
    at.number_input(key="sla.followup.days").set_value(7)
    click(at, "sla.followup.save")
    assert "7" in at.success[0].value
    with db.write(sla_db) as s:
        assert T.followup_delay_days(s) == 7
        tid = s.scalar(select(Ticket.id))
        for status in ("diagnosing", "repaired", "accepted", "closed"):
            version = s.get(Ticket, tid).version
            T.change_status(s, tid, status, actor=ADMIN, now=RECEIVED, expected_version=version)
    with db.read(sla_db) as s:
        due = s.scalar(select(FollowUp.due_date))
    assert due == RECEIVED.date() + dt.timedelta(days=7)


def test_resolve_limit_edited_below_respond_names_the_resolve_cell(sla_db):
    at = open_sla("manager")
    edit(at, POLICIES, edited={"1": {"resolve_hours": 1}})  # high: respond 8 h
    click(at, "sla.policies.save")
    problems = problems_table(at)
    assert list(zip(problems["Row"], problems["Column"], strict=True)) == [
        (2, "Resolve within (business h)")
    ]
    assert float(problems["Value"].iloc[0]) == 1  # the value typed, not an empty cell


def test_grids_show_empty_cells_and_leave_required_cells_to_the_save(sla_db):
    at = open_sla("manager")
    for key in (POLICIES, "sla.escalation.grid.0"):
        editor = at.data_editor(key=key)
        # no on-site limit, no top-level hours: empty, not "None"
        assert editor.proto.HasField("placeholder") and editor.proto.placeholder == ""
        columns = json.loads(editor.proto.columns)
        # a required column keeps an incomplete new row in the browser, never reported
        assert not any(c.get("required") for c in columns.values() if isinstance(c, dict))


def test_new_policy_row_without_priority_is_reported(sla_db):
    at = open_sla("manager")
    edit(at, POLICIES, added=[{"customer_grade": "*"}])
    click(at, "sla.policies.save")
    problems = problems_table(at)
    assert set(zip(problems["Row"], problems["Column"], strict=True)) == {
        (5, "Priority"),
        (5, "Respond within (business h)"),
        (5, "Resolve within (business h)"),
    }


def test_fill_a_years_statutory_holidays_after_review(sla_db):
    """One click shows the year's holidays and 调休 days; saving adds them, keeps the day
    the team set by hand, and recomputes the open ticket's deadline."""
    with db.write(sla_db) as s:  # set by hand: the team works on National Day
        S.add_calendar_days(s, [(dt.date(2026, 10, 1), "workday", "值班")], RECEIVED)
    at = open_sla("manager")
    at.number_input(key="sla.days.statutory_year").set_value(2026)
    click(at, "sla.days.statutory_show")
    (preview,) = [d.value for d in at.dataframe if "Kind" in d.value.columns and len(d.value) > 5]
    assert "2026-02-17" in set(preview["Date"]) and "2026-10-01" not in set(preview["Date"])
    assert "2026-10-01: Make-up working day 值班" in " ".join(w.value for w in at.warning)
    with db.read(sla_db) as s:  # nothing saved by the preview
        assert len(S.calendar_state(s)["days"]) == 1
    click(at, "sla.days.statutory_save")
    with db.read(sla_db) as s:
        days = {d["day"]: (d["kind"], d["name"]) for d in S.calendar_state(s)["days"]}
    assert len(days) == len(preview) + 1
    assert days[dt.date(2026, 10, 1)] == ("workday", "值班")  # never overwritten
    assert days[dt.date(2026, 2, 14)] == ("workday", "Make-up working day")
    assert days[dt.date(2026, 2, 17)][0] == "holiday"
    assert f"{len(preview)} days recorded" in texts(at)


def test_a_year_the_statute_does_not_know_yet_says_so(sla_db):
    at = open_sla("manager", lang="zh")
    at.number_input(key="sla.days.statutory_year").set_value(2099)
    click(at, "sla.days.statutory_show")
    assert "2099 年的放假安排尚未收录" in " ".join(e.value for e in at.error)
    with db.read(sla_db) as s:
        assert S.calendar_state(s)["days"] == []


def test_an_emergency_contract_runs_round_the_clock(sla_db):
    """Ticking 24×7 on the open ticket's priority moves its deadline to wall-clock hours."""
    at = open_sla("manager")
    grid = at.data_editor(key=POLICIES).value
    assert list(grid["round_the_clock"]) == [False] * 4
    edit(at, POLICIES, edited={"2": {"round_the_clock": True}})  # standard
    click(at, "sla.policies.save")
    assert "Deadlines of 1 open tickets were recomputed" in texts(at)
    with db.read(sla_db) as s:
        (policy,) = s.scalars(select(SlaPolicy).where(SlaPolicy.round_the_clock)).all()
        hours = float(policy.resolve_hours)
    assert policy.priority == "standard"
    assert resolve_due(sla_db) == RECEIVED + dt.timedelta(hours=hours)
    grid = next(e for e in at.data_editor if e.key.startswith("sla.policies.grid")).value
    assert list(grid["round_the_clock"]) == [False, False, True, False]
    assert grid["resolve_days"].isna().tolist() == [False, False, True, False]


def test_the_policy_table_exports_and_imports_as_a_register(sla_db):
    """The policies tab carries the sla_policies register's Excel panel: export for
    everyone who sees the page, import and undo for those who may edit it."""
    at = open_sla("admin")
    assert at.button(key="sla_policies.excel.export_build")
    assert "sla_policies.excel.template" in [b.key for b in at.get("download_button")]
    at = open_sla("quality")
    assert at.button(key="sla_policies.excel.export_build")
    assert "Your role may export but not import." in [c.value for c in at.caption]
