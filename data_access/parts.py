"""Spare parts in the database: stock documents posted through the one write path,
cancellation by reversing rows, and the reads the parts page shows.

Every ledger write — a document posted here, a grid save, an import and its undo —
goes through :func:`data_access.registers.save_changes` / the import engine, whose
``after_write`` hook (:mod:`data_access.parts_register`: written and undone movements) moves
``stock_balances`` and ``parts.on_hand`` and refuses a write that leaves a balance below
zero on its date or any later date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.models import (
    Part,
    ReorderSuggestion,
    StockBalance,
    StockMovement,
    Ticket,
    TicketPart,
    User,
    Warehouse,
)
from data_access.parts_register import PREFIX, STOCK_ADAPTER, next_doc_no, van_id
from data_access.reads import _filter_clauses
from data_access.registers import save_changes
from data_access.writes import apply
from rules.access import Acting, Page, Role, can_edit, can_view
from rules.fields import Problem
from rules.parts import (
    KEY_PART_HOURS,
    LIVE_SUGGESTIONS,
    SOURCING_HOURS,
    MovementKind,
    SuggestionStatus,
    WarehouseKind,
    entry_of,
    hours_between,
    moving_average,
    reorder,
    share_within,
)
from rules.tickets import OPEN

M = StockMovement.__table__
B = StockBalance.__table__
P = Part.__table__
W = Warehouse.__table__


# ---------------------------------------------------------------- documents
@dataclass(frozen=True)
class Line:
    part_no: str
    qty: int  # unsigned: the document's kind gives the sign
    unit_cost: Decimal | None = None


def _require_edit(actor: Acting) -> None:
    if not can_edit(actor.role, Page.PARTS) and actor.role != "system":
        raise NotAllowed("edit", "stock")


def _post(session: Session, rows: list[dict[str, Any]], actor: Acting, now: dt.datetime) -> str:
    done = save_changes(
        session, "stock", inserts=rows, updates=[], deletes=[], actor=actor, now=now
    )
    if done.problems:
        raise InvalidInput(list(done.problems))
    return rows[0]["entry"].rsplit("/", 1)[0]


def _positive(lines: Sequence[Line]) -> None:
    bad = [
        Problem("qty", "parts.err.qty_positive", {}, i) for i, ln in enumerate(lines) if ln.qty <= 0
    ]
    if bad:
        raise InvalidInput(bad)


def post_document(
    session: Session,
    kind: MovementKind | str,
    warehouse: str,
    lines: Sequence[Line],
    *,
    at: dt.datetime,
    actor: Acting,
    now: dt.datetime,
    to_warehouse: str | None = None,
    doc_no: str | None = None,
    supplier: str | None = None,
    reference: str | None = None,
    ticket: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    user: str | None = None,
) -> str:
    """Post one stock document (receipt, issue, return, transfer, scrap, loan …) as
    ledger rows through the register's write path; returns its document number.

    Quantities are given unsigned; a transfer is one document with two rows per part
    (out of ``warehouse``, into ``to_warehouse``). Raises :class:`InvalidInput` for
    bad lines, :class:`Refused` for a shortfall or a transfer into the same warehouse.
    """
    _require_edit(actor)
    kind = MovementKind(kind)
    _positive(lines)
    if kind is MovementKind.TRANSFER and (to_warehouse is None or to_warehouse == warehouse):
        raise Refused("parts.err.same_warehouse", doc=doc_no or "")
    doc = doc_no or next_doc_no(session, PREFIX[kind], at)
    sign = -1 if kind in (MovementKind.ISSUE, MovementKind.SCRAP, MovementKind.LOAN) else 1
    if kind is MovementKind.TRANSFER:
        sign = -1
    common = {
        "at": at,
        "kind": str(kind),
        "supplier": supplier,
        "reference": reference,
        "ticket": ticket,
        "reason": reason,
        "note": note,
        "user": user,
    }
    rows: list[dict[str, Any]] = []
    for ln in lines:
        base = {**common, "part_no": ln.part_no, "unit_cost": ln.unit_cost}
        rows.append({**base, "entry": entry_of(doc, len(rows) + 1), "warehouse": warehouse,
                     "qty": sign * ln.qty})  # fmt: skip
        if kind is MovementKind.TRANSFER:
            rows.append({**base, "entry": entry_of(doc, len(rows) + 1),
                         "warehouse": to_warehouse, "qty": ln.qty})  # fmt: skip
    return _post(session, rows, actor, now)


def cancel_document(
    session: Session, doc_no: str, *, actor: Acting, now: dt.datetime, at: dt.datetime | None = None
) -> str:
    """Cancel a posted document: a reversing document ``<doc>-R`` whose rows undo each
    of its rows (same date unless ``at``); nothing posted is changed."""
    _require_edit(actor)
    rows = _document_rows(session, doc_no)
    if not rows:
        raise Refused("parts.err.no_document", value=doc_no)
    rev = f"{doc_no}-R"
    taken = session.execute(select(M.c.id).where(M.c.doc_no == rev).limit(1)).first()
    if taken is not None:
        raise Refused("parts.err.already_cancelled", value=doc_no)
    inserts = [
        {
            "entry": entry_of(rev, k + 1),
            "at": at or r["at"],
            "kind": r["kind"],
            "part_no": r["part_no"],
            "warehouse": r["warehouse"],
            "qty": -r["qty"],
            "unit_cost": r["unit_cost"],
            "reference": r["reference"],
            "ticket": r["ticket"],
            "reason": r["reason"],
            "reverses": doc_no,
            "note": r["note"],
        }
        for k, r in enumerate(rows)
    ]
    return _post(session, inserts, actor, now)


def _document_rows(session: Session, doc_no: str) -> list[dict[str, Any]]:
    T = Ticket.__table__
    query = (
        select(
            M.c.at, M.c.kind, P.c.part_no, W.c.code.label("warehouse"), M.c.qty, M.c.unit_cost,
            M.c.reference, T.c.ticket_no.label("ticket"), M.c.reason, M.c.note,
        )
        .select_from(M.join(P, P.c.id == M.c.part_id).join(W, W.c.id == M.c.warehouse_id)
                     .outerjoin(T, T.c.id == M.c.ticket_id))
        .where(M.c.doc_no == doc_no)
        .order_by(M.c.line_no)
    )  # fmt: skip
    return [dict(r) for r in session.execute(query).mappings()]


# ---------------------------------------------------------------- who sees what
def visible_warehouse_ids(session: Session, actor: Acting) -> list[int] | None:
    """None: every warehouse (parts keeper, manager, admin); an engineer: their vans."""
    if not can_view(actor.role, Page.PARTS):
        raise NotAllowed("view", "parts")
    if actor.role == Role.ENGINEER:
        query = select(W.c.id).where(W.c.user_id == actor.id, W.c.kind == WarehouseKind.VAN)
        return list(session.execute(query).scalars())
    return None


def warehouses(session: Session, actor: Acting) -> list[dict[str, Any]]:
    ids = visible_warehouse_ids(session, actor)
    query = select(W.c.id, W.c.code, W.c.name, W.c.kind, W.c.user_id, W.c.active).order_by(W.c.code)
    if ids is not None:
        query = query.where(W.c.id.in_(ids))
    return [dict(r) for r in session.execute(query).mappings()]


# ---------------------------------------------------------------- stock reads
def stock_by_warehouse(
    session: Session,
    actor: Acting,
    *,
    warehouse: str | None = None,
    below_reorder: bool = False,
    key_only: bool = False,
    idle_days: int | None = None,
    now: dt.datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """On hand per part and warehouse (the balance table), with the part's figures;
    ``limit``/``offset`` page it (:func:`stock_count` counts the same rows)."""
    query = _stock_query(session, actor, warehouse, below_reorder, key_only, idle_days, now)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [dict(r) for r in session.execute(query).mappings()]


def stock_count(session: Session, actor: Acting, **filters: Any) -> int:
    """How many rows :func:`stock_by_warehouse` gives for the same filters: a count of
    balance rows, joined to the parts only when a filter reads them (no sort)."""
    query = _stock_query(
        session,
        actor,
        filters.get("warehouse"),
        filters.get("below_reorder", False),
        filters.get("key_only", False),
        filters.get("idle_days"),
        filters.get("now"),
        count=True,
    )
    return int(session.execute(query).scalar_one())


def _stock_query(session, actor, warehouse, below_reorder, key_only, idle_days, now, count=False):
    ids = visible_warehouse_ids(session, actor)
    if count:
        joined = B.join(P, P.c.id == B.c.part_id) if below_reorder or key_only else B
        query = select(func.count()).select_from(joined)
    else:
        query = (
            select(
                P.c.part_no, P.c.name, W.c.code.label("warehouse"), B.c.qty, P.c.reorder_point,
                P.c.reorder_qty, P.c.is_key, P.c.unit_cost, P.c.bin,
            )
            .select_from(B.join(P, P.c.id == B.c.part_id).join(W, W.c.id == B.c.warehouse_id))
            .order_by(W.c.code, P.c.part_no)
        )  # fmt: skip
    if ids is not None:
        query = query.where(B.c.warehouse_id.in_(ids))
    if warehouse:
        query = query.where(
            B.c.warehouse_id == select(W.c.id).where(W.c.code == warehouse).scalar_subquery()
        )
    if below_reorder:
        query = query.where(B.c.qty <= P.c.reorder_point)
    if key_only:
        query = query.where(P.c.is_key.is_(True))
    if idle_days is not None and now is not None:
        since = now - dt.timedelta(days=idle_days)
        moved = select(M.c.id).where(
            M.c.part_id == B.c.part_id, M.c.warehouse_id == B.c.warehouse_id, M.c.at >= since
        )
        query = query.where(~moved.exists())
    return query


def ledger_page(
    session: Session,
    actor: Acting,
    *,
    filters: dict[str, Any] | None = None,
    search: str | None = None,
    before: int | None = None,
    limit: int = 50,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """One keyset page of the stock ledger, the latest entered first: the rows with an
    id below ``before`` (the last row's id of the page before; None: the first page).
    ``filters``/``search`` as the register grid and the ledger export read them, so the
    page shows what the export holds. Never counts or skips the ledger: each page walks
    the row ids down from ``before`` and stops after ``limit`` rows."""
    ids = visible_warehouse_ids(session, actor)
    T = Ticket.__table__
    clauses = _filter_clauses(STOCK_ADAPTER, filters, search, today or dt.date.today())
    query = (
        select(M.c.id, M.c.at, M.c.entry, M.c.kind, P.c.part_no, P.c.name,
               W.c.code.label("warehouse"), M.c.qty, M.c.unit_cost, M.c.supplier,
               M.c.reference, T.c.ticket_no.label("ticket"), M.c.reason, M.c.reverses, M.c.note)
        .select_from(M.join(P, P.c.id == M.c.part_id).join(W, W.c.id == M.c.warehouse_id)
                     .outerjoin(T, T.c.id == M.c.ticket_id))
        .where(*clauses)
        .order_by(M.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    if ids is not None:
        query = query.where(M.c.warehouse_id.in_(ids))
    if before is not None:
        query = query.where(M.c.id < before)
    return [dict(r) for r in session.execute(query).mappings()]


def ledger_sums(session: Session) -> dict[tuple[int, int], int]:
    query = select(M.c.part_id, M.c.warehouse_id, func.sum(M.c.qty)).group_by(
        M.c.part_id, M.c.warehouse_id
    )
    return {(p, w): int(q) for p, w, q in session.execute(query)}


def balance_table(session: Session) -> dict[tuple[int, int], int]:
    return {
        (p, w): int(q)
        for p, w, q in session.execute(select(B.c.part_id, B.c.warehouse_id, B.c.qty))
    }


def balances_agree(session: Session) -> bool:
    """The balance table and ``parts.on_hand`` equal the ledger sums (zero rows aside)."""
    sums = {k: v for k, v in ledger_sums(session).items() if v}
    table = {k: v for k, v in balance_table(session).items() if v}
    per_part: dict[int, int] = defaultdict(int)
    for (p, _), q in sums.items():
        per_part[p] += q
    on_hand = {p: q for p, q in session.execute(select(P.c.id, P.c.on_hand)) if q}
    return sums == table and dict(per_part) == on_hand


def part_card(
    session: Session,
    part_no: str,
    actor: Acting,
    *,
    after: tuple[dt.datetime, int] | None = None,
    limit: int = 50,
) -> dict[str, Any] | None:
    """A part, its balances, moving-average cost and one keyset page of its ledger
    (newest first; pass the last row's ``(at, id)`` as ``after`` for the next page)."""
    ids = visible_warehouse_ids(session, actor)
    part = session.execute(select(P).where(P.c.part_no == part_no)).mappings().first()
    if part is None:
        return None
    pid = part["id"]
    where = [M.c.part_id == pid]
    if ids is not None:
        where.append(M.c.warehouse_id.in_(ids))
    page_q = (
        select(M.c.id, M.c.at, M.c.entry, M.c.kind, W.c.code.label("warehouse"), M.c.qty,
               M.c.unit_cost, M.c.reference, M.c.note)
        .select_from(M.join(W, W.c.id == M.c.warehouse_id))
        .where(*where)
        .order_by(M.c.at.desc(), M.c.id.desc())
        .limit(limit)
    )  # fmt: skip
    if after is not None:
        at, mid = after
        page_q = page_q.where(or_(M.c.at < at, and_(M.c.at == at, M.c.id < mid)))
    ledger = [dict(r) for r in session.execute(page_q).mappings()]
    bal_q = (
        select(W.c.code, B.c.qty)
        .select_from(B.join(W, W.c.id == B.c.warehouse_id))
        .where(B.c.part_id == pid)
        .order_by(W.c.code)
    )
    if ids is not None:
        bal_q = bal_q.where(B.c.warehouse_id.in_(ids))
    balances = {code: int(q) for code, q in session.execute(bal_q)}
    return {"part": dict(part), "balances": balances, "ledger": ledger,
            "cost": part_cost(session, pid)}  # fmt: skip


def card_stamp(session: Session, part_no: str) -> tuple[int, int, int | None] | None:
    """What a part's card depends on, in one indexed read: the master row's version,
    the number of its ledger rows and the last row's id (a posting adds a row; an undo
    removes some; the ledger changes no row). None: no such part."""
    part = session.execute(select(P.c.id, P.c.version).where(P.c.part_no == part_no)).first()
    if part is None:
        return None
    n, last = session.execute(
        select(func.count(), func.max(M.c.id)).where(M.c.part_id == part.id)
    ).one()
    return (int(part.version), int(n), last)


def balance_series(session: Session, part_no: str, actor: Acting) -> list[dict[str, Any]]:
    """The part's balance at the end of each day it moved (the visible warehouses)."""
    ids = visible_warehouse_ids(session, actor)
    day = func.date(M.c.at)
    query = (
        select(day.label("day"), func.sum(M.c.qty))
        .select_from(M.join(P, P.c.id == M.c.part_id))
        .where(P.c.part_no == part_no)
        .group_by(day)
        .order_by(day)
    )
    if ids is not None:
        query = query.where(M.c.warehouse_id.in_(ids))
    out, running = [], 0
    for d, q in session.execute(query):
        running += int(q)
        out.append({"day": str(d), "on_hand": running})
    return out


def part_cost(session: Session, part_id: int):
    """Moving-average cost of one part over its whole ledger (valued warehouses)."""
    query = (
        select(M.c.kind, M.c.qty, M.c.unit_cost)
        .select_from(M.join(W, W.c.id == M.c.warehouse_id))
        .where(M.c.part_id == part_id, W.c.kind != WarehouseKind.FAULTY)
        .order_by(M.c.at, M.c.id)
    )
    return moving_average((k, int(q), c) for k, q, c in session.execute(query))


def stock_value(session: Session, actor: Acting) -> dict[str, Decimal]:
    """Stock value per warehouse: on hand × the part's moving-average cost."""
    costs: dict[int, Decimal] = {}
    ids = visible_warehouse_ids(session, actor)
    query = select(B.c.part_id, W.c.code, W.c.kind, B.c.qty).select_from(
        B.join(W, W.c.id == B.c.warehouse_id)
    )
    if ids is not None:
        query = query.where(B.c.warehouse_id.in_(ids))
    out: dict[str, Decimal] = defaultdict(Decimal)
    for pid, code, kind, qty in session.execute(query):
        if kind == WarehouseKind.FAULTY or qty <= 0:
            out[code] += Decimal("0")
            continue
        if pid not in costs:
            costs[pid] = part_cost(session, pid).avg_cost
        out[code] += (qty * costs[pid]).quantize(Decimal("0.01"))
    return dict(out)


def _receiving_store(session: Session) -> int | None:
    """The warehouse purchases arrive at: the first central store."""
    query = select(W.c.id).where(W.c.kind == WarehouseKind.CENTRAL, W.c.active.is_(True))
    return session.execute(query.order_by(W.c.code).limit(1)).scalar()


def reorder_figures(session: Session) -> list[dict[str, Any]]:
    """Per active part with a reorder point: on hand (valued warehouses), on order (the
    quantities of its ordered suggestions), reserved (catalogue lines of open tickets
    not issued yet) and what :func:`rules.parts.reorder` makes of them."""
    valued = select(W.c.id).where(W.c.kind != WarehouseKind.FAULTY)
    on_hand = (
        select(B.c.part_id, func.sum(B.c.qty).label("qty"))
        .where(B.c.warehouse_id.in_(valued))
        .group_by(B.c.part_id)
        .subquery()
    )
    S = ReorderSuggestion.__table__
    on_order = (
        select(S.c.part_id, func.sum(S.c.suggested).label("qty"))
        .where(S.c.status == SuggestionStatus.ORDERED)
        .group_by(S.c.part_id)
        .subquery()
    )
    TP, T = TicketPart.__table__, Ticket.__table__
    reserved = (
        select(TP.c.part_id, func.sum(TP.c.qty).label("qty"))
        .join(T, T.c.id == TP.c.ticket_id)
        .where(TP.c.movement_id.is_(None), TP.c.part_id.is_not(None),
               T.c.status.in_(sorted(OPEN)))
        .group_by(TP.c.part_id)
        .subquery()
    )  # fmt: skip
    query = (
        select(P.c.id, P.c.part_no, P.c.name, P.c.reorder_point, P.c.reorder_qty, P.c.unit_cost,
               func.coalesce(on_hand.c.qty, 0).label("on_hand"),
               func.coalesce(on_order.c.qty, 0).label("on_order"),
               func.coalesce(reserved.c.qty, 0).label("reserved"))
        .select_from(
            P.outerjoin(on_hand, on_hand.c.part_id == P.c.id)
            .outerjoin(on_order, on_order.c.part_id == P.c.id)
            .outerjoin(reserved, reserved.c.part_id == P.c.id)
        )
        .where(P.c.active.is_(True), P.c.reorder_point > 0)
        .order_by(P.c.part_no)
    )  # fmt: skip
    out = []
    for r in session.execute(query).mappings():
        fig = reorder(int(r["on_hand"]), int(r["on_order"]), int(r["reserved"]),
                      int(r["reorder_point"]), int(r["reorder_qty"]))  # fmt: skip
        out.append({**dict(r), "projected": fig.projected, "alert": fig.alert,
                    "suggested": fig.qty})  # fmt: skip
    return out


def refresh_reorder(session: Session, now: dt.datetime) -> list[str]:
    """Store a suggestion for each part whose projected stock is at or below its reorder
    point and has none open or ordered (with the figures that triggered it); close the
    open ones whose part is back above the point before anything was ordered. Returns the
    part numbers newly suggested. Run by the ticker and the reorder tab's button."""
    store = _receiving_store(session)
    if store is None:
        return []
    S = ReorderSuggestion.__table__
    live = dict(
        session.execute(
            select(S.c.part_id, S.c.status).where(S.c.status.in_(sorted(LIVE_SUGGESTIONS)))
        ).all()
    )
    new_rows, cleared, suggested = [], [], []
    for fig in reorder_figures(session):
        status = live.get(fig["id"])
        if fig["alert"] and status is None:
            suggested.append(fig["part_no"])
            new_rows.append({
                "part_id": fig["id"], "warehouse_id": store, "status": SuggestionStatus.OPEN,
                **{k: int(fig[k]) for k in ("on_hand", "on_order", "reserved", "projected",
                                            "reorder_point", "reorder_qty", "suggested")},
                "version": 1, "created_at": now, "updated_at": now,
            })  # fmt: skip
        elif not fig["alert"] and status == SuggestionStatus.OPEN:
            cleared.append(fig["id"])
    if new_rows:
        session.execute(insert(S), new_rows)
    if cleared:
        session.execute(
            update(S)
            .where(S.c.part_id.in_(cleared), S.c.status == SuggestionStatus.OPEN)
            .values(status=SuggestionStatus.CLOSED, closed_at=now, updated_at=now,
                    version=S.c.version + 1)
        )  # fmt: skip
    return sorted(suggested)


def reorder_suggestions(
    session: Session, actor: Acting, *, live_only: bool = True
) -> list[dict[str, Any]]:
    """The stored suggestions (open and ordered first, newest first) with the part, in
    the purchase list's columns, plus status, purchase ref and dates."""
    visible_warehouse_ids(session, actor)
    S = ReorderSuggestion.__table__
    query = (
        select(S.c.id, S.c.version, S.c.status, P.c.part_no, P.c.name, S.c.on_hand,
               S.c.on_order, S.c.reserved, S.c.projected, S.c.reorder_point, S.c.reorder_qty,
               S.c.suggested, P.c.unit_cost, W.c.code.label("warehouse"), S.c.purchase_ref,
               S.c.created_at, S.c.ordered_at, S.c.closed_at, S.c.closed_doc)
        .join(P, P.c.id == S.c.part_id)
        .join(W, W.c.id == S.c.warehouse_id)
        .order_by(S.c.status.in_(sorted(LIVE_SUGGESTIONS)).desc(), S.c.created_at.desc(),
                  P.c.part_no)
    )  # fmt: skip
    if live_only:
        query = query.where(S.c.status.in_(sorted(LIVE_SUGGESTIONS)))
    return [dict(r) for r in session.execute(query.limit(2000)).mappings()]


def mark_ordered(
    session: Session, part_no: str, purchase_ref: str, *, actor: Acting, now: dt.datetime
) -> None:
    """The part's open suggestion is ordered under ``purchase_ref`` (the purchase order
    no.): its quantity now counts as on order."""
    _require_edit(actor)
    ref = (purchase_ref or "").strip()
    if not ref:
        raise InvalidInput([Problem("purchase_ref", "err.required")])
    S = ReorderSuggestion.__table__
    done = session.execute(
        update(S)
        .where(S.c.part_id == select(P.c.id).where(P.c.part_no == part_no).scalar_subquery(),
               S.c.status == SuggestionStatus.OPEN)
        .values(status=SuggestionStatus.ORDERED, purchase_ref=ref[:100], ordered_at=now,
                ordered_by_id=actor.id, updated_at=now, version=S.c.version + 1)
    )  # fmt: skip
    if done.rowcount != 1:
        raise Refused("parts.err.no_open_suggestion", value=part_no)


def availability(session: Session) -> dict[str, Any]:
    """Hours from request to issue for issues linked to a ticket (request = the row's
    ``requested_at``, else the ticket's receipt) and the shares the dashboard reads:
    key parts issued within 72 h, other parts within 48 h."""
    T = Ticket.__table__
    query = (
        select(M.c.at, func.coalesce(M.c.requested_at, T.c.received_at), P.c.is_key)
        .select_from(M.join(T, T.c.id == M.c.ticket_id).join(P, P.c.id == M.c.part_id))
        .where(M.c.kind == MovementKind.ISSUE, M.c.reverses.is_(None))
    )
    key, other = [], []
    for at, asked, is_key in session.execute(query):
        if asked is None:
            continue
        (key if is_key else other).append(hours_between(asked, at))
    return {
        "issues": len(key) + len(other),
        "key_within_72h": share_within(key, KEY_PART_HOURS),
        "sourced_within_48h": share_within(other, SOURCING_HOURS),
    }


def van_of(session: Session, user_id: int) -> str | None:
    query = select(W.c.code).where(W.c.user_id == user_id, W.c.kind == WarehouseKind.VAN)
    return session.execute(query.order_by(W.c.code).limit(1)).scalar()


def user_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.execute(select(User.__table__.c.username).where(User.id == user_id)).scalar()


def document_nos(rows: Iterable[dict[str, Any]]) -> list[str]:
    return sorted({r["doc_no"] for r in rows})


# ---------------------------------------------------------------- an engineer's parts
def engineer_parts(session: Session, engineer_id: int) -> list[dict[str, Any]]:
    """The part lines on an engineer's open tickets beside what his van holds of each
    part: ``issued`` lines left the van already; ``short`` ones are not issued yet and
    the van holds fewer than they need (what to pick up from the store); a
    ``non_catalogue`` line (目录外) is never short: no store holds it."""
    T, TP, B = Ticket.__table__, TicketPart.__table__, StockBalance.__table__
    van = van_id(session, engineer_id)
    on_van = func.coalesce(B.c.qty, 0).label("on_van")
    query = (
        select(T.c.ticket_no, T.c.status, TP.c.line_no, TP.c.part_no, TP.c.description,
               TP.c.qty, TP.c.movement_id, TP.c.non_catalogue, on_van)
        .select_from(
            TP.join(T, T.c.id == TP.c.ticket_id).outerjoin(
                B, and_(B.c.part_id == TP.c.part_id, B.c.warehouse_id == (van or -1))
            )
        )
        .where(T.c.engineer_id == engineer_id, T.c.status.in_(sorted(OPEN)))
        .order_by(T.c.received_at, T.c.id, TP.c.line_no)
    )  # fmt: skip
    out = []
    for r in session.execute(query).mappings():
        issued = r["movement_id"] is not None
        outside = bool(r["non_catalogue"])  # never in stock: nothing to pick up
        out.append({
            "ticket_no": r["ticket_no"], "status": r["status"], "line_no": r["line_no"],
            "part_no": r["part_no"], "description": r["description"], "qty": r["qty"],
            "issued": issued, "on_van": int(r["on_van"]), "non_catalogue": outside,
            "short": not issued and not outside and int(r["on_van"]) < r["qty"],
        })  # fmt: skip
    return out


# ---------------------------------------------------------------- issue to a visit
def issue_for_visit(
    session: Session,
    visit_id: int,
    visit_no: str,
    engineer_id: int | None,
    lines: Sequence[Line],
    *,
    at: dt.datetime,
    now: dt.datetime,
    user_id: int | None,
) -> str | None:
    """The parts used on a maintenance visit as one issue document from its engineer's
    van stock, each row carrying the visit, in the visit's transaction; returns the
    document number (None for no lines). Unknown parts are reported by line; a visit
    without an engineer or an engineer without a van is refused by name (the parts
    keeper then issues from a store with the visit number); a shortfall refuses the
    whole write."""
    lines = [ln for ln in lines if (ln.part_no or "").strip()]
    if not lines:
        return None
    _positive(lines)
    wanted = sorted({ln.part_no.strip() for ln in lines})
    found = {
        r.part_no: r
        for r in session.execute(
            select(P.c.part_no, P.c.id, P.c.unit_cost).where(P.c.part_no.in_(wanted))
        )
    }
    unknown = [
        Problem("part_no", "parts.err.unknown_part", {"value": ln.part_no}, i + 1, ln.part_no)
        for i, ln in enumerate(lines)
        if ln.part_no.strip() not in found
    ]
    if unknown:
        raise InvalidInput(unknown)
    van = van_id(session, engineer_id)
    if van is None:
        raise Refused("parts.err.no_van", value=user_name(session, engineer_id) or visit_no)
    doc = next_doc_no(session, PREFIX[MovementKind.ISSUE], at)
    rows = []
    for i, ln in enumerate(lines, start=1):
        part = found[ln.part_no.strip()]
        rows.append({
            "entry": entry_of(doc, i), "doc_no": doc, "line_no": i, "part_id": part.id,
            "warehouse_id": van, "at": at, "kind": str(MovementKind.ISSUE), "qty": -ln.qty,
            "unit_cost": part.unit_cost, "visit_id": visit_id, "reference": visit_no,
            "user_id": user_id, "note": f"保养用件 {visit_no}",
        })  # fmt: skip
    apply(session, STOCK_ADAPTER, inserts=rows, now=now, user_id=user_id)
    return doc


def visit_parts(session: Session, visit_id: int) -> list[dict[str, Any]]:
    """The parts a visit used: its ledger rows (issues, and any reversal), by entry."""
    query = (
        select(M.c.doc_no, M.c.line_no, P.c.part_no, P.c.name, M.c.qty, M.c.at)
        .select_from(M.join(P, P.c.id == M.c.part_id))
        .where(M.c.visit_id == visit_id)
        .order_by(M.c.at, M.c.doc_no, M.c.line_no)
    )
    return [dict(r._mapping) for r in session.execute(query)]
