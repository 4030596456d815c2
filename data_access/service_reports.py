"""A service report's parts lines through the register machinery (a lines register).

The lines of a closed ticket are part of its frozen report: they change only after
the ticket is reopened. Blank description and price come from the parts catalogue.
A catalogue part's line issues it from the ticket engineer's van stock in the same
transaction (:func:`data_access.parts_register.issue_for_lines`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from data_access.adapters import Change, Deleted, Hooks, Refs, Written
from data_access.parts_register import issue_for_lines, return_for_deleted_lines
from rules.fields import Problem
from rules.service_reports import catalogue_problems, line_defaults
from rules.tickets import Status

PARENT_CLOSED = "lines.err.parent_closed"


class PartLineHooks(Hooks):
    locks = frozenset({PARENT_CLOSED})

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        part = refs.get("part_no")
        line_defaults(values, part)  # type: ignore[arg-type]
        problems = catalogue_problems(values, part)  # type: ignore[arg-type]
        ticket = refs.get("ticket")
        if ticket is not None and ticket.get("status") == Status.CLOSED:
            problems.append(Problem("ticket", PARENT_CLOSED, {"value": ticket["ticket_no"]}))
        return problems

    def after_write(self, session: Session, change: Change) -> None:
        """Catalogue parts leave the engineer's van stock in the report's transaction;
        a deleted line that was issued gives its parts back to the warehouse they left."""
        match change:
            case Written(inserted=inserted, updated=updated, now=now, user_id=user_id):
                issue_for_lines(session, inserted, updated, now=now, user_id=user_id)
            case Deleted(rows=rows, now=now, user_id=user_id):
                return_for_deleted_lines(session, rows, now=now, user_id=user_id)
