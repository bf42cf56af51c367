"""Pull and Sync on the contact page, through HTTP, against the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from example_app.models import Contact, db
from tests.helpers import add_contact, contact_action

PREFIX = "/setup/quickbooks"


def edit_contact(app, contact_id: str, *, at: datetime | None = None, **fields) -> None:
    """A bookkeeper's edit in the app (``at``: when, for newest-wins decisions)."""
    with app.app_context():
        contact = db.session.get(Contact, int(contact_id))
        for name, value in fields.items():
            setattr(contact, name, value)
        db.session.flush()
        if at is not None:
            contact.updated_at = at
        db.session.commit()


def contact(app, contact_id: str) -> Contact:
    with app.app_context():
        found = db.session.get(Contact, int(contact_id))
        db.session.expunge(found)
        return found


def act(client, contact_id: str, action: str, *, create: bool = True) -> str:
    """Click the contact page's menu entry; returns the page it lands on."""
    return contact_action(client, f"/contacts/{contact_id}", contact_id, action, create=create)


def changes(app, contact_id: str) -> list[tuple[str, str, str, str, bool]]:
    with app.app_context():
        Change = app.extensions["wsqb"].models.Change
        rows = db.session.execute(sa.select(Change).where(Change.contact_id == contact_id).order_by(Change.id))
        return [(c.source, c.side, c.field, c.new, c.conflict) for c in rows.scalars()]


def customer(qbo, customer_id: str) -> dict:
    return qbo.customer(customer_id)


def test_menu_entries_on_the_contact_page(linked_app, client):
    contact_id = add_contact(linked_app, display_name="Menu Check")
    page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert "Import/Export Contacts" in page and "QuickBooks Sync" in page
    assert "Pull Current Contact Info from QuickBooks" in page
    assert "Sync Current Contact Info (Newest Information)" in page
    assert f'action="{PREFIX}/contacts/{contact_id}/pull"' in page


