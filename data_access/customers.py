"""Customers and devices in the register machinery: device defaults and the status
filters as SQL (the Python rules are in :mod:`rules.customers`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    false,
)

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


# ---------------------------------------------------------------- devices specifics
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
    end = table.c.warranty_end
    soon = today + dt.timedelta(days=EXPIRING_DAYS_DEFAULT)
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


def contract_clause(table: Table, wanted: str, today: dt.date) -> ColumnElement[bool]:
    end = table.c.contract_end
    match wanted:
        case ContractStatus.NONE:
            return end.is_(None)
        case ContractStatus.EXPIRED:
            return end < today
        case ContractStatus.ACTIVE:
            return end >= today
    return false()


class DeviceHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        device_derive(values, refs)
        return []
