"""SQLAlchemy 2.0 models for every domain (domain.md).

Conventions:
- every editable row has ``version`` (optimistic locking via ``version_id_col``)
  and ``created_at`` / ``updated_at``; append-only tables (ticket events, stock
  movements, audit log, import changes) have only ``created_at``;
- natural keys are unique; statuses, priorities and kinds are stored as the
  ``StrEnum`` values of ``rules/`` (plain strings, portable across databases);
- money is ``Numeric`` → ``Decimal``; quantities of parts are integers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(14, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class Stamped:
    """Editable row: surrogate id, optimistic-lock version, created/updated stamps."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=_now, onupdate=_now, nullable=False
    )

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        # ORM flushes check and bump the version: a stale edit raises StaleDataError.
        return {"version_id_col": cls.__table__.c.version}


class AppendOnly:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, nullable=False)


# ---------------------------------------------------------------- reference data
class User(Stamped, Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(50))
    skills: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # True while the password is the published demo one: the app warns about it.
    demo_password: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # where notifications reach them, and in which language (None: the default)
    email: Mapped[str | None] = mapped_column(String(120))
    lang: Mapped[str | None] = mapped_column(String(5))


class Customer(Stamped, Base):
    __tablename__ = "customers"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    grade: Mapped[str] = mapped_column(String(2), default="B")
    region: Mapped[str | None] = mapped_column(String(50), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    # the primary contact, as registers keep it; further contacts in `contacts`
    contact_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)

    contacts: Mapped[list[Contact]] = relationship(back_populates="customer")
    devices: Mapped[list[Device]] = relationship(back_populates="customer")


class Contact(Stamped, Base):
    __tablename__ = "contacts"
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")


class ProductModel(Stamped, Base):
    __tablename__ = "product_models"
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    warranty_months: Mapped[int] = mapped_column(Integer, default=12)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)


class Device(Stamped, Base):
    __tablename__ = "devices"
    serial_no: Mapped[str] = mapped_column(String(80), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_models.id", ondelete="RESTRICT"), index=True
    )
    install_date: Mapped[dt.date | None] = mapped_column(Date)
    warranty_end: Mapped[dt.date | None] = mapped_column(Date)
    contract_end: Mapped[dt.date | None] = mapped_column(Date)
    location: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship(back_populates="devices")
    model: Mapped[ProductModel | None] = relationship()


