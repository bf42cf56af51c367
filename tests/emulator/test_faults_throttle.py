from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from intuitlib.exceptions import AuthClientError
from quickbooks.exceptions import QuickbooksException, SevereException, ValidationException
from quickbooks.objects.customer import Customer


def test_injected_fault_then_recovery(qbo, qbo_client):
    qbo.fail_next(500)
    with pytest.raises(SevereException) as error:
        Customer.all(qb=qbo_client)
    assert error.value.error_code == 10000
    assert Customer.all(qb=qbo_client) == []
    assert [status for _, _, status in qbo.request_log] == [500, 200]


def test_injected_429_is_a_throttle_fault(qbo, qbo_client):
    qbo.fail_next(429, count=2, path="/query")
    for _ in range(2):
        with pytest.raises(ValidationException) as error:
            Customer.all(qb=qbo_client)
        assert error.value.error_code == 3001
    assert Customer.all(qb=qbo_client) == []


def test_html_gateway_page_is_not_json(qbo, qbo_client):
    qbo.fail_next(502, mode="html")
    with pytest.raises(QuickbooksException) as error:
        Customer.all(qb=qbo_client)
    assert error.value.error_code == 10000 and "Error reading json" in error.value.message


def test_hang_trips_a_client_timeout(qbo, qbo_tokens):
    qbo.fail_next(mode="hang", hang_seconds=1.0, method="GET")
    url = f"{qbo.api_url}/company/{qbo.realm_id}/companyinfo/{qbo.realm_id}"
    headers = {"Authorization": f"Bearer {qbo_tokens[0]}", "Accept": "application/json"}
    with pytest.raises(requests.Timeout):
        requests.get(url, headers=headers, timeout=0.2)
    assert requests.get(url, headers=headers, timeout=5).status_code == 200


def test_drop_closes_the_connection(qbo, qbo_client):
    qbo.fail_next(mode="drop", path="/customer")
    with pytest.raises(requests.ConnectionError):
        Customer.get(1, qb=qbo_client)
    assert qbo.request_log[-1][2] == 0


def test_faults_on_oauth_endpoints_need_a_path(qbo, qbo_tokens, auth_client):
    qbo.fail_next(503, mode="html")  # API only: the token endpoint is unaffected
    auth_client.refresh(qbo_tokens[1])
    qbo.clear_faults()
    qbo.fail_next(503, path="/tokens/bearer", mode="html")
    with pytest.raises(AuthClientError) as error:
        auth_client.refresh(auth_client.refresh_token)
    assert error.value.status_code == 503


def test_throttle_is_off_by_default_and_switchable(qbo, qbo_client):
    assert qbo.throttle is False
    for _ in range(3):
        Customer.count(qb=qbo_client)
    qbo.throttle = True
    assert Customer.count(qb=qbo_client) == 0


def test_requests_per_minute_limit_per_company():
    from flask_wsqb.testing import QBOEmulator

    with QBOEmulator(throttle=True, per_minute=5) as limited:
        other = limited.add_company("Other Company")
        url = f"{limited.api_url}/company/{{}}/query"

        def count(realm_id):
            access = limited.issue_tokens(realm_id)[0]
            return requests.post(
                url.format(realm_id),
                data="select count(*) from Customer",
                headers={"Authorization": f"Bearer {access}"},
            )

        assert [count(limited.realm_id).status_code for _ in range(6)] == [200] * 5 + [429]
        assert "ThrottleExceeded" in count(limited.realm_id).json()["Fault"]["Error"][0]["Message"]
        assert count(other).status_code == 200
        limited.advance(61)
        assert count(limited.realm_id).status_code == 200


def test_concurrent_requests_limit():
    from flask_wsqb.testing import QBOEmulator

    with QBOEmulator(throttle=True, concurrent=2) as limited:
        access = limited.issue_tokens()[0]
        url = f"{limited.api_url}/company/{limited.realm_id}/query"
        headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/text"}
        limited.fail_next(mode="hang", count=2, hang_seconds=2.0)
        slow = [
            threading.Thread(
                target=requests.post, args=(url,), kwargs={"data": "select * from Customer", "headers": headers}
            )
            for _ in range(2)
        ]
        for thread in slow:
            thread.start()
        time.sleep(0.5)  # both slow requests are now in flight
        response = requests.post(url, data="select * from Customer", headers=headers)
        for thread in slow:
            thread.join()
        assert response.status_code == 429
        assert response.json()["Fault"]["Error"][0]["code"] == "3001"
        assert requests.post(url, data="select * from Customer", headers=headers).status_code == 200


def test_batch_requests_per_minute_limit():
    from flask_wsqb.testing import QBOEmulator

    with QBOEmulator(throttle=True, batch_per_minute=2) as limited:
        access = limited.issue_tokens()[0]
        base = f"{limited.api_url}/company/{limited.realm_id}"
        headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}
        body = json.dumps({"BatchItemRequest": [{"bId": "1", "Query": "select count(*) from Customer"}]})

        def batch():
            return requests.post(base + "/batch", data=body, headers=headers)

        assert [batch().status_code for _ in range(3)] == [200, 200, 429]
        assert "batch" in batch().json()["Fault"]["Error"][0]["Detail"]
        query = requests.post(
            base + "/query",
            data="select count(*) from Customer",
            headers={**headers, "Content-Type": "application/text"},
        )
        assert query.status_code == 200
        limited.advance(61)
        assert batch().status_code == 200


@pytest.mark.parametrize("batches", [40, 20])
def test_batch_requests_count_in_the_500_a_minute_too(batches):
    from flask_wsqb.testing import QBOEmulator

    with QBOEmulator(throttle=True) as limited, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {limited.issue_tokens()[0]}"
        base = f"{limited.api_url}/company/{limited.realm_id}"
        body = json.dumps({"BatchItemRequest": [{"bId": "1", "Query": "select count(*) from Customer"}]})

        def batch():
            return session.post(base + "/batch", data=body, headers={"Content-Type": "application/json"})

        def query():
            return session.post(
                base + "/query", data="select count(*) from Customer", headers={"Content-Type": "application/text"}
            )

        def refused_for(response) -> str:
            assert response.status_code == 429
            return response.json()["Fault"]["Error"][0]["Detail"]

        def paced(send):  # 9 a second: within the 10 a second, 500 in 55 s
            answer = send()
            limited.advance(0.11)
            return answer

        # The most in one minute: 40 batch requests and 460 others (not 500 others), or fewer
        # batch requests and more others; then neither kind, whatever batch requests are left.
        assert [paced(batch).status_code for _ in range(batches)] == [200] * batches
        assert [paced(query).status_code for _ in range(500 - batches)] == [200] * (500 - batches)
        assert refused_for(query()) == "Too many requests in the last minute."
        assert refused_for(batch()) == "Too many requests in the last minute."
        limited.advance(61)
        assert query().status_code == 200 and batch().status_code == 200


def test_more_than_ten_requests_in_a_second_are_refused():
    from flask_wsqb.testing import QBOEmulator

    with QBOEmulator(throttle=True) as limited, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {limited.issue_tokens()[0]}"
        url = f"{limited.api_url}/company/{limited.realm_id}/companyinfo/{limited.realm_id}"
        limited.clock.speed = 0.0  # emulated time stands still: every request in the same second
        assert [session.get(url).status_code for _ in range(10)] == [200] * 10
        refused = session.get(url)
        assert refused.status_code == 429
        assert refused.json()["Fault"]["Error"][0]["Detail"] == "Too many requests in the last second."
        limited.advance(1.0)
        assert session.get(url).status_code == 200
