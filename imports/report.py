"""What an import found, for the reader: problems by sheet, row and column, the
rejected rows, the counts; worded in the reader's language only when shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from data_access.registers import (
    ADAPTERS,
)
from imports.reader import col_letters
from rules.fields import (
    Problem,
    Register,
    worded,
)
from rules.i18n import t


@dataclass(frozen=True)
class ImportProblem:
    """One problem as the user sees it: sheet, Excel row, their column header, value."""

    sheet: str | None
    row: int | None
    column: str | None
    value: Any
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    # which register's field specs label ``field`` and field-naming params at the edge
    register: str | None = None

    def message(self, lang: str) -> str:
        return t(
            self.code, lang, **labelled(self.register, self.field, self.code, self.params, lang)
        )

    def column_label(self, lang: str) -> str | None:
        """The user's own header text, or the field's label when it had no column."""
        if self.column:
            return self.column
        return field_label(self.register, self.field, lang) if self.field else None

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column_label(lang),
            "value": _jsonable(self.value),
            "message": self.message(lang),
            "code": self.code,
            "field": self.field,
        }


@dataclass
class RejectedRow:
    row: int
    cells: list[Any]
    problems: list[ImportProblem]


@dataclass
class Header:
    """The header row found in a sheet and how its columns map to fields."""

    row: int  # Excel row number (1-based)
    texts: list[str]  # the user's header text per column position
    mapping: dict[int, str]  # column position → field name (input fields only)
    unknown: list[str]
    missing: list[str]  # required fields without a column (names)
    # field name → every column position mapped to it; the first one is imported
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    first_col: int = 0  # the sheet's first column (0 = A): positions → Excel letters

    def column_of(self, field_name: str) -> str | None:
        for i, name in self.mapping.items():
            if name == field_name:
                return self.texts[i]
        return None

    def letter(self, i: int) -> str:
        return col_letters(self.first_col + i + 1)

    def duplicate_problems(self, sheet: str, register: str) -> list[ImportProblem]:
        """One warning per field that several columns map to: the first is imported."""
        out = []
        for name, positions in self.duplicates.items():
            used, *ignored = (f"{self.letter(i)} ({self.texts[i]})" for i in positions)
            params = {"field": name, "sheet": sheet, "used": used, "ignored": ", ".join(ignored)}
            column = self.texts[positions[0]]
            out.append(
                ImportProblem(
                    sheet,
                    self.row,
                    column,
                    None,
                    "imports.duplicate_column",
                    params,
                    name,
                    register,
                )
            )
        return out


@dataclass
class ImportReport:
    register: str
    file_name: str
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    sha256: str = ""
    header: Header | None = None
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    # told to the user but not blocking (several columns for one field)
    warnings: list[ImportProblem] = field(default_factory=list)
    dry_run: bool = False
    skip_bad_rows: bool = False
    committed: bool = False
    batch_id: int | None = None
    # rows left as the template's example row: skipped, never imported
    example_rows: list[int] = field(default_factory=list)
    # a totals row (合计 / Total …) below the last data row: skipped, never imported
    totals_rows: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self, lang: str) -> str:
        return t(
            "imports.report",
            lang,
            inserted=self.inserted,
            updated=self.updated,
            unchanged=self.unchanged,
            rejected=self.rejected,
        )

    def as_dict(self, lang: str) -> dict[str, Any]:
        h = self.header
        return {
            "register": self.register,
            "file": self.file_name,
            "sheet": self.sheet,
            "sha256": self.sha256,
            "header_row": h.row if h else None,
            "mapping": {h.texts[i]: n for i, n in h.mapping.items()} if h else {},
            "unknown_columns": h.unknown if h else [],
            "missing_columns": h.missing if h else [],
            "rows": self.total,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "dry_run": self.dry_run,
            "skip_bad_rows": self.skip_bad_rows,
            "committed": self.committed,
            "batch_id": self.batch_id,
            "example_rows": self.example_rows,
            "totals_rows": self.totals_rows,
            "problems": [p.as_dict(lang) for p in self.problems],
            "warnings": [p.as_dict(lang) for p in self.warnings],
            "sample": [{k: _jsonable(v) for k, v in r.items()} for r in self.sample],
        }


def _register_of(register: str | None) -> Register | None:
    ad = ADAPTERS.get(register or "")
    return ad.register if ad else None


def field_label(register: str | None, name: str, lang: str) -> str:
    """``name`` (a field name or label) as the field's label in ``lang``."""
    reg = _register_of(register)
    for f in reg.fields if reg else ():
        if name in (f.name, f.zh, f.en):
            return f.label(lang)
    return name


def register_label(register: str, lang: str) -> str:
    reg = _register_of(register)
    return reg.label(lang) if reg else register


def labelled(
    register: str | None, name: str | None, code: str, params: dict[str, Any], lang: str
) -> dict[str, Any]:
    """A problem's params with field names (and option lists) in the reader's language."""
    return worded(Problem(name, code, params), lang, _register_of(register))


def conflict_what(what: str, lang: str) -> str:
    """A :class:`ConflictError`'s subject: a register name labelled, other text as given."""
    return register_label(what, lang)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
