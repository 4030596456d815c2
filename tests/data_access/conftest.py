"""Fixtures shared by the data-access tests."""

from collections.abc import Iterator

import pytest
from alembic.config import Config

from data_access.migrate import alembic_config
from tests.data_access.test_tickets import world  # noqa: F401  (customers, agent, engineers)
from tests.helpers import migration_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def migration_db(request, tmp_path) -> Iterator[tuple[str, Config]]:
    """(url, Alembic config) of an empty database to migrate by hand, on SQLite and on
    PostgreSQL (a schema named after the test module, dropped after the test)."""
    schema = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    with migration_url(request.param, tmp_path, schema) as url:
        cfg = alembic_config(url)
        cfg.attributes["configure_logger"] = False
        yield url, cfg
