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
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
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
    # the rate card's labour variant this engineer is billed at (junior, senior …)
    engineer_level: Mapped[str | None] = mapped_column(String(20))
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
    # the rate card's travel zone and the distance from the service base (km): a visit's
    # travel, and a ticket's when its report gives no distance; blank zone: the region
    travel_zone: Mapped[str | None] = mapped_column(String(40))
    travel_km: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
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

    # the training coverage groups devices by customer × model (migration 0024)
    __table_args__ = (Index("ix_devices_customer_model", "customer_id", "model_id"),)


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
    """A fault-code library entry (故障代码库); lists (models, parts) are text, checked
    against product_models and parts on every write (data_access.faultcodes)."""

    __tablename__ = "fault_codes"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    models: Mapped[str | None] = mapped_column(String(500))
    symptoms: Mapped[str | None] = mapped_column(Text)
    causes: Mapped[str | None] = mapped_column(Text)
    fix_steps: Mapped[str | None] = mapped_column(Text)
    parts: Mapped[str | None] = mapped_column(String(500))
    labour_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    severity: Mapped[str | None] = mapped_column(String(20))
    reviewed_at: Mapped[dt.date | None] = mapped_column(Date)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class KnowledgeArticle(Stamped, Base):
    """A knowledge-base / FAQ article (常见问题): draft → published → retired."""

    __tablename__ = "knowledge_articles"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    models: Mapped[str | None] = mapped_column(String(500))
    fault_codes: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[str | None] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    source_ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[dt.date | None] = mapped_column(Date)


class DeviceToken(Stamped, Base):
    """The unguessable token of a device's scan-to-report link (扫码报修); one per device,
    rotated by replacing it, revoked by stamping ``revoked_at``."""

    __tablename__ = "device_tokens"
    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PublicRequest(AppendOnly, Base):
    """Every request of the public pages (report, status lookup), accepted or refused:
    the rate limits count these rows, duplicates fold by ``fingerprint``."""

    __tablename__ = "public_requests"
    __table_args__ = (
        Index("ix_public_requests_client_at", "client", "at"),
        Index("ix_public_requests_token_at", "token", "at"),
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))  # report | lookup
    outcome: Mapped[str] = mapped_column(String(30))  # created | duplicate | limited | ...
    token: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64))  # a hash, never the address
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    photo: Mapped[str | None] = mapped_column(String(200))  # file name under the upload dir


# ---------------------------------------------------------------- tickets
class Ticket(Stamped, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_resolve_due", "status", "resolve_due"),
        Index("ix_tickets_engineer_status", "engineer_id", "status"),
        Index("ix_tickets_received_at", "received_at"),
        # first-time fix: another ticket on the same device soon after (one seek each)
        Index("ix_tickets_device_received", "device_id", "received_at"),
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
    # business seconds (rules.sla.sla_clock, on the policy's calendar), stored with the
    # deadlines: received → first response (NULL until responded), and the resolution
    # clock consumed, pauses excluded (NULL until resolved; a cancelled ticket: NULL)
    response_business_s: Mapped[float | None] = mapped_column(Float)
    resolution_business_s: Mapped[float | None] = mapped_column(Float)

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
    # the fault the engineer confirmed on site (diagnosis accuracy compares it with the
    # ticket's intake fault code)
    fault_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("fault_codes.id", ondelete="SET NULL")
    )
    # when the report was first changed after the customer had accepted it (work-order
    # accuracy: a corrected report does not count as right first time)
    corrected_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class TicketPart(Stamped, Base):
    """Parts used on a ticket (the parts domain turns them into stock movements)."""

    __tablename__ = "ticket_parts"
    __table_args__ = (
        UniqueConstraint("ticket_id", "line_no"),
        # the dashboard's dirty marks: a part's key flag or an issue changed (0026)
        Index("ix_ticket_parts_part_id", "part_id"),
        Index("ix_ticket_parts_movement_id", "movement_id"),
    )
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
    # a part number the master lacks, entered on purpose (目录外), and why
    non_catalogue: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    non_catalogue_reason: Mapped[str | None] = mapped_column(String(200))


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
    # required by the register; nullable for rows from before migration 0007
    package_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_packages.id", ondelete="RESTRICT"), index=True
    )
    # rules.maintenance.Frequency; every_n for "every N months / weeks"
    frequency: Mapped[str] = mapped_column(String(20))
    every_n: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20), default="fixed", server_default="fixed")
    kind: Mapped[str] = mapped_column(String(20), default="inspection")  # inspection | firmware
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    due_window: Mapped[str | None] = mapped_column(String(100))
    window_days: Mapped[int] = mapped_column(Integer, default=7)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # a device without a maintenance contract (or past its end): confirmed by a person
    no_contract_confirmed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    next_due: Mapped[dt.date | None] = mapped_column(Date, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    risk_notes: Mapped[str | None] = mapped_column(Text)


class ChecklistItem(Stamped, Base):
    """A package's checklist template: one item, its standard and the kind of result."""

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("package_id", "seq"),)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_packages.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    standard: Mapped[str | None] = mapped_column(String(300))
    result_kind: Mapped[str] = mapped_column(String(20), default="pass_fail")
    lower: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    upper: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    unit: Mapped[str | None] = mapped_column(String(20))


