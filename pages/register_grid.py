"""The register grid every domain page uses: one page of rows from SQL in an
`st.data_editor` built from the field specs, and an explicit Save that sends every
insert/update/delete through the register's one write path in a single transaction.

Problems come back by grid row and column; a stale edit comes back as a conflict
message, never a silent overwrite.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from data_access import db
from data_access.registers import ConflictError, RowProblem, SaveResult, list_rows, save_changes
from pages.common import (
    column_config,
    current_user,
    get_engine,
    now,
    plain,
    show_problems,
    today,
    tr,
)
from rules.fields import Kind, Register

PAGE_SIZES = (25, 50, 100, 200)


@dataclasses.dataclass(frozen=True)
class Changes:
    inserts: list[dict[str, Any]]
    updates: list[dict[str, Any]]
    deletes: list[dict[str, Any]]
    update_rows: list[int]  # grid row index of each update
    delete_rows: list[int]  # grid row index of each delete
    # the row's key as the grid showed it (for the problems table)
    update_keys: list[Any] = dataclasses.field(default_factory=list)
    delete_keys: list[Any] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.inserts or self.updates or self.deletes)


def blank_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def editor_changes(register: Register, frame: pd.DataFrame, state: dict) -> Changes:
    """Turn `st.data_editor`'s diff (edited/added/deleted rows) into register changes.

    Only cells the user changed are in the diff, so an untouched empty cell is never
    sent; a cell cleared to "" is sent as None (NULL), never as text. A new row is sent
    even when blank, so its missing required cells come back as problems."""
    fields = {f.name for f in register.input_fields}
    updates, update_rows, update_keys = [], [], []
    for idx, edit in state.get("edited_rows", {}).items():
        row = frame.iloc[int(idx)]
        changed = {k: blank_to_none(v) for k, v in edit.items() if k in fields}
        if changed:
            updates.append({"id": int(row["id"]), "version": int(row["version"]), **changed})
            update_rows.append(int(idx))
            update_keys.append(blank_to_none(row[register.key]))
    # every added row goes to validation, a blank one too: dropping it would say
    # "nothing to save" while the row stays in the grid
    inserts = [
        {k: blank_to_none(v) for k, v in added.items() if k in fields}
        for added in state.get("added_rows", [])
    ]
    delete_rows = [int(i) for i in state.get("deleted_rows", [])]
    deletes = [
        {"id": int(frame.iloc[i]["id"]), "version": int(frame.iloc[i]["version"])}
        for i in delete_rows
    ]
    delete_keys = [blank_to_none(frame.iloc[i][register.key]) for i in delete_rows]
    return Changes(inserts, updates, deletes, update_rows, delete_rows, update_keys, delete_keys)


def grid_rows(
    problems: list[RowProblem], changes: Changes, offset: int, page_rows: int
) -> list[RowProblem]:
    """Problem rows as the user sees them: the row number in the grid, counted over all
    pages (new rows follow the page's rows)."""
    out = []
    for p in problems:
        if p.kind == "insert":
            row = offset + page_rows + p.row + 1
        elif p.kind == "update":
            row = offset + changes.update_rows[p.row] + 1
        else:
            row = offset + changes.delete_rows[p.row] + 1
        out.append(dataclasses.replace(p, row=row))
    return out


def problem_keys(problems: list[RowProblem], changes: Changes, key: str) -> list[Any]:
    """The key (customer code, serial no., …) of each problem's row, so the user can find
    it: the key typed into the row when it was edited, else the one the grid showed."""

    def one(p: RowProblem) -> Any:
        if p.kind == "insert":
            return changes.inserts[p.row].get(key)
        if p.kind == "update":
            typed = changes.updates[p.row].get(key)
            return typed if typed is not None else _at(changes.update_keys, p.row)
        return _at(changes.delete_keys, p.row)

    return [one(p) for p in problems]


def _at(values: list[Any], i: int) -> Any:
    return values[i] if i < len(values) else None


def register_grid(
    prefix: str,
    register: Register,
    *,
    filters: dict[str, Any],
    search: str | None,
    lang: str,
    editable: bool,
    lead: tuple[str, ...] = (),
) -> None:
    """Render one page of ``register`` with its pager and, when editable, Save/Discard.

    ``lead`` names the columns shown first (the grid's order only: the register's field
    order, and so the Excel layout, stays as it is)."""
    key_base = f"{prefix}.{register.name}"
    page_key = f"{key_base}.page"
    page_size = st.session_state.get(f"{key_base}.page_size", 50)
    page = int(st.session_state.get(page_key, 1))
    nonce = st.session_state.get(f"{key_base}.nonce", 0)
    rows, total = _page_rows(key_base, register, filters, search, page, page_size, nonce)
    frame = display_frame(rows, register.fields)
    grid_key = f"{key_base}.grid.{nonce}"
    if editable:
        st.caption(tr("customers.editor_help"))
    st.data_editor(
        frame,
        key=grid_key,
        hide_index=True,
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        column_config=column_config(register.fields, lang, editable),
        column_order=column_order(register, lead),
        placeholder="",  # an empty cell shows empty, not "None"
    )
    pages = max(1, math.ceil(total / page_size))
    left, middle, right = st.columns([1, 1, 3])
    left.number_input(tr("ui.page"), 1, pages, min(page, pages), key=page_key)
    middle.selectbox(
        tr("ui.page_size"),
        PAGE_SIZES,
        index=PAGE_SIZES.index(page_size),
        key=f"{key_base}.page_size",
    )
    right.caption(tr("ui.page_of", page=min(page, pages), pages=pages, total=total))
    if not editable:
        return
    save, discard, _ = st.columns([1, 1, 4])
    if discard.button(tr("ui.discard"), key=f"{key_base}.discard"):
        st.session_state[f"{key_base}.nonce"] = nonce + 1
        st.rerun()
    if save.button(tr("ui.save"), type="primary", key=f"{key_base}.save"):
        changes = editor_changes(register, frame, st.session_state.get(grid_key, {}))
        if save_edits(
            register, changes, offset=(page - 1) * page_size, page_rows=len(frame), lang=lang
        ):
            st.session_state[f"{key_base}.nonce"] = nonce + 1
            st.rerun()


def column_order(register: Register, lead: tuple[str, ...] = ()) -> list[str]:
    """The lead columns, then every other field in the register's order."""
    names = [f.name for f in register.fields]
    missing = set(lead) - set(names)
    if missing:
        raise KeyError(sorted(missing))
    return [*lead, *(n for n in names if n not in lead)]


GENERATION_KEY = "grid.generation"


def refresh_grids() -> None:
    """Make every register grid read its rows again on the next run (after an import or
    undo changed the data behind it)."""
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1


def _page_rows(
    key_base: str,
    register: Register,
    filters: dict[str, Any],
    search: str | None,
    page: int,
    page_size: int,
    nonce: int,
) -> tuple[list[dict], int]:
    """The rows the grid is editing, read once per view.

    The grid keeps its edits only while its data stays the same, so the rows are kept in
    session state until the view changes (page, filters, save, discard, import). A row
    someone else changed meanwhile keeps its old version here, and saving it becomes a
    conflict message instead of silently losing the user's edits.
    """
    view = (
        page,
        page_size,
        repr(sorted(filters.items())),
        search,
        nonce,
        st.session_state.get(GENERATION_KEY, 0),
    )
    cached = st.session_state.get(f"{key_base}.snapshot")
    if cached and cached[0] == view:
        return cached[1], cached[2]
    with db.read(get_engine()) as session:
        rows, total = list_rows(
            session,
            register.name,
            filters=filters,
            search=search,
            page=page,
            page_size=page_size,
            today=today(),
        )
    st.session_state[f"{key_base}.snapshot"] = (view, rows, total)
    return rows, total


def save_edits(
    register: Register, changes: Changes, *, offset: int, page_rows: int, lang: str
) -> bool:
    """Write the changes in one transaction; show problems or a conflict. True when saved."""
    if not changes:
        st.info(tr("ui.nothing_to_save"))
        return False
    result = write_all_or_nothing(
        lambda session: save_changes(
            session,
            register.name,
            inserts=changes.inserts,
            updates=changes.updates,
            deletes=changes.deletes,
            actor=current_user(),
            now=now(),
        ),
        lambda what: tr("ui.conflict", what=what),
    )
    if result is None:
        return False
    if result.problems:
        labels = {f.name: f.label(lang) for f in register.fields}
        show_problems(
            grid_rows(result.problems, changes, offset, page_rows),
            labels,
            lang,
            keys=problem_keys(result.problems, changes, register.key),
            key_label=register.field(register.key).label(lang),
            register=register,
        )
        return False
    st.toast(
        tr("ui.saved", inserted=result.inserted, updated=result.updated, deleted=result.deleted)
    )
    return True


def write_all_or_nothing(
    save: Callable[[Session], SaveResult], conflict: Callable[[str], str]
) -> SaveResult | None:
    """Run ``save`` in one transaction, rolled back when it reports problems (nothing
    half-written); None after showing ``conflict(what)`` for a stale row."""
    try:
        with db.write(get_engine()) as session:
            result = save(session)
            if result.problems:
                session.rollback()
    except ConflictError as exc:
        st.error(conflict(plain(exc.what)))
        return None
    return result


def display_frame(rows: list[dict], fields) -> pd.DataFrame:
    """Rows for ``st.data_editor``: ``id``/``version`` then the fields, dates as dates."""
    frame = pd.DataFrame(rows, columns=["id", "version", *(f.name for f in fields)])
    for f in fields:
        if f.kind is Kind.DATE:
            frame[f.name] = pd.to_datetime(frame[f.name]).dt.date
    return frame
