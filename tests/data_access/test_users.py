"""Users: argon2 hashes, log-in, lock-out, password change — on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import db
from data_access.models import User
from data_access.users import (
    LoginInactive,
    LoginLocked,
    WeakPassword,
    authenticate,
    change_password,
    create_user,
    demo_password_in_use,
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
