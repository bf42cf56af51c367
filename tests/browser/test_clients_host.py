"""The second host (UUID keys, a computed name, the address in a related table, Flask-Login) in a
real browser: log in, connect, export from the grid, open the client from its name, Pull from its
QuickBooks menu."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    LiveServer,
    button,
    checked_ids,
    click_and_load,
    connect,
    css,
    screenshot,
    wait_for_run,
)
from tests.helpers import EXPORT, host_config
from tests.hosts import clients
from tests.hosts.clients import Address, Client, db

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(db_url, qbo):
    app = clients.create_app(host_config(db_url, qbo, WSQB_REDIRECT_URI=None))
    server = LiveServer(app)
    server.app = app
    yield server
    server.stop()
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_export_then_open_the_client_and_pull_it(page, qbo, live_server):
    with live_server.app.app_context():
        client = Client(
            first="Katherine",
            last="Johnson",
            phone="555-0100",
            address=Address(street="4 Elm St", city="Salem", region="OR"),
        )
        db.session.add(client)
        db.session.commit()
        client_id = str(client.id)
    page.get(page.base_url + EXPORT)
    assert "/login" in page.current_url  # anonymous: the host's login page
    page.get(page.base_url + "/login?as=ada")
    connect(page, qbo)

    page.get(page.base_url + EXPORT)
    row = css(page, f'tr[data-id="{client_id}"]')
    assert row.text.startswith("Katherine Johnson")  # the name the database computes
    row.find_element("css selector", 'input[name="selected"]').click()
    assert checked_ids(page) == [client_id]
    click_and_load(page, button(page, "Export Selected"))
    assert "Completed!" in wait_for_run(page)
    [customer] = qbo.customers()
    assert customer["DisplayName"] == "Katherine Johnson" and customer["BillAddr"]["City"] == "Salem"
    screenshot(page, "clients-host-export.png")

    qbo.edit_customer(customer["Id"], {"BillAddr": {**customer["BillAddr"], "City": "Portland"}})
    click_and_load(page, css(page, f'tr[data-id="{client_id}"] a.wsqb-contact-link'))
    assert page.current_url.endswith(f"/clients/{client_id}")
    click_and_load(page, button(page, "Pull Current Contact Info from QuickBooks"))
    assert "Pulled from QuickBooks" in page.page_source
    assert css(page, "#client-city").text == "Portland"
    assert "wsqb.css" in page.page_source  # the host's page carries the extension's styles
    screenshot(page, "clients-host-contact.png")
