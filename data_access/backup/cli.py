"""``python -m data_access.backup create|restore|verify|list|copy``: the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import (
    Engine,
)

from data_access import db
from data_access.backup import __doc__ as backup_doc
from data_access.backup.archive import BackupError, Done
from data_access.backup.commands import (
    copy_database,
    create_backup,
    restore_backup,
    sqlite_copy,
    verify_backup,
)
from data_access.backup.folder import list_backups
from data_access.backup.schedule import get_schedule
from rules.access import Role


# ---------------------------------------------------------------- CLI
def _describe(done: Done) -> str:
    return (
        f"{done.path} — {done.manifest.rows} rows in {len(done.manifest.tables)} tables, "
        f"{done.size / 1024:.0f} KiB, revision {done.manifest.revision}, "
        f"{done.seconds:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.backup", description=backup_doc)
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
