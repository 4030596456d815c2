"""Reading register rows: display pages and streamed exports, whole stored rows by id
or by natural key.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from data_access.adapters import Adapter
from data_access.bulk import MEMO_LIMIT, _chunks
from rules.fields import Kind

JSON_KEYS = 50_000  # keys per JSON list (SQLite): the memory of one list, not a limit of SQL


def _display_select(ad: Adapter):
    """SELECT of every stored field as display values (REF → referenced natural key),
    in :attr:`Adapter.selected` order after ``id`` and ``version``."""
    table = ad.table
    cols = [table.c.id, table.c.version]
    joined = table
    for f in ad.stored_fields():
        if f.name in ad.loose_refs:  # the matched row's key, else the text as typed
            target = ad.ref_target(f)
            alias = target.table.alias(f"ref_{f.name}")
            joined = joined.outerjoin(alias, alias.c.id == table.c[ad.column(f)])
            text = table.c[ad.loose_refs[f.name]]
            cols.append(func.coalesce(alias.c[target.keys[0]], text).label(f.name))
        elif f.kind is Kind.REF:
            target = ad.ref_target(f)
            alias = target.table.alias(f"ref_{f.name}")
            joined = joined.outerjoin(alias, alias.c.id == table.c[ad.column(f)])
            cols.append(alias.c[target.keys[0]].label(f.name))
        else:
            cols.append(table.c[f.name].label(f.name))
    if ad.satellite:
        side = ad.satellite.table.alias("side")
        joined = joined.outerjoin(side, side.c[ad.satellite.fk] == table.c.id)
        cols.extend(side.c[n].label(n) for n in ad.selected if n in ad.satellite.fields)
    shown = ad.selected[len(cols) - 2 :]  # computed fields the table stores
    cols.extend(table.c[n].label(n) for n in shown)
    return select(*cols).select_from(joined)


def _filter_clauses(
    ad: Adapter, filters: Mapping[str, Any] | None, search: str | None, today: dt.date
) -> list[ColumnElement[bool]]:
    table = ad.table
    clauses: list[ColumnElement[bool]] = []
    for name, wanted in (filters or {}).items():
        values = list(wanted) if isinstance(wanted, list | tuple | set | frozenset) else [wanted]
        f = ad.register.field(name)
        if f.computed:
            build = ad.computed_filters[name]
            clauses.append(or_(false(), *(build(table, v, today) for v in values)))
        elif f.kind is Kind.REF:
            target = ad.ref_target(f)
            ids = select(target.table.c.id).where(
                or_(*(target.table.c[k].in_(values) for k in target.keys))
            )
            clauses.append(table.c[ad.column(f)].in_(ids))
        elif f.kind in (Kind.TEXT, Kind.LONGTEXT) and isinstance(wanted, str):
            # one typed text: part of the value ("华东" finds "华东一区")
            clauses.append(table.c[name].icontains(wanted, autoescape=True))
        else:
            col = table.c[name]
            clauses.append(col == values[0] if len(values) == 1 else col.in_(values))
    if search:
        texts = [
            table.c[f.name].icontains(search, autoescape=True)
            for f in ad.stored_fields()
            if f.kind in (Kind.TEXT, Kind.LONGTEXT)
        ]
        clauses.append(or_(false(), *texts))
    return clauses


def _order(ad: Adapter, order_by: str | None, query):
    table = ad.table
    name, desc = (order_by or ad.register.key), False
    if name.startswith("-"):
        name, desc = name[1:], True
    ad.register.field(name)  # an unknown field raises KeyError
    # a field computed in Python keeps a stable order by the natural key
    col = query.selected_columns[name] if name in ad.selected else table.c[ad.key_column]
    order = [col.desc() if desc else col.asc(), table.c.id]
    if ad.parent is not None and not order_by:  # a document's lines together, in order
        order.insert(0, query.selected_columns[ad.parent.name])
    return query.order_by(*order)


def _with_computed(ad: Adapter, row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    out = dict(row)
    if ad.computed:
        out.update(ad.computed(out, today))
    return out


def list_page(
    session: Session,
    ad: Adapter,
    *,
    filters: dict | None = None,
    search: str | None = None,
    page: int = 1,
    page_size: int = 50,
    order_by: str | None = None,
    today: dt.date,
) -> tuple[list[dict], int]:
    """One page of display rows (plus ``id`` and ``version``) and the total count."""
    clauses = _filter_clauses(ad, filters, search, today)
    count = select(func.count()).select_from(ad.table).where(true(), *clauses)
    total = session.execute(count).scalar_one()
    query = _order(ad, order_by, _display_select(ad).where(true(), *clauses))
    query = query.limit(page_size).offset(max(0, page - 1) * page_size)
    rows = [_with_computed(ad, r, today) for r in session.execute(query).mappings()]
    return rows, total


def iter_rows(
    session: Session,
    ad: Adapter,
    *,
    filters: dict | None = None,
    search: str | None = None,
    order_by: str | None = None,
    today: dt.date,
    batch: int = 5000,
    where: Sequence[ColumnElement[bool]] = (),
) -> Iterator[tuple]:
    """Every matching display row as a tuple in ``register.fields`` order, streamed.

    For export: no per-row dicts, and computed values are worked out once per
    distinct value of the fields they depend on (``Adapter.computed_from``).
    ``where``: further conditions on the register's table (a page's own filters).
    """
    clauses = [*_filter_clauses(ad, filters, search, today), *where]
    query = _order(ad, order_by, _display_select(ad).where(true(), *clauses))
    result = session.execute(query.execution_options(yield_per=batch))
    stored = list(ad.selected)
    order = [f.name for f in ad.register.fields]
    names = [n for n in order if n not in stored]  # computed, in field order
    # a row is (id, version, *stored, *computed); pick the fields in order
    width = 2 + len(stored)
    slots = [2 + stored.index(n) if n in stored else width + names.index(n) for n in order]
    pick = None if slots == list(range(2, width + len(names))) else operator.itemgetter(*slots)
    if not names:
        for part in result.partitions():
            yield from (r[2:] for r in part) if pick is None else map(pick, part)
        return
    compute = _computed_values(ad, stored, names, today)
    for part in result.partitions():
        if pick is None:
            yield from (r[2:] + compute(r) for r in part)
        else:
            yield from (pick((*r, *compute(r))) for r in part)


def _computed_values(
    ad: Adapter, stored: list[str], names: list[str], today: dt.date
) -> Callable[[Sequence[Any]], tuple]:
    """Row → computed values; memoised on the columns they depend on when declared."""
    computed = ad.computed
    assert computed is not None

    def fresh(r: Sequence[Any]) -> tuple:
        got = computed(dict(zip(stored, r[2:], strict=True)), today)
        return tuple(got.get(n) for n in names)

    if not ad.computed_from:
        return fresh
    key = operator.itemgetter(*(2 + stored.index(n) for n in ad.computed_from))
    memo: dict[Any, tuple] = {}

    def cached(r: Sequence[Any]) -> tuple:
        k = key(r)
        hit = memo.get(k)
        if hit is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            hit = memo[k] = fresh(r)
        return hit

    return cached


def _row_select(ad: Adapter):
    """Whole stored rows, with the side table's fields when there is one."""
    table = ad.table
    if ad.satellite is None:
        return select(table)
    side = ad.satellite.table
    return select(table, *(side.c[n] for n in ad.satellite.fields)).select_from(
        table.outerjoin(side, side.c[ad.satellite.fk] == table.c.id)
    )


