"""The Excel panel every register page embeds: import (with preview), export, template.

UI only: reading, validation and writing live in ``imports/`` and
``data_access/registers.py``. Nothing holding customer data is cached across users;
the upload and the last report live in this session's state only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from data_access import db
from data_access.audit import record_export
from data_access.registers import ConflictError, adapter
from data_access.users import CurrentUser
from imports.engine import (
    HEADER_SCAN_ROWS,
    ImportReport,
    UndoError,
    conflict_what,
    import_file,
    last_batch,
    list_sheets,
    read_header,
    undo_last_import,
)
from imports.reader import ReadError, max_upload_mb
from imports.writer import export_register, rejected_bytes, template_bytes
from pages.common import now, plain, today
from pages.register_grid import refresh_grids
from rules.access import can_import
from rules.fields import Field, Kind
from rules.i18n import t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(
    register: str,
    engine: Engine,
    user: CurrentUser,
    selection: Selection | None,
    lang: str,
    file_name: str,
) -> bytes:
    """The register (or the page's selection) as .xlsx; the audit log records who
    exported what: register, row count, filter."""
    chosen: dict[str, Any] = {}
    if selection and isinstance(selection.filter, GridFilter):
        chosen = {"filters": selection.filter.filters, "search": selection.filter.search}
    elif selection:
        chosen = {"selection": selection.filter, "now": selection.now}
    out = io.BytesIO()
    with db.read(engine) as session:
        rows = export_register(session, register, out, lang=lang, today=today(), **chosen)
    with db.write(engine) as session:  # a short write of its own: no lock held while building
        record_export(
            session,
            register=register,
            rows=rows,
            selection=selection.filter if selection else None,
            user_id=user.id,
            now=now(),
            file_name=file_name,
        )
    return out.getvalue()


def _read_error(exc: ReadError, lang: str) -> str:
    params = {k: plain(v) if isinstance(v, str) else v for k, v in exc.params.items()}
    return t(exc.code, lang, **params)


@dataclass(frozen=True)
class Selection:
    """A page's filter for the export (a plain dataclass the register's adapter turns
    into conditions) and the moment the list was read at."""

    filter: Any
    now: dt.datetime

    @property
    def signature(self) -> str:  # changes when the filter does
        return repr(self.filter)


@dataclass(frozen=True)
class GridFilter:
    """A grid's filter bar (field values and search text): the export holds the rows
    the grid shows, through the same conditions the grid's list uses."""

    filters: dict[str, Any]
    search: str | None


def grid_selection(filters: dict[str, Any], search: str | None) -> Selection | None:
    """The export selection of a filter bar; None while nothing is filtered (the whole
    register is exported)."""
    if not filters and not search:
        return None
    return Selection(GridFilter(dict(filters), search), now())


@st.cache_data(max_entries=64, show_spinner=False)
def _template(register: str, lang: str) -> bytes:
    """A blank template (no data in it): made once per register and language."""
    return template_bytes(register, lang=lang)


def render(
    register: str,
    engine: Engine,
    user: CurrentUser,
    lang: str,
    *,
    selection: Selection | None = None,
) -> None:
    """Upload → sheet → mapping → preview → import; export, template, undo.

    ``selection``: the page's current filter; the export then holds just those rows.
    """
    k = f"{register}.excel."
    col_export, col_template = st.columns(2)
    label = "imports.panel.export_selection" if selection else "imports.panel.export"
    signature = selection.signature if selection else ""
    file_name = f"{register}-{today():%Y%m%d}.xlsx"
    if col_export.button(t(label, lang), key=k + "export_build"):
        data = _export(register, engine, user, selection, lang, file_name)
        st.session_state[k + "export"] = (signature, data)
    built = st.session_state.get(k + "export")
    if built and built[0] == signature:  # an export made for another filter is not offered
        col_export.download_button(
            t("ui.download", lang),
            built[1],
            file_name=file_name,
            mime=XLSX,
            key=k + "export_download",
        )
    col_template.download_button(
        t("imports.panel.template", lang),
        _template(register, lang),
        file_name=f"{register}-template.xlsx",
        mime=XLSX,
        key=k + "template",
    )
    if not can_import(user.role, register):
        st.caption(t("imports.panel.no_import_right", lang))
        return
    _import_section(register, engine, user, lang, k)
    _undo_section(register, engine, user, lang, k)


