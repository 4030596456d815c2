"""SLA settings checks: whole tables (policies, escalation ladder, weekly hours, pasted
holidays) validated at once, every problem returned as data with the row the user sees.

Pure: no session, no Streamlit. ``data_access.sla_settings`` runs these before it writes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rules import sla
from rules.customers import GRADE_OPTIONS, Grade
from rules.fields import (
    Field,
    Kind,
    Option,
    Problem,
    Register,
    ValueProblem,
    parse_date,
    parse_decimal,
    parse_int,
)
from rules.tickets import PRIORITY_OPTIONS, Priority

ALL_GRADES = "*"
GRADES = (ALL_GRADES, *(g.value for g in Grade))
POLICY_COLUMNS = (
    "priority",
    "customer_grade",
    "respond_hours",
    "resolve_hours",
    "onsite_hours",
    "round_the_clock",
)
MAX_HOURS = Decimal("99999")  # the columns are Numeric(8, 2)
DAY_KINDS = ("holiday", "workday")
NAME_MAX = 100


# ---------------------------------------------------------------- policies
def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _hours(
    row: dict[str, Any], name: str, n: int, problems: list[Problem], *, required: bool
) -> Decimal | None:
    """A positive number of hours from ``row[name]``; a problem (with row ``n``) otherwise."""
    raw = row.get(name)
    if blank(raw):
        if required:
            problems.append(Problem(name, "err.required", row=n))
        return None
    try:
        value = parse_decimal(raw)
    except ValueProblem as exc:
        problems.append(Problem(name, exc.code, exc.params, row=n, value=raw))
        return None
    if value is None or value <= 0:
        problems.append(Problem(name, "sla.err.positive", row=n, value=raw))
        return None
    if value > MAX_HOURS:
        problems.append(Problem(name, "err.max", {"max": str(MAX_HOURS)}, row=n, value=raw))
        return None
    return value


def _flag(value: Any) -> bool:
    """A checkbox cell: blank (a new row) is False."""
    return False if blank(value) else bool(value)


def _respond_after_resolve(row: dict[str, Any], n: int) -> Problem:
    """Blame the limit the user changed (``row["changed"]``: the edited columns), with
    its value; the respond limit when both or neither changed."""
    changed = row.get("changed") or ()
    name = (
        "resolve_hours"
        if "resolve_hours" in changed and "respond_hours" not in changed
        else "respond_hours"
    )
    return Problem(name, "sla.err.respond_after_resolve", row=n, value=row.get(name))


def check_policies(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Validate a whole policy table; ``rows[i]["row"]`` is the number the user sees,
    ``rows[i]["changed"]`` (optional) the columns the user edited in it.

    Returns the cleaned rows (priority, customer_grade, hours as Decimal) and every
    problem: missing or unknown priority / grade, hours not > 0, respond after resolve,
    a duplicate priority + grade, a priority left without its all-grades row.
    """
    problems: list[Problem] = []
    clean: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows):
        n = row.get("row", i + 1)
        priority = None if blank(row.get("priority")) else str(row["priority"]).strip()
        grade = ALL_GRADES if blank(row.get("customer_grade")) else str(row["customer_grade"])
        if priority is None:
            problems.append(Problem("priority", "err.required", row=n))
        elif priority not in set(Priority):
            allowed = " / ".join(Priority)
            problems.append(
                Problem("priority", "err.enum", {"value": priority, "allowed": allowed}, row=n)
            )
            priority = None
        if grade not in GRADES:
            allowed = " / ".join(GRADES)
            problems.append(
                Problem("customer_grade", "err.enum", {"value": grade, "allowed": allowed}, row=n)
            )
            grade = None
        respond = _hours(row, "respond_hours", n, problems, required=True)
        resolve = _hours(row, "resolve_hours", n, problems, required=True)
        onsite = _hours(row, "onsite_hours", n, problems, required=False)
        if respond is not None and resolve is not None and respond > resolve:
            problems.append(_respond_after_resolve(row, n))
        if priority and grade:
            first = seen.setdefault((priority, grade), n)
            if first != n:
                problems.append(
                    Problem("customer_grade", "sla.err.duplicate_policy", {"first": first}, row=n)
                )
        clean.append(
            {
                "priority": priority,
                "customer_grade": grade,
                "respond_hours": respond,
                "resolve_hours": resolve,
                "onsite_hours": onsite,
                "round_the_clock": _flag(row.get("round_the_clock")),
            }  # fmt: skip
        )
    with_all = {p for p, g in seen if g == ALL_GRADES}
    for p in Priority:
        if p not in with_all and not any(x.field == "priority" for x in problems):
            problems.append(Problem("priority", "sla.err.no_all_grades", value=p.value))
    return clean, problems


