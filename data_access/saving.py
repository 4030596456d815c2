"""Saving rows of one register, given its :class:`Adapter`: the body of
:func:`data_access.registers.save_changes`.

Here, apart from the registers by name, because a hook that saves into another register
from inside a write (a low follow-up score opens a complaint) holds that register's
adapter and must not import :mod:`data_access.catalog`, which imports the hooks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.adapters import Adapter, RowProblem
from data_access.errors import ConflictError, NotAllowed
from data_access.models import Ticket
from data_access.reads import fetch_by_ids
from data_access.references import RefResolver
from data_access.validation import (
    _duplicate_keys,
    _fields_only,
    _old_refs,
    complete_row,
    duplicate_lines,
    unchecked,
)
from data_access.writes import apply, referenced_ids, row_key
from rules.access import (
    TICKET_REGISTERS,
    Acting,
    TicketAction,
    may_change_ticket,
    may_edit_register,
)
from rules.fields import Problem, validate_row


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


def numbered(session: Session, ad: Adapter, inserts: list[dict], now: dt.datetime) -> list[dict]:
    """New rows of a register the desk numbers (:attr:`Adapter.numbering`) that came without
    a number get the next free ones; a typed number is kept (and never handed out)."""
    key = ad.register.key
    blank = [i for i, raw in enumerate(inserts) if raw.get(key) in (None, "")]
    if not blank or ad.parent is not None or ad.numbering is None:
        return inserts
    free = ad.numbering(session, now)
    typed = {str(raw[key]).strip() for raw in inserts if raw.get(key) not in (None, "")}
    out = list(inserts)
    for i in blank:
        out[i] = {**inserts[i], key: next(n for n in free if n not in typed)}
    return out


def save_rows(
    session: Session,
    ad: Adapter,
    *,
    inserts: list[dict],
    updates: list[dict],
    deletes: list[dict],
    actor: Acting,
    now: dt.datetime,
    audit_rows: bool = True,
) -> SaveResult:
    """Validate every insert/update/delete, then write all of them or none.

    Problems come back as :class:`RowProblem` (``row`` = index in its list, ``kind`` =
    which list). A stale version raises :class:`ConflictError` before anything is
    written. The caller owns the transaction. :class:`NotAllowed` unless ``actor`` may
    edit the register's page (and, for a ticket's rows, that ticket). ``audit_rows``
    False: the caller audits the save as a whole (a settings table).
    """
    register = ad.name
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
    inserts = numbered(session, ad, inserts, now)
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
        session,
        ad,
        inserts=new_rows,
        updates=changed_rows,
        deletes=rows,
        now=now,
        user_id=user_id,
        audit_rows=audit_rows,
    )
    return SaveResult(inserted=done.inserted, updated=done.updated, deleted=done.deleted)
