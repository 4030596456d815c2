"""Printable documents (PDF), one look for all: the on-site service form (现场服务登记表),
the maintenance visit record, the complaint report, the customer statement (结算单) and
the training certificate.

Each function reads through its domain's own read function, which checks the actor's
right the way the domain's page does (a ticket: whoever opens the tickets page; a
complaint: :func:`data_access.complaints.complaint_detail`; a statement: the money roles
of :func:`data_access.fees.statement_of`, whose figures are printed as they are, never
recomputed). The layout is :mod:`data_access.pdf_layout`; every label comes from the
field specs and :mod:`rules.i18n` in ``lang``.

Command line::

    python -m data_access.documents <kind> <number> [--out PATH] [--lang zh|en] [--user NAME]

acts as ``--user`` (default: the oldest active administrator), exits 0 with the PDF
written, 2 with one line on stderr for an unknown number, user, kind of document, a
missing font or a refused right.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from data_access import complaints as complaints_da
from data_access import fees as fees_da
from data_access import maintenance as maintenance_da
from data_access import ticket_queries as tickets_da
from data_access import training as training_da
from data_access.errors import InvalidInput, NotAllowed, Refused, TicketNotFound
from data_access.knowledge import fault_code_of
from data_access.models import ProductModel, User
from data_access.pdf_layout import Column, FontMissing, Sheet, find_font
from data_access.settings import get_setting
from rules import fees as fee_rules
from rules.access import Actor, Page, Role, can_view
from rules.complaints import COMPLAINT_ACTIONS, COMPLAINTS
from rules.customers import CONTRACT_OPTIONS, WARRANTY_OPTIONS
from rules.fields import Field
from rules.i18n import t
from rules.maintenance import VISIT_RESULTS, VISITS
from rules.service_reports import TICKET_PARTS
from rules.tickets import RESULT_OPTIONS, TICKETS, satisfaction
from rules.training import ATTENDANCE

COMPANY_SETTING = "company_name"
KINDS = ("service_form", "visit", "complaint", "statement", "certificate")
MIME = "application/pdf"


class DocumentNotFound(Refused):
    """No document of ``kind`` with this number."""

    def __init__(self, kind: str, number: str):
        super().__init__("docs.err.not_found", kind=kind, value=number)
        self.kind = kind
        self.number = number


class NoFont(Refused):
    """No CJK font to embed: the message names the package to install."""

    def __init__(self, tried: str | None):
        super().__init__("docs.err.no_font", package=FontMissing().package, tried=tried or "")


def message(exc: Refused, lang: str) -> str:
    """The reader's words for a refused document (pages and the command line)."""
    params = dict(exc.params)
    if isinstance(exc, DocumentNotFound):
        params["kind"] = t(f"docs.kind.{exc.kind}", lang)
    if isinstance(exc, NoFont) and params.get("tried"):
        params["tried"] = t("docs.err.font_tried", lang, path=params["tried"])
    return t(exc.code, lang, **params)


def check_font() -> None:
    """Raise :class:`NoFont` now, before any work, when no CJK font can be embedded."""
    try:
        find_font()
    except FontMissing as exc:
        raise NoFont(exc.tried) from None


# ---------------------------------------------------------------- helpers
def _part_text(p, lang: str) -> str:
    """A line's description; a part outside the catalogue says so, with its reason."""
    text = p.description or ""
    if not p.non_catalogue:
        return text
    mark = t("docs.label.non_catalogue", lang, reason=p.non_catalogue_reason or "")
    return f"{text} {mark}".strip()


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _yes(value: bool | None, lang: str) -> str:
    return "" if value is None else t("docs.label.yes" if value else "docs.label.no", lang)


def _val(f: Field, value: Any, lang: str) -> Any:
    """A stored value as the field shows it: option labels, yes/no, plain numbers."""
    if f.options:
        return f.option_label(value, lang) if value is not None else ""
    if isinstance(value, bool):
        return _yes(value, lang)
    if isinstance(value, Decimal):
        return _num(value)
    return value


def _pairs(register, row: dict[str, Any], names: Sequence[str], lang: str) -> list[tuple]:
    return [
        (register.field(n).label(lang), _val(register.field(n), row.get(n), lang)) for n in names
    ]


