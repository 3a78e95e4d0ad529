"""Fixtures of the load and fault tests (``pytest -m load tests/load``): the PostgreSQL server
they run on, and a private cluster that the outage test may stop."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.load.pg_cluster import PrivateCluster, unavailable

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server of the load tests: TEST_DATABASE_URL's when it is PostgreSQL,
    else the machine's on 127.0.0.1:5432. ``fresh_database`` makes a database there per
    test (the URL's own database is not touched)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql"):
        url = DEFAULT_ADMIN_URL
    engine = create_engine(make_url(url).set(database="postgres"))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        pytest.skip(f"the load tests need PostgreSQL; none answers at {make_url(url)!r}: {error}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def private_cluster() -> Iterator[PrivateCluster]:
    """A PostgreSQL cluster of its own, which a test may stop and start."""
    reason = unavailable()
    if reason:
        pytest.skip(f"no private PostgreSQL cluster for the fault tests: {reason}")
    with PrivateCluster.create() as cluster:
        yield cluster
