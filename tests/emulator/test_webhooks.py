"""The emulator's webhooks: signed POSTs of every customer change to a real HTTP receiver, in both
of Intuit's formats, batched, delayed on the emulator's clock, retried, lost or doubled on demand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from datetime import datetime, timezone

import pytest
from werkzeug.datastructures import Headers
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from flask_wsqb.testing import QBOEmulator
from flask_wsqb.testing.__main__ import argument_parser, emulator, startup_lines

EVENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}-Customer-(\d+)")


class Receiver:
    """An app's webhook endpoint on a loopback port: records every POST, answers ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.posts: list[tuple[Headers, bytes, float]] = []  # headers, body, real time of arrival
        self._arrived = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.port}/quickbooks/webhooks"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def _app(self, environ: dict, start_response):
        request = Request(environ)
        with self._arrived:
            self.posts.append((request.headers, request.get_data(), time.monotonic()))
            self._arrived.notify_all()
        return Response("", self.status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[Headers, bytes, float]]:
        with self._arrived:
            assert self._arrived.wait_for(lambda: len(self.posts) >= count, timeout), self.posts
            return list(self.posts)

    def events(self) -> list[dict]:
        """Every CloudEvent received, in order."""
        return [event for _, body, _ in self.posts for event in json.loads(body)]

    def operations(self) -> list[tuple[str, str]]:
        return [(event["type"], event["intuitentityid"]) for event in self.events()]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def notified(qbo, receiver):
    """``qbo`` notifying ``receiver``, with a delay long enough that only flush_webhooks() sends."""
    qbo.webhook_url = receiver.url
    qbo.webhook_delay = 600
    return qbo


def _utc(customer: dict) -> str:
    updated = datetime.fromisoformat(customer["MetaData"]["LastUpdatedTime"])
    return updated.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_cloudevents_shape_and_signature(notified, receiver):
    created = notified.add_customer({"DisplayName": "Ada Lovelace"})
    assert receiver.posts == []  # it waits for webhook_delay ...
    assert notified.flush_webhooks() == 1  # ... unless flushed
    [(headers, body, _)] = receiver.posts
    assert headers["Content-Type"] == "application/json"
    digest = hmac.new(notified.webhook_verifier_token.encode(), body, hashlib.sha256).digest()
    assert hmac.compare_digest(headers["intuit-signature"], base64.b64encode(digest).decode())
    assert notified.sign_webhook(body) == headers["intuit-signature"]
    [event] = json.loads(body)
    assert EVENT_ID.fullmatch(event.pop("id"))[1] == created["Id"]
    assert event.pop("source").startswith("intuit.")
    assert event == {
        "specversion": "1.0",
        "type": "qbo.customer.created.v1",
        "datacontenttype": "application/json",
        "time": _utc(created),
        "intuitentityid": created["Id"],
        "intuitaccountid": notified.realm_id,
        "data": {},
    }
    assert [(entry.status, entry.events, entry.body) for entry in notified.webhook_log] == [(200, 1, body)]


def test_legacy_format_groups_changes_per_company(notified, receiver):
    notified.webhook_format = "legacy"
    other = notified.add_company("Other Company")
    a = notified.add_customer({"DisplayName": "A"})
    b = notified.add_customer({"DisplayName": "B"})
    c = notified.add_customer({"DisplayName": "C"}, realm_id=other)
    survivor = notified.merge_customer(a["Id"], b["Id"])
    assert notified.flush_webhooks() == 4
    [(_, body, _)] = receiver.posts
    created = [{"name": "Customer", "id": x["Id"], "operation": "Create", "lastUpdated": _utc(x)} for x in (a, b, c)]
    merged = {"name": "Customer", "id": b["Id"], "operation": "Merge", "lastUpdated": _utc(survivor)}
    assert json.loads(body) == {
        "eventNotifications": [
            {
                "realmId": notified.realm_id,
                "dataChangeEvent": {"entities": [*created[:2], {**merged, "deletedId": a["Id"]}]},
            },
            {"realmId": other, "dataChangeEvent": {"entities": created[2:]}},
        ]
    }


