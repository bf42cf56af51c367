"""The pure rules automatic sync relies on: which side is newer at QuickBooks' precision, which
fields changed since the agreement, and what a delivery says in either format."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_wsqb.quickbooks import notifications
from flask_wsqb.sync import merge
from tests.auto.helpers import cloudevents, legacy, signature

QB_TIME = datetime(2026, 11, 27, 10, 0, 5, tzinfo=timezone.utc)  # QuickBooks writes whole seconds


@pytest.mark.parametrize(
    ("app_time", "app_wins"),
    [
        (QB_TIME.replace(microsecond=900_000), False),  # the same second: a tie, QuickBooks wins
        (QB_TIME.replace(second=6), True),
        (QB_TIME.replace(second=4, microsecond=999_999), False),
        (None, False),
    ],
)
def test_the_app_is_newer_only_in_a_later_second(app_time, app_wins):
    assert merge.app_is_newer(app_time, QB_TIME) is app_wins


VALUES = st.dictionaries(st.sampled_from(["phone", "email", "city"]), st.sampled_from(["", "a", "b"]), min_size=3)


@given(app=VALUES, quickbooks=VALUES, agreed_app=VALUES, agreed_quickbooks=VALUES, newer=st.booleans())
def test_a_record_agreeing_with_the_baseline_is_never_written_by_the_merge(
    app, quickbooks, agreed_app, agreed_quickbooks, newer
):
    """A round skips the records whose side did not change since the agreement: the merge would
    write nothing from that side anyway (so skipping loses no edit, and an echo writes nothing)."""
    agreed = merge.Agreement(agreed_app, agreed_quickbooks)
    plan = merge.decide(app, quickbooks, agreed, app_is_newer=newer)
    assert set(plan.to_quickbooks) <= merge.changed_since(app, agreed.app)
    assert set(plan.to_app) <= merge.changed_since(quickbooks, agreed.quickbooks)


def test_both_formats_say_the_same():
    cloud = notifications.parse(cloudevents("123", ("7", "updated"), ("9", "merged"), deleted_id="8"))
    old = json.loads(legacy("123", ("7", "Update"), ("9", "Merge")))
    old["eventNotifications"][0]["dataChangeEvent"]["entities"][1]["deletedId"] = "8"
    older = notifications.parse(json.dumps(old).encode())
    assert [(n.realm_id, n.entity, n.entity_id, n.operation, n.deleted_id) for n in cloud] == [
        ("123", "Customer", "7", "Update", None),
        ("123", "Customer", "9", "Merge", "8"),
    ]
    assert [(n.realm_id, n.entity, n.entity_id, n.operation, n.deleted_id) for n in older] == [
        (n.realm_id, n.entity, n.entity_id, n.operation, n.deleted_id) for n in cloud
    ]


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"{}", b'[{"type": "nonsense"}]', b'{"eventNotifications": [{"realmId": "1"}]}']
)
def test_a_malformed_delivery_is_refused_with_a_reason(body):
    with pytest.raises(ValueError, match=r"\w"):
        notifications.parse(body)


def test_the_signature_is_checked_against_the_raw_body():
    body = cloudevents("123", ("7", "updated"))
    assert notifications.verify(body, signature(body, "tok"), "tok")
    assert not notifications.verify(body + b" ", signature(body, "tok"), "tok")
    assert not notifications.verify(body, signature(body, "other"), "tok")
    assert not notifications.verify(body, None, "tok")
    assert not notifications.verify(body, signature(body, "tok"), "")
