"""A service report's parts lines through the register machinery (a lines register).

The lines of a closed ticket are part of its frozen report: they change only after
the ticket is reopened. Blank description and price come from the parts catalogue.
"""

from __future__ import annotations

from typing import Any

from data_access.adapters import Hooks, Refs
from rules.fields import Problem
from rules.service_reports import line_defaults
from rules.tickets import Status

PARENT_CLOSED = "lines.err.parent_closed"


class PartLineHooks(Hooks):
    locks = frozenset({PARENT_CLOSED})

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        line_defaults(values, refs.get("part_no"))  # type: ignore[arg-type]
        ticket = refs.get("ticket")
        if ticket is not None and ticket.get("status") == Status.CLOSED:
            return [Problem("ticket", PARENT_CLOSED, {"value": ticket["ticket_no"]})]
        return []
