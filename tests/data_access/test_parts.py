"""The stock ledger in the database (SQLite and PostgreSQL): documents posted through
the one write path, balances equal to the ledger after every kind of movement,
import and undo, no negative stock over the dated ledger (also under two threads),
cancellation by reversing rows, who may post and who sees what."""

from __future__ import annotations

import datetime as dt
import io
import threading
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select, update

from data_access import db
from data_access import parts as stock
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.models import Part, StockMovement, User, Warehouse
from data_access.parts import Line
from data_access.parts_register import StockHooks
from data_access.registers import save_changes
from imports.engine import import_file, undo_last_import
from rules.access import Actor, Role
from rules.i18n import t
from tests.actors import ADMIN

NOW = dt.datetime(2026, 11, 20, 10, 0)
D1 = dt.datetime(2026, 11, 1, 9, 0)
D2 = dt.datetime(2026, 11, 2, 9, 0)
D3 = dt.datetime(2026, 11, 3, 9, 0)


@pytest.fixture
def store(db_engine):
    """Users, a central store, an engineer's van, the faulty-parts store, two parts."""
    with db.write(db_engine) as s:
        users = {}
        for name, role in (("keeper", Role.PARTS_KEEPER), ("eng", Role.ENGINEER),
                           ("eng2", Role.ENGINEER), ("boss", Role.MANAGER)):  # fmt: skip
            u = User(username=name, display_name=name, role=str(role), password_hash="x")
            s.add(u)
            s.flush()
            users[name] = u.id
        for code, kind, user in (("WH01", "central", None), ("VAN-1", "van", users["eng"]),
                                 ("VAN-2", "van", users["eng2"]), ("WH99", "faulty", None)):  # fmt: skip
            s.add(Warehouse(code=code, name=code, kind=kind, user_id=user, active=True))
        for no, cost, key in (("000101", "100", True), ("000108", "10", False)):
            s.add(Part(part_no=no, name=f"件{no}", uom="个", unit_cost=Decimal(cost),
                       price=Decimal(cost) * 2, is_key=key, reorder_point=5, reorder_qty=10,
                       on_hand=0, active=True))  # fmt: skip
    keeper = Actor(users["keeper"], Role.PARTS_KEEPER)
    return db_engine, keeper, users


def post(engine, kind, wh, lines, at=D1, actor=ADMIN, **kw):
    with db.write(engine) as s:
        return stock.post_document(s, kind, wh, lines, at=at, actor=actor, now=NOW, **kw)


def agree(engine) -> bool:
    with db.read(engine) as s:
        return stock.balances_agree(s)


def on_hand(engine, part_no="000101") -> dict[str, int]:
    with db.read(engine) as s:
        return stock.part_card(s, part_no, ADMIN)["balances"]


def test_every_kind_of_movement_keeps_balances_equal_to_the_ledger(store):
    engine, keeper, users = store
    steps = [
        ("receipt", "WH01", [Line("000101", 10, Decimal("100")), Line("000108", 5)], {}),
        ("issue", "WH01", [Line("000101", 3)], {}),
        ("return", "WH01", [Line("000101", 1)], {}),
        ("transfer", "WH01", [Line("000101", 4)], {"to_warehouse": "VAN-1"}),
        ("scrap", "WH01", [Line("000108", 1)], {"reason": "damaged"}),
        ("loan", "WH01", [Line("000108", 2)], {}),
        ("loan_return", "WH01", [Line("000108", 2)], {}),
        ("faulty_return", "WH99", [Line("000101", 1)], {}),
    ]
    expected = [
        {"WH01": 10},
        {"WH01": 7},
        {"WH01": 8},
        {"WH01": 4, "VAN-1": 4},
        {"WH01": 4, "VAN-1": 4},
        {"WH01": 4, "VAN-1": 4},
        {"WH01": 4, "VAN-1": 4},
        {"WH01": 4, "VAN-1": 4, "WH99": 1},
    ]
    for (kind, wh, lines, kw), want in zip(steps, expected, strict=True):
        post(engine, kind, wh, lines, actor=keeper, **kw)
        assert agree(engine), kind
        assert on_hand(engine) == want, kind
    # a stock-take adjustment: a signed row through the grid's save
    with db.write(engine) as s:
        done = save_changes(s, "stock", inserts=[{"entry": "PD-1/1", "at": D2, "kind": "adjust",
                            "part_no": "000108", "warehouse": "WH01", "qty": -1}],
                            updates=[], deletes=[], actor=keeper, now=NOW)  # fmt: skip
    assert done.problems == []
    assert agree(engine)
    with db.read(engine) as s:
        parts = dict(s.execute(select(Part.part_no, Part.on_hand)).all())
    assert parts == {"000101": 9, "000108": 3}


