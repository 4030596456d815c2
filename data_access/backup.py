"""Backup and restore: ``python -m data_access.backup create|restore|verify|list|copy``.

Why a portable logical backup, written by the app itself, rather than ``pg_dump`` or a
file copy:

- one format for both back-ends: a backup taken on SQLite restores into PostgreSQL and
  back, so the same file moves a team from SQLite to PostgreSQL
  (``python -m data_access.backup copy --to postgresql://…`` does it in one command);
- no client tools needed (``pg_dump``/``psql`` are not part of the app's install);
- it can be checked without a database: every table's row count and SHA-256 are in the
  manifest, and ``verify`` also restores into a scratch SQLite file and compares again.

The file is a zip: ``manifest.json`` (format, Alembic revision, source back-end, and per
table its columns, row count and SHA-256) and ``tables/<name>.jsonl``, one JSON array
per row in column order, rows ordered by primary key. The serialisation is canonical so
the same content gives the same bytes on either back-end: dates and datetimes in ISO
form, decimals at the column's scale as text, JSON columns as their compact JSON text
(so SQL NULL and JSON ``null`` stay apart), text untouched (leading zeros, Chinese).

Consistency while the app writes: on SQLite the live file is first copied through the
``sqlite3`` online backup API in one step (a read snapshot; WAL writers carry on), and
the copy is read; on PostgreSQL every table is read in one REPEATABLE READ, READ ONLY
transaction (one snapshot). The manifest's counts are those of the rows written.

Restore goes into an empty database at the backup's revision (a database with no schema
is migrated to it first, then to head), refuses a database holding data unless
``force``, and writes everything in one transaction, parents before children
(``Base.metadata.sorted_tables``), in batches; PostgreSQL sequences are then set to
each table's ``max(id)``. A backup of another revision is refused: restore it with the
app version that wrote it, then migrate.

Only administrators may back up or restore (the acting role is checked here, not only
on the page); each backup and restore writes an audit row. Scheduled backups: the
``backup.schedule`` setting (folder, interval, how many to keep) is run by the jobs
ticker (:func:`run_scheduled`); ``create --keep N`` does the same from cron. Exit codes:
0 done, 2 refused or a bad backup file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from alembic import command
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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from data_access import db
from data_access.audit import append_rows, cleared
from data_access.errors import Refused
from data_access.migrate import _revision, alembic_config, upgrade
from data_access.models import Base
from data_access.settings import end_all_sessions, get_setting, put_setting
from rules.access import Role

log = logging.getLogger(__name__)

FORMAT = "aftersales-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
DEFAULT_FOLDER = db.ROOT / "data" / "backups"
SCHEDULE_KEY = "backup.schedule"
PREFIX = "aftersales-"
STAMP = "%Y%m%d-%H%M%S"
NAME_RE = re.compile(r"^aftersales-(\d{8}-\d{6})(?:-\d+)?\.(zip|db)$")
LOCK_KEY = 7_316_002  # advisory lock of the scheduled backup (instances on one PostgreSQL)


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


def _tables() -> list[Table]:
    """The tables a backup holds: not the dashboard's rollup (``dashboard_*``), which its
    triggers mark stale as the restore clears and writes the tickets."""
    return [t for t in Base.metadata.sorted_tables if not t.name.startswith("dashboard_")]


def _sums(conn: Connection) -> list[TableSum]:
    """Count and checksum of every table as the database holds it now."""
    sums = []
    for table in _tables():
        digest, n = hashlib.sha256(), 0
        for block, rows in _blocks(conn, table):
            digest.update(block)
            n += rows
        sums.append(TableSum(table.name, [c.name for c in table.c], n, digest.hexdigest()))
    return sums


# ---------------------------------------------------------------- snapshots
def _sqlite_file(engine: Engine) -> str:
    path = engine.url.database
    if not path or path == ":memory:":
        raise BadBackup("backup.err.memory_db")
    return path


def _online_copy(engine: Engine, dest: Path) -> None:
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
        for table in _tables():
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


def _snapshot_to_zip(engine: Engine, dest: Path, now: dt.datetime) -> Manifest:
    if db.is_sqlite(engine):
        with tempfile.TemporaryDirectory(prefix="aftersales-backup-") as tmp:
            copy = Path(tmp) / "snapshot.db"
            _online_copy(engine, copy)
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
    for table in _tables():  # every table, or a restore would leave one silently empty
        if table.name not in names:
            raise BadBackup("backup.err.missing_table", table=table.name)
    return Manifest(raw["revision"], raw["source"], raw["created_at"], tables)


def _open(path: Path) -> zipfile.ZipFile:
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
    with _open(path) as zf:
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
def _has_rows(conn: Connection) -> bool:
    return any(conn.execute(select(exists().select_from(t))).scalar() for t in _tables())


def _clear(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in _tables())
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
        return
    with cleared(conn):  # audit_log refuses DELETE otherwise
        for table in reversed(_tables()):
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


def _load(conn: Connection, zf: zipfile.ZipFile, manifest: Manifest) -> None:
    tables = {t.name: t for t in _tables()}
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
        for table in _tables():
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 1), '
                    f'(SELECT MAX(id) FROM "{table.name}") IS NOT NULL)'
                ),
                {"t": f'"{table.name}"'},
            )


def _migrate_to(engine: Engine, revision: str | None) -> None:
    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision or "head")


def _prepare(engine: Engine, manifest: Manifest) -> bool:
    """Bring a database without schema to the backup's revision; refuse another one.
    True when the database was created here (so it is migrated to head afterwards)."""
    with engine.connect() as conn:
        current = _revision(conn)
    if current is None:
        _migrate_to(engine, manifest.revision)
        return True
    if current != manifest.revision:
        raise RevisionMismatch(
            "backup.err.revision", value=manifest.revision or "-", current=current
        )
    return False


def restore_backup(
    engine: Engine,
    path: Path,
    *,
    role: str | None,
    user_id: int | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> Done:
    """Replace the database's content by the backup at ``path`` (checked first)."""
    require_admin(role)
    started = time.perf_counter()
    path = Path(path)
    manifest = check_file(path)
    created = _prepare(engine, manifest)
    with _open(path) as zf, db.write(engine) as session:
        conn = session.connection()
        if _has_rows(conn):
            if not force:
                raise NotEmpty("backup.err.not_empty")
            _clear(conn)
        try:
            _load(conn, zf, manifest)
        except DBAPIError as exc:
            raise BadBackup("backup.err.rejected", value=str(exc.orig)[:300]) from None
        changes = {"file": path.name, "rows": manifest.rows, "source": manifest.source}
        # the acting user may not exist in the restored data
        who = user_id if user_id is not None and _user_exists(conn, user_id) else None
        _audit(session, "restore", path.name, changes, who, now)
        end_all_sessions(session, now or dt.datetime.now())  # ids may name other people now
    if created:
        upgrade(engine)
    return Done(path, manifest, path.stat().st_size, time.perf_counter() - started)


