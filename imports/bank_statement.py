"""A bank statement workbook: its rows read (date, amount, memo, reference; the header
found by its labels), and each posted as a payment of the statement its memo names, all
or nothing (:func:`data_access.fee_statements.statement_for_memo`,
:func:`data_access.fee_statements.record_payment`)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from data_access.errors import Refused
from data_access.fee_lines import need
from data_access.fee_statements import record_payment, statement_for_memo
from rules import fees as R
from rules.access import Acting, FeeAction

BANK_COLUMNS = {
    "date": ("日期", "交易日期", "到账日期", "date", "value date"),
    "amount": ("金额", "收入金额", "贷方金额", "amount", "credit"),
    "memo": ("摘要", "备注", "附言", "用途", "memo", "remark", "reference"),
    "ref": ("流水号", "交易流水号", "凭证号", "transaction id"),
}


@dataclass(frozen=True)
class BankRow:
    row: int
    paid_on: dt.date
    amount: Decimal
    memo: str
    ref: str | None


def read_bank_statement(data: bytes) -> list[BankRow]:
    """The rows of a bank statement workbook (first sheet, header on the first row that
    names the columns). Refused with the row and column of the first bad cell."""
    from openpyxl import load_workbook

    from rules.fields import ValueProblem, normalize_label, parse_date, parse_decimal

    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one message
        raise Refused("fees.err.bank_file", value=type(exc).__name__) from None
    wanted = {k: {normalize_label(x) for x in v} for k, v in BANK_COLUMNS.items()}
    for h, header in enumerate(rows[:20]):
        start = h + 1
        pos = {}
        for i, cell in enumerate(header):
            for k, names in wanted.items():
                if normalize_label(cell) in names and k not in pos:
                    pos[k] = i
        if {"date", "amount", "memo"} <= pos.keys():
            break
    else:
        raise Refused("fees.err.bank_columns", value="日期/金额/摘要")
    out = []
    for n, cells in enumerate(rows[start:], start=start + 1):
        if all(c in (None, "") for c in cells):
            continue
        got = {k: cells[i] if i < len(cells) else None for k, i in pos.items()}
        get = got.get
        try:
            day = parse_date(get("date"))
            amount = parse_decimal(get("amount"))
        except ValueProblem as exc:
            raise Refused(
                "fees.err.bank_value", row=n, column=exc.code, value=exc.params.get("value")
            ) from None
        if day is None or amount is None:
            raise Refused("fees.err.bank_value", row=n, column="日期/金额", value="")
        ref = get("ref")
        out.append(
            BankRow(
                n, day, R.money(amount), str(get("memo") or ""), None if ref is None else str(ref)
            )
        )
    return out


def import_bank_statement(
    session: Session, data: bytes, *, actor: Acting, now: dt.datetime
) -> list[str]:
    """Post each bank row as a payment of the statement its memo names (a statement no.,
    or a ticket no. whose open statement is meant). A row matching nothing, or an amount
    above what is outstanding, refuses the whole file: nothing is written."""
    need(actor, FeeAction.PAY, "bank")
    rows = read_bank_statement(data)
    posted = []
    for r in rows:
        no = statement_for_memo(session, r.memo)
        if no is None:
            raise Refused("fees.err.bank_row", row=r.row, value=r.memo)
        posted.append(
            record_payment(
                session,
                no,
                amount=r.amount,
                paid_on=r.paid_on,
                method=R.PaymentMethod.BANK_TRANSFER,
                reference=(r.ref or r.memo)[:100],
                actor=actor,
                now=now,
            )  # fmt: skip
        )
    return posted
