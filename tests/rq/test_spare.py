"""``Budget.spare``: the requests single sends may use without ever keeping a batch request
waiting, the same in this process and in Redis."""

from __future__ import annotations

import pytest
from redis import Redis

from flask_wsqb.quickbooks.budget import Budget, InProcessBudget, Limits, RedisBudget

REALM = "9341000000000042"
LIMITS = Limits(requests=10, batches=3, concurrent=4, window=30.0, per_second=None)  # the minute alone


@pytest.fixture(params=["in-process", "redis"])
def budget(request) -> Budget:
    if request.param == "in-process":
        return InProcessBudget(LIMITS)
    return RedisBudget(Redis.from_url(request.getfixturevalue("redis_url")), LIMITS)


def send(budget: Budget, *, batch: bool = False) -> None:
    with budget.slot(REALM, batch=batch):
        pass


def test_spare_is_what_the_window_takes_beyond_the_batch_requests_it_still_allows(budget):
    assert budget.spare(REALM) == 10 - 3
    send(budget, batch=True)  # a batch request uses one of each
    assert budget.spare(REALM) == 9 - 2
    for _ in range(3):
        send(budget)
    assert budget.spare(REALM) == 6 - 2
    for _ in range(4):
        send(budget)
    assert budget.spare(REALM) == 0
    # the two requests left in the window are kept for the two batch requests it still allows
    assert budget.room(REALM).requests == 2 and budget.room(REALM).batches == 2
    send(budget, batch=True)
    send(budget, batch=True)
    assert budget.spare(REALM) == 0 and budget.room(REALM).requests == 0


def test_spare_is_none_while_paused(budget):
    budget.pause(REALM, 5.0)
    assert budget.spare(REALM) == 0
