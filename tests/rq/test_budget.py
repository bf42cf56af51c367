"""One request budget in Redis shared by worker processes, against a throttled emulator on a clock
where an emulated minute passes in a real second (so the budget's window is one second)."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from flask_wsqb.quickbooks.budget import Limits, Room
from flask_wsqb.quickbooks.errors import ThrottledError
from flask_wsqb.quickbooks.gateway import RetryPolicy
from flask_wsqb.testing import QBOEmulator
from tests.gateway import budget_checks
from tests.gateway.budget_checks import REALM
from tests.rq.senders import WAIT, Company, budget, run_senders

pytestmark = pytest.mark.redis

#: WSQB's defaults, over a one-second window.
LIMITS = Limits(requests=480, batches=38, concurrent=8, window=1.0)


@pytest.fixture
def throttled_qbo():
    with QBOEmulator(throttle=True, clock_speed=60, per_minute=500, concurrent=10, access_token_ttl=10**7) as qbo:
        yield qbo


def test_processes_sharing_the_budget_stay_within_the_limits(throttled_qbo, redis_url):
    reports, elapsed = run_senders(4, Company.of(throttled_qbo), redis_url, LIMITS, count=375)
    assert [report.error for report in reports] == [""] * 4
    statuses = [status for _, _, status in throttled_qbo.request_log]
    assert statuses.count(200) == 1500
    assert 429 not in statuses[500:]  # past the first window: none at all
    assert elapsed > 2.0  # 1,500 requests at 480 a window need three windows and a bit


@pytest.mark.parametrize(
    "check",
    [
        budget_checks.room_is_what_could_start_now,
        budget_checks.waiters_are_served_in_order_of_arrival,
        budget_checks.requests_do_not_wait_behind_a_batch_request_waiting_for_batch_room,
        budget_checks.a_request_that_stops_waiting_leaves_the_line,
        budget_checks.no_more_requests_in_a_second_than_allowed,
    ],
)
def test_what_every_budget_does(check, redis_url):
    check(lambda limits, **options: budget(redis_url, limits, **options))


def hold_slot(redis_url: str, realm_id: str, held) -> None:
    with budget(redis_url, Limits(concurrent=1, window=1.0), lease=1.5).slot(realm_id):
        held.put(time.time())
        time.sleep(WAIT)


def test_a_killed_workers_slot_frees_itself_when_its_lease_ends(redis_url):
    context = multiprocessing.get_context("spawn")
    held = context.Queue()
    holder = context.Process(target=hold_slot, args=(redis_url, REALM, held), daemon=True)
    holder.start()
    taken_at = held.get(timeout=WAIT)
    holder.kill()
    holder.join(timeout=5)

    impatient = budget(redis_url, Limits(concurrent=1, window=1.0), max_wait=0.2)
    with pytest.raises(ThrottledError):
        with impatient.slot(REALM):
            pass
    patient = budget(redis_url, Limits(concurrent=1, window=1.0), max_wait=5.0)
    with patient.slot(REALM):
        assert 1.4 <= time.time() - taken_at < 3.0


def wait_in_line(redis_url: str, realm_id: str, waiting) -> None:
    impatient = budget(redis_url, Limits(concurrent=1, window=1.0), max_wait=WAIT, stale_after=1.0)
    waiting.put(time.time())
    with impatient.slot(realm_id):
        pass


def test_a_killed_waiter_holds_the_line_no_longer_than_its_place_keeps(redis_url):
    patient = budget(redis_url, Limits(concurrent=1, window=1.0), max_wait=WAIT, stale_after=1.0)
    context = multiprocessing.get_context("spawn")
    waiting = context.Queue()
    with patient.slot(REALM):  # the one request in flight: the other process waits in line
        waiter = context.Process(target=wait_in_line, args=(redis_url, REALM, waiting), daemon=True)
        waiter.start()
        waiting.get(timeout=WAIT)
        time.sleep(0.3)
        waiter.kill()
        waiter.join(timeout=5)
        killed = time.monotonic()
    assert patient.room(REALM) == Room(requests=0, batches=0)  # the dead waiter's turn
    with patient.slot(REALM):
        assert 0.7 < time.monotonic() - killed < 2.0


def test_a_429_pauses_every_process(redis_url):
    with QBOEmulator(access_token_ttl=10**7) as qbo:
        reports, _ = run_senders(
            4,
            Company.of(qbo),
            redis_url,
            LIMITS,
            seconds=2.5,
            retry=RetryPolicy(max_wait=1.0),  # no Retry-After: the budget pauses this long
            after_start=lambda: (time.sleep(0.5), qbo.fail_next(429)),
        )
        assert [report.error for report in reports] == [""] * 4
        assert [status for _, _, status in qbo.request_log].count(429) == 1
    finished = sorted(moment for report in reports for moment in report.finished)
    gap, resumed = max((later - earlier, later) for earlier, later in zip(finished, finished[1:], strict=False))
    # Nothing finished for the pause, less what was already in flight (without it: ms apart).
    assert gap >= 0.8
    # ... in any process: each sent both before and after the pause.
    assert all(min(report.finished) < resumed - gap < resumed <= max(report.finished) for report in reports)
