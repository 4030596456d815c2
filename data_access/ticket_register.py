"""The ticket register's part in the register machinery (``data_access.registers``).

A ticket row of an Excel register is more than its columns: the device's cover
status on the day it was received is stored with it, its ratings live in the
service report, and the SLA clocks need a status history. These hooks supply that
when tickets are imported (or undone), so an imported historic ticket reads like
one worked in the app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data_access import notifications
from data_access.adapters import Change, Hooks, Refs, Restored, Written
from data_access.bulk import insert_rows
from data_access.deadlines import (
    History,
    refresh_deadlines,
    status_events,
    store_closing_facts,
    store_history_figures,
)
from data_access.models import FollowUp, Ticket, TicketEvent
from data_access.sla_config import load_sla_config
from rules.customers import ContractStatus, WarrantyStatus, contract_status, warranty_status
from rules.fields import Problem
from rules.tickets import (
    OPEN,
    RATINGS,
    Status,
    deadlines_frozen,
    followup_no,
    imported_history,
    satisfaction,
)

IMPORT_NOTE = "import"
UNDO_NOTE = "undo import"


def derive(values: dict[str, Any], refs: Mapping[str, Mapping[str, Any] | None]) -> None:
    """Defaults of a new ticket row: level 1, cover status of the device when received."""
    if values.get("escalation_level") is None:
        values["escalation_level"] = 1
    if values.get("remote_resolved") is None:
        values["remote_resolved"] = False
    received = values.get("received_at")
    device = refs.get("serial_no")
    if device is None or received is None:
        values["warranty_status"] = WarrantyStatus.UNKNOWN.value
        values["contract_status"] = ContractStatus.NONE.value
        return
    day = received.date()
    values["warranty_status"] = warranty_status(device.get("warranty_end"), day).value
    values["contract_status"] = contract_status(device.get("contract_end"), day).value


def ref_check(
    values: Mapping[str, Any], refs: Mapping[str, Mapping[str, Any] | None]
) -> list[Problem]:
    """A registered serial must be one of the ticket's customer's devices."""
    device = refs.get("serial_no")
    if device and values.get("customer_id") and device["customer_id"] != values["customer_id"]:
        return [Problem("serial_no", "tickets.err.unknown_device", {"value": device["serial_no"]})]
    return []


def computed(row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    score = satisfaction(*(row.get(n) for n in RATINGS))
    return {"satisfaction": None if score is None else round(score, 2)}


# ---------------------------------------------------------------- after writing
def after_write(session: Session, written: Written) -> None:
    """History and deadlines for imported tickets.

    New rows get the history their dates tell (:func:`rules.tickets.imported_history`)
    and their engineer's assignment; a changed status gets the steps the row's dates
    tell after the ticket's last event (dated now where the row gives no later date),
    a changed engineer an assignment dated now. Deadlines and closing facts are then
    worked out from the history (new rows: in one pass, from the history in hand).
    Rows keep their version (the import's undo relies on it).
    """
    user_id, now = written.user_id, written.now
    events = _Events()
    histories: list[History] = []
    closings: dict[int, int] = {}
    for row in written.inserted:
        steps = events.history(row, user_id)
        histories.append(
            History(row["id"], row["priority"], row["received_at"], row["customer_id"], steps)
        )
        closed = sum(status == Status.CLOSED for _, status in steps)
        if closed:
            closings[row["id"]] = closed
    last = _last_status_at(session, [b["id"] for b, _ in written.updated])
    changed: list[dict[str, Any]] = []
    for before, values in written.updated:
        made = _changes(before, values, user_id, now)
        changed.extend(_dated(made, {**before, **values}, last.get(before["id"]), now))
    events.extend(changed)
    events.insert(session)
    _notify_assigned(session, written.updated, user_id, now)
    config = load_sla_config(session)
    store_history_figures(session, histories, closings, now, user_id, config)
    refresh_deadlines(session, _unfrozen(written.updated), now, config)
    _store_closing_facts(session, [], changed, user_id)


def _notify_assigned(session: Session, updated, user_id: int | None, now: dt.datetime) -> None:
    """An open ticket given to another engineer in the grid or by an import: the same
    notice as a dispatch (rows inserted by an import are history, not news)."""
    for before, values in updated:
        engineer = values.get("engineer_id")
        status = values.get("status", before["status"])
        if engineer and engineer != before["engineer_id"] and status in OPEN:
            ticket = session.get(Ticket, before["id"])
            notifications.ticket_assigned(session, ticket, engineer, user_id, now)


class _Events:
    """Ticket events gathered as rows of :data:`EVENT_COLUMNS`, inserted column-wise."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def history(self, row: Mapping[str, Any], user_id: int | None) -> list[tuple[dt.datetime, str]]:
        """A new row's status steps and engineer assignment; returns the steps."""
        ticket_id, steps, previous = row["id"], [], None
        append = self.rows.append
        for at, step in _milestones(row):
            status = str(step)
            if status == previous:
                continue
            # in EVENT_COLUMNS order
            append((previous, status, None, None, None, ticket_id, at, user_id, "status",
                    IMPORT_NOTE, at))  # fmt: skip
            steps.append((at, status))
            previous = status
        if row.get("engineer_id"):
            at = row["responded_at"] or row["received_at"]
            append((None, None, None, row["engineer_id"], None, ticket_id, at, user_id, "assign",
                    IMPORT_NOTE, at))  # fmt: skip
        return steps

    def extend(self, events: list[dict[str, Any]]) -> None:
        self.rows.extend(tuple(e[n] for n in EVENT_COLUMNS) for e in events)

    def insert(self, session: Session) -> None:
        if self.rows:
            columns = zip(*self.rows, strict=True)
            insert_rows(
                session, TicketEvent.__table__, dict(zip(EVENT_COLUMNS, columns, strict=True))
            )


def _unfrozen(changes: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[int]:
    """Ids of changed tickets whose deadlines may move: not finished before and after."""
    return [
        before["id"]
        for before, after in changes
        if not deadlines_frozen(before["status"], after.get("status", before["status"]))
    ]


def _store_closing_facts(
    session: Session, new: list[History], events: list[dict[str, Any]], user_id: int | None
) -> None:
    """Closing facts and follow-ups as the app's close path gives them (one rule:
    :func:`rules.tickets.closing_facts`), for every ticket whose history grew."""
    closings: dict[int, int] = {}
    for e in events:
        if e["kind"] == "status":
            closings.setdefault(e["ticket_id"], 0)
            closings[e["ticket_id"]] += e["to_status"] == Status.CLOSED
    histories = {h.ticket_id: h.events for h in new}
    histories.update(status_events(session, [i for i in closings if i not in histories]))
    store_closing_facts(session, histories, closings, user_id)


def _last_status_at(session: Session, ids: list[int]) -> dict[int, dt.datetime]:
    if not ids:
        return {}
    e = TicketEvent.__table__
    out: dict[int, dt.datetime] = {}
    for i in range(0, len(ids), 5000):
        query = (
            select(e.c.ticket_id, func.max(e.c.at))
            .where(e.c.ticket_id.in_(ids[i : i + 5000]), e.c.kind == "status")
            .group_by(e.c.ticket_id)
        )
        out.update(dict(session.execute(query).all()))
    return out


def _dated(
    made: list[dict], row: Mapping[str, Any], last: dt.datetime | None, now: dt.datetime
) -> list[dict]:
    """Replace a status event dated now by the steps the row's own dates give after
    the ticket's last event: closing by import on the 21st closes on the 21st."""
    out = []
    for event in made:
        if event["kind"] != "status":
            out.append(event)
            continue
        tail = [(at, status) for at, status in _milestones(row)[1:] if last is None or at > last]
        if not tail or tail[-1][1] != event["to_status"]:
            tail.append((now, event["to_status"]))
        out.extend(
            _chain(event["ticket_id"], tail, event["from_status"], event["user_id"], created_at=now)
        )
    return out


def _milestones(row: Mapping[str, Any]) -> list[tuple[dt.datetime, str]]:
    return imported_history(
        row["status"], row["received_at"], row["responded_at"], row["resolved_at"], row["closed_at"]
    )


def _chain(
    ticket_id: int, steps: list, previous: str | None, user_id: int | None, **kw: Any
) -> list[dict]:
    """Status events for ``steps`` ``[(at, status)]``, each from the one before."""
    out = []
    for at, step in steps:
        status = str(step)
        if status == previous:
            continue
        out.append(
            _event(ticket_id, at, user_id, "status", from_status=previous, to_status=status, **kw)
        )
        previous = status
    return out


def _insert_events(session: Session, events: list[dict[str, Any]]) -> None:
    """One executemany, through the register writer's fast path (several events a row)."""
    if events:
        names = list(events[0])
        insert_rows(session, TicketEvent.__table__, {n: [e[n] for e in events] for n in names})


def after_undo(session: Session, restored: Restored) -> None:
    """An undone change of status or engineer is itself history: record it, then
    work the deadlines out again. A follow-up call the import planned goes with the
    closing it came from: planned calls of deleted tickets, and the newest planned
    call of a ticket whose closing is undone, are removed (calls made stay)."""
    events: list[dict[str, Any]] = []
    for current, values in restored.restored:
        for e in _changes(current, values, restored.user_id, restored.now):
            events.append({**e, "note": UNDO_NOTE})
    _insert_events(session, events)
    refresh_deadlines(session, _unfrozen(restored.restored), restored.now)
    _store_closing_facts(session, [], events, restored.user_id)
    _drop_orphaned_followups(session, [r["ticket_no"] for r in restored.deleted])
    _drop_undone_followups(session, _unclosed(restored.restored))


def _unclosed(changes: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[int]:
    """Ids of tickets the undo takes out of ``closed``."""
    return [
        current["id"]
        for current, values in changes
        if current["status"] == Status.CLOSED
        and values.get("status", current["status"]) != Status.CLOSED
    ]


def _drop_orphaned_followups(session: Session, ticket_nos: list[str]) -> None:
    """Planned follow-ups of deleted tickets. Deleting a ticket sets their ticket id
    to NULL, so they are known by their number (``FU-<ticket no>-<n>``)."""
    if not ticket_nos:
        return
    prefixes = {followup_no(no, 0)[:-1] for no in ticket_nos}
    f = FollowUp.__table__
    orphans = session.execute(
        select(f.c.id, f.c.followup_no).where(
            f.c.ticket_id.is_(None), f.c.status == "planned", f.c.reason == "ticket"
        )
    ).all()
    ids = [i for i, no in orphans if no.rpartition("-")[0] + "-" in prefixes]
    for i in range(0, len(ids), 5000):
        session.execute(delete(f).where(f.c.id.in_(ids[i : i + 5000])))


def _drop_undone_followups(session: Session, ticket_ids: list[int]) -> None:
    """The newest follow-up of each ticket, when still planned: the undone closing's."""
    f = FollowUp.__table__
    for i in range(0, len(ticket_ids), 5000):
        chunk = ticket_ids[i : i + 5000]
        newest = select(func.max(f.c.id)).where(f.c.ticket_id.in_(chunk)).group_by(f.c.ticket_id)
        session.execute(delete(f).where(f.c.id.in_(newest), f.c.status == "planned"))


EVENT_COLUMNS = (
    "from_status", "to_status", "from_user_id", "to_user_id", "level",
    "ticket_id", "at", "user_id", "kind", "note", "created_at",
)  # fmt: skip


def _event(ticket_id: int, at: dt.datetime, user_id: int | None, kind: str, **kw) -> dict:
    base = dict.fromkeys(EVENT_COLUMNS[:5])
    return {
        **base,
        "ticket_id": ticket_id,
        "at": at,
        "user_id": user_id,
        "kind": kind,
        "note": IMPORT_NOTE,
        "created_at": at,
        **kw,
    }


def _changes(
    before: Mapping[str, Any], changed: Mapping[str, Any], user_id: int | None, now: dt.datetime
) -> list[dict]:
    out = []
    if "status" in changed and changed["status"] != before["status"]:
        out.append(
            _event(
                before["id"],
                now,
                user_id,
                "status",
                from_status=before["status"],
                to_status=changed["status"],
            )
        )
    if "engineer_id" in changed and changed["engineer_id"] != before["engineer_id"]:
        out.append(
            _event(
                before["id"],
                now,
                user_id,
                "assign",
                from_user_id=before["engineer_id"],
                to_user_id=changed["engineer_id"],
            )
        )
    return out


class TicketHooks(Hooks):
    """The ticket register's hooks (see the module docstring)."""

    columns = ("warranty_status", "contract_status", "remote_resolved")

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        derive(values, refs)
        return ref_check(values, refs)

    def after_write(self, session: Session, change: Change) -> None:
        """History, deadlines and closing facts of what was written or undone."""
        match change:
            case Written():
                after_write(session, change)
            case Restored():
                after_undo(session, change)
