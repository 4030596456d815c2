"""Devices' cover status in SQL, beside the register hooks that derive it.

The definition is :func:`rules.customers.warranty_status` / :func:`contract_status`;
the clauses here say the same thing over a date column so a list can filter on a
status it does not store. ``tests/data_access/test_customers.py`` proves they agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false

from data_access.adapters import Hooks, Refs
from rules.customers import (
    EXPIRING_DAYS_DEFAULT,
    WARRANTY_MONTHS_DEFAULT,
    ContractStatus,
    WarrantyStatus,
    contract_status,
    default_warranty_end,
    warranty_status,
)
from rules.fields import Problem


# ---------------------------------------------------------------- cover status in SQL
def warranty_is(
    end: Any, wanted: str, today: dt.date, expiring_days: int = EXPIRING_DAYS_DEFAULT
) -> ColumnElement[bool]:
    """``warranty_status(end, today) == wanted`` over the warranty-end column ``end``."""
    soon = today + dt.timedelta(days=expiring_days)
    match wanted:
        case WarrantyStatus.UNKNOWN:
            return end.is_(None)
        case WarrantyStatus.EXPIRED:
            return end < today
        case WarrantyStatus.EXPIRING:
            return and_(end >= today, end <= soon)
        case WarrantyStatus.IN_WARRANTY:
            return end > soon
    return false()


def contract_is(end: Any, wanted: str, today: dt.date) -> ColumnElement[bool]:
    """``contract_status(end, today) == wanted`` over the contract-end column ``end``."""
    match wanted:
        case ContractStatus.NONE:
            return end.is_(None)
        case ContractStatus.EXPIRED:
            return end < today
        case ContractStatus.ACTIVE:
            return end >= today
    return false()


# ---------------------------------------------------------------- device register hooks
def device_derive(values: dict[str, Any], refs: Mapping[str, Mapping[str, Any] | None]) -> None:
    """Blank warranty end: the model's warranty months (default 12) from installation."""
    if "warranty_end" not in values or values["warranty_end"] is not None:
        return
    install = values.get("install_date")
    if install is None:
        return
    model = refs.get("model")
    months = (model or {}).get("warranty_months") or WARRANTY_MONTHS_DEFAULT
    values["warranty_end"] = default_warranty_end(install, int(months))


def device_computed(row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    return {
        "warranty_status": warranty_status(row.get("warranty_end"), today).value,
        "contract_status": contract_status(row.get("contract_end"), today).value,
    }


def warranty_clause(table: Table, wanted: str, today: dt.date) -> ColumnElement[bool]:
    return warranty_is(table.c.warranty_end, wanted, today)


def contract_clause(table: Table, wanted: str, today: dt.date) -> ColumnElement[bool]:
    return contract_is(table.c.contract_end, wanted, today)


class DeviceHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        device_derive(values, refs)
        return []
