"""Scheduled backups: the ``backup.schedule`` setting, run by the jobs ticker."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import (
    Engine,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from data_access import db
from data_access.backup.archive import BackupError, require_admin
from data_access.backup.commands import audit_event, create_backup
from data_access.backup.folder import DEFAULT_FOLDER, list_backups
from data_access.settings import get_setting, put_setting
from rules.access import Role

log = logging.getLogger(__name__)

SCHEDULE_KEY = "backup.schedule"
LOCK_KEY = 7_316_002  # advisory lock of the scheduled backup (instances on one PostgreSQL)


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
    audit_event(session, "schedule", SCHEDULE_KEY, asdict(schedule), user_id, now)


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
