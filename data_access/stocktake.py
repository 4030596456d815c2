"""Stock-take (盘点) as a document: book quantities frozen at a snapshot, counts
recorded from the count sheet (blank = not counted), rows whose ledger moved after the
snapshot flagged for a choice, approval posting the adjustments through the stock
register in one transaction, and the report of book, counted, difference and value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data_access.errors import InvalidInput, Refused
from data_access.models import (
    Part,
    StockBalance,
    StockMovement,
    StockTake,
    StockTakeLine,
    Warehouse,
)
from data_access.parts import _post, _require_edit, visible_warehouse_ids
from data_access.parts_register import next_doc_no
from rules.access import Acting
from rules.fields import Problem
from rules.parts import MovementKind, StockTakeStatus, TakeChoice, entry_of, take_adjustment

M, B, P, W = (StockMovement.__table__, StockBalance.__table__, Part.__table__,
              Warehouse.__table__)  # fmt: skip
ST, SL = StockTake.__table__, StockTakeLine.__table__


@dataclass(frozen=True)
class Count:
    """One row read back from a count sheet (``row`` is the sheet's row number)."""

    row: int
    take_no: str | None
    warehouse: str | None
    part_no: str | None
    book: Any
    counted: Any


def create_take(
    session: Session,
    warehouses: Sequence[str],
    *,
    actor: Acting,
    now: dt.datetime,
    part_nos: Sequence[str] | None = None,
) -> str:
    """A new open stock-take of ``warehouses`` (and ``part_nos``, else every active
    part): one line per part and warehouse with the book quantity as of now."""
    _require_edit(actor)
    stem = f"PD-{now:%Y%m}-"
    last = session.execute(select(func.max(ST.c.take_no)).where(ST.c.take_no.like(f"{stem}%")))
    last_no = last.scalar()
    n = int(last_no[len(stem) :]) + 1 if last_no and last_no[len(stem) :].isdigit() else 1
    take_no = f"{stem}{n:02d}"
    houses = dict(session.execute(select(W.c.code, W.c.id).where(W.c.code.in_(warehouses))).all())
    missing = [c for c in warehouses if c not in houses]
    if missing:
        raise Refused("parts.err.unknown_warehouse", value=", ".join(missing))
    parts_q = select(P.c.part_no, P.c.id).where(P.c.active.is_(True))
    if part_nos:
        parts_q = select(P.c.part_no, P.c.id).where(P.c.part_no.in_(part_nos))
    parts = dict(session.execute(parts_q.order_by(P.c.part_no)).all())
    if part_nos and len(parts) != len(set(part_nos)):
        unknown = sorted(set(part_nos) - parts.keys())
        raise Refused("parts.err.unknown_part", value=", ".join(unknown))
    take_id = session.execute(
        ST.insert()
        .values(take_no=take_no, day=now.date(), status=StockTakeStatus.OPEN,
                user_id=actor.id, snapshot_at=now, version=1, created_at=now, updated_at=now)
        .returning(ST.c.id)
    ).scalar_one()  # fmt: skip
    books = {
        (p, w): q
        for p, w, q in session.execute(
            select(B.c.part_id, B.c.warehouse_id, B.c.qty).where(
                B.c.warehouse_id.in_(houses.values())
            )
        )
    }
    rows = [
        {"take_id": take_id, "part_id": pid, "warehouse_id": wid,
         "book_qty": books.get((pid, wid), 0), "counted_qty": None, "version": 1,
         "created_at": now, "updated_at": now}
        for wid in houses.values()
        for pid in parts.values()
    ]  # fmt: skip
    if rows:
        session.execute(SL.insert(), rows)
    return take_no


def _take(session: Session, take_no: str) -> dict[str, Any]:
    take = session.execute(select(ST).where(ST.c.take_no == take_no)).mappings().first()
    if take is None:
        raise Refused("parts.err.no_document", value=take_no)
    return dict(take)


def take_lines(session: Session, take_no: str, actor: Acting) -> list[dict[str, Any]]:
    """The take's lines with book, counted, the book now, whether the ledger moved
    after the snapshot, the difference and its value at the part's unit cost."""
    ids = visible_warehouse_ids(session, actor)
    take = _take(session, take_no)
    moved = (
        select(func.count())
        .where(
            M.c.part_id == SL.c.part_id,
            M.c.warehouse_id == SL.c.warehouse_id,
            M.c.created_at > take["snapshot_at"],
        )
        .scalar_subquery()
    )
    query = (
        select(SL.c.id, W.c.code.label("warehouse"), P.c.part_no, P.c.name, P.c.unit_cost,
               SL.c.book_qty, SL.c.counted_qty, func.coalesce(B.c.qty, 0).label("book_now"),
               moved.label("moved"))
        .select_from(SL.join(P, P.c.id == SL.c.part_id).join(W, W.c.id == SL.c.warehouse_id)
                     .outerjoin(B, (B.c.part_id == SL.c.part_id)
                                & (B.c.warehouse_id == SL.c.warehouse_id)))
        .where(SL.c.take_id == take["id"])
        .order_by(W.c.code, P.c.part_no)
    )  # fmt: skip
    if ids is not None:
        query = query.where(SL.c.warehouse_id.in_(ids))
    out = []
    for r in session.execute(query).mappings():
        row = dict(r)
        row["moved"] = bool(row["moved"])
        counted = row["counted_qty"]
        diff = None if counted is None else counted - row["book_qty"]
        row["diff"] = diff
        cost = row["unit_cost"] or Decimal("0")
        row["value"] = None if diff is None else (diff * cost).quantize(Decimal("0.01"))
        out.append(row)
    return out


def record_counts(
    session: Session, take_no: str, counts: Sequence[Count], *, actor: Acting, sheet: str
) -> int:
    """Counted quantities from a count sheet onto an open take: all or nothing.

    Refused with every problem by sheet/row/column (:class:`InvalidInput`): a sheet of
    another stock-take, an edited book quantity, an unknown row, a negative or
    non-whole count. Blank = not counted (the line keeps no count). Returns the number
    of counted rows recorded (rows with no difference too)."""
    _require_edit(actor)
    take = _take(session, take_no)
    if take["status"] != StockTakeStatus.OPEN:
        raise Refused("parts.err.take_posted", value=take_no)
    lines = {(r["warehouse"], r["part_no"]): r for r in take_lines(session, take_no, actor)}
    problems: list[Problem] = []
    writes: list[tuple[int, int]] = []

    def bad(c: Count, field: str, code: str, shown: Any = None, **params: Any) -> None:
        problems.append(Problem(field, code, params, c.row, shown, sheet))

    for c in counts:
        if c.take_no != take_no:
            bad(c, "take_no", "parts.err.take_other", c.take_no, found=c.take_no or "",
                expected=take_no)  # fmt: skip
            continue
        line = lines.get((c.warehouse, c.part_no))
        if line is None:
            bad(c, "part_no", "parts.err.unknown_part", c.part_no, value=c.part_no or "")
            continue
        if _whole(c.book) != line["book_qty"]:
            bad(c, "book", "parts.err.take_book_edited", c.book, expected=line["book_qty"])
            continue
        if c.counted is None or (isinstance(c.counted, str) and not c.counted.strip()):
            continue
        counted = _whole(c.counted)
        if counted is None:
            bad(c, "counted", "err.int", c.counted, value=c.counted)
        elif counted < 0:
            bad(c, "counted", "parts.err.counted_negative", c.counted)
        else:
            writes.append((line["id"], counted))
    if problems:
        raise InvalidInput(problems)
    for line_id, counted in writes:
        session.execute(
            update(SL).where(SL.c.id == line_id)
            .values(counted_qty=counted, version=SL.c.version + 1)
        )  # fmt: skip
    return len(writes)


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return None


def approve_take(
    session: Session,
    take_no: str,
    *,
    actor: Acting,
    now: dt.datetime,
    choices: Mapping[tuple[str, str], str] | None = None,
) -> str | None:
    """Post the take: one adjustment document (kind ``adjust``, dated now) through the
    stock register, for every counted line whose adjustment is not zero; the take is
    then posted. A line whose ledger moved after the snapshot needs a choice
    (``choices[(warehouse, part_no)]``: keep count / keep difference). Returns the
    adjustment document number (None when book = physical everywhere)."""
    _require_edit(actor)
    take = _take(session, take_no)
    if take["status"] != StockTakeStatus.OPEN:
        raise Refused("parts.err.take_posted", value=take_no)
    choices = choices or {}
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    doc: str | None = None
    for k, line in enumerate(take_lines(session, take_no, actor)):
        if line["counted_qty"] is None:
            continue
        choice = choices.get((line["warehouse"], line["part_no"]))
        if line["moved"] and choice is None:
            problems.append(Problem("choice", "parts.err.take_choice", {}, k, line["part_no"]))
            continue
        adjust = take_adjustment(line["book_qty"], line["counted_qty"], line["book_now"],
                                 choice or TakeChoice.KEEP_DIFFERENCE)  # fmt: skip
        if adjust == 0:
            continue
        doc = doc or next_doc_no(session, "PD", now)
        rows.append({"entry": entry_of(doc, len(rows) + 1), "at": now,
                     "kind": str(MovementKind.ADJUST), "part_no": line["part_no"],
                     "warehouse": line["warehouse"], "qty": adjust, "reference": take_no,
                     "note": "盘点差异调整"})  # fmt: skip
    if problems:
        raise InvalidInput(problems)
    if rows:  # the ledger rows name the take in their reference
        _post(session, rows, actor, now)
    session.execute(
        update(ST).where(ST.c.id == take["id"])
        .values(status=StockTakeStatus.POSTED, version=ST.c.version + 1, updated_at=now)
    )  # fmt: skip
    return doc


def takes(session: Session) -> list[dict[str, Any]]:
    """Stock-takes, newest first."""
    query = select(ST.c.take_no, ST.c.status, ST.c.snapshot_at).order_by(ST.c.take_no.desc())
    return [dict(r) for r in session.execute(query).mappings()]
