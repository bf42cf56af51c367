"""axe-core's WCAG 2 A/AA rules in a real browser on every page of the extension and of the example
app, in the states a user meets them in (menus open too): no serious or critical violation."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from tests.browser import tour
from tests.browser.axe import audit, serious
from tests.browser.helpers import css, wait

pytestmark = pytest.mark.browser


def violations_on(driver, name: str, path: str | None = None) -> list[str]:
    """The serious and critical violations of a page (loaded from ``path``, or as it stands)."""
    if path is not None:
        driver.get(driver.base_url + path)
        wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    return [f"{name}: {line}" for line in serious(audit(driver))]


def open_menu(driver, title: str) -> None:
    """Open one of the header's menus from the keyboard, as its own script lets a user."""
    menu = [m for m in driver.find_elements("css selector", ".menubar .menu-title") if m.text == title][0]
    menu.send_keys(Keys.ENTER)
    wait(driver, lambda _d: menu.get_attribute("aria-expanded") == "true", message=f"{title} did not open")


def test_before_connecting(page, live_app):
    problems = []
    for stop in tour.before_connecting(live_app):
        problems += violations_on(page, stop.name, stop.path)
    open_menu(page, "Setup")
    problems += violations_on(page, "connection-not-connected, Setup menu open")
    assert not problems, "\n".join(problems)


def test_after_a_days_work(page, qbo, live_app):
    problems = []
    stops = tour.connected(live_app, qbo)
    for stop in stops:
        problems += violations_on(page, stop.name, stop.path)
    page.get(page.base_url + next(s.path for s in stops if s.name == "contact-linked"))
    open_menu(page, "Contacts")
    problems += violations_on(page, "contact page, Contacts menu open")
    assert css(page, "#wsqb-contact-history")
    with tour.denied() as path:
        problems += violations_on(page, "access denied", path)
        assert "Access denied" in css(page, "h1").text
    assert not problems, "\n".join(problems)
