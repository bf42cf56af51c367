from __future__ import annotations

import pytest

from tests.auto.helpers import TOKEN
from tests.helpers import host_config


@pytest.fixture
def app_config(db_url, qbo) -> dict:
    """The example host with webhooks set up; app edits go out 0.3 s after their commit."""
    return host_config(
        db_url,
        qbo,
        WSQB_WEBHOOK_VERIFIER_TOKEN=TOKEN,
        WSQB_PUSH_DELAY=0.3,
        WSQB_CATCHUP_INTERVAL=3600.0,
    )
