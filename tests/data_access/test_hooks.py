"""The hooks protocol of the one write path: which hook sees what, in which order, on
SQLite and PostgreSQL (``db_engine``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, select

from data_access import db
from data_access.adapters import Adapter, Batch, Change, Deleted, Hooks, Restored, Written
from data_access.writes import Writer, apply
from rules.fields import Field, Kind, Register

NOW = dt.datetime(2026, 11, 23, 9, 0)

_meta = MetaData()
_HOOKED = Table(
    "test_hooked",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("qty", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime),
    Column("updated_at", DateTime),
)


class _Row:
    __table__ = _HOOKED


SPEC = Register(
    name="test_hooked",
    zh="测试",
    en="Test",
    key="code",
    fields=(
        Field("code", "编号", "Code", required=True, key=True),
        Field("qty", "数量", "Qty", Kind.INT, required=True),
    ),
)


class Recording(Hooks):
    """Records every call; ``before_write`` adds 100 to new rows' qty (filled in place)."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def before_write(self, session, batch: Batch) -> None:
        self.seen.append(("before", len(batch.inserts), len(batch.updates)))
        for values in batch.inserts:
            values["qty"] += 100

    def after_write(self, session, change: Change) -> None:
        match change:
            case Written(inserted=inserted, updated=updated):
                codes = sorted(r["code"] for r in inserted)
                assert all(r["id"] for r in inserted)  # a hook gets the new rows' ids
                self.seen.append(("written", codes, [b["code"] for b, _ in updated]))
            case Deleted(rows=rows):
                self.seen.append(("deleted", [r["code"] for r in rows]))
            case Restored(restored=restored, deleted=deleted):
                back = [b["code"] for b, _ in restored]
                self.seen.append(("restored", back, [r["code"] for r in deleted]))


@pytest.fixture
def hooked(db_engine):
    _meta.create_all(db_engine)
    hooks = Recording()
    ad = Adapter(SPEC, _Row, hooks=hooks)
    with db.write(db_engine) as s:
        apply(s, ad, inserts=[{"code": "A", "qty": 1}, {"code": "B", "qty": 2}], now=NOW,
              user_id=None)  # fmt: skip
    yield db_engine, ad, hooks
    _meta.drop_all(db_engine)


def stored(engine) -> dict[str, dict[str, Any]]:
    with db.read(engine) as s:
        return {r["code"]: dict(r) for r in s.execute(select(_HOOKED)).mappings()}


def test_hooks_protocol_has_three_methods():
    methods = [n for n, v in vars(Hooks).items() if callable(v) and not n.startswith("_")]
    assert methods == ["derive", "before_write", "after_write"]


def test_a_write_shows_its_hooks_the_new_rows_first_then_the_deleted(hooked):
    engine, ad, hooks = hooked
    assert hooks.seen == [("before", 2, 0), ("written", ["A", "B"], [])]
    hooks.seen.clear()
    rows = stored(engine)
    with db.write(engine) as s:
        apply(
            s,
            ad,
            inserts=[{"code": "C", "qty": 3}],
            updates=[(rows["A"], {**rows["A"], "qty": 7})],
            deletes=[rows["B"]],
            now=NOW,
            user_id=None,
        )
    assert hooks.seen == [("before", 1, 1), ("written", ["C"], ["A"]), ("deleted", ["B"])]
    after = stored(engine)
    assert sorted(after) == ["A", "C"]
    assert (after["A"]["qty"], after["C"]["qty"]) == (7, 103)  # before_write's fill is stored


def test_a_delete_alone_is_one_deleted_change(hooked):
    engine, ad, hooks = hooked
    hooks.seen.clear()
    with db.write(engine) as s:
        apply(s, ad, deletes=[stored(engine)["A"]], now=NOW, user_id=None)
    assert hooks.seen == [("deleted", ["A"])]


def test_an_undo_is_one_restored_change_without_before_write(hooked):
    engine, ad, hooks = hooked
    hooks.seen.clear()
    rows = stored(engine)
    with db.write(engine) as s:
        writer = Writer(s, ad, now=NOW, user_id=None, audit_rows=False, undo=True)
        writer.apply(updates=[(rows["A"], {"qty": 0})], deletes=[rows["B"]])
    assert hooks.seen == [("restored", ["A"], ["B"])]
    assert {c: r["qty"] for c, r in stored(engine).items()} == {"A": 0}