def _sheet(session: Session, title_key: str, number: str, lang: str, now: dt.datetime) -> Sheet:
    company = get_setting(session, COMPANY_SETTING)
    try:
        return Sheet(
            title=t(title_key, lang),
            number=number,
            company=str(company) if company else None,
            printed=t("docs.footer.printed", lang, at=now.strftime("%Y-%m-%d %H:%M")),
            page_label=t("docs.footer.page", lang),
        )
    except FontMissing as exc:
        raise NoFont(exc.tried) from None


def _signatures(sheet: Sheet, keys: Sequence[str], lang: str) -> None:
    sheet.signatures([t(k, lang) for k in keys], t("docs.sign.date", lang))


def _columns(register, spec: Sequence[tuple[str, float]], lang: str) -> list[Column]:
    out = []
    for name, width in spec:
        f = register.field(name)
        right = f.kind.name in ("INT", "DECIMAL", "MONEY")
        out.append(Column(f.label(lang), width, "RIGHT" if right else "LEFT"))
    return out


# ---------------------------------------------------------------- the service form
def _may_read_ticket(actor: Any, ticket_no: str) -> None:
    """Whoever may open the tickets page reads any ticket there (the ticket detail)."""
    if not can_view(actor.role, Page.TICKETS):
        raise NotAllowed("view", ticket_no)


def service_form(
    session: Session, ticket_no: str, *, actor: Any, lang: str = "zh", now: dt.datetime
) -> bytes:
    """现场服务登记表: ticket, customer, device, fault, work done, diagnosis, parts,
    result, labour, the customer's feedback and ratings, signature lines."""
    _may_read_ticket(actor, ticket_no)
    check_font()
    found = tickets_da.find_ticket_id(session, ticket_no)
    if found is None:
        raise DocumentNotFound("service_form", ticket_no)
    try:
        d = tickets_da.ticket_detail(session, found, now)
    except TicketNotFound:
        raise DocumentNotFound("service_form", ticket_no) from None
    tk, r, c, dev = d["ticket"], d["report"], d["customer"], d["device"]
    model = session.get(ProductModel, dev.model_id) if dev and dev.model_id else None
    code = fault_code_of(session, tk.id)
    f = TICKETS.field
    sheet = _sheet(session, "docs.title.service_form", tk.ticket_no, lang, now)
    sheet.heading(t("docs.sec.ticket", lang))
    sheet.fields([
        (f("ticket_no").label(lang), tk.ticket_no),
        (f("status").label(lang), _val(f("status"), tk.status, lang)),
        (f("priority").label(lang), _val(f("priority"), tk.priority, lang)),
        (f("channel").label(lang), _val(f("channel"), tk.channel, lang)),
        (f("received_at").label(lang), tk.received_at),
        (f("engineer").label(lang), d["engineer"]),
        (f("responded_at").label(lang), tk.responded_at),
        (f("resolved_at").label(lang), tk.resolved_at),
    ])  # fmt: skip
    sheet.heading(t("docs.sec.customer", lang))
    cover = " / ".join(
        o.label(lang)
        for opts, v in (
            (WARRANTY_OPTIONS, tk.warranty_status),
            (CONTRACT_OPTIONS, tk.contract_status),
        )
        for o in opts
        if o.value == v
    )
    sheet.fields([
        (t("docs.label.customer", lang), c.name if c else None),
        (t("docs.label.customer_code", lang), c.code if c else None),
        (f("contact_name").label(lang), tk.contact_name),
        (f("contact_phone").label(lang), tk.contact_phone),
        (t("docs.label.address", lang), c.address if c else None),
        (f("serial_no").label(lang), tk.serial_no),
        (t("docs.label.model", lang), f"{model.code} {model.name}" if model else None),
        (t("docs.label.device_location", lang), dev.location if dev else None),
        (t("docs.label.warranty", lang), cover),
    ])  # fmt: skip
    sheet.heading(t("docs.sec.fault", lang))
    sheet.fields([
        (f("fault_description").label(lang), tk.fault_description),
        (f("fault_code").label(lang), code.label(lang) if code else None),
        (t("tickets.report.diagnosis", lang), r.diagnosis if r else None),
    ], columns=1)  # fmt: skip
    sheet.heading(t("docs.sec.work", lang))
    result = next((o.label(lang) for o in RESULT_OPTIONS if r and o.value == r.result), None)
    sheet.fields([
        (t("tickets.report.work_done", lang), r.work_done if r else None),
    ], columns=1)  # fmt: skip
    sheet.fields([
        (t("tickets.report.result", lang), result),
        (t("tickets.report.labour_hours", lang), _num(r.labour_hours) if r else None),
        (t("tickets.report.travel_km", lang), _num(r.travel_km) if r else None),
    ])  # fmt: skip
    sheet.heading(t("docs.sec.parts", lang))
    parts = d["parts"]
    if parts:
        columns = _columns(TICKET_PARTS, (("line_no", 0.6), ("part_no", 1.6),
                                          ("description", 3.2), ("qty", 0.7),
                                          ("unit_price", 1.1)), lang)  # fmt: skip
        sheet.table(columns, [[p.line_no, p.part_no, _part_text(p, lang), p.qty,
                               _money(p.unit_price)] for p in parts])  # fmt: skip
    else:
        sheet.note(t("docs.label.no_parts", lang))
    sheet.heading(t("docs.sec.feedback", lang))
    ratings = [getattr(r, n) if r else None for n in
               ("rating_quality", "rating_attitude", "rating_efficiency")]  # fmt: skip
    score = satisfaction(*ratings)
    sheet.fields([
        *((f(n).label(lang), f"{v}/5" if v is not None else None) for n, v in
          zip(("rating_quality", "rating_attitude", "rating_efficiency"), ratings, strict=True)),
        (f("satisfaction").label(lang), f"{score:.2f}" if score is not None else None),
    ])  # fmt: skip
    sheet.fields([
        (t("tickets.report.feedback", lang), r.customer_feedback if r else None),
        (t("tickets.report.accepted_by", lang), r.accepted_by if r else None),
        (t("tickets.report.accepted_at", lang), r.accepted_at if r else None),
    ], columns=1)  # fmt: skip
    _signatures(sheet, ("docs.sign.engineer", "docs.sign.customer"), lang)
    return sheet.output()


