"""Backup and restore: round trips on both back-ends, a backup taken while rows are
written, SQLite → PostgreSQL, damaged files, refusals, retention, schedule, CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import threading
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, null, select, text

from data_access import backup, db, jobs
from data_access.backup import BadBackup, NotAllowed, NotEmpty
from data_access.backup import archive as backup_archive
from data_access.backup import cli as backup_cli
from data_access.models import AuditLog, Base, Customer, Part, Setting, User
from tests.conftest import _truncate_pg, missing
from tests.helpers import copy_sqlite

ADMIN = "admin"
NOW = dt.datetime(2026, 11, 23, 10, 0)
STAMP = dt.datetime(2026, 1, 2, 3, 4, 5, 123456)


def fill(engine: Engine, load_demo) -> None:
    """Demo data plus rows that catch lossy serialisation."""
    load_demo(engine, customers=12, tickets=160)
    t = dict(version=1, created_at=STAMP, updated_at=STAMP)
    with db.write(engine) as s:
        s.execute(
            insert(Customer.__table__).values(
                code="000123", name="上海精密机械有限公司", grade="A", region=None,
                notes="第一行\n'quoted' \"double\" \\ back", **t,
            )
        )  # fmt: skip
        s.execute(
            insert(Part.__table__).values(
                part_no="0042-A", name="轴承 6204", price=Decimal("1234567890.05"),
                unit_cost=Decimal("0.10"), **t,
            )
        )  # fmt: skip
        settings = Setting.__table__
        s.execute(insert(settings).values(key="t.sql_null", value=null(), **t))
        s.execute(insert(settings).values(key="t.json_null", value=None, **t))
        s.execute(
            insert(settings).values(key="t.json", value={"z": 1, "a": ["中", 2.5, None]}, **t)
        )
        s.execute(text("UPDATE users SET last_login_at = :at"), {"at": STAMP})


def spot_check(engine: Engine) -> None:
    with db.read(engine) as s:
        c = s.execute(select(Customer).where(Customer.code == "000123")).scalar_one()
        assert (c.name, c.region, c.created_at) == ("上海精密机械有限公司", None, STAMP)
        assert c.notes == "第一行\n'quoted' \"double\" \\ back"
        p = s.execute(select(Part).where(Part.part_no == "0042-A")).scalar_one()
        assert (p.price, p.unit_cost) == (Decimal("1234567890.05"), Decimal("0.10"))
        values = dict(s.execute(select(Setting.key, Setting.value)).all())
        assert values["t.json"] == {"z": 1, "a": ["中", 2.5, None]}
        assert list(values["t.json"]) == ["z", "a"]  # key order kept
        sql_nulls = set(s.scalars(select(Setting.key).where(Setting.value.is_(None))))
        assert "t.sql_null" in sql_nulls and "t.json_null" not in sql_nulls
        assert set(s.scalars(select(User.last_login_at))) == {STAMP}


def without_audit(sums: dict) -> dict:
    """What a restore brings back unchanged: all but its own audit row and the new
    session epoch (checked apart: test_a_restore_ends_every_session)."""
    return {k: v for k, v in sums.items() if k not in ("audit_log", "settings")}


def settings_but_epoch(engine: Engine) -> dict:
    from data_access.settings import SESSION_EPOCH

    with db.read(engine) as s:
        rows = s.execute(select(Setting.key, Setting.value)).all()
    return {k: v for k, v in rows if k != SESSION_EPOCH}


def test_a_restore_ends_every_session(load_demo, db_engine, tmp_path):
    """The restored users table may give an id to another person: every session that
    began before the restore sees a new session epoch and is signed out (pages.common)."""
    from data_access.settings import session_epoch

    fill(db_engine, load_demo)
    with db.read(db_engine) as s:
        before = session_epoch(s)
    settings = settings_but_epoch(db_engine)
    done = backup.create_backup(db_engine, tmp_path, role=ADMIN, now=NOW)
    backup.restore_backup(db_engine, done.path, role=ADMIN, force=True, now=NOW)
    with db.read(db_engine) as s:
        after = session_epoch(s)
    assert after and after != before
    assert settings_but_epoch(db_engine) == settings  # the backup's settings, all of them


def clear(engine: Engine) -> None:
    with db.write(engine) as s:
        backup_archive.clear_tables(s.connection())


@pytest.fixture
def pg_engine(request) -> Engine:
    engine = request.getfixturevalue("pg_engine_session")
    if engine is None:
        missing("TEST_DATABASE_URL is not set (PostgreSQL tests)")
    _truncate_pg(engine)
    return engine


# ---------------------------------------------------------------- round trips
def test_round_trip_gives_identical_content(load_demo, db_engine, tmp_path):
    fill(db_engine, load_demo)
    before = backup.content_sums(db_engine)
    done = backup.create_backup(db_engine, tmp_path, role=ADMIN, now=NOW)
    assert done.path.name == "aftersales-20261123-100000.zip"
    assert {t.name: (t.rows, t.sha256) for t in done.manifest.tables} == before
    clear(db_engine)
    backup.restore_backup(db_engine, done.path, role=ADMIN, now=NOW)
    after = backup.content_sums(db_engine)
    assert without_audit(after) == without_audit(before)
    assert after["audit_log"][0] == before["audit_log"][0] + 1  # the restore's own row
    spot_check(db_engine)
    with db.read(db_engine) as s:
        actions = s.execute(select(AuditLog.entity, AuditLog.action)).all()
    assert actions[-1] == ("backup", "restore")
    # the sequences follow the restored ids: a new row gets a fresh id
    with db.write(db_engine) as s:
        top = s.scalar(select(func.max(Customer.id)))
        new = s.execute(
            insert(Customer.__table__)
            .values(code="NEW", name="n", grade="B", version=1, created_at=NOW, updated_at=NOW)
            .returning(Customer.id)
        ).scalar()
    assert new == top + 1


def test_backup_while_rows_are_written_is_consistent(load_demo, db_engine, tmp_path):
    load_demo(db_engine, customers=12, tickets=160)
    stop, written = threading.Event(), []

    def writer() -> None:
        while not stop.is_set():
            n = len(written)
            with db.write(db_engine) as s:
                s.execute(
                    insert(Customer.__table__).values(
                        code=f"W{n:05d}", name="写入中", grade="B",
                        version=1, created_at=NOW, updated_at=NOW,
                    )
                )  # fmt: skip
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        done = backup.create_backup(db_engine, tmp_path, role=ADMIN, now=NOW)
        at_backup = len(written)
        while len(written) < at_backup + 5:
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    customers = {t.name: t.rows for t in done.manifest.tables}["customers"]
    assert 12 + 5 <= customers < 12 + len(written)
    # the manifest describes exactly what the file holds, and it restores to it
    assert backup.check_file(done.path) == done.manifest
    backup.verify_backup(done.path, role=ADMIN)
    clear(db_engine)
    backup.restore_backup(db_engine, done.path, role=ADMIN)
    sums = backup.content_sums(db_engine)
    assert without_audit(sums) == without_audit(
        {t.name: (t.rows, t.sha256) for t in done.manifest.tables}
    )


def test_sqlite_moves_to_postgresql_and_back(load_demo, sqlite_engine, pg_engine, tmp_path):
    fill(sqlite_engine, load_demo)
    done = backup.copy_database(sqlite_engine, pg_engine, role=ADMIN)
    assert without_audit(backup.content_sums(pg_engine)) == without_audit(
        {t.name: (t.rows, t.sha256) for t in done.manifest.tables}
    )
    spot_check(pg_engine)
    # and a PostgreSQL backup restores into a SQLite database that has no schema yet
    back = backup.create_backup(pg_engine, tmp_path, role=ADMIN, now=NOW)
    fresh = db.make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        backup.restore_backup(fresh, back.path, role=ADMIN)
        assert without_audit(backup.content_sums(fresh)) == without_audit(
            backup.content_sums(pg_engine)
        )
        spot_check(fresh)
    finally:
        fresh.dispose()


# ---------------------------------------------------------------- refusals
def test_restore_refuses_a_database_with_data_unless_forced(load_demo, db_engine, tmp_path):
    load_demo(db_engine, customers=12, tickets=160)
    done = backup.create_backup(db_engine, tmp_path, role=ADMIN, now=NOW)
    with db.write(db_engine) as s:
        s.execute(text("DELETE FROM ticket_parts"))
    with pytest.raises(NotEmpty):
        backup.restore_backup(db_engine, done.path, role=ADMIN)
    assert backup.content_sums(db_engine)["ticket_parts"][0] == 0  # nothing written
    backup.restore_backup(db_engine, done.path, role=ADMIN, force=True)
    sums = backup.content_sums(db_engine)
    assert (
        sums["ticket_parts"]
        == {t.name: (t.rows, t.sha256) for t in done.manifest.tables}["ticket_parts"]
    )


@pytest.mark.parametrize("role", ["manager", "agent", None])
def test_only_admins_back_up_or_restore(sqlite_engine, tmp_path, role):
    folder = tmp_path / "backups"
    with pytest.raises(NotAllowed):
        backup.create_backup(sqlite_engine, folder, role=role)
    with pytest.raises(NotAllowed):
        backup.restore_backup(sqlite_engine, tmp_path / "x.zip", role=role)
    with pytest.raises(NotAllowed):
        backup.verify_backup(tmp_path / "x.zip", role=role)
    assert not folder.exists()


def flip(path: Path, member: str = "tables/ticket_events.jsonl", at: float = 0.5) -> None:
    """Flip one byte of ``member``'s stored data, or of the zip's central directory
    (``member=""``). Bytes a zip reader never checks (a local header's timestamp) are
    not content, so they are not what a damaged backup means."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        if member:
            info = zf.getinfo(member)
            name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 :][:4])
            start = info.header_offset + 30 + name_len + extra_len
            i = start + int(info.compress_size * at)
        else:
            i = data.rindex(b"PK\x01\x02")  # a central directory entry's signature
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "member, at",
    [
        ("tables/ticket_events.jsonl", 0.5),
        ("tables/customers.jsonl", 0.0),
        ("tables/tickets.jsonl", 0.9),
        (backup.MANIFEST, 0.5),
        ("", 0),
    ],
)
def test_verify_detects_a_flipped_byte(load_demo, sqlite_engine, tmp_path, member, at):
    load_demo(sqlite_engine, customers=12, tickets=160)
    done = backup.create_backup(sqlite_engine, tmp_path, role=ADMIN, now=NOW)
    backup.verify_backup(done.path, role=ADMIN)
    flip(done.path, member, at)
    with pytest.raises(BadBackup) as err:
        backup.verify_backup(done.path, role=ADMIN)
    assert err.value.code.startswith("backup.err.")
    with pytest.raises(BadBackup):
        backup.restore_backup(sqlite_engine, done.path, role=ADMIN, force=True)


