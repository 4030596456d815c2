"""Remembered settings (key → JSON value)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import (
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from data_access.json_values import to_json
from data_access.models import (
    Setting,
)


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


# every signed-in session remembers this value; a new one (after a restore or a copy
# over the database) signs them all out: their user ids may now name other people
SESSION_EPOCH = "sessions.epoch"


def session_epoch(session: Session) -> str:
    return str(get_setting(session, SESSION_EPOCH) or "")


def end_all_sessions(session: Session, now: dt.datetime) -> None:
    put_setting(session, SESSION_EPOCH, uuid.uuid4().hex, now)


def dumps(value: Any) -> str:
    return json.dumps(value, default=to_json, ensure_ascii=False)
