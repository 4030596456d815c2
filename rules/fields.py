"""Field specs: one description of each field drives the editor columns, import
header matching, export headers, templates and row validation.

Pure stdlib. Values are coerced from what a person or a spreadsheet gives
(`"2025年1月3日"`, `"1,234.50"`, `"是"`, an Excel serial) into typed Python values;
every problem is returned as data, never raised past :func:`validate_row`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property
from typing import Any

from rules.i18n import t


class Kind(StrEnum):
    TEXT = "text"
    LONGTEXT = "longtext"
    INT = "int"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    ENUM = "enum"
    REF = "ref"  # another register's natural key (customer code, serial no., …)


@dataclass(frozen=True)
class Option:
    value: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def options(pairs: Mapping[str, tuple[str, str]]) -> tuple[Option, ...]:
    """Options from ``{value: (zh, en)}``, in that order."""
    return tuple(Option(v, zh, en) for v, (zh, en) in pairs.items())


@dataclass(frozen=True)
class Field:
    name: str
    zh: str
    en: str
    kind: Kind = Kind.TEXT
    required: bool = False
    key: bool = False
    options: tuple[Option, ...] = ()
    aliases: tuple[str, ...] = ()
    max_len: int | None = None
    min_value: Decimal | int | None = None
    max_value: Decimal | int | None = None
    ref: str | None = None
    help_zh: str = ""
    help_en: str = ""
    example: Any = None
    # computed fields are shown and exported but never imported or edited
    computed: bool = False
    # the table column storing the field, where not its name (a REF: ``<name>_id``)
    column: str | None = None
    # a REF that also takes text matching no row: the column keeping the text as typed
    loose: str | None = None

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en

    def option(self, value: str | None) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def option_label(self, value: str | None, lang: str) -> str:
        opt = self.option(value)
        return opt.label(lang) if opt else (value or "")

    def headers(self) -> tuple[str, ...]:
        """Every header text this field answers to (labels, name, aliases)."""
        return (self.zh, self.en, self.name, *self.aliases)


@dataclass(frozen=True)
class Problem:
    """One problem in one cell: where (row, field), what (code + params)."""

    field: str | None
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    row: int | None = None
    value: Any = None
    sheet: str | None = None

    def message(self, lang: str, register: Register | None = None) -> str:
        """The problem in ``lang``; with its ``register``, the fields it names (and an
        option field's allowed values) are worded in ``lang`` too."""
        return t(self.code, lang, **worded(self, lang, register))


# params that name a field (its name; older data may give a label)
FIELD_PARAMS = ("field", "later", "earlier")


def worded(p: Problem, lang: str, register: Register | None) -> dict[str, Any]:
    """``p``'s params for a reader of ``lang``: field names as labels, allowed options
    as option labels. Rules and the data layer keep names and codes; this is the edge."""
    params = dict(p.params)
    if register is None:
        return params
    by_name = {n: f for f in register.fields for n in (f.name, f.zh, f.en)}
    for k in FIELD_PARAMS:
        f = by_name.get(params.get(k)) if isinstance(params.get(k), str) else None
        if f is not None:
            params[k] = f.label(lang)
    f = by_name.get(p.field or "")
    if p.code == "err.enum" and f is not None and f.options:
        params["allowed"] = " / ".join(o.label(lang) for o in f.options)
    return params


class ValueProblem(ValueError):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


Check = Callable[[dict[str, Any]], list[Problem]]


@dataclass(frozen=True)
class Register:
    """A document type: its fields, natural key and cross-field checks."""

    name: str
    zh: str
    en: str
    fields: tuple[Field, ...]
    key: str
    checks: tuple[Check, ...] = ()
    # a lines register: the REF field naming the parent document; the natural key is
    # then (parent, key), e.g. (ticket no., line no.). A plain field here makes a
    # two-column key (an SLA policy's priority and customer grade)
    parent: str | None = None
    # a ledger takes new rows only; a correction is a reversing row
    ledger: bool = False
    # rows others refer to for history (users) are deactivated, never deleted
    deletable: bool = True

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def field(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(name) from None

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        # pages look fields up per cell: a scan of the tuple each time added up
        by_name: dict[str, Field] = {}
        for f in self.fields:
            by_name.setdefault(f.name, f)
        return by_name

    @property
    def input_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.computed)


# ---------------------------------------------------------------- normalising text
_PUNCT = re.compile(r"[\s\*:：()（）\[\]【】<>《》,，.。;；/\\_\-—·'\"“”‘’!！?？#＃]+")


def normalize_label(text: Any) -> str:
    """Fold width, case, spaces and punctuation: `客户名称：` == `客户名称`."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    return _PUNCT.sub("", s)


def clean_text(raw: Any) -> str | None:
    """A cell as text, `None` when empty. Whole floats lose their `.0`."""
    if raw is None:
        return None
    if isinstance(raw, float):
        if raw != raw:  # NaN
            return None
        if raw.is_integer():
            return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.isoformat(sep=" ")
    s = str(raw).strip()
    return s or None


# ---------------------------------------------------------------- value parsers
_EXCEL_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EXCEL_EPOCH_1904 = dt.datetime(1904, 1, 1)
_TRUE = {"是", "y", "yes", "true", "1", "t", "√", "✓", "对", "有"}
_FALSE = {"否", "n", "no", "false", "0", "f", "×", "✗", "x", "无", "不是"}
_ISO = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]*(\d{1,2})[:：时点](\d{1,2})分?(?:[:：](\d{1,2})秒?)?)?$"
)
_DMY = re.compile(
    r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$"
)
_NUM_JUNK = re.compile(r"[,\s¥￥$€元]")


def excel_serial_to_datetime(serial: float, date1904: bool = False) -> dt.datetime:
    epoch = _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH_1900
    if serial < 0 or serial > 2958465:
        raise ValueProblem("err.date", value=serial)
    return epoch + dt.timedelta(days=float(serial))


def parse_datetime(raw: Any, date1904: bool = False) -> dt.datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        return raw.replace(microsecond=0, tzinfo=None)
    if isinstance(raw, dt.date):
        return dt.datetime(raw.year, raw.month, raw.day)
    if isinstance(raw, bool):
        raise ValueProblem("err.date", value=raw)
    if isinstance(raw, int | float):
        return excel_serial_to_datetime(raw, date1904).replace(microsecond=0)
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    if not s:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return excel_serial_to_datetime(float(s), date1904).replace(microsecond=0)
    m = _ISO.match(s)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        hh, mm, ss = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        return _make(s, y, mo, d, hh, mm, ss)
    m = _DMY.match(s)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        hh, mm, ss = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
        if a <= 12 and b <= 12 and a != b:
            raise ValueProblem("err.date_ambiguous", value=s)
        day, month = (a, b) if a > 12 else (b, a)
        return _make(s, y, month, day, hh, mm, ss)
    raise ValueProblem("err.date", value=s)


def _make(s: str, y: int, mo: int, d: int, hh: int, mm: int, ss: int) -> dt.datetime:
    try:
        return dt.datetime(y, mo, d, hh, mm, ss)
    except ValueError:
        raise ValueProblem("err.date", value=s) from None


def parse_date(raw: Any, date1904: bool = False) -> dt.date | None:
    value = parse_datetime(raw, date1904)
    return value.date() if value else None


def parse_decimal(raw: Any) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValueProblem("err.number", value=raw)
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw:
            return None
        return Decimal(repr(raw))
    s = _NUM_JUNK.sub("", unicodedata.normalize("NFKC", str(raw)))
    if not s:
        return None
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueProblem("err.number", value=raw) from None
    if not value.is_finite():
        raise ValueProblem("err.number", value=raw)
    return value


def parse_int(raw: Any) -> int | None:
    value = parse_decimal(raw)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise ValueProblem("err.integer", value=raw)
    return int(value)


def parse_bool(raw: Any) -> bool | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    s = normalize_label(raw)
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueProblem("err.bool", value=raw)


def parse_enum(f: Field, raw: Any) -> str | None:
    s = clean_text(raw)
    if s is None:
        return None
    wanted = normalize_label(s)
    for opt in f.options:
        if wanted in {normalize_label(x) for x in (opt.value, opt.zh, opt.en, *opt.aliases)}:
            return opt.value
    # a label typed without its leading code ("重点客户" for "A 重点客户"), if only one reads so
    found = {opt.value for opt in f.options if wanted in _labels_without_code(opt)}
    if len(found) == 1:
        return found.pop()
    allowed = " / ".join(o.zh for o in f.options)  # the default; worded at the edge
    raise ValueProblem("err.enum", value=s, allowed=allowed)


def _labels_without_code(opt: Option) -> set[str]:
    """The option's labels minus a leading word that is its value: "A 重点客户" → 重点客户."""
    out = set()
    for label in (opt.zh, opt.en):
        code, _, rest = label.strip().partition(" ")
        if rest.strip() and normalize_label(code) == normalize_label(opt.value):
            out.add(normalize_label(rest))
    return out


def parse_value(f: Field, raw: Any, date1904: bool = False) -> Any:
    """Coerce one raw cell to the field's type; raise :class:`ValueProblem`."""
    if isinstance(raw, str):
        raw = raw.strip()
    match f.kind:
        case Kind.TEXT | Kind.LONGTEXT | Kind.REF:
            value = clean_text(raw)
            if value is not None and f.max_len and len(value) > f.max_len:
                raise ValueProblem("err.too_long", max=f.max_len)
            return value
        case Kind.INT:
            value = parse_int(raw)
        case Kind.DECIMAL | Kind.MONEY:
            value = parse_decimal(raw)
            if value is not None and f.kind is Kind.MONEY:
                value = value.quantize(Decimal("0.01"))
        case Kind.DATE:
            return parse_date(raw, date1904)
        case Kind.DATETIME:
            return parse_datetime(raw, date1904)
        case Kind.BOOL:
            return parse_bool(raw)
        case Kind.ENUM:
            return parse_enum(f, raw)
        case _:  # pragma: no cover - the enum is closed
            raise AssertionError(f.kind)
    if value is not None:
        if f.min_value is not None and value < f.min_value:
            raise ValueProblem("err.min", min=f.min_value)
        if f.max_value is not None and value > f.max_value:
            raise ValueProblem("err.max", max=f.max_value)
    return value


def validate_row(
    register: Register,
    raw: Mapping[str, Any],
    *,
    row: int | None = None,
    sheet: str | None = None,
    date1904: bool = False,
    partial: bool = False,
) -> tuple[dict[str, Any], list[Problem]]:
    """Coerce and check one row. Returns the clean values and every problem.

    ``raw`` maps field names to cell values; fields absent from ``raw`` are left out
    of the result (and, with ``partial``, not reported as missing).
    """
    clean: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in register.input_fields:
        if f.name not in raw:
            if f.required and not partial:
                problems.append(Problem(f.name, "err.required", {}, row, None, sheet))
            continue
        value = raw[f.name]
        try:
            clean[f.name] = parse_value(f, value, date1904)
        except ValueProblem as exc:
            problems.append(Problem(f.name, exc.code, exc.params, row, value, sheet))
            continue
        if f.required and clean[f.name] is None:
            problems.append(Problem(f.name, "err.required", {}, row, value, sheet))
    if not problems:
        for check in register.checks:
            problems.extend(
                Problem(p.field, p.code, p.params, row, raw.get(p.field or ""), sheet)
                for p in check(clean)
            )
    return clean, problems


def options_for(fields: Iterable[Field], lang: str) -> dict[str, list[str]]:
    """Option labels per enum field, for dropdowns and data validation."""
    return {f.name: [o.label(lang) for o in f.options] for f in fields if f.kind is Kind.ENUM}
