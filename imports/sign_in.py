"""The sign-in sheet / score list import: a sheet's rows (read by
:func:`imports.training.read_sign_in`) matched to the people a training session may hold
and taken into the session's lines in one write (:func:`data_access.lines.save_lines`,
whose register hooks derive results and certificates). The queries are in
:mod:`data_access.training`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from data_access import training as data
from data_access.lines import list_lines, save_lines
from data_access.registers import SaveResult
from rules import training as tr
from rules.access import Acting
from rules.fields import Problem

# the sheet's cells a line takes (the rest say who the person is)
MARKS = ("presence", "test_score", "practical", "rating", "comment")


@dataclass(frozen=True)
class SignInResult:
    inserted: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    new_people: list[str] = field(default_factory=list)  # names added (or to confirm)


def import_sign_in(
    session: Session,
    session_no: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    confirm_new: bool,
    actor: Acting,
    now: dt.datetime,
    sheet: str | None = None,
) -> SignInResult:
    """Take a sign-in sheet or score list into the session's lines.

    ``rows``: field name → cell (``name`` at least; ``course``, ``phone``, ``job`` and
    the marks), with ``_row`` the sheet's row number. Names are matched to the people
    the session may hold: a name already on the session updates that line; a name
    meaning two people, a course that is not the session's, or a bad cell is a problem
    at its row and column; names nobody has are added (as people without a log-in)
    only with ``confirm_new``. Nothing is written unless every row is fine.
    """
    data.require(tr.may_manage(actor.role), "import")
    head = data.sign_in_target(session, session_no)
    if head is None:
        return SignInResult(problems=[Problem("session", "training.err.unknown_session", {"value": session_no}, sheet=sheet)])  # fmt: skip
    problems: list[Problem] = []
    known_courses = None

    def problem(r: Mapping[str, Any], name: str, code: str, **params: Any) -> None:
        problems.append(Problem(name, code, params, r.get("_row"), r.get(name), sheet))

    people = data.attendees(session, head.customer_id)
    lines = list_lines(session, "attendance", session_no)
    by_name = {line["name"]: line for line in lines}
    new_rows: list[tuple[Mapping[str, Any], dict[str, Any]]] = []
    touched: dict[int, Mapping[str, Any]] = {}  # line id → the sheet row updating it
    new_people: list[str] = []
    for r in rows:
        course = r.get("course")
        if course not in (None, ""):
            course = str(course).strip()
            if known_courses is None:
                known_courses = set(data.course_codes(session))
            if course not in known_courses:
                problem(r, "course", "training.err.unknown_course", value=course)
            elif course != head.code:
                problem(r, "course", "training.err.other_course", value=course, expected=head.code)
        name = str(r.get("name") or "").strip()
        if not name:
            if any(r.get(k) not in (None, "") for k in MARKS):
                problem(r, "name", "err.required")
            continue
        marks = {k: r[k] for k in MARKS if k in r}
        line = by_name.get(name)
        if line is not None:
            updated = {**line, **marks}
            for k in ("phone", "job"):
                if r.get(k) not in (None, ""):
                    updated[k] = r[k]
            touched[line["id"]] = r
            by_name[name] = updated
            continue
        person, hits = tr.match_person(name, _text(r.get("phone")), people)
        if len(hits) > 1:
            who = "、".join(_describe(p) for p in hits)
            problem(r, "name", "training.err.ambiguous_person", value=name, candidates=who)
            continue
        if person is None:
            new_people.append(name)
            person = tr.Person(
                tr.AttendeeKind.GUEST,
                name,
                None,
                None,
                _text(r.get("phone")),
                _text(r.get("job")),
            )
            person = dataclasses.replace(
                person, customer=data.customer_code(session, head.customer_id)
            )
        values = {
            "kind": str(person.kind),
            "name": person.name,
            "customer": person.customer,
            "user": person.user,
            "phone": _text(r.get("phone")) or person.phone,
            "job": _text(r.get("job")) or person.job,
            **marks,
        }
        new_rows.append((r, values))
        by_name[name] = values
    if new_people and not confirm_new and not problems:
        problems.append(
            Problem(
                "name",
                "training.err.new_people",
                {"names": "、".join(new_people)},
                None,
                None,
                sheet,
            )  # fmt: skip
        )
    if problems:
        return SignInResult(problems=problems, new_people=new_people)
    kept = [by_name[line["name"]] for line in lines]
    final = kept + [v for _, v in new_rows]
    origin = [touched.get(line["id"]) for line in lines] + [r for r, _ in new_rows]
    if tr.over_capacity(head.capacity, len(final)):
        at = origin[head.capacity] or {}
        return SignInResult(
            problems=[
                Problem(
                    "name",
                    "training.err.over_capacity",
                    {"value": session_no, "capacity": head.capacity, "count": len(final)},
                    at.get("_row"),
                    at.get("name"),
                    sheet,
                )
            ]
        )
    result: SaveResult = save_lines(session, "attendance", session_no, final, actor=actor, now=now)
    if result.problems:
        mapped = []
        for p in result.problems:
            src = origin[p.row] if p.row is not None and p.row < len(origin) else None
            mapped.append(
                Problem(p.field, p.code, p.params, (src or {}).get("_row"), p.value, sheet)
            )
        return SignInResult(problems=mapped, new_people=new_people)
    return SignInResult(inserted=result.inserted, updated=result.updated, new_people=new_people)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text or None


def _describe(p: tr.Person) -> str:
    where = p.user or p.customer or ""
    return f"{p.name}（{where}{' ' + p.phone if p.phone else ''}）"
