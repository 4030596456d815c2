"""Find a record by any fragment of its number, name, phone or description — through a
trigram index on both databases (migration 0014), never a scan of the table.

Fragments of three characters or more use the index (SQLite FTS5 ``trigram``, PostgreSQL
``pg_trgm``); one or two characters only match the start of a number (ticket no.,
serial, customer code), through the ordinary unique indexes.

Tickets (the table at a million rows) keep their numbers apart (migration 0024): digits
have only a thousand trigrams and "000" is in every ticket's number, so a rare fragment
of digits would walk postings as long as the table. Their text (contact, description)
has a trigram index of its own; their numbers a trigram index and an index of their
five-character grams. A number-like fragment (letters, digits, "-"; five or more)
asks the grams — rows holding every gram of it, checked against the numbers
themselves — any other fragment the numbers' trigrams.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Engine,
    Integer,
    Select,
    Text,
    TextClause,
    and_,
    bindparam,
    false,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from data_access import db
from data_access.errors import Refused
from data_access.models import Complaint, Customer, Device, Part, ProductModel, Ticket

# the indexed columns, as migration 0014 made the index (the PostgreSQL query must
# repeat the index's expression exactly)
SEARCHED: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket_no", "serial_no", "contact_name", "contact_phone", "fault_description"),
    "customers": ("code", "name", "contact_name", "phone"),
    "devices": ("serial_no", "location"),
    # migration 0015
    "parts": ("part_no", "name", "name_en", "spec", "compatible_models"),
    "complaints": ("complaint_no", "complainant", "contact", "content"),
}
# what a one- or two-character fragment matches the start of (indexed columns): numbers,
# and a customer's name ("南方" finds 南方电子)
PREFIXED: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket_no", "serial_no"),
    "customers": ("code", "name"),
    "devices": ("serial_no",),
    "parts": ("part_no",),
    "complaints": ("complaint_no",),
}
# tickets: text and numbers indexed apart (migration 0024)
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {"tickets": ("contact_name", "fault_description")}
NUMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket_no", "serial_no", "contact_phone")
}
NUMBER_TABLES = {"tickets": ("search_ticket_numbers", "search_ticket_grams")}
GRAM = 5
NUMBER_LIKE = re.compile(r"[0-9A-Za-z-]+")
MIN_TRIGRAM = 3
TIMEOUT_MS = 2_000  # PostgreSQL: a search stops here ("type more")
SMALL_WINDOW = 500  # PostgreSQL: newest rows read first (a common fragment is there)
RECENT_WINDOW = 20_000  # … and after the index, for a fragment neither rare nor common
# … for a number-like fragment of a ticket: its gram index answers a fragment in one
# row in two hundred in a few milliseconds, so only a commoner one needs the window
NUMBER_WINDOW = 2_000
RARE_ROWS = 5_000  # PostgreSQL: a fragment the window missed, fetched whole below this
MAX_FRAGMENT = 100


class _Matches(ColumnElement[bool]):
    """``<table>.id`` is a row whose searched text contains ``fragment`` (≥ 3 chars)."""

    inherit_cache = False
    type = false().type
    _is_implicitly_boolean = True  # a condition, not a column to compare with 1

    def __init__(
        self, table: str, id_column: ColumnClause, fragment: str, newest: int | None = None
    ) -> None:
        self.table = table
        self.id_column = id_column
        self.fragment = fragment
        self.newest = newest  # SQLite: only the ``newest`` highest ids (the index stops early)


def grams(fragment: str) -> list[str] | None:
    """The five-character grams of a number-like fragment (lower case), else None."""
    if len(fragment) < GRAM or not NUMBER_LIKE.fullmatch(fragment):
        return None
    low = fragment.lower()
    return sorted({low[i : i + GRAM] for i in range(len(low) - GRAM + 1)})


def _fts_ids(fts: str, fragment: str, newest: int | None):
    phrase = '"' + fragment.replace('"', '""') + '"'  # one phrase, no operators
    match = text(f"{fts} MATCH :q").bindparams(bindparam("q", phrase, unique=True))
    ids = select(text("rowid")).select_from(text(fts)).where(match)
    if newest is not None:
        # a common phrase matches a tenth of a million rows: walk the index from the
        # newest end and stop, instead of collecting every match first
        ids = ids.order_by(text("rowid DESC")).limit(newest)
    return ids


def _sqlite_gram_ids(element: _Matches, found: list[str]):
    """Rows holding every gram of the fragment (a rowid walk of short postings), each
    checked against its numbers (the grams of a number do not say where they are)."""
    table, fts = element.table, NUMBER_TABLES[element.table][1]
    low = element.fragment.lower()
    q = " AND ".join(f'"{g}"' for g in found)
    check = " OR ".join(f"instr(lower(n.{c}), :low) > 0" for c in NUMBER_COLUMNS[table])
    sql = (
        f"SELECT g.rowid FROM {fts} AS g JOIN {table} AS n ON n.id = g.rowid "
        f"WHERE {fts} MATCH :gq AND ({check})"
    )
    if element.newest is not None:
        sql += " ORDER BY g.rowid DESC LIMIT :gn"
    params = [bindparam("gq", q, unique=True), bindparam("low", low, unique=True)]
    if element.newest is not None:
        params.append(bindparam("gn", element.newest, unique=True))
    return text(sql).bindparams(*params)


@compiles(_Matches, "sqlite")
def _sqlite(element: _Matches, compiler, **kw) -> str:  # noqa: ANN001
    table = element.table
    if table not in NUMBER_TABLES:
        ids = _fts_ids(f"search_{table}", element.fragment, element.newest)
        return compiler.process(element.id_column.in_(ids), **kw)
    in_text = element.id_column.in_(_fts_ids(f"search_{table}", element.fragment, element.newest))
    found = grams(element.fragment)
    if found is None:
        numbers = _fts_ids(NUMBER_TABLES[table][0], element.fragment, element.newest)
    else:
        numbers = _sqlite_gram_ids(element, found)
    return compiler.process(or_(in_text, element.id_column.in_(numbers)), **kw)


def _pg_joined(table: str, columns: Sequence[str]) -> str:
    return " || E'\\n' || ".join(f"coalesce({table}.{c}, '')" for c in columns)


@compiles(_Matches, "postgresql")
def _postgresql(element: _Matches, compiler, **kw) -> str:  # noqa: ANN001
    table = element.table
    like = "%" + _escape_like(element.fragment) + "%"
    op = _like_op(element.fragment)  # the trigram index serves LIKE and ILIKE alike
    if table not in NUMBER_TABLES:
        joined = _pg_joined(table, SEARCHED[table])
        condition = text(f"({joined}) {op} :like ESCAPE '\\'").bindparams(
            bindparam("like", like, unique=True)
        )
        return compiler.process(condition, **kw)
    in_text = f"({_pg_joined(table, TEXT_COLUMNS[table])}) {op} :like ESCAPE '\\'"
    numbers = _pg_joined(table, NUMBER_COLUMNS[table])
    params = [bindparam("like", like, unique=True)]
    found = grams(element.fragment)
    if found is None:
        in_numbers = f"({numbers}) {op} :like ESCAPE '\\'"
    else:
        # the gram index finds the rows; strpos (no index can serve it) checks them,
        # so the planner does not bring the numbers' trigram index into it. strpos
        # first: a plan that reads every row (the list's OR with the customers) then
        # skips the gram function on the rows without the fragment
        in_numbers = (
            f"(strpos(lower({numbers}), :low) > 0 "
            f"AND search_grams({numbers}) @> CAST(:grams AS text[]))"
        )
        params += [
            bindparam("grams", found, unique=True, type_=ARRAY(Text)),
            bindparam("low", element.fragment.lower(), unique=True),
        ]
    condition = text(f"(({in_text}) OR {in_numbers})").bindparams(*params)
    return compiler.process(condition, **kw)


class _InIds(ColumnElement[bool]):
    """``column IN (ids)`` where ``ids`` is a one-column subquery."""

    inherit_cache = False
    type = false().type
    _is_implicitly_boolean = True

    def __init__(self, column: ColumnElement, ids: Select) -> None:
        self.column = column
        self.ids = ids


@compiles(_InIds)
def _in_ids(element: _InIds, compiler, **kw) -> str:  # noqa: ANN001
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(_InIds, "postgresql")
def _in_ids_pg(element: _InIds, compiler, **kw) -> str:  # noqa: ANN001
    # ``IN (subquery)`` is a hashed subplan that no index serves: ORed with the trigram
    # conditions it made the planner read every ticket. ``= ANY(ARRAY(subquery))`` is an
    # init plan whose array the column's index looks up, one more arm of a BitmapOr.
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids, asfrom=False, **kw)
    return f"{column} = ANY(ARRAY({ids}))"


def in_ids(column: ColumnElement, ids: Select) -> ColumnElement[bool]:
    """``column IN (ids)``, planned as an index lookup on both databases — also when
    ORed with other indexed conditions (SQLite's multi-index OR, PostgreSQL's BitmapOr)."""
    return _InIds(column, ids)


def in_matching(column: ColumnElement, table: str, fragment: str | None) -> ColumnElement[bool]:
    """``column`` holds the id of a row of ``table`` containing ``fragment``."""
    # never correlated: an outer query that joins ``table`` (an export) must not turn
    # it into "this row's own" text
    ids = select(MODELS[table].id).where(matches(table, fragment)).correlate(None)
    return in_ids(column, ids)


def _like_op(fragment: str) -> str:
    """ILIKE folds the case of every row it checks; a fragment without letters (digits,
    Chinese) matches the same rows with LIKE, at a quarter of the cost."""
    return "ILIKE" if fragment.lower() != fragment.upper() else "LIKE"


def _escape_like(fragment: str) -> str:
    return fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


MODELS: dict[str, Any] = {
    "tickets": Ticket,
    "customers": Customer,
    "devices": Device,
    "parts": Part,
    "complaints": Complaint,
}


def cleaned(fragment: str | None) -> str:
    """The fragment as searched: trimmed, inner whitespace kept, at most 100 characters."""
    return (fragment or "").strip()[:MAX_FRAGMENT]


def _prefix(column: Any, fragment: str) -> ColumnElement[bool]:
    """``column`` starts with ``fragment``, as an index range (no LIKE: SQLite's LIKE
    would not use the index of a case-sensitive column)."""
    return and_(column >= fragment, column < fragment + "\U0010ffff")


def matches(table: str, fragment: str | None, newest: int | None = None) -> ColumnElement[bool]:
    """The condition "this row of ``table`` contains ``fragment``" for a query on it.

    ``newest``: the query wants only that many rows, highest ids first (ORDER BY id
    DESC LIMIT newest) — the index then stops after them."""
    fragment = cleaned(fragment)
    model = MODELS[table]
    if not fragment:
        return false()
    if len(fragment) >= MIN_TRIGRAM:
        return _Matches(table, model.__table__.c.id, fragment, newest)
    wanted = {fragment, fragment.upper()}
    return or_(*(_prefix(getattr(model, c), f) for c in PREFIXED[table] for f in sorted(wanted)))


@dataclass(frozen=True)
class Hit:
    kind: str  # ticket | customer | device
    id: int
    key: str  # the record's number
    title: str
    detail: str
    opens: str = ""  # the number a link opens (a device: its customer's code)


def newest_ids(session: Session, table: str, fragment: str, limit: int) -> list[int] | None:
    """The ids of the ``limit`` latest rows of ``table`` holding ``fragment``.

    SQLite's index walks from the newest end by itself. PostgreSQL's planner cannot know
    a phrase fills a sixth of the table (it would collect every match through the
    trigram index, then sort), nor that a fragment is in no row at all. So, cheapest
    first: the newest few hundred rows (a common fragment fills the page there); then
    every match through the index, unordered, below ``RARE_ROWS`` (a rare fragment: a
    few milliseconds); then a wider window of newest rows (a fragment in between).
    None: let the query's own condition do it (SQLite, or none of these answered)."""
    if session.get_bind().dialect.name != "postgresql" or len(fragment) < MIN_TRIGRAM:
        return None
    found, every = _recent_else_every(session, table, fragment, limit)
    if len(found) >= limit:
        return found
    if len(every) < RARE_ROWS:
        return sorted(every, reverse=True)[:limit]
    numbered = table in NUMBER_TABLES and grams(fragment) is not None
    found = _recent(session, table, fragment, limit, NUMBER_WINDOW if numbered else RECENT_WINDOW)
    return found if len(found) >= limit else None


