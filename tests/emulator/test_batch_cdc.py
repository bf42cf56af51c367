from __future__ import annotations

import json
from datetime import timedelta

import pytest
from quickbooks.batch import batch_create, batch_update
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import ObjectNotFoundException, ValidationException
from quickbooks.objects.customer import Customer


def _customer(name: str) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    return customer


def test_batch_create_mixed_success(qbo, qbo_client):
    qbo.add_customer({"DisplayName": "Taken"})
    result = batch_create([_customer("New One"), _customer("taken"), _customer("New Two")], qb=qbo_client)
    assert sorted(c.DisplayName for c in result.successes) == ["New One", "New Two"]
    assert len(result.faults) == 1
    assert result.faults[0].Error[0].code == "6240"
    assert result.faults[0].original_object.DisplayName == "taken"
    assert len(qbo.customers()) == 3


def test_batch_update_and_stale_item(qbo, qbo_client):
    a = Customer.from_json(qbo.add_customer({"DisplayName": "A"}))
    b = Customer.from_json(qbo.add_customer({"DisplayName": "B"}))
    a.Notes = b.Notes = "batched"
    b.SyncToken = "7"
    result = batch_update([a, b], qb=qbo_client)
    assert [c.Notes for c in result.successes] == ["batched"]
    assert result.faults[0].Error[0].code == "5010"


def test_batch_query_items_and_size_limit(qbo, raw):
    qbo.add_customer({"DisplayName": "Listed"})
    body = {"BatchItemRequest": [{"bId": "q1", "Query": "select * from Customer"}]}
    item = raw.post("/batch", json.dumps(body)).json()["BatchItemResponse"][0]
    assert item["bId"] == "q1" and item["QueryResponse"]["Customer"][0]["DisplayName"] == "Listed"
    too_many = {"BatchItemRequest": [{"bId": str(i), "Query": "select * from Customer"} for i in range(31)]}
    response = raw.post("/batch", json.dumps(too_many))
    assert response.status_code == 400 and "Fault" in response.json()


def test_batch_manager_chunks_by_30(qbo, qbo_client):
    result = batch_create([_customer(f"Chunk {i}") for i in range(45)], qb=qbo_client)
    assert len(result.successes) == 45
    assert [entry[1] for entry in qbo.request_log].count(f"/v3/company/{qbo.realm_id}/batch") == 2


def test_cdc_reports_changes_since(qbo, qbo_client):
    old = qbo.add_customer({"DisplayName": "Old"})
    qbo.advance(600)
    since = qbo.clock.now()
    qbo.advance(60)
    qbo.add_customer({"DisplayName": "New"})
    qbo.edit_customer(old["Id"], Active=False)
    changes = change_data_capture([Customer], since.isoformat(), qb=qbo_client)
    assert sorted(c.DisplayName for c in changes.Customer) == ["New", "Old"]
    assert {c.DisplayName: c.Active for c in changes.Customer}["Old"] is False

    qbo.advance(60)
    quiet = change_data_capture([Customer], qbo.clock.now().isoformat(), qb=qbo_client)
    assert not hasattr(quiet, "Customer")


def test_merged_customer_is_gone_and_cdc_reports_it_deleted(qbo, qbo_client):
    keep = qbo.add_customer({"DisplayName": "Keep"})
    gone = qbo.add_customer({"DisplayName": "Gone"})
    since = qbo.clock.now()
    qbo.advance(60)
    qbo.merge_customer(gone["Id"], keep["Id"])
    changes = change_data_capture([Customer], since.isoformat(), qb=qbo_client)
    by_id = {c.Id: c for c in changes.Customer}
    assert by_id[gone["Id"]].status == "Deleted"
    assert by_id[keep["Id"]].DisplayName == "Keep"
    with pytest.raises(ObjectNotFoundException):
        Customer.get(gone["Id"], qb=qbo_client)
    again = Customer()
    again.DisplayName = "Gone"  # the name is free again
    again.save(qb=qbo_client)


def test_cdc_naive_timestamp_is_company_time(qbo, qbo_client):
    since = qbo.clock.now() - timedelta(seconds=5)
    qbo.add_customer({"DisplayName": "Fresh"})
    changes = change_data_capture([Customer], since.replace(tzinfo=None), qb=qbo_client)
    assert [c.DisplayName for c in changes.Customer] == ["Fresh"]


def test_cdc_window_is_30_days(qbo, qbo_client):
    too_old = qbo.clock.now() - timedelta(days=31)
    with pytest.raises(ValidationException):
        change_data_capture([Customer], too_old.isoformat(), qb=qbo_client)
