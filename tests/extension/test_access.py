"""Every action past the host's access check needs the action of what it acts on: a run needs
its kind's action, Match's per-row Import and Export need import and export too, and the
contact page's history shows nothing to users denied history."""

from __future__ import annotations

import pytest

from tests.helpers import EXPORT, add_contact, connect_quickbooks, csrf_token, post_form, run_id_of, wait_for_run

PREFIX = "/setup/quickbooks"
MATCH = PREFIX + "/contacts/match"


@pytest.fixture
def linked(app, client, qbo):
    connect_quickbooks(client, qbo)
    return app


def only(allowed: set, *actions: str) -> None:
    allowed.clear()
    allowed.update(actions)


def exported_run(app, client) -> int:
    contact_id = add_contact(app, display_name="Access Check Dental")
    answer = post_form(client, EXPORT, EXPORT, {"selected": [contact_id]})
    run_id = run_id_of(answer)
    wait_for_run(client, run_id)
    return run_id


def test_retry_and_run_json_need_the_action_of_the_runs_kind(linked, client, qbo, allowed):
    run_id = exported_run(linked, client)
    token = csrf_token(client, EXPORT)
    only(allowed, "runs", "import")  # "runs" opens nothing by itself any more
    assert client.get(f"{PREFIX}/runs/{run_id}.json").status_code == 403
    assert client.post(f"{PREFIX}/runs/{run_id}/retry", data={"csrf_token": token}).status_code == 403
    only(allowed, "export")  # the user who may see the Export form sees its progress bar
    report = client.get(f"{PREFIX}/runs/{run_id}.json").get_json()
    assert report["kind"] == "export" and report["finished"]
    assert client.post(f"{PREFIX}/runs/{run_id}/retry", data={"csrf_token": token}).status_code == 302


def test_refresh_runs_show_to_the_connection_and_import_pages(linked, client, allowed):
    answer = post_form(client, PREFIX + "/contacts/import", PREFIX + "/contacts/import/refresh")
    run_id = run_id_of(answer)
    wait_for_run(client, run_id)
    for actions, status in ((("connection",), 200), (("import",), 200), (("export", "match"), 403)):
        only(allowed, *actions)
        assert client.get(f"{PREFIX}/runs/{run_id}.json").status_code == status, actions


def test_match_per_row_export_and_import_need_export_and_import(linked, client, qbo, allowed):
    contact_id = add_contact(linked, display_name="Per Row Person")
    customer = qbo.add_customer({"DisplayName": "Per Row Customer"})
    post_form(client, PREFIX + "/contacts/import", PREFIX + "/contacts/import/refresh")
    token = csrf_token(client, MATCH)
    only(allowed, "match")
    export = client.post(f"{MATCH}/contacts/{contact_id}/export", data={"csrf_token": token})
    imported = client.post(f"{MATCH}/customers/{customer['Id']}/import", data={"csrf_token": token})
    assert export.status_code == 403 and imported.status_code == 403
    assert [c["DisplayName"] for c in qbo.customers()] == ["Per Row Customer"]  # nothing was exported
    only(allowed, "match", "export")
    wait_for_run(client, run_id_of(client.post(f"{MATCH}/contacts/{contact_id}/export", data={"csrf_token": token})))
    assert {c["DisplayName"] for c in qbo.customers()} == {"Per Row Customer", "Per Row Person"}


def test_contact_page_history_renders_nothing_without_history(linked, client, qbo, allowed):
    contact_id = add_contact(linked, display_name="History Person", phone="555-0101")
    post_form(client, f"/contacts/{contact_id}", f"{PREFIX}/contacts/{contact_id}/sync")
    assert "QuickBooks history" in client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    only(allowed, "pull", "sync")
    page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert "QuickBooks history" not in page and "wsqb-contact-history" not in page
    assert "Pull Current Contact Info from QuickBooks" in page  # the menu it may use is still there
