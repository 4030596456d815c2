"""Users: argon2 password hashes, log-in with lock-out after repeated failures."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data_access import audit, db
from data_access.adapters import Change, Hooks, Refs, Written
from data_access.errors import Refused
from data_access.models import User
from rules.access import (
    LOCK_MINUTES,
    MAX_FAILED_LOGINS,
    MIN_USERNAME_LENGTH,
    PasswordProblem,
    Role,
    password_problems,
    username_too_short,
)


def hasher_parameters() -> dict[str, int]:
    """argon2 cost: the library's defaults; cheap when ``AFTERSALES_TEST_CHEAP_HASH=1`` (tests)."""
    if os.environ.get("AFTERSALES_TEST_CHEAP_HASH") == "1":
        return {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
    return {}


_hasher = PasswordHasher(**hasher_parameters())


class LoginLocked(Exception):
    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


class LoginInactive(Exception):
    pass


class BadUsername(ValueError):
    """A user name the first start refuses (blank or shorter than MIN_USERNAME_LENGTH)."""


class WeakPassword(ValueError):
    """The password breaks the policy in :mod:`rules.access`; ``problems`` says how."""

    def __init__(self, problems: list[PasswordProblem]):
        super().__init__(", ".join(problems))
        self.problems = problems


def check_password(password: str, username: str | None) -> None:
    """Raise :class:`WeakPassword` unless ``password`` may be set for ``username``."""
    problems = password_problems(password, username)
    if problems:
        raise WeakPassword(problems)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    region: str | None
    demo_password: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def count_users(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    display_name: str | None = None,
    region: str | None = None,
    demo_password: bool = False,
    *,
    by: int | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Add a user; raises :class:`WeakPassword` for a password the policy refuses.
    Audited as done by ``by`` (None: the first start, the command line)."""
    check_password(password, username)
    user = User(
        username=username.strip(),
        display_name=(display_name or username).strip(),
        role=str(Role(role)),
        region=region,
        password_hash=hash_password(password),
        demo_password=demo_password,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        entity=audit.USERS,
        action=audit.Action.USER_CREATE,
        key=user.username,
        changes={"role": user.role, "region": region, "display_name": user.display_name},
        user_id=by,
        now=now or dt.datetime.now(),
    )
    return user


def create_first_admin(
    session: Session, username: str, password: str, display_name: str | None = None
) -> bool:
    """Create the first admin while the users table is empty; False when another browser
    was quicker (it then holds the only admin). Raises :class:`BadUsername` or
    :class:`WeakPassword` for a refused name or password.

    The check and the insert are one transaction that holds the table's write lock
    (SQLite: BEGIN IMMEDIATE via ``db.write``; PostgreSQL: a self-conflicting table
    lock), so two first starts at once cannot both see an empty table.
    """
    if username_too_short(username):
        raise BadUsername(username)
    check_password(password, username)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {User.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))
    if count_users(session) > 0:
        return False
    create_user(session, username, password, Role.ADMIN, display_name or username)
    return True


def _current(user: User) -> CurrentUser:
    return CurrentUser(
        user.id, user.username, user.display_name, user.role, user.region, user.demo_password
    )


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime
) -> CurrentUser | None:
    """Check a log-in inside the caller's write transaction.

    Returns the user, or None for a wrong name/password; raises LoginLocked while
    the account is locked after MAX_FAILED_LOGINS failures, LoginInactive when
    disabled. Failures are counted even when the password is then right. Every
    attempt costs one password check, whatever the outcome, so timing tells an
    unknown, locked or disabled name from a known one no more than the page does.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        verify_password(_DUMMY_HASH, password)
        _login_audit(session, username, audit.Action.LOGIN_FAILED, now)
        return None
    right = _verify_cost_alike(user.password_hash, password)
    if user.locked_until and user.locked_until > now:
        raise LoginLocked(max(1, int((user.locked_until - now).total_seconds() // 60) + 1))
    if not right:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        just_locked = user.locked_until is not None and user.locked_until > now
        locked = {"locked_until": user.locked_until} if just_locked else None
        _login_audit(session, username, audit.Action.LOGIN_FAILED, now, locked)
        return None
    if not user.is_active:
        raise LoginInactive()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    _login_audit(session, username, audit.Action.LOGIN, now, user_id=user.id)
    return _current(user)


def _login_audit(
    session: Session,
    username: str,
    action: audit.Action,
    now: dt.datetime,
    changes: dict | None = None,
    user_id: int | None = None,
) -> None:
    """A log-in attempt: the name as tried is the key (an attempt is nobody's until it
    succeeds)."""
    key = username.strip()
    audit.record(
        session,
        entity=audit.LOGIN,
        action=action,
        key=key,
        changes=changes,
        user_id=user_id,
        now=now,
    )


def record_refused_login(
    session: Session, username: str, refused: LoginLocked | LoginInactive, now: dt.datetime
) -> None:
    """Audit a log-in :func:`authenticate` refused by raising (its transaction rolled
    back with it): the caller records it in a transaction of its own."""
    locked = isinstance(refused, LoginLocked)
    action = audit.Action.LOGIN_LOCKED if locked else audit.Action.LOGIN_INACTIVE
    _login_audit(session, username, action, now)


def _verify_cost_alike(password_hash: str, password: str) -> bool:
    """``verify_password``, spending a real check also for a hash that is none (a user
    waiting for a password reset), which would otherwise answer at once."""
    if not password_hash.startswith("$argon2"):
        verify_password(_DUMMY_HASH, password)
        return False
    return verify_password(password_hash, password)


def change_password(
    session: Session, user_id: int, current: str, new: str, now: dt.datetime | None = None
) -> bool:
    """False when ``current`` is wrong; raises :class:`WeakPassword` for a refused ``new``."""
    user = session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, current):
        return False
    _set_password(session, user, new, audit.Action.PASSWORD_CHANGE, user_id, now)
    return True


def _set_password(
    session: Session, user: User, new: str, action: str, by: int | None, now: dt.datetime | None
) -> None:
    """The one place a password is set: policy, hash, no demo flag, no lock-out, audit."""
    check_password(new, user.username)
    user.password_hash = hash_password(new)
    user.demo_password = False
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        session,
        entity=audit.USERS,
        action=action,
        key=user.username,
        user_id=by,
        now=now or dt.datetime.now(),
    )


def active_user(session: Session, user_id: int) -> CurrentUser | None:
    """The user as the database has them now; None when gone or deactivated (an open
    session re-reads this, so a role change or deactivation takes effect at once)."""
    user = session.get(User, user_id)
    return _current(user) if user is not None and user.is_active else None


def demo_password_in_use(session: Session) -> bool:
    """True while any active account still has the published demo password."""
    stmt = select(func.count(User.id)).where(User.demo_password.is_(True), User.is_active.is_(True))
    return bool(session.scalar(stmt))


def engineers(session: Session, region: str | None = None) -> list[CurrentUser]:
    stmt = select(User).where(User.role == Role.ENGINEER, User.is_active.is_(True))
    if region:
        stmt = stmt.where(User.region == region)
    return [_current(u) for u in session.scalars(stmt.order_by(User.display_name))]


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def list_users(session: Session) -> list[dict]:
    rows = session.scalars(select(User).order_by(User.role, User.username))
    return [
        {
            "id": u.id,
            "version": u.version,
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role,
            "region": u.region,
            "is_active": u.is_active,
            "demo_password": u.demo_password,
            "last_login_at": u.last_login_at,
        }
        for u in rows
    ]


def update_user(
    session: Session, user_id: int, version: int, *, role: str, region: str | None, is_active: bool
) -> None:
    """Change a user's role, region or active flag; a stale version raises StaleDataError."""
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    if user.version != version:
        raise StaleDataError(f"user {user.username}")
    user.role = str(Role(role))
    user.region = region or None
    user.is_active = is_active


def reset_password(
    session: Session,
    user_id: int,
    new_password: str,
    *,
    by: int | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Set a user's password (admin ``by``); raises :class:`WeakPassword` for a refused one."""
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    _set_password(session, user, new_password, audit.Action.PASSWORD_RESET, by, now)


def username_taken(session: Session, username: str) -> bool:
    return session.scalar(select(func.count(User.id)).where(User.username == username.strip())) > 0


# ---------------------------------------------------------------- the users register
NO_PASSWORD = "!"  # matches no password: an imported or grid-added user waits for a reset


class UserHooks(Hooks):
    """Users through the register grid and Excel: a new user has no password until an
    admin resets one; no write may leave the installation without an active admin."""

    columns = ("password_hash",)

    def derive(self, values: dict, refs: Refs) -> list:
        if values.get("password_hash", NO_PASSWORD) is None:
            values["password_hash"] = NO_PASSWORD
        if values.get("is_active") is None and "is_active" in values:
            values["is_active"] = True
        return []

    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        if active_admins(session) == 0:
            raise Refused("users.err.last_admin")


def active_admins(session: Session) -> int:
    query = select(func.count()).where(User.role == Role.ADMIN, User.is_active.is_(true()))
    return session.execute(query).scalar_one()


# ---------------------------------------------------------------- recovery
def reset_admin(session: Session, username: str | None = None) -> tuple[str, str]:
    """Make ``username`` (default: the oldest admin, else a new "admin") an active,
    unlocked admin with a new random password; returns (username, password)."""
    if username is None:
        oldest = select(User).where(User.role == Role.ADMIN).order_by(User.id).limit(1)
        user = session.scalar(oldest)
        username = user.username if user is not None else "admin"
    else:
        user = session.scalar(select(User).where(User.username == username.strip()))
    password = secrets.token_urlsafe(15)
    created = user is None
    if user is None:
        if username_too_short(username):
            raise BadUsername(username)
        user = create_user(session, username, password, Role.ADMIN)
    else:
        user.password_hash = hash_password(password)
        user.role = str(Role.ADMIN)
        user.is_active = True
        user.failed_logins = 0
        user.locked_until = None
        user.demo_password = False
    audit.record(
        session,
        entity=audit.USERS,
        action=audit.Action.ADMIN_RESET,
        key=user.username,
        changes={"created": created},  # the command line: nobody signed in
        now=dt.datetime.now(),
    )
    return user.username, password


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data_access.users", description="Recover a locked-out installation."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    reset = commands.add_parser(
        "reset-admin",
        help="unlock, reactivate and make admin one user, with a new random password",
    )
    reset.add_argument("--username", help="the user (default: the oldest admin, else 'admin')")
    args = parser.parse_args(argv)
    engine = db.make_engine()
    try:
        with db.write(engine) as session:
            username, password = reset_admin(session, args.username)
    except BadUsername:
        print(f"refused: a user name needs {MIN_USERNAME_LENGTH} characters: {args.username!r}")
        return 2
    finally:
        engine.dispose()
    print(f"user: {username}")
    print(f"password: {password}")
    print("Log in with it and change it at once.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
