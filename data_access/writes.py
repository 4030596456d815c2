"""The one write path: :func:`apply` writes validated inserts, updates and deletes of
one register (grid save, import, undo and app commands alike), with the side table,
the domain's after-write hook, the audit trail (:func:`data_access.audit.append_rows`)
and, for imports, the undo journal (:mod:`data_access.journal`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data_access.adapters import Adapter, Batch, Deleted, Hooks, Restored, Written
from data_access.audit import append_rows
from data_access.bulk import Inserter, _chunks
from data_access.errors import ConflictError, LedgerError
from data_access.journal import Journal
from data_access.json_values import to_json
from data_access.models import Base
from data_access.reads import ids_by_keys
from data_access.validation import changed_columns


def referenced_ids(session: Session, table: Table, ids: Sequence[int]) -> set[int]:
    """Ids of ``table`` still referred to by a foreign key that would block deleting them."""
    blocked: set[int] = set()
    if not ids:
        return blocked
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            if (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                continue
            col = fk.parent
            for part in _chunks(list(ids)):
                query = select(col).where(col.in_(part)).distinct()
                blocked.update(session.execute(query).scalars())
    return blocked


def write_side(
    session: Session, ad: Adapter, items: Sequence[tuple[int, Mapping[str, Any]]], now: dt.datetime
) -> None:
    """Store the side-table fields of ``(row id, values)``: update the side rows that
    exist, insert the ones that do not (only where a value is given)."""
    sat = ad.satellite
    if sat is None:
        return
    given = [(i, {n: v[n] for n in sat.fields if n in v}) for i, v in items]
    given = [(i, vals) for i, vals in given if vals]
    if not given:
        return
    table, fk = sat.table, sat.table.c[sat.fk]
    have: set[int] = set()
    for part in _chunks([i for i, _ in given]):
        have.update(session.scalars(select(fk).where(fk.in_(part))))
    new = [
        {sat.fk: i, **dict.fromkeys(sat.fields), **vals, "version": 1}
        | {"created_at": now, "updated_at": now}
        for i, vals in given
        if i not in have and any(v is not None for v in vals.values())
    ]
    if new:
        session.execute(insert(table), new)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for i, vals in given:
        if i in have:
            groups.setdefault(tuple(sorted(vals)), []).append(
                {"b_fk": i, **{f"v_{n}": v for n, v in vals.items()}}
            )
    for cols, params in groups.items():
        stmt = (
            update(table)
            .where(fk == bindparam("b_fk"))
            .values(
                {
                    **{c: bindparam(f"v_{c}") for c in cols},
                    "version": table.c.version + 1,
                    "updated_at": now,
                }
            )
        )
        session.execute(stmt, params)


@dataclass(frozen=True)
class Applied:
    """What :func:`apply` wrote."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0


