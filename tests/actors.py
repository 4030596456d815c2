"""Who acts in tests: an administrator without a user row, unless rights are under test."""

from __future__ import annotations

from rules.access import Actor, Role

ADMIN = Actor(None, Role.ADMIN)


def agent(user_id: int | None) -> Actor:
    return Actor(user_id, Role.AGENT)


def engineer(user_id: int | None) -> Actor:
    return Actor(user_id, Role.ENGINEER)
