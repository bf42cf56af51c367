"""Fixtures shared by the whole suite: a fresh example host app per test, on SQLite and
PostgreSQL, wired to a fresh QuickBooks emulator (the ``qbo`` fixture of flask_wsqb's
pytest plugin)."""
from __future__ import annotations

import os
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import sqlalchemy as sa

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


def host_config(db_url: str, qbo, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "EXAMPLE_EMULATOR": False,
        "EXAMPLE_SEED": False,
        "WSQB_CLIENT_ID": qbo.client_id,
        "WSQB_CLIENT_SECRET": qbo.client_secret,
        "WSQB_ENVIRONMENT": qbo.discovery_url,
        "WSQB_API_URL": qbo.api_url,
        "WSQB_TIMEOUT": 5.0,
        # QuickBooks asks for a minute's pause after a 429; the emulator's faults need none.
        "WSQB_RETRY_BACKOFF": 0.01,
        "WSQB_RETRY_MAX_WAIT": 0.1,
    }
    config.update(overrides)
    return config


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


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, page: str) -> str:
    """The CSRF token a user's browser would send, read from the form page."""
    html = client.get(page).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(client, page: str, action: str, data: dict | None = None, **kw):
    """Submit a form found on ``page`` to ``action``, as a browser would."""
    return client.post(action, data={"csrf_token": csrf_token(client, page), **(data or {})}, **kw)


def connect_quickbooks(client, qbo) -> None:
    """Walk the real OAuth flow: Connect → emulator consent (auto) → callback."""
    qbo.auto_consent = True
    answer = post_form(client, "/setup/quickbooks/connection", "/setup/quickbooks/connection/connect")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    consent = requests.get(answer.headers["Location"], allow_redirects=False, timeout=5)
    assert consent.status_code in (302, 303), consent.text
    callback = urlsplit(consent.headers["Location"])
    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302
    # connecting loads the customer list in the background; let it finish first
    wait_for_run(client, run_id_of(done))


def wait_for_run(client, run_id: int, timeout: float = 60.0) -> dict:
    """Poll the run's JSON, as the progress bar does, until it finishes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = client.get(f"/setup/quickbooks/runs/{run_id}.json").get_json()
        if report["finished"]:
            return report
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s: {report}")


def run_id_of(answer) -> int:
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(parse_qs(urlsplit(answer.headers["Location"]).query)["run"][0])