def _recent_sql(table: str, fragment: str, limit: int, window: int) -> TextClause:
    """The newest ``limit`` of the ``window`` newest rows of ``table`` holding ``fragment``
    (read in id order, no index: the read stops at the ``limit``-th match)."""
    joined = " || E'\\n' || ".join(f"coalesce({c}, '')" for c in SEARCHED[table])
    return text(
        f"SELECT id FROM (SELECT id, {joined} AS txt FROM {table} ORDER BY id DESC "
        f"LIMIT :window) AS recent WHERE txt {_like_op(fragment)} :like ESCAPE '\\' "
        "ORDER BY id DESC LIMIT :n"
    ).bindparams(
        bindparam("window", window, unique=True),
        bindparam("like", "%" + _escape_like(fragment) + "%", unique=True),
        bindparam("n", limit, unique=True),
    )


def _recent(session: Session, table: str, fragment: str, limit: int, window: int) -> list[int]:
    return list(session.scalars(_recent_sql(table, fragment, limit, window)))


def _recent_else_every(
    session: Session, table: str, fragment: str, limit: int
) -> tuple[list[int], list[int]]:
    """The newest rows' matches, and — only when they are fewer than ``limit`` — up to
    ``RARE_ROWS`` matches through the index, in one statement (one round trip: on a busy
    server each waits its turn). The index half runs behind a one-time filter on the
    first half's count, so a common fragment never reaches it. Unordered: asked for the
    newest ten, the planner may walk the primary key backwards testing row after row,
    trusting a misjudged count."""
    model = MODELS[table]
    recent = _recent_sql(table, fragment, limit, SMALL_WINDOW).columns(id=Integer).cte("recent")
    few = select(func.count()).select_from(recent).scalar_subquery() < limit
    every = select(literal(1).label("half"), model.id.label("id"))
    every = every.where(few, matches(table, fragment)).limit(RARE_ROWS)
    both = union_all(select(literal(0).label("half"), recent.c.id), every)
    found: tuple[list[int], list[int]] = ([], [])
    for half, id_ in session.execute(both):
        found[half].append(id_)
    return found


