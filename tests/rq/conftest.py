"""Real Redis and real worker processes: the web side is the test client, the jobs run in
``flask wsqb worker`` or ``rq worker`` subprocesses that reach the emulator over HTTP."""

from __future__ import annotations

import itertools
import os
import shutil

import pytest

from tests.helpers import host_config
from tests.rq.helpers import Workers
from tests.services import RedisServer

#: A Redis server to use instead of one of the run's own; runs side by side then need one each.
REDIS_SERVER = os.environ.get("WSQB_TEST_REDIS_URL", "")
#: Databases 5-15 of that server; db 0 is left to people running the example app.
_REDIS_DBS = itertools.cycle(range(5, 16))


@pytest.fixture(scope="session")
def redis_server():
    """The Redis server of this run: a redis-server of its own on a free port (killed when the
    run ends), so that runs side by side never flush each other's jobs; the server in
    ``WSQB_TEST_REDIS_URL`` when that is set or redis-server is not installed."""
    if REDIS_SERVER or not shutil.which("redis-server"):
        yield REDIS_SERVER or "redis://127.0.0.1:6379"
        return
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server):
    from redis import Redis

    url = f"{redis_server}/{next(_REDIS_DBS)}"
    connection = Redis.from_url(url, socket_connect_timeout=2)
    try:
        connection.flushdb()
    except Exception as exc:
        pytest.fail(f"these tests need a Redis server at {redis_server} ({exc}); set WSQB_TEST_REDIS_URL")
    yield url
    connection.flushdb()
    connection.close()


@pytest.fixture
def app_config(db_url, qbo, redis_url) -> dict:
    return host_config(db_url, qbo, WSQB_REDIS_URL=redis_url)


@pytest.fixture
def rq_queue(app, redis_url):
    """The app's queue, as the test sees it in Redis."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(redis_url)
    yield Queue(app.config["WSQB_QUEUE"], connection=connection)
    connection.close()


@pytest.fixture
def worker_env(app_config) -> dict[str, str]:
    """What a deployment gives its worker processes: the same database, secret and QuickBooks app
    (this run's own database and Redis, so workers of runs side by side never meet)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WSQB_"))}
    env.update(
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY=app_config["SECRET_KEY"],  # the tokens at rest are encrypted with it
        WSQB_CLIENT_ID=app_config["WSQB_CLIENT_ID"],
        WSQB_CLIENT_SECRET=app_config["WSQB_CLIENT_SECRET"],
        WSQB_ENVIRONMENT=app_config["WSQB_ENVIRONMENT"],
        WSQB_API_URL=app_config["WSQB_API_URL"],
        WSQB_REDIS_URL=app_config["WSQB_REDIS_URL"],
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def workers(worker_env, tmp_path):
    started = Workers(worker_env, tmp_path)
    yield started
    started.stop_all()