def _import_section(register: str, engine: Engine, user: CurrentUser, lang: str, k: str) -> None:
    limit = max_upload_mb()
    upload = st.file_uploader(
        t("imports.panel.upload", lang),
        type=["xlsx", "xlsm", "xls", "csv"],
        help=t("imports.panel.limit", lang, limit=limit),
        key=k + "upload",
    )
    if upload is None:
        return
    if upload.size > limit * 1024 * 1024:
        st.error(t("imports.err.too_large", lang, size=round(upload.size / 2**20, 1), limit=limit))
        return
    data = upload.getvalue()
    try:
        sheets = _once(k, data, ("sheets",), lambda: list_sheets(data, upload.name))
        sheet = st.selectbox(t("imports.panel.sheet", lang), sheets, key=k + "sheet")
        mapping = _mapping_editor(register, engine, data, upload, sheet, lang, k)
        # a report is shown only for the file, sheet and mapping it was made from
        inputs = (upload.file_id, sheet, tuple(sorted(mapping.items())))
        skip = st.checkbox(t("imports.panel.skip_bad", lang), key=k + "skip")
        if st.button(t("imports.panel.preview", lang), key=k + "preview"):
            report = _run(engine, register, data, upload.name, sheet, mapping, skip, False, user)
            st.session_state[k + "report"] = (inputs, report)
        shown = _report_for(k, inputs)
        blocked = shown is not None and bool(shown.problems) and not skip
        if st.button(
            t("imports.panel.commit", lang), type="primary", disabled=blocked, key=k + "commit"
        ):
            report = _run(engine, register, data, upload.name, sheet, mapping, skip, True, user)
            st.session_state[k + "report"] = (inputs, report)
            if report.committed:
                refresh_grids()
                st.rerun()  # redraw the register grid above with the imported rows
    except ReadError as exc:
        st.error(_read_error(exc, lang))
        return
    except ConflictError as exc:  # a row changed under the import: all of it rolled back
        st.error(t("ui.conflict", lang, what=plain(conflict_what(exc.what, lang))))
        return
    report = _report_for(k, inputs)
    if report is not None:
        _show_report(report, lang, k)


def _report_for(k: str, inputs: tuple) -> ImportReport | None:
    stored = st.session_state.get(k + "report")
    return stored[1] if stored is not None and stored[0] == inputs else None


def _once(k: str, data: bytes, what: tuple, read: Callable[[], Any]) -> Any:
    """``read()`` once per upload (keyed by its sha256), not on every rerun; a refusal is
    kept too, so a hostile file is parsed once. In this session's state only."""
    digest = hashlib.sha256(data).hexdigest()
    store = st.session_state.get(k + "parsed")
    if store is None or store[0] != digest:
        store = st.session_state[k + "parsed"] = (digest, {})
    if what not in store[1]:
        try:
            store[1][what] = read()
        except ReadError as exc:
            store[1][what] = exc
    if isinstance(store[1][what], ReadError):
        raise store[1][what]
    return store[1][what]


def _mapping_editor(register, engine, data, upload, sheet, lang, k) -> dict[str, str | None]:
    def read() -> Any:
        with db.read(engine) as session:
            return read_header(session, register, data, file_name=upload.name, sheet=sheet)

    header = _once(k, data, ("header", sheet), read)
    if header is None:
        st.warning(t("imports.no_header", lang, rows=HEADER_SCAN_ROWS))
        return {}
    fields = adapter(register).register.input_fields
    ignore = t("imports.panel.ignore", lang)
    choices = [ignore, *(f.label(lang) for f in fields)]
    by_label = {f.label(lang): f.name for f in fields}
    label_of = {f.name: f.label(lang) for f in fields}
    mapping: dict[str, str | None] = {}
    picks: dict[int, str | None] = {}
    with st.expander(
        t("imports.panel.mapping", lang), expanded=bool(header.unknown or header.duplicates)
    ):
        st.caption(t("imports.panel.mapping_help", lang))
        for i, text in enumerate(header.texts):
            if not text:
                continue
            current = label_of.get(header.mapping.get(i, ""), ignore)
            # keyed by upload: another file's choices must not carry over by position
            picked = st.selectbox(
                plain(text),
                choices,
                index=choices.index(current),
                key=f"{k}map.{upload.file_id}.{sheet}.{i}",
            )
            picks[i] = mapping[text] = by_label.get(picked)
        _duplicate_warnings(header, picks, sheet, register, lang)
    return mapping