class MaintenanceVisit(Stamped, Base):
    __tablename__ = "maintenance_visits"
    # the schedule's own date: generation matches by it, so a moved visit stays moved
    __table_args__ = (
        UniqueConstraint("plan_id", "planned_date", name="uq_maintenance_visits_plan_planned"),
        # open visits past due (overdue, ageing by engineer): a range of the open ones
        # only, the engineer read from the index too
        Index("ix_maintenance_visits_status_due_engineer", "status", "due_date", "engineer_id"),
        # a month of visits (the month calendar, completion, the dashboard) from the
        # index alone: what the counts, the filters and the window rule read
        Index(
            "ix_maintenance_visits_due_cover",
            "due_date",
            "status",
            "engineer_id",
            "skip_approved",
            "done_at",
            "plan_id",
        ),  # fmt: skip
        # a plan's next open visit (next_due) in one seek: without it SQLite walks the
        # index above for min(due_date) and refreshing 20,000 plans takes minutes
        Index("ix_maintenance_visits_plan_status_due", "plan_id", "status", "due_date"),
    )
    visit_no: Mapped[str] = mapped_column(String(60), unique=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_plans.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="inspection", server_default="inspection")
    planned_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    # planned | done | partly_done | skipped | cancelled (overdue is derived)
    status: Mapped[str] = mapped_column(String(20))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    engineer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    arrived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    departed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    content: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(30))
    findings: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(String(30))
    skipped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    skip_approved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    customer_rep: Mapped[str | None] = mapped_column(String(100))
    accepted: Mapped[bool | None] = mapped_column(Boolean)
    # firmware / software upgrade visits (seed 001 §4)
    version_from: Mapped[str | None] = mapped_column(String(60))
    version_to: Mapped[str | None] = mapped_column(String(60))
    backup_done: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    risk_notes: Mapped[str | None] = mapped_column(Text)
    rollback_note: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))


