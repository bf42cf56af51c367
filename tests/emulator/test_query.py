from __future__ import annotations

import pytest
from quickbooks.exceptions import ValidationException
from quickbooks.objects.company_info import CompanyInfo
from quickbooks.objects.customer import Customer
from quickbooks.objects.vendor import Vendor


def test_default_query_hides_inactive_customers(qbo, qbo_client):
    qbo.add_customer({"DisplayName": "Active One"})
    qbo.add_customer({"DisplayName": "Gone One", "Active": False})
    assert [c.DisplayName for c in Customer.all(qb=qbo_client)] == ["Active One"]
    assert [c.DisplayName for c in Customer.filter(Active=False, qb=qbo_client)] == ["Gone One"]
    both = Customer.where("Active IN (true, false)", qb=qbo_client)
    assert len(both) == 2
    assert Customer.count("Active IN (true, false)", qb=qbo_client) == 2
    assert Customer.count(qb=qbo_client) == 1


def test_paging_past_1000(qbo, qbo_client):
    seeded = qbo.seed_customers(2500, inactive_ratio=0, seed=7)
    assert len({c["DisplayName"] for c in seeded}) == 2500
    ids = []
    for start in (1, 1001, 2001):
        page = Customer.all(start_position=start, max_results=1000, qb=qbo_client)
        ids += [int(c.Id) for c in page]
    assert ids == sorted(ids) and len(set(ids)) == 2500
    assert Customer.all(start_position=2501, max_results=1000, qb=qbo_client) == []
    with pytest.raises(ValidationException) as error:
        Customer.all(max_results=1001, qb=qbo_client)
    assert error.value.error_code == 4001


def test_seed_is_deterministic_and_realistic():
    from flask_wsqb.testing import QBOEmulator

    first, second = QBOEmulator(), QBOEmulator()
    a = first.seed_customers(50, seed=3)
    b = second.seed_customers(50, seed=3)
    assert [c["DisplayName"] for c in a] == [c["DisplayName"] for c in b]
    assert any("PrimaryEmailAddr" in c for c in a) and any(not c["Active"] for c in first.customers())


def test_escaped_quote_and_backslash(qbo, qbo_client):
    qbo.add_customer({"DisplayName": "O'Brien \\ Sons"})
    found = Customer.where(r"DisplayName = 'O\'Brien \\ Sons'", qb=qbo_client)
    assert [c.DisplayName for c in found] == ["O'Brien \\ Sons"]
    assert Customer.where("DisplayName LIKE 'o\\'brien%'", qb=qbo_client)[0].Id == found[0].Id


def test_operators_ordering_and_whitespace(qbo, qbo_client):
    for name in ("Charlie", "alpha", "Bravo"):
        qbo.add_customer({"DisplayName": name, "PrimaryEmailAddr": {"Address": f"{name}@x.com"}})
    names = [
        c.DisplayName
        for c in Customer.query(
            "select  *  from customer\n where Id >= '1'  orderby DisplayName desc maxresults 2", qb=qbo_client
        )
    ]
    assert names == ["Charlie", "Bravo"]
    assert len(Customer.choose(["alpha", "BRAVO"], field="DisplayName", qb=qbo_client)) == 2
    assert Customer.filter(PrimaryEmailAddr="bravo@x.com", qb=qbo_client)[0].DisplayName == "Bravo"
    since = qbo.customers()[0]["MetaData"]["CreateTime"]
    assert len(Customer.where(f"MetaData.LastUpdatedTime >= '{since}'", qb=qbo_client)) == 3


def test_malformed_and_invalid_queries(raw):
    for text in (
        "SELEKT * FROM Customer",
        "SELECT * FROM Customer WHERE DisplayName = 'open",
        "SELECT * FROM Customer WHERE Id = 1 OR Id = 2",
    ):
        response = raw.post("/query", text, "application/text")
        assert response.status_code == 400, text
        error = response.json()["Fault"]["Error"][0]
        assert error["code"] == "4000" and error["Message"] == "Error parsing query"
    response = raw.post("/query", "SELECT * FROM Customer WHERE Shoe = 'x'", "application/text")
    assert response.json()["Fault"]["Error"][0]["code"] == "4001"
    assert raw.post("/query", "SELECT * FROM Spaceship", "application/text").status_code == 400
    assert raw.get("/query", query="select count(*) from Customer").json()["QueryResponse"] == {"totalCount": 0}


def test_empty_result_omits_entity_key(raw):
    response = raw.post("/query", "SELECT * FROM Customer", "application/text")
    assert response.json()["QueryResponse"] == {}


def test_vendors_and_company_info(qbo, qbo_client):
    qbo.add_vendor("Paper Supplier")
    assert [v.DisplayName for v in Vendor.all(qb=qbo_client)] == ["Paper Supplier"]
    info = CompanyInfo.get(qbo.realm_id, qb=qbo_client)
    assert info.CompanyName == "Sandbox Company_US_1" and info.Country == "US"
    assert CompanyInfo.all(qb=qbo_client)[0].CompanyName == "Sandbox Company_US_1"
