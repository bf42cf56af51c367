"""Auto Match at full size: ``python -m benchmarks.bench_matching``.

Prints the wall time and peak memory of 10,000 contacts against 10,000 customers, precision and
recall on labelled sets of three seeds, and the naive way for comparison (thefuzz's extractOne per
contact over every customer name), timed on a sample and extrapolated.
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc

from thefuzz import process

from flask_wsqb.matching import auto_match
from flask_wsqb.testing.matching_data import labelled_set, precision_recall

SIZE = 10_000
NAIVE_SAMPLE = 200
SEEDS = (1, 2, 3)
QUALITY_SIZE = 3_000


def measure(size: int = SIZE, sample: int = NAIVE_SAMPLE) -> dict:
    """Wall time and tracemalloc peak of auto_match on ``size`` x ``size``, and thefuzz's
    extractOne per contact timed on ``sample`` contacts and extrapolated to ``size``."""
    data = labelled_set(int(size * 1.2), seed=7)
    contacts, customers = data.contacts[:size], data.customers[:size]
    gc.collect()
    start = time.perf_counter()
    matches = auto_match(contacts, customers)
    seconds = time.perf_counter() - start
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
        "seconds": seconds,
        "peak_mib": peak,
        "naive_seconds": naive,
        "sample": sample,
    }


def main() -> None:
    result = measure()
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"auto_match {result['contacts']} contacts x {result['customers']} customers: "
        f"{result['seconds']:.2f} s wall, {result['links']} links"
    )
    print(
        f"peak memory: {result['peak_mib']:.0f} MB traced (tracemalloc), "
        f"{maxrss_mb:.0f} MB max RSS of the whole process (data included)"
    )
    for seed in SEEDS:
        labelled = labelled_set(QUALITY_SIZE, seed)
        precision, recall = precision_recall(auto_match(labelled.contacts, labelled.customers), labelled.truth)
        print(
            f"seed {seed}: {len(labelled.contacts)} contacts, {len(labelled.customers)} customers, "
            f"{len(labelled.truth)} true links: precision {precision:.4f}, recall {recall:.4f}"
        )
    print(
        f"naive thefuzz.process.extractOne per contact: {result['naive_seconds']:.0f} s for "
        f"{result['contacts']} contacts (extrapolated from {result['sample']} contacts x "
        f"{result['customers']} customers, names only)"
    )
    print(f"auto_match is {result['naive_seconds'] / result['seconds']:.0f}x faster")


if __name__ == "__main__":
    main()
