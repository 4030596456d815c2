"""Column values as JSON and back: dates ISO, decimals as text (audit rows, the import
journal, remembered settings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def to_json(value: Any) -> Any:
    """A column value as JSON (dates ISO, decimals as text)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(column, value: Any) -> Any:
    """Undo :func:`to_json` for ``column``'s type."""
    if value is None:
        return None
    python_type = column.type.python_type
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(value)
    return value