class WorkingCalendar(Stamped, Base):
    __tablename__ = "working_calendars"
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # {"0": [["09:00","18:00"]], ...} weekday (Mon=0) → spans of local time
    weekly: Mapped[dict] = mapped_column(JSON)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class CalendarDay(Stamped, Base):
    """A holiday, or a make-up working day (调休) worked with regular weekday hours."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("working_calendars.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    name: Mapped[str | None] = mapped_column(String(100))


class SlaPolicy(Stamped, Base):
    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("priority", "customer_grade"),)
    priority: Mapped[str] = mapped_column(String(20))
    # "*" = every grade; a grade-specific row wins over it
    customer_grade: Mapped[str] = mapped_column(String(2), default="*")
    respond_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    resolve_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    onsite_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    # the limits are wall-clock hours (24×7) instead of the working calendar's
    round_the_clock: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class EscalationLevel(Stamped, Base):
    __tablename__ = "escalation_levels"
    level: Mapped[int] = mapped_column(Integer, unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # business hours spent at this level before moving up; None for the top level
    hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))


class FaultCode(Stamped, Base):
    __tablename__ = "fault_codes"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.date | None] = mapped_column(Date)


class KnowledgeArticle(Stamped, Base):
    __tablename__ = "knowledge_articles"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    fault_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("fault_codes.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[dt.date | None] = mapped_column(Date)


# ---------------------------------------------------------------- tickets
class Ticket(Stamped, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_resolve_due", "status", "resolve_due"),
        Index("ix_tickets_engineer_status", "engineer_id", "status"),
        Index("ix_tickets_received_at", "received_at"),
    )
    ticket_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    # a serial typed at intake that is not registered (yet)
    serial_no: Mapped[str | None] = mapped_column(String(80))
    contact_name: Mapped[str | None] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    service_type: Mapped[str | None] = mapped_column(String(30))
    fault_description: Mapped[str] = mapped_column(Text)
    fault_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("fault_codes.id", ondelete="SET NULL")
    )
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=1)
    # stored at intake: what the device's cover was when the call came in
    warranty_status: Mapped[str | None] = mapped_column(String(20))
    contract_status: Mapped[str | None] = mapped_column(String(20))
    # deadlines derived from the event history and the SLA policy (recomputable)
    respond_due: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolve_due: Mapped[dt.datetime | None] = mapped_column(DateTime)
    first_time_fix: Mapped[bool | None] = mapped_column(Boolean)
    remote_resolved: Mapped[bool] = mapped_column(Boolean, default=False)

    customer: Mapped[Customer] = relationship()
    device: Mapped[Device | None] = relationship()
    engineer: Mapped[User | None] = relationship(foreign_keys=[engineer_id])
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.at, TicketEvent.id"
    )


class TicketEvent(AppendOnly, Base):
    """Append-only history: status changes, assignments, escalations, notes."""

    __tablename__ = "ticket_events"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # status | assign | escalate | note
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    level: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class ServiceReport(Stamped, Base):
    __tablename__ = "service_reports"
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    work_done: Mapped[str | None] = mapped_column(Text)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(30))
    labour_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    travel_km: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    accepted_by: Mapped[str | None] = mapped_column(String(100))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rating_quality: Mapped[int | None] = mapped_column(Integer)
    rating_attitude: Mapped[int | None] = mapped_column(Integer)
    rating_efficiency: Mapped[int | None] = mapped_column(Integer)
    customer_feedback: Mapped[str | None] = mapped_column(Text)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TicketPart(Stamped, Base):
    """Parts used on a ticket (the parts domain turns them into stock movements)."""

    __tablename__ = "ticket_parts"
    __table_args__ = (UniqueConstraint("ticket_id", "line_no"),)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"))
    part_no: Mapped[str] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(String(200))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    movement_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_movements.id", ondelete="SET NULL")
    )


# ---------------------------------------------------------------- maintenance
class MaintenancePackage(Stamped, Base):
    """basic / comprehensive / custom: what a contract buys; fees read the discount."""

    __tablename__ = "maintenance_packages"
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    visits_per_year: Mapped[int | None] = mapped_column(Integer)
    repair_discount_pct: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal("0"), server_default="0"
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class MaintenancePlan(Stamped, Base):
    __tablename__ = "maintenance_plans"
    plan_no: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    package: Mapped[str] = mapped_column(String(20))  # basic | comprehensive | custom
    frequency: Mapped[str] = mapped_column(String(20))  # monthly | quarterly | half_yearly | yearly
    kind: Mapped[str] = mapped_column(String(20), default="inspection")  # inspection | firmware
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    due_window: Mapped[str | None] = mapped_column(String(100))
    window_days: Mapped[int] = mapped_column(Integer, default=7)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    next_due: Mapped[dt.date | None] = mapped_column(Date, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    risk_notes: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list[ChecklistItem]] = relationship(order_by="ChecklistItem.seq")


class ChecklistItem(Stamped, Base):
    __tablename__ = "checklist_items"
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_plans.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    standard: Mapped[str | None] = mapped_column(String(300))


class MaintenanceVisit(Stamped, Base):
    __tablename__ = "maintenance_visits"
    __table_args__ = (UniqueConstraint("plan_id", "due_date"),)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_plans.id", ondelete="CASCADE"), index=True
    )
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20))  # planned | done | missed | cancelled
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(30))
    findings: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))


# ---------------------------------------------------------------- spare parts
class Part(Stamped, Base):
    __tablename__ = "parts"
    part_no: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str | None] = mapped_column(String(200))
    compatible_models: Mapped[str | None] = mapped_column(String(300))
    uom: Mapped[str] = mapped_column(String(10), default="pcs")
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    price: Mapped[Decimal | None] = mapped_column(Money)
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    reorder_point: Mapped[int] = mapped_column(Integer, default=0)
    reorder_qty: Mapped[int] = mapped_column(Integer, default=0)
    bin: Mapped[str | None] = mapped_column(String(40))
    # cached sum of the ledger, kept in the same transaction as each movement
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    # the part's own warranty (三包), which the fees rule reads per line; None = the device's
    warranty_months: Mapped[int | None] = mapped_column(Integer)
    is_wear: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StockMovement(AppendOnly, Base):
    """Append-only ledger (配件台账): receipt, issue, return, transfer, scrap, adjust."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_part_at", "part_id", "at"),)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))
    qty: Mapped[int] = mapped_column(Integer)  # signed: + in, - out
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    stock_take_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_takes.id", ondelete="SET NULL")
    )
    from_bin: Mapped[str | None] = mapped_column(String(40))
    to_bin: Mapped[str | None] = mapped_column(String(40))
    reference: Mapped[str | None] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(300))


class StockTake(Stamped, Base):
    __tablename__ = "stock_takes"
    take_no: Mapped[str] = mapped_column(String(40), unique=True)
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # open | posted
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class StockTakeLine(Stamped, Base):
    __tablename__ = "stock_take_lines"
    __table_args__ = (UniqueConstraint("take_id", "part_id"),)
    take_id: Mapped[int] = mapped_column(ForeignKey("stock_takes.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"))
    book_qty: Mapped[int] = mapped_column(Integer)
    counted_qty: Mapped[int | None] = mapped_column(Integer)


