"""Every register the app knows, by name: the one list of adapters.

Each domain module builds its part (hooks, computed values) from
:mod:`data_access.adapters`; this module only lists them, so nothing generic
imports a domain.
"""

from __future__ import annotations

from data_access import (
    customers,
    maintenance,
    service_reports,
    ticket_queries,
    ticket_register,
    users,
)
from data_access.adapters import Adapter, Satellite
from data_access.errors import UnknownRegister
from data_access.models import (
    ChecklistItem,
    Customer,
    Device,
    MaintenancePackage,
    MaintenancePlan,
    MaintenanceVisit,
    ServiceReport,
    Ticket,
    TicketPart,
    User,
    VisitResultLine,
)
from rules.access import USERS
from rules.customers import CUSTOMERS, DEVICES
from rules.maintenance import CHECKLISTS, PACKAGES, PLANS, VISIT_RESULTS, VISITS
from rules.service_reports import TICKET_PARTS
from rules.tickets import RATINGS, TICKETS

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
    "packages": Adapter(PACKAGES, MaintenancePackage, hooks=maintenance.PackageHooks()),
    "checklists": Adapter(CHECKLISTS, ChecklistItem, hooks=maintenance.ChecklistHooks()),
    "plans": Adapter(PLANS, MaintenancePlan, hooks=maintenance.PlanHooks()),
    "visits": Adapter(
        VISITS,
        MaintenanceVisit,
        hooks=maintenance.VisitHooks(),
        computed=maintenance.visit_computed,
        computed_from=("status", "due_date"),
        computed_filters={"overdue": maintenance.overdue_clause},
        where_of=maintenance.route_clauses,
    ),
    "visit_results": Adapter(VISIT_RESULTS, VisitResultLine, hooks=maintenance.ResultHooks()),
}


def adapter(register: str) -> Adapter:
    try:
        return ADAPTERS[register]
    except KeyError:
        raise UnknownRegister(register) from None
