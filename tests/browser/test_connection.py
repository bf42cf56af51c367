"""The Connection page in a real browser: the whole OAuth round trip through the emulator's
consent screen, landing back on the Connection page with the company shown."""

from __future__ import annotations

import pytest

from tests.browser.helpers import button, click_and_load, connect, css, screenshot, wait, wait_for_run
from tests.helpers import CONNECTION

pytestmark = pytest.mark.browser


def test_connect_through_the_consent_screen(page, qbo):
    qbo.seed_customers(3, seed=1)
    qbo.auto_consent = False
    page.get(page.base_url + CONNECTION)
    assert "No QuickBooks company is connected" in css(page, "#wsqb-connection-status").text
    click_and_load(page, button(page, "Connect to QuickBooks"))

    # Intuit's (the emulator's) consent screen: choose the company, press Connect
    assert page.current_url.startswith(qbo.base_url), page.current_url
    assert "Sandbox Company_US_1" in css(page, "#realmId").text
    click_and_load(page, css(page, "button#connect"))

    wait(page, lambda d: d.current_url.startswith(d.base_url + CONNECTION), message="no redirect back")
    assert css(page, "#wsqb-connection-status").get_attribute("data-connected") == "yes"
    assert css(page, "#wsqb-company-name").text == "Sandbox Company_US_1"
    assert "Connected to QuickBooks company Sandbox Company_US_1" in page.find_element("css selector", "main").text
    assert button(page, "Reconnect to QuickBooks") and button(page, "Disconnect")
    # connecting loads the customer list in the background; the page follows it to the end
    status = wait_for_run(page)
    assert status == "Completed! QuickBooks list refreshed (3 customers updated)."
    screenshot(page, "connection.png")


def test_cancel_on_the_consent_screen_leaves_it_unconnected(page, qbo):
    qbo.auto_consent = False
    page.get(page.base_url + CONNECTION)
    click_and_load(page, button(page, "Connect to QuickBooks"))
    click_and_load(page, css(page, "button#cancel"))
    wait(page, lambda d: d.current_url.startswith(d.base_url + CONNECTION), message="no redirect back")
    assert css(page, "#wsqb-connection-status").get_attribute("data-connected") == "no"
    assert "did not grant access" in css(page, ".flash-warning").text


def test_connect_helper_and_disconnect(page, qbo):
    connect(page, qbo)  # auto consent: straight back
    assert css(page, "#wsqb-company-name").text == "Sandbox Company_US_1"
    click_and_load_with_confirm(page, button(page, "Disconnect"))
    assert css(page, "#wsqb-connection-status").get_attribute("data-connected") == "no"
    assert button(page, "Connect to QuickBooks")


def click_and_load_with_confirm(driver, element):
    from selenium.webdriver.support import expected_conditions as EC

    element.click()
    wait(driver, EC.alert_is_present(), message="no confirm() dialog")
    driver.switch_to.alert.accept()
    wait(driver, EC.staleness_of(element), message="the page did not reload")
