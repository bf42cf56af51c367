"""Fixtures shared by the whole suite: a fresh example host app per test, on SQLite and
PostgreSQL, wired to a fresh QuickBooks emulator (the ``qbo`` fixture of flask_wsqb's
pytest plugin). The PostgreSQL tests run in a database of this run's own (tests/services.py)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from flask_wsqb.tasks.rounds import stop_timers
from tests.helpers import host_config
from tests.services import create_database, drop_database, private_database_name

#: The PostgreSQL server the tests make their database on, reached through a database that is
#: there already (its maintenance database by default); set it empty to run SQLite only.
POSTGRES_URL = os.environ.get("WSQB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def postgres_url():
    """A database of this run's own on the ``WSQB_TEST_POSTGRES_URL`` server, dropped when the
    run ends (passed or failed), so that runs side by side never share tables."""
    if not POSTGRES_URL:
        pytest.skip("WSQB_TEST_POSTGRES_URL is empty: SQLite only")
    name = private_database_name()
    url = create_database(POSTGRES_URL, name)
    try:
        yield url
    finally:
        drop_database(POSTGRES_URL, name)


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'host.db'}"
    url = request.getfixturevalue("postgres_url")  # made on first use: SQLite-only runs need no server
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a clean database for each test
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def app_config(db_url, qbo) -> dict:
    """Config for the example host app; tests may change it before asking for ``app``."""
    return host_config(db_url, qbo)


@pytest.fixture
def app(app_config):
    from example_app import create_app

    app = create_app(app_config)
    yield app
    stop_timers(app)  # automatic sync's rounds (threads without Redis) end with the app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
