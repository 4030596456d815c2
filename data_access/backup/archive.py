"""The backup file: a zip of ``manifest.json`` and one canonical ``tables/<name>.jsonl``
per table, written from a database snapshot, checked, and loaded back into a
database (see :mod:`data_access.backup`); the errors and results of every command."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Engine,
    Numeric,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    insert,
    select,
    text,
)

from data_access import db
from data_access.audit import cleared
from data_access.errors import Refused
from data_access.migrate import _revision
from data_access.models import Base
from rules.access import Role

FORMAT = "aftersales-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000


# ---------------------------------------------------------------- errors
class BackupError(Refused):
    """A backup or restore refused: ``code``/``params`` word it in the reader's language."""


class NotAllowed(BackupError):
    """The acting role may not back up or restore."""


class BadBackup(BackupError):
    """The file is not a backup of this app, or it is damaged."""


class NotEmpty(BackupError):
    """Restore would overwrite data and ``force`` was not given."""


class RevisionMismatch(BackupError):
    """The backup's schema revision differs from the database's."""


def require_admin(role: str | None) -> None:
    if role != Role.ADMIN:
        raise NotAllowed("backup.err.admin_only")


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class TableSum:
    name: str
    columns: list[str]
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    revision: str | None
    source: str
    created_at: str
    tables: list[TableSum]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "revision": self.revision,
            "source": self.source,
            "created_at": self.created_at,
            "total_rows": self.rows,
            "tables": [asdict(t) for t in self.tables],
        }


@dataclass(frozen=True)
class Done:
    """What a backup, restore or verify did (``seconds`` measured)."""

    path: Path
    manifest: Manifest
    size: int
    seconds: float


# ---------------------------------------------------------------- canonical rows
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ROW = _JSON_TEXT.encode


def _json_text(value: str) -> str:
    # read as text (see _select); compact, key order kept
    return _JSON_TEXT.encode(json.loads(value))


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _encoder(column) -> Callable[[Any], Any] | None:
    """How a column's value is written (None: as the driver gives it: int, str, bool)."""
    kind = column.type
    if isinstance(kind, JSON):
        return _json_text
    if isinstance(kind, DateTime | Date):
        return _iso
    if isinstance(kind, Numeric):
        if kind.scale is None:
            return str
        step = Decimal(1).scaleb(-kind.scale)
        return lambda v: str(Decimal(v).quantize(step))
    return None


def _decoder(column) -> Callable[[Any], Any] | None:
    """The inverse of :func:`_encoder` (JSON stays text: it is bound as text)."""
    kind = column.type
    if isinstance(kind, DateTime):
        return dt.datetime.fromisoformat
    if isinstance(kind, Date):
        return dt.date.fromisoformat
    if isinstance(kind, Numeric):
        return Decimal
    return None


def _codecs(table: Table, make) -> list[tuple[int, Callable[[Any], Any]]]:
    return [(i, f) for i, c in enumerate(table.c) if (f := make(c)) is not None]


def _select(table: Table):
    # JSON as its text: the driver would turn SQL NULL and JSON null both into None
    cols = [cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c for c in table.c]
    return select(*cols).order_by(*table.primary_key.columns)


def _blocks(conn: Connection, table: Table) -> Iterator[tuple[bytes, int]]:
    """The table's canonical lines (one JSON array per row, by primary key), in blocks
    of up to ``BATCH`` rows: (bytes, rows)."""
    codecs = _codecs(table, _encoder)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(_select(table))
    for part in result.partitions():
        lines = []
        for row in part:
            values = list(row)
            for i, encode in codecs:
                if values[i] is not None:
                    values[i] = encode(values[i])
            lines.append(_ROW(values))
        lines.append("")
        yield "\n".join(lines).encode(), len(part)


def backup_tables() -> list[Table]:
    """The tables a backup holds: not the dashboard's rollup (``dashboard_*``), which its
    triggers mark stale as the restore clears and writes the tickets."""
    return [t for t in Base.metadata.sorted_tables if not t.name.startswith("dashboard_")]


def table_sums(conn: Connection) -> list[TableSum]:
    """Count and checksum of every table as the database holds it now."""
    sums = []
    for table in backup_tables():
        digest, n = hashlib.sha256(), 0
        for block, rows in _blocks(conn, table):
            digest.update(block)
            n += rows
        sums.append(TableSum(table.name, [c.name for c in table.c], n, digest.hexdigest()))
    return sums


