"""A document's lines, edited as a whole: the grid's rows against the stored lines.

``save_lines`` turns the lines a user sees (with ``id``/``version`` for stored ones)
into inserts, updates and deletes of the lines register and saves them through
:func:`data_access.registers.save_changes`: the same validation and write path as
any register grid. Lines without a number get the next free ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.catalog import adapter
from data_access.reads import lines_of
from data_access.registers import SaveResult, save_changes
from data_access.validation import changed_columns
from rules.access import Acting


def parent_id(session: Session, register: str, parent_key: str) -> int | None:
    """The parent document's id from its natural key (None when there is none)."""
    ad = adapter(register)
    target = ad.ref_target(ad.parent)  # type: ignore[arg-type]
    table = target.table
    query = select(table.c.id).where(table.c[target.keys[0]] == parent_key)
    return session.execute(query).scalar()


def list_lines(session: Session, register: str, parent_key: str) -> list[dict[str, Any]]:
    """The document's lines as display rows with ``id`` and ``version``."""
    found = parent_id(session, register, parent_key)
    return [] if found is None else lines_of(session, adapter(register), found)


def save_lines(
    session: Session,
    register: str,
    parent_key: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: Acting,
    now: dt.datetime,
) -> SaveResult:
    """Make the document's lines what ``rows`` say: new rows inserted, changed rows
    updated (guarded by their version), stored lines missing from ``rows`` deleted.
    Every problem comes back with ``row`` = its index in ``rows`` (a removed line's
    problem keeps kind ``delete`` and its index among the removed lines); nothing is
    written unless all rows are valid. ``actor``'s rights are checked by
    :func:`~data_access.registers.save_changes`."""
    ad = adapter(register)
    parent, key = ad.register.parent, ad.register.key
    stored = {r["id"]: r for r in list_lines(session, register, parent_key)}
    fields = [f.name for f in ad.register.input_fields if f.name != parent]
    taken = [r.get(key) for r in rows if r.get(key) not in (None, "")]
    free = _numbers(taken)
    inserts, updates, kept = [], [], set()
    insert_at, update_at = [], []  # index in ``rows`` of each insert / update
    for i, row in enumerate(rows):
        values = {n: row.get(n) for n in fields}
        values[parent] = parent_key
        if values.get(key) in (None, ""):
            values[key] = next(free)
        if row.get("id") is None:
            inserts.append(values)
            insert_at.append(i)
            continue
        kept.add(int(row["id"]))
        before = stored.get(int(row["id"]))
        shown = {n: before.get(n) for n in fields} if before else {}
        diff = changed_columns(shown, {n: values[n] for n in fields})
        if before is None or diff:
            updates.append({"id": row["id"], "version": row["version"], **diff})
            update_at.append(i)
    deletes = [{"id": i, "version": r["version"]} for i, r in stored.items() if i not in kept]
    result = save_changes(
        session,
        register,
        inserts=inserts,
        updates=updates,
        deletes=deletes,
        actor=actor,
        now=now,
    )
    if not result.problems:
        return result
    where = {"insert": insert_at, "update": update_at}
    problems = [
        dataclasses.replace(p, row=where[p.kind][p.row]) if p.kind in where else p
        for p in result.problems
    ]
    return dataclasses.replace(result, problems=problems)


def _numbers(taken: Sequence[Any]):
    """Line numbers after the highest one given."""
    high = 0
    for value in taken:
        try:
            high = max(high, int(value))
        except (TypeError, ValueError):
            continue
    while True:
        high += 1
        yield high
