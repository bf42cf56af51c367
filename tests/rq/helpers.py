"""Helpers of the RQ tests: worker subprocesses that are always stopped, and waiting for
what they do without hanging."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import report_of

ROOT = Path(__file__).resolve().parents[2]
#: ``flask wsqb worker`` of the example host as the tests configure it (tests/rq/host.py).
FLASK_WORKER = (sys.executable, "-m", "flask", "--app", "tests.rq.host:create_app", "wsqb", "worker")
#: Longest wait for a worker to start, run its jobs or stop: a test fails rather than hangs.
WAIT = 30.0


class Workers:
    """Worker subprocesses of one test; each is stopped (or killed) when the test ends."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *argv: str, **env: str) -> subprocess.Popen:
        log = self.log_dir / f"worker-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(argv, env={**self.env, **env}, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def flask_worker(self, *options: str) -> subprocess.Popen:
        return self.start(*FLASK_WORKER, *options)

    def log(self, process: subprocess.Popen | None = None) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')}" for p, log in self.started if process in (None, p)
        )

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


def wait_until(condition, what: str, timeout: float = WAIT, log=lambda: ""):
    """Poll ``condition`` until it gives something true, and return that; fail (with the
    workers' ``log``) rather than hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s\n{log()}")


def finished(client, run_id: int, workers: Workers, timeout: float = 60) -> dict:
    """The run's report once a worker has finished it, polled as the progress bar does; the
    workers' logs if it does not."""
    return wait_until(
        lambda: (r := report_of(client, run_id))["finished"] and r,
        f"run {run_id} finished",
        timeout=timeout,
        log=workers.log,
    )
