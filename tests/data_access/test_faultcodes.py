"""Fault codes, articles, review duty and ticket diagnosis on SQLite and PostgreSQL:
imports with unknown models or parts write nothing, rights are checked in the data layer."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import xlsxwriter
from sqlalchemy import func, select

from data_access import db
from data_access import knowledge as K
from data_access import tickets as T
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.models import (
    AuditLog,
    Customer,
    Device,
    FaultCode,
    KnowledgeArticle,
    Part,
    ProductModel,
    Ticket,
    TicketEvent,
)
from data_access.registers import save_changes
from data_access.users import create_user
from imports.engine import import_file
from rules.access import Actor, Role
from rules.faultcodes import ReviewStatus
from rules.i18n import t
from tests.actors import ADMIN

NOW = dt.datetime(2026, 11, 23, 10, 0)
TODAY = NOW.date()
HEAD = ["故障代码", "故障名称", "适用型号", "故障现象", "常用配件", "标准工时", "严重程度"]


def xlsx(rows: list[list]) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_numbers": False})
    ws = wb.add_worksheet("故障代码库")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if v is not None:
                ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()


@pytest.fixture
def lib(db_engine):
    """A customer with a VMC-850, a part, users (quality, two engineers, agent), a
    ticket on the device held by the first engineer, two fault codes, one article."""
    ids = {}
    with db.write(db_engine) as s:
        for role, name in ((Role.QUALITY, "quality"), (Role.ENGINEER, "eng1"),
                           (Role.ENGINEER, "eng2"), (Role.AGENT, "agent")):  # fmt: skip
            ids[name] = create_user(s, name, "a-long-password-1", role, name).id
        c = Customer(code="C1", name="恒达精密", grade="A", region="华东")
        m = ProductModel(code="VMC-850", name="立式加工中心 VMC-850", warranty_months=12)
        s.add_all([c, m, ProductModel(code="AC-37", name="螺杆空压机", warranty_months=12)])
        s.add(Part(part_no="000108", name="主轴前轴承", uom="个"))
        s.flush()
        d = Device(serial_no="VMC25000001", customer_id=c.id, model_id=m.id, location="一号车间")
        s.add(d)
        s.add(FaultCode(code="M201", name_zh="主轴异响", name_en="Spindle noise",
                        models="VMC-850", symptoms="主轴高速运转时有明显异响",
                        reviewed_at=TODAY - dt.timedelta(days=400)))  # fmt: skip
        s.add(FaultCode(code="P601", name_zh="排气温度过高", models="AC-37",
                        symptoms="空压机排气温度超过 105℃ 停机",
                        reviewed_at=TODAY - dt.timedelta(days=10)))  # fmt: skip
        s.add(KnowledgeArticle(code="KB0001", title_zh="主轴异响的处理", body_zh="更换主轴前轴承",
                               models="VMC-850", fault_codes="M201", status="published",
                               reviewed_at=TODAY - dt.timedelta(days=350)))  # fmt: skip
        s.flush()
        ticket = T.create_ticket(
            s, customer_id=c.id, channel="phone", priority="high",
            fault_description="主轴高速时异响很大", received_at=NOW, actor=ADMIN, now=NOW,
            device_id=d.id, contact_phone="13812345678",
        )  # fmt: skip
        ticket.engineer_id = ids["eng1"]
        ids["ticket"], ids["ticket_no"] = ticket.id, ticket.ticket_no
    return db_engine, ids


def actor(ids, name, role) -> Actor:
    return Actor(ids[name], role)


def n_codes(engine) -> int:
    with db.read(engine) as s:
        return s.scalar(select(func.count(FaultCode.id)))


# ---------------------------------------------------------------- registers
def test_import_normalises_lists_and_checks_them(lib):
    engine, _ = lib
    data = xlsx(
        [
            HEAD,
            ["E101", "主轴过载", "VMC-850，AC-37、VMC-850", "过载报警", " 000108 ", "2.5", "严重"],
        ]
    )
    with db.write(engine) as s:
        report = import_file(s, "faultcodes", data, file_name="f.xlsx", now=NOW, actor=ADMIN)
    assert report.problems == [] and report.inserted == 1
    with db.read(engine) as s:
        fc = s.scalar(select(FaultCode).where(FaultCode.code == "E101"))
        assert (fc.models, fc.parts, fc.labour_hours, fc.severity) == (
            "VMC-850, AC-37", "000108", Decimal("2.5"), "critical")  # fmt: skip


@pytest.mark.parametrize(
    ("models", "parts", "code", "value"),
    [
        ("VMC-850, XK-9", "000108", "faultcodes.err.unknown_models", "XK-9"),
        ("VMC-850", "000108, 999999", "faultcodes.err.unknown_parts", "999999"),
    ],
)
def test_import_naming_an_unknown_model_or_part_writes_nothing(lib, models, parts, code, value):
    engine, _ = lib
    before = n_codes(engine)
    data = xlsx([HEAD, ["E101", "主轴过载", "VMC-850", "", "000108", "", ""],
                 ["E102", "编码器故障", models, "", parts, "", ""]])  # fmt: skip
    with pytest.raises(Refused) as refused, db.write(engine) as s:
        import_file(s, "faultcodes", data, file_name="f.xlsx", now=NOW, actor=ADMIN)
    assert refused.value.code == code
    assert refused.value.params == {"row": "E102", "value": value}
    message = t(code, "zh", **refused.value.params)
    assert "E102" in message and value in message
    assert n_codes(engine) == before  # the good row was not written either


def test_grid_save_of_an_article_naming_an_unknown_code_is_refused(lib):
    engine, ids = lib
    row = {"code": "KB0009", "title_zh": "t", "body_zh": "b", "status": "draft",
           "fault_codes": "M201, X999"}  # fmt: skip
    with pytest.raises(Refused) as refused, db.write(engine) as s:
        save_changes(s, "articles", inserts=[row], updates=[], deletes=[],
                     actor=actor(ids, "quality", Role.QUALITY), now=NOW)  # fmt: skip
    assert refused.value.params == {"row": "KB0009", "value": "X999"}
    with db.read(engine) as s:
        assert s.scalar(select(func.count(KnowledgeArticle.id))) == 1


def test_engineers_may_not_edit_the_library(lib):
    engine, ids = lib
    row = {"code": "E9", "name_zh": "x"}
    with pytest.raises(NotAllowed), db.write(engine) as s:
        save_changes(s, "faultcodes", inserts=[row], updates=[], deletes=[],
                     actor=actor(ids, "eng1", Role.ENGINEER), now=NOW)  # fmt: skip


# ---------------------------------------------------------------- review duty
def test_review_duty_lists_what_is_due_and_stamping_clears_it(lib):
    engine, ids = lib
    with db.read(engine) as s:
        duty = K.review_duty(s, TODAY)
    assert [(i.kind, i.key, i.status) for i in duty] == [
        ("faultcodes", "M201", ReviewStatus.OVERDUE),
        ("articles", "KB0001", ReviewStatus.DUE),
    ]
    quality = actor(ids, "quality", Role.QUALITY)
    with db.write(engine) as s:
        assert K.stamp_review(s, "faultcodes", ["M201"], actor=quality, now=NOW) == 1
        K.stamp_review(s, "articles", ["KB0001"], actor=quality, now=NOW)
    with db.read(engine) as s:
        fc = s.scalar(select(FaultCode).where(FaultCode.code == "M201"))
        assert (fc.reviewed_at, fc.reviewed_by_id) == (TODAY, ids["quality"])
        assert K.review_duty(s, TODAY) == []
        assert s.scalar(select(func.count()).where(AuditLog.entity == "faultcodes")) == 1


def test_review_stamps_need_quality_rights_and_known_keys(lib):
    engine, ids = lib
    with pytest.raises(NotAllowed), db.write(engine) as s:
        K.stamp_review(s, "faultcodes", ["M201"], actor=actor(ids, "eng1", Role.ENGINEER), now=NOW)
    with pytest.raises(InvalidInput) as bad, db.write(engine) as s:
        K.stamp_review(s, "faultcodes", ["M201", "NOPE"], actor=ADMIN, now=NOW)
    assert bad.value.problems[0].params == {"value": "NOPE"}
    with db.read(engine) as s:  # all or nothing: M201 kept its old date
        assert s.scalar(select(FaultCode.reviewed_at).where(FaultCode.code == "M201")) < TODAY


# ---------------------------------------------------------------- diagnosis
@pytest.mark.parametrize(
    ("text", "codes"),
    [("m2", ["M201"]), ("异响", ["M201"]), ("AC-37", ["P601"]), ("", ["M201", "P601"]),
     ("100%", [])],
)  # fmt: skip
def test_search_codes(lib, text, codes):
    engine, _ = lib
    with db.read(engine) as s:
        assert [h.code for h in K.search_codes(s, text)] == codes


def test_suggestions_use_the_description_and_the_device_model(lib):
    engine, ids = lib
    with db.read(engine) as s:
        codes, articles = K.suggest_for_ticket(s, ids["ticket"])
    assert [c.code for c in codes] == ["M201"]
    assert [a.code for a in articles] == ["KB0001"]


def test_setting_the_fault_code_of_a_ticket(lib):
    engine, ids = lib
    with db.write(engine) as s:
        K.set_ticket_fault_code(
            s, ids["ticket"], "M201", actor=actor(ids, "eng1", Role.ENGINEER), now=NOW
        )
    with db.read(engine) as s:
        assert K.fault_code_of(s, ids["ticket"]).code == "M201"
        notes = s.scalars(select(TicketEvent.note).where(TicketEvent.kind == "note")).all()
        assert notes == ["故障代码 fault code: - → M201"]
        audited = s.scalars(select(AuditLog.changes).where(AuditLog.entity == "tickets")).all()
        assert audited == [{"fault_code": [None, "M201"]}]
    with db.write(engine) as s:
        K.set_ticket_fault_code(
            s, ids["ticket"], None, actor=actor(ids, "agent", Role.AGENT), now=NOW
        )
    with db.read(engine) as s:
        assert K.fault_code_of(s, ids["ticket"]) is None


def test_fault_code_of_someone_elses_ticket_or_an_unknown_code_is_refused(lib):
    engine, ids = lib
    with pytest.raises(NotAllowed), db.write(engine) as s:
        K.set_ticket_fault_code(
            s, ids["ticket"], "M201", actor=actor(ids, "eng2", Role.ENGINEER), now=NOW
        )
    with pytest.raises(InvalidInput), db.write(engine) as s:
        K.set_ticket_fault_code(s, ids["ticket"], "X1", actor=ADMIN, now=NOW)
    with db.read(engine) as s:
        assert s.get(Ticket, ids["ticket"]).fault_code_id is None


# ---------------------------------------------------------------- proposing and publishing
def _solve(engine, ids, fault_code: str | None = "M201") -> None:
    with db.write(engine) as s:
        ticket = s.get(Ticket, ids["ticket"])
        ticket.status = "repaired"
        if fault_code:
            ticket.fault_code_id = s.scalar(
                select(FaultCode.id).where(FaultCode.code == fault_code)
            )


def test_engineer_proposes_quality_publishes(lib):
    engine, ids = lib
    eng = actor(ids, "eng1", Role.ENGINEER)
    with pytest.raises(InvalidInput) as unsolved, db.write(engine) as s:
        K.propose_article(s, ids["ticket_no"], actor=eng, now=NOW)
    assert unsolved.value.problems[0].code == "faultcodes.err.not_solved"
    _solve(engine, ids)
    with pytest.raises(NotAllowed), db.write(engine) as s:  # not their ticket
        K.propose_article(s, ids["ticket_no"], actor=actor(ids, "eng2", Role.ENGINEER), now=NOW)
    with db.write(engine) as s:
        code = K.propose_article(s, ids["ticket_no"], actor=eng, now=NOW)
    assert code == "KB0002"
    with db.read(engine) as s:
        a = s.scalar(select(KnowledgeArticle).where(KnowledgeArticle.code == code))
        assert (a.status, a.models, a.fault_codes, a.owner_id, a.source_ticket_id) == (
            "draft", "VMC-850", "M201", ids["eng1"], ids["ticket"])  # fmt: skip
        assert "主轴高速时异响很大" in a.body_zh
        assert [d.code for d in K.drafts(s)] == ["KB0002"]
    with pytest.raises(NotAllowed), db.write(engine) as s:
        K.set_article_status(s, code, "published", actor=eng, now=NOW)
    with db.write(engine) as s:
        K.set_article_status(
            s, code, "published", actor=actor(ids, "quality", Role.QUALITY), now=NOW
        )
    with db.read(engine) as s:
        a = s.scalar(select(KnowledgeArticle).where(KnowledgeArticle.code == code))
        assert (a.status, a.reviewed_at) == ("published", TODAY)


def test_a_retired_article_does_not_return_to_draft(lib):
    engine, _ = lib
    with db.write(engine) as s:
        K.set_article_status(s, "KB0001", "retired", actor=ADMIN, now=NOW)
    with pytest.raises(InvalidInput) as bad, db.write(engine) as s:
        K.set_article_status(s, "KB0001", "draft", actor=ADMIN, now=NOW)
    assert bad.value.problems[0].code == "faultcodes.err.transition"
    with db.read(engine) as s:  # retired articles are off the review duty
        assert [i.key for i in K.review_duty(s, TODAY)] == ["M201"]


# ---------------------------------------------------------------- review status in SQL
REVIEW_DAYS = [
    None,
    *(TODAY - dt.timedelta(days=n) for n in (0, 300, 334, 335, 336, 365, 366, 400)),
]


@pytest.mark.parametrize("today", [TODAY, dt.date(2028, 2, 29), dt.date(2027, 3, 1)])
@pytest.mark.parametrize("wanted", list(ReviewStatus))
def test_review_filter_in_sql_agrees_with_the_rule(db_engine, wanted, today):
    from data_access.faultcodes import review_clause
    from rules.faultcodes import review_status

    days = [*REVIEW_DAYS, dt.date(2027, 2, 28), dt.date(2026, 2, 28), dt.date(2026, 3, 1)]
    with db.write(db_engine) as s:
        for i, day in enumerate(days):
            s.add(FaultCode(code=f"F{i}", name_zh="x", reviewed_at=day))
    with db.read(db_engine) as s:
        got = set(
            s.scalars(
                select(FaultCode.code).where(review_clause(FaultCode.__table__, wanted, today))
            )
        )
    assert got == {f"F{i}" for i, day in enumerate(days) if review_status(day, today) == wanted}
