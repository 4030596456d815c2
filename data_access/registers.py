"""The one write path for register rows (customers, devices, …).

Both the page editors and the Excel importer go through here: rows are validated by
the field specs (``rules/``), references resolve by natural key in one query per
referenced register, duplicate keys are checked within the batch and against the
database, and writes are Core statements (executemany), never row-by-row ORM.

A new register plugs in with a field spec in ``rules/`` and one :class:`Adapter`
entry in :data:`ADAPTERS`; nothing else here changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from data_access import ticket_register
from data_access.customers import (
    contract_clause,
    device_computed,
    device_derive,
    warranty_clause,
)
from data_access.models import (
    AuditLog,
    Base,
    Customer,
    Device,
    FaultCode,
    ProductModel,
    ServiceReport,
    Setting,
    Ticket,
    User,
)
from rules.customers import CUSTOMERS, DEVICES
from rules.fields import Field, Kind, Problem, Register, validate_row
from rules.tickets import RATINGS, TICKETS

IN_CHUNK = 5000  # values per IN (...) list: well under SQLite's 32766 variables
MEMO_LIMIT = 50_000  # distinct values remembered per column before starting over


class ConflictError(Exception):
    """A row was changed by someone else since it was read (stale ``version``)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class UnknownRegister(KeyError):
    """No adapter for this register (not built yet)."""


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


REF_TARGETS: dict[str, RefTarget] = {
    "customers": RefTarget(Customer, ("code", "name")),
    "product_models": RefTarget(ProductModel, ("code", "name"), ("warranty_months",)),
    "devices": RefTarget(Device, ("serial_no",), ("customer_id", "warranty_end", "contract_end")),
    "users": RefTarget(User, ("username", "display_name")),
    "fault_codes": RefTarget(FaultCode, ("code",)),
}

Derive = Callable[[dict[str, Any], Mapping[str, Mapping[str, Any] | None]], None]
RefCheck = Callable[[Mapping[str, Any], Mapping[str, Mapping[str, Any] | None]], list[Problem]]
Computed = Callable[[Mapping[str, Any], dt.date], dict[str, Any]]
ComputedFilter = Callable[[Table, Any, dt.date], ColumnElement[bool]]


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
class Restored:
    """What an undo did, for an adapter's ``after_undo``."""

    restored: list[tuple[dict[str, Any], dict[str, Any]]]  # (row before undo, restored values)
    now: dt.datetime
    user_id: int | None


@dataclass(frozen=True)
class Adapter:
    """Binds a register spec to its table."""

    register: Register
    model: type
    key_column: str
    # clean values → derived values before writing (defaults that need a referenced row)
    derive: Derive | None = None
    # display-only values computed from the stored row and today's date
    computed: Computed | None = None
    # SQL filters for computed fields: field name → (table, wanted value, today) → clause
    computed_filters: Mapping[str, ComputedFilter] = field(default_factory=dict)
    # the stored fields ``computed`` reads (lets exports compute once per distinct value)
    computed_from: tuple[str, ...] = ()
    # REF field → its id column, where not ``<name>_id``
    ref_columns: Mapping[str, str] = field(default_factory=dict)
    # REF fields that also take text matching no row: field → the column keeping the text
    loose_refs: Mapping[str, str] = field(default_factory=dict)
    # columns that are no field, set by ``derive`` on insert (e.g. cover status at intake)
    derived_columns: tuple[str, ...] = ()
    # checks that need the referenced rows (after ``derive``)
    ref_check: RefCheck | None = None
    satellite: Satellite | None = None
    # hooks in the writing transaction: after rows are written / an import is undone
    after_write: Callable[[Session, Written], None] | None = None
    after_undo: Callable[[Session, Restored], None] | None = None
    # derived once (row loops ask for them per cell)
    _stored: tuple[Field, ...] = field(init=False, repr=False, compare=False)
    _columns: dict[str, str] = field(init=False, repr=False, compare=False)
    column_names: frozenset[str] = field(init=False, repr=False, compare=False)
    insert_columns: tuple[str, ...] = field(init=False, repr=False, compare=False)
    # display columns the SELECT gives after id and version, in order
    selected: tuple[str, ...] = field(init=False, repr=False, compare=False)
    fields_by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        side = set(self.satellite.fields) if self.satellite else set()
        stored = tuple(f for f in self.register.input_fields if f.name not in side)
        columns = {
            f.name: self.ref_columns.get(f.name, f"{f.name}_id") if f.kind is Kind.REF else f.name
            for f in stored
        }
        extra = (*self.loose_refs.values(), *self.derived_columns)
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

    def column(self, f: Field) -> str:
        """The table column that stores field ``f`` (REF → ``<name>_id``)."""
        return self._columns.get(f.name) or (f"{f.name}_id" if f.kind is Kind.REF else f.name)

    def stored_fields(self) -> tuple[Field, ...]:
        """Input fields stored in the register's own table."""
        return self._stored

    def side_fields(self) -> tuple[str, ...]:
        return self.satellite.fields if self.satellite else ()

    def ref_target(self, f: Field) -> RefTarget:
        return REF_TARGETS[f.ref or ""]


