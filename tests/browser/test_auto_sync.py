"""Automatic sync in a real browser: the settings on the Connection page, a customer created in
QuickBooks arriving by webhook as a contact, and Sync Health saying what happened."""

from __future__ import annotations

import pytest

from tests.auto.helpers import HEALTH, WEBHOOKS
from tests.browser.helpers import button, click_and_load, connect, css, screenshot, wait
from tests.helpers import CONNECTION

pytestmark = pytest.mark.browser


def choose(driver, field: str, label: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(css(driver, f"select[name='{field}']")).select_by_visible_text(label)


def test_settings_then_a_new_customer_arrives_as_a_contact(page, qbo, live_app):
    live_app.config["WSQB_WEBHOOK_VERIFIER_TOKEN"] = qbo.webhook_verifier_token
    qbo.webhook_url, qbo.webhook_delay = page.base_url + WEBHOOKS, 0.1
    connect(page, qbo)
    page.get(page.base_url + CONNECTION)
    assert css(page, "#wsqb-auto-sources").get_attribute("data-auto-sync") == "off"
    choose(page, "auto_sync", "QuickBooks → app")
    choose(page, "new_customers", "Create a contact")
    click_and_load(page, button(page, "Save settings"))
    assert "Automatic sync settings saved: Automatic sync is QuickBooks → app." in css(page, "main").text
    assert css(page, "#wsqb-auto-sources").get_attribute("data-auto-sync") == "quickbooks"

    qbo.add_customer({"DisplayName": "Grace Hopper", "PrimaryEmailAddr": {"Address": "grace@example.com"}})

    def arrived(driver) -> bool:
        driver.get(driver.base_url + "/contacts/")
        return "Grace Hopper" in driver.find_element("css selector", "main").text

    wait(page, arrived, timeout=15, message="the new customer never became a contact")
    page.get(page.base_url + HEALTH)
    assert css(page, "#wsqb-auto-state").text == "on, QuickBooks → app"
    assert css(page, "#wsqb-last-webhook").text != "never"
    assert css(page, "#wsqb-no-failures")
    assert int(css(page, "#wsqb-per-day tbody tr td:nth-child(2)").text) >= 1  # fields changed in the app
    screenshot(page, "sync-health.png")
