"""Ids in URLs and forms: the contact store parses contact ids, so "001", " 1" and "1_0" are
not contact 1 (a 404, or left out of a selection), never a second link stored under another
spelling; ids beyond what the tables hold are 404s; unknown query arguments are ignored."""

from __future__ import annotations

import pytest

from tests.helpers import (
    EXPORT,
    IMPORT,
    add_contact,
    connect_quickbooks,
    csrf_token,
    linked_pairs,
    post_form,
    refresh_list,
    run_id_of,
    wait_for_run,
)

PREFIX = "/setup/quickbooks"
MATCH = PREFIX + "/contacts/match"
HUGE = "99999999999999999999"


@pytest.fixture
def linked(app, client, qbo):
    connect_quickbooks(client, qbo)
    return app


@pytest.mark.parametrize("spelling", ["001", " 1", "1_0", "+1", HUGE, "1.0"])
def test_other_spellings_of_a_contact_id_are_no_contact(linked, client, qbo, spelling):
    contact_id = add_contact(linked, display_name="Only One Link")
    assert contact_id == "1"
    customer = qbo.add_customer({"DisplayName": "Only One Link"})
    refresh_list(client)
    token = csrf_token(client, MATCH)
    url = f"{MATCH}/contacts/{spelling.replace(' ', '%20')}"
    assert client.post(url + "/link", data={"csrf_token": token, "customer_id": customer["Id"]}).status_code == 404
    assert client.get(url + "/link").status_code == 404
    assert (
        client.post(f"{PREFIX}/contacts/{spelling.replace(' ', '%20')}/sync", data={"csrf_token": token}).status_code
        == 404
    )
    assert linked_pairs(linked) == set()
    # the canonical id links once, and only once
    assert (
        client.post(f"{MATCH}/contacts/1/link", data={"csrf_token": token, "customer_id": customer["Id"]}).status_code
        == 302
    )
    assert linked_pairs(linked) == {("1", customer["Id"])}


def test_a_selection_leaves_out_what_is_no_id(linked, client, qbo):
    contact_id = add_contact(linked, display_name="Selected Properly")
    answer = post_form(client, EXPORT, EXPORT, {"selected": [contact_id, "001", " 1", "1_0", HUGE, "abc"]})
    report = wait_for_run(client, run_id_of(answer))
    assert [item["key"] for item in report["items"]] == [contact_id]
    assert [c["DisplayName"] for c in qbo.customers()] == ["Selected Properly"]
    assert linked_pairs(linked) == {(contact_id, qbo.customers()[0]["Id"])}


@pytest.mark.parametrize("path", [f"{PREFIX}/runs/{HUGE}.json", f"{PREFIX}/runs/2147483648.json"])
def test_ids_beyond_the_tables_are_not_found(linked, client, path):
    assert client.get(path).status_code == 404


def test_unknown_and_huge_query_arguments_are_ignored(linked, client, qbo):
    contact_id = add_contact(linked, display_name="Query Args")
    run_id = run_id_of(post_form(client, EXPORT, EXPORT, {"selected": [contact_id]}))
    wait_for_run(client, run_id)
    for page in (EXPORT, IMPORT, MATCH, PREFIX + "/connection", PREFIX + "/history"):
        for query in (
            f"?run={run_id}&run_id=1",
            f"?run={HUGE}",
            "?run=abc",
            "?_method=DELETE&_external=1&_anchor=x",
            f"?selected={HUGE}&selected=001",
        ):
            answer = client.get(page + query)
            assert answer.status_code == 200, page + query
    page = client.get(f"{EXPORT}?run={run_id}&run_id=1&_method=DELETE").get_data(as_text=True)
    assert f'action="{PREFIX}/runs/{run_id}/retry"' in page  # the form's own arguments only
    token = csrf_token(client, EXPORT)
    retried = client.post(f"{PREFIX}/runs/{run_id}/retry?_method=DELETE&run_id=7&q=Query", data={"csrf_token": token})
    assert retried.status_code == 302 and "_method" not in retried.headers["Location"]
    assert "q=Query" in retried.headers["Location"]
