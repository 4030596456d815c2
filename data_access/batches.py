"""Import batches: what each import wrote (for its undo), and the undo itself, through
the register's one write path (:class:`data_access.writes.Writer` with ``undo=True``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from data_access.models import ImportBatch, ImportChange
from data_access.registers import (
    ConflictError,
    adapter,
    audit,
    fetch_by_ids,
    from_json,
    referenced_ids,
    username_of,
)
from data_access.writes import Writer
from rules.i18n import t


class UndoError(Exception):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str) -> str:
        return t(self.code, lang, **self.params)


def start_batch(
    session: Session,
    register: str,
    *,
    user_id: int | None,
    file_name: str,
    sha256: str | None,
    sheet: str | None,
    now: dt.datetime,
) -> int:
    """Record a new import batch; its rows are journalled against the returned id."""
    table = ImportBatch.__table__
    stmt = insert(table).values(
        register=register,
        user_id=user_id,
        username=username_of(session, user_id),
        file_name=file_name[:300],
        sha256=sha256,
        sheet=(sheet or "")[:100],
        created_at=now,
    )
    return session.execute(stmt.returning(table.c.id)).scalar_one()


def close_batch(session: Session, batch_id: int, **counts: int) -> None:
    """The batch's final counts (inserted, updated, unchanged, rejected)."""
    table = ImportBatch.__table__
    session.execute(update(table).where(table.c.id == batch_id).values(**counts))


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    file_name: str
    deleted: int
    restored: int


def last_batch(session: Session, register: str) -> dict[str, Any] | None:
    """The latest import of ``register`` that changed rows and is not undone."""
    b = ImportBatch.__table__
    query = (
        select(b)
        .where(
            b.c.register == register,
            b.c.undone_at.is_(None),
            (b.c.inserted + b.c.updated) > 0,
        )
        .order_by(b.c.id.desc())
        .limit(1)
    )
    row = session.execute(query).mappings().first()
    return dict(row) if row else None


def undo_last_import(
    session: Session, register: str, user_id: int | None, *, now: dt.datetime | None = None
) -> UndoResult:
    """Delete the rows the last import inserted and restore the ones it updated.

    Refuses (:class:`UndoError`) if any of them was edited or deleted since (its
    version moved), or if an inserted row is now referred to by other records.
    """
    now = now or dt.datetime.now().replace(microsecond=0)
    ad = adapter(register)
    batch = last_batch(session, register)
    if batch is None:
        raise UndoError("imports.err.nothing_to_undo")
    c = ImportChange.__table__
    changes = []
    for r in session.execute(select(c).where(c.c.batch_id == batch["id"])).mappings():
        if r["row_id_last"] is None:
            changes.append(dict(r))
        else:  # a range of inserted ids: one change per row
            changes.extend(
                {**r, "row_id": i, "row_id_last": None}
                for i in range(r["row_id"], r["row_id_last"] + 1)
            )
    current = fetch_by_ids(session, ad, [ch["row_id"] for ch in changes])
    moved = []
    for ch in changes:
        row = current.get(ch["row_id"])
        expected = 1 if ch["action"] == "insert" else ch["before"]["version"] + 1
        if row is None or row["version"] != expected:
            moved.append(row[ad.key_column] if row else f"#{ch['row_id']}")
    if moved:
        raise UndoError("imports.err.undo_edited", n=len(moved), value=moved[0])
    inserted = [ch["row_id"] for ch in changes if ch["action"] == "insert"]
    blocked = referenced_ids(session, ad.table, inserted)
    if blocked:
        raise UndoError("imports.err.undo_in_use", value=current[min(blocked)][ad.key_column])
    table = ad.table
    side = ad.satellite.table if ad.satellite else None
    restored: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for ch in changes:
        if ch["action"] != "update":
            continue
        before = {k: v for k, v in ch["before"].items() if k != "version"}
        values = {
            k: from_json(table.c[k] if k in table.c else side.c[k], v)  # type: ignore[union-attr]
            for k, v in before.items()
        }
        restored.append((current[ch["row_id"]], values))
    writer = Writer(session, ad, now=now, user_id=user_id, audit_rows=False, undo=True)
    try:
        writer.apply(updates=restored, deletes=[current[i] for i in inserted])
    except ConflictError:
        raise UndoError("imports.err.undo_edited", n=1, value=batch["file_name"]) from None
    b = ImportBatch.__table__
    session.execute(update(b).where(b.c.id == batch["id"]).values(undone_at=now))
    audit(
        session,
        [
            {
                "key": batch["file_name"],
                "action": "undo_import",
                "changes": {"batch_id": batch["id"]},
            }
        ],
        entity=ad.name,
        user_id=user_id,
        now=now,
    )
    return UndoResult(batch["id"], batch["file_name"], len(inserted), len(restored))