class VisitResultLine(Stamped, Base):
    """A visit's checklist result per item (copied from the package's template)."""

    __tablename__ = "visit_results"
    __table_args__ = (UniqueConstraint("visit_id", "line_no"),)
    visit_id: Mapped[int] = mapped_column(ForeignKey("maintenance_visits.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    standard: Mapped[str | None] = mapped_column(String(300))
    result_kind: Mapped[str] = mapped_column(String(20), default="pass_fail")
    lower: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    upper: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    unit: Mapped[str | None] = mapped_column(String(20))
    measured: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    observation: Mapped[str | None] = mapped_column(String(300))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- spare parts
class Warehouse(Stamped, Base):
    """Where parts lie: the central store, regional stores, an engineer's van (车载库存,
    ``user_id`` its engineer) and the faulty-parts store for warranty claims."""

    __tablename__ = "warehouses"
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # central | regional | van | faulty
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Part(Stamped, Base):
    __tablename__ = "parts"
    part_no: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
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
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StockMovement(AppendOnly, Base):
    """Append-only ledger (配件台账): one row per document line; ``entry`` is
    ``<doc no>/<line>``, so re-importing the same document writes nothing. ``qty`` is
    signed (+ in, - out); a transfer is one document with two rows."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        Index("ix_stock_movements_part_at", "part_id", "at"),
        Index("ix_stock_movements_doc_no", "doc_no"),
        Index("ix_stock_movements_warehouse_part_at", "warehouse_id", "part_id", "at"),
    )
    # a ledger row never changes: the version stays 1 (the register reads show it)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    entry: Mapped[str] = mapped_column(String(60), unique=True)
    doc_no: Mapped[str] = mapped_column(String(50))
    line_no: Mapped[int] = mapped_column(Integer)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))
    qty: Mapped[int] = mapped_column(Integer)  # signed: + in, - out
    unit_cost: Mapped[Decimal | None] = mapped_column(Money)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_visits.id", ondelete="SET NULL")
    )
    stock_take_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_takes.id", ondelete="SET NULL")
    )
    supplier: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(20))  # scrap: expired | damaged | other
    reference: Mapped[str | None] = mapped_column(String(100))
    reverses: Mapped[str | None] = mapped_column(String(50))  # the doc no. a reversal cancels
    requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # issue: when asked for
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(300))


class StockBalance(Base):
    """On hand per part and warehouse: the ledger sum, written in the movement's
    transaction (and the row a posting locks: its upsert, in key order)."""

    __tablename__ = "stock_balances"
    __table_args__ = (UniqueConstraint("part_id", "warehouse_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    qty: Mapped[int] = mapped_column(Integer, default=0)


class ReorderSuggestion(Stamped, Base):
    """A reorder suggestion (补货建议) for a part at the store that receives it: the figures
    that triggered it are kept; at most one open (or ordered) per part and warehouse; a
    receipt of the part into that warehouse closes it."""

    __tablename__ = "reorder_suggestions"
    __table_args__ = (
        Index(
            "ux_reorder_open",
            "part_id",
            "warehouse_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'ordered')"),
            postgresql_where=text("status IN ('open', 'ordered')"),
        ),
    )
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), index=True)  # rules.parts.SuggestionStatus
    on_hand: Mapped[int] = mapped_column(Integer)
    on_order: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    projected: Mapped[int] = mapped_column(Integer)
    reorder_point: Mapped[int] = mapped_column(Integer)
    reorder_qty: Mapped[int] = mapped_column(Integer)
    suggested: Mapped[int] = mapped_column(Integer)
    purchase_ref: Mapped[str | None] = mapped_column(String(100))  # the purchase order no.
    ordered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ordered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_doc: Mapped[str | None] = mapped_column(String(60))  # the receipt that closed it


class StockTake(Stamped, Base):
    __tablename__ = "stock_takes"
    take_no: Mapped[str] = mapped_column(String(40), unique=True)
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # open | posted
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    snapshot_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class StockTakeLine(Stamped, Base):
    __tablename__ = "stock_take_lines"
    __table_args__ = (UniqueConstraint("take_id", "part_id", "warehouse_id"),)
    take_id: Mapped[int] = mapped_column(ForeignKey("stock_takes.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"))
    warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="RESTRICT")
    )
    book_qty: Mapped[int] = mapped_column(Integer)
    counted_qty: Mapped[int | None] = mapped_column(Integer)


# ---------------------------------------------------------------- complaints
class Complaint(Stamped, Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_status_received_at", "status", "received_at"),
        Index("ix_complaints_model_fault", "model_id", "fault_code_id"),
        Index("ix_complaints_received_at", "received_at"),
    )
    complaint_no: Mapped[str] = mapped_column(String(40), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    # the engineer complained about (from the ticket or a low follow-up score)
    engineer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_models.id", ondelete="SET NULL")
    )
    fault_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("fault_codes.id", ondelete="SET NULL")
    )
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
    handling_group: Mapped[str | None] = mapped_column(String(100))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    investigate_by: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cause_category: Mapped[str | None] = mapped_column(String(30))
    root_cause: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    rounds: Mapped[int] = mapped_column(Integer, default=1)
    # the customer's confirmation that closes it: channel, person, time
    confirm_channel: Mapped[str | None] = mapped_column(String(20))
    confirm_person: Mapped[str | None] = mapped_column(String(100))
    confirm_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # CAPA (纠正措施要求表): criterion, verification due, and its verification
    capa_status: Mapped[str | None] = mapped_column(String(20))
    capa_criterion: Mapped[str | None] = mapped_column(Text)
    capa_verify_by: Mapped[dt.date | None] = mapped_column(Date)
    capa_verified_at: Mapped[dt.date | None] = mapped_column(Date)
    capa_verifier_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    capa_result: Mapped[str | None] = mapped_column(Text)


class ComplaintAction(Stamped, Base):
    """The handling plan's actions: lines of a complaint (parent ``complaint``)."""

    __tablename__ = "complaint_actions"
    __table_args__ = (UniqueConstraint("complaint_id", "line_no"),)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    round: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # investigation | measure | corrective | preventive | verification | inform
    description: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(100))
    responsible: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | doing | done
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    effective: Mapped[bool | None] = mapped_column(Boolean)


class ComplaintEvent(AppendOnly, Base):
    """A complaint's history: the customer informed, rounds, escalations, confirmations,
    CAPA verdicts. Append-only."""

    __tablename__ = "complaint_events"
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # inform | round | escalate | confirm | ...
    round: Mapped[int] = mapped_column(Integer, default=1)
    channel: Mapped[str | None] = mapped_column(String(20))
    person: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- follow-ups
class FollowUp(Stamped, Base):
    __tablename__ = "followups"
    __table_args__ = (Index("ix_followups_status_due_date", "status", "due_date"),)
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
    # the engineer whose work the call rates (may not record his own rating)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # ticket | complaint | install | periodic | maintenance
    reason: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))  # phone | email | onsite | wechat | online
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))  # planned | done | unreachable | cancelled
    # the last call's outcome, how many calls were made, and when to try again
    outcome: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[str | None] = mapped_column(Text)
    opinions: Mapped[str | None] = mapped_column(Text)
    suggestions: Mapped[str | None] = mapped_column(Text)
    # the latest rating (every rating is also kept in ``followup_ratings``)
    rating_quality: Mapped[int | None] = mapped_column(Integer)
    rating_attitude: Mapped[int | None] = mapped_column(Integer)
    rating_efficiency: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    issue_raised: Mapped[str | None] = mapped_column(Text)
    issue_ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL")
    )
    issue_closed: Mapped[bool | None] = mapped_column(Boolean)


