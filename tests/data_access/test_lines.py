"""Lines registers (a document's lines) and ledgers through the one write path,
on SQLite and PostgreSQL (``db_engine``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from data_access import db
from data_access.adapters import Adapter
from data_access.catalog import ADAPTERS
from data_access.errors import ConflictError, LedgerError
from data_access.lines import list_lines, save_lines
from data_access.models import AuditLog, Customer, Part, Ticket, TicketPart
from data_access.writes import apply
from rules.access import REGISTER_PAGE, Page
from rules.fields import Field, Kind, Register
from tests.actors import ADMIN

NOW = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
def doc(db_engine):
    """One open ticket and one closed one, and a catalogue part."""
    with db.write(db_engine) as s:
        c = Customer(code="C0001", name="华东精密机械")
        s.add(c)
        s.flush()
        common = {
            "customer_id": c.id,
            "priority": "standard",
            "received_at": NOW,
            "channel": "phone",
        }
        s.add_all(
            [
                Ticket(ticket_no="SR1", status="on_site", fault_description="异响", **common),
                Ticket(ticket_no="SR2", status="closed", fault_description="漏油", **common),
                Part(part_no="0042", name="主轴轴承", price=Decimal("120.00")),
            ]
        )
    return db_engine


def save(engine, parent, rows):
    with db.write(engine) as s:
        return save_lines(s, "ticket_parts", parent, rows, actor=ADMIN, now=NOW)


def lines(engine, parent):
    with db.read(engine) as s:
        return list_lines(s, "ticket_parts", parent)


def test_lines_insert_number_default_and_keep_unknown_part(doc):
    done = save(
        doc,
        "SR1",
        [
            {"part_no": "0042", "qty": 2},
            {"part_no": "X-9", "qty": 1, "non_catalogue": True, "non_catalogue_reason": "客户自备"},
        ],
    )
    assert (done.inserted, done.problems) == (2, [])
    got = [
        (r["line_no"], r["part_no"], r["description"], r["unit_price"]) for r in lines(doc, "SR1")
    ]
    # a catalogue part fills its name and price; a non-catalogue part number is kept as typed
    assert got == [(1, "0042", "主轴轴承", Decimal("120.00")), (2, "X-9", None, None)]
    with db.read(doc) as s:
        linked = s.execute(select(TicketPart.part_no, TicketPart.part_id.is_not(None))).all()
    assert sorted(linked) == [("0042", True), ("X-9", False)]


def test_lines_update_and_delete_as_a_whole(doc):
    save(
        doc,
        "SR1",
        [
            {"part_no": "0042", "qty": 2},
            {"part_no": "X-9", "qty": 1, "non_catalogue": True, "non_catalogue_reason": "客户自备"},
        ],
    )
    first, second = lines(doc, "SR1")
    done = save(doc, "SR1", [{**first, "qty": 5}])  # line 2 removed, line 1 changed
    assert (done.inserted, done.updated, done.deleted) == (0, 1, 1)
    assert [(r["line_no"], r["qty"]) for r in lines(doc, "SR1")] == [(1, 5)]
    # the audit trail names the line by its ticket and number
    with db.read(doc) as s:
        actions = s.execute(
            select(AuditLog.action).where(AuditLog.entity == "ticket_parts")
        ).scalars()
        assert sorted(actions) == ["delete", "insert", "insert", "update"]
    assert second["line_no"] == 2


def test_lines_every_problem_of_every_row_and_nothing_written(doc):
    rows = [
        {"line_no": 1, "part_no": "0042", "qty": 0},  # qty below 1
        {"line_no": 1, "part_no": None, "qty": 1},  # duplicate line, part missing
    ]
    done = save(doc, "SR1", rows)
    found = {(p.row, p.field, p.code) for p in done.problems}
    assert (0, "qty", "err.min") in found
    assert (1, "part_no", "err.required") in found
    assert lines(doc, "SR1") == []


def test_lines_duplicate_line_number_against_stored_lines(doc):
    save(doc, "SR1", [{"part_no": "0042", "qty": 1}])
    stored = lines(doc, "SR1")
    done = save(doc, "SR1", [*stored, {"line_no": 1, "part_no": "0042", "qty": 1}])
    assert [(p.row, p.code) for p in done.problems] == [(1, "err.duplicate_key")]
    # the same number on another document is no clash
    assert save(doc, "SR1", stored).problems == []


def test_lines_of_a_closed_document_are_frozen(doc):
    done = save(doc, "SR2", [{"part_no": "0042", "qty": 1}])
    assert [p.code for p in done.problems] == ["lines.err.parent_closed"]
    assert lines(doc, "SR2") == []


def test_lines_stale_version_is_a_conflict(doc):
    save(doc, "SR1", [{"part_no": "0042", "qty": 1}])
    (line,) = lines(doc, "SR1")
    with db.write(doc) as s:
        s.execute(update(TicketPart).values(qty=3, version=TicketPart.version + 1))
    with pytest.raises(ConflictError):
        save(doc, "SR1", [{**line, "qty": 2}])
    assert [r["qty"] for r in lines(doc, "SR1")] == [3]


# ---------------------------------------------------------------- ledgers
_meta = MetaData()
_LEDGER = Table(
    "test_ledger",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("doc_no", String(40), nullable=False, unique=True),
    Column("qty", Integer, nullable=False),
)


class _Row:
    __table__ = _LEDGER


LEDGER = Register(
    name="test_ledger",
    zh="测试台账",
    en="Test ledger",
    key="doc_no",
    ledger=True,
    fields=(
        Field("doc_no", "单号", "Doc no.", required=True, key=True),
        Field("qty", "数量", "Qty", Kind.INT, required=True),
    ),
)


@pytest.fixture
def ledger(db_engine, monkeypatch):
    _meta.create_all(db_engine)
    ad = Adapter(LEDGER, _Row)
    monkeypatch.setitem(ADAPTERS, "test_ledger", ad)
    monkeypatch.setitem(REGISTER_PAGE, "test_ledger", Page.PARTS)  # whose edit right it needs
    yield db_engine, ad
    _meta.drop_all(db_engine)


def test_ledger_takes_new_rows_only(ledger):
    engine, ad = ledger
    with db.write(engine) as s:
        apply(s, ad, inserts=[{"doc_no": "IN-1", "qty": 5}], now=NOW, user_id=None)
    with db.read(engine) as s:
        row = dict(s.execute(select(_LEDGER)).mappings().one())
    for change in ({"updates": [(row, {"qty": 4})]}, {"deletes": [row]}):
        with pytest.raises(LedgerError), db.write(engine) as s:
            apply(s, ad, now=NOW, user_id=None, **change)
    # a correction is a reversing row
    with db.write(engine) as s:
        apply(s, ad, inserts=[{"doc_no": "IN-1-R", "qty": -5}], now=NOW, user_id=None)
    with db.read(engine) as s:
        assert s.execute(select(_LEDGER.c.qty).order_by(_LEDGER.c.id)).scalars().all() == [5, -5]


def test_ledger_grid_save_refuses_edits(ledger):
    from data_access.registers import save_changes

    engine, _ = ledger
    with db.write(engine) as s:
        save_changes(
            s,
            "test_ledger",
            inserts=[{"doc_no": "IN-1", "qty": 5}],
            updates=[],
            deletes=[],
            actor=ADMIN,
            now=NOW,
        )
    with db.read(engine) as s:
        row = dict(s.execute(select(_LEDGER)).mappings().one())
    assert dataclasses.is_dataclass(LEDGER)
    with db.write(engine) as s:
        done = save_changes(
            s,
            "test_ledger",
            inserts=[],
            updates=[],
            deletes=[{"id": row["id"], "version": 1}],
            actor=ADMIN,
            now=NOW,
        )
    assert [p.code for p in done.problems] == ["err.ledger"]
