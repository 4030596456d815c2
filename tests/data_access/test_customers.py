"""Cover status in SQL agrees with the rule (rules.customers), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import db
from data_access.customers import contract_is, warranty_is
from data_access.models import Customer, Device
from rules.customers import (
    EXPIRING_DAYS_DEFAULT,
    ContractStatus,
    WarrantyStatus,
    contract_status,
    warranty_status,
)

TODAY = dt.date(2026, 11, 23)
DAY = dt.timedelta(days=1)
# the boundaries: yesterday, today, the last expiring day and the one after, none
ENDS = (
    None,
    TODAY - DAY,
    TODAY,
    TODAY + DAY,
    TODAY + EXPIRING_DAYS_DEFAULT * DAY,
    TODAY + (EXPIRING_DAYS_DEFAULT + 1) * DAY,
)


@pytest.fixture
def devices(db_engine):
    """One device per boundary date, as warranty end and as contract end."""
    with db.write(db_engine) as s:
        c = Customer(code="C1", name="客户一", grade="A")
        s.add(c)
        s.flush()
        for i, end in enumerate(ENDS):
            s.add(Device(serial_no=f"SN{i}", customer_id=c.id, warranty_end=end, contract_end=end))
    return db_engine


def _matching(engine, clause) -> set[dt.date | None]:
    with db.read(engine) as s:
        return set(s.scalars(select(Device.warranty_end).where(clause)))


@pytest.mark.parametrize("wanted", list(WarrantyStatus))
def test_warranty_sql_agrees_with_the_rule(devices, wanted):
    expected = {end for end in ENDS if warranty_status(end, TODAY) == wanted}
    assert _matching(devices, warranty_is(Device.warranty_end, wanted, TODAY)) == expected


@pytest.mark.parametrize("wanted", list(ContractStatus))
def test_contract_sql_agrees_with_the_rule(devices, wanted):
    expected = {end for end in ENDS if contract_status(end, TODAY) == wanted}
    assert _matching(devices, contract_is(Device.contract_end, wanted, TODAY)) == expected


def test_the_clauses_split_the_devices_without_overlap(devices):
    found = [_matching(devices, warranty_is(Device.warranty_end, w, TODAY)) for w in WarrantyStatus]
    assert sum(map(len, found)) == len(ENDS)
