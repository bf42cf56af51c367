"""Refresh from QuickBooks says how many customers changed, not how many it read."""

from __future__ import annotations

from tests.helpers import refresh_list


def test_refresh_counts_only_the_customers_that_changed(linked_app, client, qbo):
    first = qbo.add_customer({"DisplayName": "Oak Ledger"})
    qbo.add_customer({"DisplayName": "Pine Books"})
    assert refresh_list(client)["message"] == "QuickBooks list refreshed (2 customers updated)."
    assert refresh_list(client)["message"] == "QuickBooks list refreshed (nothing had changed)."
    qbo.edit_customer(first["Id"], {"CompanyName": "Oak Ledger LLC"})
    assert refresh_list(client)["message"] == "QuickBooks list refreshed (1 customer updated)."