# ---------------------------------------------------------------- the visit record
def visit_record(
    session: Session, visit_no: str, *, actor: Any, lang: str = "zh", now: dt.datetime
) -> bytes:
    """The maintenance visit record: visit, customer and device, checklist results,
    findings, the customer's acceptance, signature lines."""
    try:
        v = maintenance_da.visit_record(session, visit_no, actor=actor)
    except InvalidInput:
        raise DocumentNotFound("visit", visit_no) from None
    check_font()
    sheet = _sheet(session, "docs.title.visit", v["visit_no"], lang, now)
    sheet.heading(t("docs.sec.visit", lang))
    sheet.fields([
        *_pairs(VISITS, v, ("visit_no", "kind", "status", "result"), lang),
        (t("docs.label.plan", lang), f"{v['plan_no']} {v['plan']}"),
        (VISITS.field("engineer").label(lang), v["engineer"]),
        *_pairs(VISITS, v, ("planned_date", "due_date", "arrived_at", "departed_at", "done_at"),
                lang),
    ])  # fmt: skip
    sheet.heading(t("docs.sec.customer", lang))
    sheet.fields([
        (t("docs.label.customer", lang), v["customer"]),
        (t("docs.label.customer_code", lang), v["customer_code"]),
        (t("docs.label.address", lang), v["address"]),
        (t("docs.label.model", lang), v["model"]),
        (TICKETS.field("serial_no").label(lang), v["serial_no"]),
        (t("docs.label.device_location", lang), v["location"]),
    ])  # fmt: skip
    sheet.fields(_pairs(VISITS, v, ("content", "findings", "note"), lang), columns=1)
    sheet.heading(t("docs.sec.checklist", lang))
    lines = v["results"]
    if lines:
        columns = _columns(VISIT_RESULTS, (("line_no", 0.5), ("item", 2.2), ("standard", 2.6),
                                           ("measured", 1.0), ("observation", 1.6),
                                           ("passed", 0.6), ("note", 1.5)), lang)  # fmt: skip
        rows = [
            [x["line_no"], x["item"], x["standard"],
             f"{_num(x['measured'])} {x['unit'] or ''}".strip() if x["measured"] is not None
             else "", x["observation"], _yes(x["passed"], lang), x["note"]]
            for x in lines
        ]  # fmt: skip
        sheet.table(columns, rows)
    else:
        sheet.note(t("docs.label.no_lines", lang))
    sheet.heading(t("docs.sec.parts", lang))
    if v["parts"]:  # the stock ledger's rows of the visit: issued (negative) as used
        columns = [Column(t("maint.parts.doc_no", lang), 1.6, "LEFT"),
                   Column(t("maint.parts.part_no", lang), 1.6, "LEFT"),
                   Column(t("maint.parts.name", lang), 3.0, "LEFT"),
                   Column(t("maint.parts.qty", lang), 0.8, "RIGHT")]  # fmt: skip
        sheet.table(
            columns, [[p["doc_no"], p["part_no"], p["name"], -p["qty"]] for p in v["parts"]]
        )
    else:
        sheet.note(t("docs.label.no_parts", lang))
    sheet.fields(_pairs(VISITS, v, ("customer_rep", "accepted"), lang))
    _signatures(sheet, ("docs.sign.engineer", "docs.sign.customer"), lang)
    return sheet.output()


