"""Sharing the workers fairly: jobs take turns.

A worker runs one job at a time, and a big run is worked by several jobs at once, so one firm's
10,000-row export could hold every worker for minutes while another firm's 20-row import
waited. Instead, a job whose turn is over — it has held its worker for ``WSQB_GIVE_WAY_AFTER``
seconds, waiting for its company's request budget included, and another run's job is queued —
gives way at the next point where that loses nothing, by raising :class:`GiveWay`:

- between two chunks of rows (:func:`between_chunks`), the next one's rows released again (a
  turn does one chunk at least, so every job moves its run on);
- before the first request of a chunk, when the budget would make it wait
  (:func:`before_waiting`, asked again at each step of the wait, so a job never sleeps on its
  company's budget while another run's job waits for a worker): nothing of the chunk was sent
  yet, so the chunk is rolled back, its rows released (``sync.processing``) and done again
  later. Once a chunk has sent a request it finishes: giving way then would send the request
  twice.

The job then queues the rest of its run behind the other work (``tasks.jobs``). Only an RQ job
takes turns (:func:`taking_turns`); elsewhere (the web process's threads, commands) nothing
gives way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


class GiveWay(Exception):
    """The job's turn is over: it hands the rest of its run back to the queue."""


@dataclass
class Turn:
    """A job's turn on its worker: ``length`` seconds, then it gives way when ``others_waiting()``.

    ``others_waiting`` is asked last, only when the job gives way on a yes: the answer may
    promise the waiting job this job's worker (``tasks.jobs``)."""

    others_waiting: Callable[[], bool]
    length: float
    started: float = field(default_factory=time.monotonic)
    chunks: int = 0  # done in this turn

    def over(self, *, wait: float = 0.0) -> bool:
        """Whether the turn is over, counting ``wait`` seconds more of waiting."""
        return time.monotonic() - self.started + wait > self.length and self.others_waiting()


_turn: ContextVar[Turn | None] = ContextVar("wsqb_turn", default=None)
#: True in a chunk until it sends its first request.
_nothing_sent: ContextVar[bool] = ContextVar("wsqb_nothing_sent", default=False)


@contextmanager
def taking_turns(others_waiting: Callable[[], bool], length: float) -> Iterator[None]:
    """The job inside the block gives way after ``length`` seconds if ``others_waiting()``."""
    token = _turn.set(Turn(others_waiting, length))
    try:
        yield
    finally:
        _turn.reset(token)


def between_chunks() -> None:
    """Give way now if the turn is over and has done a chunk (nothing of the next is done yet)."""
    turn = _turn.get()
    if turn is not None and turn.chunks and turn.over():
        raise GiveWay("turn over")


@contextmanager
def chunk() -> Iterator[None]:
    """A chunk of work that may be abandoned, and done again, until it sends its first request."""
    token = _nothing_sent.set(True)
    try:
        yield
    finally:
        _nothing_sent.reset(token)
    if (turn := _turn.get()) is not None:
        turn.chunks += 1


def before_waiting(wait: float) -> None:
    """Give way rather than wait ``wait`` seconds for a request, if the turn would be over and
    the chunk has sent nothing yet."""
    turn = _turn.get()
    if turn is not None and _nothing_sent.get() and turn.over(wait=wait):
        raise GiveWay(f"turn over (the request budget wants a {wait:.1f} s wait)")


def request_sent() -> None:
    """The chunk has sent a request: it finishes, whatever the wait."""
    _nothing_sent.set(False)
