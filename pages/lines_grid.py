"""A document's lines in one grid: the lines register's fields drive the columns, and
Save sends the lines as a whole through the register's write path
(:func:`data_access.lines.save_lines`): the same validation and the same write as
any register grid or import. Used for a service report's parts; the maintenance,
complaint, training, fee and stock-take documents use it the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from data_access import db
from data_access.catalog import adapter
from data_access.lines import list_lines, save_lines
from pages.common import column_config, current_user, get_engine, now, show_problems, tr
from pages.register_grid import blank_to_none, display_frame, write_all_or_nothing
from rules.fields import Register


def _key_base(prefix: str, register: str, parent_key: str) -> str:
    return f"{prefix}.{register}.{parent_key}"


def reload_lines(prefix: str, register: str, parent_key: str) -> None:
    """Have the grid of ``parent_key`` read its lines again on the next run (a line was
    written beside it)."""
    key = f"{_key_base(prefix, register, parent_key)}.nonce"
    st.session_state[key] = st.session_state.get(key, 0) + 1


def lines_grid(
    prefix: str,
    register: str,
    parent_key: str,
    *,
    lang: str,
    editable: bool,
    save: Callable[..., Any] | None = None,
) -> None:
    """The lines of document ``parent_key`` with Add/remove rows and Save when editable.

    ``save``: a domain command shaped like :func:`save_lines` that checks more first
    (a fee document's settled lines are never deleted)."""
    spec = adapter(register).register
    key_base = _key_base(prefix, register, parent_key)
    nonce = st.session_state.get(f"{key_base}.nonce", 0)
    fields = tuple(f for f in spec.fields if f.name != spec.parent)
    frame = _frame(key_base, register, parent_key, fields, nonce)
    grid_key = f"{key_base}.grid.{nonce}"
    st.data_editor(
        frame,
        key=grid_key,
        hide_index=True,
        num_rows="dynamic" if editable else "fixed",
        disabled=not editable,
        column_config=column_config(fields, lang, editable),
        column_order=[f.name for f in fields],
        placeholder="",
    )
    if not editable:
        return
    if st.button(tr("lines.save"), key=f"{key_base}.save"):
        rows = wanted_lines(spec, frame, st.session_state.get(grid_key, {}))
        if _save(spec, parent_key, rows, lang, save or save_lines):
            st.session_state[f"{key_base}.nonce"] = nonce + 1
            st.rerun()


def wanted_lines(spec: Register, frame: pd.DataFrame, state: dict) -> list[dict[str, Any]]:
    """The lines as the user left them: stored rows with their edits (``id`` and
    ``version`` kept), removed rows gone, added rows (blank ones ignored) after them."""
    names = [f.name for f in spec.input_fields if f.name != spec.parent]
    removed = {int(i) for i in state.get("deleted_rows", [])}
    edited = state.get("edited_rows", {})
    out = []
    for i, record in enumerate(frame.to_dict("records")):
        if i in removed:
            continue
        row = {n: blank_to_none(record.get(n)) for n in names}
        row.update({k: blank_to_none(v) for k, v in edited.get(i, edited.get(str(i), {})).items()})
        out.append({"id": int(record["id"]), "version": int(record["version"]), **row})
    for added in state.get("added_rows", []):
        row = {n: blank_to_none(added.get(n)) for n in names}
        if any(v is not None for v in row.values()):
            out.append(row)
    return out


def _frame(key_base: str, register: str, parent_key: str, fields, nonce: int) -> pd.DataFrame:
    """The stored lines, read once per view (the editor keeps edits while its data stays)."""
    view = (parent_key, nonce, st.session_state.get("grid.generation", 0))
    cached = st.session_state.get(f"{key_base}.snapshot")
    if not cached or cached[0] != view:
        with db.read(get_engine()) as session:
            rows = list_lines(session, register, parent_key)
        cached = (view, rows)
        st.session_state[f"{key_base}.snapshot"] = cached
    return display_frame(cached[1], fields)


def _save(
    spec: Register, parent_key: str, rows: list[dict[str, Any]], lang: str, save: Callable
) -> bool:
    result = write_all_or_nothing(
        lambda session: save(session, spec.name, parent_key, rows, actor=current_user(), now=now()),
        lambda what: tr("lines.conflict", value=what),
    )
    if result is None:
        return False
    if result.problems:
        labels = {f.name: f.label(lang) for f in spec.fields}
        shown = [dataclasses.replace(p, row=(p.row or 0) + 1) for p in result.problems]
        show_problems(shown, labels, lang, register=spec)
        return False
    if not (result.inserted or result.updated or result.deleted):
        st.info(tr("lines.nothing"))
        return False
    st.toast(
        tr("lines.saved", inserted=result.inserted, updated=result.updated, deleted=result.deleted)
    )
    return True