def test_format_is_checked():
    with pytest.raises(ValueError):
        QBOEmulator(webhook_format="xml")
    qbo = QBOEmulator(webhook_verifier_token="mine")
    assert qbo.webhook_format == "cloudevents" and qbo.webhook_verifier_token == "mine"
    with pytest.raises(ValueError):
        qbo.webhook_format = "json"
    assert QBOEmulator().webhook_verifier_token != QBOEmulator().webhook_verifier_token  # random


def test_every_write_is_notified_the_apps_own_included(notified, receiver, raw):
    created = raw.post("/customer", json.dumps({"DisplayName": "Via API"})).json()["Customer"]
    sparse = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "from the app"}
    assert raw.post("/customer", json.dumps(sparse), requestid="once").status_code == 200
    assert raw.post("/customer", json.dumps(sparse), requestid="once").status_code == 200  # replayed
    assert raw.post("/customer", json.dumps(sparse)).status_code == 400  # stale: nothing changed
    items = [{"bId": str(n), "operation": "create", "Customer": {"DisplayName": name}} for n, name in enumerate("XX")]
    raw.post("/batch", json.dumps({"BatchItemRequest": items}))  # the second X is a duplicate name
    notified.edit_customer(created["Id"], Notes="from QuickBooks")
    assert notified.flush_webhooks() == 4
    assert receiver.operations() == [
        ("qbo.customer.created.v1", created["Id"]),
        ("qbo.customer.updated.v1", created["Id"]),
        ("qbo.customer.created.v1", notified.customers()[-1]["Id"]),
        ("qbo.customer.updated.v1", created["Id"]),
    ]


def test_merge_is_one_event_naming_both(notified, receiver):
    gone = notified.add_customer({"DisplayName": "Gone"})
    kept = notified.add_customer({"DisplayName": "Kept"})
    notified.flush_webhooks()
    notified.merge_customer(gone["Id"], kept["Id"])
    assert notified.flush_webhooks() == 1
    [merged] = json.loads(receiver.posts[-1][1])
    assert (merged["type"], merged["intuitentityid"], merged["data"]) == (
        "qbo.customer.merged.v1",
        kept["Id"],
        {"deletedid": gone["Id"]},
    )
    assert EVENT_ID.fullmatch(merged["id"])[1] == kept["Id"]


def test_delete_makes_the_customer_inactive(notified, receiver, raw):
    customer = notified.add_customer({"DisplayName": "Leaving"})
    since = notified.clock.now()
    notified.advance(60)
    deleted = notified.delete_customer(customer["Id"])
    assert deleted["Active"] is False and deleted["SyncToken"] == "1"
    assert deleted["MetaData"]["LastUpdatedTime"] > customer["MetaData"]["LastUpdatedTime"]
    answer = raw.get("/cdc", entities="Customer", changedSince=since.isoformat()).json()
    [changed] = answer["CDCResponse"][0]["QueryResponse"][0]["Customer"]
    assert (changed["Id"], changed["Active"], changed.get("status")) == (customer["Id"], False, None)
    notified.flush_webhooks()
    assert receiver.operations() == [("qbo.customer.created.v1", "1"), ("qbo.customer.deleted.v1", "1")]
    assert receiver.events()[-1]["time"] == _utc(deleted)


