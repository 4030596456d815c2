"""China's statutory public holidays and make-up working days (调休), from the
maintained ``holidays`` package instead of a list typed in by hand.

The State Council publishes each year's schedule late in the year before; the package
carries it from its next release. A year whose make-up working days the package does
not know yet is refused with a message — manual entry on the calendar page still works.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays

from data_access.errors import Refused

LANGUAGES = {"zh": "zh_CN", "en": "en_US"}
MAKEUP_NAME = {"zh": "调休上班", "en": "Make-up working day"}

Entry = tuple[dt.date, str, str | None]


def statutory_days(year: int, lang: str = "zh") -> list[Entry]:
    """The year's days off (``holiday``) and worked weekend days (``workday``), sorted by
    date, named in ``lang``.

    A break is what the State Council announces (春节 2026: 15–23 Feb): the package's
    holidays plus the Saturdays and Sundays joined to them (not a make-up day) — a team
    whose week includes Saturday is off on those too."""
    cn = holidays.China(years=year, language=LANGUAGES.get(lang, "zh_CN"))
    makeup = {d for d in cn.weekend_workdays if d.year == year}
    if not makeup:
        # every year since the 调休 system began has make-up days: none means the
        # package has not got this year's schedule yet
        raise Refused("sla.err.year_unknown", year=year)
    off: dict[dt.date, str] = dict(cn.items())
    for day, name in sorted(cn.items()):
        for step in (-1, 1):
            joined = day + dt.timedelta(days=step)
            while joined.weekday() >= 5 and joined not in makeup and joined.year == year:
                off.setdefault(joined, name)
                joined += dt.timedelta(days=step)
    entries: list[Entry] = [(day, "holiday", name) for day, name in off.items()]
    entries += [(day, "workday", MAKEUP_NAME.get(lang, MAKEUP_NAME["zh"])) for day in makeup]
    return sorted(entries)


@dataclass(frozen=True)
class Proposal:
    """What filling a year would add, and the days the team set by hand that stay."""

    new: list[Entry]
    kept: list[tuple[Entry, Entry]]  # (the proposed entry, the one already in the calendar)


def propose(existing: dict[dt.date, tuple[str, str | None]], year: int, lang: str) -> Proposal:
    """``existing``: the calendar's days (day → kind, name). A day already set is never
    overwritten, whatever it says; it is listed when it differs from the statute."""
    new: list[Entry] = []
    kept: list[tuple[Entry, Entry]] = []
    for entry in statutory_days(year, lang):
        day, kind, _ = entry
        if day not in existing:
            new.append(entry)
        elif existing[day][0] != kind:
            kept.append((entry, (day, *existing[day])))
    return Proposal(new, kept)
