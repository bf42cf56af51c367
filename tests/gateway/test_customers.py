"""The gateway's customer operations against the emulator, over real HTTP."""

from __future__ import annotations

import pytest

from flask_wsqb.quickbooks.errors import DuplicateNameError, NotFoundError, QuickBooksValidationError, StaleObjectError
from flask_wsqb.quickbooks.gateway import BatchItem, quote
from tests.gateway.helpers import count_customers


def api_requests(qbo, fragment: str) -> int:
    return sum(1 for method, path, status in qbo.request_log if fragment in path)


def test_listing_pages_past_1000_and_includes_inactive(qbo, gateway):
    qbo.seed_customers(2500, inactive_ratio=0.2, seed=3)
    qbo.reset_log()
    listed = list(gateway.iter_customers())
    stored = qbo.customers()
    assert [c["Id"] for c in listed] == [c["Id"] for c in stored]
    assert any(c["Active"] is False for c in listed)
    assert api_requests(qbo, "/query") == 3  # 1000 + 1000 + 500
    assert count_customers(gateway) == 2500
    assert count_customers(gateway, include_inactive=False) == sum(1 for c in stored if c["Active"])


def test_a_name_with_quote_and_backslash_round_trips(qbo, gateway):
    assert quote("O'Brien \\ Sons") == "'O\\'Brien \\\\ Sons'"
    qbo.add_customer({"DisplayName": "O'Brien \\ Sons"})
    qbo.add_customer({"DisplayName": "O'Brien  Sons"})
    found = gateway.find_by_display_name("O'Brien \\ Sons")
    assert [c["DisplayName"] for c in found] == ["O'Brien \\ Sons"]


def test_create_with_the_same_request_id_creates_once(qbo, gateway):
    first = gateway.create_customer({"DisplayName": "Acme Dental"}, request_id="wsqb-test-1")
    again = gateway.create_customer({"DisplayName": "Acme Dental"}, request_id="wsqb-test-1")
    assert first["Id"] == again["Id"]
    assert [c["DisplayName"] for c in qbo.customers()] == ["Acme Dental"]


def test_duplicate_names_include_vendors_and_inactive_customers(qbo, gateway):
    qbo.add_vendor("Harbor Supply")
    qbo.add_customer({"DisplayName": "Old Client", "Active": False})
    for name in ("Harbor Supply", "old client"):
        with pytest.raises(DuplicateNameError) as caught:
            gateway.create_customer({"DisplayName": name}, request_id=f"dup-{name}")
        assert "already uses this name" in str(caught.value)
    assert gateway.find_by_display_name("Harbor Supply", "Vendor")


def test_sparse_update_keeps_other_fields_and_stale_token_is_typed(qbo, gateway):
    stored = qbo.add_customer({"DisplayName": "Cedar Bakery", "PrimaryPhone": {"FreeFormNumber": "555-0100"}})
    updated = gateway.update_customer(
        {"Id": stored["Id"], "SyncToken": stored["SyncToken"], "PrimaryEmailAddr": {"Address": "hello@cedar.example"}}
    )
    assert updated["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    assert updated["PrimaryEmailAddr"]["Address"] == "hello@cedar.example"
    assert int(updated["SyncToken"]) == int(stored["SyncToken"]) + 1
    with pytest.raises(StaleObjectError):
        gateway.update_customer({"Id": stored["Id"], "SyncToken": stored["SyncToken"], "Notes": "late"})
    with pytest.raises(QuickBooksValidationError, match="SyncToken"):
        gateway.update_customer({"Id": stored["Id"], "Notes": "no token"})


def test_unknown_customer_is_not_found(gateway):
    with pytest.raises(NotFoundError, match="no longer exists"):
        gateway.get_customer("99999")


def test_over_long_name_is_refused_with_reason(gateway):
    with pytest.raises(QuickBooksValidationError) as caught:
        gateway.create_customer({"DisplayName": "x" * 501}, request_id="long")
    assert str(caught.value).startswith("QuickBooks refused it:")


def test_batch_reports_each_item(qbo, gateway):
    qbo.add_customer({"DisplayName": "Taken"})
    items = [
        BatchItem(f"c{i}", "create", {"DisplayName": name})
        for i, name in enumerate(["Alpha LLC", "Taken", "Gamma Inc", "Bad: Name"])
    ]
    results = gateway.batch(items, request_id="batch-1")
    assert results["c0"]["DisplayName"] == "Alpha LLC"
    assert isinstance(results["c1"], DuplicateNameError)
    assert results["c2"]["DisplayName"] == "Gamma Inc"
    assert isinstance(results["c3"], QuickBooksValidationError)
    assert len(qbo.customers()) == 3


def test_batch_splits_into_thirties(qbo, gateway):
    qbo.reset_log()
    items = [BatchItem(f"c{i}", "create", {"DisplayName": f"Client {i}"}) for i in range(65)]
    results = gateway.batch(items, request_id="big")
    assert len(results) == 65 and all(isinstance(r, dict) for r in results.values())
    assert api_requests(qbo, "/batch") == 3


def test_changed_customers_since(qbo, gateway):
    from datetime import datetime, timedelta, timezone

    first = qbo.add_customer({"DisplayName": "Before"})
    qbo.advance(120)
    since = datetime.now(timezone.utc) + timedelta(seconds=60)
    qbo.advance(120)
    qbo.edit_customer(first["Id"], {"Notes": "changed"})
    qbo.add_customer({"DisplayName": "After"})
    names = sorted(c["DisplayName"] for c in gateway.changed_customers(since))
    assert names == ["After", "Before"]


def test_company_info(qbo, gateway):
    assert gateway.company_info()["CompanyName"] == "Sandbox Company_US_1"