def fetch_by_ids(session: Session, ad: Adapter, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    table = ad.table
    out: dict[int, dict[str, Any]] = {}
    query = _row_select(ad)
    for part in _chunks(list(ids)):
        for row in session.execute(query.where(table.c.id.in_(part))).mappings():
            out[row["id"]] = dict(row)
    return out


def fetch_by_keys(session: Session, ad: Adapter, keys: Sequence[Any]) -> dict[Any, dict]:
    """Stored rows by natural key; for a lines register by (parent key, line key)."""
    if ad.parent is not None:
        return _lines_by_keys(session, ad, keys)
    table = ad.table
    key = table.c[ad.key_column]
    out: dict[Any, dict[str, Any]] = {}
    query = _row_select(ad)
    keys = list(keys)
    if session.get_bind().dialect.name == "sqlite" and all(k.__class__ is str for k in keys):
        # the keys as one JSON text: SQLAlchemy renders and binds an IN list of 5,000
        # values in Python (18,000 ledger keys: ~0.02 s against ~0.1 s for the lists)
        wanted = func.json_each(bindparam("b_keys", type_=String)).table_valued("value")
        query = query.where(key.in_(select(wanted.c.value)))
        for part in _chunks(keys, JSON_KEYS):
            found = session.execute(query, {"b_keys": json.dumps(part, ensure_ascii=False)})
            for row in found.mappings():
                out[row[ad.key_column]] = dict(row)
        return out
    for part in _chunks(keys):
        for row in session.execute(query.where(key.in_(part))).mappings():
            out[row[ad.key_column]] = dict(row)
    return out


def _lines_by_keys(session: Session, ad: Adapter, keys: Sequence[Any]) -> dict[Any, dict]:
    table = ad.table
    if ad.parent.kind is not Kind.REF:  # type: ignore[union-attr]
        return _pairs_by_keys(session, ad, keys)
    target = ad.ref_target(ad.parent)  # type: ignore[arg-type]
    parents = target.table.alias("parent")
    parent_key = parents.c[target.keys[0]]
    query = (
        _row_select(ad)
        .add_columns(parent_key.label("_parent_key"))
        .join(parents, parents.c.id == table.c[ad.column(ad.parent)])  # type: ignore[arg-type]
    )
    wanted = set(keys)
    out: dict[Any, dict[str, Any]] = {}
    for part in _chunks(sorted({k[0] for k in wanted})):
        for row in session.execute(query.where(parent_key.in_(part))).mappings():
            k = (row["_parent_key"], row[ad.key_column])
            if k in wanted:
                out[k] = {n: v for n, v in row.items() if n != "_parent_key"}
    return out


def _pairs_by_keys(session: Session, ad: Adapter, keys: Sequence[Any]) -> dict[Any, dict]:
    """Rows of a register keyed by two plain columns (an SLA policy's priority and
    customer grade): the key is the two column values."""
    table = ad.table
    first = ad.column(ad.parent)  # type: ignore[arg-type]
    wanted = set(keys)
    out: dict[Any, dict[str, Any]] = {}
    query = _row_select(ad)
    for part in _chunks(sorted({k[0] for k in wanted})):
        for row in session.execute(query.where(table.c[first].in_(part))).mappings():
            k = (row[first], row[ad.key_column])
            if k in wanted:
                out[k] = dict(row)
    return out


def ids_by_keys(session: Session, ad: Adapter, keys: Sequence[Any]) -> dict[Any, int]:
    """Row ids by key column value; for a lines register by (parent id, line key)."""
    table = ad.table
    key = table.c[ad.key_column]
    out: dict[Any, int] = {}
    if ad.parent is not None:
        parent = table.c[ad.column(ad.parent)]
        wanted = set(keys)
        for part in _chunks(sorted({k[0] for k in wanted})):
            query = select(parent, key, table.c.id).where(parent.in_(part))
            for p, k, row_id in session.execute(query):
                if (p, k) in wanted:
                    out[(p, k)] = row_id
        return out
    for part in _chunks(list(keys)):
        out.update(session.execute(select(key, table.c.id).where(key.in_(part))).all())
    return out


def lines_of(session: Session, ad: Adapter, parent_id: int) -> list[dict[str, Any]]:
    """A document's lines as display rows (plus ``id`` and ``version``), by line key."""
    table = ad.table
    parent = table.c[ad.column(ad.parent)]  # type: ignore[arg-type]
    query = _display_select(ad).where(parent == parent_id)
    query = query.order_by(table.c[ad.key_column], table.c.id)
    return [dict(r) for r in session.execute(query).mappings()]