# ---------------------------------------------------------------- the policy register
def _policy_check(row: dict[str, Any]) -> list[Problem]:
    """One policy row as a register row (grid save, import): hours > 0 and at most
    ``MAX_HOURS``, respond within resolve. The whole-table checks (duplicates, each
    priority's all-grades row) are the write path's (``data_access.sla_register``)."""
    problems: list[Problem] = []
    for name in ("respond_hours", "resolve_hours", "onsite_hours"):
        value = row.get(name)
        if value is None:
            continue
        if value <= 0:
            problems.append(Problem(name, "sla.err.positive", value=value))
        elif value > MAX_HOURS:
            problems.append(Problem(name, "err.max", {"max": str(MAX_HOURS)}, value=value))
    respond, resolve = row.get("respond_hours"), row.get("resolve_hours")
    if not problems and respond is not None and resolve is not None and respond > resolve:
        problems.append(Problem("respond_hours", "sla.err.respond_after_resolve", value=respond))
    return problems


GRADE_ALL_OPTION = Option(ALL_GRADES, "全部等级", "All grades", ("全部", "所有", "all", "any"))
# one row per (priority, customer grade): the priority is the first part of the key,
# as a document is a line's (a plain column here, not a reference)
SLA_POLICIES = Register(
    name="sla_policies",
    zh="服务时限策略",
    en="SLA policies",
    key="customer_grade",
    parent="priority",
    checks=(_policy_check,),
    fields=(
        Field("priority", "优先级", "Priority", Kind.ENUM, required=True,
              options=PRIORITY_OPTIONS, aliases=("紧急程度",), example=Priority.STANDARD),
        Field("customer_grade", "客户等级", "Customer grade", Kind.ENUM, required=True, key=True,
              options=(GRADE_ALL_OPTION, *GRADE_OPTIONS), aliases=("客户分级", "等级", "grade"),
              example=ALL_GRADES, help_zh="“全部等级”行每个优先级必须有；等级行优先",
              help_en="Each priority needs its 'all grades' row; a grade row wins"),
        Field("respond_hours", "响应时限（工作小时）", "Respond within (business h)",
              Kind.DECIMAL, required=True, aliases=("响应时限", "respond hours"), example=8),
        Field("resolve_hours", "解决时限（工作小时）", "Resolve within (business h)",
              Kind.DECIMAL, required=True, aliases=("解决时限", "resolve hours"), example=48),
        Field("onsite_hours", "到场时限（工作小时）", "On site within (business h)",
              Kind.DECIMAL, aliases=("到场时限", "on-site hours")),
        Field("round_the_clock", "全天候 24×7", "Round the clock (24×7)", Kind.BOOL,
              aliases=("全天候", "24x7", "24×7"),
              help_zh="是：时限按自然小时计；否：按工作日历", help_en="Yes: wall-clock hours;"
              " no: business hours on the working calendar"),
    ),
)  # fmt: skip


# ---------------------------------------------------------------- escalation ladder
def check_ladder(
    rows: Sequence[dict[str, Any]],
) -> tuple[list[sla.EscalationLevel], list[Problem]]:
    """Validate a ladder: levels 1..N without gaps, both names, hours > 0 on every level
    but the top, none on the top (it is where escalation ends)."""
    problems: list[Problem] = []
    parsed: list[tuple[int, int | None, str, str, Decimal | None]] = []
    for i, row in enumerate(rows):
        n = row.get("row", i + 1)
        level = None
        if blank(row.get("level")):
            problems.append(Problem("level", "err.required", row=n))
        else:
            try:
                level = parse_int(row["level"])
            except ValueProblem as exc:
                problems.append(Problem("level", exc.code, exc.params, row=n, value=row["level"]))
        names = []
        for name in ("name_zh", "name_en"):
            text = None if blank(row.get(name)) else str(row[name]).strip()
            if text is None:
                problems.append(Problem(name, "err.required", row=n))
            elif len(text) > NAME_MAX:
                problems.append(Problem(name, "err.too_long", {"max": NAME_MAX}, row=n))
            names.append(text or "")
        hours = None
        if not blank(row.get("hours")):
            hours = _hours(row, "hours", n, problems, required=False)
            hours = hours if hours is not None else Decimal(-1)  # bad: reported already
        parsed.append((n, level, names[0], names[1], hours))
    levels = sorted(lv for _, lv, *_ in parsed if lv is not None)
    if not parsed:
        problems.append(Problem("level", "sla.err.no_levels"))
    elif len(levels) == len(parsed) and levels != list(range(1, len(parsed) + 1)):
        problems.append(
            Problem(
                "level",
                "sla.err.levels",
                {"n": len(parsed)},
                value=", ".join(str(lv) for lv in levels),
            )
        )
    if problems:
        return [], problems
    top = len(parsed)
    ladder = []
    for n, level, zh, en, hours in sorted(parsed, key=lambda p: p[1]):
        if level == top and hours is not None:
            problems.append(Problem("hours", "sla.err.top_hours", row=n, value=hours))
        elif level != top and hours is None:
            problems.append(Problem("hours", "err.required", row=n))
        ladder.append(sla.EscalationLevel(level, zh, en, None if hours is None else float(hours)))
    return ladder, problems