def _user_exists(conn: Connection, user_id: int) -> bool:
    users = Base.metadata.tables["users"]
    return conn.execute(select(exists().where(users.c.id == user_id))).scalar()


def _audit(session: Session, action: str, key: str, changes: dict, user_id, now) -> None:
    now = now or dt.datetime.now().replace(microsecond=0)
    row = {"key": key, "action": action, "changes": changes}
    append_rows(session, [row], entity="backup", user_id=user_id, now=now)


# ---------------------------------------------------------------- the commands
def backup_name(now: dt.datetime, folder: Path, suffix: str = ".zip") -> Path:
    """``aftersales-YYYYmmdd-HHMMSS.zip`` in ``folder``, never overwriting a file."""
    base = f"{PREFIX}{now.strftime(STAMP)}"
    path, n = folder / f"{base}{suffix}", 1
    while path.exists():
        path, n = folder / f"{base}-{n}{suffix}", n + 1
    return path


def create_backup(
    engine: Engine,
    folder: Path | None = None,
    *,
    role: str | None,
    user_id: int | None = None,
    out: Path | None = None,
    keep: int | None = None,
    now: dt.datetime | None = None,
) -> Done:
    """Write a portable backup (to ``out``, or a new name in ``folder``), audit it, and
    keep the newest ``keep`` backups of the folder when given."""
    require_admin(role)
    now = now or dt.datetime.now().replace(microsecond=0)
    started = time.perf_counter()
    folder = Path(folder or DEFAULT_FOLDER)
    dest = Path(out) if out else backup_name(now, folder)
    dest.parent.mkdir(parents=True, exist_ok=True)
    manifest = _snapshot_to_zip(engine, dest, now)
    seconds = time.perf_counter() - started
    size = dest.stat().st_size
    with db.write(engine) as session:
        changes = {"file": dest.name, "rows": manifest.rows, "bytes": size}
        _audit(session, "backup", dest.name, changes, user_id, now)
    if keep:
        prune(dest.parent, keep)
    return Done(dest, manifest, size, seconds)


