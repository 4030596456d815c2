"""The one write path for register rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from data_access import db
from data_access.models import AuditLog, Customer, Device, ProductModel
from data_access.registers import ConflictError, list_rows, save_changes
from tests.actors import ADMIN

NOW = dt.datetime(2025, 6, 1, 9, 0)
TODAY = NOW.date()


def customer(code: str, name: str | None = None, **extra) -> dict:
    return {"code": code, "name": name or f"客户{code}", "grade": "A", **extra}


def save(engine, register: str, *, inserts=(), updates=(), deletes=()):
    with db.write(engine) as s:
        result = save_changes(
            s,
            register,
            inserts=list(inserts),
            updates=list(updates),
            deletes=list(deletes),
            actor=ADMIN,
            now=NOW,
        )
        if result.problems:
            s.rollback()
    return result


def rows(engine, register: str, **kw) -> list[dict]:
    with db.read(engine) as s:
        return list_rows(s, register, page_size=1000, today=TODAY, **kw)[0]


@pytest.fixture
def seeded(db_engine):
    with db.write(db_engine) as s:
        s.execute(
            insert(ProductModel.__table__),
            [
                {"code": "XK-5000", "name": "数控机床", "warranty_months": 24, "version": 1},
                {"code": "XK-100", "name": "小型机", "warranty_months": 6, "version": 1},
            ],
        )
    result = save(db_engine, "customers", inserts=[customer("007"), customer("C2", "重名")])
    assert result.problems == [] and result.inserted == 2
    return db_engine


def test_insert_keeps_leading_zeros_and_audits(seeded):
    found = rows(seeded, "customers")
    assert [r["code"] for r in found] == ["007", "C2"]
    assert found[0]["version"] == 1 and found[0]["grade"] == "A"
    with db.read(seeded) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog)) == 2


def test_device_defaults_warranty_from_model_months(seeded):
    result = save(
        seeded,
        "devices",
        inserts=[
            {
                "serial_no": "0001",
                "customer": "007",
                "model": "XK-5000",
                "install_date": "2025-01-15",
            },
            {"serial_no": "0002", "customer": "重名", "install_date": dt.date(2025, 1, 15)},
        ],
    )
    assert result.problems == []
    found = {r["serial_no"]: r for r in rows(seeded, "devices")}
    assert found["0001"]["warranty_end"] == dt.date(2027, 1, 14)
    assert found["0001"]["customer"] == "007" and found["0001"]["model"] == "XK-5000"
    assert found["0002"]["warranty_end"] == dt.date(2026, 1, 14)
    assert found["0002"]["customer"] == "C2"
    assert found["0001"]["warranty_status"] == "in_warranty"


def test_every_problem_collected_nothing_written(seeded):
    result = save(
        seeded,
        "customers",
        inserts=[
            {"code": "C9", "name": "", "grade": "Z"},  # two problems
            customer("C10", email="not-an-email"),
            customer("007"),  # already in the database
            customer("C11"),
            customer("C11"),  # twice in the batch
        ],
    )
    got = sorted((p.kind, p.row, p.field, p.code) for p in result.problems)
    assert got == [
        ("insert", 0, "grade", "err.enum"),
        ("insert", 0, "name", "err.required"),
        ("insert", 1, "email", "err.email"),
        ("insert", 2, "code", "err.duplicate_key"),
        ("insert", 3, "code", "err.duplicate_key"),
        ("insert", 4, "code", "err.duplicate_key"),
    ]
    assert len(rows(seeded, "customers")) == 2


def test_unknown_and_ambiguous_refs(seeded):
    save(seeded, "customers", inserts=[customer("C3", "重名")])
    result = save(
        seeded,
        "devices",
        inserts=[
            {"serial_no": "S1", "customer": "nobody"},
            {"serial_no": "S2", "customer": "重名"},
            {"serial_no": "S3", "customer": "007", "model": "nope"},
        ],
    )
    got = sorted((p.row, p.field, p.code) for p in result.problems)
    assert got == [
        (0, "customer", "err.unknown_ref"),
        (1, "customer", "imports.ref_ambiguous"),
        (2, "model", "err.unknown_ref"),
    ]


def test_update_changes_only_given_fields_and_bumps_version(seeded):
    row = rows(seeded, "customers")[0]
    result = save(seeded, "customers", updates=[{"id": row["id"], "version": 1, "region": "华东"}])
    assert result.updated == 1
    after = rows(seeded, "customers")[0]
    assert (after["region"], after["name"], after["version"]) == ("华东", row["name"], 2)


def test_update_checks_merged_row(seeded):
    save(
        seeded,
        "devices",
        inserts=[{"serial_no": "S1", "customer": "007", "install_date": "2025-01-01"}],
    )
    dev = rows(seeded, "devices")[0]
    result = save(
        seeded,
        "devices",
        updates=[{"id": dev["id"], "version": dev["version"], "warranty_end": "2024-01-01"}],
    )
    assert [(p.kind, p.field, p.code) for p in result.problems] == [
        ("update", "warranty_end", "err.date_order")
    ]


def test_stale_version_raises_conflict_and_writes_nothing(seeded):
    first, second = rows(seeded, "customers")
    with pytest.raises(ConflictError) as exc, db.write(seeded) as s:
        save_changes(
            s,
            "customers",
            inserts=[customer("C5")],
            updates=[
                {"id": first["id"], "version": 1, "region": "A"},
                {"id": second["id"], "version": 7, "region": "B"},
            ],
            deletes=[],
            actor=ADMIN,
            now=NOW,
        )
    assert exc.value.what == "C2"
    assert [r["region"] for r in rows(seeded, "customers")] == [None, None]


def test_delete_in_use_is_a_problem_not_an_integrity_error(seeded):
    save(seeded, "devices", inserts=[{"serial_no": "S1", "customer": "007"}])
    c007, c2 = rows(seeded, "customers")
    result = save(
        seeded,
        "customers",
        deletes=[{"id": c007["id"], "version": 1}, {"id": c2["id"], "version": 1}],
    )
    assert [(p.kind, p.row, p.code) for p in result.problems] == [("delete", 0, "err.in_use")]
    assert len(rows(seeded, "customers")) == 2
    result = save(seeded, "customers", deletes=[{"id": c2["id"], "version": 1}])
    assert result.deleted == 1 and result.problems == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"warranty_status": "expired"}, ["OLD"]),
        ({"warranty_status": ["expiring", "in_warranty"]}, ["NEW", "SOON"]),
        ({"warranty_status": "unknown"}, ["NONE"]),
        ({"customer": "007"}, ["NEW", "NONE", "OLD", "SOON"]),
        ({"customer": "C2"}, []),
    ],
)
def test_list_rows_filters_in_sql(seeded, filters, expected):
    save(
        seeded,
        "devices",
        inserts=[
            {"serial_no": "OLD", "customer": "007", "warranty_end": "2025-01-01"},
            {"serial_no": "SOON", "customer": "007", "warranty_end": "2025-06-20"},
            {"serial_no": "NEW", "customer": "007", "warranty_end": "2026-06-20"},
            {"serial_no": "NONE", "customer": "007"},
        ],
    )
    assert [r["serial_no"] for r in rows(seeded, "devices", filters=filters)] == expected


def test_list_rows_pages_searches_and_counts(seeded):
    save(seeded, "customers", inserts=[customer(f"K{i:02}", f"公司{i}") for i in range(30)])
    with db.read(seeded) as s:
        page, total = list_rows(s, "customers", search="公司", page=2, page_size=10, today=TODAY)
        assert total == 30 and [r["code"] for r in page][:2] == ["K10", "K11"]
        page, total = list_rows(s, "customers", search="100%", today=TODAY)
        assert (page, total) == ([], 0)
        page, _ = list_rows(s, "customers", order_by="-code", page_size=1, today=TODAY)
        assert page[0]["code"] == "K29"
    with db.read(seeded) as s:
        assert s.scalar(select(func.count()).select_from(Device)) == 0
        assert s.scalar(select(func.count()).select_from(Customer)) == 32
