"""The extension's entries in the example host's own menus (rendered by the host's templates)."""

from __future__ import annotations

import re

from example_app.models import Contact, db


def test_setup_menu_carries_the_quickbooks_entries(client):
    html = client.get("/").get_data(as_text=True)
    setup = html[html.index('class="wsqb-menu"') :]
    for label, href in (
        ("Connection", "/setup/quickbooks/connection"),
        ("Import from QuickBooks", "/setup/quickbooks/contacts/import"),
        ("Export to QuickBooks", "/setup/quickbooks/contacts/export"),
        ("Match Contacts", "/setup/quickbooks/contacts/match"),
        ("History", "/setup/quickbooks/history"),
    ):
        assert f'<a href="{href}">{label}</a>' in setup
    # nested as the product has it: Setup → QuickBooks → Contacts → Import from QuickBooks
    assert re.search(r"QuickBooks</button>.*Connection.*Contacts</button>.*Import from QuickBooks", setup, re.S)


def test_contact_page_menu_carries_pull_and_sync(app, client):
    with app.app_context():
        contact = Contact(display_name="Menu Client")
        db.session.add(contact)
        db.session.commit()
        contact_id = contact.id
    html = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert re.search(
        r"Import/Export Contacts</button>.*QuickBooks Sync</button>.*"
        r"Pull Current Contact Info from QuickBooks.*Sync Current Contact Info \(Newest Information\)",
        html,
        re.S,
    )
    assert f'action="/setup/quickbooks/contacts/{contact_id}/pull"' in html
    assert 'name="csrf_token"' in html  # the menu's actions are CSRF-protected POSTs