def _where(
    session: Session, table: str, model: Any, fragment: str, limit: int
) -> ColumnElement[bool] | None:
    """The rows a kind's query reads; None: none (no query to run)."""
    ids = newest_ids(session, table, fragment, limit)
    if ids is None:
        return matches(table, fragment, newest=limit)
    return model.id.in_(ids) if ids else None


def search(
    session: Session,
    fragment: str | None,
    *,
    kinds: Sequence[str],
    limit: int = 10,
    complaints_seen: ColumnElement[bool] | None = None,
) -> list[Hit]:
    """Up to ``limit`` hits per kind (``ticket``, ``customer``, ``device``, ``part``,
    ``complaint``), the latest entered first. The caller passes only the kinds the user
    may see, and for complaints the condition of those the user may read (an engineer:
    the ones about his own tickets)."""
    fragment = cleaned(fragment)
    if not fragment:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:  # a fragment of digits common everywhere must not hold a connection long
        session.execute(text(f"SET LOCAL statement_timeout = {TIMEOUT_MS}"))
    try:
        return _search(session, fragment, kinds, limit, complaints_seen)
    except OperationalError as exc:
        if postgres and "statement timeout" in str(exc.orig):
            session.rollback()
            raise Refused("search.too_broad", q=fragment) from None
        raise


