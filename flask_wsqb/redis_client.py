"""The app's Redis (``WSQB_REDIS_URL``): the job queue, and the locks and request budget
shared by every worker. Absent, everything works within one process."""
from __future__ import annotations

import re

from .config import setting
from .extension import current_state


class QueueUnavailableError(RuntimeError):
    """The job queue (Redis) is not configured or cannot be reached."""


def redis_url() -> str:
    current_state()  # a clear error if used before init_app
    url = setting("REDIS_URL")
    if not url:
        raise QueueUnavailableError(
            "WSQB_REDIS_URL is not set: jobs run in the web process, no worker needed."
        )
    return url


def redis_connection():
    from redis import Redis

    return Redis.from_url(redis_url(), socket_connect_timeout=5, socket_timeout=30)


def unreachable(exc: Exception) -> str:
    """What to say when Redis does not answer (the URL without its password: users read it)."""
    shown = re.sub(r"//[^/@]*@", "//", redis_url())
    return f"Redis at {shown} cannot be reached: {str(exc).rstrip('.')}."
