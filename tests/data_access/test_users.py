"""Users: argon2 hashes, log-in, lock-out, password change — on both databases."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from data_access import db
from data_access import users as users_module
from data_access.models import User
from data_access.users import (
    NO_PASSWORD,
    BadUsername,
    LoginInactive,
    LoginLocked,
    WeakPassword,
    authenticate,
    change_password,
    count_users,
    create_first_admin,
    create_user,
    demo_password_in_use,
    reset_admin,
    reset_password,
    verify_password,
)
from rules.access import LOCK_MINUTES, MAX_FAILED_LOGINS, PasswordProblem

NOW = dt.datetime(2026, 11, 23, 9, 0)


@pytest.fixture
def users(db_engine):
    with db.write(db_engine) as s:
        create_user(s, "li", "first-password", "engineer", "李工", region="华南")
        create_user(s, "demo", "demo-password", "agent", demo_password=True)
    return db_engine


def test_password_is_hashed_with_argon2(users):
    with db.read(users) as s:
        user = s.query(User).filter_by(username="li").one()
    assert user.password_hash.startswith("$argon2")
    assert "first-password" not in user.password_hash


def test_login_right_and_wrong(users):
    with db.write(users) as s:
        ok = authenticate(s, "li", "first-password", NOW)
        assert ok is not None and ok.role == "engineer" and ok.region == "华南"
        assert authenticate(s, "li", "wrong", NOW) is None
        assert authenticate(s, "nobody", "first-password", NOW) is None


def test_lock_out_after_repeated_failures_then_unlock(users):
    for _ in range(MAX_FAILED_LOGINS):
        with db.write(users) as s:
            assert authenticate(s, "li", "bad", NOW) is None
    with db.write(users) as s, pytest.raises(LoginLocked):
        authenticate(s, "li", "first-password", NOW + dt.timedelta(minutes=1))
    later = NOW + dt.timedelta(minutes=LOCK_MINUTES + 1)
    with db.write(users) as s:
        assert authenticate(s, "li", "first-password", later) is not None


def test_inactive_user_cannot_log_in(users):
    with db.write(users) as s:
        s.query(User).filter_by(username="li").one().is_active = False
    with db.write(users) as s, pytest.raises(LoginInactive):
        authenticate(s, "li", "first-password", NOW)


def test_changing_the_demo_password_clears_the_warning(users):
    with db.read(users) as s:
        assert demo_password_in_use(s)
        demo_id = s.query(User).filter_by(username="demo").one().id
    with db.write(users) as s:
        assert not change_password(s, demo_id, "wrong", "new-password-1")
        assert change_password(s, demo_id, "demo-password", "new-password-1")
    with db.write(users) as s:
        assert not demo_password_in_use(s)
        assert authenticate(s, "demo", "new-password-1", NOW) is not None


def test_usernames_are_unique(users):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.write(users) as s:
        create_user(s, "li", "another-password", "agent")


def _user(engine, username: str) -> User:
    with db.read(engine) as s:
        return s.query(User).filter_by(username=username).one()


@pytest.mark.parametrize(
    ("password", "problem"),
    [("short", PasswordProblem.TOO_SHORT), ("Newcomer01", PasswordProblem.SAME_AS_USERNAME)],
)
def test_new_user_with_a_refused_password_is_not_created(users, password, problem):
    with pytest.raises(WeakPassword) as info, db.write(users) as s:
        create_user(s, "newcomer01", password, "agent")
    assert info.value.problems == [problem]
    with db.read(users) as s:
        assert s.query(User).filter_by(username="newcomer01").count() == 0


def test_change_and_reset_refuse_a_weak_password(users):
    li = _user(users, "li")
    with pytest.raises(WeakPassword) as info, db.write(users) as s:
        change_password(s, li.id, "first-password", "LI")
    assert info.value.problems == [PasswordProblem.TOO_SHORT, PasswordProblem.SAME_AS_USERNAME]
    with pytest.raises(WeakPassword) as info, db.write(users) as s:
        reset_password(s, li.id, "x" * 12)
    assert info.value.problems == [PasswordProblem.ONE_CHARACTER]
    assert verify_password(_user(users, "li").password_hash, "first-password")  # unchanged
    with db.write(users) as s:
        reset_password(s, li.id, "a-good-new-password")
    assert verify_password(_user(users, "li").password_hash, "a-good-new-password")


def test_a_wrong_current_password_is_reported_before_the_policy(users):
    with db.write(users) as s:
        assert change_password(s, _user(users, "li").id, "wrong", "short") is False


# ---------------------------------------------------------------- log-in answers alike
def _set(engine, username: str, **values) -> None:
    with db.write(engine) as s:
        user = s.query(User).filter_by(username=username).one()
        for name, value in values.items():
            setattr(user, name, value)


@pytest.mark.parametrize(
    ("username", "state"),
    [
        ("nobody", {}),
        ("li", {"locked_until": NOW + dt.timedelta(minutes=5)}),
        ("li", {"is_active": False}),
        ("li", {"password_hash": NO_PASSWORD}),
        ("li", {}),
    ],
)
def test_every_refused_log_in_costs_one_password_check(users, monkeypatch, username, state):
    """Unknown, locked, disabled or password-less: the same work as a wrong password,
    so the time taken does not tell which user names exist."""
    checks = []
    real = users_module.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(users_module, "verify_password", counted)
    if state:
        _set(users, "li", **state)
    password = "first-password" if state else "wrong-password"
    with db.write(users) as s, contextlib.suppress(LoginLocked, LoginInactive):
        assert authenticate(s, username, password, NOW) is None
    assert len(checks) == 1


# ---------------------------------------------------------------- first start
@pytest.mark.parametrize("username", ["", "   ", "ab", " a "])
def test_first_admin_needs_a_real_user_name(db_engine, username):
    with pytest.raises(BadUsername), db.write(db_engine) as s:
        create_first_admin(s, username, "a-long-password")
    with db.read(db_engine) as s:
        assert count_users(s) == 0


def test_first_admin_only_while_there_are_no_users(users):
    with db.write(users) as s:
        assert create_first_admin(s, "boss", "a-long-password") is False
    with db.read(users) as s:
        assert s.query(User).filter_by(username="boss").count() == 0


def test_two_first_starts_at_once_make_one_admin(db_engine, monkeypatch):
    """Two browsers submit the first-start form together: each reads "no users yet"
    only after the other has finished, never both before either writes."""
    barrier = threading.Barrier(2)
    real_count = users_module.count_users

    def count_then_meet(session) -> int:
        n = real_count(session)
        # without the lock both would count 0 here, then both insert; with it the
        # other one waits for the lock and the barrier times out: correct, go on
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1)
        return n

    monkeypatch.setattr(users_module, "count_users", count_then_meet)
    results: dict[str, object] = {}

    def first_start(name: str) -> None:
        try:
            with db.write(db_engine) as s:
                results[name] = create_first_admin(s, name, "a-long-password")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[name] = exc

    threads = [threading.Thread(target=first_start, args=(n,)) for n in ("boss1", "boss2")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(map(repr, results.values())) == ["False", "True"]
    with db.read(db_engine) as s:
        assert [u.role for u in s.query(User)] == ["admin"]


# ---------------------------------------------------------------- recovery
def test_reset_admin_recovers_a_locked_out_admin(users):
    _set(
        users,
        "li",
        is_active=False,
        locked_until=NOW + dt.timedelta(minutes=10),
        failed_logins=3,
    )
    with db.write(users) as s:
        username, password = reset_admin(s, "li")
    assert username == "li" and len(password) >= 16
    with db.write(users) as s:
        user = authenticate(s, "li", password, NOW)
    assert user is not None and user.role == "admin"


def test_reset_admin_defaults_to_the_oldest_admin_or_a_new_one(db_engine):
    with db.write(db_engine) as s:
        username, password = reset_admin(s)
    assert username == "admin"  # nobody there: one is made
    with db.write(db_engine) as s:
        create_user(s, "second", "another-password", "admin")
        assert reset_admin(s)[0] == "admin"
        with pytest.raises(BadUsername):
            reset_admin(s, "x")


def test_reset_admin_from_the_command_line(sqlite_engine):
    with db.write(sqlite_engine) as s:
        create_user(s, "boss", "first-password", "agent")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": str(sqlite_engine.url), "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "data_access.users", "reset-admin", "--username", "boss"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    password = next(
        line.split(": ", 1)[1] for line in done.stdout.splitlines() if line.startswith("password")
    )
    with db.write(sqlite_engine) as s:
        user = authenticate(s, "boss", password, NOW)
    assert user is not None and user.role == "admin"
