"""Small helpers shared by the benchmark scripts: timing and peak memory of one call."""

from __future__ import annotations

import resource
import time
import tracemalloc


def measure(fn, *args, trace_memory: bool = False, **kwargs):
    """Run fn once; return (result, seconds, peak_mb).

    peak_mb is the process's peak resident memory so far (ru_maxrss), or with trace_memory the
    peak of Python allocations during the call (slower, but per call).
    """
    if trace_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    seconds = time.perf_counter() - t0
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1] / 1024**2
        tracemalloc.stop()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out, seconds, round(peak, 1)


def run_sizes(argv, sizes, quick_sizes, one, describe) -> list[dict]:
    """Parse --quick, run `one(size)` for each size, print `describe(row)`, return the rows."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    rows = []
    for n in quick_sizes if args.quick else sizes:
        row = one(n)
        rows.append(row)
        print(describe(row), flush=True)
    return rows
