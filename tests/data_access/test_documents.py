"""Printed documents: the text read back from each PDF holds the record's figures, in both
languages; a long statement spans pages with its heading row repeated; a role that may
not see the record is refused; unknown numbers and a missing font say so; the command
line writes a PDF or exits 2."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import time
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from data_access import complaints as complaints_da
from data_access import db, demo
from data_access import documents as docs
from data_access import fees as fees_da
from data_access import maintenance as maintenance_da
from data_access import training as training_da
from data_access.errors import NotAllowed
from data_access.models import (
    Complaint,
    FeeLine,
    FeeQuote,
    MaintenanceVisit,
    Payment,
    Settlement,
    Ticket,
    TicketPart,
    TrainingAttendance,
    User,
    VisitResultLine,
)
from data_access.settings import get_setting
from rules import fees as fee_rules
from rules.access import Actor, Role
from tests.actors import ADMIN
from tests.helpers import copy_sqlite

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 3, 2, 9, 30)


def read_pdf(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF")
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def text_of(data: bytes) -> str:
    return "\n".join(read_pdf(data))


def squeeze(text: str) -> str:
    """The text without line breaks (a table cell may wrap a long value)."""
    return text.replace("\n", "").replace(" ", "")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("documents") / "demo.db"
    engine = copy_sqlite(sqlite_template, path)
    demo.load(engine, customers=12, tickets=160)
    yield engine, path
    engine.dispose()


@pytest.fixture
def engine(demo_db):
    return demo_db[0]


def _first(engine, query):
    with db.read(engine) as s:
        return s.execute(query).first()


def _money(v: D) -> str:
    return f"{v:,.2f}"


# ---------------------------------------------------------------- the figures
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_service_form_has_ticket_parts_and_quantities(engine, lang):
    ticket_id = _first(engine, select(TicketPart.ticket_id).order_by(TicketPart.id))[0]
    with db.read(engine) as s:
        ticket_no = s.scalar(select(Ticket.ticket_no).where(Ticket.id == ticket_id))
        parts = s.execute(
            select(TicketPart.part_no, TicketPart.qty).where(TicketPart.ticket_id == ticket_id)
        ).all()
        data = docs.service_form(s, ticket_no, actor=ADMIN, lang=lang, now=NOW)
    text = text_of(data)
    title = "现场服务登记表" if lang == "zh" else "On-site service form"
    assert title in text and ticket_no in text
    signature = "客户签字" if lang == "zh" else "Customer's signature"
    assert signature in text
    rows = [ln.split() for ln in text.splitlines()]
    for part_no, qty in parts:
        # the line's row: its part number and, in the quantity column, its quantity
        assert any(part_no in row and str(qty) in row for row in rows), (part_no, qty)
    assert "2026-03-02 09:30" in text  # printed at
    assert ("页 1/" if lang == "zh" else "Page 1/") in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_statement_totals_and_balance_are_the_fees_figures(engine, lang):
    # a statement with a payment and something still outstanding, if the demo has one
    with db.read(engine) as s:
        heads = fees_da.statement_rows(s, limit=1000)
        with_paid = [h for h in heads if h["paid"] and h["outstanding"]] or [
            h for h in heads if h["paid"]
        ]
        head = with_paid[0]
        no = head["settlement_no"]
        lines = fees_da.statement_lines(s, no)
        sums = fee_rules.totals(lines)
        payments = fees_da.statement_payments(s, no)
        data = docs.statement(s, no, actor=ADMIN, lang=lang, now=NOW)
    text = text_of(data)
    assert no in text
    label = {"zh": ("应付合计", "已付", "余额（未付）"), "en": ("Total due", "Paid", "Balance")}
    total_l, paid_l, balance_l = label[lang]
    assert f"{total_l} {_money(head['total'])}" in text
    assert f"{paid_l} {_money(head['paid'])}" in text
    assert f"{_money(head['outstanding'])}" in text.split(balance_l, 1)[1].splitlines()[0]
    assert _money(sums["list_amount"]) in text and _money(sums["discount"]) in text
    assert head["total"] == sums["amount"]  # the fees functions agree with themselves
    flat = squeeze(text)
    for ln in lines:
        assert _money(ln["amount"]) in flat
    for p in payments:
        assert p["payment_no"] in flat and _money(p["amount"]) in flat


def test_statement_prints_the_warranty_rule_of_each_line(tmp_path, sqlite_template):
    engine = copy_sqlite(sqlite_template, tmp_path / "warranty.db")
    demo.load(engine, customers=4, tickets=30)
    try:
        no = _statement_of(engine, [("warranty", D(0)), ("rate_card", D("12.50"))])
        with db.read(engine) as s:
            zh = squeeze(text_of(docs.statement(s, no, actor=ADMIN, lang="zh", now=NOW)))
            en = squeeze(text_of(docs.statement(s, no, actor=ADMIN, lang="en", now=NOW)))
    finally:
        engine.dispose()
    assert "保修期内免费" in zh and "按价目表收费" in zh
    assert "Inwarranty:free" in en and "Ratecard" in en


def test_visit_record_lists_the_parts_the_visit_used(engine):
    from data_access import parts as parts_da
    from data_access.models import Part, StockBalance, Warehouse

    found = _first(
        engine,
        select(MaintenanceVisit.id, MaintenanceVisit.visit_no, MaintenanceVisit.engineer_id,
               Part.part_no, Part.name)
        .join(Warehouse, (Warehouse.user_id == MaintenanceVisit.engineer_id)
              & (Warehouse.kind == "van"))
        .join(StockBalance, (StockBalance.warehouse_id == Warehouse.id) & (StockBalance.qty > 1))
        .join(Part, Part.id == StockBalance.part_id)
        .order_by(MaintenanceVisit.id, Part.part_no),
    )  # fmt: skip
    assert found is not None, "the demo has a visit whose engineer carries parts"
    visit_id, visit_no, engineer_id, part_no, name = found
    from data_access.models import StockMovement

    with db.write(engine) as s:
        after = s.scalar(select(func.max(StockMovement.at))) + dt.timedelta(minutes=1)
        doc = parts_da.issue_for_visit(s, visit_id, visit_no, engineer_id,
                                       [parts_da.Line(part_no, 2)], at=after, now=after,
                                       user_id=None)  # fmt: skip
    with db.read(engine) as s:
        flat = squeeze(text_of(docs.visit_record(s, visit_no, actor=ADMIN, lang="en", now=NOW)))
    assert squeeze(f"{doc}{part_no}{name}2") in flat


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_visit_record_has_the_checklist_lines(engine, lang):
    visit_id, visit_no = _first(
        engine,
        select(MaintenanceVisit.id, MaintenanceVisit.visit_no)
        .join(VisitResultLine, VisitResultLine.visit_id == MaintenanceVisit.id)
        .order_by(MaintenanceVisit.id),
    )
    with db.read(engine) as s:
        items = s.scalars(
            select(VisitResultLine.item).where(VisitResultLine.visit_id == visit_id)
        ).all()
        data = docs.visit_record(s, visit_no, actor=ADMIN, lang=lang, now=NOW)
    text = text_of(data)
    flat = squeeze(text)
    assert ("设备保养记录" if lang == "zh" else "Maintenance visit record") in text
    assert visit_no in flat
    for item in items:
        assert squeeze(item) in flat


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_complaint_report_has_cause_actions_and_capa(engine, lang):
    no = _first(
        engine,
        select(Complaint.complaint_no)
        .where(Complaint.root_cause.is_not(None), Complaint.capa_status.is_not(None))
        .order_by(Complaint.id),
    )[0]
    with db.read(engine) as s:
        d = complaints_da.complaint_detail(s, no, actor=ADMIN)
        data = docs.complaint_report(s, no, actor=ADMIN, lang=lang, now=NOW)
    flat = squeeze(text_of(data))
    assert no in flat and squeeze(d["root_cause"]) in flat
    for action in d["actions"]:
        assert squeeze(action["description"]) in flat
    assert ("纠正与预防措施" if lang == "zh" else "Correctiveandpreventiveaction") in flat
    assert squeeze(d["capa_criterion"]) in flat


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_certificate_has_number_attendee_score_and_expiry(engine, lang):
    row = _first(
        engine,
        select(TrainingAttendance.certificate_no)
        .where(TrainingAttendance.certificate_no.is_not(None),
               TrainingAttendance.test_score.is_not(None),
               TrainingAttendance.certificate_expires.is_not(None))
        .order_by(TrainingAttendance.id),
    )  # fmt: skip
    with db.read(engine) as s:
        c = training_da.certificate(s, ADMIN, row[0])
        data = docs.certificate(s, row[0], actor=ADMIN, lang=lang, now=NOW)
    text = text_of(data)
    assert c["certificate_no"] in text and c["name"] in text
    assert c["certificate_expires"].isoformat() in text
    assert c["starts_at"].date().isoformat() in text
    score = c["test_score"]
    assert str(int(score) if score == int(score) else score) in text
    assert ("培训合格证书" if lang == "zh" else "Training certificate") in text


def test_company_name_from_the_settings_heads_every_document(engine):
    with db.read(engine) as s:
        company = get_setting(s, docs.COMPANY_SETTING)
        no = s.scalar(select(Settlement.settlement_no).limit(1))
        text = text_of(docs.statement(s, no, actor=ADMIN, lang="en", now=NOW))
    assert company and text.splitlines()[0] == company


# ---------------------------------------------------------------- a long statement
def _statement_of(engine, lines: list[tuple[str, D]]) -> str:
    """A ticket with these (rule, unit price) fee lines settled into one statement (the
    fees path settles them)."""
    with db.write(engine) as s:
        ticket = s.scalars(
            select(Ticket)
            .where(~Ticket.id.in_(select(FeeQuote.ticket_id).where(FeeQuote.ticket_id.isnot(None))))
            .order_by(Ticket.id)
        ).first()
        assert ticket is not None
        doc = FeeQuote(doc_no=ticket.ticket_no, ticket_id=ticket.id, status="draft")
        s.add(doc)
        s.flush()
        s.add_all(
            FeeLine(doc_id=doc.id, doc_no=ticket.ticket_no, ticket_id=ticket.id, line_no=i, kind="parts", part_no=f"P-{i:04d}",
                    description=f"配件 {i}", qty=D(i % 3 + 1), unit_price=price,
                    list_amount=price * (i % 3 + 1), rule=rule, discount_pct=D(0),
                    discount=D(0), amount=price * (i % 3 + 1))
            for i, (rule, price) in enumerate(lines, start=1)
        )  # fmt: skip
        s.flush()
        return fees_da.settle_ticket(s, ticket.ticket_no, actor=ADMIN, now=NOW)


def test_a_200_line_statement_spans_pages_with_its_heading_repeated(tmp_path, sqlite_template):
    engine = copy_sqlite(sqlite_template, tmp_path / "long.db")
    demo.load(engine, customers=4, tickets=30)
    try:
        no = _statement_of(engine, [("rate_card", D("12.50"))] * 200)
        with db.read(engine) as s:
            head = fees_da.statement_rows(s, statement_no=no)[0]
            started = time.perf_counter()
            data = docs.statement(s, no, actor=ADMIN, lang="zh", now=NOW)
            took = time.perf_counter() - started
    finally:
        engine.dispose()
    pages = read_pdf(data)
    assert len(pages) > 1
    heading = "工单/保养单号 行号 费用类别 说明 数量 单价 标准金额 适用规则 折扣金额 净额"
    with_lines = [p for p in pages if "P-" in p or "配件 " in p]
    assert len(with_lines) > 1
    for page in with_lines:
        assert heading in page  # the table's heading row on every page it spans
    assert f"应付合计 {_money(head['total'])}" in "\n".join(pages)
    assert head["total"] == sum((D("12.50") * (i % 3 + 1) for i in range(1, 201)), D(0))
    print(f"\n200-line statement: {len(pages)} pages, {len(data):,} bytes, {took:.2f} s")


# ---------------------------------------------------------------- rights
def _user(engine, role: Role) -> Actor:
    with db.read(engine) as s:
        uid = s.scalar(select(User.id).where(User.role == role).order_by(User.id))
    return Actor(uid, role)


def test_roles_that_may_not_see_a_document_are_refused(engine):
    with db.read(engine) as s:
        ticket_no = s.scalar(select(Ticket.ticket_no).limit(1))
        visit_no = s.scalar(select(MaintenanceVisit.visit_no).limit(1))
        statement_no = s.scalar(select(Settlement.settlement_no).limit(1))
        cert = s.scalar(
            select(TrainingAttendance.certificate_no).where(
                TrainingAttendance.certificate_no.is_not(None)
            )
        )
        cases = [
            (docs.service_form, ticket_no, _user(engine, Role.TRAINER)),
            (docs.visit_record, visit_no, _user(engine, Role.QUALITY)),
            (docs.statement, statement_no, _user(engine, Role.ENGINEER)),
            (docs.certificate, cert, _user(engine, Role.AGENT)),
        ]
        for build, number, actor in cases:
            with pytest.raises(NotAllowed):
                build(s, number, actor=actor, lang="zh", now=NOW)


def test_an_engineer_prints_complaints_on_his_tickets_only(engine):
    engineer = _user(engine, Role.ENGINEER)
    with db.read(engine) as s:
        own = complaints_da.readable_by(engineer)
        mine = s.scalar(select(Complaint.complaint_no).where(own).limit(1))
        other = s.scalar(select(Complaint.complaint_no).where(~own).limit(1))
        assert mine and other
        assert mine in text_of(docs.complaint_report(s, mine, actor=engineer, now=NOW))
        with pytest.raises(NotAllowed):
            docs.complaint_report(s, other, actor=engineer, now=NOW)


def test_the_roles_of_the_page_may_print(engine):
    with db.read(engine) as s:
        ticket_no = s.scalar(select(Ticket.ticket_no).limit(1))
        visit_no = s.scalar(select(MaintenanceVisit.visit_no).limit(1))
        for role, build, number in (
            (Role.PARTS_KEEPER, docs.service_form, ticket_no),
            (Role.ENGINEER, docs.visit_record, visit_no),
        ):
            assert build(s, number, actor=_user(engine, role), now=NOW).startswith(b"%PDF")


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kind", docs.KINDS)
def test_an_unknown_number_is_named(engine, kind):
    with db.read(engine) as s, pytest.raises(docs.DocumentNotFound) as caught:
        docs.build(s, kind, "NO-SUCH-1", actor=ADMIN, lang="en", now=NOW)
    assert "NO-SUCH-1" in docs.message(caught.value, "en")
    assert docs.message(caught.value, "zh").startswith("找不到")


def test_without_a_cjk_font_the_message_names_the_package(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("PDF_FONT", str(tmp_path / "missing.ttf"))
    with db.read(engine) as s:
        no = s.scalar(select(Settlement.settlement_no).limit(1))
        with pytest.raises(docs.NoFont) as caught:
            docs.statement(s, no, actor=ADMIN, now=NOW)
    text = docs.message(caught.value, "zh")
    assert "fonts-wqy-microhei" in text and "missing.ttf" in text


def test_pdf_font_points_at_another_font(engine, monkeypatch):
    from data_access.pdf_layout import KNOWN_FONTS

    font = next(p for p in KNOWN_FONTS if Path(p).is_file())
    monkeypatch.setenv("PDF_FONT", font)
    with db.read(engine) as s:
        no = s.scalar(select(Settlement.settlement_no).limit(1))
        assert no in text_of(docs.statement(s, no, actor=ADMIN, now=NOW))


def test_payments_of_a_statement_sum_to_its_paid_figure(engine):
    with db.read(engine) as s:
        heads = fees_da.statement_rows(s, limit=1000)
        for h in heads[:20]:
            posted = fees_da.statement_payments(s, h["settlement_no"])
            assert sum((p["amount"] for p in posted), D(0)) == h["paid"]
        assert s.scalar(select(func.count(Payment.id))) > 0


# ---------------------------------------------------------------- command line
def _cli(path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    return subprocess.run(
        [sys.executable, "-m", "data_access.documents", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_cli_writes_a_pdf_and_exits_2_for_an_unknown_number(demo_db, tmp_path):
    engine, path = demo_db
    with db.read(engine) as s:
        ticket_no = s.scalar(select(Ticket.ticket_no).limit(1))
    out = tmp_path / "form.pdf"
    done = _cli(path, "service_form", ticket_no, "--out", str(out), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert ticket_no in text_of(out.read_bytes())
    missing = _cli(path, "statement", "JS-NOPE", "--out", str(tmp_path / "x.pdf"))
    assert missing.returncode == 2
    assert "JS-NOPE" in missing.stderr and "Traceback" not in missing.stderr
    assert not (tmp_path / "x.pdf").exists()
    refused = _cli(path, "statement", "JS-NOPE", "--user", "engineer")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    nobody = _cli(path, "visit", "X", "--user", "nobody-here")
    assert nobody.returncode == 2 and "nobody-here" in nobody.stderr


def test_an_empty_database_is_told_not_set_up(tmp_path):
    done = _cli(tmp_path / "empty.db", "statement", "JS-1")
    assert done.returncode == 2 and "Traceback" not in done.stderr


# ---------------------------------------------------------------- both databases
def test_every_document_builds_on_each_backend(db_engine):
    demo.load(db_engine, customers=4, tickets=30)
    with db.read(db_engine) as s:
        numbers = {
            "service_form": s.scalar(select(Ticket.ticket_no).limit(1)),
            "visit": s.scalar(select(MaintenanceVisit.visit_no).limit(1)),
            "complaint": s.scalar(select(Complaint.complaint_no).limit(1)),
            "statement": s.scalar(select(Settlement.settlement_no).limit(1)),
            "certificate": s.scalar(
                select(TrainingAttendance.certificate_no).where(
                    TrainingAttendance.certificate_no.is_not(None)
                )
            ),
        }
        for kind, number in numbers.items():
            assert number, kind
            data = docs.build(s, kind, number, actor=ADMIN, lang="en", now=NOW)
            assert number in squeeze(text_of(data)), kind
        assert maintenance_da.visit_record(s, numbers["visit"], actor=ADMIN)["results"] is not None
