"""Which sheet rows are data: blank rows, the template's example row and a person's
totals row under the data are recognised and left out. Pure: no database."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from imports.report import ImportProblem
from rules.fields import Register, ValueProblem, normalize_label, parse_value


class Row:
    """One sheet row on its way: Excel row number, raw cells, clean values, problems."""

    __slots__ = ("cells", "clean", "problems", "row")

    def __init__(self, row: int, cells: list[Any], clean: dict[str, Any], problems: list):
        self.row = row
        self.cells = cells
        self.clean = clean
        self.problems: list[ImportProblem] = problems


def is_blank(cells: list[Any], positions) -> bool:
    """No mapped cell holds anything but spaces."""
    n = len(cells)
    for i in positions:
        if i < n:
            v = cells[i]
            if v is not None and v != "" and not (v.__class__ is str and not v.strip()):
                return False
    return True


def example_values(reg: Register, mapped: dict[str, int]) -> dict[str, Any]:
    """The template's example row as clean values of the mapped fields (empty when the
    key column has no example: nothing to recognise it by)."""
    key = reg.field(reg.key)
    if key.example is None or reg.key not in mapped:
        return {}
    out: dict[str, Any] = {}
    for f in reg.input_fields:
        if f.example is None or f.name not in mapped:
            continue
        try:
            out[f.name] = parse_value(f, f.example)
        except ValueProblem:
            continue
    return out


TOTAL_WORDS = frozenset(
    {"合计", "总计", "小计", "total", "totals", "grandtotal", "subtotal", "sum"}
)
# cheap first look before normalising: first characters of the words, any case and width
_TOTAL_FIRST = frozenset(
    ch for w in TOTAL_WORDS for c in (w[0], w[0].upper()) for ch in (c, chr(ord(c) + 0xFEE0))
)
# a count or amount, maybe with a currency sign or a short unit: "4 台", "¥1,200.00"
_AMOUNT = re.compile(r"^[¥￥$€]?\s*[-+]?[\d,]*\.?\d+\s*[^\d\s]{0,3}$")


def is_totals(cells: list[Any]) -> bool:
    """A row whose first filled cell is 合计 / 总计 / 小计 / Total(s) / Sum and whose
    other cells are mostly empty or amounts (a person's totals under the data)."""
    for i, c in enumerate(cells):  # runs on every row: the first filled cell decides fast
        if c is None:
            continue
        if c.__class__ is not str:
            return False
        first = c.strip()
        if not first:
            continue
        if first[0] not in _TOTAL_FIRST or normalize_label(first) not in TOTAL_WORDS:
            return False
        rest = cells[i + 1 :]
        wordy = sum(1 for v in rest if _filled(v) and not _amount(v))
        return 2 * wordy < max(len(cells) - 1, 1)
    return False


def _filled(value: Any) -> bool:
    return value is not None and (value.__class__ is not str or bool(value.strip()))


def _amount(value: Any) -> bool:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return True
    return isinstance(value, str) and bool(_AMOUNT.match(unicodedata.normalize("NFKC", value)))


def is_example(clean: dict[str, Any], example: dict[str, Any]) -> bool:
    return all(clean.get(name) == value for name, value in example.items())
