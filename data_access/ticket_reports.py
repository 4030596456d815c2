"""The service report (服务报告): its header fields and its parts lines.

The header is one row of ``service_reports``; the parts are the lines register
``ticket_parts`` and are written through :func:`data_access.lines.save_lines`, the same
validation and write path as the lines grid and the Excel import. Lines already issued
from stock stay as they are (the parts ledger owns them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access.errors import ConflictError, InvalidInput, ReportLocked
from data_access.lines import list_lines, save_lines
from data_access.models import FaultCode, ServiceReport, TicketPart
from data_access.ticket_queries import _get
from data_access.tickets import REPORT_FIELDS, require
from data_access.writes import flush_or_conflict as _flush
from rules.access import Acting, TicketAction
from rules.dashboard import CORRECTION_FIELDS
from rules.fields import Problem
from rules.tickets import REPORT_LOCKED, check_ratings


def save_report(
    session: Session,
    ticket_id: int,
    *,
    actor: Acting,
    now: dt.datetime,
    expected_version: int | None = None,
    parts: Iterable[dict[str, Any]] | None = None,
    **values: Any,
) -> ServiceReport:
    """Create or update the service report and, when ``parts`` is given, its lines.

    ``values`` are :data:`~data_access.tickets.REPORT_FIELDS`; ``expected_version`` is
    the report's version, None when the caller saw no report: if one exists by now
    (another engineer saved it meanwhile) that is a :class:`ConflictError` too, never a
    silent overwrite. ``parts`` replaces the lines not yet
    issued from stock: ``{"part_no", "qty", "description"?, "unit_price"?}``. Every
    problem of the header and of every line is raised together (:class:`InvalidInput`,
    a line's problems with ``row`` = its position, from 1).
    """
    unknown = set(values) - set(REPORT_FIELDS)
    if unknown:
        raise TypeError(f"unknown report fields: {sorted(unknown)}")
    ticket = _get(session, ticket_id)
    require(actor, ticket, TicketAction.REPORT)
    user_id = actor.id
    if ticket.status in REPORT_LOCKED:
        raise ReportLocked(ticket.ticket_no)
    problems = check_ratings(values)
    for name in ("labour_hours", "travel_km"):
        if values.get(name) is not None and Decimal(str(values[name])) < 0:
            problems.append(Problem(name, "err.min", {"min": 0}))
    problems.extend(fault_code_problems(session, values.get("fault_code_id")))
    if parts is not None:
        problems.extend(_save_parts(session, ticket, list(parts), actor, now))
    if problems:
        raise InvalidInput(problems)  # the caller's transaction rolls back any lines
    report = session.scalars(
        select(ServiceReport).where(ServiceReport.ticket_id == ticket.id)
    ).first()
    if report is None:
        report = ServiceReport(ticket_id=ticket.id, engineer_id=ticket.engineer_id or user_id)
        session.add(report)
    elif report.version != expected_version:  # None: the caller saw no report
        raise ConflictError(ticket.ticket_no)
    mark_correction(report, values, now)
    for name, value in values.items():
        setattr(report, name, value)
    report.updated_at = now  # the parts lines are part of the report: bump its version too
    no = ticket.ticket_no  # read now: a failed flush leaves the ticket unloadable
    try:
        _flush(session, no)
    except IntegrityError:
        # two first reports at once (PostgreSQL): the unique ticket_id lets one in
        raise ConflictError(no) from None
    return report


def fault_code_problems(session: Session, fault_code_id: Any) -> list[Problem]:
    """The confirmed fault code must name a code of the library."""
    if fault_code_id is None:
        return []
    if session.get(FaultCode, fault_code_id) is None:
        return [Problem("fault_code_id", "err.unknown_ref", {"value": fault_code_id})]
    return []


def mark_correction(report: ServiceReport, values: dict[str, Any], now: dt.datetime) -> None:
    """A report changed after the customer accepted it is a corrected work order
    (work-order accuracy): the first such change is stamped, once."""
    if report.id is None or report.accepted_at is None or report.corrected_at is not None:
        return
    changed = (
        getattr(report, name) != _same(report, name, value)
        for name, value in values.items()
        if name in CORRECTION_FIELDS
    )
    if any(changed):
        report.corrected_at = now


def _same(report: ServiceReport, name: str, value: Any) -> Any:
    """``value`` as the report holds it (numbers as Decimal), for comparison."""
    current = getattr(report, name)
    if isinstance(current, Decimal) and value is not None:
        return Decimal(str(value)).quantize(current)
    return value


def _save_parts(
    session: Session, ticket, given: list[dict[str, Any]], actor: Acting, now: dt.datetime
) -> list[Problem]:
    """The ticket's lines become its lines issued from stock (as they are) plus ``given``;
    a given line's problems come back with ``row`` = its position, from 1."""
    session.flush()
    issued = set(
        session.scalars(
            select(TicketPart.id).where(
                TicketPart.ticket_id == ticket.id, TicketPart.movement_id.is_not(None)
            )
        )
    )
    kept = [r for r in list_lines(session, "ticket_parts", ticket.ticket_no) if r["id"] in issued]
    rows = [*kept, *({**line, "line_no": None} for line in given)]
    no = ticket.ticket_no
    result = save_lines(session, "ticket_parts", no, rows, actor=actor, now=now)
    first = len(kept)
    return [
        Problem(p.field, p.code, p.params, None if p.row is None else p.row - first + 1, p.value)
        for p in result.problems
    ]
