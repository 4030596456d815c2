"""Training page: the trainer's sessions with the attendance grid and sheet export,
coverage, courses, feedback and programmes; agents see coverage only."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from data_access import db
from data_access.lines import save_lines
from data_access.models import Customer, Device, ProductModel, TrainingSession, User
from data_access.registers import save_changes
from data_access.sla_config import seed_sla_defaults
from tests.actors import ADMIN
from tests.app.conftest import CLOCK, signed_in

NOW = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
def training_db(app_db):
    with db.write(app_db) as s:
        seed_sla_defaults(s)
        c1 = Customer(code="C1", name="甲公司", region="华东")
        c2 = Customer(code="C2", name="乙公司", region="华北")
        m1 = ProductModel(code="M1", name="加工中心")
        s.add_all([c1, c2, m1])
        s.flush()
        s.add_all(
            [
                Device(serial_no="S1", customer_id=c1.id, model_id=m1.id),
                Device(serial_no="S2", customer_id=c2.id, model_id=m1.id),
            ]
        )
        s.flush()
        trainer = s.query(User).filter_by(username="trainer").one()

        def save(register, rows):
            result = save_changes(
                s, register, inserts=rows, updates=[], deletes=[], actor=ADMIN, now=NOW
            )
            assert result.problems == []

        save("courses", [{"code": "OP-M1", "title_zh": "操作培训", "title_en": "Operation",
                          "topic": "operation", "delivery": "online_live",
                          "audience": "operators", "pass_mark": 70, "validity_months": 12,
                          "models": "M1", "active": True}])  # fmt: skip
        save("training_sessions", [{"session_no": "PX-1", "course": "OP-M1", "customer": "C1",
                                    "trainer": trainer.username,
                                    "starts_at": dt.datetime(2026, 11, 2, 9), "capacity": 10,
                                    "status": "held"}])  # fmt: skip
        result = save_lines(s, "attendance", "PX-1", [
            {"kind": "contact", "name": "王伟", "presence": "present", "test_score": 90, "rating": 5},
            {"kind": "contact", "name": "赵六", "presence": "absent"},
        ], actor=ADMIN, now=NOW)  # fmt: skip
        assert result.problems == []
    return app_db


def open_training(username: str, lang: str = "zh") -> AppTest:
    at = signed_in(username, lang)
    at.switch_page("pages/training.py").run()
    assert not at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.subheader]
    parts += [m.value for m in at.caption] + [m.value for m in at.text]
    parts += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_trainer_sees_sessions_grid_coverage_and_feedback(training_db):
    at = open_training("trainer")
    assert not at.error
    assert [t.label for t in at.tabs] == ["我的场次", "培训覆盖率", "课程", "学员反馈", "培训计划"]
    sessions = at.dataframe[0].value
    assert list(sessions["场次"]) == ["PX-1"]
    assert list(sessions["人数"]) == [2]
    # the attendance grid of the chosen session, with the derived result and certificate
    frame = at.data_editor[0].value
    assert list(frame["name"]) == ["王伟", "赵六"]
    assert frame["result"][0] == "passed" and frame["result"].isna()[1]
    assert frame["certificate_no"][0] == "CERT-PX-1-001"
    assert any(b.label == "导出签到表" for b in at.get("download_button"))
    text = _texts(at)
    assert "50.0%" in text  # one customer of two trained
    assert at.metric[0].delta == "1 / 2"
    assert at.metric[2].value == "—"  # no staff course required: no figure, not 0 %
    assert "尚未培训的客户（1）" in text


def test_agent_sees_coverage_only_for_their_region(training_db):
    at = open_training("agent")
    assert not at.error
    assert len(at.tabs) == 0
    text = _texts(at)
    assert "华东" in text and "100.0%" in text  # 甲公司 is their region's only customer
    assert "导出签到表" not in [b.label for b in at.get("download_button")]


def test_programme_applied_from_the_page(training_db):
    with db.write(training_db) as s:
        for topic, code in [("maintenance", "MT"), ("troubleshooting", "TS"), ("advanced", "AD")]:
            save_changes(s, "courses", inserts=[{"code": code, "title_zh": code, "topic": topic,
                         "delivery": "online_live", "audience": "maintainers", "active": True}],
                         updates=[], deletes=[], actor=ADMIN, now=NOW)  # fmt: skip
    at = open_training("trainer")
    at.text_input(key="training.prog_customer").input("C2")
    at.date_input(key="training.prog_start").set_value(dt.date(2026, 12, 2))
    at.button(key="training.prog_apply").click()
    at.run()
    assert not at.exception and not at.error
    assert any("PX-2026-0001" in s.value for s in at.success)
    with db.read(training_db) as s:
        assert s.query(TrainingSession).filter_by(customer_id=2).count() == 5


def test_unknown_customer_for_a_programme_is_a_clear_message(training_db):
    at = open_training("trainer", lang="en")
    at.text_input(key="training.prog_customer").input("NOPE")
    at.button(key="training.prog_apply").click()
    at.run()
    assert not at.exception
    assert at.error and "1" in at.error[0].value
    with db.read(training_db) as s:
        assert s.query(TrainingSession).count() == 1


def test_trainer_sets_the_coverage_targets(training_db):
    from data_access.models import AuditLog
    from data_access.settings import get_setting
    from rules.training import ROLE_COURSES_KEY

    at = open_training("trainer")
    at.multiselect(key="training.role.engineer").set_value(["OP-M1"])
    at.button(key="training.requirements_save").click()
    at.run()
    assert not at.exception and not at.error
    with db.read(training_db) as s:
        assert get_setting(s, ROLE_COURSES_KEY) == {"engineer": ["OP-M1"]}
        assert s.query(AuditLog).filter_by(entity_key=ROLE_COURSES_KEY).count() == 1
    # the figures are computed again (the page's cache was cleared): the engineer holds
    # no certificate of it, one gap, 0 %
    at.run()
    assert at.metric[2].value == "0.0%"


def test_a_new_installation_is_offered_its_programme(training_db):
    with db.write(training_db) as s:
        for topic, code in [("maintenance", "MT"), ("troubleshooting", "TS"), ("advanced", "AD")]:
            save_changes(s, "courses", inserts=[{"code": code, "title_zh": code, "topic": topic,
                         "delivery": "online_live", "audience": "maintainers", "active": True}],
                         updates=[], deletes=[], actor=ADMIN, now=NOW)  # fmt: skip
        device = s.query(Device).filter_by(customer_id=2).first()
        device.install_date = CLOCK.date() - dt.timedelta(days=3)
        serial = device.serial_no
    at = open_training("trainer", lang="en")
    at.toggle(key="training.prog_for").set_value(True).run()
    assert at.selectbox(key="training.prog_device").value == serial
    at.button(key="training.prog_apply").click().run()
    assert not at.exception and not at.error
    assert any("PX-" in s.value for s in at.success)
    with db.read(training_db) as s:
        assert s.query(TrainingSession).filter_by(customer_id=2).count() == 5
    at.run()
    assert any("Every installation" in i.value for i in at.info)
