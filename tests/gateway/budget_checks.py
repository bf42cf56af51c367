"""What every request budget does, checked the same way on each kind: ``make(limits, **options)``
builds the budget under test (in this process, or in Redis)."""

from __future__ import annotations

from collections.abc import Callable

from flask_wsqb.quickbooks.budget import NO_LIMIT, Budget, Limits, Room

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
    unlimited = make(Limits(requests=None, batches=None, concurrent=None))
    assert unlimited.room("another realm") == Room(NO_LIMIT, NO_LIMIT)