def test_a_transfer_is_one_document_with_two_rows(store):
    engine, keeper, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 5)])
    doc = post(engine, "transfer", "WH01", [Line("000101", 2)], at=D2, to_warehouse="VAN-1")
    with db.read(engine) as s:
        rows = s.execute(
            select(StockMovement.entry, StockMovement.qty).where(StockMovement.doc_no == doc)
        ).all()
    assert sorted(rows) == [(f"{doc}/1", -2), (f"{doc}/2", 2)]
    assert doc.startswith("DB-202611-")


@pytest.mark.parametrize("to", [None, "WH01"])
def test_a_transfer_into_the_same_warehouse_is_refused(store, to):
    engine, _, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 5)])
    with pytest.raises(Refused) as err:
        post(engine, "transfer", "WH01", [Line("000101", 2)], to_warehouse=to)
    assert err.value.code == "parts.err.same_warehouse"
    assert on_hand(engine) == {"WH01": 5}


def test_a_half_transfer_through_the_grid_is_refused(store):
    engine, keeper, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 5)])
    rows = [{"entry": "DB-X/1", "at": D2, "kind": "transfer", "part_no": "000101",
             "warehouse": "WH01", "qty": -2}]  # fmt: skip
    with pytest.raises(Refused) as err, db.write(engine) as s:
        save_changes(s, "stock", inserts=rows, updates=[], deletes=[], actor=keeper, now=NOW)
    assert err.value.code == "parts.err.transfer_unbalanced"
    assert agree(engine) and on_hand(engine) == {"WH01": 5}


def test_an_issue_beyond_stock_names_part_warehouse_date_and_shortfall(store):
    engine, _, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 1)])
    with pytest.raises(Refused) as err:
        post(engine, "issue", "WH01", [Line("000101", 3)], at=D2, doc_no="LY-X")
    assert err.value.code == "parts.err.negative"
    assert err.value.params == {"part": "000101", "warehouse": "WH01", "date": "2026-11-02",
                                "shortfall": 2, "doc": "LY-X"}  # fmt: skip
    text = t(err.value.code, "en", **err.value.params)
    assert "000101" in text and "WH01" in text and "2026-11-02" in text and "2" in text
    assert agree(engine) and on_hand(engine) == {"WH01": 1}


def test_a_back_dated_issue_that_breaks_a_later_one_is_refused(store):
    engine, _, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 3)], at=D1)
    later = post(engine, "issue", "WH01", [Line("000101", 2)], at=D3)
    # fine on its own date (3 on hand on D2), but leaves the D3 issue 1 short
    with pytest.raises(Refused) as err:
        post(engine, "issue", "WH01", [Line("000101", 2)], at=D2, doc_no="LY-BACK")
    assert err.value.code == "parts.err.negative_later"
    assert err.value.params == {"part": "000101", "warehouse": "WH01", "date": "2026-11-03",
                                "shortfall": 1, "doc": "LY-BACK", "later": later}  # fmt: skip
    # one unit back-dated is fine
    post(engine, "issue", "WH01", [Line("000101", 1)], at=D2)
    assert on_hand(engine) == {"WH01": 0} and agree(engine)


@pytest.mark.parametrize(
    ("lines", "kw", "code"),
    [
        ([Line("000101", 0)], {}, "parts.err.qty_positive"),
        ([Line("000101", -2)], {}, "parts.err.qty_positive"),
        ([Line("NOPE", 1)], {}, "err.unknown_ref"),
        ([Line("000101", 1)], {"kind": "scrap"}, "parts.err.scrap_reason"),
        ([Line("000101", 1)], {"wh": "WH-NONE"}, "err.unknown_ref"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(store, lines, kw, code):
    engine, _, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 5)])
    with pytest.raises(InvalidInput) as err:
        post(engine, kw.get("kind", "receipt"), kw.get("wh", "WH01"), lines)
    assert code in [p.code for p in err.value.problems]
    assert on_hand(engine) == {"WH01": 5} and agree(engine)


