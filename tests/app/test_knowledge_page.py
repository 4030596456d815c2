"""Fault codes & knowledge page, and the public scan-to-report page (AppTest)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access import public_intake as P
from data_access.models import (
    Customer,
    Device,
    FaultCode,
    KnowledgeArticle,
    ProductModel,
    PublicRequest,
    Ticket,
)
from tests.actors import ADMIN
from tests.app.conftest import APP, CLOCK, signed_in


@pytest.fixture
def library(app_db):
    with db.write(app_db) as s:
        c = Customer(code="C1", name="恒达精密", grade="A", region="华东")
        m = ProductModel(code="VMC-850", name="立式加工中心 VMC-850", warranty_months=12)
        s.add_all([c, m])
        s.flush()
        d = Device(serial_no="VMC25000001", customer_id=c.id, model_id=m.id, location="一号车间")
        s.add(d)
        s.add(FaultCode(code="M201", name_zh="主轴异响", name_en="Spindle noise",
                        models="VMC-850", symptoms="主轴高速运转时有明显异响", severity="critical",
                        reviewed_at=CLOCK.date() - dt.timedelta(days=400)))  # fmt: skip
        s.add(KnowledgeArticle(code="KB0001", title_zh="主轴异响的处理", body_zh=(
            "**步骤**\n\n1. 更换主轴前轴承\n\n![追踪](https://evil.example/p.png)"),
            models="VMC-850", fault_codes="M201", status="published",
            reviewed_at=CLOCK.date()))  # fmt: skip
        s.flush()
        token = P.issue_token(s, d.id, actor=ADMIN, now=CLOCK)
    return app_db, token


def open_knowledge(username: str, lang: str = "zh") -> AppTest:
    at = signed_in(username, lang)
    at.switch_page("pages/knowledge.py").run()
    assert not at.exception
    return at


def test_search_shows_codes_and_a_safe_article(library):
    at = open_knowledge("engineer")
    at.text_input(key="knowledge.search").input("主轴高速异响").run()
    at.selectbox(key="knowledge.model").select("VMC-850").run()
    assert not at.exception
    assert "M201" in at.dataframe[0].value.to_string()
    shown = " ".join(m.value for m in at.markdown)
    assert "更换主轴前轴承" in shown
    assert "evil.example" not in shown and "［追踪］" in shown  # the image became its alt text
    assert any("外部图片" in c.value for c in at.caption)


def test_review_duty_is_stamped_by_quality(library):
    engine, _ = library
    at = open_knowledge("quality")
    at.multiselect(key="knowledge.review_pick").select("faultcodes:M201").run()
    at.button(key="knowledge.review_stamp").click().run()
    assert not at.exception
    assert any("已评审 1 条" in s.value for s in at.success)
    with db.read(engine) as s:
        assert s.scalar(select(FaultCode.reviewed_at)) == CLOCK.date()


def test_engineers_read_but_do_not_stamp_or_publish(library):
    at = open_knowledge("engineer")
    assert not [m for m in at.multiselect if m.key == "knowledge.review_pick"]
    assert not [b for b in at.button if b.key == "knowledge.publish"]
    assert "故障代码与知识库" in at.title[0].value


# ---------------------------------------------------------------- the public page
def public(query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["clock"] = CLOCK
    at.query_params.update(query)
    return at.run()


def test_public_report_opens_a_ticket_without_log_in(library):
    engine, token = library
    at = public({"r": token})
    assert not at.exception
    assert at.title[0].value == "设备报修"
    assert "一号车间" in at.caption[0].value
    assert not at.sidebar.radio  # no language switch, no menu: nothing of the staff app
    at.text_input(key="public.name").input("张伟")
    at.text_input(key="public.phone").input("138 1234 5678")
    at.text_area(key="public.text").input("主轴异响，设备停机")
    at.radio(key="public.urgency").set_value("down")
    at.button[1].click().run()  # [0] is the language toggle
    assert not at.exception
    [done] = at.success
    with db.read(engine) as s:
        t = s.scalar(select(Ticket))
        assert (t.channel, t.priority, t.contact_phone) == ("online", "emergency", "13812345678")
    assert t.ticket_no in done.value


def test_public_report_with_a_bad_link_or_phone(library):
    engine, token = library
    at = public({"r": "nope"})
    assert "链接无效" in at.error[0].value
    assert not [w for w in at.text_input if w.key == "public.phone"]  # no form
    at = public({"r": token})
    at.text_input(key="public.name").input("张伟")
    at.text_input(key="public.phone").input("12345")
    at.text_area(key="public.text").input("主轴异响，设备停机")
    at.button[1].click().run()
    assert any("电话号码无法识别" in e.value for e in at.error)
    with db.read(engine) as s:
        assert s.scalar(select(Ticket)) is None
        assert s.scalars(select(PublicRequest.outcome)).all() == ["invalid_input"]


def test_status_lookup_page(library):
    engine, token = library
    with db.write(engine) as s:
        from rules.faultcodes import RepairForm

        done = P.submit_report(s, token, RepairForm("张伟", "13812345678", "主轴异响停机", "normal"),
                               client="x", now=CLOCK)  # fmt: skip
    at = public({"status": "1"})
    at.text_input[0].input(done.ticket_no)
    at.text_input[1].input("13900000000")
    at.button[1].click().run()
    assert "找不到" in at.warning[0].value
    at.text_input[1].input("13812345678")
    at.button[1].click().run()
    assert "已受理" in at.info[0].value or "状态" in at.info[0].value


# ---------------------------------------------------------------- the ticket detail
def test_ticket_detail_suggests_and_sets_the_fault_code(library, tmp_path, monkeypatch):
    import io

    from PIL import Image

    from rules.faultcodes import RepairForm

    engine, token = library
    monkeypatch.setenv("AFTERSALES_UPLOAD_DIR", str(tmp_path))
    png = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(png, format="PNG")
    with db.write(engine) as s:
        form = RepairForm("张伟", "13812345678", "主轴高速异响", "normal")
        done = P.submit_report(s, token, form, client="x", now=CLOCK, photo=png.getvalue())
        ticket_id = s.scalar(select(Ticket.id))
    at = signed_in("agent")
    at.switch_page("pages/tickets.py").run()
    next(r for r in at.radio if r.key.startswith("tickets.view")).set_value("detail").run()
    at.text_input(key="tickets.detail_no").input(done.ticket_no).run()
    assert not at.exception
    assert any("M201" in c.value and "KB0001" in c.value for c in at.caption)  # suggestions
    assert len(at.get("image")) == 1  # the photo sent with the report
    at.selectbox(key=f"tickets.fault_pick.{ticket_id}").set_value("M201").run()
    at.button(key=f"tickets.fault_set.{ticket_id}").click().run()
    assert not at.exception
    with db.read(engine) as s:
        assert (
            s.scalar(select(FaultCode.code).join(Ticket, Ticket.fault_code_id == FaultCode.id))
            == "M201"
        )


def test_devices_tab_makes_the_label_sheet_and_rotates_a_link(library):
    engine, token = library
    at = signed_in("agent")
    at.switch_page("pages/customers.py").run()
    at.button(key="customers.qr.sheet").click().run()
    assert not at.exception
    at.text_input(key="customers.qr.serial").input("VMC25000001")
    at.button(key="customers.qr.rotate").click().run()
    assert not at.exception and any(s.value == "已完成" for s in at.success)
    with db.read(engine) as s:
        assert P.device_for_token(s, token) is None  # the old label no longer works


def test_an_engineer_proposes_an_article_from_a_solved_ticket(library):
    from data_access.models import User
    from rules.faultcodes import RepairForm

    engine, token = library
    with db.write(engine) as s:
        done = P.submit_report(s, token, RepairForm("张伟", "13812345678", "主轴异响停机", "normal"),
                               client="x", now=CLOCK)  # fmt: skip
        t = s.scalar(select(Ticket))
        t.status = "repaired"
        t.engineer_id = s.scalar(select(User.id).where(User.username == "engineer"))
    at = open_knowledge("engineer")
    box = next(w for w in at.text_input if w.label == "工单号")
    box.input(done.ticket_no)
    next(b for b in at.button if b.label == "提出草稿").click().run()
    assert not at.exception
    assert any("KB0002" in s.value for s in at.success)
    with db.read(engine) as s:
        a = s.scalar(select(KnowledgeArticle).where(KnowledgeArticle.code == "KB0002"))
        assert (a.status, a.fault_codes) == ("draft", None)