class FollowUpRating(AppendOnly, Base):
    """Every rating a call records, a new row each time; CSAT reads the latest per ticket."""

    __tablename__ = "followup_ratings"
    # the latest rating per ticket of a period (the dashboard's CSAT) from the index alone;
    # the superseded ratings of a period (the few the dashboard's rollup leaves out)
    __table_args__ = (
        Index("ix_followup_ratings_latest", "rated_at", "ticket_id", "score"),
        Index("ix_followup_ratings_superseded", "rated_at", sqlite_where=text("superseded = 1"),
              postgresql_where=text("superseded")),
    )  # fmt: skip
    followup_id: Mapped[int] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rated_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    quality: Mapped[int] = mapped_column(Integer)
    attitude: Mapped[int] = mapped_column(Integer)
    efficiency: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    comment: Mapped[str | None] = mapped_column(Text)
    # a later rating (higher id) of the same ticket exists: kept by the database's
    # triggers (migration 0020) on every write path, for the dashboard's rollup
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SatisfactionReview(Stamped, Base):
    """Opened when a period's satisfaction falls below the threshold; the manager closes it."""

    __tablename__ = "satisfaction_reviews"
    period_start: Mapped[dt.date] = mapped_column(Date, unique=True)
    period_end: Mapped[dt.date] = mapped_column(Date)
    satisfaction: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # percent
    threshold: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    ratings: Mapped[int] = mapped_column(Integer)
    ticket_ids: Mapped[list] = mapped_column(JSON)  # the tickets rated unsatisfied
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)


# ---------------------------------------------------------------- training
class TrainingCourse(Stamped, Base):
    __tablename__ = "training_courses"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(30))  # rules.training.Topic
    delivery: Mapped[str] = mapped_column(String(30))  # rules.training.Delivery
    audience: Mapped[str] = mapped_column(String(20))  # rules.training.Audience
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    outline: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[str | None] = mapped_column(Text)
    pass_mark: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    validity_months: Mapped[int | None] = mapped_column(Integer)  # None: never expires
    models: Mapped[str | None] = mapped_column(String(500))  # model codes as typed
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class TrainingCourseModel(AppendOnly, Base):
    """The product models a course covers (derived from ``training_courses.models``)."""

    __tablename__ = "training_course_models"
    __table_args__ = (UniqueConstraint("course_id", "model_id"),)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(
        ForeignKey("product_models.id", ondelete="CASCADE"), index=True
    )


