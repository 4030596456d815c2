"""How a register binds to its table: :class:`Adapter`, reference targets, side tables,
and the hooks a domain plugs in (derive, after_write, after_undo).

No domain module is imported here: each domain builds its adapter from these parts
and :mod:`data_access.catalog` lists them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
)
from sqlalchemy.orm import Session

from data_access.models import (
    Complaint,
    Customer,
    Device,
    FaultCode,
    FeeQuote,
    MaintenancePackage,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    ProductModel,
    Settlement,
    Ticket,
    TrainingCourse,
    TrainingSession,
    User,
    Warehouse,
)
from rules.fields import Field, Kind, Problem, Register


@dataclass(frozen=True)
class RowProblem(Problem):
    """A :class:`Problem` that also says which list its ``row`` indexes."""

    kind: str = ""  # insert | update | delete


@dataclass(frozen=True)
class RefTarget:
    """How a REF field finds its row: the natural key first, then unique fallbacks."""

    model: type
    keys: tuple[str, ...]
    extra: tuple[str, ...] = ()  # further columns callers need (e.g. warranty months)

    @property
    def table(self) -> Table:
        return self.model.__table__


def _column_of(f: Field) -> str:
    if f.column:
        return f.column
    return f"{f.name}_id" if f.kind is Kind.REF else f.name


REF_TARGETS: dict[str, RefTarget] = {
    "customers": RefTarget(Customer, ("code", "name")),
    "product_models": RefTarget(ProductModel, ("code", "name"), ("warranty_months",)),
    "devices": RefTarget(Device, ("serial_no",), ("customer_id", "warranty_end", "contract_end")),
    "users": RefTarget(User, ("username", "display_name")),
    "fault_codes": RefTarget(FaultCode, ("code",)),
    "tickets": RefTarget(Ticket, ("ticket_no",), ("status",)),
    "parts": RefTarget(Part, ("part_no",), ("name", "price", "unit_cost")),
    "warehouses": RefTarget(Warehouse, ("code", "name")),
    "settlements": RefTarget(Settlement, ("settlement_no",), ("status", "total")),
    # a ticket's or a visit's fee document, by the ticket's or the visit's number
    "fee_documents": RefTarget(FeeQuote, ("doc_no",), ("ticket_id", "visit_id", "status")),
    "complaints": RefTarget(Complaint, ("complaint_no",), ("status",)),
    "courses": RefTarget(TrainingCourse, ("code",)),
    "training_sessions": RefTarget(TrainingSession, ("session_no",), ("status", "customer_id")),
    "maintenance_packages": RefTarget(MaintenancePackage, ("code",)),
    "maintenance_plans": RefTarget(MaintenancePlan, ("plan_no",), ("kind", "responsible_id")),
    "maintenance_visits": RefTarget(MaintenanceVisit, ("visit_no",), ("status", "engineer_id")),
}

Computed = Callable[[Mapping[str, Any], dt.date], dict[str, Any]]
ComputedFilter = Callable[[Table, Any, dt.date], ColumnElement[bool]]
Refs = Mapping[str, Mapping[str, Any] | None]


class Hooks:
    """What a domain adds to the generic write path: five methods, each optional.

    ``derive`` fills values that need the referenced rows (defaults, the device's
    cover status on the day received) and returns the problems only those rows can
    show; ``after_write``, ``after_delete`` and ``after_undo`` run in the writing
    transaction (history, deadlines, who may, what a removed line gives back).
    ``columns`` names the table columns ``derive`` sets that are no field.
    Subclass per domain, in ``data_access/<domain>.py``.
    """

    columns: tuple[str, ...] = ()
    # problem codes of ``derive`` that forbid a change now (a closed document's lines):
    # an import row that changes nothing passes them
    locks: frozenset[str] = frozenset()

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        return []

    def before_write(
        self,
        session: Session,
        inserts: Sequence[dict[str, Any]],
        updates: Sequence[tuple[dict[str, Any], dict[str, Any]]],
        now: dt.datetime,
    ) -> None:
        """Fill, in place, values that need the database just before a validated write
        (a loose reference's row made on first use: a fee line's document)."""
        return None

    def after_write(self, session: Session, written: Written) -> None:
        return None

    def after_delete(self, session: Session, deleted: Deleted) -> None:
        return None

    def after_undo(self, session: Session, restored: Restored) -> None:
        return None

    def numbers(self, session: Session, now: dt.datetime) -> Iterator[str] | None:
        """A register numbered by the desk: the free numbers after the highest in use,
        in order, for new rows left without one (None: every row brings its key).
        Takes whatever lock makes concurrent writers number one after another."""
        return None


NO_HOOKS = Hooks()


@dataclass(frozen=True)
class Satellite:
    """Fields kept in a one-to-one side table (a ticket's ratings in its service report).

    They read and write like the register's own fields; the side row is made when a
    value is first given and is deleted with its owner (``ondelete=CASCADE``).
    """

    model: type
    fk: str  # the side table's column pointing at the register's row
    fields: tuple[str, ...]

    @property
    def table(self) -> Table:
        return self.model.__table__


@dataclass(frozen=True)
class Written:
    """What one write did, for an adapter's ``after_write`` (history, derived data)."""

    inserted: list[dict[str, Any]]  # column values, with "id"
    updated: list[tuple[dict[str, Any], dict[str, Any]]]  # (row before, changed values)
    now: dt.datetime
    user_id: int | None


@dataclass(frozen=True)
class Deleted:
    """The rows one write deleted (their stored column values), for ``after_delete``."""

    rows: list[dict[str, Any]]
    now: dt.datetime
    user_id: int | None


@dataclass(frozen=True)
class Restored:
    """What an undo did, for an adapter's ``after_undo``."""

    restored: list[tuple[dict[str, Any], dict[str, Any]]]  # (row before undo, restored values)
    now: dt.datetime
    user_id: int | None
    deleted: list[dict[str, Any]] = field(default_factory=list)  # rows the undo deleted


@dataclass(frozen=True)
class Adapter:
    """Binds a register spec to its table."""

    register: Register
    model: type
    hooks: Hooks = NO_HOOKS
    # display-only values computed from the stored row and today's date
    computed: Computed | None = None
    # SQL filters for computed fields: field name → (table, wanted value, today) → clause
    computed_filters: Mapping[str, ComputedFilter] = field(default_factory=dict)
    # the stored fields ``computed`` reads (lets exports compute once per distinct value)
    computed_from: tuple[str, ...] = ()
    satellite: Satellite | None = None
    # a page's filter (a plain dataclass) and the moment → conditions on the table: the
    # export of what a list shows, without SQL in the page
    where_of: Callable[[Any, dt.datetime], Sequence[ColumnElement[bool]]] | None = None
    # derived once (row loops ask for them per cell)
    _stored: tuple[Field, ...] = field(init=False, repr=False, compare=False)
    _columns: dict[str, str] = field(init=False, repr=False, compare=False)
    column_names: frozenset[str] = field(init=False, repr=False, compare=False)
    insert_columns: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # display columns the SELECT gives after id and version, in order
    selected: tuple[str, ...] = field(init=False, repr=False, compare=False)
    fields_by_name: dict[str, Field] = field(init=False, repr=False, compare=False)
    # REF fields that also keep text matching no row: field → the column keeping it
    loose_refs: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        side = set(self.satellite.fields) if self.satellite else set()
        stored = tuple(f for f in self.register.input_fields if f.name not in side)
        columns = {f.name: _column_of(f) for f in stored}
        loose = {f.name: f.loose for f in stored if f.loose}
        object.__setattr__(self, "loose_refs", loose)
        extra = (*loose.values(), *self.hooks.columns)
        inserted = tuple(dict.fromkeys([*columns.values(), *extra]))
        table_columns = set(self.model.__table__.c.keys())
        shown = tuple(
            f.name for f in self.register.fields if f.computed and f.name in table_columns
        )
        object.__setattr__(self, "_stored", stored)
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "column_names", frozenset(inserted))
        object.__setattr__(self, "insert_columns", inserted)
        order = [f.name for f in self.register.fields]
        side_in_order = tuple(n for n in order if n in side)
        object.__setattr__(self, "selected", (*(f.name for f in stored), *side_in_order, *shown))
        object.__setattr__(self, "fields_by_name", {f.name: f for f in self.register.fields})

    @property
    def table(self) -> Table:
        return self.model.__table__

    @property
    def name(self) -> str:
        return self.register.name

    @property
    def key_column(self) -> str:
        return self.column(self.register.field(self.register.key))

    @property
    def derives(self) -> bool:
        """Whether the hooks derive anything (else referenced rows need not be read)."""
        return type(self.hooks).derive is not Hooks.derive

    @property
    def parent(self) -> Field | None:
        """The parent document's REF field of a lines register."""
        return self.register.field(self.register.parent) if self.register.parent else None

    def column(self, f: Field) -> str:
        """The table column that stores field ``f`` (REF → ``<name>_id``)."""
        return self._columns.get(f.name) or _column_of(f)

    def natural_key(self, values: Mapping[str, Any]) -> Any:
        """A row's natural key from field values: the key, or (parent key, line key)."""
        key = values.get(self.register.key)
        if self.register.parent is None:
            return key
        parent = values.get(self.register.parent)
        return None if key is None or parent is None else (parent, key)

    def stored_fields(self) -> tuple[Field, ...]:
        """Input fields stored in the register's own table."""
        return self._stored

    def side_fields(self) -> tuple[str, ...]:
        return self.satellite.fields if self.satellite else ()

    def ref_target(self, f: Field) -> RefTarget:
        return REF_TARGETS[f.ref or ""]
