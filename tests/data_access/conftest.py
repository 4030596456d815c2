"""Fixtures shared by the data-access tests."""

from tests.data_access.test_tickets import world  # noqa: F401  (customers, agent, engineers)