# ---------------------------------------------------------------- complaints
class Complaint(Stamped, Base):
    __tablename__ = "complaints"
    complaint_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    complainant: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    content: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    tier: Mapped[int] = mapped_column(Integer, default=1)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    investigate_by: Mapped[dt.datetime | None] = mapped_column(DateTime)
    root_cause: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ComplaintAction(Stamped, Base):
    __tablename__ = "complaint_actions"
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # investigation | measure | corrective | preventive | verification | inform
    description: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(100))
    responsible: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    effective: Mapped[bool | None] = mapped_column(Boolean)


# ---------------------------------------------------------------- follow-ups
class FollowUp(Stamped, Base):
    __tablename__ = "followups"
    followup_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaints.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(20))  # ticket | complaint | install | periodic
    mode: Mapped[str] = mapped_column(String(20))  # phone | email | onsite | online
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # planned | done | unreachable | cancelled
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[str | None] = mapped_column(Text)
    opinions: Mapped[str | None] = mapped_column(Text)
    rating_quality: Mapped[int | None] = mapped_column(Integer)
    rating_attitude: Mapped[int | None] = mapped_column(Integer)
    rating_efficiency: Mapped[int | None] = mapped_column(Integer)
    issue_raised: Mapped[str | None] = mapped_column(Text)
    issue_closed: Mapped[bool | None] = mapped_column(Boolean)


# ---------------------------------------------------------------- training
class TrainingCourse(Stamped, Base):
    __tablename__ = "training_courses"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(20))  # customer | internal
    topic: Mapped[str] = mapped_column(
        String(30)
    )  # operation | maintenance | troubleshooting | advanced | product | skills | rules | communication
    delivery: Mapped[str] = mapped_column(
        String(30)
    )  # online_live | online_practical | offline_seminar | classroom
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    outline: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[str | None] = mapped_column(Text)
    pass_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))


class TrainingSession(Stamped, Base):
    __tablename__ = "training_sessions"
    session_no: Mapped[str] = mapped_column(String(40), unique=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="RESTRICT"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    phase: Mapped[str | None] = mapped_column(String(20))  # initial | deepening | review
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))  # planned | held | cancelled


class TrainingAttendance(Stamped, Base):
    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "attendee_name"),)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    attendee_name: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    assessment: Mapped[str | None] = mapped_column(String(20))  # online_test | practical | feedback
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- fees
class RateCardItem(Stamped, Base):
    __tablename__ = "rate_card"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # diagnosis | labour | travel | rush | shipping | inspection | repair
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    price: Mapped[Decimal] = mapped_column(Money)
    contract_discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Settlement(Stamped, Base):
    __tablename__ = "settlements"
    settlement_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))  # draft | audited | billed | paid | void
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    audited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audited_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class FeeLine(Stamped, Base):
    __tablename__ = "fee_lines"
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlements.id", ondelete="SET NULL"), index=True
    )
    rate_code: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    qty: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    amount: Mapped[Decimal] = mapped_column(Money)
    waived: Mapped[bool] = mapped_column(Boolean, default=False)  # warranty covers it


class Payment(Stamped, Base):
    __tablename__ = "payments"
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id", ondelete="RESTRICT"), index=True
    )
    paid_at: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))  # bank_transfer | cash | card | online
    reference: Mapped[str | None] = mapped_column(String(100))


# ---------------------------------------------------------------- system
class AuditLog(AppendOnly, Base):
    __tablename__ = "audit_log"
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict | None] = mapped_column(JSON)


class Setting(Stamped, Base):
    """Key/value settings: follow-up delay, remembered import header mappings, …"""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), unique=True)
    value: Mapped[dict | list | str | int | None] = mapped_column(JSON)


# ---------------------------------------------------------------- notifications
class Notification(AppendOnly, Base):
    """One message in one user's in-app inbox: a code and parameters, worded in the
    reader's language when shown (see data_access/notifications.py)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict | None] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(200))  # "ticket=SR…", "customer=C001"
    # what a timed notice is about ("sla:<ticket id>:<deadline>"): sent once per key
    dedupe_key: Mapped[str | None] = mapped_column(String(120), index=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class OutboxMessage(AppendOnly, Base):
    """A message to send (e-mail to a user, or a group-robot webhook), written in the
    same transaction as the action; the job ticker delivers it with retries."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    channel: Mapped[str] = mapped_column(String(20))  # email | wecom | dingtalk
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict | None] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ImportBatch(AppendOnly, Base):
    __tablename__ = "import_batches"
    register: Mapped[str] = mapped_column(String(30), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(100))
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ImportChange(AppendOnly, Base):
    """What one import did to one row, so the last import can be undone."""

    __tablename__ = "import_changes"
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # insert | update
    before: Mapped[dict | None] = mapped_column(JSON)
