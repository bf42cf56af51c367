"""Peak memory of a big export: ``python -m benchmarks.bench_memory [--rows 100000]``.

One real ``flask wsqb worker`` process exports ``rows`` new contacts (PostgreSQL, Redis; the
emulator not throttled, the app's budget lifted). The emulator runs in this process and would
itself take hundreds of MB for 100,000 customers, so the figure is the worker's, not this
process's: the resident memory (``VmHWM``, the kernel's high-water mark of ``VmRSS``) of the work
horses RQ forks from it, one per job, read every 0.2 s. The web request that creates the run
(POST Export Selected, which does not involve the emulator) is measured here with tracemalloc,
before the worker may take the run's jobs (the workers are suspended in RQ until then).
Goal: the work horse's peak under 200 MB.
"""

from __future__ import annotations

import argparse
import glob
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

from .bench_workers import REDIS_URL, Export, exporting
from .common import Measure, api_requests, measure

GOAL_MB = 200
SAMPLE_EVERY = 0.2  # seconds


def resident_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MiB; (0, 0) once it has exited."""
    found = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    found[line[:5]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return found.get("VmRSS", 0.0), found.get("VmHWM", 0.0)


def work_horses(pid: int) -> list[int]:
    """The children of ``pid`` that lead their own process group: RQ's work horses (RQ's
    scheduler, also forked from the worker, stays in the worker's group)."""
    horses = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(path) as listed:
                pids = [int(child) for child in listed.read().split()]
        except OSError:
            continue
        for child in pids:
            try:
                with open(f"/proc/{child}/stat") as stat:
                    group = int(stat.read().rsplit(")", 1)[1].split()[2])
            except (OSError, IndexError, ValueError):
                continue
            if group == child:
                horses.append(child)
    return horses


class PeakResident:
    """The highest resident memory any work horse of worker ``pid`` reached, read every
    :data:`SAMPLE_EVERY` seconds in a thread while in the ``with`` block."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peaks: dict[int, float] = {}  # by work horse
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakResident:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            for horse in work_horses(self.pid):
                self.peaks[horse] = max(self.peaks.get(horse, 0.0), *resident_mib(horse))
            if self._stop.wait(SAMPLE_EVERY):
                return


@dataclass
class MemoryRun:
    rows: int
    seconds: float = 0.0  # from the jobs' release to the run's end
    ok: int = 0
    errors: int = 0
    requests: int = 0
    batches: int = 0
    post: Measure = field(default_factory=Measure)  # the web request creating the run
    post_failed: str = ""  # why it could not (the run then made as it would have)
    before_mib: float = 0.0  # the idle worker's resident memory, which each work horse starts from
    horse_peaks: list[float] = field(default_factory=list)  # each work horse's peak, in MiB


def launch_export(export: Export) -> int:
    """The run POST Export Selected of every contact makes, made by the calls it makes: a run of
    (contact, name) rows, handed to the workers."""
    from flask_wsqb import tasks
    from flask_wsqb.models import RunKind
    from flask_wsqb.state import current_state
    from flask_wsqb.sync import runs

    with export.bench.app.test_request_context():  # the first firm's, as the test client's requests
        state = current_state()
        store = state.contacts
        rows = [(store.contact_id(c), store.read(c)["display_name"]) for c in store.iter_all(state.db.session)]
        run = runs.create(export.bench.qbo.realm_id, RunKind.EXPORT, rows)
        tasks.enqueue(run)
        return run.id


def export_memory(db: str, rows: int, log_dir: str | None = None) -> MemoryRun:
    """One Export Selected of ``rows`` new contacts by one worker process, its memory watched."""
    from redis import Redis
    from rq.suspension import resume, suspend

    if log_dir is None:
        with tempfile.TemporaryDirectory(prefix="wsqb-workers-") as log_dir:
            return export_memory(db, rows, log_dir)
    result = MemoryRun(rows)
    redis = Redis.from_url(REDIS_URL)
    try:
        with exporting(db, rows, log_dir, speed=None) as export:  # Redis emptied before and after
            suspend(redis)  # the worker registers, then waits for `resume` before taking a job
            [worker] = export.start_workers(1)
            time.sleep(1)
            result.before_mib = resident_mib(worker.pid)[0]
            # Flask takes forms of 500 KB by default: a host exporting this many ticked rows at once
            # raises the limit (the grid's "Select all matching" takes at most 50,000).
            export.bench.app.config["MAX_FORM_MEMORY_SIZE"] = None
            run_ids: list[int] = []
            try:
                result.post = measure(export.bench, lambda: run_ids.append(export.post()), memory=True)
            except Exception as exc:  # the app's own, raised through the test client (TESTING)
                result.post_failed = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                result.post = measure(export.bench, lambda: run_ids.append(launch_export(export)), memory=True)
            with PeakResident(worker.pid) as peaks:
                started = time.perf_counter()
                resume(redis)
                report = export.finished(run_ids[0], timeout=max(600, rows / 20))
                result.seconds = time.perf_counter() - started
            result.horse_peaks = list(peaks.peaks.values())
            result.ok, result.errors = report["ok"], report["errors"]
            log = export.bench.qbo.request_log
            result.requests = api_requests(export.bench.qbo)
            result.batches = sum(1 for _m, path, _s in log if path.endswith("/batch"))
    finally:
        redis.close()
    return result


def main(argv: list[str] | None = None) -> int:
    from .common import machine
    from .run import memory_row, table_of

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_memory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    for line in machine("postgresql"):
        print(line)
    print(table_of([memory_row(export_memory("postgresql", args.rows))]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
