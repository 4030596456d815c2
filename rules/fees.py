"""Fees: the values the rate card, fee lines, settlements and payments store. Enums
only for now; the fee maths comes with the fees pages."""

from __future__ import annotations

from enum import StrEnum


class FeeKind(StrEnum):
    """A rate card item's kind; a fee line is one of these or ``parts``."""

    DIAGNOSIS = "diagnosis"
    LABOUR = "labour"
    TRAVEL = "travel"
    RUSH = "rush"
    SHIPPING = "shipping"
    INSPECTION = "inspection"
    REPAIR = "repair"
    PARTS = "parts"


class SettlementStatus(StrEnum):
    DRAFT = "draft"
    AUDITED = "audited"
    BILLED = "billed"
    PAID = "paid"
    VOID = "void"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CARD = "card"
    ONLINE = "online"
