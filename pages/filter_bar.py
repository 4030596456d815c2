"""A register's filter bar, built from its field specs: an option field is a
multi-choice in the page's language, a yes/no field a three-way choice, any other
field a text box (the value, or a referenced row's code or name); a search box last.

Returns ``(filters, search)`` for :func:`data_access.registers.list_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from pages.common import in_lang, tr
from rules.fields import Field, Kind, Register


def filter_bar(
    prefix: str, register: Register, fields: Sequence[str], lang: str, *, search: bool = True
) -> tuple[dict[str, Any], str | None]:
    base = f"{prefix}.{register.name}"
    columns = st.columns([1] * len(fields) + ([2] if search else []))
    filters: dict[str, Any] = {}
    for column, name in zip(columns, fields, strict=False):
        f = register.field(name)
        value = _widget(column, f, f"{base}.{name}", lang)
        if value not in (None, "", []):
            filters[name] = value
    text = columns[-1].text_input(tr("ui.search"), key=f"{base}.search") if search else ""
    return filters, (text or "").strip() or None


def _widget(column, f: Field, key: str, lang: str) -> Any:
    label = f.label(lang)
    if f.kind is Kind.ENUM:
        return column.multiselect(
            label,
            [o.value for o in f.options],
            format_func=lambda v: f.option_label(v, lang),
            placeholder=tr("ui.choose"),
            key=in_lang(key, lang),
        )
    if f.kind is Kind.BOOL:
        choice = column.selectbox(
            label,
            (None, True, False),
            format_func=lambda v: tr("ui.any") if v is None else tr("ui.yes" if v else "ui.no"),
            key=in_lang(key, lang),
        )
        return choice
    return (column.text_input(label, key=key) or "").strip()
