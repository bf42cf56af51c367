"""The demo's QuickBooks page in a real browser, with the example app's own emulator as
`python -m example_app` runs it: edit a customer there, then Pull on the contact shows the change."""

from __future__ import annotations

import pytest

from example_app import create_app, demo
from tests.browser.helpers import LiveServer, button, click_and_load, connect, css, screenshot
from tests.browser.test_a11y import violations_on
from tests.browser.test_contact_page import open_menu_and_click
from tests.browser.test_narrow import look
from tests.helpers import add_contact

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(tmp_path):
    demo.forget_emulator()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "EXAMPLE_SEED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'example.db'}",
            "EXAMPLE_EMULATOR_STATE": str(tmp_path / "qbo-emulator.json"),
        },
        instance_path=str(tmp_path),
    )
    server = LiveServer(app)
    yield server
    server.stop()
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
    demo.forget_emulator()


def test_edit_in_quickbooks_then_pull(page, live_server):
    app = live_server.app
    qbo = app.extensions["example_emulator"]
    contact_id = add_contact(app, display_name="Cedar Bakery", phone="(503) 555-0100")
    qbo.add_customer({"DisplayName": "Cedar Bakery", "PrimaryPhone": {"FreeFormNumber": "(503) 555-0100"}})
    connect(page, qbo)

    page.get(page.base_url + "/")
    click_and_load(page, css(page, "#demo-quickbooks-link"))
    search = css(page, "#demo-search")
    search.send_keys("Cedar")
    click_and_load(page, button(page, "Search"))
    problems = violations_on(page, "demo QuickBooks list")
    click_and_load(page, page.find_element("link text", "Cedar Bakery"))
    problems += violations_on(page, "demo QuickBooks customer")
    phone = css(page, "input[name=phone]")
    phone.clear()
    phone.send_keys("(503) 555-0177")
    click_and_load(page, button(page, "Save in QuickBooks"))
    assert "Saved “Cedar Bakery” in QuickBooks." in css(page, "main").text
    assert "(503) 555-0177" in css(page, "#demo-customers").text
    problems += look(page, "demo-quickbooks", "/demo/quickbooks/?q=Cedar")
    page.set_window_size(1280, 1000)
    assert not problems, "\n".join(problems)

    page.get(f"{page.base_url}/contacts/{contact_id}")
    open_menu_and_click(page, "Pull Current Contact Info from QuickBooks")
    assert "Pulled from QuickBooks" in css(page, "main").text
    assert css(page, ".field-phone").text == "(503) 555-0177"
    screenshot(page, "demo-quickbooks-pulled.png")