class TrainingSession(Stamped, Base):
    __tablename__ = "training_sessions"
    session_no: Mapped[str] = mapped_column(String(40), unique=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="RESTRICT"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    phase: Mapped[str | None] = mapped_column(String(20))  # rules.training.Phase
    trainer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    online_link: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # rules.training.SessionStatus


class TrainingAttendance(Stamped, Base):
    """An attendee line of a session: attendance, assessment, feedback, certificate."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "line_no"),
        # covers the coverage figures: a customer's valid certificates and attendance
        # are read from the index alone
        Index(
            "ix_training_attendance_coverage",
            "customer_id",
            "result",
            "session_id",
            "certificate_expires",
            "name",
            "presence",
        ),  # fmt: skip
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # rules.training.AttendeeKind
    name: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    phone: Mapped[str | None] = mapped_column(String(40))
    job: Mapped[str | None] = mapped_column(String(100))
    presence: Mapped[str | None] = mapped_column(String(10))  # rules.training.Presence
    test_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    practical: Mapped[str | None] = mapped_column(String(10))  # pass | fail
    rating: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    # derived by the attendance hooks from the course's pass mark and validity
    result: Mapped[str | None] = mapped_column(String(10))  # rules.training.Result
    certificate_no: Mapped[str | None] = mapped_column(String(60))
    certificate_expires: Mapped[dt.date | None] = mapped_column(Date, index=True)


# ---------------------------------------------------------------- fees
class RateCardItem(Stamped, Base):
    """One version of a rate: valid from ``valid_from`` to ``valid_to`` (inclusive, None:
    open). Historic tickets price at the version valid on their failure date."""

    __tablename__ = "rate_card"
    __table_args__ = (UniqueConstraint("code", "valid_from"),)
    rate_key: Mapped[str] = mapped_column(String(60), unique=True)  # code@valid_from
    code: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # rules.fees.FeeKind
    # labour: engineer level; travel: zone; rush: day | night; blank: any
    variant: Mapped[str | None] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(String(20), default="fixed")  # rules.fees.Basis
    price: Mapped[Decimal] = mapped_column(Money)  # a percent for basis "percent"
    km_from: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    km_to: Mapped[Decimal | None] = mapped_column(Numeric(8, 1))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    change_reason: Mapped[str | None] = mapped_column(String(300))


class Settlement(Stamped, Base):
    """A statement (结算单): one ticket's or visit's (``kind`` ticket; a visit's has no
    ``ticket_id`` and names its visit by its lines), or a customer's month (月结). Locked
    once settled: later corrections are adjustment lines on a new statement."""

    __tablename__ = "settlements"
    settlement_no: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="ticket")  # ticket | monthly
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)  # rules.fees.SettlementStatus
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    settled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)


class FeeQuote(Stamped, Base):
    """A fee document's header: a ticket's, or a maintenance visit's outside a contract
    (exactly one of the two); its number is the ticket's or the visit's; the quote and
    the customer's confirmation."""

    __tablename__ = "fee_quotes"
    doc_no: Mapped[str] = mapped_column(String(60), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_visits.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20))  # rules.fees.QuoteStatus
    quoted_total: Mapped[Decimal | None] = mapped_column(Money)
    quoted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    quoted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(100))  # the customer's person
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    confirmed_via: Mapped[str | None] = mapped_column(String(20))  # rules.fees.ConfirmVia
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class FeeLine(Stamped, Base):
    """A fee line of a fee document (a ticket's or a visit's): list amount before
    discount, the coverage rule applied, the discount and the net amount (each rounded
    half-up to 0.01). ``ticket_id`` / ``visit_id`` repeat the document's, for queries."""

    __tablename__ = "fee_lines"
    __table_args__ = (UniqueConstraint("doc_id", "line_no"),)
    # set on every write (an import naming a ticket or visit without a fee document yet
    # makes the document after the write); null only inside that write
    doc_id: Mapped[int | None] = mapped_column(
        ForeignKey("fee_quotes.id", ondelete="CASCADE"), index=True
    )
    doc_no: Mapped[str | None] = mapped_column(String(60))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_visits.id", ondelete="CASCADE"), index=True
    )
    line_no: Mapped[int] = mapped_column(Integer)
    settlement_id: Mapped[int | None] = mapped_column(
        ForeignKey("settlements.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # rules.fees.FeeKind
    rate_code: Mapped[str | None] = mapped_column(String(40))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("parts.id", ondelete="RESTRICT"))
    part_no: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(String(200))
    qty: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    list_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    rule: Mapped[str | None] = mapped_column(String(20))  # rules.fees.Rule
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))  # net
    override_reason: Mapped[str | None] = mapped_column(String(300))
    change_reason: Mapped[str | None] = mapped_column(String(300))


