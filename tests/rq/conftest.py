"""Real Redis and real worker processes: the web side is the test client, the jobs run in
``flask wsqb worker`` or ``rq worker`` subprocesses that reach the emulator over HTTP."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import host_config

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = os.environ.get("WSQB_TEST_REDIS_URL", "redis://127.0.0.1:6379")
#: Databases 5-15 of that server; db 0 is left to people running the example app.
_REDIS_DBS = itertools.cycle(range(5, 16))
#: Longest wait for a worker to start, run its jobs or stop: a test fails rather than hangs.
WAIT = 30.0


@pytest.fixture
def redis_url():
    from redis import Redis

    url = f"{REDIS_SERVER}/{next(_REDIS_DBS)}"
    connection = Redis.from_url(url, socket_connect_timeout=2)
    try:
        connection.flushdb()
    except Exception as exc:
        pytest.fail(f"these tests need a Redis server at {REDIS_SERVER} ({exc}); set WSQB_TEST_REDIS_URL")
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
    """What a deployment gives its worker processes: the same database, secret and QuickBooks app."""
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


class Workers:
    """Worker subprocesses of one test; each is stopped (or killed) when the test ends."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *argv: str, **env: str) -> subprocess.Popen:
        log = self.log_dir / f"worker-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(argv, env={**self.env, **env}, cwd=ROOT, stdout=out,
                                       stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def flask_worker(self, *options: str) -> subprocess.Popen:
        return self.start(sys.executable, "-m", "flask", "--app", "tests.rq.host:create_app",
                          "wsqb", "worker", *options)

    def log(self, process: subprocess.Popen | None = None) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')}"
                         for p, log in self.started if process in (None, p))

    def wait(self, process: subprocess.Popen) -> int:
        try:
            return process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the worker did not stop within {WAIT} s:\n{self.log(process)}") from None

    def stop(self, process: subprocess.Popen) -> int:
        """SIGTERM: RQ's warm shutdown (finish the current job, then leave); SIGKILL if it hangs."""
        process.terminate()
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(timeout=10)

    def stop_all(self) -> None:
        for process, _ in self.started:
            if process.poll() is None:
                self.stop(process)


@pytest.fixture
def workers(worker_env, tmp_path):
    started = Workers(worker_env, tmp_path)
    yield started
    started.stop_all()


def wait_until(condition, what: str, timeout: float = WAIT, log=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s\n{log()}")