def test_cancelling_a_document_posts_reversing_rows(store):
    engine, _, _ = store
    doc = post(engine, "receipt", "WH01", [Line("000101", 5), Line("000108", 2)])
    with db.write(engine) as s:
        rev = stock.cancel_document(s, doc, actor=ADMIN, now=NOW, at=D3)
    assert rev == f"{doc}-R"
    # the receipt is still there: cancelling adds rows, changes none
    with db.read(engine) as s:
        rows = s.execute(select(StockMovement.doc_no, func.sum(StockMovement.qty))
                         .group_by(StockMovement.doc_no).order_by(StockMovement.doc_no)).all()  # fmt: skip
    assert dict(rows)[doc] == 7 and dict(rows)[rev] == -7
    assert agree(engine)


def test_cancelling_a_receipt_already_issued_is_refused(store):
    engine, _, _ = store
    doc = post(engine, "receipt", "WH01", [Line("000101", 5)])
    post(engine, "issue", "WH01", [Line("000101", 1)], at=D2)
    with pytest.raises(Refused) as err, db.write(engine) as s:
        stock.cancel_document(s, doc, actor=ADMIN, now=NOW)
    assert err.value.code == "parts.err.negative_later"
    assert err.value.params["shortfall"] == 1
    assert on_hand(engine) == {"WH01": 4} and agree(engine)


def test_a_document_is_cancelled_once(store):
    engine, _, _ = store
    doc = post(engine, "receipt", "WH01", [Line("000108", 5)])
    with db.write(engine) as s:
        stock.cancel_document(s, doc, actor=ADMIN, now=NOW)
    assert agree(engine) and on_hand(engine, "000108") == {"WH01": 0}
    with pytest.raises(Refused) as err, db.write(engine) as s:
        stock.cancel_document(s, doc, actor=ADMIN, now=NOW)
    assert err.value.code == "parts.err.already_cancelled"
    with pytest.raises(Refused) as err, db.write(engine) as s:
        stock.cancel_document(s, "RK-NONE", actor=ADMIN, now=NOW)
    assert err.value.code == "parts.err.no_document"


