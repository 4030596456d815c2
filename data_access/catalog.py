"""Every register the app knows, by name: the one list of adapters.

Each domain module builds its part (hooks, computed values) from
:mod:`data_access.adapters`; this module only lists them, so nothing generic
imports a domain. It imports only the modules holding hooks (``<domain>_register``,
``customers``, ``users`` …), which never import this module, :mod:`data_access.registers`
or :mod:`data_access.lines` back (``tests/test_import_graph.py``). An adapter a hook
writes through from inside another write (stock, complaints) is built beside that hook
and listed here.
"""

from __future__ import annotations

from data_access import (
    complaint_register,
    customers,
    faultcodes,
    fee_register,
    followup_register,
    maintenance_register,
    parts_register,
    service_reports,
    sla_register,
    ticket_queries,
    ticket_register,
    training_register,
    users,
)
from data_access.adapters import Adapter, Satellite
from data_access.errors import UnknownRegister
from data_access.models import (
    ChecklistItem,
    Customer,
    Device,
    FaultCode,
    FeeLine,
    FollowUp,
    KnowledgeArticle,
    MaintenancePackage,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    Payment,
    RateCardItem,
    ServiceReport,
    Ticket,
    TicketPart,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    User,
    VisitResultLine,
    Warehouse,
)
from rules.access import USERS
from rules.customers import CUSTOMERS, DEVICES
from rules.faultcodes import ARTICLES, FAULT_CODES
from rules.fees import FEE_LINES, PAYMENTS, RATECARD
from rules.followups import FOLLOWUPS
from rules.followups import computed as followup_computed
from rules.maintenance import CHECKLISTS, PACKAGES, PLANS, VISIT_RESULTS, VISITS
from rules.parts import PARTS, WAREHOUSES
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
    "faultcodes": Adapter(
        FAULT_CODES,
        FaultCode,
        hooks=faultcodes.ListHooks(),
        computed=faultcodes.review_computed,
        computed_from=("reviewed_at",),
        computed_filters={"review_status": faultcodes.review_clause},
    ),
    "articles": Adapter(
        ARTICLES,
        KnowledgeArticle,
        hooks=faultcodes.ListHooks(),
        computed=faultcodes.review_computed,
        computed_from=("reviewed_at",),
        computed_filters={"review_status": faultcodes.review_clause},
    ),
    "ratecard": Adapter(RATECARD, RateCardItem, hooks=fee_register.RateHooks()),
    "fees": Adapter(FEE_LINES, FeeLine, hooks=fee_register.FeeLineHooks()),
    "payments": Adapter(PAYMENTS, Payment, hooks=fee_register.PaymentHooks()),
    "complaints": complaint_register.COMPLAINTS_ADAPTER,
    "complaint_actions": complaint_register.ACTIONS_ADAPTER,
    "followups": Adapter(
        FOLLOWUPS,
        FollowUp,
        hooks=followup_register.FollowupHooks(),
        computed=followup_computed,
        computed_from=("rating_quality", "rating_attitude", "rating_efficiency"),
        where_of=followup_register.filter_clauses,
    ),
    "parts": Adapter(PARTS, Part),
    "stock": parts_register.STOCK_ADAPTER,
    "warehouses": Adapter(WAREHOUSES, Warehouse),
    "courses": Adapter(COURSES, TrainingCourse, hooks=training_register.CourseHooks()),
    "training_sessions": Adapter(SESSIONS, TrainingSession, hooks=training_register.SessionHooks()),
    "attendance": Adapter(
        ATTENDANCE, TrainingAttendance, hooks=training_register.AttendanceHooks()
    ),
    "packages": Adapter(PACKAGES, MaintenancePackage, hooks=maintenance_register.PackageHooks()),
    "checklists": Adapter(CHECKLISTS, ChecklistItem, hooks=maintenance_register.ChecklistHooks()),
    "plans": Adapter(
        PLANS,
        MaintenancePlan,
        hooks=maintenance_register.PlanHooks(),
        numbering=maintenance_register.plan_numbers,
    ),
    "visits": Adapter(
        VISITS,
        MaintenanceVisit,
        hooks=maintenance_register.VisitHooks(),
        computed=maintenance_register.visit_computed,
        computed_from=("status", "due_date"),
        computed_filters={"overdue": maintenance_register.overdue_clause},
        where_of=maintenance_register.route_clauses,
    ),
    "visit_results": Adapter(
        VISIT_RESULTS, VisitResultLine, hooks=maintenance_register.ResultHooks()
    ),
    "sla_policies": sla_register.POLICIES_ADAPTER,
}


def adapter(register: str) -> Adapter:
    try:
        return ADAPTERS[register]
    except KeyError:
        raise UnknownRegister(register) from None
