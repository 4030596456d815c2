"""Every status and kind the demo stores belongs to its domain's StrEnum in ``rules/``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access import demo
from data_access.models import Base
from rules import (
    complaints,
    faultcodes,
    fees,
    followups,
    maintenance,
    notifications,
    parts,
    training,
)
from rules.access import Role
from rules.customers import ContractStatus, Grade, WarrantyStatus
from rules.tickets import Channel, Priority, Status
from tests.helpers import copy_sqlite

T = Base.metadata.tables

COLUMNS = [
    ("users", "role", Role),
    ("customers", "grade", Grade),
    ("tickets", "status", Status),
    ("tickets", "priority", Priority),
    ("tickets", "channel", Channel),
    ("tickets", "warranty_status", WarrantyStatus),
    ("tickets", "contract_status", ContractStatus),
    ("ticket_events", "from_status", Status),
    ("ticket_events", "to_status", Status),
    ("sla_policies", "priority", Priority),
    ("knowledge_articles", "status", faultcodes.ArticleStatus),
    ("outbox", "status", notifications.OutboxStatus),
    ("maintenance_plans", "frequency", maintenance.Frequency),
    ("maintenance_plans", "kind", maintenance.PlanKind),
    ("maintenance_visits", "status", maintenance.VisitStatus),
    ("maintenance_visits", "result", maintenance.VisitResult),
    ("stock_movements", "kind", parts.MovementKind),
    ("stock_takes", "status", parts.StockTakeStatus),
    ("reorder_suggestions", "status", parts.SuggestionStatus),
    ("complaints", "status", complaints.Status),
    ("complaints", "channel", complaints.Channel),
    ("complaints", "category", complaints.Category),
    ("complaints", "severity", complaints.Level),
    ("complaints", "urgency", complaints.Level),
    ("complaints", "priority", complaints.Level),
    ("complaints", "capa_status", complaints.CapaStatus),
    ("complaints", "cause_category", complaints.CauseCategory),
    ("complaint_actions", "kind", complaints.ActionKind),
    ("complaint_actions", "status", complaints.ActionStatus),
    ("complaint_events", "kind", complaints.EventKind),
    ("followups", "outcome", followups.Outcome),
    ("satisfaction_reviews", "status", followups.ReviewStatus),
    ("followups", "status", followups.Status),
    ("followups", "reason", followups.Reason),
    ("followups", "mode", followups.Mode),
    ("training_courses", "audience", training.Audience),
    ("training_courses", "topic", training.Topic),
    ("training_courses", "delivery", training.Delivery),
    ("training_sessions", "phase", training.Phase),
    ("training_sessions", "status", training.SessionStatus),
    ("training_attendance", "kind", training.AttendeeKind),
    ("training_attendance", "presence", training.Presence),
    ("training_attendance", "practical", training.Practical),
    ("training_attendance", "result", training.Result),
    ("rate_card", "kind", fees.FeeKind),
    ("fee_lines", "kind", fees.FeeKind),
    ("fee_lines", "rule", fees.Rule),
    ("settlements", "status", fees.SettlementStatus),
    ("settlements", "kind", fees.SettlementKind),
    ("fee_quotes", "status", fees.QuoteStatus),
    ("fee_quotes", "confirmed_via", fees.ConfirmVia),
    ("rate_card", "basis", fees.Basis),
    ("payments", "method", fees.PaymentMethod),
    ("payments", "kind", fees.PaymentKind),
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, sqlite_template):
    # the demo is identical on both back-ends (test_demo proves it): SQLite is enough
    engine = copy_sqlite(sqlite_template, tmp_path_factory.mktemp("enums") / "demo.db")
    demo.load(engine, customers=30, tickets=400)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("table", "column", "enum"), COLUMNS, ids=lambda v: getattr(v, "__name__", v)
)
def test_demo_values_belong_to_the_enum(demo_db, table, column, enum):
    col = T[table].c[column]
    with demo_db.connect() as conn:
        stored = set(conn.execute(select(col).distinct().where(col.is_not(None))).scalars())
    assert stored, f"the demo leaves {table}.{column} empty"
    assert stored <= {e.value for e in enum}, stored - {e.value for e in enum}


def test_every_status_column_is_checked():
    checked = {(t, c) for t, c, _ in COLUMNS}
    status_columns = {
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if c.name == "status" or c.name.endswith("_status")
    }
    assert status_columns <= checked, status_columns - checked
