"""Fees: the rate card, a ticket's fee lines, quotes, statements and payments.

Register writes (grid saves, imports) price every fee line in ``FeeLineHooks.after_write``
by the one coverage rule of :mod:`rules.fees`; the commands below (build from the
service report, quote, confirm, settle, pay, bank statement) write through the same
path or, for the statement and quote headers, audit every amount they set.

After the customer confirmed a quote, a fee line changes only with a reason given for
that change, by a manager; each such change is in the audit log (who, when, field, old,
new, reason). A settled line is locked: corrections are adjustment lines.

The module is the fees' one name for callers: :mod:`data_access.fee_lines` (a
document's lines, quote and confirmation), :mod:`data_access.fee_statements`
(statements, payments, receivables) and, here, the fee audit. A bank statement file is
read and posted by :mod:`imports.bank_statement`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import audit
from data_access.fee_lines import (
    QuoteView,
    bill_visit,
    billable_visit,
    build_lines,
    confirm,
    customer_travel,
    engineer_level,
    job_of,
    quote,
    quote_of,
    save_fee_lines,
    ticket_lines,
    visit_job,
)
from data_access.fee_statements import (
    monthly_totals,
    receivables,
    record_payment,
    settle_month,
    settle_months,
    settle_ticket,
    statement_display,
    statement_for_memo,
    statement_lines,
    statement_of,
    statement_payments,
    statement_rows,
)
from data_access.models import AuditLog

__all__ = [
    "FEE_ENTITIES",
    "QuoteView",
    "bill_visit",
    "billable_visit",
    "build_lines",
    "confirm",
    "customer_travel",
    "engineer_level",
    "fee_audit",
    "fee_audit_display",
    "job_of",
    "monthly_totals",
    "quote",
    "quote_of",
    "receivables",
    "record_payment",
    "save_fee_lines",
    "settle_month",
    "settle_months",
    "settle_ticket",
    "statement_display",
    "statement_for_memo",
    "statement_lines",
    "statement_of",
    "statement_payments",
    "statement_rows",
    "ticket_lines",
    "visit_job",
]

FEE_ENTITIES = ("fees", "ratecard", "payments", "fee_change", "fee_quote", "settlements")


# ---------------------------------------------------------------- the fee audit
def fee_audit(session: Session, limit: int | None = 2000) -> list[dict[str, Any]]:
    """Every audited fee event, newest first: rate card, lines, quotes, statements,
    payments (who, when, what, old → new, reason)."""
    a = AuditLog
    stmt = (
        select(a.id, a.at, a.username, a.entity, a.entity_key, a.action, a.changes)
        .where(a.entity.in_(FEE_ENTITIES))
        .order_by(a.at.desc(), a.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in session.execute(stmt)]


def fee_audit_display(session: Session) -> list[tuple]:
    """The fee audit as display tuples in :data:`data_access.audit.AUDIT_LOG` order."""
    return list(audit.display_rows(fee_audit(session, limit=None)))
