"""Fixtures shared by the whole suite: a fresh example host app per test, on SQLite and
PostgreSQL, wired to a fresh QuickBooks emulator (the ``qbo`` fixture of flask_wsqb's
pytest plugin)."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests.helpers import host_config

#: Where the PostgreSQL tests run; set it empty to run SQLite only.
POSTGRES_URL = os.environ.get("WSQB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'host.db'}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:  # a clean database for each test
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def app_config(db_url, qbo) -> dict:
    """Config for the example host app; tests may change it before asking for ``app``."""
    return host_config(db_url, qbo)


@pytest.fixture
def app(app_config):
    from example_app import create_app

    app = create_app(app_config)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
