"""Grid saves of register rows, and the register machinery's public names.

Both the page editors and the Excel importer validate through
:mod:`data_access.validation` and write through :func:`data_access.writes.apply`;
references resolve by natural key in one query per referenced register, duplicate keys
are checked within the batch and against the database, and writes are Core statements
(executemany), never row-by-row ORM.

A new register plugs in with a field spec in ``rules/<domain>.py`` and one
:class:`Adapter` in :data:`data_access.catalog.ADAPTERS` (see docs/adding-a-register.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.adapters import (
    REF_TARGETS,
    Adapter,
    Hooks,
    RefTarget,
    Restored,
    RowProblem,
    Satellite,
    Written,
)
from data_access.bulk import Inserter, insert_rows
from data_access.catalog import ADAPTERS, adapter
from data_access.errors import ConflictError, LedgerError, NotAllowed, UnknownRegister
from data_access.models import Ticket
from data_access.reads import fetch_by_ids, fetch_by_keys, ids_by_keys, iter_rows, list_page
from data_access.references import RefResolver
from data_access.settings import dumps, get_setting, put_setting
from data_access.validation import (
    NewRows,
    _duplicate_keys,
    _fields_only,
    _old_refs,
    changed_columns,
    complete_row,
    duplicate_lines,
    unchecked,
)
from data_access.writes import (
    Writer,
    apply,
    audit,
    checked_many,
    from_json,
    referenced_ids,
    row_key,
    to_json,
    username_of,
    write_side,
)
from rules.access import (
    TICKET_REGISTERS,
    Acting,
    TicketAction,
    may_change_ticket,
    may_edit_register,
)
from rules.fields import Problem, validate_row

__all__ = [
    "ADAPTERS",
    "REF_TARGETS",
    "Adapter",
    "ConflictError",
    "Hooks",
    "Inserter",
    "LedgerError",
    "NewRows",
    "NotAllowed",
    "RefResolver",
    "RefTarget",
    "Restored",
    "RowProblem",
    "Satellite",
    "SaveResult",
    "UnknownRegister",
    "Writer",
    "Written",
    "adapter",
    "apply",
    "audit",
    "changed_columns",
    "checked_many",
    "complete_row",
    "dumps",
    "fetch_by_ids",
    "fetch_by_keys",
    "from_json",
    "get_setting",
    "ids_by_keys",
    "insert_rows",
    "iter_display",
    "list_rows",
    "put_setting",
    "referenced_ids",
    "save_changes",
    "to_json",
    "unchecked",
    "username_of",
    "write_side",
]


@dataclass(frozen=True)
class SaveResult:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    problems: list[Problem] = field(default_factory=list)


def _p(kind: str, p: Problem, row: int) -> RowProblem:
    return RowProblem(p.field, p.code, p.params, row, p.value, p.sheet, kind)


def _current_rows(session: Session, ad: Adapter, items: list[dict]) -> dict[int, dict[str, Any]]:
    """Rows for updates/deletes, raising :class:`ConflictError` on a stale version."""
    current = fetch_by_ids(session, ad, [int(i["id"]) for i in items])
    for item in items:
        row = current.get(int(item["id"]))
        if row is None or row["version"] != int(item["version"]):
            raise ConflictError(str(row_key(ad, row)) if row else f"#{item['id']}", ad.name)
    return current


def _require_tickets(
    session: Session, ad: Adapter, actor: Acting, inserts: list[dict], current: dict[int, dict]
) -> None:
    """Rows of a ticket change only as the ticket rules allow (an engineer: their own)."""
    action = TICKET_REGISTERS.get(ad.name)
    if action is None or may_change_ticket(actor.role, actor.id, None, action):
        return  # not a ticket's rows, or the actor may change any ticket's
    if ad.parent is None:  # the tickets register itself: a new row is an intake
        if inserts and not may_change_ticket(actor.role, actor.id, None, TicketAction.OPEN):
            raise NotAllowed(TicketAction.OPEN, ad.name)
        held = {i: row.get("engineer_id") for i, row in current.items()}
        keys = {i: row[ad.key_column] for i, row in current.items()}
    else:
        column = ad.column(ad.parent)
        ids = {row[column] for row in current.values()}
        nos = {raw.get(ad.register.parent) for raw in inserts} - {None, ""}
        found = session.execute(
            select(Ticket.id, Ticket.ticket_no, Ticket.engineer_id).where(
                Ticket.id.in_(ids) | Ticket.ticket_no.in_([str(n) for n in nos])
            )
        ).all()
        held = {r.id: r.engineer_id for r in found}
        keys = {r.id: r.ticket_no for r in found}
    for ticket_id, engineer_id in held.items():
        if not may_change_ticket(actor.role, actor.id, engineer_id, action):
            raise NotAllowed(action, str(keys[ticket_id]))


def save_changes(
    session: Session,
    register: str,
    *,
    inserts: list[dict],
    updates: list[dict],
    deletes: list[dict],
    actor: Acting,
    now: dt.datetime,
) -> SaveResult:
    """Validate every insert/update/delete, then write all of them or none.

    Problems come back as :class:`RowProblem` (``row`` = index in its list, ``kind`` =
    which list). A stale version raises :class:`ConflictError` before anything is
    written. The caller owns the transaction. :class:`NotAllowed` unless ``actor`` may
    edit the register's page (and, for a ticket's rows, that ticket).
    """
    ad = adapter(register)
    if not may_edit_register(actor.role, register):
        raise NotAllowed("edit", register)
    user_id = actor.id
    if ad.register.ledger and (updates or deletes):  # a correction is a reversing row
        kind = "update" if updates else "delete"
        return SaveResult(problems=[RowProblem(None, "err.ledger", {}, 0, None, None, kind)])
    if deletes and not ad.register.deletable:  # deactivate instead (history names them)
        return SaveResult(
            problems=[RowProblem(None, "err.not_deletable", {}, 0, None, None, "delete")]
        )
    current = _current_rows(session, ad, [*updates, *deletes])
    _require_tickets(session, ad, actor, inserts, current)
    checker = unchecked(ad.register)
    resolver = RefResolver(session, ad)
    ins = [validate_row(checker, raw, row=i) for i, raw in enumerate(inserts)]
    upd = [
        validate_row(checker, _fields_only(raw), row=i, partial=True)
        for i, raw in enumerate(updates)
    ]
    resolver.load([c for c, _ in ins] + [c for c, _ in upd])
    problems: list[Problem] = []
    new_rows = []
    for i, (clean, probs) in enumerate(ins):
        values, probs = complete_row(ad, resolver, clean, probs, None, i, inserts[i])
        problems.extend(_p("insert", p, i) for p in probs)
        new_rows.append(values)
    befores = [current[int(u["id"])] for u in updates]
    old_refs = _old_refs(ad, resolver, befores) if ad.derives else {}
    changed_rows = []
    for i, (clean, probs) in enumerate(upd):
        before = befores[i]
        refs = {
            name: rows.get(before[ad.column(ad.register.field(name))])
            for name, rows in old_refs.items()
        }
        values, probs = complete_row(ad, resolver, clean, probs, (before, refs), i, updates[i])
        problems.extend(_p("update", p, i) for p in probs)
        changed_rows.append((before, values))
    if ad.parent is None:
        problems.extend(_duplicate_keys(session, ad, inserts, updates, deletes, current))
    else:
        problems.extend(duplicate_lines(session, ad, new_rows, changed_rows, deletes))
    blocked = referenced_ids(session, ad.table, [int(d["id"]) for d in deletes])
    for i, d in enumerate(deletes):
        if int(d["id"]) in blocked:
            key = current[int(d["id"])][ad.key_column]
            problems.append(RowProblem(None, "err.in_use", {"value": key}, i, key, None, "delete"))
    if problems:
        return SaveResult(problems=problems)
    rows = [current[int(d["id"])] for d in deletes]
    done = apply(
        session, ad, inserts=new_rows, updates=changed_rows, deletes=rows, now=now, user_id=user_id
    )
    return SaveResult(inserted=done.inserted, updated=done.updated, deleted=done.deleted)


def list_rows(session: Session, register: str, **kw: Any) -> tuple[list[dict], int]:
    """One page of ``register``'s display rows and the total count (see
    :func:`data_access.reads.list_page`)."""
    return list_page(session, adapter(register), **kw)


def iter_display(session: Session, register: str, **kw: Any):
    """Every matching display row of ``register`` as a tuple, streamed (see
    :func:`data_access.reads.iter_rows`)."""
    return iter_rows(session, adapter(register), **kw)
