"""Every register the app knows, by name: the one list of adapters.

Each domain module builds its part (hooks, computed values) from
:mod:`data_access.adapters`; this module only lists them, so nothing generic
imports a domain.
"""

from __future__ import annotations

from data_access import (
    customers,
    service_reports,
    ticket_queries,
    ticket_register,
    training_register,
    users,
)
from data_access.adapters import Adapter, Satellite
from data_access.errors import UnknownRegister
from data_access.models import (
    Customer,
    Device,
    ServiceReport,
    Ticket,
    TicketPart,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    User,
)
from rules.access import USERS
from rules.customers import CUSTOMERS, DEVICES
from rules.service_reports import TICKET_PARTS
from rules.tickets import RATINGS, TICKETS
from rules.training import ATTENDANCE, COURSES, SESSIONS

ADAPTERS: dict[str, Adapter] = {
    "customers": Adapter(CUSTOMERS, Customer),
    "devices": Adapter(
        DEVICES,
        Device,
        hooks=customers.DeviceHooks(),
        computed=customers.device_computed,
        computed_from=("warranty_end", "contract_end"),
        computed_filters={
            "warranty_status": customers.warranty_clause,
            "contract_status": customers.contract_clause,
        },
    ),
    "tickets": Adapter(
        TICKETS,
        Ticket,
        hooks=ticket_register.TicketHooks(),
        computed=ticket_register.computed,
        computed_from=RATINGS,
        satellite=Satellite(ServiceReport, "ticket_id", RATINGS),
        where_of=ticket_queries.filter_clauses,
    ),
    "ticket_parts": Adapter(TICKET_PARTS, TicketPart, hooks=service_reports.PartLineHooks()),
    "users": Adapter(USERS, User, hooks=users.UserHooks()),
    "courses": Adapter(COURSES, TrainingCourse, hooks=training_register.CourseHooks()),
    "training_sessions": Adapter(SESSIONS, TrainingSession, hooks=training_register.SessionHooks()),
    "attendance": Adapter(
        ATTENDANCE, TrainingAttendance, hooks=training_register.AttendanceHooks()
    ),
}


def adapter(register: str) -> Adapter:
    try:
        return ADAPTERS[register]
    except KeyError:
        raise UnknownRegister(register) from None
