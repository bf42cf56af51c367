from __future__ import annotations

import pytest

from flask_wsqb.quickbooks.gateway import QuickBooksGateway, RetryPolicy
from flask_wsqb.quickbooks.tokens import MemoryTokenStore
from tests.gateway.helpers import gateway_settings, memory_tokens


@pytest.fixture
def token_store(qbo) -> MemoryTokenStore:
    return memory_tokens(qbo)


@pytest.fixture
def gateway(qbo, token_store) -> QuickBooksGateway:
    # Real waits, made short: the behaviour under test is whether and how often we retry.
    return QuickBooksGateway(
        realm_id=qbo.realm_id,
        settings=gateway_settings(qbo),
        token_store=token_store,
        retry=RetryPolicy(attempts=4, backoff=0.01, max_wait=0.05),
    )