def _receipt_book(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "入库"
    ws.append(["单据行", "日期", "类型", "配件编号", "仓库", "数量", "单位成本", "供应商"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_receipt_import_twice_writes_once_and_undo_keeps_balances(store):
    engine, keeper, _ = store
    data = _receipt_book([
        ["RK-9/1", "2026-11-01 09:00", "入库", "000101", "WH01", 4, 100, "原厂"],
        ["RK-9/2", "2026-11-01 09:00", "入库", "000108", "WH01", 6, 10, "原厂"],
    ])  # fmt: skip
    with db.write(engine) as s:
        first = import_file(s, "stock", data, file_name="rk.xlsx", now=NOW, actor=keeper)
    assert first.problems == [] and first.inserted == 2
    assert agree(engine) and on_hand(engine) == {"WH01": 4}
    with db.write(engine) as s:
        again = import_file(s, "stock", data, file_name="rk.xlsx", now=NOW, actor=keeper)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    with db.write(engine) as s:
        undo_last_import(s, "stock", keeper, now=NOW)
    assert agree(engine) and on_hand(engine) == {"WH01": 0}


def test_undoing_a_receipt_import_whose_stock_was_issued_is_refused(store):
    engine, keeper, _ = store
    data = _receipt_book([["RK-9/1", "2026-11-01 09:00", "入库", "000101", "WH01", 4, 100, "x"]])
    with db.write(engine) as s:
        import_file(s, "stock", data, file_name="rk.xlsx", now=NOW, actor=keeper)
    post(engine, "issue", "WH01", [Line("000101", 3)], at=D2)
    with pytest.raises(Refused) as err, db.write(engine) as s:
        undo_last_import(s, "stock", keeper, now=NOW)
    assert err.value.code == "parts.err.negative_later"
    assert on_hand(engine) == {"WH01": 1} and agree(engine)


def test_an_imported_row_changed_in_the_file_is_a_ledger_problem(store):
    engine, keeper, _ = store
    rows = [["RK-9/1", "2026-11-01 09:00", "入库", "000101", "WH01", 4, 100, "x"]]
    with db.write(engine) as s:
        import_file(s, "stock", _receipt_book(rows), file_name="a.xlsx", now=NOW, actor=keeper)
    rows[0][5] = 5
    with db.write(engine) as s:
        report = import_file(s, "stock", _receipt_book(rows), file_name="b.xlsx", now=NOW,
                             actor=keeper)  # fmt: skip
    assert [p.code for p in report.problems] == ["err.ledger"]
    assert on_hand(engine) == {"WH01": 4}


def test_a_bad_import_row_names_sheet_row_and_column(store):
    engine, keeper, _ = store
    data = _receipt_book([
        ["RK-9/1", "2026-11-01 09:00", "入库", "000101", "WH01", 4, 100, "x"],
        ["RK-9/2", "2026-11-01 09:00", "入库", "NOPE", "WH01", 1, 100, "x"],
        ["RK-9/3", "2026-11-01 09:00", "入库", "000101", "WH01", 0, 100, "x"],
        ["RK-9/4", "2026-11-01 09:00", "领用", "000101", "WH01", 2, 100, "x"],
    ])  # fmt: skip
    with db.write(engine) as s:
        report = import_file(s, "stock", data, file_name="a.xlsx", now=NOW, actor=keeper)
    where = {(p.sheet, p.row, p.column, p.code) for p in report.problems}
    assert ("入库", 3, "配件编号", "err.unknown_ref") in where
    assert ("入库", 4, "数量", "parts.err.qty_zero") in where
    assert ("入库", 5, "数量", "parts.err.qty_out") in where
    assert on_hand(engine) == {} and agree(engine)  # all or nothing


def test_only_the_parts_keeper_manager_and_admin_post(store):
    engine, keeper, users = store
    eng = Actor(users["eng"], Role.ENGINEER)
    with pytest.raises(NotAllowed):
        post(engine, "receipt", "WH01", [Line("000101", 5)], actor=eng)
    post(engine, "receipt", "WH01", [Line("000101", 5)], actor=Actor(users["boss"], Role.MANAGER))
    assert on_hand(engine) == {"WH01": 5}


def test_engineers_see_their_van_managers_see_all(store):
    engine, keeper, users = store
    post(engine, "receipt", "WH01", [Line("000101", 5)])
    post(engine, "transfer", "WH01", [Line("000101", 2)], at=D2, to_warehouse="VAN-1")
    post(engine, "transfer", "WH01", [Line("000101", 1)], at=D2, to_warehouse="VAN-2")
    with db.read(engine) as s:
        mine = stock.stock_by_warehouse(s, Actor(users["eng"], Role.ENGINEER))
        theirs = stock.stock_by_warehouse(s, Actor(users["eng2"], Role.ENGINEER))
        boss = stock.stock_by_warehouse(s, Actor(users["boss"], Role.MANAGER))
        card = stock.part_card(s, "000101", Actor(users["eng"], Role.ENGINEER))
        with pytest.raises(NotAllowed):
            stock.stock_by_warehouse(s, Actor(None, Role.TRAINER))
    assert [(r["warehouse"], r["qty"]) for r in mine] == [("VAN-1", 2)]
    assert [(r["warehouse"], r["qty"]) for r in theirs] == [("VAN-2", 1)]
    assert [(r["warehouse"], r["qty"]) for r in boss] == [("VAN-1", 2), ("VAN-2", 1), ("WH01", 2)]
    assert card["balances"] == {"VAN-1": 2} and {r["warehouse"] for r in card["ledger"]} == {
        "VAN-1"
    }


def test_filters_below_reorder_point_key_parts_and_idle(store):
    engine, _, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 3), Line("000108", 20)])
    with db.read(engine) as s:
        low = stock.stock_by_warehouse(s, ADMIN, below_reorder=True)
        key = stock.stock_by_warehouse(s, ADMIN, key_only=True)
        idle = stock.stock_by_warehouse(s, ADMIN, idle_days=10, now=NOW)
        fresh = stock.stock_by_warehouse(s, ADMIN, idle_days=30, now=NOW)
    assert [r["part_no"] for r in low] == ["000101"]
    assert [r["part_no"] for r in key] == ["000101"]
    assert len(idle) == 2 and fresh == []


def test_moving_average_cost_and_stock_value(store):
    engine, _, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 10, Decimal("100"))], at=D1)
    post(engine, "issue", "WH01", [Line("000101", 4)], at=D2)
    post(engine, "receipt", "WH01", [Line("000101", 6, Decimal("130"))], at=D3)
    post(engine, "transfer", "WH01", [Line("000101", 2)], at=D3, to_warehouse="VAN-1")
    with db.read(engine) as s:
        card = stock.part_card(s, "000101", ADMIN)
        value = stock.stock_value(s, ADMIN)
    assert card["cost"].avg_cost == Decimal("115.0000")  # (6×100 + 6×130) / 12
    assert value == {"WH01": Decimal("1150.00"), "VAN-1": Decimal("230.00")}


def _suggestions(engine, live_only=True):
    with db.read(engine) as s:
        rows = stock.reorder_suggestions(s, ADMIN, live_only=live_only)
    return [(r["part_no"], r["status"], r["on_hand"], r["on_order"], r["reserved"],
             r["projected"], r["suggested"]) for r in rows]  # fmt: skip


