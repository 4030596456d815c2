"""The audit log: :func:`append_rows` (the write path's audit rows) and :func:`record`
for events outside the register write path, the
queries and export of the admins' audit page, and :func:`cleared` for code that wipes
a whole SQLite database.

``audit_log`` is append-only, enforced by the database (migration 0004): an UPDATE or
DELETE raises, whatever the code path. Register writes (grid edits, imports, app
commands through :func:`data_access.writes.apply`) audit themselves; everything else
that matters calls :func:`record` in the same transaction as the change, so the row
and the change commit or roll back together.

**Money.** Every change of an amount (fees, prices, settlements) that does not go
through ``writes.apply`` must call :func:`record` with ``changes={"field": [before,
after]}`` (decimals are stored as text, exactly). That is the documented way; a test of
the fees work should assert the row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select, text
from sqlalchemy.orm import Session

from data_access.json_values import to_json
from data_access.models import AuditLog, User
from data_access.settings import dumps
from rules.fields import Field, Kind, Register

ROW_LIMIT = 2000  # rows the page shows; the export takes every match


class Action(StrEnum):
    """What happened (``audit_log.action``, at most 20 characters). Register writes
    use ``insert`` / ``update`` / ``delete`` / ``import`` / ``undo`` as before."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    LOGIN_INACTIVE = "login_inactive"
    PASSWORD_CHANGE = "password_change"
    PASSWORD_RESET = "password_reset"
    USER_CREATE = "user_create"
    ADMIN_RESET = "admin_reset"
    SETTING = "setting"
    EXPORT = "export"
    MONEY = "money"


# entities of events that are not a register's
LOGIN = "login"
USERS = "users"
SETTINGS = "settings"
SLA_POLICIES = "sla_policies"
SLA_ESCALATION = "sla_escalation"
SLA_CALENDAR = "sla_calendar"


# ---------------------------------------------------------------- writing
def username_of(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return session.execute(select(User.username).where(User.id == user_id)).scalar()


def append_rows(
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


def record(
    session: Session,
    *,
    entity: str,
    action: Action | str,
    now: dt.datetime,
    key: Any = None,
    changes: Mapping[str, Any] | None = None,
    user_id: int | None = None,
) -> None:
    """Append one audit row in the caller's transaction.

    ``user_id``: who did it (None: nobody signed in, e.g. a failed log-in or the
    command line); the user name is stored beside it so the row keeps naming them.
    ``key``: what it was done to (a user name, a setting key, a register's filter …).
    ``changes``: ``{"field": [before, after]}`` for a change, plain facts otherwise.
    """
    row = {"key": key, "action": str(action), "changes": dict(changes or {})}
    append_rows(session, [row], entity=entity, user_id=user_id, now=now)


def record_export(
    session: Session,
    *,
    register: str,
    rows: int,
    selection: Any,
    user_id: int | None,
    now: dt.datetime,
    file_name: str | None = None,
) -> None:
    """Who exported which register, how many rows, under which filter (``selection``:
    the page's filter dataclass or mapping; None: everything)."""
    changes = {"rows": rows, "filter": plain_value(selection)}
    record(
        session,
        entity=register,
        action=Action.EXPORT,
        key=file_name,
        changes=changes,
        user_id=user_id,
        now=now,
    )


def plain_value(value: Any) -> Any:
    """``value`` as JSON-able data: dataclasses and mappings as objects (empty parts
    left out), sets sorted, dates ISO, anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        out = {str(k): plain_value(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain_value(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{name: [before, after]}`` for every name whose value differs (None: absent)."""
    names = sorted(before.keys() | after.keys())
    return {n: [before.get(n), after.get(n)] for n in names if before.get(n) != after.get(n)}


# ---------------------------------------------------------------- append-only guard
@contextmanager
def cleared(conn: Connection) -> Iterator[None]:
    """Let the block delete every row of ``audit_log`` on SQLite (a restore over a
    database, a demo reset); the triggers are back when it ends, in the same
    transaction. PostgreSQL wipes with TRUNCATE, which fires no row trigger: nothing
    to lift there."""
    if conn.dialect.name != "sqlite":
        yield
        return
    found = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        )
    ).all()
    for name, _ in found:
        conn.execute(text(f'DROP TRIGGER "{name}"'))
    try:
        yield
    finally:
        for _, sql in found:
            conn.execute(text(sql))


# ---------------------------------------------------------------- the audit page
@dataclasses.dataclass(frozen=True)
class AuditFilter:
    """The page's filter; every part optional. ``end`` is inclusive (a whole day)."""

    start: dt.date | None = None
    end: dt.date | None = None
    username: str | None = None
    entity: str | None = None
    action: str | None = None
    key_text: str | None = None


def _where(stmt: Select, f: AuditFilter) -> Select:
    a = AuditLog
    if f.start is not None:
        stmt = stmt.where(a.at >= dt.datetime.combine(f.start, dt.time()))
    if f.end is not None:
        stmt = stmt.where(a.at < dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time()))
    if f.username:
        stmt = stmt.where(a.username == f.username)
    if f.entity:
        stmt = stmt.where(a.entity == f.entity)
    if f.action:
        stmt = stmt.where(a.action == f.action)
    if f.key_text and f.key_text.strip():
        pattern = "%" + _like_escape(f.key_text.strip().lower()) + "%"
        stmt = stmt.where(func.lower(a.entity_key).like(pattern, escape="\\"))
    return stmt


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _columns() -> tuple:
    a = AuditLog
    return (a.id, a.at, a.username, a.entity, a.entity_key, a.action, a.changes)


def search(session: Session, f: AuditFilter, limit: int | None = ROW_LIMIT) -> list[dict]:
    """Matching rows, newest first (at most ``limit``; None: all)."""
    stmt = _where(select(*_columns()), f).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in session.execute(stmt)]


def count(session: Session, f: AuditFilter) -> int:
    return session.execute(_where(select(func.count(AuditLog.id)), f)).scalar_one()


def choices(session: Session) -> dict[str, list[str]]:
    """Distinct user names, entities and actions (the filter's options)."""
    a = AuditLog
    out = {}
    for name, col in (("username", a.username), ("entity", a.entity), ("action", a.action)):
        stmt = select(col).where(col.is_not(None)).distinct().order_by(col)
        out[name] = list(session.execute(stmt).scalars())
    return out


# the export's layout: described once, as every register is
AUDIT_LOG = Register(
    name="audit_log",
    zh="审计日志",
    en="Audit log",
    key="id",
    deletable=False,
    fields=(
        Field("id", "编号", "No.", Kind.INT, key=True, computed=True),
        Field("at", "时间", "Time", Kind.DATETIME, computed=True),
        Field("username", "用户", "User", computed=True, max_len=64),
        Field("entity", "对象", "Entity", computed=True, max_len=40),
        Field("entity_key", "键", "Key", computed=True, max_len=100),
        Field("action", "操作", "Action", computed=True, max_len=20),
        Field("changes", "内容", "Details", Kind.LONGTEXT, computed=True),
    ),
)


def display_rows(rows: Sequence[Mapping[str, Any]]) -> Iterator[tuple]:
    """Rows as the table and the export show them (the details as JSON text)."""
    for r in rows:
        yield tuple(
            (None if r[f.name] is None else dumps(r[f.name])) if f.name == "changes" else r[f.name]
            for f in AUDIT_LOG.fields
        )