def _duplicate_warnings(header, picks: dict[int, str | None], sheet, register, lang) -> None:
    """Several columns for one field, while the picks still import the first and ignore
    the rest (once the person picks otherwise, the report says what happens)."""
    for w in header.duplicate_problems(sheet, register):
        first, *others = header.duplicates[w.field]
        if picks.get(first) == w.field and not any(picks.get(i) for i in others):
            st.warning(plain(w.message(lang)))


def _run(engine, register, data, name, sheet, mapping, skip, commit, user) -> ImportReport:
    bar = st.progress(0.0)

    def progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / total) if total else 1.0)

    with db.write(engine) as session:
        report = import_file(
            session,
            register,
            data,
            file_name=name,
            sheet=sheet,
            mapping=mapping,
            dry_run=not commit,
            skip_bad_rows=skip,
            actor=user,
            now=now(),
            on_progress=progress,
        )
    bar.empty()
    return report


def _shown(f: Field, value: Any, lang: str) -> str:
    """A sample cell as text, so a column holds one type whatever the rows hold (blanks
    beside dates would make Arrow refuse the column): option labels, yes/no, ISO dates,
    blank for nothing."""
    if value is None:
        return ""
    if f.kind is Kind.ENUM:
        return f.option_label(value, lang)
    if f.kind is Kind.BOOL:
        return t("ui.yes" if value else "ui.no", lang)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _show_report(report: ImportReport, lang: str, k: str) -> None:
    summary = report.summary(lang)
    if report.committed:
        st.success(t("imports.done", lang, summary=summary))
    elif report.dry_run:
        st.info(f"{t('imports.panel.preview', lang)}: {summary}")
    else:
        st.error(t("imports.not_written", lang, summary=summary))
    for w in report.warnings:
        st.warning(plain(w.message(lang)))
    if report.example_rows:
        rows = ", ".join(str(r) for r in report.example_rows[:10])
        st.info(t("imports.example_skipped", lang, rows=rows))
    if report.totals_rows:
        rows = ", ".join(str(r) for r in report.totals_rows[:10])
        st.info(t("imports.totals_skipped", lang, rows=rows))
    if report.header and report.header.unknown:
        st.caption(t("imports.unknown_column", lang, value=plain("、".join(report.header.unknown))))
    if report.sample:
        st.caption(t("imports.panel.sample", lang))
        fields = adapter(report.register).fields_by_name
        st.dataframe(
            [
                {
                    t("ui.row", lang): r["_row"],
                    t("imports.action", lang): t(f"imports.action.{r['_action']}", lang),
                    **{
                        fields[k2].label(lang): _shown(fields[k2], v, lang)
                        for k2, v in r.items()
                        if not k2.startswith("_")
                    },
                }
                for r in report.sample
            ],
            hide_index=True,
        )
    if report.problems:
        st.caption(t("imports.panel.problems", lang))
        st.dataframe(
            [
                {
                    t("ui.sheet", lang): p.sheet or "",
                    t("ui.row", lang): p.row,
                    t("ui.column", lang): p.column_label(lang) or "",
                    t("ui.value", lang): "" if p.value is None else str(p.value),
                    t("ui.message", lang): p.message(lang),
                }
                for p in report.problems
            ],
            hide_index=True,
        )
    if report.rejected_rows:
        st.download_button(
            t("imports.panel.rejected", lang),
            rejected_bytes(report, lang=lang),
            file_name=f"rejected-{report.file_name.rsplit('.', 1)[0]}.xlsx",
            mime=XLSX,
            key=k + "rejected",
        )


def _undo_section(register: str, engine: Engine, user: CurrentUser, lang: str, k: str) -> None:
    if done := st.session_state.pop(k + "undone", None):
        st.success(done)
    with db.read(engine) as session:
        batch = last_batch(session, register)
    if batch is None:
        return
    label = f"{t('imports.panel.undo', lang)}: {plain(batch['file_name'])} ({batch['created_at']:%Y-%m-%d %H:%M})"
    if not st.button(label, key=k + "undo"):
        return
    try:
        with db.write(engine) as session:
            result = undo_last_import(session, register, user, now=now())
    except UndoError as exc:
        st.error(exc.message(lang))
        return
    except ConflictError as exc:
        st.error(t("ui.conflict", lang, what=plain(conflict_what(exc.what, lang))))
        return
    st.session_state.pop(k + "report", None)
    st.session_state[k + "undone"] = t(
        "imports.undone",
        lang,
        file=plain(result.file_name),
        deleted=result.deleted,
        restored=result.restored,
    )
    refresh_grids()
    st.rerun()  # redraw the register grid above without the undone rows
