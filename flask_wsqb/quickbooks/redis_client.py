"""The app's Redis (``WSQB_REDIS_URL``): the job queue, and the locks and request budget
shared by every worker. Absent, everything works within one process."""

from __future__ import annotations

import re
import threading

from ..config import setting
from ..state import current_state


class QueueUnavailableError(RuntimeError):
    """The job queue (Redis) is not configured or cannot be reached."""


def redis_url() -> str:
    current_state()  # a clear error if used before init_app
    url = setting("REDIS_URL")
    if not url:
        raise QueueUnavailableError("WSQB_REDIS_URL is not set: jobs run in the web process, no worker needed.")
    return url


_shared: dict[str, object] = {}
_shared_guard = threading.Lock()


def shared_connection(url: str):
    """One client per URL for the whole process (locks and budget: short commands, many callers)."""
    from redis import Redis

    with _shared_guard:
        if url not in _shared:
            _shared[url] = Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
        return _shared[url]


def redis_connection():
    from redis import Redis

    return Redis.from_url(redis_url(), socket_connect_timeout=5, socket_timeout=30)


def unreachable(exc: Exception) -> str:
    """What to say when Redis does not answer (the URL without its password: users read it)."""
    shown = re.sub(r"//[^/@]*@", "//", redis_url())
    return f"Redis at {shown} cannot be reached: {str(exc).rstrip('.')}."
