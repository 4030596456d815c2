"""The one bulk-insert path: rows given column-wise, one executemany.

Imports, the demo generator and history writers all insert through here.

On SQLite a large batch goes through a staging table: the rows are bound into a temp
table that has no index (a hundred rows a statement, under 1 µs a row of 12 values), then
one ``INSERT … SELECT`` moves them,
in order, into the real table and its indexes. The two cost about what one executemany
into the indexed table does, but the move is one statement that holds no Python lock
while SQLite works, so the caller's thread can do other work meanwhile (an import
checks one chunk and converts the next while the one before is moved in; see
:meth:`Inserter.__call__`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import (
    Executable,
    Table,
    insert,
)
from sqlalchemy.dialects.sqlite import DATETIME as SQLiteDateTime
from sqlalchemy.orm import Session

IN_CHUNK = 5000  # values per IN (...) list: well under SQLite's 32766 variables
STAGE_ROWS = 1000  # rows from which a SQLite insert goes through the staging table
STAGE_BATCH = 100  # rows per statement that fills the staging table
MOVER = "bulk-move"  # the thread that moves staged rows
SERIALIZED = 3  # sqlite3.threadsafety of a SQLite built to serialise every call
MEMO_LIMIT = 50_000  # distinct values remembered per column before starting over


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class Inserter:
    """INSERTs into ``table`` rows given column-wise (column name → one value per row).

    On SQLite the rows go to the driver's executemany as tuples through the session's
    connection: the SQL Core compiles and the column types' bind processing, without
    a parameter dict built and re-read per row (about half the time of
    ``execute(insert(table), dicts)`` for 100k rows). Elsewhere: Core executemany.
    Made once per import: the statement is compiled once and processed date values
    are remembered across chunks.
    """

    def __init__(
        self,
        session: Session,
        table: Table,
        names: Sequence[str],
        statement: Executable | None = None,
    ):
        self.session, self.table, self.names = session, table, list(names)
        # another statement of bound parameters (an UPDATE … WHERE id = :b_id, an
        # upsert) runs alike, but never staged: only a plain INSERT is a mere move
        self.plain = statement is None
        self.statement = insert(table) if statement is None else statement
        dialect = session.get_bind().dialect
        compiled = self.statement.compile(dialect=dialect, column_keys=self.names)
        self.binds = list(compiled.positiontup or ())
        self.sql = compiled.string
        self.raw = dialect.name == "sqlite" and sorted(self.binds) == sorted(self.names)
        self.procs: dict[str, Callable[[Sequence[Any]], Sequence[Any]]] = {}
        for name in self.binds if self.raw else ():
            type_ = compiled.binds[name].type
            impl = type_.dialect_impl(dialect)
            proc = impl.bind_processor(dialect)
            if proc is not None:
                fast = _sqlite_datetimes(impl, proc)
                self.procs[name] = fast or _processor(proc, _python_type(type_))

    def __call__(
        self,
        columns: Mapping[str, Sequence[Any]],
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        """Insert the rows, which take their ids in the order given. ``meanwhile``: work
        run on this thread while another moves staged rows into the table (not run when
        nothing is staged: the caller then does it). It must not use the database:
        the session's connection is the mover's until the move ends (SQLite would make
        a stray statement wait, but SQLAlchemy's connection is not made for two
        threads)."""
        names = self.names
        if not len(columns[names[0]]):
            return
        if not self.raw:
            rows = zip(*(columns[n] for n in names), strict=True)
            self.session.execute(self.statement, [dict(zip(names, r, strict=True)) for r in rows])
            return
        procs = self.procs
        ordered = [procs[b](columns[b]) if b in procs else columns[b] for b in self.binds]
        params = list(zip(*ordered, strict=True))
        conn = self.session.connection()
        if len(params) < STAGE_ROWS or not self.plain:
            conn.exec_driver_sql(self.sql, params)
            return
        self._staged(conn, params, meanwhile)

    def _staged(self, conn: Any, params: list[tuple], meanwhile: Callable[[], None] | None) -> None:
        """Bind ``params`` into a temp table without types or indexes (values kept as
        bound: the real table's column affinities then apply as they would have), then
        move them with one statement, on a thread while ``meanwhile`` runs here."""
        stage = f'"_stage_{self.table.name}_{len(self.binds)}"'
        slots = [f"c{i}" for i in range(len(self.binds))]
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({', '.join(slots)})")
        conn.exec_driver_sql(f"DELETE FROM {stage}")  # rows a failed move left behind
        # many rows per statement: the driver's per-statement work (reset, step) is
        # paid once per STAGE_BATCH rows (18k rows of 12 values: ~70 → ~45 ms)
        one = f"({', '.join('?' * len(slots))})"
        limit = conn.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        k = max(1, min(STAGE_BATCH, limit // len(slots)))
        whole = len(params) - len(params) % k
        if whole:
            batches = [tuple(chain.from_iterable(params[i : i + k])) for i in range(0, whole, k)]
            conn.exec_driver_sql(f"INSERT INTO {stage} VALUES {', '.join([one] * k)}", batches)
        if whole < len(params):
            conn.exec_driver_sql(f"INSERT INTO {stage} VALUES {one}", params[whole:])
        targets = ", ".join(f'"{b}"' for b in self.binds)
        move = (f'INSERT INTO "{self.table.name}" ({targets}) '
                f"SELECT {', '.join(slots)} FROM {stage} ORDER BY rowid")  # fmt: skip
        failed: list[BaseException] = []

        def run() -> None:
            try:
                conn.exec_driver_sql(move)
            except BaseException as exc:  # noqa: BLE001 - raised again by the caller's thread
                failed.append(exc)

        if meanwhile is None or sqlite3.threadsafety != SERIALIZED:
            run()
        else:
            mover = threading.Thread(target=run, name=MOVER)
            mover.start()
            try:
                meanwhile()
            finally:
                mover.join()  # the connection is ours again only then
        if failed:
            raise failed[0]
        conn.exec_driver_sql(f"DELETE FROM {stage}")


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


def _sqlite_datetimes(
    impl: Any, proc: Callable[[Any], Any]
) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
    """SQLite's DATETIME text for naive datetimes straight from ``isoformat``: the same
    string as the dialect's default storage format, at a fraction of the cost (most
    datetimes of an import are distinct, so a memo would mostly miss)."""
    if not isinstance(impl, SQLiteDateTime) or impl._storage_format != _SQLITE_DATETIME:
        return None
    moment = dt.datetime

    def one(v: Any) -> Any:
        if v.__class__ is moment and v.tzinfo is None:
            text = v.isoformat(" ")
            return text if v.microsecond else text + ".000000"
        return None if v is None else proc(v)

    def bind(values: Sequence[Any]) -> list:
        n = len(values)
        if n > 1 and values[0] is values[-1] and values.count(values[0]) == n:
            return [one(values[0])] * n  # one moment throughout (created_at, updated_at)
        # the common case (naive, whole seconds) inline: no call per value
        return [
            v.isoformat(" ") + ".000000"
            if v.__class__ is moment and not v.microsecond and v.tzinfo is None
            else one(v)
            for v in values
        ]

    return bind


_SQLITE_DATETIME = SQLiteDateTime._storage_format


class _Memo(dict):
    def __init__(self, proc: Callable[[Any], Any]):
        super().__init__({None: None})
        self.proc = proc

    def __missing__(self, value: Any) -> Any:
        out = self[value] = self.proc(value)
        return out