ADAPTERS: dict[str, Adapter] = {
    "customers": Adapter(CUSTOMERS, Customer, "code"),
    "devices": Adapter(
        DEVICES,
        Device,
        "serial_no",
        derive=device_derive,
        computed=device_computed,
        computed_from=("warranty_end", "contract_end"),
        computed_filters={
            "warranty_status": warranty_clause,
            "contract_status": contract_clause,
        },
    ),
    "tickets": Adapter(
        TICKETS,
        Ticket,
        "ticket_no",
        derive=ticket_register.derive,
        computed=ticket_register.computed,
        computed_from=RATINGS,
        ref_columns={"serial_no": "device_id"},
        loose_refs={"serial_no": "serial_no"},
        derived_columns=("warranty_status", "contract_status", "remote_resolved"),
        ref_check=ticket_register.ref_check,
        satellite=Satellite(ServiceReport, "ticket_id", RATINGS),
        after_write=ticket_register.after_write,
        after_undo=ticket_register.after_undo,
    ),
}


def adapter(register: str) -> Adapter:
    try:
        return ADAPTERS[register]
    except KeyError:
        raise UnknownRegister(register) from None


# ---------------------------------------------------------------- reading
def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _display_select(ad: Adapter):
    """SELECT of every stored field as display values (REF → referenced natural key),
    in :attr:`Adapter.selected` order after ``id`` and ``version``."""
    table = ad.table
    cols = [table.c.id, table.c.version]
    joined = table
    for f in ad.stored_fields():
        if f.name in ad.loose_refs:  # the matched row's key, else the text as typed
            target = ad.ref_target(f)
            alias = target.table.alias(f"ref_{f.name}")
            joined = joined.outerjoin(alias, alias.c.id == table.c[ad.column(f)])
            text = table.c[ad.loose_refs[f.name]]
            cols.append(func.coalesce(alias.c[target.keys[0]], text).label(f.name))
        elif f.kind is Kind.REF:
            target = ad.ref_target(f)
            alias = target.table.alias(f"ref_{f.name}")
            joined = joined.outerjoin(alias, alias.c.id == table.c[ad.column(f)])
            cols.append(alias.c[target.keys[0]].label(f.name))
        else:
            cols.append(table.c[f.name].label(f.name))
    if ad.satellite:
        side = ad.satellite.table.alias("side")
        joined = joined.outerjoin(side, side.c[ad.satellite.fk] == table.c.id)
        cols.extend(side.c[n].label(n) for n in ad.selected if n in ad.satellite.fields)
    shown = ad.selected[len(cols) - 2 :]  # computed fields the table stores
    cols.extend(table.c[n].label(n) for n in shown)
    return select(*cols).select_from(joined)


def _filter_clauses(
    ad: Adapter, filters: Mapping[str, Any] | None, search: str | None, today: dt.date
) -> list[ColumnElement[bool]]:
    table = ad.table
    clauses: list[ColumnElement[bool]] = []
    for name, wanted in (filters or {}).items():
        values = list(wanted) if isinstance(wanted, list | tuple | set | frozenset) else [wanted]
        f = ad.register.field(name)
        if f.computed:
            build = ad.computed_filters[name]
            clauses.append(or_(false(), *(build(table, v, today) for v in values)))
        elif f.kind is Kind.REF:
            target = ad.ref_target(f)
            ids = select(target.table.c.id).where(
                or_(*(target.table.c[k].in_(values) for k in target.keys))
            )
            clauses.append(table.c[ad.column(f)].in_(ids))
        else:
            col = table.c[name]
            clauses.append(col == values[0] if len(values) == 1 else col.in_(values))
    if search:
        texts = [
            table.c[f.name].icontains(search, autoescape=True)
            for f in ad.stored_fields()
            if f.kind in (Kind.TEXT, Kind.LONGTEXT)
        ]
        clauses.append(or_(false(), *texts))
    return clauses


def _order(ad: Adapter, order_by: str | None, query):
    table = ad.table
    name, desc = (order_by or ad.register.key), False
    if name.startswith("-"):
        name, desc = name[1:], True
    ad.register.field(name)  # an unknown field raises KeyError
    # a field computed in Python keeps a stable order by the natural key
    col = query.selected_columns[name] if name in ad.selected else table.c[ad.key_column]
    return query.order_by(col.desc() if desc else col.asc(), table.c.id)


