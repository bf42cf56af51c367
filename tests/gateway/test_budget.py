"""The in-process request budget, measured in real time over short windows."""

from __future__ import annotations

import threading
import time

import pytest

from flask_wsqb import fairness
from flask_wsqb.fairness import GiveWay, taking_turns
from flask_wsqb.quickbooks.budget import InProcessBudget, Limits
from flask_wsqb.quickbooks.errors import ThrottledError
from flask_wsqb.quickbooks.gateway import QuickBooksGateway, RetryPolicy
from flask_wsqb.testing import QBOEmulator
from tests.gateway.budget_checks import (
    REALM,
    a_request_that_stops_waiting_leaves_the_line,
    no_more_requests_in_a_second_than_allowed,
    requests_do_not_wait_behind_a_batch_request_waiting_for_batch_room,
    room_is_what_could_start_now,
    waiters_are_served_in_order_of_arrival,
)
from tests.gateway.helpers import count_customers, gateway_settings, memory_tokens


def in_threads(count: int, work) -> None:
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


def test_rate_holds_in_every_sliding_window():
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


def test_room_is_what_could_start_now():
    room_is_what_could_start_now(InProcessBudget)


def test_waiters_are_served_in_order_of_arrival():
    waiters_are_served_in_order_of_arrival(InProcessBudget)


def test_requests_do_not_wait_behind_a_batch_request_waiting_for_batch_room():
    requests_do_not_wait_behind_a_batch_request_waiting_for_batch_room(InProcessBudget)


def test_a_request_that_stops_waiting_leaves_the_line():
    a_request_that_stops_waiting_leaves_the_line(InProcessBudget)


def test_no_more_requests_in_a_second_than_allowed():
    no_more_requests_in_a_second_than_allowed(InProcessBudget)


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


def test_a_slot_gives_way_rather_than_wait_only_in_a_turn_that_would_be_over_and_before_a_chunks_first_request():
    budget = InProcessBudget(Limits(requests=1, batches=None, concurrent=None, window=0.5))
    others_waiting = [True]
    with budget.slot(REALM):  # the window's one request
        pass
    with taking_turns(lambda: others_waiting[0], length=0.2):
        with fairness.chunk(), pytest.raises(GiveWay):
            with budget.slot(REALM):  # a 0.5 s wait would end the turn, and others wait
                pass
        others_waiting[0] = False
        with fairness.chunk():
            with budget.slot(REALM):  # waits: nobody else is waiting
                pass
            others_waiting[0] = True
            with budget.slot(REALM):  # waits: the chunk has sent a request
                pass
        with budget.slot(REALM):  # waits: outside a chunk
            pass
    with fairness.chunk(), budget.slot(REALM):  # waits: the job is not taking turns
        pass


def test_between_chunks_a_job_gives_way_once_its_turn_is_over_and_a_chunk_done_if_others_wait():
    others_waiting = [True]
    with taking_turns(lambda: others_waiting[0], length=0.2):
        fairness.between_chunks()  # the turn has just begun
        time.sleep(0.25)
        fairness.between_chunks()  # over, but it has done nothing yet
        with fairness.chunk():
            pass
        with pytest.raises(GiveWay):
            fairness.between_chunks()
        others_waiting[0] = False
        fairness.between_chunks()  # over, but nobody is waiting
    others_waiting[0] = True
    fairness.between_chunks()  # not taking turns
