"""The in-process request budget, measured in real time over short windows."""

from __future__ import annotations

import threading
import time

import pytest

from flask_wsqb.quickbooks.budget import GiveWay, InProcessBudget, Limits, give_way_when, may_give_way
from flask_wsqb.quickbooks.errors import ThrottledError
from flask_wsqb.quickbooks.gateway import QuickBooksGateway, RetryPolicy
from flask_wsqb.testing import QBOEmulator
from tests.gateway.helpers import count_customers, gateway_settings, memory_tokens

REALM = "9341000000000001"
OTHER = "9341000000000002"


def in_threads(count: int, work) -> None:
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_rate_holds_in_every_sliding_window():
    # Waiting is not first come, first served: allow any thread to wait through every window.
    budget = InProcessBudget(Limits(requests=20, batches=None, concurrent=None, window=0.5), max_wait=10)
    started: list[float] = []

    def send_ten():
        for _ in range(10):
            with budget.slot(REALM):
                started.append(time.monotonic())

    in_threads(8, send_ten)
    started.sort()
    assert len(started) == 80
    assert min(later - earlier for earlier, later in zip(started, started[20:], strict=False)) >= 0.5
    assert started[-1] - started[0] < 2.5  # waits no longer than the windows need


def test_batch_rate_is_separate_and_batches_count_as_requests():
    budget = InProcessBudget(Limits(requests=4, batches=2, concurrent=None, window=0.5))
    start = time.monotonic()
    for _ in range(2):
        with budget.slot(REALM, batch=True):
            pass
    with budget.slot(REALM):
        pass
    assert time.monotonic() - start < 0.1
    with budget.slot(REALM, batch=True):
        assert time.monotonic() - start >= 0.5
    with budget.slot(REALM):  # 4 requests in the window: batches counted
        assert time.monotonic() - start >= 0.5


def test_no_more_in_flight_than_allowed():
    budget = InProcessBudget(Limits(requests=None, batches=None, concurrent=3, window=0.5))
    in_flight = peak = 0
    guard = threading.Lock()

    def send_five():
        nonlocal in_flight, peak
        for _ in range(5):
            with budget.slot(REALM):
                with guard:
                    in_flight += 1
                    peak = max(peak, in_flight)
                time.sleep(0.01)
                with guard:
                    in_flight -= 1

    in_threads(10, send_five)
    assert peak == 3


def test_pause_stops_the_realm_only():
    budget = InProcessBudget(Limits(window=0.5))
    budget.pause(REALM, 0.3)
    start = time.monotonic()
    with budget.slot("another realm"):
        assert time.monotonic() - start < 0.1
    with budget.slot(REALM):
        assert time.monotonic() - start >= 0.3


def test_waiting_is_bounded():
    budget = InProcessBudget(Limits(requests=1, window=10.0), max_wait=0.2)
    with budget.slot(REALM):
        pass
    start = time.monotonic()
    with pytest.raises(ThrottledError, match="request budget"):
        with budget.slot(REALM):
            pass
    assert time.monotonic() - start < 0.3


def test_gateways_sharing_a_budget_are_never_throttled():
    # A minute of emulator time passes in half a second; the budget counts over the same half.
    with QBOEmulator(throttle=True, per_minute=20, concurrent=3, clock_speed=120) as qbo:
        budget = InProcessBudget(Limits(requests=18, batches=None, concurrent=3, window=0.5), max_wait=10)
        tokens = memory_tokens(qbo)

        def count_ten():
            gateway = QuickBooksGateway(
                realm_id=qbo.realm_id, settings=gateway_settings(qbo), token_store=tokens, budget=budget
            )
            for _ in range(10):
                count_customers(gateway)

        in_threads(5, count_ten)
        statuses = [status for _, _, status in qbo.request_log]
        assert statuses == [200] * 50


def test_a_429_pauses_every_gateway_sharing_the_budget():
    with QBOEmulator() as qbo:
        budget = InProcessBudget(Limits(window=0.5))
        tokens = memory_tokens(qbo)
        finished: list[float] = []

        def count_until(stop: float):
            gateway = QuickBooksGateway(
                realm_id=qbo.realm_id,
                settings=gateway_settings(qbo),
                token_store=tokens,
                budget=budget,
                retry=RetryPolicy(max_wait=0.4),
            )
            while time.monotonic() < stop:
                count_customers(gateway)
                finished.append(time.monotonic())

        stop = time.monotonic() + 1.5
        threads = [threading.Thread(target=count_until, args=(stop,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        qbo.fail_next(429)
        for thread in threads:
            thread.join(timeout=10)
        finished.sort()
        assert [status for _, _, status in qbo.request_log].count(429) == 1
        # Nothing finished for the pause, less what was already in flight (without it: ms apart).
        assert max(later - earlier for earlier, later in zip(finished, finished[1:], strict=False)) >= 0.3


def test_a_long_wait_gives_way_only_before_the_units_first_request_and_only_to_others():
    budget = InProcessBudget(Limits(requests=1, batches=None, concurrent=None, window=0.5), give_way_after=0.1)
    asked: list[str] = []

    def others_waiting(realm_id: str) -> bool:
        asked.append(realm_id)
        return realm_id == REALM

    for realm_id in (REALM, OTHER):  # each company's one request of the window
        with budget.slot(realm_id):
            pass
    with give_way_when(others_waiting):
        with may_give_way(), pytest.raises(GiveWay):
            with budget.slot(REALM):
                pass
        with may_give_way():
            with budget.slot(OTHER):  # asks, and waits: nothing waits but its own company's work
                pass
            with budget.slot(OTHER):  # waits without asking: the unit has sent a request already
                pass
        with budget.slot(REALM):  # outside a unit: waits
            pass
    with may_give_way(), budget.slot(REALM):  # the job did not say it may give way: waits
        pass
    assert asked == [REALM, OTHER]
