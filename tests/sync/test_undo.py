"""Undo of any history entry, through HTTP: the value the entry replaced comes back on the side it
changed, only that side, only while that side still holds what the entry wrote; recorded."""

from __future__ import annotations

import sqlalchemy as sa

from tests.helpers import EXPORT, IMPORT, add_contact, post_form, submit
from tests.sync.test_contact_sync import act, contact, customer, edit_contact

HISTORY = "/setup/quickbooks/history"


def entry(app, contact_id: str, field: str, source: str) -> int:
    """The id of the newest history entry of this contact's field made by ``source``."""
    with app.app_context():
        Change = app.extensions["wsqb"].models.Change
        session = app.extensions["wsqb"].db.session
        return (
            session.execute(
                sa.select(Change.id)
                .where(Change.contact_id == contact_id, Change.field == field, Change.source == source)
                .order_by(Change.id.desc())
            )
            .scalars()
            .first()
        )


def undo(client, change_id: int) -> str:
    answer = post_form(client, HISTORY, f"{HISTORY}/{change_id}/undo", {"next": HISTORY}, follow_redirects=True)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_undo_an_import_puts_the_app_value_back_and_leaves_quickbooks(linked_app, client, qbo):
    contact_id = add_contact(linked_app, display_name="Undo Dental", phone="555-0100")
    qb = qbo.add_customer({"DisplayName": "Undo Dental", "PrimaryEmailAddr": {"Address": "hi@undo.example"}})
    submit(client, IMPORT, [], IMPORT + "/refresh")
    assert submit(client, IMPORT, [qb["Id"]])["ok"] == 1  # links it and fills the empty email
    assert contact(linked_app, contact_id).email == "hi@undo.example"

    page = undo(client, entry(linked_app, contact_id, "email", "import"))
    assert "Undone in the app: email is &#39;&#39; again" in page
    assert contact(linked_app, contact_id).email in ("", None)
    assert customer(qbo, qb["Id"])["PrimaryEmailAddr"]["Address"] == "hi@undo.example"  # QuickBooks keeps it
    assert entry(linked_app, contact_id, "email", "undo")  # recorded
    act(client, contact_id, "sync")  # both sides agree on this pair now: Sync does not redo it
    assert contact(linked_app, contact_id).email in ("", None)


def test_undo_an_export_puts_the_quickbooks_value_back(linked_app, client, qbo):
    contact_id = add_contact(linked_app, display_name="Undo Bakery", phone="555-0200")
    assert submit(client, EXPORT, [contact_id])["ok"] == 1
    qb = [c for c in qbo.customers() if c["DisplayName"] == "Undo Bakery"][0]
    edit_contact(linked_app, contact_id, phone="555-0201")
    assert submit(client, EXPORT, [contact_id])["ok"] == 1
    assert customer(qbo, qb["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-0201"

    page = undo(client, entry(linked_app, contact_id, "phone", "export"))
    assert "Undone in QuickBooks: phone is &#39;555-0200&#39; again" in page
    assert customer(qbo, qb["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-0200"
    assert contact(linked_app, contact_id).phone == "555-0201"  # the app keeps its value


def test_undo_is_refused_when_the_field_changed_again(linked_app, client, qbo):
    contact_id = add_contact(linked_app, display_name="Undo Florist")
    qb = qbo.add_customer({"DisplayName": "Undo Florist", "PrimaryPhone": {"FreeFormNumber": "555-0300"}})
    act(client, contact_id, "pull")
    edit_contact(linked_app, contact_id, phone="555-0399")  # changed again in the app since
    qbo.reset_log()
    page = undo(client, entry(linked_app, contact_id, "phone", "pull"))
    assert "Nothing was undone: the phone was changed again in the app since" in page
    assert contact(linked_app, contact_id).phone == "555-0399"
    assert not [r for r in qbo.request_log if r[0] == "POST"]  # nothing written to QuickBooks
    assert customer(qbo, qb["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-0300"


def test_undo_of_an_unknown_or_undo_entry_is_not_found(linked_app, client, qbo):
    assert post_form(client, HISTORY, f"{HISTORY}/999999/undo").status_code == 404
    contact_id = add_contact(linked_app, display_name="Undo Twice")
    qbo.add_customer({"DisplayName": "Undo Twice", "PrimaryPhone": {"FreeFormNumber": "555-0400"}})
    act(client, contact_id, "pull")
    undo(client, entry(linked_app, contact_id, "phone", "pull"))
    assert (
        post_form(client, HISTORY, f"{HISTORY}/{entry(linked_app, contact_id, 'phone', 'undo')}/undo").status_code
        == 404
    )
