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

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access.errors import ConflictError, InvalidInput, ReportLocked
from data_access.lines import list_lines, save_lines
from data_access.models import FaultCode, Part, ServiceReport, StockBalance, TicketPart
from data_access.parts_register import van_id
from data_access.registers import SaveResult
from data_access.search import MIN_TRIGRAM, _escape_like, cleaned, matches
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


# ---------------------------------------------------------------- the part picker
PICK_LIMIT = 10


def part_choices(
    session: Session,
    ticket_id: int,
    fragment: str | None,
    *,
    actor: Acting,
    limit: int = PICK_LIMIT,
) -> list[dict[str, Any]]:
    """Active catalogue parts for a report line of ``ticket_id``: those whose number,
    name (zh/en), specification or compatible models hold ``fragment`` (the parts search
    index), each with its sale price and what the ticket engineer's van holds of it.
    Parts on the van first, then by number; an exact part number comes first of all.

    Without a fragment: what the van holds (the parts he most likely uses).
    One or two characters: the start of a part number, or a name holding them (the
    master is small: "轴承" must find bearings)."""
    ticket = _get(session, ticket_id)
    require(actor, ticket, TicketAction.REPORT)
    P, B = Part.__table__, StockBalance.__table__
    van = van_id(session, ticket.engineer_id)
    on_van = func.coalesce(B.c.qty, 0)
    query = (
        select(P.c.part_no, P.c.name, P.c.name_en, P.c.spec, P.c.compatible_models, P.c.uom,
               P.c.price, on_van.label("on_van"))
        .select_from(P.outerjoin(B, and_(B.c.part_id == P.c.id, B.c.warehouse_id == (van or -1))))
        .where(P.c.active.is_(True))
        .limit(limit)
    )  # fmt: skip
    text = cleaned(fragment)
    if not text:
        query = query.where(on_van > 0).order_by(P.c.part_no)
    else:
        found = matches("parts", text)
        if len(text) < MIN_TRIGRAM:  # the index needs three characters; names are short
            like = "%" + _escape_like(text) + "%"
            found = or_(
                found, P.c.name.like(like, escape="\\"), P.c.name_en.ilike(like, escape="\\")
            )
        exact = case((P.c.part_no == text, 0), else_=1)
        query = query.where(found).order_by(exact, case((on_van > 0, 0), else_=1), P.c.part_no)
    rows = [dict(r) for r in session.execute(query).mappings()]
    for r in rows:
        r["on_van"] = int(r["on_van"])
        r["has_van"] = van is not None
    return rows


def add_part_line(
    session: Session,
    ticket_id: int,
    line: dict[str, Any],
    *,
    actor: Acting,
    now: dt.datetime,
) -> SaveResult:
    """Append one parts line to the report (``part_no``, ``qty``, and for a part outside
    the master ``non_catalogue`` with ``non_catalogue_reason``; ``description`` and
    ``unit_price`` optional) through the lines register's write path: a catalogue part
    leaves the engineer's van in this transaction. The stored lines stay as they are.
    Problems come back with ``row`` None (there is only the one line)."""
    ticket = _get(session, ticket_id)
    require(actor, ticket, TicketAction.REPORT)
    if ticket.status in REPORT_LOCKED:
        raise ReportLocked(ticket.ticket_no)
    stored = list_lines(session, "ticket_parts", ticket.ticket_no)
    result = save_lines(
        session, "ticket_parts", ticket.ticket_no, [*stored, dict(line)], actor=actor, now=now
    )
    if not result.problems:
        return result
    problems = [Problem(p.field, p.code, p.params, None, p.value) for p in result.problems]
    return SaveResult(problems=problems)
