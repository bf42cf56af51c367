"""Real-browser fixtures: the example host app served on a live port and one headless Chromium
per session (tests/browser/helpers.py drives the pages).

Offline only: Selenium Manager is never asked for anything (explicit chromedriver and
Chromium paths), and the app talks only to the ``qbo`` emulator.
"""

from __future__ import annotations

import shutil
import tempfile

import pytest

from flask_wsqb.tasks.rounds import stop_timers
from tests.browser.helpers import LiveServer
from tests.helpers import host_config

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def db_url(tmp_path):
    """Browser tests run on SQLite only (the sync suites cover PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'host.db'}"


@pytest.fixture
def live_app(db_url, qbo):
    from example_app import create_app

    # No fixed callback: the extension builds it from the request, i.e. this live server.
    app = create_app(host_config(db_url, qbo, WSQB_REDIRECT_URI=None))
    yield app
    stop_timers(app)  # automatic sync's rounds (threads here) end with the app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = LiveServer(live_app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="wsqb-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, live_server):
    """The browser, with fresh cookies, pointed at this test's live server."""
    browser.get(live_server.url + "/")
    browser.delete_all_cookies()
    browser.base_url = live_server.url
    yield browser
    browser.get("about:blank")
