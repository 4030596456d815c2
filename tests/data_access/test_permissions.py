"""The data layer checks who acts, whatever page (or script) calls it: role tables in
rules.access, ownership of tickets, audited reassignment and escalation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data_access import db
from data_access import ticket_reports as R
from data_access import tickets as T
from data_access.catalog import ADAPTERS
from data_access.errors import NotAllowed
from data_access.lines import save_lines
from data_access.models import AuditLog, Customer, ServiceReport, Ticket, TicketEvent, TicketPart
from data_access.registers import save_changes
from imports.engine import import_file, undo_last_import
from rules.access import REGISTER_PAGE, SYSTEM_ACTOR, Actor, Role
from tests.actors import ADMIN, agent, engineer
from tests.data_access.test_tickets import at, new_ticket

KEEPER = Actor(None, Role.PARTS_KEEPER)


def dispatched(engine, ids, to="e1") -> int:
    tid = new_ticket(engine, ids)
    with db.write(engine) as s:
        T.dispatch(s, tid, ids[to], actor=agent(ids["agent"]), now=at(1), expected_version=1)
    return tid


def version(engine, tid) -> int:
    with db.read(engine) as s:
        return s.get(Ticket, tid).version


def events(engine, tid) -> int:
    with db.read(engine) as s:
        return s.scalar(select(func.count()).where(TicketEvent.ticket_id == tid))


def test_every_register_names_the_page_whose_edit_right_it_needs():
    assert set(ADAPTERS) <= set(REGISTER_PAGE)


def test_a_parts_keeper_may_not_reassign_nor_save_tickets_or_customers(world):
    engine, ids = world
    tid = dispatched(engine, ids)
    before = events(engine, tid)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        T.reassign(s, tid, ids["e2"], actor=KEEPER, now=at(2), expected_version=None)
    with db.read(engine) as s:
        assert s.get(Ticket, tid).engineer_id == ids["e1"]
        no, cid = s.get(Ticket, tid).ticket_no, ids["a"]
        customer_version = s.get(Customer, cid).version
    assert events(engine, tid) == before
    changes = {
        "tickets": {"id": tid, "version": version(engine, tid), "priority": "low"},
        "customers": {"id": cid, "version": customer_version, "name": "改名"},
    }
    for register, change in changes.items():
        with pytest.raises(NotAllowed) as info, db.write(engine) as s:
            save_changes(s, register, inserts=[], updates=[change], deletes=[], actor=KEEPER,
                         now=at(2))  # fmt: skip
        assert info.value.what == register
    with db.read(engine) as s:
        assert s.get(Ticket, tid).priority == "standard" and s.get(Ticket, tid).ticket_no == no
        assert s.get(Customer, cid).name == "华东精密机械"


def test_an_engineer_changes_only_the_tickets_assigned_to_them(world):
    engine, ids = world
    mine, theirs = dispatched(engine, ids, "e1"), dispatched(engine, ids, "e2")
    me = engineer(ids["e1"])
    with db.write(engine) as s:
        T.change_status(s, mine, "on_site", actor=me, now=at(2), expected_version=None)
    with pytest.raises(NotAllowed) as info, db.write(engine) as s:
        T.change_status(s, theirs, "on_site", actor=me, now=at(2), expected_version=None)
    with db.read(engine) as s:
        assert info.value.what == s.get(Ticket, theirs).ticket_no
        assert (s.get(Ticket, mine).status, s.get(Ticket, theirs).status) == (
            "on_site",
            "dispatched",
        )
    # the service report, with or without parts
    with db.write(engine) as s:
        R.save_report(s, mine, actor=me, now=at(3), work_done="换轴承")
    with pytest.raises(NotAllowed), db.write(engine) as s:
        R.save_report(s, theirs, actor=me, now=at(3), work_done="换轴承")
    with db.read(engine) as s:
        assert s.scalars(select(ServiceReport.ticket_id)).all() == [mine]


def test_an_engineer_edits_parts_lines_of_their_own_tickets_only(world):
    engine, ids = world
    mine, theirs = dispatched(engine, ids, "e1"), dispatched(engine, ids, "e2")
    with db.read(engine) as s:
        no_mine, no_theirs = s.get(Ticket, mine).ticket_no, s.get(Ticket, theirs).ticket_no
    me = engineer(ids["e1"])
    with db.write(engine) as s:
        assert not save_lines(s, "ticket_parts", no_mine, [{"part_no": "0042", "qty": 1}],
                              actor=me, now=at(2)).problems  # fmt: skip
    with pytest.raises(NotAllowed), db.write(engine) as s:
        save_lines(s, "ticket_parts", no_theirs, [{"part_no": "0042", "qty": 1}], actor=me,
                   now=at(2))  # fmt: skip
    # the other engineer's line, changed through the register save
    with db.write(engine) as s:
        save_lines(s, "ticket_parts", no_theirs, [{"part_no": "0042", "qty": 1}],
                   actor=engineer(ids["e2"]), now=at(2))  # fmt: skip
        line = s.scalars(select(TicketPart).where(TicketPart.ticket_id == theirs)).one()
        change = {"id": line.id, "version": line.version, "qty": 9}
    with pytest.raises(NotAllowed), db.write(engine) as s:
        save_changes(s, "ticket_parts", inserts=[], updates=[change], deletes=[], actor=me,
                     now=at(3))  # fmt: skip
    with db.read(engine) as s:
        assert s.scalars(select(TicketPart.qty).where(TicketPart.ticket_id == theirs)).all() == [1]


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.QUALITY, Role.PARTS_KEEPER])
def test_escalation_and_reassignment_are_for_the_desk(world, role):
    engine, ids = world
    tid = dispatched(engine, ids, "e1")
    who = Actor(ids["e1"], role)  # even the ticket's own engineer
    with pytest.raises(NotAllowed), db.write(engine) as s:
        T.escalate(s, tid, actor=who, now=at(2))
    with pytest.raises(NotAllowed), db.write(engine) as s:
        T.reassign(s, tid, ids["e2"], actor=who, now=at(2), expected_version=None)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        T.dispatch(s, tid, ids["e2"], actor=who, now=at(2), expected_version=None)
    with db.read(engine) as s:
        t = s.get(Ticket, tid)
        assert (t.escalation_level, t.engineer_id) == (1, ids["e1"])


def test_reassignment_and_escalation_are_audited(world):
    engine, ids = world
    tid = dispatched(engine, ids, "e1")
    desk = agent(ids["agent"])
    with db.write(engine) as s:
        T.reassign(s, tid, ids["e2"], actor=desk, now=at(2), expected_version=None)
        T.dispatch(s, tid, ids["e3"], actor=desk, now=at(3), expected_version=None)
        T.escalate(s, tid, actor=desk, now=at(4))
        no = s.get(Ticket, tid).ticket_no
    with db.read(engine) as s:
        rows = s.execute(
            select(AuditLog.entity, AuditLog.entity_key, AuditLog.action, AuditLog.changes,
                   AuditLog.user_id).order_by(AuditLog.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("tickets", no, "reassign", {"engineer_id": [ids["e1"], ids["e2"]]}, ids["agent"]),
        ("tickets", no, "reassign", {"engineer_id": [ids["e2"], ids["e3"]]}, ids["agent"]),
        ("tickets", no, "escalate", {"escalation_level": [1, 2]}, ids["agent"]),
    ]


def test_the_escalation_job_acts_as_the_system_and_only_escalates(world):
    engine, ids = world
    tid = new_ticket(engine, ids, priority="emergency")
    with db.write(engine) as s:
        assert T.auto_escalate(s, at(0, days=2)) == [s.get(Ticket, tid).ticket_no]
    with db.read(engine) as s:
        audited = s.execute(select(AuditLog.action, AuditLog.user_id)).all()
        assert audited and all(r == ("escalate", None) for r in audited)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        T.reassign(s, tid, ids["e2"], actor=SYSTEM_ACTOR, now=at(2), expected_version=None)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        save_changes(s, "customers", inserts=[{"code": "C9", "name": "x"}], updates=[],
                     deletes=[], actor=SYSTEM_ACTOR, now=at(2))  # fmt: skip


@pytest.mark.parametrize(
    ("role", "register"),
    [
        (Role.PARTS_KEEPER, "customers"),
        (Role.PARTS_KEEPER, "tickets"),
        (Role.AGENT, "tickets"),  # may work tickets, not rewrite the ticket history
        (Role.ENGINEER, "users"),
        (Role.ENGINEER, "ticket_parts"),  # a sheet could name another engineer's ticket
    ],
)
def test_imports_and_undo_check_the_import_right(world, role, register):
    engine, _ = world
    who = Actor(None, role)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        import_file(s, register, b"", file_name="x.xlsx", now=at(0), actor=who)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        undo_last_import(s, register, who, now=at(0))


def test_an_agent_may_save_customers_and_an_admin_anything(world):
    engine, ids = world
    for who, register, row in (
        (agent(ids["agent"]), "customers", {"code": "C9", "name": "新客户", "grade": "A"}),
        (ADMIN, "customers", {"code": "C10", "name": "又一个", "grade": "B"}),
    ):
        with db.write(engine) as s:
            done = save_changes(s, register, inserts=[row], updates=[], deletes=[], actor=who,
                                now=at(1))  # fmt: skip
        assert done.inserted == 1 and not done.problems
