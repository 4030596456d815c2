"""The monthly service report (月度服务报告): every KPI of the month against its target and
the previous month, the breakdowns, the trends and the engineer table, as one workbook.

``monthly_workbook`` gathers the figures through :mod:`data_access.dashboard` (the same
numbers the dashboard shows, for the same role) and :mod:`imports.monthly_report` writes
them. On demand from the dashboard page, or from the command line::

    python -m data_access.reports monthly 2026-11 [--out PATH] [--lang zh|en] [--user NAME]

(The service report of one ticket, 服务报告, is :mod:`data_access.ticket_reports`.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from data_access import dashboard as D
from data_access import db
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.models import User
from imports.monthly_report import KpiLine, MonthlyReport, workbook_bytes
from rules.access import Acting, Actor, Role
from rules.dashboard import DIMENSIONS, visible
from rules.fields import Problem
from rules.i18n import t

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
TREND_MONTHS = 12  # the trend sheet: this month and the eleven before it


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """``"2026-11"`` → the month's first and last day; :class:`InvalidInput` otherwise."""
    m = _MONTH.fullmatch((text or "").strip())
    year, month = (int(m[1]), int(m[2])) if m else (0, 0)
    if not m or not 1 <= month <= 12 or year < 1900:
        raise InvalidInput([Problem("month", "dashboard.err.month", {"value": text})])
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def month_name(first: dt.date) -> str:
    return f"{first:%Y-%m}"


def file_name(month: str) -> str:
    """The workbook's default file name, ``月度服务报告-2026-11.xlsx``."""
    return f"月度服务报告-{month}.xlsx"


def _months_back(first: dt.date, n: int) -> dt.date:
    index = first.year * 12 + first.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def monthly_report(session: Session, actor: Acting, month: str, now: dt.datetime) -> MonthlyReport:
    """The month's figures as the actor's role sees them (an engineer: his own)."""
    first, last = parse_month(month)
    period = D.Period(first, last)
    filters = D.Filters()
    figures = D.figures(session, actor, period, filters, now)  # NotAllowed for the role
    targets = D.targets(session)
    lines = [
        KpiLine(kpi, figures[kpi.key], targets.get(kpi.key, kpi.target))
        for kpi in visible(actor.role)
        if kpi.key in figures
    ]
    year = D.Period(_months_back(first, TREND_MONTHS - 1), last)
    managers = actor.role in (Role.ADMIN, Role.MANAGER)
    return MonthlyReport(
        month=month_name(first),
        start=first,
        end=last,
        lines=lines,
        breakdowns={d: D.breakdown(session, actor, period, filters, d) for d in DIMENSIONS},
        months=D.trend(session, actor, year, filters, "month"),
        weeks=D.trend(session, actor, period, filters, "week"),
        engineers=D.engineers(session, actor, period, filters) if managers else None,
    )


def monthly_workbook(
    session: Session, actor: Acting, month: str, now: dt.datetime, lang: str
) -> bytes:
    """The monthly service report for ``month`` (``"2026-11"``) as .xlsx bytes.

    :class:`InvalidInput` for a month that is not ``YYYY-MM``; :class:`NotAllowed` for a
    role without the dashboard."""
    return workbook_bytes(monthly_report(session, actor, month, now), lang)


# ---------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m data_access.reports", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    monthly = sub.add_parser("monthly", help="the monthly service report as .xlsx")
    monthly.add_argument("month", help="YYYY-MM, e.g. 2026-11")
    monthly.add_argument(
        "--out", type=Path, help="file to write (default 月度服务报告-<month>.xlsx)"
    )
    monthly.add_argument("--lang", choices=("zh", "en"), default="zh")
    monthly.add_argument(
        "--user", help="report as this user's role sees it (default: everything, as an admin)"
    )
    return p


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def _actor(session: Session, username: str | None, lang: str) -> Acting | str:
    """Whoever runs the command holds the database's file or credentials: without
    ``--user`` the report shows everything (an admin's view)."""
    if username is None:
        return Actor(None, Role.ADMIN)
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active:
        return t("dashboard.cli.no_user", lang, user=username)
    return Actor(user.id, user.role)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    lang = args.lang
    try:
        first, _ = parse_month(args.month)
    except InvalidInput:
        return _fail(t("dashboard.err.month", lang, value=args.month))
    month = month_name(first)
    out: Path = args.out or Path(file_name(month))
    if not out.parent.is_dir():
        return _fail(t("dashboard.cli.no_folder", lang, folder=out.parent))
    engine = db.make_engine()
    try:
        with db.read(engine) as session:
            actor = _actor(session, args.user, lang)
            if isinstance(actor, str):
                return _fail(actor)
            data = monthly_workbook(
                session, actor, month, dt.datetime.now().replace(microsecond=0), lang
            )
    except (NotAllowed, InvalidInput) as exc:
        return _fail(_refusal(exc, lang))
    except (OperationalError, ProgrammingError) as exc:
        return _fail(f"{t('imports.err.no_tables', lang)} ({type(exc.orig).__name__})")
    finally:
        engine.dispose()
    try:
        out.write_bytes(data)
    except OSError as exc:
        return _fail(t("dashboard.cli.cannot_write", lang, path=out, reason=exc.strerror or exc))
    print(t("dashboard.cli.written", lang, path=out))
    return 0


def _refusal(exc: Refused | InvalidInput, lang: str) -> str:
    if isinstance(exc, InvalidInput):
        return "; ".join(p.message(lang) for p in exc.problems)
    return t(exc.code, lang, **exc.params)


if __name__ == "__main__":
    sys.exit(main())