# ---------------------------------------------------------------- working calendar
_SPAN = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*[-~–—至]\s*(\d{1,2})(?::(\d{2}))?$")


def spans_text(spans: Iterable[Sequence[str]]) -> str:
    """``[("09:00","12:00"), ("13:00","18:00")]`` → ``"09:00-12:00, 13:00-18:00"``."""
    return ", ".join(f"{a}-{b}" for a, b in spans)


def parse_spans(text: str | None) -> list[tuple[str, str]]:
    """``"9:00-12:00, 13:00-18:00"`` → spans; raises :class:`ValueProblem` on a bad one."""
    s = unicodedata.normalize("NFKC", text or "").strip()
    if not s:
        return []
    s = re.sub(r"\s*([-~–—至])\s*", r"\1", s)
    spans = []
    for part in (p for p in re.split(r"[,;、\s]+", s) if p):
        m = _SPAN.match(part)
        if not m:
            raise ValueProblem("sla.err.span", value=part)
        h1, m1, h2, m2 = int(m[1]), int(m[2] or 0), int(m[3]), int(m[4] or 0)
        if not (h1 < 24 and m1 < 60 and m2 < 60 and (h2 < 24 or (h2 == 24 and m2 == 0))):
            raise ValueProblem("sla.err.span", value=part)
        if (h2, m2) <= (h1, m1):
            raise ValueProblem("sla.err.span_order", value=part)
        spans.append((f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"))
    return spans


def check_weekly(texts: dict[int, str]) -> tuple[dict[int, list[tuple[str, str]]], list[Problem]]:
    """Weekday (Mon=0) → span text, validated; problems name the weekday (``wd0`` …)."""
    weekly: dict[int, list[tuple[str, str]]] = {}
    problems: list[Problem] = []
    for wd in range(7):
        try:
            spans = parse_spans(texts.get(wd))
        except ValueProblem as exc:
            problems.append(Problem(f"wd{wd}", exc.code, exc.params, value=texts.get(wd)))
            continue
        if spans:
            weekly[wd] = spans
    if not weekly and not problems:
        problems.append(Problem(None, "sla.err.no_hours"))
    return weekly, problems


_KINDS = {
    "holiday": "holiday",
    "假": "holiday",
    "休": "holiday",
    "假日": "holiday",
    "节假日": "holiday",
    "放假": "holiday",
    "休息": "holiday",
    "workday": "workday",
    "make-up": "workday",
    "makeup": "workday",
    "working": "workday",
    "班": "workday",
    "上班": "workday",
    "补班": "workday",
    "调休": "workday",
    "调休上班": "workday",
}


def parse_kind(raw: Any) -> str:
    key = unicodedata.normalize("NFKC", str(raw or "")).strip().casefold()
    if key in _KINDS:
        return _KINDS[key]
    raise ValueProblem("sla.err.kind", value=raw)


def parse_day_lines(text: str) -> tuple[list[tuple[dt.date, str, str | None]], list[Problem]]:
    """Pasted lines ``date, kind, name`` (comma, tab or spaces) → entries; every bad
    line is a problem numbered as in the text box."""
    entries: list[tuple[dt.date, str, str | None]] = []
    problems: list[Problem] = []
    seen: dict[dt.date, int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = unicodedata.normalize("NFKC", line).strip()
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"\s*[,\t;、]\s*|\s+", line, maxsplit=2)]
        parts += [""] * (3 - len(parts))
        raw_day, raw_kind, name = parts[0], parts[1], parts[2] or None
        day = kind = None
        try:
            day = parse_date(raw_day)
            if day is None:
                problems.append(Problem("day", "err.required", row=n))
        except ValueProblem as exc:
            problems.append(Problem("day", exc.code, exc.params, row=n, value=raw_day))
        try:
            kind = parse_kind(raw_kind)
        except ValueProblem as exc:
            problems.append(Problem("kind", exc.code, exc.params, row=n, value=raw_kind))
        if name and len(name) > NAME_MAX:
            problems.append(Problem("name", "err.too_long", {"max": NAME_MAX}, row=n))
        if day is not None and seen.setdefault(day, n) != n:
            problems.append(
                Problem("day", "sla.err.duplicate_day", {"first": seen[day]}, row=n, value=raw_day)
            )
        if day is not None and kind is not None:
            entries.append((day, kind, name))
    return entries, problems


def check_day_entries(entries: Sequence[tuple[dt.date, str, str | None]]) -> list[Problem]:
    """Problems of (day, kind, name) entries, numbered from 1 as listed."""
    problems = [
        Problem("kind", "sla.err.kind", row=i, value=kind)
        for i, (_, kind, _) in enumerate(entries, start=1)
        if kind not in DAY_KINDS
    ]
    problems += [
        Problem("name", "err.too_long", {"max": NAME_MAX}, row=i)
        for i, (_, _, name) in enumerate(entries, start=1)
        if name and len(name) > NAME_MAX
    ]
    return problems