# ---------------------------------------------------------------- the complaint report
def complaint_report(
    session: Session, complaint_no: str, *, actor: Any, lang: str = "zh", now: dt.datetime
) -> bytes:
    """The complaint report: complaint, root cause, actions, CAPA, confirmation."""
    try:
        d = complaints_da.complaint_detail(session, complaint_no, actor=actor)
    except InvalidInput:
        raise DocumentNotFound("complaint", complaint_no) from None
    check_font()
    d = {**d, "ticket": d.get("ticket_no")}
    sheet = _sheet(session, "docs.title.complaint", d["complaint_no"], lang, now)
    sheet.heading(t("docs.sec.complaint", lang))
    sheet.fields(_pairs(COMPLAINTS, d, ("complaint_no", "customer", "ticket", "complainant",
                                        "contact", "channel", "received_at", "category",
                                        "severity", "priority", "status", "tier", "handler",
                                        "engineer"), lang))  # fmt: skip
    sheet.fields(_pairs(COMPLAINTS, d, ("content",), lang), columns=1)
    sheet.heading(t("docs.sec.cause", lang))
    sheet.fields(_pairs(COMPLAINTS, d, ("cause_category", "root_cause"), lang), columns=1)
    sheet.heading(t("docs.sec.actions", lang))
    if d["actions"]:
        spec = (("line_no", 0.5), ("round", 0.5), ("kind", 1.1), ("description", 2.8),
                ("department", 1.1), ("responsible", 1.0), ("deadline", 1.3), ("status", 0.9),
                ("done_at", 1.6))  # fmt: skip
        a = COMPLAINT_ACTIONS.field
        rows = [[_val(a(n), x[n], lang) for n, _w in spec] for x in d["actions"]]
        sheet.table(_columns(COMPLAINT_ACTIONS, spec, lang), rows)
    else:
        sheet.note(t("docs.label.no_lines", lang))
    sheet.heading(t("docs.sec.capa", lang))
    sheet.fields(_pairs(COMPLAINTS, d, ("capa_status", "capa_verify_by", "capa_verifier",
                                        "capa_verified_at"), lang))  # fmt: skip
    sheet.fields(_pairs(COMPLAINTS, d, ("capa_criterion", "capa_result"), lang), columns=1)
    sheet.heading(t("docs.sec.confirmation", lang))
    sheet.fields(_pairs(COMPLAINTS, d, ("satisfied", "rounds", "confirm_channel",
                                        "confirm_person", "confirm_at", "closed_at"), lang))  # fmt: skip
    sheet.fields(_pairs(COMPLAINTS, d, ("result",), lang), columns=1)
    _signatures(sheet, ("docs.sign.handler", "docs.sign.quality", "docs.sign.customer"), lang)
    return sheet.output()