def _refresh(engine, at=NOW):
    with db.write(engine) as s:
        return stock.refresh_reorder(s, at)


def test_reorder_suggestions_are_stored_once_ordered_and_closed_by_the_receipt(store):
    engine, keeper, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 3), Line("000108", 20)])
    assert _refresh(engine) == ["000101"]  # 3 ≤ 5; 000108 is well above its point
    assert _suggestions(engine) == [("000101", "open", 3, 0, 0, 3, 10)]
    assert _refresh(engine) == []  # at most one open suggestion a part
    with pytest.raises(InvalidInput), db.write(engine) as s:
        stock.mark_ordered(s, "000101", " ", actor=keeper, now=NOW)
    with pytest.raises(NotAllowed), db.write(engine) as s:
        stock.mark_ordered(s, "000101", "PO-1", actor=Actor(99, Role.ENGINEER), now=NOW)
    with db.write(engine) as s:
        stock.mark_ordered(s, "000101", "PO-2026-118", actor=keeper, now=NOW)
    with pytest.raises(Refused) as err, db.write(engine) as s:
        stock.mark_ordered(s, "000101", "PO-2", actor=keeper, now=NOW)
    assert err.value.code == "parts.err.no_open_suggestion"
    # ordered: its quantity is on order, so the part projects above its point
    with db.read(engine) as s:
        fig = {f["part_no"]: f for f in stock.reorder_figures(s)}["000101"]
    assert (fig["on_order"], fig["projected"], fig["alert"]) == (10, 13, False)
    assert _refresh(engine) == []
    post(engine, "receipt", "WH01", [Line("000101", 10)], at=D3, doc_no="RK-PO-2026-118")
    assert _suggestions(engine) == []
    with db.read(engine) as s:
        closed = stock.reorder_suggestions(s, ADMIN, live_only=False)
    assert [(r["status"], r["closed_doc"], r["purchase_ref"]) for r in closed] == [
        ("closed", "RK-PO-2026-118", "PO-2026-118")
    ]


def test_reserved_ticket_lines_count_and_an_open_suggestion_clears_itself(ticket):
    from data_access.models import Part, Ticket, TicketPart

    engine, _ = ticket  # 000101: 3 in WH01 and 2 on the van = 5, its point

    def of_101():
        return [r[1:] for r in _suggestions(engine) if r[0] == "000101"]

    assert "000101" in _refresh(engine)
    assert of_101() == [("open", 5, 0, 0, 5, 10)]
    with db.write(engine) as s:
        s.execute(Part.__table__.update().where(Part.part_no == "000101").values(reorder_point=1))
    _refresh(engine)  # above its (new) point before anything was ordered: cleared
    assert of_101() == []
    with db.write(engine) as s:
        sr1 = s.scalar(select(Ticket.id).where(Ticket.ticket_no == "SR1"))
        part = s.scalar(select(Part.id).where(Part.part_no == "000101"))
        s.add(TicketPart(ticket_id=sr1, line_no=1, part_id=part, part_no="000101", qty=4))
    assert _refresh(engine) == ["000101"]  # 5 on hand − 4 reserved = 1 ≤ 1
    assert of_101() == [("open", 5, 0, 4, 1, 10)]


def test_the_ledger_page_is_keyset_paged(store):
    engine, _, _ = store
    for day in range(1, 8):
        post(engine, "receipt", "WH01", [Line("000108", 1)], at=dt.datetime(2026, 11, day, 9))
    with db.read(engine) as s:
        first = stock.part_card(s, "000108", ADMIN, limit=3)["ledger"]
        last = first[-1]
        second = stock.part_card(s, "000108", ADMIN, limit=3, after=(last["at"], last["id"]))[
            "ledger"
        ]
        series = stock.balance_series(s, "000108", ADMIN)
    assert [r["at"].day for r in first] == [7, 6, 5]
    assert [r["at"].day for r in second] == [4, 3, 2]
    assert [p["on_hand"] for p in series] == [1, 2, 3, 4, 5, 6, 7]


def test_the_stock_ledger_is_keyset_paged_latest_first(store):
    engine, _, users = store
    for n in range(5):
        post(engine, "receipt", "WH01", [Line("000101", n + 1)], doc_no=f"RK-K{n}")
    with db.read(engine) as s:
        first = stock.ledger_page(s, ADMIN, limit=2)
        second = stock.ledger_page(s, ADMIN, limit=2, before=first[-1]["id"])
        third = stock.ledger_page(s, ADMIN, limit=2, before=second[-1]["id"])
        only = stock.ledger_page(s, ADMIN, search="RK-K3")
        eng = stock.ledger_page(s, Actor(users["eng"], Role.ENGINEER))
    assert [r["qty"] for r in first + second + third] == [5, 4, 3, 2, 1]
    assert [r["entry"] for r in only] == ["RK-K3/1"]
    assert eng == []  # an engineer: his van's rows only


