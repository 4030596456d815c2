"""Spare parts: the values the stock ledger and stock-takes store (``stock_movements``,
``stock_takes``). Enums only for now; the rules come with the parts pages."""

from __future__ import annotations

from enum import StrEnum


class MovementKind(StrEnum):
    """A ledger row's kind; ``qty`` is signed (+ in, - out), a transfer is two rows."""

    RECEIPT = "receipt"
    ISSUE = "issue"
    RETURN = "return"
    TRANSFER = "transfer"
    SCRAP = "scrap"
    ADJUST = "adjust"


class StockTakeStatus(StrEnum):
    OPEN = "open"
    POSTED = "posted"