def test_pull_by_name_links_then_pull_by_link_overwrites(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Granite Roofing", phone="555-0100", email="old@granite.example")
    qb = qbo.add_customer({"DisplayName": "Granite Roofing", "PrimaryPhone": {"FreeFormNumber": "555-0199"}})
    page = act(client, cid, "pull")
    assert "Pulled from QuickBooks" in page and "phone (&#39;555-0100&#39; → &#39;555-0199&#39;)" in page
    pulled = contact(linked_app, cid)
    assert pulled.phone == "555-0199" and pulled.email is None  # a deliberate overwrite
    qbo.edit_customer(qb["Id"], {"DisplayName": "Granite Roofing & Gutters"})
    act(client, cid, "pull")  # by link now, whatever the name
    assert contact(linked_app, cid).display_name == "Granite Roofing & Gutters"
    assert ("pull", "app", "phone", "555-0199", False) in changes(linked_app, cid)


def test_pull_with_no_customer_changes_nothing(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Nobody In QuickBooks", phone="1")
    page = act(client, cid, "pull")
    assert "No QuickBooks customer named &#39;Nobody In QuickBooks&#39; was found. Nothing was changed." in page
    assert contact(linked_app, cid).phone == "1" and changes(linked_app, cid) == []


def test_sync_of_a_contact_with_no_customer_asks_before_creating_one(linked_app, client, qbo):
    new = add_contact(linked_app, display_name="Fresh Client", email="fresh@client.example")
    page = act(client, new, "sync", create=False)
    assert "Create a QuickBooks customer?" in page and "&#39;Fresh Client&#39; is not linked" in page
    assert qbo.customers() == []  # nothing created before the user says so
    assert "Created in QuickBooks" in act(client, new, "sync")  # answering Create in QuickBooks


def test_sync_unlinked_contact_creates_or_finds_by_name(linked_app, client, qbo):
    new = add_contact(linked_app, display_name="Fresh Client", email="fresh@client.example")
    page = act(client, new, "sync")
    assert "Created in QuickBooks" in page
    [created] = [c for c in qbo.customers() if c["DisplayName"] == "Fresh Client"]
    assert created["PrimaryEmailAddr"]["Address"] == "fresh@client.example"

    found = add_contact(linked_app, display_name="Existing One", phone="555-0001")
    qb = qbo.add_customer({"DisplayName": "Existing One"})
    edit_contact(linked_app, found, at=datetime.now(timezone.utc) + timedelta(hours=1), phone="555-0002")
    act(client, found, "sync")  # found by name, app newer: its phone goes to QuickBooks
    assert customer(qbo, qb["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-0002"
    assert len(qbo.customers()) == 2


def test_sync_each_direction_by_newest(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Direction Co", email="a@direction.example")
    act(client, cid, "sync")
    [qb] = qbo.customers()
    # QuickBooks newer: its email comes to the app
    qbo.advance(3600)
    qbo.edit_customer(qb["Id"], {"PrimaryEmailAddr": {"Address": "b@direction.example"}})
    page = act(client, cid, "sync")
    assert "Changed in the app: email (&#39;a@direction.example&#39; → &#39;b@direction.example&#39;)" in page
    assert contact(linked_app, cid).email == "b@direction.example"
    # app newer: its email goes to QuickBooks
    edit_contact(linked_app, cid, at=datetime.now(timezone.utc) + timedelta(hours=3), email="c@direction.example")
    page = act(client, cid, "sync")
    assert "Changed in QuickBooks: email" in page
    assert customer(qbo, qb["Id"])["PrimaryEmailAddr"]["Address"] == "c@direction.example"


def test_monday_phone_and_tuesday_address_both_survive(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Both Edits LLC", phone="555-1000", street="1 Old Road")
    act(client, cid, "sync")
    [qb] = qbo.customers()
    monday = datetime.now(timezone.utc)
    edit_contact(linked_app, cid, at=monday, phone="555-2000")  # Monday, in the app
    qbo.advance(24 * 3600)  # Tuesday, in QuickBooks: newer than the app's edit
    qbo.edit_customer(qb["Id"], {"BillAddr": {"Line1": "2 New Street"}})
    act(client, cid, "sync")
    after = contact(linked_app, cid)
    assert after.phone == "555-2000" and after.street == "2 New Street"
    in_qbo = customer(qbo, qb["Id"])
    assert in_qbo["PrimaryPhone"]["FreeFormNumber"] == "555-2000"
    assert in_qbo["BillAddr"]["Line1"] == "2 New Street"
    assert not any(conflict for *_rest, conflict in changes(linked_app, cid))


def test_true_conflict_takes_newer_and_is_recorded_and_shown(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Conflict Corp", email="one@conflict.example")
    act(client, cid, "sync")
    [qb] = qbo.customers()
    edit_contact(linked_app, cid, at=datetime.now(timezone.utc), email="app@conflict.example")
    qbo.advance(3600)
    qbo.edit_customer(qb["Id"], {"PrimaryEmailAddr": {"Address": "qbo@conflict.example"}})
    page = act(client, cid, "sync")
    assert "Changed on both sides since the last sync, the newer value was kept: email." in page
    assert contact(linked_app, cid).email == "qbo@conflict.example"
    assert ("sync", "app", "email", "qbo@conflict.example", True) in changes(linked_app, cid)
    history = client.get(f"{PREFIX}/history?contact={cid}").get_data(as_text=True)
    assert "conflict" in history and "qbo@conflict.example" in history
    assert ">Conflict Corp</a>" in history  # the contact by name
    assert "wsqb-contact-history" in client.get(f"/contacts/{cid}").get_data(as_text=True)


def test_stale_sync_token_is_reread_and_decided_again(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Stale Token Inc", phone="555-3000")
    act(client, cid, "sync")
    [qb] = qbo.customers()
    edit_contact(linked_app, cid, at=datetime.now(timezone.utc) + timedelta(hours=1), phone="555-3001")
    qbo.fail_next(status=400, fault_code=5010, message="Stale Object Error", path="/customer", method="POST")
    page = act(client, cid, "sync")
    assert "Synced" in page
    assert customer(qbo, qb["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-3001"


def test_hidden_and_inactive_both_ways(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Sleepy Shop")
    act(client, cid, "sync")
    [qb] = qbo.customers()
    edit_contact(linked_app, cid, at=datetime.now(timezone.utc) + timedelta(hours=1), hidden=True)
    act(client, cid, "sync")
    assert customer(qbo, qb["Id"])["Active"] is False
    qbo.advance(3 * 3600)
    qbo.edit_customer(qb["Id"], {"Active": True})  # brought back in QuickBooks
    act(client, cid, "sync")
    assert contact(linked_app, cid).hidden is False


def test_401_mid_action_refreshes_and_succeeds(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Token Expired Ltd")
    qbo.add_customer({"DisplayName": "Token Expired Ltd", "PrimaryPhone": {"FreeFormNumber": "555-4000"}})
    qbo.expire_access_tokens()
    page = act(client, cid, "pull")
    assert "Pulled from QuickBooks" in page
    assert contact(linked_app, cid).phone == "555-4000"


def test_quickbooks_error_leaves_both_sides_as_they_were(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Outage Outfitters", phone="555-5000")
    act(client, cid, "sync")
    [qb] = qbo.customers()
    qbo.advance(3600)
    qbo.edit_customer(qb["Id"], {"BillAddr": {"Line1": "9 Quick St"}})
    edit_contact(linked_app, cid, at=datetime.now(timezone.utc), phone="555-5001")
    qbo.fail_next(status=500, count=10, path="/customer", method="POST")
    page = act(client, cid, "sync")
    assert "Nothing was changed" in page
    assert contact(linked_app, cid).street is None  # the app did not take QuickBooks' address
    assert customer(qbo, qb["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-5000"


def test_two_syncs_of_one_contact_at_once_end_consistent(linked_app, client, qbo):
    import threading

    cid = add_contact(linked_app, display_name="Twice At Once", phone="555-6000")
    pages: list[str] = []

    def click_sync():
        pages.append(act(linked_app.test_client(), cid, "sync"))

    threads = [threading.Thread(target=click_sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(pages) == 2 and all("Nothing was changed" not in p for p in pages), pages
    [created] = [c for c in qbo.customers() if c["DisplayName"] == "Twice At Once"]
    assert created["PrimaryPhone"]["FreeFormNumber"] == "555-6000"
    with linked_app.app_context():
        Link = linked_app.extensions["wsqb"].models.ContactLink
        assert db.session.execute(sa.select(sa.func.count()).select_from(Link)).scalar() == 1


def test_a_write_the_host_database_refuses_fails_the_pull_and_changes_nothing(linked_app, client, qbo, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite stores any length; PostgreSQL enforces the host's VARCHAR(200)")
    cid = add_contact(linked_app, display_name="Short Name Ltd", phone="555-0100")
    customer = qbo.add_customer({"DisplayName": "Short Name Ltd", "PrimaryPhone": {"FreeFormNumber": "555-0199"}})
    act(client, cid, "pull")
    qbo.edit_customer(customer["Id"], {"DisplayName": "Long " * 60, "PrimaryPhone": {"FreeFormNumber": "555-0111"}})
    page = act(client, cid, "pull")
    assert "The app&#39;s database refused the change" in page and "left as it was" in page
    kept = contact(linked_app, cid)
    assert (kept.display_name, kept.phone) == ("Short Name Ltd", "555-0199")