def _search(
    session: Session,
    fragment: str,
    kinds: Sequence[str],
    limit: int,
    complaints_seen: ColumnElement[bool] | None = None,
) -> list[Hit]:
    hits: list[Hit] = []
    if (
        "ticket" in kinds
        and (found := _where(session, "tickets", Ticket, fragment, limit)) is not None
    ):
        rows = session.execute(
            select(Ticket.id, Ticket.ticket_no, Ticket.fault_description, Customer.name)
            .join(Customer, Customer.id == Ticket.customer_id)
            .where(found)
            .order_by(Ticket.id.desc())  # the latest entered first
            .limit(limit)
        ).all()
        hits += [Hit("ticket", r[0], r[1], r[3], _snippet(r[2])) for r in rows]
    if (
        "customer" in kinds
        and (found := _where(session, "customers", Customer, fragment, limit)) is not None
    ):
        rows = session.execute(
            select(Customer.id, Customer.code, Customer.name, Customer.contact_name, Customer.phone)
            .where(found)
            .order_by(Customer.id.desc())
            .limit(limit)
        ).all()
        hits += [Hit("customer", r[0], r[1], r[2], " ".join(x for x in r[3:] if x)) for r in rows]
    if (
        "device" in kinds
        and (found := _where(session, "devices", Device, fragment, limit)) is not None
    ):
        rows = session.execute(
            select(
                Device.id,
                Device.serial_no,
                Customer.name,
                ProductModel.code,
                Device.location,
                Customer.code,
            )
            .join(Customer, Customer.id == Device.customer_id)
            .outerjoin(ProductModel, ProductModel.id == Device.model_id)
            .where(found)
            .order_by(Device.id.desc())
            .limit(limit)
        ).all()
        hits += [
            Hit("device", r[0], r[1], r[2], " ".join(x for x in r[3:5] if x), opens=r[5])
            for r in rows
        ]
    if "part" in kinds and (found := _where(session, "parts", Part, fragment, limit)) is not None:
        rows = session.execute(
            select(Part.id, Part.part_no, Part.name, Part.spec, Part.compatible_models)
            .where(found)
            .order_by(Part.id.desc())
            .limit(limit)
        ).all()
        hits += [Hit("part", r[0], r[1], r[2], " ".join(x for x in r[3:] if x)) for r in rows]
    if (
        "complaint" in kinds
        and (found := _where(session, "complaints", Complaint, fragment, limit)) is not None
    ):
        q = (
            select(Complaint.id, Complaint.complaint_no, Customer.name, Complaint.content)
            .join(Customer, Customer.id == Complaint.customer_id)
            .where(found)
        )
        if complaints_seen is not None:
            q = q.where(complaints_seen)
        rows = session.execute(q.order_by(Complaint.id.desc()).limit(limit)).all()
        hits += [Hit("complaint", r[0], r[1], r[2], _snippet(r[3])) for r in rows]
    return hits


