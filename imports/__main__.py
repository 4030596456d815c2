"""Command line: ``python -m imports import|export|template …``.

Exit codes: 0 imported (or clean dry run), 1 rows rejected, 2 file cannot be read
(or register not available, or database not set up). One line on stderr, never a
traceback, for anything the user can fix.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError, ProgrammingError
from xlsxwriter.exceptions import FileCreateError

from data_access import db
from data_access.errors import Refused
from data_access.registers import ADAPTERS, ConflictError
from imports.engine import conflict_what, import_file
from imports.reader import ReadError
from imports.writer import export_register, write_template
from rules.access import REGISTER_PAGE, SYSTEM_ACTOR
from rules.i18n import t

LATER = [name for name in REGISTER_PAGE if name not in ADAPTERS]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m imports", description="Excel import/export")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a register from .xlsx/.xls/.csv")
    imp.add_argument("register")
    imp.add_argument("file", type=Path)
    imp.add_argument("--sheet")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--skip-bad-rows", action="store_true")
    imp.add_argument("--json", action="store_true")
    imp.add_argument("--lang", choices=("zh", "en"), default="zh")
    for name in ("export", "template"):
        cmd = sub.add_parser(name)
        cmd.add_argument("register")
        cmd.add_argument("out", type=Path)
        cmd.add_argument("--lang", choices=("zh", "en"), default="zh")
    return p


def _fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    lang = args.lang
    if args.register not in ADAPTERS:
        if args.register in LATER:
            return _fail(t("imports.err.not_available", lang, register=args.register))
        available = ", ".join(ADAPTERS)
        return _fail(
            t("imports.cli.unknown_register", lang, register=args.register, available=available)
        )
    if args.command == "import":
        return _command(args, lang)
    if not args.out.parent.is_dir():
        return _fail(t("imports.cli.no_folder", lang, folder=args.out.parent))
    try:
        return _command(args, lang)
    except (OSError, FileCreateError) as exc:  # a folder we may not write in, a full disk
        reason = getattr(exc, "strerror", None) or str(exc)
        return _fail(t("imports.cli.cannot_write", lang, path=args.out, reason=reason))


def _command(args, lang: str) -> int:
    if args.command == "template":
        write_template(args.out, args.register, lang=lang)
        print(t("imports.cli.written", lang, path=args.out, rows=0))
        return 0
    engine = db.make_engine()
    try:
        if not inspect(engine).has_table(ADAPTERS[args.register].table.name):
            return _fail(t("imports.err.no_tables", lang))
        if args.command == "export":
            with db.read(engine) as session:
                n = export_register(
                    session, args.register, args.out, lang=lang, today=dt.date.today()
                )
            print(t("imports.cli.written", lang, path=args.out, rows=n))
            return 0
        return _import(engine, args)
    except (OperationalError, ProgrammingError) as exc:
        return _fail(f"{t('imports.err.no_tables', lang)} ({type(exc.orig).__name__})")
    finally:
        engine.dispose()


def _import(engine, args) -> int:
    lang = args.lang
    if not args.file.is_file():
        return _fail(t("imports.err.not_excel", lang) + f": {args.file}")
    try:
        with db.write(engine) as session:
            report = import_file(
                session,
                args.register,
                args.file,
                file_name=args.file.name,
                sheet=args.sheet,
                dry_run=args.dry_run,
                skip_bad_rows=args.skip_bad_rows,
                actor=SYSTEM_ACTOR,
                now=dt.datetime.now().replace(microsecond=0),
            )
    except ReadError as exc:
        return _fail(exc.message(lang))
    except ConflictError as exc:
        return _fail(t("ui.conflict", lang, what=conflict_what(exc.what, lang)))
    except Refused as exc:  # a domain rule refused the write (an over-capacity session …)
        return _fail(t(exc.code, lang, **exc.params))
    if args.json:
        print(json.dumps(report.as_dict(lang), ensure_ascii=False, indent=2))
    else:
        for p in [*report.warnings, *report.problems]:
            column = p.column_label(lang)
            where = f"{p.sheet or ''}!{p.row or ''}" + (f" [{column}]" if column else "")
            value = "" if p.value in (None, "") else f" «{p.value}»"
            print(f"{where}{value}: {p.message(lang)}")
        if report.example_rows:
            rows = ", ".join(str(r) for r in report.example_rows[:10])
            print(t("imports.example_skipped", lang, rows=rows))
        if report.totals_rows:
            rows = ", ".join(str(r) for r in report.totals_rows[:10])
            print(t("imports.totals_skipped", lang, rows=rows))
        key = "imports.done" if report.committed or report.ok else "imports.not_written"
        print(t(key, lang, summary=report.summary(lang)))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