# ---------------------------------------------------------------- the statement
STATEMENT_SPEC = (("doc_no", 2.2), ("line_no", 0.7), ("kind", 1.2), ("description", 2.1),
                  ("qty", 0.7), ("unit_price", 1.0), ("list_amount", 1.1), ("rule", 1.6),
                  ("discount", 1.0), ("amount", 1.1))  # fmt: skip


def statement(
    session: Session, statement_no: str, *, actor: Any, lang: str = "zh", now: dt.datetime
) -> bytes:
    """结算单: fee lines with the warranty rule of each, the sums, payments and the balance,
    as :func:`data_access.fees.statement_of` gives them."""
    try:
        s = fees_da.statement_of(session, statement_no, actor=actor)
    except Refused as exc:
        if isinstance(exc, NotAllowed) or exc.code != "fees.err.no_statement":
            raise
        raise DocumentNotFound("statement", statement_no) from None
    check_font()
    head, totals = s["head"], s["totals"]
    period = (f"{head['period_start']} – {head['period_end']}"
              if head["period_start"] else None)  # fmt: skip
    sheet = _sheet(session, "docs.title.statement", head["settlement_no"], lang, now)
    sheet.heading(t("docs.sec.statement", lang))
    sheet.fields([
        (t("fees.statement", lang), head["settlement_no"]),
        (t("docs.label.kind", lang), t(f"docs.label.kind.{head['kind']}", lang)),
        (t("docs.label.customer", lang), head["name"]),
        (t("docs.label.customer_code", lang), head["customer"]),
        (t("fees.ticket", lang), head["ticket_no"]),
        (t("docs.label.period", lang), period),
        (t("docs.label.settled_at", lang), head["settled_at"]),
        (t("docs.label.status", lang),
         t(f"fees.status.{head['status']}", lang)),
    ])  # fmt: skip
    sheet.heading(t("docs.sec.fee_lines", lang))
    reg = fee_rules.STATEMENT_LINES
    money = {"unit_price", "list_amount", "discount", "amount"}
    rows = [
        [_money(x[n]) if n in money else _val(reg.field(n), x[n], lang) for n, _w in STATEMENT_SPEC]
        for x in s["lines"]
    ]
    sheet.table(_columns(reg, STATEMENT_SPEC, lang), rows)
    sheet.totals([
        (t("docs.label.list_total", lang), _money(totals["list_amount"])),
        (t("docs.label.discount_total", lang), _money(totals["discount"])),
        (t("docs.label.total", lang), _money(head["total"])),
        (t("docs.label.paid", lang), _money(head["paid"])),
        (t("docs.label.balance", lang), _money(head["outstanding"])),
    ])  # fmt: skip
    sheet.heading(t("docs.sec.payments", lang))
    pay = fee_rules.PAYMENTS
    if s["payments"]:
        spec = (("payment_no", 2.0), ("kind", 1.0), ("paid_on", 1.2), ("method", 1.2),
                ("reference", 2.4), ("amount", 1.2))  # fmt: skip
        prow = [[_money(x[n]) if n == "amount" else _val(pay.field(n), x[n], lang)
                 for n, _w in spec] for x in s["payments"]]  # fmt: skip
        sheet.table(_columns(pay, spec, lang), prow)
    else:
        sheet.note(t("docs.label.no_lines", lang))
    _signatures(sheet, ("docs.sign.finance", "docs.sign.customer"), lang)
    return sheet.output()