# ---------------------------------------------------------------- snapshots
def sqlite_file(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise BadBackup("backup.err.memory_db")
    return path


def online_copy(engine: Engine, dest: Path) -> None:
    """Copy the live SQLite database to ``dest`` in one step of the online backup API."""
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(dest)
        try:
            raw.driver_connection.backup(target)  # pages=-1: all at once, one snapshot
        finally:
            target.close()
    finally:
        raw.close()


def _write_zip(conn: Connection, dest: Path, source: str, now: dt.datetime) -> Manifest:
    sums: list[TableSum] = []
    tmp = dest.with_name(dest.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for table in backup_tables():
            digest, n = hashlib.sha256(), 0
            with zf.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as member:
                for block, rows in _blocks(conn, table):
                    member.write(block)
                    digest.update(block)
                    n += rows
            sums.append(TableSum(table.name, [c.name for c in table.c], n, digest.hexdigest()))
        manifest = Manifest(_revision(conn), source, now.isoformat(), sums)
        zf.writestr(MANIFEST, json.dumps(manifest.to_json(), ensure_ascii=False, indent=1))
    os.replace(tmp, dest)
    return manifest


def snapshot_to_zip(engine: Engine, dest: Path, now: dt.datetime) -> Manifest:
    if db.is_sqlite(engine):
        with tempfile.TemporaryDirectory(prefix="aftersales-backup-") as tmp:
            copy = Path(tmp) / "snapshot.db"
            online_copy(engine, copy)
            snap = db.make_engine(f"sqlite:///{copy}")
            try:
                with snap.connect() as conn:
                    return _write_zip(conn, dest, "sqlite", now)
            finally:
                snap.dispose()
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        manifest = _write_zip(conn, dest, engine.dialect.name, now)
        conn.rollback()
        return manifest


# ---------------------------------------------------------------- reading a file
def _read_manifest(zf: zipfile.ZipFile) -> Manifest:
    try:
        raw = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BadBackup("backup.err.not_a_backup") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BadBackup("backup.err.not_a_backup")
    if raw.get("format_version") != FORMAT_VERSION:
        raise BadBackup("backup.err.format_version", value=raw.get("format_version"))
    tables = [TableSum(**t) for t in raw["tables"]]
    names = [t.name for t in tables]
    for name in names:
        if name not in Base.metadata.tables:
            raise BadBackup("backup.err.unknown_table", table=name)
    for table in backup_tables():  # every table, or a restore would leave one silently empty
        if table.name not in names:
            raise BadBackup("backup.err.missing_table", table=table.name)
    return Manifest(raw["revision"], raw["source"], raw["created_at"], tables)


def open_zip(path: Path) -> zipfile.ZipFile:
    if not Path(path).is_file():
        raise BadBackup("backup.err.no_file", value=str(path))
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise BadBackup("backup.err.not_a_backup") from None


_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, ValueError, TypeError)


def check_file(path: Path) -> Manifest:
    """The manifest of the backup at ``path`` once every table's count and SHA-256 match
    it (and the zip's own CRCs); :class:`BadBackup` naming the damage otherwise."""
    with open_zip(path) as zf:
        try:
            manifest = _read_manifest(zf)
            for entry in manifest.tables:
                digest, n = hashlib.sha256(), 0
                with zf.open(f"tables/{entry.name}.jsonl") as member:
                    while block := member.read(1 << 20):
                        digest.update(block)
                        n += block.count(b"\n")  # JSON escapes newlines inside values
                if n != entry.rows or digest.hexdigest() != entry.sha256:
                    raise BadBackup("backup.err.checksum", table=entry.name)
        except KeyError as exc:
            raise BadBackup("backup.err.damaged", value=str(exc)) from None
        except _DAMAGE as exc:
            raise BadBackup("backup.err.damaged", value=str(exc)) from None
    return manifest


# ---------------------------------------------------------------- restoring
def has_rows(conn: Connection) -> bool:
    return any(conn.execute(select(exists().select_from(t))).scalar() for t in backup_tables())


def clear_tables(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in backup_tables())
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
        return
    with cleared(conn):  # audit_log refuses DELETE otherwise
        for table in reversed(backup_tables()):
            conn.execute(delete(table))


def _insert(conn: Connection, table: Table):
    postgres = conn.dialect.name == "postgresql"
    values = {}
    for c in table.c:
        if isinstance(c.type, JSON):  # JSON text as written: SQL NULL stays NULL
            p = bindparam(f"p_{c.name}", type_=Text)
            values[c.name] = cast(p, c.type) if postgres else p
        else:
            values[c.name] = bindparam(f"p_{c.name}", type_=c.type)
    return insert(table).values(values)


def load_zip(conn: Connection, zf: zipfile.ZipFile, manifest: Manifest) -> None:
    tables = {t.name: t for t in backup_tables()}
    for entry in manifest.tables:
        table = tables[entry.name]
        if entry.columns != [c.name for c in table.c]:
            raise RevisionMismatch("backup.err.columns", table=entry.name)
        keys = [f"p_{c.name}" for c in table.c]
        codecs = _codecs(table, _decoder)
        stmt, batch = _insert(conn, table), []
        with zf.open(f"tables/{entry.name}.jsonl") as member:
            for line in member:
                row = json.loads(line)
                for i, decode in codecs:
                    if row[i] is not None:
                        row[i] = decode(row[i])
                batch.append(dict(zip(keys, row, strict=True)))
                if len(batch) >= BATCH:
                    conn.execute(stmt, batch)
                    batch = []
        if batch:
            conn.execute(stmt, batch)
    if conn.dialect.name == "postgresql":
        for table in backup_tables():
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 1), '
                    f'(SELECT MAX(id) FROM "{table.name}") IS NOT NULL)'
                ),
                {"t": f'"{table.name}"'},
            )
