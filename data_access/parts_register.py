"""The stock ledger through the register machinery: its hooks (balances kept in the
writing transaction, no negative stock over the dated ledger), its adapter, document
numbers, and a service report's catalogue parts issued from the engineer's van.

On PostgreSQL each touched balance row is locked (by its upsert, in key order) before
the ledger is read, so two users issuing the last unit are serialised: one succeeds, the
other is refused with the shortfall message.

The stock adapter is built here, not in :mod:`data_access.catalog` (which lists it):
:func:`issue_for_lines` writes through it from inside the service report's write, so it
must not need the catalog. Kept apart from the documents and reads
(:mod:`data_access.parts`), which import the register writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data_access.adapters import Adapter, Change, Hooks, Refs, Restored, Written
from data_access.bulk import Inserter, _chunks
from data_access.errors import Refused
from data_access.models import (
    Part,
    ReorderSuggestion,
    StockBalance,
    StockMovement,
    Ticket,
    TicketPart,
    Warehouse,
)
from data_access.writes import apply
from rules.fields import Problem
from rules.parts import (
    FAULTY_RETURN,
    LIVE_SUGGESTIONS,
    STOCK,
    Move,
    MovementKind,
    SuggestionStatus,
    WarehouseKind,
    entry_of,
    first_shortfall,
    split_entry,
)

M = StockMovement.__table__
B = StockBalance.__table__
P = Part.__table__
W = Warehouse.__table__


# ---------------------------------------------------------------- register hooks
class StockHooks(Hooks):
    """The stock ledger's domain behaviour on the one write path."""

    columns = ("doc_no", "line_no")

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        split = split_entry(values.get("entry"))
        if split is not None:
            values["doc_no"], values["line_no"] = split
        part = refs.get("part_no")
        faulty = values.get("kind") == FAULTY_RETURN  # not stock of value
        if values.get("unit_cost") is None and part is not None and not faulty:
            values["unit_cost"] = part.get("unit_cost")
        return []

    def after_write(self, session: Session, change: Change) -> None:
        """New movements post to the balances (an undo takes its movements back out);
        a ledger has no updates, and deletes only by an undo."""
        match change:
            case Written(inserted=rows, now=now) if rows:
                _check_transfers(session, rows)
                post_balances(session, rows, sign=1, now=now)
                _close_suggestions(session, rows, now)
            case Restored(deleted=rows, now=now) if rows:
                post_balances(session, rows, sign=-1, now=now)


