"""The gateway's session: token refresh and rotation, retries, throttling, outages."""

from __future__ import annotations

import pytest

from flask_wsqb.quickbooks.budget import InProcessBudget, Limits, NoRoomNow
from flask_wsqb.quickbooks.errors import AuthLostError, ServiceUnavailableError
from flask_wsqb.quickbooks.gateway import BatchItem, QuickBooksGateway, RetryPolicy
from tests.gateway.helpers import count_customers, gateway_settings


def test_expired_access_token_is_refreshed_and_rotation_saved_first(qbo, gateway, token_store):
    before = token_store.tokens
    qbo.advance(3700)  # QuickBooks considers the token expired; we did not notice
    assert gateway.company_info()["CompanyName"]
    after = token_store.tokens
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # rotated, and saved
    assert gateway.tokens == after


def test_401_mid_action_refreshes_and_retries_once(qbo, gateway, token_store):
    qbo.add_customer({"DisplayName": "Keystone Realty"})
    qbo.expire_access_tokens()
    assert [c["DisplayName"] for c in gateway.iter_customers()] == ["Keystone Realty"]
    assert token_store.lost_message is None


def test_revoked_connection_raises_auth_lost_and_tells_the_store(qbo, gateway, token_store):
    qbo.revoke_all()
    with pytest.raises(AuthLostError, match="Reconnect"):
        gateway.company_info()
    assert "Reconnect" in token_store.lost_message


def test_throttling_is_waited_out(qbo, gateway):
    qbo.fail_next(status=429, count=2)
    assert count_customers(gateway) == 0


def test_server_errors_and_dropped_connections_retry_safe_requests(qbo, gateway):
    qbo.add_customer({"DisplayName": "Granite Roofing"})
    qbo.fail_next(status=500, count=1, path="/query")
    qbo.fail_next(count=1, path="/query", mode="drop")
    assert count_customers(gateway) == 1
    qbo.fail_next(status=503, count=1, path="/customer", mode="html")
    created = gateway.create_customer({"DisplayName": "Pioneer Hardware"}, request_id="retry-create")
    assert created["DisplayName"] == "Pioneer Hardware"
    assert len(qbo.customers()) == 2


def test_batch_with_request_id_survives_a_dropped_answer_without_doubling(qbo, gateway):
    qbo.fail_next(count=1, path="/batch", mode="drop")
    results = gateway.batch([BatchItem("c1", "create", {"DisplayName": "Bluebird Cafe"})], request_id="b-drop")
    assert results["c1"]["DisplayName"] == "Bluebird Cafe"
    assert len(qbo.customers()) == 1


def test_a_batch_that_may_not_wait_waits_when_resent_after_a_dropped_answer(qbo, token_store):
    """``wait=False`` gives up for want of room only before anything is sent: a resend, after an
    answer lost on the way, waits for the room its first try used (here a whole window), and
    fetches QuickBooks' answer instead of leaving the caller to send the rows again another way."""
    window = 1.0
    gateway = QuickBooksGateway(
        realm_id=qbo.realm_id,
        settings=gateway_settings(qbo),
        token_store=token_store,
        retry=RetryPolicy(attempts=4, backoff=0.01, max_wait=0.05),
        budget=InProcessBudget(Limits(batches=1, window=window)),
    )
    qbo.fail_next(count=1, path="/batch", mode="drop")

    results = gateway.batch([BatchItem("c1", "create", {"DisplayName": "Bluebird Cafe"})], request_id="b-1", wait=False)

    assert results["c1"]["DisplayName"] == "Bluebird Cafe"
    assert len(qbo.customers()) == 1
    with pytest.raises(NoRoomNow):  # and before anything is sent, it gives up at once
        gateway.batch([BatchItem("c2", "create", {"DisplayName": "Wren Books"})], request_id="b-2", wait=False)
    assert len(qbo.customers()) == 1


def test_batch_without_request_id_is_not_resent_blindly(qbo, gateway):
    qbo.fail_next(count=1, path="/batch", mode="drop")
    with pytest.raises(ServiceUnavailableError, match="dropped the connection"):
        gateway.batch([BatchItem("c1", "create", {"DisplayName": "Bluebird Cafe"})])


def test_a_hung_request_times_out_with_a_clear_error(qbo, gateway):
    qbo.fail_next(count=10, path="/companyinfo", mode="hang", hang_seconds=2.0)
    with pytest.raises(ServiceUnavailableError, match="timed out"):
        gateway.company_info()