def test_a_table_edited_inside_the_zip_is_named(load_demo, sqlite_engine, tmp_path):
    load_demo(sqlite_engine, customers=12, tickets=160)
    done = backup.create_backup(sqlite_engine, tmp_path, role=ADMIN, now=NOW)
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(done.path) as src, zipfile.ZipFile(edited, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "tables/customers.jsonl":
                data = data.replace("华东".encode(), "华南".encode(), 1)
            dst.writestr(item, data)
    with pytest.raises(BadBackup) as err:
        backup.check_file(edited)
    assert (err.value.code, err.value.params) == ("backup.err.checksum", {"table": "customers"})


def test_not_a_backup(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_text("hello")
    with pytest.raises(BadBackup) as err:
        backup.check_file(junk)
    assert err.value.code == "backup.err.not_a_backup"
    with pytest.raises(BadBackup) as err:
        backup.check_file(tmp_path / "missing.zip")
    assert err.value.code == "backup.err.no_file"


# ---------------------------------------------------------------- folder, retention, schedule
def test_retention_keeps_the_newest_n(sqlite_engine, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not a backup")
    for day in range(1, 6):
        backup.create_backup(sqlite_engine, tmp_path, role=ADMIN, keep=3, now=NOW.replace(day=day))
    names = [b.path.name for b in backup.list_backups(tmp_path)]
    assert names == [f"aftersales-202611{d:02d}-100000.zip" for d in (5, 4, 3)]
    assert other.exists()


def test_scheduled_backups_run_when_due(sqlite_engine, tmp_path):
    assert backup.run_scheduled(sqlite_engine, NOW) is None  # off by default
    plan = backup.Schedule(enabled=True, folder=str(tmp_path), every_hours=24, keep=2)
    with db.write(sqlite_engine) as s:
        with pytest.raises(NotAllowed):
            backup.save_schedule(s, plan, role="manager")
        backup.save_schedule(s, plan, role=ADMIN, now=NOW)
    with db.read(sqlite_engine) as s:
        assert backup.get_schedule(s) == plan
    first = backup.run_scheduled(sqlite_engine, NOW)
    assert first is not None and first.exists()
    assert backup.run_scheduled(sqlite_engine, NOW + dt.timedelta(hours=23)) is None
    for days in (1, 2, 3):
        assert backup.run_scheduled(sqlite_engine, NOW + dt.timedelta(days=days))
    assert len(backup.list_backups(tmp_path)) == 2


def test_sqlite_copy_is_a_working_database(load_demo, sqlite_engine, tmp_path):
    load_demo(sqlite_engine, customers=12, tickets=160)
    path = backup.sqlite_copy(sqlite_engine, tmp_path, role=ADMIN, now=NOW)
    assert path.name == "aftersales-20261123-100000.db"
    copy = db.make_engine(f"sqlite:///{path}")
    try:
        assert without_audit(backup.content_sums(copy)) == without_audit(
            backup.content_sums(sqlite_engine)
        )
    finally:
        copy.dispose()


# ---------------------------------------------------------------- CLI
def test_cli_exit_codes(load_demo, sqlite_template, tmp_path, capsys):
    src = copy_sqlite(sqlite_template, tmp_path / "src.db")
    load_demo(src, customers=12, tickets=160)
    src.dispose()
    url = f"sqlite:///{tmp_path / 'src.db'}"
    out = tmp_path / "b.zip"
    assert backup_cli.main(["--url", url, "create", "--out", str(out)]) == 0
    assert backup_cli.main(["--url", url, "verify", str(out)]) == 0
    assert "backup verified" in capsys.readouterr().out
    assert backup_cli.main(["--url", url, "restore", str(out)]) == 2
    assert "already holds data" in capsys.readouterr().err
    assert backup_cli.main(["--url", url, "restore", str(out), "--force"]) == 0
    flip(out)
    assert backup_cli.main(["--url", url, "verify", str(out)]) == 2
    assert "damaged" in capsys.readouterr().err
    target = f"sqlite:///{tmp_path / 'moved.db'}"  # no schema yet: created, then head
    assert backup_cli.main(["--url", url, "copy", "--to", target]) == 0
    assert "and checked them" in capsys.readouterr().out
    assert backup_cli.main(["--url", url, "list", "--folder", str(tmp_path)]) == 0


def test_every_table_is_in_a_backup():
    # but the dashboard's rollup: derived, marked stale by its triggers as a restore
    # writes the tickets (tests/data_access/test_dashboard_rollup.py)
    names = [t.name for t in Base.metadata.sorted_tables if not t.name.startswith("dashboard_")]
    assert names == [t.name for t in backup_archive.backup_tables()]
    assert {"dashboard_daily", "dashboard_dirty"} <= set(Base.metadata.tables)


def test_the_jobs_ticker_takes_the_scheduled_backup(sqlite_engine, tmp_path):
    plan = backup.Schedule(enabled=True, folder=str(tmp_path / "auto"), every_hours=1, keep=3)
    with db.write(sqlite_engine) as s:
        backup.save_schedule(s, plan, role=ADMIN, now=NOW)
    ticker = jobs.Ticker(sqlite_engine, interval=60)
    ticker.start()
    try:
        for _ in range(300):
            if ticker.rounds:
                break
            ticker.stopped.wait(0.05)
    finally:
        ticker.stop()
        ticker.join()
    assert [b.kind for b in backup.list_backups(tmp_path / "auto")] == ["zip"]


def rewrite_manifest(src: Path, dest: Path, change) -> None:
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dest, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == backup.MANIFEST:
                data = json.dumps(change(json.loads(data))).encode()
            new.writestr(item, data)


def test_a_manifest_that_lacks_a_table_or_is_not_one_is_refused(sqlite_engine, tmp_path):
    done = backup.create_backup(sqlite_engine, tmp_path, role=ADMIN, now=NOW)

    def drop(raw):
        raw["tables"] = [t for t in raw["tables"] if t["name"] != "ticket_parts"]
        return raw

    cases = [
        (drop, "backup.err.missing_table"),
        (lambda raw: [raw], "backup.err.not_a_backup"),
        (lambda raw: {**raw, "format_version": 99}, "backup.err.format_version"),
    ]
    for change, code in cases:
        bad = tmp_path / "bad.zip"
        rewrite_manifest(done.path, bad, change)
        with pytest.raises(BadBackup) as err:
            backup.check_file(bad)
        assert err.value.code == code


def test_rows_postgresql_rejects_leave_it_unchanged(load_demo, sqlite_engine, pg_engine):
    fill(sqlite_engine, load_demo)
    with db.write(sqlite_engine) as s:  # SQLite stores NUL in text, PostgreSQL refuses it
        s.execute(text("UPDATE customers SET notes = :n WHERE code = '000123'"), {"n": "a\x00b"})
    with pytest.raises(BadBackup) as err:
        backup.copy_database(sqlite_engine, pg_engine, role=ADMIN)
    assert err.value.code == "backup.err.rejected"
    assert all(rows == 0 for rows, _ in backup.content_sums(pg_engine).values())


def test_an_uploaded_backup_joins_the_folder_once_it_checks_out(sqlite_engine, tmp_path):
    done = backup.create_backup(sqlite_engine, tmp_path / "elsewhere", role=ADMIN, now=NOW)
    folder = tmp_path / "here"
    with pytest.raises(NotAllowed):
        backup.add_to_folder(io.BytesIO(done.path.read_bytes()), folder, role="manager")
    path = backup.add_to_folder(io.BytesIO(done.path.read_bytes()), folder, role=ADMIN)
    assert path.name == done.path.name and path.read_bytes() == done.path.read_bytes()
    flip(done.path)
    with pytest.raises(BadBackup):
        backup.add_to_folder(io.BytesIO(done.path.read_bytes()), folder, role=ADMIN)
    assert [p.name for p in folder.iterdir()] == [path.name]  # nothing left behind