def sqlite_copy(
    engine: Engine,
    folder: Path | None = None,
    *,
    role: str | None,
    user_id: int | None = None,
    now: dt.datetime | None = None,
) -> Path:
    """A plain ``.db`` copy of a SQLite database through the online backup API."""
    require_admin(role)
    if not db.is_sqlite(engine):
        raise BadBackup("backup.err.not_sqlite")
    _sqlite_file(engine)
    now = now or dt.datetime.now().replace(microsecond=0)
    folder = Path(folder or DEFAULT_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    dest = backup_name(now, folder, ".db")
    _online_copy(engine, dest)
    with db.write(engine) as session:
        changes = {"file": dest.name, "bytes": dest.stat().st_size}
        _audit(session, "backup", dest.name, changes, user_id, now)
    return dest


def verify_backup(path: Path, *, role: str | None) -> Done:
    """Check the file, restore it into a scratch SQLite database and compare every
    table's row count and checksum there with the manifest."""
    require_admin(role)
    started = time.perf_counter()
    path = Path(path)
    manifest = check_file(path)
    with tempfile.TemporaryDirectory(prefix="aftersales-verify-") as tmp:
        scratch = db.make_engine(f"sqlite:///{Path(tmp) / 'verify.db'}")
        try:
            _migrate_to(scratch, manifest.revision)
            with _open(path) as zf, db.write(scratch) as session:
                conn = session.connection()
                try:
                    _load(conn, zf, manifest)
                except DBAPIError as exc:
                    raise BadBackup("backup.err.rejected", value=str(exc.orig)[:300]) from None
                got = {s.name: s for s in _sums(conn)}
        finally:
            scratch.dispose()
    for entry in manifest.tables:
        found = got[entry.name]
        if (found.rows, found.sha256) != (entry.rows, entry.sha256):
            raise BadBackup("backup.err.verify_mismatch", table=entry.name)
    return Done(path, manifest, path.stat().st_size, time.perf_counter() - started)


def content_sums(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table (what a backup's manifest would say)."""
    with engine.connect() as conn:
        return {s.name: (s.rows, s.sha256) for s in _sums(conn)}


def copy_database(source: Engine, target: Engine, *, role: str | None, force: bool = False) -> Done:
    """Move every row of ``source`` into ``target`` (e.g. SQLite → PostgreSQL) through a
    portable backup in a scratch folder, then check the target's checksums."""
    require_admin(role)
    with tempfile.TemporaryDirectory(prefix="aftersales-copy-") as tmp:
        made = create_backup(source, Path(tmp), role=role)
        done = restore_backup(target, made.path, role=role, force=force)
    sums = content_sums(target)
    for entry in made.manifest.tables:
        if entry.name in ("audit_log", "settings"):
            continue  # the restore adds its own audit row and a new session epoch
        if sums[entry.name] != (entry.rows, entry.sha256):
            raise BadBackup("backup.err.verify_mismatch", table=entry.name)
    return done


# ---------------------------------------------------------------- folder and retention
@dataclass(frozen=True)
class BackupFile:
    path: Path
    taken_at: dt.datetime
    kind: str  # zip | db
    size: int


def list_backups(folder: Path | None = None) -> list[BackupFile]:
    """Backups this module named in ``folder``, newest first (other files ignored)."""
    folder = Path(folder or DEFAULT_FOLDER)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = NAME_RE.match(path.name)
        if match and path.is_file():
            taken = dt.datetime.strptime(match.group(1), STAMP)
            found.append(BackupFile(path, taken, match.group(2), path.stat().st_size))
    return sorted(found, key=lambda b: (b.taken_at, b.path.name), reverse=True)


def add_to_folder(data: BinaryIO, folder: Path, *, role: str | None) -> Path:
    """Put a backup brought from elsewhere (an upload) into ``folder`` under its own
    time, once it checks out; a bad file is deleted and refused."""
    require_admin(role)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=folder)
    part = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(data, out, 1 << 20)
        manifest = check_file(part)
        taken = dt.datetime.fromisoformat(manifest.created_at)
        dest = backup_name(taken, folder)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups of each kind beyond the newest ``keep``."""
    removed = []
    for kind in ("zip", "db"):
        for old in [b for b in list_backups(folder) if b.kind == kind][max(keep, 1) :]:
            old.path.unlink()
            removed.append(old.path)
    return removed


# ---------------------------------------------------------------- schedule
@dataclass(frozen=True)
class Schedule:
    enabled: bool = False
    folder: str = str(DEFAULT_FOLDER)
    every_hours: float = 24.0
    keep: int = 7


def get_schedule(session: Session) -> Schedule:
    raw = get_setting(session, SCHEDULE_KEY)
    if not isinstance(raw, dict):
        return Schedule()
    fields = Schedule.__dataclass_fields__
    return Schedule(**{k: v for k, v in raw.items() if k in fields})


def save_schedule(
    session: Session,
    schedule: Schedule,
    *,
    role: str | None,
    user_id: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    require_admin(role)
    if schedule.keep < 1 or schedule.every_hours <= 0 or not schedule.folder.strip():
        raise BackupError("backup.err.schedule")
    now = now or dt.datetime.now().replace(microsecond=0)
    put_setting(session, SCHEDULE_KEY, asdict(schedule), now)
    _audit(session, "schedule", SCHEDULE_KEY, asdict(schedule), user_id, now)


def is_due(schedule: Schedule, now: dt.datetime) -> bool:
    if not schedule.enabled:
        return False
    newest = [b for b in list_backups(Path(schedule.folder)) if b.kind == "zip"]
    return not newest or now - newest[0].taken_at >= dt.timedelta(hours=schedule.every_hours)


def run_scheduled(engine: Engine, now: dt.datetime | None = None) -> Path | None:
    """The jobs ticker's round: a backup when the schedule says one is due (None when
    not due, another instance holds the round, or it failed — failures are logged)."""
    now = now or dt.datetime.now().replace(microsecond=0)
    try:
        with db.read(engine) as session:
            schedule = get_schedule(session)
        if not is_due(schedule, now):
            return None
        with _round_lock(engine) as mine:
            if not mine:
                return None
            done = create_backup(
                engine, Path(schedule.folder), role=Role.ADMIN, keep=schedule.keep, now=now
            )
    except (BackupError, OSError, DBAPIError) as exc:
        log.warning("scheduled backup failed: %s", exc)
        return None
    log.info("scheduled backup %s (%d rows)", done.path, done.manifest.rows)
    return done.path


class _round_lock:  # noqa: N801 - used as a context manager
    """PostgreSQL: one instance runs the scheduled backup; SQLite: always this one."""

    def __init__(self, engine: Engine):
        self.engine, self.conn = engine, None

    def __enter__(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        self.conn = self.engine.connect()
        got = self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
        return bool(got.scalar())

    def __exit__(self, *exc) -> None:
        if self.conn is not None:
            self.conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self.conn.close()


# ---------------------------------------------------------------- CLI
def _describe(done: Done) -> str:
    return (
        f"{done.path} — {done.manifest.rows} rows in {len(done.manifest.tables)} tables, "
        f"{done.size / 1024:.0f} KiB, revision {done.manifest.revision}, "
        f"{done.seconds:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.backup", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or data/aftersales.db)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    create = sub.add_parser("create", help="write a portable backup")
    create.add_argument("--folder", type=Path, help="folder (default: the schedule's)")
    create.add_argument("--out", type=Path, help="exact file to write")
    create.add_argument("--keep", type=int, help="then keep only the newest N backups")
    create.add_argument("--sqlite-copy", action="store_true", help="also a plain .db copy")
    restore = sub.add_parser("restore", help="replace the database's content by a backup")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="even if it holds data")
    verify = sub.add_parser("verify", help="check a backup by restoring it into scratch")
    verify.add_argument("file", type=Path)
    listing = sub.add_parser("list", help="backups in the folder, newest first")
    listing.add_argument("--folder", type=Path)
    copy = sub.add_parser("copy", help="move everything into another database")
    copy.add_argument("--to", required=True, help="target database URL (e.g. PostgreSQL)")
    copy.add_argument("--force", action="store_true", help="even if the target holds data")
    args = parser.parse_args(argv)
    engine = db.make_engine(args.url or db.database_url())
    try:
        return _run(args, engine)
    except BackupError as exc:
        print(f"refused: {_english(exc)}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def _english(exc: BackupError) -> str:
    from rules.i18n import t

    return t(exc.code, "en", **exc.params)


def _normal_url(url: str) -> str:
    """The plain ``postgres://`` forms people paste, for the psycopg 3 driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _folder(args, engine: Engine) -> Path:
    if getattr(args, "folder", None):
        return args.folder
    with db.read(engine) as session:
        return Path(get_schedule(session).folder)


def _run(args, engine: Engine) -> int:
    admin = Role.ADMIN  # whoever runs the CLI holds the database's file or credentials
    if args.cmd == "create":
        done = create_backup(
            engine, _folder(args, engine), role=admin, out=args.out, keep=args.keep
        )
        print(f"backup written: {_describe(done)}")
        if args.sqlite_copy:
            print(f"SQLite copy: {sqlite_copy(engine, done.path.parent, role=admin)}")
    elif args.cmd == "restore":
        done = restore_backup(engine, args.file, role=admin, force=args.force)
        where = engine.url.render_as_string(hide_password=True)
        print(f"restored into {where}: {_describe(done)}")
    elif args.cmd == "verify":
        done = verify_backup(args.file, role=admin)
        print(f"backup verified: {_describe(done)}")
    elif args.cmd == "list":
        for b in list_backups(_folder(args, engine)):
            print(f"{b.taken_at:%Y-%m-%d %H:%M:%S}  {b.size / 1024:>10.0f} KiB  {b.path}")
    else:
        target = db.make_engine(_normal_url(args.to))
        try:
            done = copy_database(engine, target, role=admin, force=args.force)
        finally:
            target.dispose()
        where = target.url.render_as_string(hide_password=True)
        rows, tables = done.manifest.rows, len(done.manifest.tables)
        print(f"copied {rows} rows of {tables} tables into {where} and checked them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
