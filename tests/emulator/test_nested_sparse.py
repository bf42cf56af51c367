"""``nested_sparse``: how a sparse update treats part of a nested object (Intuit leaves it
undocumented, so the emulator can play it either way)."""

from __future__ import annotations

import json

import pytest
from quickbooks.objects.customer import Customer

from flask_wsqb.testing import QBOEmulator

STORED = {
    "DisplayName": "Nested Co",
    "Notes": "kept",
    "BillAddr": {"Line1": "12 Wharf St", "City": "Portland", "PostalCode": "97201"},
    "PrimaryEmailAddr": {"Address": "desk@nested.example"},
    "PrimaryPhone": {"FreeFormNumber": "(503) 555-0100"},
}


def sparse_update(qbo_client, customer: dict, **fields) -> dict:
    body = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "sparse": True, **fields}
    return qbo_client.update_object("Customer", json.dumps(body))["Customer"]


def test_replace_is_the_default_a_part_sent_replaces_the_whole_object(qbo, qbo_client):
    assert qbo.nested_sparse == "replace"
    stored = qbo.add_customer(STORED)

    sparse_update(qbo_client, stored, BillAddr={"City": "Salem"})

    read = Customer.get(stored["Id"], qb=qbo_client)
    assert (read.BillAddr.Line1, read.BillAddr.City, read.BillAddr.PostalCode) == ("", "Salem", "")
    assert read.BillAddr.Id != stored["BillAddr"]["Id"]
    assert read.Notes == "kept" and read.PrimaryPhone.FreeFormNumber == "(503) 555-0100"


def test_merge_keeps_the_parts_not_sent_and_the_nested_id(clients):
    with QBOEmulator(nested_sparse="merge") as qbo:
        client = clients(qbo, qbo.issue_tokens()[0])
        stored = qbo.add_customer(STORED)

        answer = sparse_update(
            client,
            stored,
            BillAddr={"City": "Salem", "PostalCode": "97301"},
            PrimaryEmailAddr={"Address": "books@nested.example"},
        )

        read = Customer.get(stored["Id"], qb=client)
    assert answer["BillAddr"] == {
        **STORED["BillAddr"],
        "City": "Salem",
        "PostalCode": "97301",
        "Id": stored["BillAddr"]["Id"],
    }
    assert (read.BillAddr.Line1, read.BillAddr.City, read.BillAddr.PostalCode) == ("12 Wharf St", "Salem", "97301")
    assert read.BillAddr.Id == stored["BillAddr"]["Id"]
    assert read.PrimaryEmailAddr.Address == "books@nested.example"
    assert read.PrimaryPhone.FreeFormNumber == "(503) 555-0100" and read.Notes == "kept"


def test_merge_is_for_sparse_updates_only(qbo, qbo_client):
    qbo.nested_sparse = "merge"
    stored = qbo.add_customer(STORED)

    body = {"Id": stored["Id"], "SyncToken": "0", "DisplayName": "Nested Co", "BillAddr": {"City": "Salem"}}
    full = qbo_client.update_object("Customer", json.dumps(body))["Customer"]

    assert full["BillAddr"]["City"] == "Salem" and "Line1" not in full["BillAddr"]
    assert "PrimaryPhone" not in full and "Notes" not in full


def test_the_mode_can_be_switched_on_a_running_emulator(qbo, qbo_client):
    first = qbo.add_customer(STORED)
    qbo.nested_sparse = "merge"
    merged = sparse_update(qbo_client, first, BillAddr={"City": "Salem"})
    qbo.nested_sparse = "replace"
    replaced = sparse_update(qbo_client, merged, BillAddr={"City": "Eugene"})

    assert merged["BillAddr"]["Line1"] == "12 Wharf St"
    assert replaced["BillAddr"]["City"] == "Eugene" and "Line1" not in replaced["BillAddr"]
    earlier = qbo.add_company("Second Company")
    qbo.nested_sparse = "merge"
    later = qbo.add_company("Third Company")
    assert qbo.company(earlier).nested_sparse == qbo.company(later).nested_sparse == "merge"


def test_an_unknown_mode_is_refused(qbo):
    with pytest.raises(ValueError, match=r"nested_sparse must be one of \('replace', 'merge'\), not 'deep'"):
        QBOEmulator(nested_sparse="deep")
    with pytest.raises(ValueError, match="nested_sparse must be one of"):
        qbo.nested_sparse = "Merge"
    assert qbo.nested_sparse == "replace"
