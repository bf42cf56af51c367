from __future__ import annotations

import json

import pytest
from quickbooks.exceptions import (
    ObjectNotFoundException,
    QuickbooksException,
    UnsupportedException,
    ValidationException,
)
from quickbooks.objects.base import EmailAddress
from quickbooks.objects.customer import Customer


def _new(name: str, **fields) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    for key, value in fields.items():
        setattr(customer, key, value)
    return customer


def test_create_read_and_realistic_shape(qbo, qbo_client):
    email = EmailAddress()
    email.Address = "ada@example.com"
    saved = _new("Ada Lovelace", GivenName="Ada", FamilyName="Lovelace", PrimaryEmailAddr=email).save(qb=qbo_client)
    assert saved.Id == "1" and saved.SyncToken == "0"
    fetched = Customer.get(saved.Id, qb=qbo_client)
    assert fetched.PrimaryEmailAddr.Address == "ada@example.com"
    stored = qbo.customer(saved.Id)
    assert stored["FullyQualifiedName"] == "Ada Lovelace" and stored["Active"] is True
    assert stored["domain"] == "QBO" and stored["Balance"] == 0 and stored["Job"] is False
    assert stored["MetaData"]["CreateTime"][-6:] == "-08:00"
    assert "Title" not in stored  # empty strings the library sends are not stored


def test_display_name_derived_from_name_parts(qbo_client):
    customer = Customer()
    customer.GivenName, customer.FamilyName = "Grace", "Hopper"
    assert customer.save(qb=qbo_client).DisplayName == "Grace Hopper"
    with pytest.raises(ValidationException) as error:
        Customer().save(qb=qbo_client)
    assert error.value.error_code == 2020


def test_duplicate_names_6240(qbo, qbo_client):
    _new("Acme Ltd").save(qb=qbo_client)
    qbo.add_customer({"DisplayName": "Sleeping Co", "Active": False})
    qbo.add_vendor("Paper Supplier")
    qbo.add_employee("Jane Staff")
    for name in ("ACME LTD", "Sleeping Co", "paper supplier", "Jane Staff"):
        with pytest.raises(QuickbooksException) as error:
            _new(name).save(qb=qbo_client)
        assert error.value.error_code == 6240, name
        assert error.value.message == "Duplicate Name Exists Error"


def test_deleted_suffix_mode_frees_the_name():
    from flask_wsqb.testing import QBOEmulator

    with QBOEmulator(deleted_suffix=True) as qbo:
        old = qbo.add_customer({"DisplayName": "Bob Smith"})
        qbo.edit_customer(old["Id"], Active=False)
        assert qbo.customer(old["Id"])["DisplayName"] == "Bob Smith (deleted)"
        assert qbo.add_customer({"DisplayName": "Bob Smith"})["Id"] != old["Id"]


def test_update_sync_token_and_stale_5010(qbo, qbo_client):
    saved = _new("Stale Test").save(qb=qbo_client)
    saved.Notes = "first"
    updated = saved.save(qb=qbo_client)
    assert updated.SyncToken == "1" and updated.Notes == "first"
    saved.SyncToken = "0"
    with pytest.raises(QuickbooksException) as error:
        saved.save(qb=qbo_client)
    assert error.value.error_code == 5010
    qbo.edit_customer(saved.Id, Notes="edited in QuickBooks")
    edited = Customer.get(saved.Id, qb=qbo_client)
    assert edited.SyncToken == "2" and edited.Notes == "edited in QuickBooks"
    assert edited.MetaData["LastUpdatedTime"] >= updated.MetaData["LastUpdatedTime"]


def test_full_update_nulls_omitted_fields_sparse_keeps_them(qbo, qbo_client):
    created = qbo.add_customer(
        {"DisplayName": "Sparse Co", "Notes": "keep me", "PrimaryPhone": {"FreeFormNumber": "555-0100"}}
    )
    body = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "Sparse Inc"}
    result = qbo_client.update_object("Customer", json.dumps(body))["Customer"]
    assert result["Notes"] == "keep me" and result["CompanyName"] == "Sparse Inc"
    body = {"Id": created["Id"], "SyncToken": "1", "DisplayName": "Sparse Co"}
    result = qbo_client.update_object("Customer", json.dumps(body))["Customer"]
    assert "Notes" not in result and "PrimaryPhone" not in result and result["SyncToken"] == "2"


def test_update_without_sync_token_and_unknown_id(qbo_client):
    saved = _new("No Token").save(qb=qbo_client)
    with pytest.raises(ValidationException) as error:
        qbo_client.update_object("Customer", json.dumps({"Id": saved.Id, "DisplayName": "x"}))
    assert error.value.error_code == 2020
    with pytest.raises(ObjectNotFoundException):
        Customer.get(999, qb=qbo_client)


def test_length_and_character_limits(qbo_client):
    with pytest.raises(ValidationException) as error:
        _new("x" * 501).save(qb=qbo_client)
    assert error.value.error_code == 2050
    with pytest.raises(ValidationException) as error:
        _new("ok name", GivenName="g" * 101).save(qb=qbo_client)
    assert error.value.error_code == 2050
    assert _new("y" * 500).save(qb=qbo_client).DisplayName == "y" * 500
    for bad in ("Colon: Name", "Tab\tName", "Line\nName"):
        with pytest.raises(ValidationException):
            _new(bad).save(qb=qbo_client)


def test_customers_cannot_be_deleted(qbo, qbo_client):
    saved = _new("Keep Forever").save(qb=qbo_client)
    body = json.dumps({"Id": saved.Id, "SyncToken": saved.SyncToken})
    with pytest.raises(UnsupportedException):  # Customer has no delete(); QBO refuses it anyway
        qbo_client.delete_object("Customer", body)
    assert qbo.customers()[0]["Active"] is True


def test_bad_json_unknown_property_and_unknown_entity(raw):
    response = raw.post("/customer", "{not json")
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "2010"
    response = raw.post("/customer", json.dumps({"DisplayName": "x", "Nickname": "y"}))
    assert response.json()["Fault"]["Error"][0]["element"] == "Nickname"
    response = raw.get("/spaceship/1")
    assert response.status_code == 400 and response.json()["Fault"]["type"] == "ValidationFault"
    assert response.json()["Fault"]["Error"][0]["code"] == "500"


def test_request_id_replays_first_response(qbo, qbo_client, qbo_tokens):
    first = _new("Once Only").save(qb=qbo_client, request_id="req-1")
    again = _new("Once Only").save(qb=qbo_client, request_id="req-1")
    assert first.Id == again.Id and len(qbo.customers()) == 1
    with pytest.raises(QuickbooksException) as error:
        _new("Once Only").save(qb=qbo_client, request_id="req-2")
    assert error.value.error_code == 6240
