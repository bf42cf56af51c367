"""Preview before Import Selected and Export Selected, through HTTP: what each linked row would
change, field by field, on which side, with nothing sent; the rows left ticked are the run."""

from __future__ import annotations

import re

from tests.helpers import EXPORT, IMPORT, add_contact, post_form, run_id_of, submit, wait_for_run
from tests.sync.test_contact_sync import contact, customer, edit_contact


def preview(client, page: str, selected: list[str]) -> str:
    answer = post_form(client, page, page, {"selected": selected, "preview": "1"})
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_import_preview_says_what_would_change_in_the_app_and_sends_nothing(linked_app, client, qbo):
    linked = qbo.add_customer({"DisplayName": "Preview Dental", "PrimaryPhone": {"FreeFormNumber": "555-0100"}})
    new = qbo.add_customer({"DisplayName": "Preview Newcomer"})
    submit(client, IMPORT, [], IMPORT + "/refresh")
    assert submit(client, IMPORT, [linked["Id"]])["ok"] == 1
    qbo.edit_customer(linked["Id"], {"PrimaryPhone": {"FreeFormNumber": "555-0199"}})
    submit(client, IMPORT, [], IMPORT + "/refresh")
    qbo.reset_log()

    page = preview(client, IMPORT, [linked["Id"], new["Id"]])
    assert "Preview: Import from QuickBooks" in page
    row = re.search(rf'<tr data-id="{linked["Id"]}" data-changes="1">(.*?)</tr>', page, re.S).group(1)
    assert "Changes in the app: 1 field." in row and "Phone: ‘555-0100’ → ‘555-0199’" in row
    assert "Not linked yet" in re.search(rf'<tr data-id="{new["Id"]}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert qbo.request_log == []  # nothing asked of QuickBooks

    # untick the newcomer: Import Selected runs the linked row only
    answer = post_form(client, IMPORT, IMPORT, {"selected": [linked["Id"]]})
    report = wait_for_run(client, run_id_of(answer))
    assert [item["key"] for item in report["items"]] == [linked["Id"]]


def test_export_preview_says_what_would_change_in_quickbooks_and_what_is_left(linked_app, client, qbo):
    contact_id = add_contact(linked_app, display_name="Preview Bakery", phone="555-0200", email="a@bakery.example")
    assert submit(client, EXPORT, [contact_id])["ok"] == 1
    [qb] = [c for c in qbo.customers() if c["DisplayName"] == "Preview Bakery"]
    edit_contact(linked_app, contact_id, phone="555-0201")
    qbo.advance(3600)
    qbo.edit_customer(qb["Id"], {"PrimaryEmailAddr": {"Address": "b@bakery.example"}})
    submit(client, "/setup/quickbooks/contacts/import", [], "/setup/quickbooks/contacts/import/refresh")

    page = preview(client, EXPORT, [contact_id])
    row = re.search(rf'<tr data-id="{contact_id}" data-changes="1">(.*?)</tr>', page, re.S).group(1)
    assert "Changes in QuickBooks: 1 field." in row and "Phone: ‘555-0200’ → ‘555-0201’" in row
    assert "QuickBooks has a newer Email; left as it is" in row
    assert customer(qbo, qb["Id"])["PrimaryPhone"]["FreeFormNumber"] == "555-0200"  # nothing sent yet
    assert contact(linked_app, contact_id).email == "a@bakery.example"
