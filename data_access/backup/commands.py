"""The backup commands: create, restore, verify, a plain SQLite copy, and a copy into
another database. Each checks that the acting role is an administrator and audits."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from alembic import command
from sqlalchemy import (
    Connection,
    Engine,
    exists,
    select,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from data_access import db
from data_access.audit import append_rows
from data_access.backup.archive import (
    BadBackup,
    Done,
    Manifest,
    NotEmpty,
    RevisionMismatch,
    check_file,
    clear_tables,
    has_rows,
    load_zip,
    online_copy,
    open_zip,
    require_admin,
    snapshot_to_zip,
    sqlite_file,
    table_sums,
)
from data_access.backup.folder import DEFAULT_FOLDER, backup_name, prune
from data_access.migrate import _revision, alembic_config, upgrade
from data_access.models import Base
from data_access.settings import end_all_sessions


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
    with open_zip(path) as zf, db.write(engine) as session:
        conn = session.connection()
        if has_rows(conn):
            if not force:
                raise NotEmpty("backup.err.not_empty")
            clear_tables(conn)
        try:
            load_zip(conn, zf, manifest)
        except DBAPIError as exc:
            raise BadBackup("backup.err.rejected", value=str(exc.orig)[:300]) from None
        changes = {"file": path.name, "rows": manifest.rows, "source": manifest.source}
        # the acting user may not exist in the restored data
        who = user_id if user_id is not None and _user_exists(conn, user_id) else None
        audit_event(session, "restore", path.name, changes, who, now)
        end_all_sessions(session, now or dt.datetime.now())  # ids may name other people now
    if created:
        upgrade(engine)
    return Done(path, manifest, path.stat().st_size, time.perf_counter() - started)


def _user_exists(conn: Connection, user_id: int) -> bool:
    users = Base.metadata.tables["users"]
    return conn.execute(select(exists().where(users.c.id == user_id))).scalar()


def audit_event(session: Session, action: str, key: str, changes: dict, user_id, now) -> None:
    now = now or dt.datetime.now().replace(microsecond=0)
    row = {"key": key, "action": action, "changes": changes}
    append_rows(session, [row], entity="backup", user_id=user_id, now=now)


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
    manifest = snapshot_to_zip(engine, dest, now)
    seconds = time.perf_counter() - started
    size = dest.stat().st_size
    with db.write(engine) as session:
        changes = {"file": dest.name, "rows": manifest.rows, "bytes": size}
        audit_event(session, "backup", dest.name, changes, user_id, now)
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
    sqlite_file(engine)
    now = now or dt.datetime.now().replace(microsecond=0)
    folder = Path(folder or DEFAULT_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    dest = backup_name(now, folder, ".db")
    online_copy(engine, dest)
    with db.write(engine) as session:
        changes = {"file": dest.name, "bytes": dest.stat().st_size}
        audit_event(session, "backup", dest.name, changes, user_id, now)
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
            with open_zip(path) as zf, db.write(scratch) as session:
                conn = session.connection()
                try:
                    load_zip(conn, zf, manifest)
                except DBAPIError as exc:
                    raise BadBackup("backup.err.rejected", value=str(exc.orig)[:300]) from None
                got = {s.name: s for s in table_sums(conn)}
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
        return {s.name: (s.rows, s.sha256) for s in table_sums(conn)}


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
