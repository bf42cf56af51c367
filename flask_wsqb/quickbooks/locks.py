"""Exclusive sections across processes: in Redis when ``WSQB_REDIS_URL`` is set (every
worker on every machine sees the same lock), else within this process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

from ..config import setting
from .redis_client import shared_connection

_local: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()

#: A lock outlives a crashed holder by at most this long.
LEASE = 60.0


class LockTimeout(RuntimeError):
    """Someone else held the lock for longer than we could wait."""


@contextmanager
def local(name: str, wait: float = 60.0) -> Iterator[None]:
    """Held by one thread of this process at a time."""
    with _local_guard:
        lock = _local.setdefault(name, threading.Lock())
    if not lock.acquire(timeout=wait):
        raise LockTimeout(f"Waited {wait:.0f} s for {name}.")
    try:
        yield
    finally:
        lock.release()


def factory():
    """The app's lock: ``factory()(name)`` is a context manager (Redis or this process).

    Resolved in the app context, so the gateway can use it without one.
    """
    url = setting("REDIS_URL")
    if not url:
        return local
    connection = shared_connection(url)
    logger = current_app.logger

    @contextmanager
    def shared(name: str, wait: float = 60.0) -> Iterator[None]:
        from redis.exceptions import LockError, RedisError

        try:
            lock = connection.lock(f"wsqb:lock:{name}", timeout=LEASE, blocking_timeout=wait)
            acquired = lock.acquire()
        except RedisError as exc:  # Redis gone: better one lock per process than none
            logger.warning("flask-wsqb: Redis unavailable for lock %s (%s); locking in this process only", name, exc)
            with local(name, wait):
                yield
            return
        if not acquired:
            raise LockTimeout(f"Waited {wait:.0f} s for {name}.")
        try:
            yield
        finally:
            try:
                lock.release()
            except (LockError, RedisError):
                pass  # expired or Redis gone: the lease ends it anyway

    return shared
