"""Backup and restore: ``python -m data_access.backup create|restore|verify|list|copy``.

The package: :mod:`.archive` (the file, its errors and results), :mod:`.commands`
(create, restore, verify, copy), :mod:`.folder` (names, listing, retention),
:mod:`.schedule` (the scheduled backup) and :mod:`.cli` (the command line).

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

from data_access.backup.archive import (
    BATCH,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    BadBackup,
    Done,
    Manifest,
    NotAllowed,
    NotEmpty,
    RevisionMismatch,
    TableSum,
    check_file,
    require_admin,
)
from data_access.backup.commands import (
    content_sums,
    copy_database,
    create_backup,
    restore_backup,
    sqlite_copy,
    verify_backup,
)
from data_access.backup.folder import (
    DEFAULT_FOLDER,
    NAME_RE,
    BackupFile,
    add_to_folder,
    backup_name,
    list_backups,
    prune,
)
from data_access.backup.schedule import (
    LOCK_KEY,
    SCHEDULE_KEY,
    Schedule,
    get_schedule,
    is_due,
    run_scheduled,
    save_schedule,
)

__all__ = [
    "BATCH",
    "BackupError",
    "BackupFile",
    "BadBackup",
    "DEFAULT_FOLDER",
    "Done",
    "FORMAT",
    "FORMAT_VERSION",
    "LOCK_KEY",
    "MANIFEST",
    "Manifest",
    "NAME_RE",
    "NotAllowed",
    "NotEmpty",
    "RevisionMismatch",
    "SCHEDULE_KEY",
    "Schedule",
    "TableSum",
    "add_to_folder",
    "backup_name",
    "check_file",
    "content_sums",
    "copy_database",
    "create_backup",
    "get_schedule",
    "is_due",
    "list_backups",
    "prune",
    "require_admin",
    "restore_backup",
    "run_scheduled",
    "save_schedule",
    "sqlite_copy",
    "verify_backup",
]
