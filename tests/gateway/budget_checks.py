"""What every request budget does, checked the same way on each kind: ``make(limits, **options)``
builds the budget under test (in this process, or in Redis)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from flask_wsqb.quickbooks.budget import NO_LIMIT, Budget, Limits, Room
from flask_wsqb.quickbooks.errors import ThrottledError

REALM = "9341000000000001"

MakeBudget = Callable[..., Budget]


def room_is_what_could_start_now(make: MakeBudget) -> None:
    budget = make(Limits(requests=5, batches=2, concurrent=3, window=10.0))
    assert budget.room(REALM) == Room(requests=3, batches=2)  # three in flight at most
    with budget.slot(REALM, batch=True):
        assert budget.room(REALM) == Room(requests=2, batches=1)
    with budget.slot(REALM, batch=True):
        pass
    # a batch request counts as a request too: 5 - 2 requests left, no batch request
    assert budget.room(REALM) == Room(requests=3, batches=0)
    with budget.slot(REALM):
        pass
    assert budget.room(REALM) == Room(requests=2, batches=0)
    budget.pause(REALM, 5.0)
    assert budget.room(REALM) == Room(requests=0, batches=0)
    assert budget.room("another realm") == Room(requests=3, batches=2)
    unlimited = make(Limits(requests=None, batches=None, concurrent=None, per_second=None))
    assert unlimited.room("another realm") == Room(NO_LIMIT, NO_LIMIT)


def in_line(budget: Budget, kinds: list[bool], served: list[int]) -> list[threading.Thread]:
    """Threads sending a request each (a batch request where ``kinds`` says so), arriving 50 ms
    apart (so each is waiting before the next arrives); each appends its number when served."""

    def send(number: int, batch: bool) -> None:
        with budget.slot(REALM, batch=batch):
            served.append(number)

    threads = []
    for number, batch in enumerate(kinds):
        threads.append(threading.Thread(target=send, args=(number, batch), daemon=True))
        threads[-1].start()
        time.sleep(0.05)
    return threads


def waiters_are_served_in_order_of_arrival(make: MakeBudget) -> None:
    # One request per 0.5 s window, and every waiter due at once when their turns come: only
    # their order of arrival decides (a batch request waiting for request room queues too).
    budget = make(Limits(requests=1, batches=None, concurrent=None, window=0.5), max_wait=10)
    with budget.slot(REALM):
        pass
    served: list[int] = []
    for thread in in_line(budget, [False, True, False, False, True, False], served):
        thread.join(timeout=10)
    assert served == [0, 1, 2, 3, 4, 5]


def requests_do_not_wait_behind_a_batch_request_waiting_for_batch_room(make: MakeBudget) -> None:
    budget = make(Limits(requests=10, batches=1, concurrent=None, window=0.5), max_wait=10)
    start = time.monotonic()
    with budget.slot(REALM, batch=True):
        pass
    served: list[int] = []
    [waiting] = in_line(budget, [True], served)  # the window's batch request is sent
    for _ in range(5):
        with budget.slot(REALM):
            pass
    assert time.monotonic() - start < 0.3 and served == []
    assert budget.room(REALM) == Room(requests=4, batches=0)
    waiting.join(timeout=10)
    assert served == [0] and time.monotonic() - start >= 0.5


def a_request_that_stops_waiting_leaves_the_line(make: MakeBudget) -> None:
    budget = make(Limits(requests=None, batches=None, concurrent=1), max_wait=0.1)
    with budget.slot(REALM):
        with pytest.raises(ThrottledError):
            with budget.slot(REALM):
                pass
        assert budget.room(REALM) == Room(requests=0, batches=0)
    assert budget.room(REALM) == Room(requests=1, batches=1)  # not held for the impatient one


def no_more_requests_in_a_second_than_allowed(make: MakeBudget) -> None:
    """Nine requests at three a second (a second: a 60th of the 6 s window) take two seconds and
    more, and no second ever holds four."""
    budget = make(Limits(requests=None, batches=None, concurrent=None, per_second=3, window=6.0), max_wait=10)
    started = []
    begin = time.monotonic()
    for _ in range(9):
        with budget.slot(REALM):
            started.append(time.monotonic())
    assert started[-1] - begin >= 2 * 0.1
    assert all(later - earlier >= 0.1 for earlier, later in zip(started, started[3:], strict=False))
