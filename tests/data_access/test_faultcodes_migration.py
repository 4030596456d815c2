"""Migration 0011 on a database that holds data, on SQLite and PostgreSQL: tickets keep
their fault codes (a SQLite rebuild of fault_codes would empty them), symptoms and
articles' codes move to their new columns, and the downgrade gives them back."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from data_access import db

NOW = dt.datetime(2026, 11, 1)
ROWS = [
    "INSERT INTO fault_codes (id, code, name_zh, description, version, created_at, updated_at) "
    "VALUES (1, 'E1', '主轴过载', '主轴启动报警', 1, :n, :n)",
    "INSERT INTO customers (id, code, name, grade, version, created_at, updated_at) "
    "VALUES (1, 'C1', '客户', 'A', 1, :n, :n)",
    "INSERT INTO tickets (id, ticket_no, customer_id, channel, priority, status, "
    "fault_description, fault_code_id, received_at, escalation_level, remote_resolved, "
    "version, created_at, updated_at) VALUES (1, 'SR1', 1, 'phone', 'high', 'received', "
    "'x', 1, :n, 1, false, 1, :n, :n)",
    "INSERT INTO knowledge_articles (id, code, title, body, fault_code_id, version, "
    "created_at, updated_at) VALUES (1, 'KB1', '标题', '正文', 1, 1, :n, :n)",
]


def test_0011_keeps_the_data(migration_db):
    url, cfg = migration_db
    command.upgrade(cfg, "0011-1")
    engine = db.make_engine(url)
    with engine.begin() as c:
        for sql in ROWS:
            c.execute(text(sql), {"n": NOW})
    command.upgrade(cfg, "0011")
    with engine.begin() as c:
        assert c.execute(text("SELECT fault_code_id FROM tickets")).scalar() == 1
        assert c.execute(text("SELECT symptoms FROM fault_codes")).scalar() == "主轴启动报警"
        row = c.execute(
            text("SELECT title_zh, body_zh, fault_codes, status FROM knowledge_articles")
        )
        assert tuple(row.one()) == ("标题", "正文", "E1", "draft")
    command.downgrade(cfg, "-1")
    with engine.begin() as c:
        assert c.execute(text("SELECT fault_code_id FROM tickets")).scalar() == 1
        row = c.execute(text("SELECT title, body, fault_code_id FROM knowledge_articles"))
        assert tuple(row.one()) == ("标题", "正文", 1)
    engine.dispose()
