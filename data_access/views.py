"""Plain values for pages: ORM rows copied into frozen dataclasses.

A page reads ``view.ticket_no`` as it would an ORM row, but holds no session, no lazy
load and no way to write past the data layer's commands.
"""

from __future__ import annotations

import dataclasses
from typing import Any

_VIEWS: dict[type, type] = {}


def snapshot(row: Any) -> Any:
    """An ORM row as a frozen dataclass of its column values (``None`` stays ``None``)."""
    if row is None:
        return None
    model = type(row)
    view = _VIEWS.get(model)
    if view is None:
        names = [c.key for c in model.__mapper__.column_attrs]
        view = dataclasses.make_dataclass(
            f"{model.__name__}View", [(n, Any) for n in names], frozen=True
        )
        _VIEWS[model] = view
    return view(**{f.name: getattr(row, f.name) for f in dataclasses.fields(view)})
