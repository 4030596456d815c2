"""The fault-code and knowledge-article registers' hooks: lists kept in one spelling,
and every model, part and fault code a row names checked against its master table in
the writing transaction (grid saves and imports alike: an unknown one rolls the whole
write back with a message naming the row and the value).

Commands and queries (review duty, ticket diagnosis, proposing and publishing
articles) live in :mod:`data_access.knowledge`; the public scan-to-report pages in
:mod:`data_access.public_intake`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false, or_, select
from sqlalchemy.orm import Session

from data_access.adapters import Change, Hooks, Refs, Written
from data_access.bulk import _chunks
from data_access.errors import Refused
from data_access.models import FaultCode, Part, ProductModel
from rules.faultcodes import (
    ReviewStatus,
    normalize_lists,
    review_bounds,
    review_status,
    split_list,
)
from rules.fields import Problem

# list column → (master table column, message code)
CHECKED_LISTS = {
    "models": (ProductModel.code, "faultcodes.err.unknown_models"),
    "parts": (Part.part_no, "faultcodes.err.unknown_parts"),
    "fault_codes": (FaultCode.code, "faultcodes.err.unknown_fault_codes"),
}


def known(session: Session, column: Any, wanted: Iterable[str]) -> set[str]:
    """Which of ``wanted`` exist in ``column`` (one query per 500)."""
    found: set[str] = set()
    for part in _chunks(sorted(set(wanted))):
        found.update(session.scalars(select(column).where(column.in_(part))))
    return found


def check_lists(session: Session, rows: list[tuple[str, Mapping[str, Any]]]) -> None:
    """Refuse (roll back) when a written row names a model, part or code that does not
    exist. ``rows``: (row key, the list columns it wrote)."""
    for name, (column, code) in CHECKED_LISTS.items():
        wanted = {i for _, v in rows for i in split_list(v.get(name))}
        if not wanted:
            continue
        have = known(session, column, wanted)
        for key, values in rows:
            missing = [i for i in split_list(values.get(name)) if i not in have]
            if missing:
                raise Refused(code, row=key, value=", ".join(missing))


class ListHooks(Hooks):
    """Both registers: normalise the lists, check what they name after the write."""

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        normalize_lists(values)
        return []

    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        rows: list[tuple[str, Mapping[str, Any]]] = [(v["code"], v) for v in change.inserted]
        # an update is checked for the lists it changed only (a part retired later does
        # not block an unrelated edit)
        rows += [(before["code"], changed) for before, changed in change.updated]
        check_lists(session, rows)


def review_clause(table: Table, wanted: str, today: dt.date) -> ColumnElement[bool]:
    """``review_status(reviewed_at, today) == wanted`` in SQL."""
    first, later = review_bounds(today)
    column = table.c.reviewed_at
    match wanted:
        case ReviewStatus.OVERDUE:
            return or_(column.is_(None), column < first)
        case ReviewStatus.DUE:
            return and_(column >= first, column < later)
        case ReviewStatus.OK:
            return column >= later
    return false()


def review_computed(row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    return {"review_status": review_status(row.get("reviewed_at"), today).value}