def test_two_users_issuing_the_last_unit_exactly_one_succeeds(store):
    engine, keeper, _ = store
    post(engine, "receipt", "WH01", [Line("000101", 1)])
    barrier = threading.Barrier(2)
    results: list[str] = []

    def issue(n: int) -> None:
        barrier.wait()
        try:
            post(engine, "issue", "WH01", [Line("000101", 1)], at=D2, doc_no=f"LY-T{n}",
                 actor=keeper)  # fmt: skip
            results.append("ok")
        except Refused as err:
            results.append(err.code)

    threads = [threading.Thread(target=issue, args=(n,)) for n in (1, 2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["ok", "parts.err.negative"]
    assert on_hand(engine) == {"WH01": 0} and agree(engine)


# ---------------------------------------------------------------- issue to a ticket
@pytest.fixture
def ticket(store):
    """SR1 held by the engineer with van VAN-1 (2 units of 000101 on board); SR2 held by
    nobody."""
    from data_access.models import Customer, Ticket

    engine, keeper, users = store
    with db.write(engine) as s:
        c = Customer(code="C0001", name="华东精密机械")
        s.add(c)
        s.flush()
        for no, eng in (("SR1", users["eng"]), ("SR2", None)):
            s.add(Ticket(ticket_no=no, customer_id=c.id, priority="standard", channel="phone",
                         status="on_site", fault_description="异响", engineer_id=eng,
                         received_at=dt.datetime(2026, 11, 18, 9, 0)))  # fmt: skip
    post(engine, "receipt", "WH01", [Line("000101", 5)])
    post(engine, "transfer", "WH01", [Line("000101", 2)], at=D2, to_warehouse="VAN-1")
    return engine, Actor(users["eng"], Role.ENGINEER)


def report_lines(engine, actor, no, rows):
    from data_access.lines import save_lines

    with db.write(engine) as s:
        return save_lines(s, "ticket_parts", no, rows, actor=actor, now=NOW)


def test_a_report_part_line_issues_from_the_engineers_van(ticket):
    from data_access.lines import list_lines
    from data_access.models import TicketPart

    engine, eng = ticket
    done = report_lines(engine, eng, "SR1", [{"part_no": "000101", "qty": 1}])
    assert done.problems == []
    assert on_hand(engine) == {"WH01": 3, "VAN-1": 1} and agree(engine)
    with db.read(engine) as s:
        line = s.execute(select(TicketPart)).scalar_one()
        move = s.get(StockMovement, line.movement_id)
        assert (move.kind, move.qty, move.reference) == ("issue", -1, "SR1")
        stored = list_lines(s, "ticket_parts", "SR1")
        figures = stock.availability(s)
    assert stored[0]["unit_price"] == Decimal("200.00")  # the master's sale price shows
    assert figures == {"issues": 1, "key_within_72h": 1.0, "sourced_within_48h": None}
    # raising the quantity issues the difference; lowering it returns it
    report_lines(engine, eng, "SR1", [{**stored[0], "qty": 2}])
    assert on_hand(engine) == {"WH01": 3, "VAN-1": 0} and agree(engine)
    with db.read(engine) as s:
        stored = list_lines(s, "ticket_parts", "SR1")
    report_lines(engine, eng, "SR1", [{**stored[0], "qty": 1}])
    assert on_hand(engine) == {"WH01": 3, "VAN-1": 1} and agree(engine)


def test_a_report_line_beyond_the_van_stock_refuses_the_save(ticket):
    from data_access.lines import list_lines

    engine, eng = ticket
    with pytest.raises(Refused) as err:
        report_lines(engine, eng, "SR1", [{"part_no": "000101", "qty": 3}])
    assert err.value.code == "parts.err.negative"
    assert err.value.params["warehouse"] == "VAN-1" and err.value.params["shortfall"] == 1
    with db.read(engine) as s:
        assert list_lines(s, "ticket_parts", "SR1") == []
    assert on_hand(engine) == {"WH01": 3, "VAN-1": 2}


@pytest.mark.parametrize(
    ("row", "problems"),
    [
        ({"part_no": "X-9", "qty": 1}, [("part_no", "parts.err.unknown_part")]),
        (
            {"part_no": "X-9", "qty": 1, "non_catalogue": True},
            [("non_catalogue_reason", "parts.err.non_catalogue_reason")],
        ),
        (
            {"part_no": "X-9", "qty": 1, "non_catalogue": True, "non_catalogue_reason": "客户自购"},
            [],
        ),
    ],
)
def test_a_part_not_in_the_master_needs_the_non_catalogue_mark(ticket, row, problems):
    engine, eng = ticket
    done = report_lines(engine, eng, "SR1", [row])
    assert [(p.field, p.code) for p in done.problems] == problems
    assert on_hand(engine) == {"WH01": 3, "VAN-1": 2}  # nothing issued either way


def test_a_ticket_without_a_van_engineer_issues_nothing_here(ticket):
    engine, _ = ticket
    done = report_lines(engine, ADMIN, "SR2", [{"part_no": "000101", "qty": 1}])
    assert done.problems == [] and on_hand(engine) == {"WH01": 3, "VAN-1": 2}


def test_demo_ledger_never_goes_negative_and_balances_are_its_sums(db_engine):
    from collections import defaultdict

    from data_access import demo

    demo.load(db_engine, customers=12, tickets=150)
    with db.read(db_engine) as s:
        assert stock.balances_agree(s)
        rows = s.execute(
            select(StockMovement.part_id, StockMovement.warehouse_id, StockMovement.qty).order_by(
                StockMovement.at, StockMovement.id
            )
        ).all()
        kinds = set(s.execute(select(StockMovement.kind).distinct()).scalars())
        vans = s.execute(select(Warehouse.user_id).where(Warehouse.kind == "van")).scalars().all()
    running: dict[tuple[int, int], int] = defaultdict(int)
    for part, wh, qty in rows:
        running[(part, wh)] += qty
        assert running[(part, wh)] >= 0, (part, wh)
    assert kinds == {"receipt", "issue", "return", "transfer", "scrap", "loan", "loan_return",
                     "faulty_return", "adjust"}  # fmt: skip
    assert vans and all(vans)  # every van stock belongs to an engineer


def test_an_engineer_sees_his_tickets_parts_beside_his_van(ticket):
    from data_access.models import Part, Ticket, TicketPart

    engine, eng = ticket
    assert report_lines(engine, eng, "SR1", [{"part_no": "000101", "qty": 1}]).problems == []
    with db.write(engine) as s:
        sr1, sr2 = (s.scalars(select(Ticket.id).where(Ticket.ticket_no == n)).one()
                    for n in ("SR1", "SR2"))  # fmt: skip
        part = dict(s.execute(select(Part.part_no, Part.id)).all())
        s.add_all([
            TicketPart(ticket_id=sr1, line_no=2, part_id=part["000101"], part_no="000101", qty=1),
            TicketPart(ticket_id=sr1, line_no=3, part_id=part["000108"], part_no="000108", qty=1),
            TicketPart(ticket_id=sr2, line_no=1, part_id=part["000101"], part_no="000101", qty=9),
        ])  # fmt: skip
    with db.read(engine) as s:
        rows = stock.engineer_parts(s, eng.id)
        assert stock.engineer_parts(s, -1) == []
    got = [(r["ticket_no"], r["line_no"], r["issued"], r["on_van"], r["short"]) for r in rows]
    # the van holds one 000101 after the issue: line 2 is covered, 000108 must be fetched
    assert got == [("SR1", 1, True, 1, False), ("SR1", 2, False, 1, False),
                   ("SR1", 3, False, 0, True)]  # fmt: skip
    with db.write(engine) as s:
        s.execute(update(Ticket).where(Ticket.id == sr1).values(status="closed"))
    with db.read(engine) as s:
        assert stock.engineer_parts(s, eng.id) == []  # a finished ticket's lines are done


def test_a_deleted_report_line_gives_its_parts_back_to_the_van(ticket):
    from data_access.lines import list_lines
    from data_access.registers import save_changes

    engine, eng = ticket
    assert report_lines(engine, eng, "SR1", [{"part_no": "000101", "qty": 2}]).problems == []
    assert on_hand(engine) == {"WH01": 3, "VAN-1": 0}
    with db.read(engine) as s:
        [line] = list_lines(s, "ticket_parts", "SR1")
    with db.write(engine) as s:
        done = save_changes(s, "ticket_parts", inserts=[], updates=[], actor=eng, now=NOW,
                            deletes=[{"id": line["id"], "version": line["version"]}])  # fmt: skip
    assert done.problems == []
    assert on_hand(engine) == {"WH01": 3, "VAN-1": 2} and agree(engine)
    with db.read(engine) as s:
        back = s.execute(
            select(StockMovement.kind, StockMovement.qty, StockMovement.reference).where(
                StockMovement.kind == "return"
            )
        ).one()
    assert tuple(back) == ("return", 2, "SR1")


def test_a_non_catalogue_line_is_never_to_be_picked_up(ticket):
    engine, eng = ticket
    row = {"part_no": "X-9", "qty": 1, "non_catalogue": True, "non_catalogue_reason": "客户自购"}
    assert report_lines(engine, eng, "SR1", [row]).problems == []
    with db.read(engine) as s:
        [line] = stock.engineer_parts(s, eng.id)
    assert (line["part_no"], line["non_catalogue"], line["short"]) == ("X-9", True, False)


def test_the_ledger_hooks_get_every_written_row_with_its_stored_id(store, monkeypatch):
    """The after-write hook reads new rows' ids (the no-negative check marks its own
    rows by them): on SQLite they are worked out, not looked up, and must be the ids
    stored — also after a posting of another document raised the highest id."""
    engine, keeper, _ = store
    seen: dict[str, int] = {}
    original = StockHooks.after_write

    def spy(self, session, written):
        seen.update({r["entry"]: r["id"] for r in written.inserted})
        return original(self, session, written)

    monkeypatch.setattr(StockHooks, "after_write", spy)
    post(engine, "receipt", "WH01", [Line("000101", 5), Line("000108", 2)], actor=keeper)
    post(engine, "issue", "WH01", [Line("000101", 1), Line("000108", 1)], actor=keeper)
    with db.read(engine) as s:
        stored = dict(s.execute(select(StockMovement.entry, StockMovement.id)).all())
    assert len(seen) == 4
    assert seen == stored


def _chunked_book(issue_qty: int) -> bytes:
    """Four chunks of four rows: receipts, issues, receipts, issues (``issue_qty`` each
    in the last), days apart, so each chunk's outflow needs the chunks before it."""
    rows, n = [], 0
    for block, (kind, qty) in enumerate(
        (("入库", 5), ("领用", -3), ("入库", 2), ("领用", issue_qty))
    ):
        for i in range(4):
            n += 1
            at = f"2026-11-{block + 1:02d} {9 + i:02d}:00"
            rows.append([f"RK-C{block}/{i + 1}", at, kind, "000101", "WH01", qty, 100, "原厂"])
    return _receipt_book(rows)


def test_a_ledger_import_in_many_chunks_posts_them_in_file_order(store, monkeypatch):
    """Each chunk is written while the next is checked (on SQLite the rows are moved from
    a staging table on a thread): balances, ids and the negative-stock check still go
    chunk after chunk, in the file's order."""
    engine, keeper, _ = store
    monkeypatch.setattr("imports.engine.CHUNK", 4)
    monkeypatch.setattr("data_access.bulk.STAGE_ROWS", 2)
    with db.write(engine) as s:
        report = import_file(s, "stock", _chunked_book(-4), file_name="c.xlsx", now=NOW,
                             actor=keeper)  # fmt: skip
    assert report.problems == [] and report.inserted == 16 and report.total == 16
    assert on_hand(engine) == {"WH01": 0} and agree(engine)
    with db.read(engine) as s:
        entries = s.scalars(select(StockMovement.entry).order_by(StockMovement.id)).all()
    assert entries == [f"RK-C{b}/{i}" for b in range(4) for i in range(1, 5)]
    with db.write(engine) as s:
        undo_last_import(s, "stock", keeper, now=NOW)
    assert on_hand(engine) == {"WH01": 0} and agree(engine)


def test_a_chunk_that_overdraws_what_earlier_chunks_received_writes_nothing(store, monkeypatch):
    engine, keeper, _ = store
    monkeypatch.setattr("imports.engine.CHUNK", 4)
    monkeypatch.setattr("data_access.bulk.STAGE_ROWS", 2)
    with pytest.raises(Refused) as err, db.write(engine) as s:
        import_file(s, "stock", _chunked_book(-5), file_name="c.xlsx", now=NOW, actor=keeper)
    assert err.value.code == "parts.err.negative"
    assert err.value.params["warehouse"] == "WH01" and err.value.params["date"] == "2026-11-04"
    assert err.value.params["shortfall"] == 4  # 28 in, 12 out before: 16, 11, 6, 1, then -4
    with db.read(engine) as s:
        assert s.scalar(select(func.count(StockMovement.id))) == 0
    assert on_hand(engine) == {} and agree(engine)
