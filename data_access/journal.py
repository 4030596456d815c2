"""The undo journal of an import batch: one ``import_changes`` row per row the batch
wrote (an insert by id, or one row for a range of consecutive inserted ids; an update
with the changed columns as they were, and the version), read back by
:func:`data_access.batches.undo_last_import`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import DateTime, Integer, String, Table, insert, literal, null, select
from sqlalchemy.orm import Session

from data_access.bulk import _chunks
from data_access.json_values import to_json
from data_access.models import ImportChange


class Journal:
    """Journals the writes of one register's table into import batch ``batch_id``."""

    def __init__(self, session: Session, table: Table, batch_id: int, now: dt.datetime):
        self.session, self.table, self.batch_id, self.now = session, table, batch_id, now

    def updates(self, changed: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> None:
        """``(stored row, changed values)`` pairs: the stored values of the changed
        columns and the stored version, for the undo to put back."""
        rows = []
        for before, diff in changed:
            image = {c: to_json(before[c]) for c in sorted(diff)}
            image["version"] = before["version"]
            rows.append(self._change(before["id"], "update", image))
        if rows:
            self.session.execute(insert(ImportChange.__table__), rows)

    def inserted_range(self, first: int, last: int) -> None:
        """The rows of ids ``first`` … ``last`` were just inserted (SQLite: an insert
        under the write lock takes consecutive ids): one journal row for them all."""
        row = self._change(first, "insert", None)
        row["row_id_last"] = last
        self.session.execute(insert(ImportChange.__table__), [row])

    def inserts(self, ids: Iterable[int]) -> None:
        """The rows just inserted, by id."""
        c = ImportChange.__table__
        for part in _chunks(list(ids)):
            src = self._source().where(self.table.c.id.in_(part))
            self.session.execute(insert(c).from_select(self._target(), src))

    def _source(self):
        return select(
            literal(self.batch_id, Integer()),
            literal(self.table.name, String()),
            self.table.c.id,
            literal("insert", String()),
            null(),
            literal(self.now, DateTime()),
        )

    @staticmethod
    def _target() -> list:
        c = ImportChange.__table__.c
        return [c.batch_id, c.table_name, c.row_id, c.action, c.before, c.created_at]

    def _change(self, row_id: int, action: str, before: dict | None) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "table_name": self.table.name,
            "row_id": row_id,
            "action": action,
            "before": before,
            "created_at": self.now,
        }