class Writer:
    """Writes validated rows of one register: the one write path.

    ``inserts`` are complete column values (as validation gives them), ``updates``
    ``(stored row, new values)`` pairs (only changed columns are written, each guarded
    by the row's version), ``deletes`` stored rows (guarded likewise). A stale row
    raises :class:`ConflictError` and the caller's transaction rolls back.

    - ``journal``: an import batch id; every written row is recorded for its undo.
    - ``audit_rows``: one audit row per written row (grid edits, commands); an import
      audits its batch instead.
    - ``undo``: the write restores an import: the hooks' ``after_write`` sees one
      :class:`Restored` (no ``before_write``), and a ledger accepts it (the undo
      reverses its own batch).

    Kept across the chunks of one import: the insert statement is compiled once.
    """

    def __init__(
        self,
        session: Session,
        ad: Adapter,
        *,
        now: dt.datetime,
        user_id: int | None,
        journal: int | None = None,
        audit_rows: bool = True,
        undo: bool = False,
    ):
        self.session, self.ad, self.now, self.user_id = session, ad, now, user_id
        self.journal = None if journal is None else Journal(session, ad.table, journal, now)
        self.audit_rows, self.undo = audit_rows, undo
        # one compiled INSERT per set of columns written (see _insert)
        self.inserters: dict[tuple[str, ...], Inserter] = {}
        self.after = type(ad.hooks).after_write is not Hooks.after_write

    def apply(
        self,
        inserts: Sequence[dict[str, Any]] = (),
        updates: Sequence[tuple[dict[str, Any], dict[str, Any]]] = (),
        deletes: Sequence[Mapping[str, Any]] = (),
        *,
        meanwhile: Callable[[], None] | None = None,
    ) -> Applied:
        """``meanwhile``: work that never touches the database, run while SQLite moves a
        large insert into its table (:class:`~data_access.bulk.Inserter`); it may not run
        at all — the caller checks."""
        ad = self.ad
        if ad.register.ledger and (updates or deletes) and not self.undo:
            raise LedgerError(ad.name)
        log: list[dict[str, Any]] = []
        hooks, session, now, user = ad.hooks, self.session, self.now, self.user_id
        if not self.undo and (inserts or updates):
            hooks.before_write(session, Batch(inserts, updates, now, user))
        if deletes:
            self._delete(deletes, log)
        updated = self._update(updates, log) if updates else []
        inserted = self._insert(inserts, log, meanwhile) if inserts else []
        if self.after and self.undo and (updated or deletes):
            hooks.after_write(session, Restored(updated, now, user, [dict(r) for r in deletes]))
        elif self.after and not self.undo:
            # deletes ran first, but a hook sees the writes first (the new state of the
            # rows that stay), then the deletes
            if inserted or updated:
                hooks.after_write(session, Written(inserted, updated, now, user))
            if deletes:
                hooks.after_write(session, Deleted([dict(r) for r in deletes], now, user))
        if self.audit_rows:
            append_rows(self.session, log, entity=ad.name, user_id=self.user_id, now=self.now)
        return Applied(len(inserts), len(updated), len(deletes))

    def _delete(self, rows: Sequence[Mapping[str, Any]], log: list[dict[str, Any]]) -> None:
        ad, table = self.ad, self.ad.table
        stmt = delete(table).where(
            table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version")
        )
        params = [{"b_id": int(r["id"]), "b_version": int(r["version"])} for r in rows]
        checked_many(self.session, ad, stmt, params)
        for r in rows:
            log.append({"key": row_key(ad, r), "action": "delete", "changes": _row_json(ad, r)})

    def _update(
        self, rows: Sequence[tuple[dict[str, Any], dict[str, Any]]], log: list[dict[str, Any]]
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        ad, table, now = self.ad, self.ad.table, self.now
        changed = [(b, d) for b, v in rows if (d := changed_columns(b, v))]
        groups: dict[tuple[str, ...], list[tuple[dict, dict]]] = {}
        for before, diff in changed:
            groups.setdefault(tuple(sorted(diff)), []).append((before, diff))
        side = set(ad.side_fields())
        journaled: list[tuple[dict, dict]] = []
        for cols, items in groups.items():
            own = [c for c in cols if c not in side]
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
                .values(
                    {
                        **{c: bindparam(f"v_{c}") for c in own},
                        "version": table.c.version + 1,
                        "updated_at": now,
                    }
                )
            )
            params = [
                {"b_id": b["id"], "b_version": b["version"], **{f"v_{c}": d[c] for c in own}}
                for b, d in items
            ]
            checked_many(self.session, ad, stmt, params)
            if side:
                write_side(self.session, ad, [(b["id"], d) for b, d in items], now)
            journaled.extend(items)
        if self.journal is not None:
            self.journal.updates(journaled)
        if self.audit_rows:
            for b, d in changed:
                log.append(
                    {
                        "key": row_key(ad, {**b, **d}),
                        "action": "update",
                        "changes": {k: [to_json(b.get(k)), to_json(v)] for k, v in d.items()},
                    }
                )
        return changed

    def _insert(
        self,
        rows: Sequence[dict[str, Any]],
        log: list[dict[str, Any]],
        meanwhile: Callable[[], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Insert rows column-wise; returns them with their ids when a side table or a
        hook needs them (else an empty list: no id lookup)."""
        session, ad, now, table = self.session, self.ad, self.now, self.ad.table
        n = len(rows)
        columns = _columns(rows, ad.insert_columns, ad)
        for name in _bare_columns(table):
            if name in columns and columns[name].count(None) == n:
                del columns[name]  # NULL all the same: no value to bind per row
        stamps = {"version": 1, "created_at": now, "updated_at": now}
        columns.update({c: [v] * n for c, v in stamps.items() if c in table.c})
        sqlite = session.get_bind().dialect.name == "sqlite"
        # SQLite: we hold the write lock, so every id above the old maximum is ours
        last = (session.execute(select(func.max(table.c.id))).scalar() or 0) if sqlite else 0
        names = tuple(columns)
        inserter = self.inserters.get(names)
        if inserter is None:
            inserter = self.inserters[names] = Inserter(session, table, list(names))
        wanted = bool(ad.satellite or (self.after and not self.undo))

        def numbered() -> list[dict[str, Any]]:  # the ids taken after the old maximum
            return [{**v, "id": i} for i, v in enumerate(rows, last + 1)]

        planned: list[list[dict[str, Any]]] = []

        def beside() -> None:
            if meanwhile is not None:
                meanwhile()
            if wanted and sqlite:
                planned.append(numbered())

        inserter(columns, beside if meanwhile is not None or (wanted and sqlite) else None)
        # SQLite: the write lock is ours, so the rows took the ids after the old maximum,
        # in order — unless some row came with its own id (then the ids are looked up)
        consecutive = False
        if sqlite and (self.journal is not None or wanted):
            consecutive = session.execute(select(func.max(table.c.id))).scalar() == last + n
        if self.journal is not None:
            if consecutive:
                self.journal.inserted_range(last + 1, last + n)
            else:
                keys = [column_key(ad, v) for v in rows]
                self.journal.inserts(ids_by_keys(session, ad, keys).values())
        if self.audit_rows:
            log.extend({"key": row_key(ad, v), "action": "insert", "changes": v} for v in rows)
        if not wanted:
            return []  # an undo inserts nothing, and Restored carries no inserted rows
        if consecutive:  # (made beside the move when it ran on a thread)
            written = planned[0] if planned else numbered()
        else:
            ids = ids_by_keys(session, ad, [column_key(ad, v) for v in rows])
            written = [{**v, "id": ids[column_key(ad, v)]} for v in rows]
        write_side(session, ad, [(v["id"], v) for v in written], now)
        return written


def apply(
    session: Session,
    ad: Adapter,
    *,
    inserts: Sequence[dict[str, Any]] = (),
    updates: Sequence[tuple[dict[str, Any], dict[str, Any]]] = (),
    deletes: Sequence[Mapping[str, Any]] = (),
    now: dt.datetime,
    user_id: int | None,
    audit_rows: bool = True,
) -> Applied:
    """One write of validated rows (see :class:`Writer`); the caller owns the transaction."""
    writer = Writer(session, ad, now=now, user_id=user_id, audit_rows=audit_rows)
    return writer.apply(inserts, updates, deletes)


def _columns(
    rows: Sequence[Mapping[str, Any]], names: Sequence[str], ad: Adapter
) -> dict[str, list[Any]]:
    """Rows → column name → values, a missing value its column's default. Rows that
    hold every column (an import's completed rows do) are read by one getter per row."""
    if len(names) > 1:
        try:
            got = list(map(itemgetter(*names), rows))
        except KeyError:
            pass
        else:
            return dict(zip(names, map(list, zip(*got, strict=True)), strict=True))
    defaults = ad.column_defaults()
    return {c: [v.get(c, defaults[c]) for v in rows] for c in names}


def _bare_columns(table: Table) -> tuple[str, ...]:
    """Nullable columns with no default of any kind: a row that gives them no value
    stores NULL whether the INSERT names them or not."""
    return tuple(
        c.name
        for c in table.c
        if c.nullable
        and c.default is None
        and c.server_default is None
        and not c.primary_key
        and c.onupdate is None
        and c.server_onupdate is None
    )


def row_key(ad: Adapter, row: Mapping[str, Any]) -> Any:
    """A stored row's key for audit and messages: the key column, with the parent's id
    for a line (``"12/3"``)."""
    key = row.get(ad.key_column)
    parent = ad.parent
    if parent is None:
        return key
    return f"{row.get(ad.column(parent))}/{key}"


def column_key(ad: Adapter, row: Mapping[str, Any]) -> Any:
    """A row's key in column values: the key column, or (parent id, line key)."""
    parent = ad.parent
    if parent is None:
        return row[ad.key_column]
    return (row[ad.column(parent)], row[ad.key_column])


def _row_json(ad: Adapter, row: Mapping[str, Any]) -> dict[str, Any]:
    names = {*ad.insert_columns, *ad.side_fields()}
    return {k: v for k, v in row.items() if k in names}


def checked_many(session: Session, ad: Adapter, stmt, params: list[dict]) -> None:
    """executemany that must hit every row (else someone changed one: conflict)."""
    dialect = session.get_bind().dialect
    if dialect.supports_sane_multi_rowcount:
        if session.execute(stmt, params).rowcount != len(params):
            raise ConflictError(ad.name, ad.name)
        return
    for p in params:
        if session.execute(stmt, p).rowcount != 1:
            raise ConflictError(ad.name, ad.name)


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush the session's ORM changes; a stale version (someone else's save) is a
    :class:`ConflictError` naming ``what``."""
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(what) from None
