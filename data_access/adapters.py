"""How a register binds to its table: :class:`Adapter`, reference targets, side tables,
the desk's numbering and the hooks a domain plugs in (derive, before_write, after_write).

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
# the free numbers after the highest in use, in order, for new rows left without one;
# takes whatever lock makes concurrent writers number one after another
Numbering = Callable[[Session, dt.datetime], Iterator[str]]
ComputedFilter = Callable[[Table, Any, dt.date], ColumnElement[bool]]
Refs = Mapping[str, Mapping[str, Any] | None]


class Hooks:
    """What a domain adds to the one write path: three methods, each optional.
    Subclass per domain, in ``data_access/<domain>_register.py``.

    - ``derive(values, refs)``: at validation, fills values that need the referenced
      rows (defaults, the device's cover status on the day received) and returns the
      problems only those rows can show. Pure: no session.
    - ``before_write(session, batch)``: just before a validated write (never an undo),
      fills, in place, values that need the database (a loose reference's row made on
      first use: a fee line's document).
    - ``after_write(session, change)``: in the writing transaction, once per kind of
      change: :class:`Written` (rows inserted or updated), then :class:`Deleted` (rows a
      grid or an import deleted), or :class:`Restored` (an undone import). Match on the
      type and ignore the others: history, deadlines, stock, who may. A rule that
      needs the database raises ``data_access.errors.Refused`` and the write rolls back.

    ``columns`` names the table columns ``derive`` sets that are no field; ``locks`` the
    problem codes of ``derive`` that forbid a change now (a closed document's lines):
    an import row that changes nothing passes them. Numbering is no hook but the
    register's own (:attr:`Adapter.numbering`).
    """

    columns: tuple[str, ...] = ()
    locks: frozenset[str] = frozenset()

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        return []

    def before_write(self, session: Session, batch: Batch) -> None:
        return None

    def after_write(self, session: Session, change: Change) -> None:
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
    """The rows one write deleted (their stored column values), for ``after_write``."""

    rows: list[dict[str, Any]]
    now: dt.datetime
    user_id: int | None


@dataclass(frozen=True)
class Restored:
    """What an undo did (no ``Written``/``Deleted`` then), for ``after_write``."""

    restored: list[tuple[dict[str, Any], dict[str, Any]]]  # (row before undo, restored values)
    now: dt.datetime
    user_id: int | None
    deleted: list[dict[str, Any]] = field(default_factory=list)  # rows the undo deleted


Change = Written | Deleted | Restored


@dataclass(frozen=True)
class Batch:
    """The validated rows one write is about to store, for ``before_write`` (filled in
    place)."""

    inserts: Sequence[dict[str, Any]]  # column values
    updates: Sequence[tuple[dict[str, Any], dict[str, Any]]]  # (stored row, new values)
    now: dt.datetime
    user_id: int | None


@dataclass(frozen=True)
class Adapter:
    """Binds a register spec to its table."""

    register: Register
    model: type
    hooks: Hooks = NO_HOOKS
    # a register numbered by the desk (None: every new row brings its key)
    numbering: Numbering | None = None
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

    def column_defaults(self) -> dict[str, Any]:
        """Each inserted column's scalar default in the table (else None): what a new
        row written without that column holds."""
        table = self.table
        out = {}
        for n in self.insert_columns:
            default = table.c[n].default
            out[n] = default.arg if default is not None and default.is_scalar else None
        return out

    def ref_target(self, f: Field) -> RefTarget:
        return REF_TARGETS[f.ref or ""]
