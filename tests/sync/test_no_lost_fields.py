"""No field lost on any path: nested objects go whole whatever QuickBooks does with part of one,
Export of a linked contact sends only what the app changed since both sides agreed, and a
link between records in different hidden/inactive states flips neither."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.helpers import EXPORT, IMPORT, add_contact, items_by_key, post_form, refresh_list, submit
from tests.sync.test_contact_sync import act, contact, edit_contact

ADDRESS = {"street": "12 Oak St", "city": "Portland", "state": "OR", "postal_code": "97201", "country": "USA"}
BILL_ADDR = {
    "Line1": "12 Oak St",
    "City": "Portland",
    "CountrySubDivisionCode": "OR",
    "PostalCode": "97201",
    "Country": "USA",
}


def exported(app, client, qbo, **fields) -> tuple[str, str]:
    """A contact exported once (linked, both sides agreeing); its id and its customer's id."""
    contact_id = add_contact(app, **fields)
    report = submit(client, EXPORT, [contact_id])
    assert report["ok"] == 1, report
    return contact_id, qbo.customers()[-1]["Id"]


def past(minutes: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


@pytest.mark.parametrize("mode", ["replace", "merge"])
@pytest.mark.parametrize("how", ["sync", "export"])
def test_changing_one_address_part_keeps_the_others(linked_app, client, qbo, mode, how):
    qbo.nested_sparse = mode
    cid, customer_id = exported(
        linked_app, client, qbo, display_name="Address Keeper", email="a@keeper.example", **ADDRESS
    )
    edit_contact(linked_app, cid, city="Salem", email="new@keeper.example")
    if how == "sync":
        act(client, cid, "sync")
    else:
        submit(client, EXPORT, [cid])
    customer = qbo.customer(customer_id)
    assert customer["BillAddr"] == {**customer["BillAddr"], **BILL_ADDR, "City": "Salem"}
    assert customer["BillAddr"]["Id"]  # the address kept its own id
    assert customer["PrimaryEmailAddr"]["Address"] == "new@keeper.example"
    act(client, cid, "sync")  # and nothing blank comes back into the app
    kept = contact(linked_app, cid)
    assert (kept.street, kept.city, kept.state, kept.postal_code, kept.country) == (
        "12 Oak St",
        "Salem",
        "OR",
        "97201",
        "USA",
    )


def test_export_of_a_linked_contact_leaves_what_changed_only_in_quickbooks(linked_app, client, qbo):
    cid, customer_id = exported(
        linked_app, client, qbo, display_name="Harbor Dental", phone="555-0100", email="desk@harbor.example"
    )
    qbo.edit_customer(
        customer_id, {"PrimaryPhone": {"FreeFormNumber": "555-0199"}, "DisplayName": "HARBOR DENTAL", "Active": False}
    )
    edit_contact(linked_app, cid, email="front@harbor.example", at=past(60))  # older than the QuickBooks edit
    report = submit(client, EXPORT, [cid])
    item = items_by_key(report)[cid]
    assert item["status"] == "ok"
    assert item["message"] == (
        "Updated in QuickBooks: email. QuickBooks has a newer Name, Phone and Active/hidden; "
        "left as they are — use Sync to bring them in."
    )
    customer = qbo.customer(customer_id)
    assert customer["PrimaryEmailAddr"]["Address"] == "front@harbor.example"  # the app's edit went
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0199"  # QuickBooks' edit stayed
    assert customer["DisplayName"] == "HARBOR DENTAL" and customer["Active"] is False  # not re-cased, not reactivated
    act(client, cid, "sync")  # Sync then brings QuickBooks' edits in, and keeps the app's
    synced = contact(linked_app, cid)
    assert (synced.phone, synced.display_name, synced.hidden, synced.email) == (
        "555-0199",
        "HARBOR DENTAL",
        True,
        "front@harbor.example",
    )


def test_export_changes_active_only_when_the_contact_was_hidden_since(linked_app, client, qbo):
    cid, customer_id = exported(linked_app, client, qbo, display_name="Closing Shop")
    edit_contact(linked_app, cid, hidden=True)
    assert items_by_key(submit(client, EXPORT, [cid]))[cid]["message"] == "Updated in QuickBooks: active/hidden."
    assert qbo.customer(customer_id)["Active"] is False
    qbo.edit_customer(customer_id, {"Active": True})  # reactivated in QuickBooks since
    message = items_by_key(submit(client, EXPORT, [cid]))[cid]["message"]
    assert message.startswith("Nothing to send") and "QuickBooks has a newer Active/hidden" in message
    assert qbo.customer(customer_id)["Active"] is True


def test_import_of_a_linked_customer_leaves_what_changed_only_in_the_app(linked_app, client, qbo):
    cid, customer_id = exported(linked_app, client, qbo, display_name="Two Sided", phone="555-0100", city="Bend")
    qbo.edit_customer(customer_id, {"PrimaryEmailAddr": {"Address": "qb@two.example"}})
    edit_contact(linked_app, cid, phone="555-0111")
    report = submit(client, IMPORT + "?show_synced=1", [customer_id], IMPORT + "?show_synced=1")
    message = items_by_key(report)[customer_id]["message"]
    assert message.startswith("Updated the linked contact; changed: email.")
    assert "The app has a newer Phone; left as it is — use Sync to send it to QuickBooks." in message
    imported = contact(linked_app, cid)
    assert (imported.email, imported.phone, imported.city) == ("qb@two.example", "555-0111", "Bend")
    assert qbo.customer(customer_id)["PrimaryPhone"]["FreeFormNumber"] == "555-0100"


@pytest.mark.parametrize("hidden,active", [(False, False), (True, True)])
def test_import_onto_a_same_named_contact_in_another_state_links_and_says_so(linked_app, client, qbo, hidden, active):
    cid = add_contact(linked_app, display_name="Birch Landscaping", hidden=hidden)
    customer = qbo.add_customer({"DisplayName": "Birch Landscaping", "Active": active})
    refresh_list(client)
    report = submit(client, IMPORT + "?show_hidden=1", [customer["Id"]], IMPORT + "?show_hidden=1")
    message = items_by_key(report)[customer["Id"]]["message"]
    assert "existing contact with the same name" in message
    expected = (
        "The customer is inactive in QuickBooks but the contact is not hidden"
        if not active
        else "The contact is hidden but the customer is active in QuickBooks"
    )
    assert f"{expected}; both were left as they are — use Sync to bring them together." in message
    assert contact(linked_app, cid).hidden is hidden and qbo.customer(customer["Id"])["Active"] is active
    page = post_form(client, f"/contacts/{cid}", f"/setup/quickbooks/contacts/{cid}/pull", follow_redirects=True)
    assert page.status_code == 200 and contact(linked_app, cid).hidden is (not active)  # linked: Pull follows it


def test_a_first_sync_fills_empty_fields_and_never_empties_filled_ones(linked_app, client, qbo):
    cid = add_contact(linked_app, display_name="Newly Matched", phone="555-0100", email="")
    customer = qbo.add_customer(
        {"DisplayName": "Newly Matched", "PrimaryEmailAddr": {"Address": "new@matched.example"}}
    )
    refresh_list(client)
    match = "/setup/quickbooks/contacts/match"
    post_form(client, match, f"{match}/contacts/{cid}/link", {"customer_id": customer["Id"]})  # no agreement yet
    qbo.edit_customer(customer["Id"], {"Notes": "touched"})  # QuickBooks is the newer side
    act(client, cid, "sync")
    synced = contact(linked_app, cid)
    assert (synced.phone, synced.email) == ("555-0100", "new@matched.example")  # each side's value filled the other
    assert qbo.customer(customer["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
