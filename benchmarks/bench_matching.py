"""Auto Match at full size: ``python -m benchmarks.bench_matching``.

Prints precision and recall on dense labelled sets (``flask_wsqb.testing.matching_data``: every
kind of noise, and families of businesses told apart only by their suffix, of people sharing a
first name, and of one person as two clients) of about 2,750 and about 10,000 records a side, three
seeds each, with the recall on the suffix families alone; the wall time of 10,000 contacts against
10,000 customers (the best of three runs, each parsing every name afresh as a new worker does) and
its peak memory; and the naive way for comparison (thefuzz's extractOne per contact over every
customer name), timed on a sample and extrapolated.
"""

from __future__ import annotations

import gc
import os
import resource
import time
import tracemalloc

from thefuzz import process

from flask_wsqb.matching import auto_match
from flask_wsqb.matching.engine import _parse
from flask_wsqb.testing.matching_data import labelled_set, precision_recall

SIZE = 10_000
NAIVE_SAMPLE = 200
RUNS = 3
QUALITY_SIZES = (2_750, 10_000)
SEEDS = (1, 2, 3)


def measure(size: int = SIZE, sample: int = NAIVE_SAMPLE, runs: int = RUNS) -> dict:
    """The best wall time of ``runs`` runs of auto_match on ``size`` x ``size`` (another process may
    share the machine), its tracemalloc peak, and thefuzz's extractOne per contact timed on
    ``sample`` contacts and extrapolated to ``size``."""
    data = labelled_set(size + size // 20, seed=7)
    contacts, customers = data.contacts[:size], data.customers[:size]
    times = []
    for _ in range(runs):
        _parse.cache_clear()
        gc.collect()
        start = time.perf_counter()
        matches = auto_match(contacts, customers)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    auto_match(contacts, customers)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    names = [c.display_name for c in customers]
    start = time.perf_counter()
    for contact in contacts[:sample]:
        process.extractOne(contact.display_name, names)
    naive = (time.perf_counter() - start) * len(contacts) / sample
    return {
        "contacts": len(contacts),
        "customers": len(customers),
        "links": len(matches),
        "seconds": min(times),
        "runs": times,
        "peak_mib": peak,
        "naive_seconds": naive,
        "sample": sample,
    }


def quality(size: int, seed: int) -> str:
    """Precision and recall on one labelled set, as a line to print."""
    data = labelled_set(size, seed)
    matches = auto_match(data.contacts, data.customers)
    precision, recall = precision_recall(matches, data.truth)
    families = data.trapped("suffix family")
    family_recall = precision_recall(matches, families)[1]
    return (
        f"{size:,} a side, seed {seed}: {len(data.contacts)} contacts, {len(data.customers)} customers, "
        f"{len(data.truth)} true links: precision {precision:.4f}, recall {recall:.4f} "
        f"(suffix families: {len(families)} true links, recall {family_recall:.4f})"
    )


def main() -> None:
    load = os.getloadavg()[0]
    result = measure()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"auto_match {result['contacts']} contacts x {result['customers']} customers: "
        f"{result['seconds']:.2f} s wall, best of {len(result['runs'])} "
        f"({', '.join(f'{s:.2f}' for s in result['runs'])} s; {os.cpu_count()} CPUs, load average {load:.1f} "
        f"before), {result['links']} links"
    )
    print(
        f"peak memory: {result['peak_mib']:.0f} MB traced (tracemalloc), "
        f"{maxrss_mb:.0f} MB max RSS of the whole process (data included)"
    )
    for size in QUALITY_SIZES:
        for seed in SEEDS:
            print(quality(size, seed))
    print(
        f"naive thefuzz.process.extractOne per contact: {result['naive_seconds']:.0f} s for "
        f"{result['contacts']} contacts (extrapolated from {result['sample']} contacts x "
        f"{result['customers']} customers, names only)"
    )
    print(f"auto_match is {result['naive_seconds'] / result['seconds']:.0f}x faster")


if __name__ == "__main__":
    main()
