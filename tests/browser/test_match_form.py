"""Match Contacts in a real browser: Auto Match → accept → gone from the Import form."""

from __future__ import annotations

import pytest

from example_app.models import Contact, db
from tests.browser.helpers import button, click_and_load, connect, css, css_all, row_ids, screenshot, wait, wait_for_run
from tests.helpers import IMPORT

pytestmark = pytest.mark.browser

MATCH = "/setup/quickbooks/contacts/match"


def test_auto_match_accept_then_import_form_no_longer_shows_it(page, qbo, live_app):
    with live_app.app_context():
        contact = Contact(
            display_name="Robert Smith", first_name="Robert", last_name="Smith", email="bob@smith.example"
        )
        db.session.add(contact)
        db.session.add(Contact(display_name="Zebulon Quaxley"))
        db.session.commit()
        contact_id = str(contact.id)
    bob = qbo.add_customer({"DisplayName": "Bob Smith", "PrimaryEmailAddr": {"Address": "bob@smith.example"}})
    cafe = qbo.add_customer({"DisplayName": "Bluebird Cafe"})
    connect(page, qbo)

    page.get(page.base_url + IMPORT)
    assert bob["Id"] in row_ids(page)  # before matching, Bob is offered for import

    page.get(page.base_url + MATCH)
    click_and_load(page, button(page, "Auto Match"))
    # when the run ends the page loads itself again, showing the proposals under "Completed!"
    wait(
        page,
        lambda d: css_all(d, f'tr[data-contact-id="{contact_id}"][data-state="proposed"]'),
        message="the proposals did not appear without a reload by the user",
    )
    assert "Completed!" in wait_for_run(page)
    proposal = css(page, f'tr[data-contact-id="{contact_id}"][data-state="proposed"]')
    assert proposal.get_attribute("data-customer-id") == bob["Id"]
    assert "same email" in proposal.text
    unmatched = css_all(page, 'tr[data-state="unmatched"]')
    assert [row.text.split("\n")[0] for row in unmatched] == ["Zebulon Quaxley"]  # no result: not linked

    accept = [b for b in proposal.find_elements("css selector", "button") if b.text == "Accept"][0]
    click_and_load(page, accept)
    assert css(page, f'tr[data-contact-id="{contact_id}"]').get_attribute("data-state") == "linked"
    assert "Linked 1 contact." in page.page_source
    screenshot(page, "match-form.png")

    page.get(page.base_url + IMPORT)
    assert bob["Id"] not in row_ids(page) and cafe["Id"] in row_ids(page)