class Payment(Stamped, Base):
    """The payments ledger: payments and write-offs, never edited (a reversal corrects)."""

    __tablename__ = "payments"
    payment_no: Mapped[str] = mapped_column(String(60), unique=True)
    settlement_id: Mapped[int] = mapped_column(
        ForeignKey("settlements.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="payment")  # rules.fees.PaymentKind
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str | None] = mapped_column(String(20))  # rules.fees.PaymentMethod
    reference: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(300))


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
    # an insert of the ids row_id…row_id_last (on SQLite a chunk's rows take consecutive
    # ids: one journal row per chunk, not per row); NULL: the one row row_id
    row_id_last: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # insert | update
    before: Mapped[dict | None] = mapped_column(JSON)


def in_models(name: str | None, type_: str, parent_names: dict) -> bool:
    """Schema comparison (autogenerate, the schema test) covers the models only: the
    search index of migration 0014 (SQLite FTS5 tables, PostgreSQL trigram indexes) is
    kept by its migration and triggers, not by a model."""
    if type_ == "table" and name and name.startswith("search_"):
        return False
    return not (type_ == "index" and name and name.endswith("_search"))


# ---------------------------------------------------------------- dashboard rollup
# Kept by the database itself (migration 0017's triggers mark the days a write touches;
# data_access.dashboard_rollup recomputes them): never written by the application's
# commands. The measure columns are data_access.dashboard's ticket measures.
ROLLUP_COUNTS = (
    "rows", "reports", "failure_repairs", "tickets_received__n", "tickets_open__n",
    "first_response_min__d", "first_response_wall_min__d", "resolution_h__d",
    "resolution_wall_h__d", "response_compliance__d", "response_compliance__n",
    "on_time_repair__d", "on_time_repair__n", "first_time_fix__d", "first_time_fix__n",
    "repair_success__d", "repair_success__n", "work_order_accuracy__d",
    "work_order_accuracy__n", "diagnosis_accuracy__d", "diagnosis_accuracy__n",
    "ratings", "ratings_satisfied", "key_parts_72h__d", "key_parts_72h__n",
)  # fmt: skip
ROLLUP_SUMS = ("first_response_min__n", "first_response_wall_min__n", "resolution_h__n",
               "resolution_wall_h__n", "rating_score")  # fmt: skip


class DashboardDaily(Base):
    """The dashboard's additive ticket measures per day of receipt and per value of no,
    one, two or three breakdown dimensions (``dims``: '' or 'region' or 'region,engineer',
    in the order of rules.dashboard.DIMENSIONS; ``v1``/``v2``/``v3`` their values as text); the
    rating columns (``ratings``…) sum the ratings given that day that are their ticket's
    latest (not superseded), under the ticket's dimensions; ``key_parts_72h__d``/``__n``
    count the key-part lines of the day's tickets and those issued within 72 h."""

    __tablename__ = "dashboard_daily"
    __table_args__ = (Index("ix_dashboard_daily_dims_day", "dims", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    dims: Mapped[str] = mapped_column(String(60))
    v1: Mapped[str | None] = mapped_column(String(100))
    v2: Mapped[str | None] = mapped_column(String(100))
    v3: Mapped[str | None] = mapped_column(String(100))
    labour_hours: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


for _name in ROLLUP_COUNTS:
    setattr(DashboardDaily, _name, mapped_column(_name, Integer, nullable=False, default=0))
for _name in ROLLUP_SUMS:
    setattr(DashboardDaily, _name, mapped_column(_name, Float))


class DashboardDirty(Base):
    """What a write touched since the rollup was last refreshed (append-only, written by
    triggers): a day of receipt; a device's tickets (``at``: those whose first-time fix a
    ticket received then can change; none: all); a customer's tickets."""

    __tablename__ = "dashboard_dirty"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date | None] = mapped_column(Date)
    device_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    customer_id: Mapped[int | None] = mapped_column(Integer)


class DashboardRollupState(Base):
    """One row: the first-time-fix window the rollup was computed with."""

    __tablename__ = "dashboard_rollup_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ftf_repeat_days: Mapped[int] = mapped_column(Integer)
