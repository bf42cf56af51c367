"""Fixtures of the upgrade tests: the single-firm host (tests/upgrade/host.py) instead of the
example app, on a database the released version made and used, or on an empty one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.upgrade.helpers import as_released, use_the_app
from tests.upgrade.host import create_app, db


@dataclass
class Released:
    """A database as the released version left it."""

    #: (contact id, customer id) of every link a user made.
    links: set[tuple[str, str]]
    #: Every row of every wsqb_ table, by table name, as that version stored it.
    rows: dict[str, list[dict]]


@pytest.fixture
def released(app_config, qbo) -> Released:
    """A database made and used by the released version: the host fills it through its pages
    (against the emulator), then its wsqb_ tables are replaced by the released version's holding
    the same rows (tests/upgrade/helpers.py, as_released)."""
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
    try:
        links = use_the_app(app, app.test_client(), qbo)
        with app.app_context():
            rows = as_released(db.engine, db.metadata, app_config["SECRET_KEY"])
    finally:
        with app.app_context():
            db.engine.dispose()
    return Released(links, rows)


@pytest.fixture
def app(app_config):
    """The host started on the test's database as it is (it creates no table)."""
    app = create_app(app_config)
    yield app
    with app.app_context():
        db.engine.dispose()
