"""Warranty and contract status rules."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.customers import (
    ContractStatus,
    WarrantyStatus,
    add_months,
    contract_status,
    default_warranty_end,
    is_covered,
    warranty_status,
)

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (None, WarrantyStatus.UNKNOWN),
        (TODAY - dt.timedelta(days=1), WarrantyStatus.EXPIRED),
        (TODAY, WarrantyStatus.EXPIRING),
        (TODAY + dt.timedelta(days=30), WarrantyStatus.EXPIRING),
        (TODAY + dt.timedelta(days=31), WarrantyStatus.IN_WARRANTY),
    ],
)
def test_warranty_status(end, expected):
    assert warranty_status(end, TODAY) is expected


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (None, ContractStatus.NONE),
        (TODAY, ContractStatus.ACTIVE),
        (TODAY - dt.timedelta(days=1), ContractStatus.EXPIRED),
    ],
)
def test_contract_status(end, expected):
    assert contract_status(end, TODAY) is expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2025, 11, 15), 3, dt.date(2026, 2, 15)),
        (dt.date(2025, 3, 1), 12, dt.date(2026, 3, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_default_warranty_is_one_year_from_install():
    assert default_warranty_end(dt.date(2025, 3, 1)) == dt.date(2026, 2, 28)
    assert default_warranty_end(dt.date(2025, 3, 1), months=24) == dt.date(2027, 2, 28)


def test_expiring_still_covered():
    assert is_covered(WarrantyStatus.EXPIRING)
    assert is_covered(WarrantyStatus.IN_WARRANTY)
    assert not is_covered(WarrantyStatus.EXPIRED)
    assert not is_covered(WarrantyStatus.UNKNOWN)