def _with_computed(ad: Adapter, row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    out = dict(row)
    if ad.computed:
        out.update(ad.computed(out, today))
    return out


def list_rows(
    session: Session,
    register: str,
    *,
    filters: dict | None = None,
    search: str | None = None,
    page: int = 1,
    page_size: int = 50,
    order_by: str | None = None,
    today: dt.date,
) -> tuple[list[dict], int]:
    """One page of display rows (plus ``id`` and ``version``) and the total count."""
    ad = adapter(register)
    clauses = _filter_clauses(ad, filters, search, today)
    count = select(func.count()).select_from(ad.table).where(true(), *clauses)
    total = session.execute(count).scalar_one()
    query = _order(ad, order_by, _display_select(ad).where(true(), *clauses))
    query = query.limit(page_size).offset(max(0, page - 1) * page_size)
    rows = [_with_computed(ad, r, today) for r in session.execute(query).mappings()]
    return rows, total


def iter_display(
    session: Session,
    register: str,
    *,
    filters: dict | None = None,
    search: str | None = None,
    order_by: str | None = None,
    today: dt.date,
    batch: int = 5000,
    where: Sequence[ColumnElement[bool]] = (),
) -> Iterator[tuple]:
    """Every matching display row as a tuple in ``register.fields`` order, streamed.

    For export: no per-row dicts, and computed values are worked out once per
    distinct value of the fields they depend on (``Adapter.computed_from``).
    ``where``: further conditions on the register's table (a page's own filters).
    """
    ad = adapter(register)
    clauses = [*_filter_clauses(ad, filters, search, today), *where]
    query = _order(ad, order_by, _display_select(ad).where(true(), *clauses))
    result = session.execute(query.execution_options(yield_per=batch))
    stored = list(ad.selected)
    order = [f.name for f in ad.register.fields]
    names = [n for n in order if n not in stored]  # computed, in field order
    # a row is (id, version, *stored, *computed); pick the fields in order
    width = 2 + len(stored)
    slots = [2 + stored.index(n) if n in stored else width + names.index(n) for n in order]
    pick = None if slots == list(range(2, width + len(names))) else operator.itemgetter(*slots)
    if not names:
        for part in result.partitions():
            yield from (r[2:] for r in part) if pick is None else map(pick, part)
        return
    compute = _computed_values(ad, stored, names, today)
    for part in result.partitions():
        if pick is None:
            yield from (r[2:] + compute(r) for r in part)
        else:
            yield from (pick((*r, *compute(r))) for r in part)


def _computed_values(
    ad: Adapter, stored: list[str], names: list[str], today: dt.date
) -> Callable[[Sequence[Any]], tuple]:
    """Row → computed values; memoised on the columns they depend on when declared."""
    computed = ad.computed
    assert computed is not None

    def fresh(r: Sequence[Any]) -> tuple:
        got = computed(dict(zip(stored, r[2:], strict=True)), today)
        return tuple(got.get(n) for n in names)

    if not ad.computed_from:
        return fresh
    key = operator.itemgetter(*(2 + stored.index(n) for n in ad.computed_from))
    memo: dict[Any, tuple] = {}

    def cached(r: Sequence[Any]) -> tuple:
        k = key(r)
        hit = memo.get(k)
        if hit is None:
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            hit = memo[k] = fresh(r)
        return hit

    return cached


# ---------------------------------------------------------------- references
class RefResolver:
    """Natural key → referenced row, one query per referenced register per call.

    Keeps what it found, so a chunked import asks only for keys it has not seen.
    """

    def __init__(self, session: Session, ad: Adapter):
        self.session = session
        self.ad = ad
        self.refs = [f for f in ad.stored_fields() if f.kind is Kind.REF]
        # field name → text → row dict | "ambiguous" | None (unknown)
        self.cache: dict[str, dict[str, Any]] = {f.name: {} for f in self.refs}

    def load(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for f in self.refs:
            cache = self.cache[f.name]
            wanted = {r.get(f.name) for r in rows} - {None} - cache.keys()
            if wanted:
                self._fetch(f, sorted(wanted), cache)

    def _fetch(self, f: Field, wanted: list[str], cache: dict[str, Any]) -> None:
        target = self.ad.ref_target(f)
        table = target.table
        cols = [table.c.id, *(table.c[k] for k in target.keys), *(table.c[x] for x in target.extra)]
        found: dict[str, dict[str, list[dict]]] = {k: {} for k in target.keys}
        for part in _chunks(wanted):
            query = select(*cols).where(or_(*(table.c[k].in_(part) for k in target.keys)))
            for row in self.session.execute(query).mappings():
                for k in target.keys:
                    found[k].setdefault(row[k], []).append(dict(row))
        for text in wanted:
            cache[text] = None
            for k in target.keys:  # natural key first; a fallback must be unique
                hits = found[k].get(text, [])
                if len(hits) == 1:
                    cache[text] = hits[0]
                    break
                if len(hits) > 1:
                    cache[text] = "ambiguous"
                    break

    def by_id(self, f: Field, ids: Iterable[int | None]) -> dict[int, Mapping[str, Any]]:
        """Referenced rows by id (for rows whose reference is not being changed)."""
        target = self.ad.ref_target(f)
        table = target.table
        wanted = sorted({i for i in ids if i is not None})
        cols = [table.c.id, *(table.c[k] for k in target.keys), *(table.c[x] for x in target.extra)]
        out: dict[int, Mapping[str, Any]] = {}
        for part in _chunks(wanted):
            for row in self.session.execute(select(*cols).where(table.c.id.in_(part))).mappings():
                out[row["id"]] = dict(row)
        return out

    def resolve(self, f: Field, text: str | None) -> tuple[Mapping[str, Any] | None, str | None]:
        """(row, problem code) for one value; both None when blank."""
        if text is None:
            return None, None
        hit = self.cache[f.name].get(text)
        if hit == "ambiguous":
            return None, "imports.ref_ambiguous"
        if hit is None:
            return None, "err.unknown_ref"
        return hit, None


# ---------------------------------------------------------------- validation core
@dataclass
class Checked:
    """One validated row: stored column values (``None`` when rejected) and its problems."""

    values: dict[str, Any] | None
    problems: list[Problem]
    key: Any = None


def stored_values(
    ad: Adapter,
    clean: dict[str, Any],
    resolver: RefResolver,
    *,
    row: int | None,
    sheet: str | None,
    raw: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Mapping[str, Any] | None], list[Problem]]:
    """Clean field values → column values (REF → id), the referenced rows, problems."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    refs: dict[str, Mapping[str, Any] | None] = {}
    fields = ad.fields_by_name
    for name, value in clean.items():
        f = fields[name]
        if f.kind is Kind.REF:
            hit, code = resolver.resolve(f, value)
            loose = ad.loose_refs.get(name)
            if code == "err.unknown_ref" and loose:
                hit, code = None, None
            if code:
                problems.append(Problem(name, code, {"value": value}, row, raw.get(name), sheet))
                continue
            refs[name] = hit
            values[ad.column(f)] = hit["id"] if hit else None
            if loose:
                values[loose] = hit[ad.ref_target(f).keys[0]] if hit else value
        else:
            values[name] = value
    return values, refs, problems


def run_checks(
    register: Register,
    merged: dict[str, Any],
    *,
    row: int | None,
    sheet: str | None,
    raw: Mapping[str, Any],
) -> list[Problem]:
    return [
        Problem(p.field, p.code, p.params, row, raw.get(p.field or ""), sheet)
        for check in register.checks
        for p in check(merged)
    ]


def unchecked(register: Register) -> Register:
    """The register without cross-field checks (run on the merged row instead)."""
    return dataclasses.replace(register, checks=())


def changed_columns(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Columns of ``after`` whose value differs from ``before``."""
    return {k: v for k, v in after.items() if not _same(before.get(k), v)}


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a.replace(microsecond=0) == b.replace(microsecond=0)
    return a == b


def to_json(value: Any) -> Any:
    """A column value as JSON (dates ISO, decimals as text)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(column, value: Any) -> Any:
    """Undo :func:`to_json` for ``column``'s type."""
    if value is None:
        return None
    python_type = column.type.python_type
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(value)
    return value


def referenced_ids(session: Session, table: Table, ids: Sequence[int]) -> set[int]:
    """Ids of ``table`` still referred to by a foreign key that would block deleting them."""
    blocked: set[int] = set()
    if not ids:
        return blocked
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            if (fk.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                continue
            col = fk.parent
            for part in _chunks(list(ids)):
                query = select(col).where(col.in_(part)).distinct()
                blocked.update(session.execute(query).scalars())
    return blocked


def _row_select(ad: Adapter):
    """Whole stored rows, with the side table's fields when there is one."""
    table = ad.table
    if ad.satellite is None:
        return select(table)
    side = ad.satellite.table
    return select(table, *(side.c[n] for n in ad.satellite.fields)).select_from(
        table.outerjoin(side, side.c[ad.satellite.fk] == table.c.id)
    )


def fetch_by_ids(session: Session, ad: Adapter, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    table = ad.table
    out: dict[int, dict[str, Any]] = {}
    query = _row_select(ad)
    for part in _chunks(list(ids)):
        for row in session.execute(query.where(table.c.id.in_(part))).mappings():
            out[row["id"]] = dict(row)
    return out


def fetch_by_keys(session: Session, ad: Adapter, keys: Sequence[Any]) -> dict[Any, dict]:
    table = ad.table
    key = table.c[ad.key_column]
    out: dict[Any, dict[str, Any]] = {}
    query = _row_select(ad)
    for part in _chunks(list(keys)):
        for row in session.execute(query.where(key.in_(part))).mappings():
            out[row[ad.key_column]] = dict(row)
    return out


def ids_by_keys(session: Session, ad: Adapter, keys: Sequence[Any]) -> dict[Any, int]:
    table = ad.table
    key = table.c[ad.key_column]
    out: dict[Any, int] = {}
    for part in _chunks(list(keys)):
        out.update(session.execute(select(key, table.c.id).where(key.in_(part))).all())
    return out


def write_side(
    session: Session, ad: Adapter, items: Sequence[tuple[int, Mapping[str, Any]]], now: dt.datetime
) -> None:
    """Store the side-table fields of ``(row id, values)``: update the side rows that
    exist, insert the ones that do not (only where a value is given)."""
    sat = ad.satellite
    if sat is None:
        return
    given = [(i, {n: v[n] for n in sat.fields if n in v}) for i, v in items]
    given = [(i, vals) for i, vals in given if vals]
    if not given:
        return
    table, fk = sat.table, sat.table.c[sat.fk]
    have: set[int] = set()
    for part in _chunks([i for i, _ in given]):
        have.update(session.scalars(select(fk).where(fk.in_(part))))
    new = [
        {sat.fk: i, **dict.fromkeys(sat.fields), **vals, "version": 1}
        | {"created_at": now, "updated_at": now}
        for i, vals in given
        if i not in have and any(v is not None for v in vals.values())
    ]
    if new:
        session.execute(insert(table), new)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for i, vals in given:
        if i in have:
            groups.setdefault(tuple(sorted(vals)), []).append(
                {"b_fk": i, **{f"v_{n}": v for n, v in vals.items()}}
            )
    for cols, params in groups.items():
        stmt = (
            update(table)
            .where(fk == bindparam("b_fk"))
            .values(
                {
                    **{c: bindparam(f"v_{c}") for c in cols},
                    "version": table.c.version + 1,
                    "updated_at": now,
                }
            )
        )
        session.execute(stmt, params)


def username_of(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.execute(select(User.username).where(User.id == user_id)).scalar()


def audit(
    session: Session,
    rows: list[dict[str, Any]],
    *,
    entity: str,
    user_id: int | None,
    now: dt.datetime,
) -> None:
    """Append audit rows (``entity_key``, ``action``, ``changes``) in one statement."""
    if not rows:
        return
    username = username_of(session, user_id)
    params = [
        {
            "at": now,
            "created_at": now,
            "user_id": user_id,
            "username": username,
            "entity": entity,
            "entity_key": None if r["key"] is None else str(r["key"])[:100],
            "action": r["action"],
            "changes": {k: to_json(v) for k, v in (r.get("changes") or {}).items()} or None,
        }
        for r in rows
    ]
    session.execute(insert(AuditLog.__table__), params)


# ---------------------------------------------------------------- save_changes
@dataclass(frozen=True)
class SaveResult:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    problems: list[Problem] = field(default_factory=list)


def _p(kind: str, p: Problem, row: int) -> RowProblem:
    return RowProblem(p.field, p.code, p.params, row, p.value, p.sheet, kind)


def _current_rows(session: Session, ad: Adapter, items: list[dict]) -> dict[int, dict[str, Any]]:
    """Rows for updates/deletes, raising :class:`ConflictError` on a stale version."""
    current = fetch_by_ids(session, ad, [int(i["id"]) for i in items])
    for item in items:
        row = current.get(int(item["id"]))
        if row is None or row["version"] != int(item["version"]):
            raise ConflictError(str(row[ad.key_column]) if row else f"#{item['id']}")
    return current


def save_changes(
    session: Session,
    register: str,
    *,
    inserts: list[dict],
    updates: list[dict],
    deletes: list[dict],
    user_id: int | None,
    now: dt.datetime,
) -> SaveResult:
    """Validate every insert/update/delete, then write all of them or none.

    Problems come back as :class:`RowProblem` (``row`` = index in its list, ``kind`` =
    which list). A stale version raises :class:`ConflictError` before anything is
    written. The caller owns the transaction.
    """
    ad = adapter(register)
    current = _current_rows(session, ad, [*updates, *deletes])
    checker = unchecked(ad.register)
    resolver = RefResolver(session, ad)
    ins = [validate_row(checker, raw, row=i) for i, raw in enumerate(inserts)]
    upd = [
        validate_row(checker, _fields_only(raw), row=i, partial=True)
        for i, raw in enumerate(updates)
    ]
    resolver.load([c for c, _ in ins] + [c for c, _ in upd])
    problems: list[Problem] = []
    new_rows = []
    for i, (clean, probs) in enumerate(ins):
        values, probs = _complete_row(ad, resolver, clean, probs, None, i, inserts[i])
        problems.extend(_p("insert", p, i) for p in probs)
        new_rows.append(values)
    befores = [current[int(u["id"])] for u in updates]
    old_refs = _old_refs(ad, resolver, befores) if ad.derive else {}
    changed_rows = []
    for i, (clean, probs) in enumerate(upd):
        before = befores[i]
        refs = {
            name: rows.get(before[ad.column(ad.register.field(name))])
            for name, rows in old_refs.items()
        }
        values, probs = _complete_row(ad, resolver, clean, probs, (before, refs), i, updates[i])
        problems.extend(_p("update", p, i) for p in probs)
        changed_rows.append((before, values))
    problems.extend(_duplicate_keys(session, ad, inserts, updates, deletes, current))
    blocked = referenced_ids(session, ad.table, [int(d["id"]) for d in deletes])
    for i, d in enumerate(deletes):
        if int(d["id"]) in blocked:
            key = current[int(d["id"])][ad.key_column]
            problems.append(RowProblem(None, "err.in_use", {"value": key}, i, key, None, "delete"))
    if problems:
        return SaveResult(problems=problems)
    return _write(session, ad, new_rows, changed_rows, deletes, current, user_id, now)


def _fields_only(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in ("id", "version")}


def _old_refs(
    ad: Adapter, resolver: RefResolver, befores: list[dict[str, Any]]
) -> dict[str, dict[int, Mapping[str, Any]]]:
    """Rows the stored rows refer to now, one query per REF field."""
    return {f.name: resolver.by_id(f, [b[ad.column(f)] for b in befores]) for f in resolver.refs}


def complete_row(
    ad: Adapter,
    resolver: RefResolver,
    clean: dict[str, Any],
    problems: list[Problem],
    base: tuple[Mapping[str, Any], Mapping[str, Any]] | None,
    row: int | None,
    raw: Mapping[str, Any],
    sheet: str | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """Resolve references, apply derived defaults, run cross-field checks.

    ``base`` is (stored row, its referenced rows) for an update: only the fields in
    ``clean`` change, and checks see the merged row.
    """
    values, refs, ref_problems = stored_values(ad, clean, resolver, row=row, sheet=sheet, raw=raw)
    problems = problems + ref_problems
    if problems:
        return values, problems
    names = ad.column_names
    stored, old_refs = base if base else (dict.fromkeys(names), {})
    merged = {**{k: v for k, v in stored.items() if k in names}, **values}
    all_refs = {**old_refs, **refs}
    if ad.derive:
        ad.derive(merged, all_refs)
        # an insert takes every derived value; an update changes only what it was given
        values = merged if base is None else {k: merged[k] for k in values}
    view = _field_view(ad, merged, clean)
    for name in ad.side_fields():
        view[name] = merged[name] if name in merged else stored.get(name)
    for name, hit in old_refs.items():
        if name not in view and hit:
            view[name] = hit[ad.ref_target(ad.register.field(name)).keys[0]]
    problems = run_checks(ad.register, view, row=row, sheet=sheet, raw=raw)
    if ad.ref_check:
        problems.extend(
            Problem(p.field, p.code, p.params, row, raw.get(p.field or ""), sheet)
            for p in ad.ref_check(merged, all_refs)
        )
    return values, problems


_complete_row = complete_row


def _field_view(ad: Adapter, values: Mapping[str, Any], clean: Mapping[str, Any]) -> dict:
    """Column values seen by field name (REF fields keep their natural key text)."""
    out: dict[str, Any] = {}
    for f in ad.stored_fields():
        if f.kind is Kind.REF:
            if f.name in clean:
                out[f.name] = clean[f.name]
        elif f.name in values:
            out[f.name] = values[f.name]
    return out


def _duplicate_keys(
    session: Session,
    ad: Adapter,
    inserts: list[dict],
    updates: list[dict],
    deletes: list[dict],
    current: dict[int, dict[str, Any]],
) -> list[Problem]:
    key = ad.register.key
    deleted = {int(d["id"]) for d in deletes}
    # final key of every row touched by this batch: (kind, index, key, own id)
    claims: list[tuple[str, int, Any, int | None]] = []
    for i, raw in enumerate(inserts):
        claims.append(("insert", i, _key_text(raw.get(key)), None))
    for i, raw in enumerate(updates):
        if key in raw:
            claims.append(("update", i, _key_text(raw.get(key)), int(raw["id"])))
    claims = [c for c in claims if c[2] is not None]
    counts: dict[Any, int] = {}
    for c in claims:
        counts[c[2]] = counts.get(c[2], 0) + 1
    # keys released by this batch: rows deleted, or updated to another key
    released = {current[i][ad.key_column] for i in deleted if i in current}
    for raw in updates:
        if key in raw and _key_text(raw[key]) != current[int(raw["id"])][ad.key_column]:
            released.add(current[int(raw["id"])][ad.key_column])
    in_db = fetch_by_keys(session, ad, sorted({c[2] for c in claims}))
    problems: list[Problem] = []
    for kind, i, k, own in claims:
        existing = in_db.get(k)
        taken = existing is not None and existing["id"] != own and k not in released
        if counts[k] > 1 or taken:
            problems.append(RowProblem(key, "err.duplicate_key", {"value": k}, i, k, None, kind))
    return problems


def _key_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None if value is None else str(value)


def _write(
    session: Session,
    ad: Adapter,
    new_rows: list[dict[str, Any]],
    changed_rows: list[tuple[dict[str, Any], dict[str, Any]]],
    deletes: list[dict],
    current: dict[int, dict[str, Any]],
    user_id: int | None,
    now: dt.datetime,
) -> SaveResult:
    table = ad.table
    log: list[dict[str, Any]] = []
    if deletes:
        stmt = delete(table).where(
            table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version")
        )
        params = [{"b_id": int(d["id"]), "b_version": int(d["version"])} for d in deletes]
        checked_many(session, ad, stmt, params)
        for d in deletes:
            row = current[int(d["id"])]
            log.append(
                {"key": row[ad.key_column], "action": "delete", "changes": _row_json(ad, row)}
            )
    updated: list[tuple[dict[str, Any], dict[str, Any]]] = []
    side = set(ad.side_fields())
    for before, values in changed_rows:
        diff = changed_columns(before, values)
        if not diff:
            continue
        own = {k: v for k, v in diff.items() if k not in side}
        stmt = (
            update(table)
            .where(table.c.id == before["id"], table.c.version == before["version"])
            .values(**own, version=before["version"] + 1, updated_at=now)
        )
        if session.execute(stmt).rowcount != 1:
            raise ConflictError(str(before[ad.key_column]))
        write_side(session, ad, [(before["id"], diff)], now)
        updated.append((before, diff))
        changes = {k: [to_json(before.get(k)), to_json(v)] for k, v in diff.items()}
        log.append(
            {
                "key": values.get(ad.key_column, before[ad.key_column]),
                "action": "update",
                "changes": changes,
            }
        )
    inserted: list[dict[str, Any]] = []
    if new_rows:
        session.execute(insert(table), complete_inserts(ad, new_rows, now))
        for values in new_rows:
            log.append({"key": values.get(ad.key_column), "action": "insert", "changes": values})
        if ad.satellite or ad.after_write:
            ids = ids_by_keys(session, ad, [v[ad.key_column] for v in new_rows])
            inserted = [{**v, "id": ids[v[ad.key_column]]} for v in new_rows]
            write_side(session, ad, [(v["id"], v) for v in inserted], now)
    if ad.after_write and (inserted or updated):
        ad.after_write(session, Written(inserted, updated, now, user_id))
    audit(session, log, entity=ad.name, user_id=user_id, now=now)
    return SaveResult(inserted=len(new_rows), updated=len(updated), deleted=len(deletes))


def _row_json(ad: Adapter, row: Mapping[str, Any]) -> dict[str, Any]:
    names = {*ad.insert_columns, *ad.side_fields()}
    return {k: v for k, v in row.items() if k in names}


def checked_many(session: Session, ad: Adapter, stmt, params: list[dict]) -> None:
    """executemany that must hit every row (else someone changed one: conflict)."""
    dialect = session.get_bind().dialect
    if dialect.supports_sane_multi_rowcount:
        if session.execute(stmt, params).rowcount != len(params):
            raise ConflictError(ad.register.label("zh"))
        return
    for p in params:
        if session.execute(stmt, p).rowcount != 1:
            raise ConflictError(ad.register.label("zh"))


class NewRows:
    """:func:`complete_row` for inserts, planned once when the input fields are known.

    Gives the same values and problems as ``complete_row(ad, resolver, clean, [],
    None, ...)`` for a ``clean`` holding exactly ``names``, without the per-row set-up:
    one dict copy, one cache lookup per reference (load the resolver first). The
    returned dict holds every column plus the REF fields' key texts (what checks see);
    problems carry no row or value (the caller knows the cells).
    """

    def __init__(self, ad: Adapter, resolver: RefResolver, names: Iterable[str]):
        fields = ad.fields_by_name
        self.template: dict[str, Any] = dict.fromkeys(ad.column_names)
        self.refs = [
            (n, ad.column(fields[n]), resolver.cache[n], ad.loose_refs.get(n))
            for n in names
            if fields[n].kind is Kind.REF
        ]
        self.keys = {n: ad.ref_target(fields[n]).keys[0] for n, *_ in self.refs}
        self.derive = ad.derive
        self.checks = ad.register.checks
        self.ref_check = ad.ref_check

    def complete(self, clean: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        values = self.template.copy()
        values.update(clean)
        refs: dict[str, Mapping[str, Any] | None] = {}
        problems: list[Problem] = []
        for name, column, cache, loose in self.refs:
            text = clean[name]
            hit = None if text is None else cache.get(text)
            if hit is None and text is not None and not loose:
                problems.append(Problem(name, "err.unknown_ref", {"value": text}))
            elif hit.__class__ is str:  # "ambiguous"
                problems.append(Problem(name, "imports.ref_ambiguous", {"value": text}))
            else:
                values[column] = hit["id"] if hit else None
                refs[name] = hit
                if loose:  # the typed text, or the matched row's own spelling
                    values[loose] = hit[self.keys[name]] if hit else text
        if problems:
            return values, problems
        if self.derive:
            self.derive(values, refs)
        for check in self.checks:
            found = check(values)
            if found:
                problems.extend(Problem(p.field, p.code, p.params) for p in found)
        if self.ref_check:
            problems.extend(self.ref_check(values, refs))
        return values, problems


class Inserter:
    """INSERTs into ``table`` rows given column-wise (column name → one value per row).

    On SQLite the rows go to the driver's executemany as tuples through the session's
    connection: the SQL Core compiles and the column types' bind processing, without
    a parameter dict built and re-read per row (about half the time of
    ``execute(insert(table), dicts)`` for 100k rows). Elsewhere: Core executemany.
    Made once per import: the statement is compiled once and processed date values
    are remembered across chunks.
    """

    def __init__(self, session: Session, table: Table, names: Sequence[str]):
        self.session, self.table, self.names = session, table, list(names)
        dialect = session.get_bind().dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=self.names)
        self.binds = list(compiled.positiontup or ())
        self.sql = compiled.string
        self.raw = dialect.name == "sqlite" and sorted(self.binds) == sorted(self.names)
        self.procs: dict[str, Callable[[Sequence[Any]], Sequence[Any]]] = {}
        for name in self.binds if self.raw else ():
            type_ = table.c[name].type
            proc = type_.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.procs[name] = _processor(proc, _python_type(type_))

    def __call__(self, columns: Mapping[str, Sequence[Any]]) -> None:
        names = self.names
        if not len(columns[names[0]]):
            return
        if not self.raw:
            rows = zip(*(columns[n] for n in names), strict=True)
            self.session.execute(
                insert(self.table), [dict(zip(names, r, strict=True)) for r in rows]
            )
            return
        procs = self.procs
        ordered = [procs[b](columns[b]) if b in procs else columns[b] for b in self.binds]
        params = list(zip(*ordered, strict=True))
        self.session.connection().exec_driver_sql(self.sql, params)


def insert_rows(session: Session, table: Table, columns: Mapping[str, Sequence[Any]]) -> None:
    """One executemany of rows given column-wise (see :class:`Inserter`)."""
    if columns:
        Inserter(session, table, list(columns))(columns)


def _python_type(type_: Any) -> type | None:
    try:
        return type_.python_type
    except NotImplementedError:
        return None


def _processor(
    proc: Callable[[Any], Any], kind: type | None
) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """A column of values → bound values; dates (few distinct, exact equality) memoised."""
    if kind not in (dt.date, dt.datetime, dt.time):
        return lambda values: [None if v is None else proc(v) for v in values]
    memo = _Memo(proc)

    def remembered(values: Sequence[Any]) -> list:
        if len(memo) > MEMO_LIMIT:
            memo.clear()
            memo[None] = None
        return list(map(memo.__getitem__, values))

    return remembered


class _Memo(dict):
    def __init__(self, proc: Callable[[Any], Any]):
        super().__init__({None: None})
        self.proc = proc

    def __missing__(self, value: Any) -> Any:
        out = self[value] = self.proc(value)
        return out


def complete_inserts(ad: Adapter, rows: list[dict[str, Any]], now: dt.datetime) -> list[dict]:
    """Insert parameters with the same keys for every row (executemany needs that)."""
    table = ad.table
    names = ad.insert_columns
    defaults = {}
    for n in names:
        default = table.c[n].default
        defaults[n] = default.arg if default is not None and default.is_scalar else None
    return [
        {
            **{n: r[n] if n in r else defaults[n] for n in names},
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]


# ---------------------------------------------------------------- remembered settings
def get_setting(session: Session, key: str) -> Any:
    return session.execute(select(Setting.value).where(Setting.key == key)).scalar()


def put_setting(session: Session, key: str, value: Any, now: dt.datetime) -> None:
    table = Setting.__table__
    found = session.execute(select(table.c.id).where(table.c.key == key)).scalar()
    if found is None:
        session.execute(
            insert(table).values(key=key, value=value, version=1, created_at=now, updated_at=now)
        )
    else:
        session.execute(
            update(table)
            .where(table.c.id == found)
            .values(value=value, version=table.c.version + 1, updated_at=now)
        )


def dumps(value: Any) -> str:
    return json.dumps(value, default=to_json, ensure_ascii=False)
