"""Helpers more than one test module uses (fixtures live in the conftest files)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine, func, select

from data_access import db


def copy_sqlite(template: Path, path: Path) -> Engine:
    """An engine on a copy of a migrated SQLite file (copying beats migrating again)."""
    shutil.copy(template, path)
    return db.make_engine(f"sqlite:///{path}")


def count(engine: Engine, model) -> int:
    """Rows of a model (or table) in the database."""
    with db.read(engine) as s:
        return s.scalar(select(func.count()).select_from(model))