def _close_suggestions(session: Session, rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """A receipt of a part into a warehouse closes that part's open or ordered reorder
    suggestion there, naming the receipt. The live suggestions are few: they are read
    once and only the received ones are closed (one statement), however many lines."""
    S = ReorderSuggestion.__table__
    live = session.execute(
        select(S.c.id, S.c.part_id, S.c.warehouse_id).where(
            S.c.status.in_(sorted(LIVE_SUGGESTIONS))
        )
    ).all()
    if not live:  # the usual case: no row needs a look
        return
    parts = {p for _, p, _ in live}
    received = {
        (r["part_id"], r["warehouse_id"]): r["doc_no"]
        for r in rows
        if r["part_id"] in parts
        and r.get("kind") == MovementKind.RECEIPT
        and r["qty"] > 0
        and not r.get("reverses")
    }
    closing = [{"b_id": i, "b_doc": received[(p, w)]} for i, p, w in live if (p, w) in received]
    if not closing:
        return
    session.execute(
        update(S)
        .where(S.c.id == bindparam("b_id"))
        .values(status=SuggestionStatus.CLOSED, closed_at=now, closed_doc=bindparam("b_doc"),
                updated_at=now, version=S.c.version + 1),
        closing,
    )  # fmt: skip


def _check_transfers(session: Session, rows: list[dict[str, Any]]) -> None:
    transfer = MovementKind.TRANSFER  # once, not per row
    docs = sorted({r["doc_no"] for r in rows if r.get("kind") == transfer})
    if not docs:
        return
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    query = select(M.c.doc_no, M.c.warehouse_id, M.c.qty).where(M.c.doc_no.in_(docs))
    for doc, wh, qty in session.execute(query):
        found[doc].append((wh, qty))
    for doc in docs:
        moves = found[doc]
        if sum(q for _, q in moves) != 0:
            raise Refused("parts.err.transfer_unbalanced", doc=doc)
        outs = {w for w, q in moves if q < 0}
        ins = {w for w, q in moves if q > 0}
        if outs & ins:
            raise Refused("parts.err.same_warehouse", doc=doc)


def _move_balances(
    session: Session, deltas: dict[tuple[int, int], int], wanted: set[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """Add ``deltas`` to the balance rows of their (part, warehouse) keys — one upsert
    per key, made if missing, in key order (one lock order on PostgreSQL: the upsert
    locks its row until commit, so two postings of one part are serialised and never
    deadlock) — and return the balances after it of the ``wanted`` keys."""
    pg = session.get_bind().dialect.name == "postgresql"
    stmt = (pg_insert if pg else sqlite_insert)(B)
    stmt = stmt.on_conflict_do_update(
        index_elements=[B.c.part_id, B.c.warehouse_id], set_={"qty": B.c.qty + stmt.excluded.qty}
    )
    keys = sorted(deltas)
    # on SQLite straight to the driver as tuples (an import posts thousands of keys)
    Inserter(session, B, ["part_id", "warehouse_id", "qty"], statement=stmt)(
        {
            "part_id": [p for p, _ in keys],
            "warehouse_id": [w for _, w in keys],
            "qty": [deltas[k] for k in keys],
        }
    )
    out: dict[tuple[int, int], int] = {}
    pair = tuple_(B.c.part_id, B.c.warehouse_id)
    for part in _chunks(sorted(wanted)):
        query = select(B.c.part_id, B.c.warehouse_id, B.c.qty).where(pair.in_(part))
        out.update({(p, w): int(q) for p, w, q in session.execute(query)})
    return out


def post_balances(
    session: Session, rows: Sequence[dict[str, Any]], *, sign: int, now: dt.datetime
) -> None:
    """Move the balances by ``rows`` (inserted: +, undone: -) and the parts' on-hand
    totals (stamped ``now``), and refuse any part and warehouse whose dated balance
    would go below zero from the rows' dates on.

    Only a (part, warehouse) with an outflow among the rows is checked against its
    ledger: stock coming in cannot leave a later balance short."""
    # every imported line passes here: the least work per row (a loop over pairs)
    parts = map(int, map(itemgetter("part_id"), rows))
    keys = list(zip(parts, map(int, map(itemgetter("warehouse_id"), rows)), strict=True))
    qtys = [sign * int(q) for q in map(itemgetter("qty"), rows)]
    deltas: dict[tuple[int, int], int] = defaultdict(int)
    for key, q in zip(keys, qtys, strict=True):
        deltas[key] += q
    outflow = (
        {k for k, q in zip(keys, qtys, strict=True) if q < 0} if qtys and min(qtys) < 0 else set()
    )
    # only an outflow's (part, warehouse) is checked: its earliest row, the new ids
    earliest: dict[tuple[int, int], tuple[dt.datetime, str]] = {}
    new_ids: set[int] = set()
    for r in rows if outflow else ():
        key = (int(r["part_id"]), int(r["warehouse_id"]))
        if key not in outflow:
            continue
        at = r["at"]
        if key not in earliest or at < earliest[key][0]:
            earliest[key] = (at, r["doc_no"])
        if sign > 0 and r.get("id") is not None:
            new_ids.add(int(r["id"]))
    after = _move_balances(session, deltas, outflow)  # receipts alone: nothing read back
    per_part: dict[int, int] = defaultdict(int)
    for key, delta in deltas.items():
        per_part[key[0]] += delta
    moved = sorted((p, d) for p, d in per_part.items() if d)
    if moved:  # straight to the driver as tuples on SQLite, like the balances
        stmt = update(P).where(P.c.id == bindparam("b_part"))
        stmt = stmt.values(on_hand=P.c.on_hand + bindparam("b_delta"), updated_at=bindparam("b_at"))
        Inserter(session, P, ["b_part", "b_delta", "b_at"], statement=stmt)(
            {"b_part": [p for p, _ in moved], "b_delta": [d for _, d in moved],
             "b_at": [now] * len(moved)}
        )  # fmt: skip
    for key in sorted(outflow):
        _check_ledger(session, key[0], key[1], after[key], earliest[key], new_ids, sign)


def _check_ledger(
    session: Session,
    part_id: int,
    wh_id: int,
    balance: int,
    earliest: tuple[dt.datetime, str],
    new_ids: set[int],
    sign: int,
) -> None:
    since, doc = earliest
    query = (
        select(M.c.at, M.c.id, M.c.qty, M.c.doc_no)
        .where(M.c.part_id == part_id, M.c.warehouse_id == wh_id, M.c.at >= since)
        .order_by(M.c.at, M.c.id)
    )
    moves = [Move(at, i, q, d, i in new_ids) for at, i, q, d in session.execute(query)]
    opening = balance - sum(m.qty for m in moves)
    if sign < 0:  # an undo: judge from the undone rows' date on
        moves.append(Move(since, -1, 0, doc, True))
    found = first_shortfall(opening, moves)
    if found is None:
        return
    part_no = session.execute(select(P.c.part_no).where(P.c.id == part_id)).scalar_one()
    wh = session.execute(select(W.c.code).where(W.c.id == wh_id)).scalar_one()
    params: dict[str, Any] = {
        "part": part_no,
        "warehouse": wh,
        "date": f"{found.at:%Y-%m-%d}",
        "shortfall": found.shortfall,
        "doc": found.doc_no,
    }
    if found.breaks and found.breaks != found.doc_no:
        raise Refused("parts.err.negative_later", later=found.breaks, **params)
    raise Refused("parts.err.negative", **params)


# the stock ledger register (listed by the catalog as "stock")
STOCK_ADAPTER = Adapter(STOCK, StockMovement, hooks=StockHooks())


def van_id(session: Session, user_id: int | None) -> int | None:
    """The engineer's van stock (车载库存): the first van warehouse tied to him."""
    if user_id is None:
        return None
    query = select(W.c.id).where(W.c.user_id == user_id, W.c.kind == WarehouseKind.VAN)
    return session.execute(query.order_by(W.c.code).limit(1)).scalar()


# ---------------------------------------------------------------- document numbers
PREFIX = {
    MovementKind.RECEIPT: "RK",
    MovementKind.ISSUE: "LY",
    MovementKind.RETURN: "TH",
    MovementKind.TRANSFER: "DB",
    MovementKind.SCRAP: "BF",
    MovementKind.LOAN: "JC",
    MovementKind.LOAN_RETURN: "GH",
    MovementKind.FAULTY_RETURN: "JJ",
    MovementKind.ADJUST: "PD",
}


def next_doc_no(session: Session, prefix: str, at: dt.datetime) -> str:
    """``<prefix>-YYYYMM-NNNN``: one above the highest of that prefix and month."""
    stem = f"{prefix}-{at:%Y%m}-"
    query = select(func.max(M.c.doc_no)).where(M.c.doc_no.like(f"{stem}%"))
    last = session.execute(query).scalar()
    n = 1
    if last:
        try:
            n = int(last[len(stem) :][:4]) + 1
        except ValueError:
            n = 1
    return f"{stem}{n:04d}"


# ---------------------------------------------------------------- issue to a ticket
def issue_for_lines(
    session: Session,
    inserted: Sequence[dict[str, Any]],
    updated: Sequence[tuple[dict[str, Any], dict[str, Any]]],
    *,
    now: dt.datetime,
    user_id: int | None,
) -> None:
    """A service report's catalogue part lines as issue movements from the ticket
    engineer's van stock, in the report's transaction (a changed quantity issues or
    returns the difference). An engineer without a van issues nothing here: the parts
    keeper posts from the store. A shortfall refuses the whole save."""
    wanted: list[tuple[dict[str, Any], int]] = []  # (line, signed qty)
    for line in inserted:
        if line.get("part_id") is not None:
            wanted.append((line, -int(line["qty"])))
    for before, changed in updated:
        if (
            before.get("part_id") is None
            or "qty" not in changed
            or before.get("movement_id") is None
        ):
            continue
        diff = int(before["qty"]) - int(changed["qty"])
        if diff:
            wanted.append(({**before, **changed}, diff))
    if not wanted:
        return
    T = Ticket.__table__
    tickets = {
        r.id: r
        for r in session.execute(
            select(T.c.id, T.c.ticket_no, T.c.engineer_id, T.c.received_at).where(
                T.c.id.in_(sorted({ln["ticket_id"] for ln, _ in wanted}))
            )
        )
    }
    vans: dict[int, int | None] = {}
    rows: list[dict[str, Any]] = []
    links: list[tuple[int, str]] = []
    doc: str | None = None
    for line, qty in wanted:
        ticket = tickets[line["ticket_id"]]
        eng = ticket.engineer_id
        if eng is None:
            continue
        if eng not in vans:
            vans[eng] = van_id(session, eng)
        if vans[eng] is None:
            continue
        doc = doc or next_doc_no(session, PREFIX[MovementKind.ISSUE], now)
        kind = MovementKind.ISSUE if qty < 0 else MovementKind.RETURN
        cost = session.execute(select(P.c.unit_cost).where(P.c.id == line["part_id"])).scalar()
        entry = entry_of(doc, len(rows) + 1)
        rows.append({
            "entry": entry, "doc_no": doc, "line_no": len(rows) + 1, "part_id": line["part_id"],
            "warehouse_id": vans[eng], "at": now, "kind": str(kind), "qty": qty,
            "unit_cost": cost, "ticket_id": ticket.id, "reference": ticket.ticket_no,
            "requested_at": ticket.received_at if kind is MovementKind.ISSUE else None,
            "user_id": user_id, "note": f"服务报告配件 行{line['line_no']}",
        })  # fmt: skip
        if "id" in line and kind is MovementKind.ISSUE and line.get("movement_id") is None:
            links.append((int(line["id"]), entry))
    if not rows:
        return
    apply(session, STOCK_ADAPTER, inserts=rows, now=now, user_id=user_id)
    if links:
        TP = TicketPart.__table__
        ids = dict(session.execute(select(M.c.entry, M.c.id).where(M.c.doc_no == doc)).all())
        for line_id, entry in links:
            session.execute(update(TP).where(TP.c.id == line_id).values(movement_id=ids[entry]))


def return_for_deleted_lines(
    session: Session, deleted: Sequence[dict[str, Any]], *, now: dt.datetime, user_id: int | None
) -> str | None:
    """Report part lines deleted after they were issued: their quantity goes back into
    the warehouse it left (a return movement per line, one document), in the deleting
    transaction, so the van never shows a part the ticket no longer uses. Returns the
    document number (None when no deleted line had been issued)."""
    issued = [r for r in deleted if r.get("movement_id") is not None and r.get("part_id")]
    if not issued:
        return None
    moves = {
        r.id: r
        for r in session.execute(
            select(M.c.id, M.c.warehouse_id, M.c.unit_cost, M.c.ticket_id, M.c.reference).where(
                M.c.id.in_(sorted({int(r["movement_id"]) for r in issued}))
            )
        )
    }
    doc = next_doc_no(session, PREFIX[MovementKind.RETURN], now)
    rows = []
    for line in issued:
        move = moves[int(line["movement_id"])]
        rows.append({
            "entry": entry_of(doc, len(rows) + 1), "doc_no": doc, "line_no": len(rows) + 1,
            "part_id": line["part_id"], "warehouse_id": move.warehouse_id, "at": now,
            "kind": str(MovementKind.RETURN), "qty": int(line["qty"]),
            "unit_cost": move.unit_cost, "ticket_id": move.ticket_id,
            "reference": move.reference, "user_id": user_id,
            "note": f"服务报告配件删除 行{line['line_no']}",
        })  # fmt: skip
    apply(session, STOCK_ADAPTER, inserts=rows, now=now, user_id=user_id)
    return doc