def _snippet(text_: str | None, n: int = 60) -> str:
    text_ = " ".join((text_ or "").split())
    return text_ if len(text_) <= n else text_[: n - 1] + "…"


# -- upkeep: the job ticker merges the index now and then (data_access/jobs.py) -----------

# SQLite: the FTS5 tables of the index (migrations 0014, 0015, 0024)
FTS_TABLES = ("search_tickets", "search_ticket_numbers", "search_ticket_grams",
              "search_customers", "search_devices", "search_parts", "search_complaints")  # fmt: skip
# PostgreSQL: the GIN indexes, whose pending lists hold entries not yet merged
GIN_INDEXES = ("ix_tickets_search", "ix_tickets_numbers_search", "ix_tickets_grams_search",
               "ix_customers_search", "ix_devices_search", "ix_parts_search",
               "ix_complaints_search")  # fmt: skip
MERGE_PAGES = 200  # pages one merge step writes: the write lock is held for one step only
MANY_SEGMENTS = 8  # above this, merge the whole index into one segment
MERGE_SECONDS = 2.0  # one round's budget; a merge left unfinished goes on next round
MERGE_PAUSE = 0.05  # between steps: a writer waiting for the lock gets it


def segments(session: Session, fts: str) -> int:
    """How many b-trees (segments) the FTS5 table ``fts`` has: a search seeks in each."""
    return session.scalar(text(f"SELECT count(DISTINCT segid) FROM {fts}_idx")) or 0


def _merge_step(engine: Engine, fts: str, pages: int) -> bool:
    """One incremental merge of about ``|pages|`` pages in its own short write
    transaction; False when there was nothing to merge (FTS5 then changes fewer than
    two rows). A negative ``pages`` merges segments of every level, down to one."""
    with db.write(engine) as s:
        before = s.scalar(text("SELECT total_changes()"))
        s.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('merge', :n)"), {"n": pages})
        return s.scalar(text("SELECT total_changes()")) - before >= 2


def merge_index(
    engine: Engine, *, seconds: float = MERGE_SECONDS, pages: int = MERGE_PAGES
) -> dict[str, int]:
    """Keep the search index quick to seek, a little at a time (merge steps per table).

    SQLite: every write transaction adds a segment to an FTS5 index and its automerge
    only merges four of one level, so an index filled by imports keeps dozens, and a
    search of several grams seeks in each (50 ms instead of 1 ms at a million tickets).
    A table with more than ``MANY_SEGMENTS`` is merged into one, step by step, each step
    its own short transaction; otherwise only what FTS5 itself calls due is merged.
    Stops after ``seconds``; an unfinished merge goes on in the next round.
    PostgreSQL: moves the GIN indexes' pending entries into the index (else every search
    reads the pending list through), as VACUUM would."""
    if engine.dialect.name == "postgresql":
        with db.write(engine) as s:
            return {
                ix: s.scalar(text("SELECT gin_clean_pending_list(to_regclass(:ix))"), {"ix": ix})
                or 0
                for ix in GIN_INDEXES
            }
    deadline = time.monotonic() + seconds
    done: dict[str, int] = {}
    for fts in FTS_TABLES:
        with db.read(engine) as s:
            n = segments(s, fts)
        step = -pages if n > MANY_SEGMENTS else pages
        done[fts] = 0
        while n > 1 and _merge_step(engine, fts, step):
            done[fts] += 1
            if time.monotonic() >= deadline:
                return done
            time.sleep(MERGE_PAUSE)
    return done