def test_delete_follows_the_inactive_name_rule(receiver):
    with QBOEmulator(deleted_suffix=True, webhook_url=receiver.url, webhook_format="legacy") as qbo:
        customer = qbo.add_customer({"DisplayName": "Leaving"})
        assert qbo.delete_customer(customer["Id"])["DisplayName"] == "Leaving (deleted)"
        qbo.flush_webhooks()
    entities = json.loads(receiver.posts[0][1])["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert [entity["operation"] for entity in entities] == ["Create", "Delete"]


def test_changes_within_the_delay_arrive_in_one_post_on_the_emulated_clock(qbo, receiver):
    qbo.webhook_url = receiver.url
    qbo.webhook_delay = 30
    qbo.clock.speed = 100  # 30 emulated seconds: 0.3 real ones
    started = time.monotonic()
    for name in ("One", "Two", "Three"):
        qbo.add_customer({"DisplayName": name})
    assert receiver.posts == []
    [(_, body, arrived)] = receiver.wait_for(1)
    assert 0.25 < arrived - started < 2
    assert [event["intuitentityid"] for event in json.loads(body)] == ["1", "2", "3"]
    time.sleep(0.1)
    assert len(receiver.posts) == 1


def test_advancing_the_clock_sends_what_is_due(qbo, receiver):
    qbo.webhook_url = receiver.url
    qbo.webhook_delay = 3600
    qbo.add_customer({"DisplayName": "Waiting"})
    time.sleep(0.1)
    assert receiver.posts == []
    qbo.advance(3600)
    receiver.wait_for(1)


def test_webhook_url_set_on_a_running_emulator(qbo, receiver):
    qbo.add_customer({"DisplayName": "Before"})  # no URL yet: nobody is told
    qbo.webhook_url = receiver.url
    qbo.webhook_delay = 0.05
    qbo.add_customer({"DisplayName": "After"})
    receiver.wait_for(1)
    assert receiver.operations() == [("qbo.customer.created.v1", "2")]


def test_paused_changes_are_lost(notified, receiver):
    notified.webhooks_paused = True
    notified.add_customer({"DisplayName": "Lost"})
    notified.webhooks_paused = False
    told = notified.add_customer({"DisplayName": "Told"})
    assert notified.flush_webhooks() == 1
    assert receiver.operations() == [("qbo.customer.created.v1", told["Id"])]


def test_duplicates_send_each_post_twice(notified, receiver):
    notified.duplicate_webhooks = True
    notified.add_customer({"DisplayName": "Twice"})
    assert notified.flush_webhooks() == 1
    [(first, body, _), (second, again, _)] = receiver.posts
    assert body == again and first["intuit-signature"] == second["intuit-signature"]
    assert [(entry.status, entry.events) for entry in notified.webhook_log] == [(200, 1), (200, 1)]


def test_failed_delivery_is_retried_three_times_then_dropped(notified, receiver):
    receiver.status = 500
    notified.add_customer({"DisplayName": "Unlucky"})
    assert [notified.flush_webhooks() for _ in range(5)] == [0, 0, 0, 0, 0]
    assert [entry.status for entry in notified.webhook_log] == [500] * 4
    assert len({body for _, body, _ in receiver.posts}) == 1  # the same notification each time


def test_retries_wait_longer_each_time(qbo, receiver):
    receiver.status = 503
    qbo.webhook_url = receiver.url
    qbo.webhook_delay = 1
    qbo.clock.speed = 10  # retries after 1, 2 and 4 emulated seconds: 0.1, 0.2, 0.4 real ones
    qbo.add_customer({"DisplayName": "Unlucky"})
    arrivals = [arrived for _, _, arrived in receiver.wait_for(4)]
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps[0] < gaps[1] < gaps[2]
    time.sleep(0.5)
    assert len(receiver.posts) == 4


def test_unreachable_receiver_is_status_0(qbo):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    qbo.webhook_url = f"http://127.0.0.1:{port}/nobody"
    qbo.add_customer({"DisplayName": "Unheard"})
    assert qbo.flush_webhooks() == 0
    assert [(entry.status, entry.events) for entry in qbo.webhook_log] == [(0, 1)]


def test_command_line_flags(receiver):
    args = argument_parser().parse_args(
        ["--port", "0", "--webhook-url", receiver.url, "--webhook-verifier-token", "tok"]
        + ["--webhook-format", "legacy", "--webhook-delay", "0.05"]
    )
    with emulator(args) as qbo:
        assert (qbo.webhook_url, qbo.webhook_format, qbo.webhook_delay) == (receiver.url, "legacy", 0.05)
        lines = startup_lines(qbo)
        assert "Webhook token : tok" in lines and f"Webhook URL   : {receiver.url} (legacy)" in lines
        qbo.add_customer({"DisplayName": "From the command line"})
        [(headers, body, _)] = receiver.wait_for(1)
    assert headers["intuit-signature"] == base64.b64encode(hmac.new(b"tok", body, hashlib.sha256).digest()).decode()
    defaults = emulator(argument_parser().parse_args([]))
    assert (defaults.webhook_url, defaults.webhook_format, defaults.webhook_delay) == (None, "cloudevents", 1.0)
    assert not [line for line in startup_lines(defaults) if line.startswith("Webhook")]