# ---------------------------------------------------------------- the certificate
def certificate(
    session: Session, certificate_no: str, *, actor: Any, lang: str = "zh", now: dt.datetime
) -> bytes:
    """The training certificate: attendee, course, date, score, number, expiry."""
    c = training_da.certificate(session, actor, certificate_no)
    if c is None:
        raise DocumentNotFound("certificate", certificate_no)
    check_font()
    title = (c["title_en"] if lang == "en" else None) or c["title_zh"]
    course = f"{c['course']} {title}"
    held_on = c["starts_at"].date()
    a = ATTENDANCE.field
    sheet = _sheet(session, "docs.title.certificate", c["certificate_no"], lang, now)
    sheet.pdf.ln(6)
    sheet.pdf.set_font_size(13)
    sheet.pdf.multi_cell(0, 9, t("docs.label.certify", lang, name=c["name"], course=title),
                         align="C", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    sheet.pdf.set_font_size(9.5)
    sheet.pdf.ln(4)
    sheet.heading(t("docs.sec.certificate", lang))
    expires = c["certificate_expires"]
    sheet.fields([
        (t("docs.label.attendee", lang), c["name"]),
        (a("customer").label(lang), c["customer_name"]),
        (a("job").label(lang), c["job"]),
        (t("docs.label.course", lang), course),
        (t("docs.label.session", lang), c["session_no"]),
        (t("docs.label.held_on", lang), held_on),
        (t("docs.label.score", lang), _num(c["test_score"])),
        (a("practical").label(lang), _val(a("practical"), c["practical"], lang)),
        (a("result").label(lang), _val(a("result"), c["result"], lang)),
        (a("certificate_no").label(lang), c["certificate_no"]),
        (t("docs.label.valid_until", lang), expires or t("docs.label.never_expires", lang)),
        (t("docs.label.trainer", lang), c["trainer"]),
    ])  # fmt: skip
    _signatures(sheet, ("docs.sign.trainer", "docs.sign.issuer"), lang)
    return sheet.output()


BUILDERS: dict[str, Callable[..., bytes]] = {
    "service_form": service_form,
    "visit": visit_record,
    "complaint": complaint_report,
    "statement": statement,
    "certificate": certificate,
}


def build(
    session: Session, kind: str, number: str, *, actor: Any, lang: str = "zh", now: dt.datetime
) -> bytes:
    """The document ``kind`` with this number as PDF bytes (see :data:`KINDS`)."""
    return BUILDERS[kind](session, number.strip(), actor=actor, lang=lang, now=now)


def file_name(kind: str, number: str) -> str:
    return f"{kind}-{number.strip()}.pdf"


# ---------------------------------------------------------------- command line
class UnknownUser(Refused):
    def __init__(self, username: str | None):
        key = "docs.err.no_user" if username else "docs.err.no_admin"
        super().__init__(key, value=username or "")


def acting_user(session: Session, username: str | None) -> Actor:
    """The named active user, or the oldest active administrator (the command line's
    default, as ``python -m data_access.users``)."""
    q = select(User.id, User.role).where(User.is_active.is_(true()))
    if username:
        q = q.where(User.username == username.strip())
    else:
        q = q.where(User.role == Role.ADMIN).order_by(User.id).limit(1)
    found = session.execute(q).first()
    if found is None:
        raise UnknownUser(username)
    return Actor(found.id, found.role)


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy import inspect
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from data_access import db

    parser = argparse.ArgumentParser(prog="python -m data_access.documents",
                                     description="Print a document as PDF.")  # fmt: skip
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("number", help="ticket, visit, complaint, statement or certificate no.")
    parser.add_argument("--out", type=Path, help="the PDF to write (default: <kind>-<no>.pdf)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--user", help="act as this user (default: the oldest active admin)")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or data/aftersales.db)")
    args = parser.parse_args(argv)
    lang = args.lang
    out = args.out or Path(file_name(args.kind, args.number))
    engine = db.make_engine(args.url or db.database_url())
    try:
        if not inspect(engine).has_table(User.__tablename__):
            print(t("docs.err.no_tables", lang), file=sys.stderr)
            return 2
        with db.read(engine) as session:
            actor = acting_user(session, args.user)
            data = build(session, args.kind, args.number, actor=actor, lang=lang,
                         now=dt.datetime.now().replace(microsecond=0))  # fmt: skip
    except (OperationalError, ProgrammingError) as exc:
        print(f"{t('docs.err.no_tables', lang)} ({type(exc.orig).__name__})", file=sys.stderr)
        return 2
    except Refused as exc:
        print(message(exc, lang), file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(t("docs.cli.cannot_write", lang, path=out, reason=exc.strerror or exc),
              file=sys.stderr)  # fmt: skip
        return 2
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    print(t("docs.cli.written", lang, path=out, pages=pages, size=len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
