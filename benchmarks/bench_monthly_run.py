"""Benchmark: one whole monthly run (every notebook + HTML) at growing sizes.

Each size gets its own generated sample (under a temp folder) and its own reports folder, so
nothing touches data/raw or reports/<month>. Peak memory is the largest child process's RSS.
An existing sample can be reused for a size instead of generating one (a 1M sample takes long):
`--data 1000000=/tmp/s1m` (repeatable) or BENCH_RUN_DATA="1000000=/tmp/s1m,200000=/tmp/s200k";
a reused folder is only read, never deleted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import run_sizes

SIZES = (20_000, 200_000, 1_000_000)
QUICK_SIZES = (20_000,)
TARGETS = {20_000: ("sample run <= 120 s", 120), 1_000_000: ("1M run <= 20 min, peak <= 16 GB", 1200)}


def _existing_data(pairs) -> dict[int, Path]:
    """{size: folder} from "SIZE=DIR" items (command line and BENCH_RUN_DATA)."""
    items = [p for p in os.environ.get("BENCH_RUN_DATA", "").split(",") if p.strip()] + list(pairs)
    out = {}
    for item in items:
        size, sep, folder = item.partition("=")
        if not sep or not size.strip().replace("_", "").isdigit():
            raise SystemExit(f"bench_monthly_run: expected SIZE=DIR, got {item!r}")
        if not Path(folder.strip()).is_dir():
            raise SystemExit(f"bench_monthly_run: no folder {folder.strip()!r} for size {size}")
        out[int(size.replace("_", ""))] = Path(folder.strip())
    return out


DATA: dict[int, Path] = {}


def _run(customers: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench_run_{customers}_"))
    raw, reports, processed = DATA.get(customers, work / "raw"), work / "reports", work / "processed"
    try:
        if customers not in DATA:
            subprocess.run([sys.executable, "-m", "workbench.cli", "sample", "--customers",
                            str(customers), "--out", str(raw)], check=True, capture_output=True)
        target, limit = TARGETS.get(customers, ("", None))
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.cli", "run", "--data-dir", str(raw), "--reports-dir", str(reports),
             "--processed-dir", str(processed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        try:  # a run is stopped at 1.25x its target (or 40 min): the figure then says so
            out, err = proc.communicate(timeout=1.25 * limit if limit else 2400)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            seconds = time.perf_counter() - t0
            return {"stage": "monthly run (all notebooks + HTML)", "size": customers, "seconds": round(seconds),
                    "target": target, "check": "OVER target: stopped", "note": f"stopped after {seconds / 60:.0f} min"}
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        ok = proc.returncode == 0
        check = ("ok" if ok else f"exit {proc.returncode}") + (
            "" if limit is None else (", within target" if seconds <= limit else ", OVER target"))
        failed = [ln for ln in out.splitlines() + err.splitlines() if ": fail" in ln.lower()][:3]
        return {"stage": "monthly run (all notebooks + HTML)", "size": customers, "seconds": round(seconds, 1),
                "peak_mb": round(peak), "target": target, "check": check,
                "note": "; ".join(failed + ([f"data {raw}"] if customers in DATA else []))}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--data", action="append", default=[], metavar="SIZE=DIR")
    own, rest = ap.parse_known_args(argv if argv is not None else sys.argv[1:])
    DATA.clear()
    DATA.update(_existing_data(own.data))
    return run_sizes(rest, SIZES, QUICK_SIZES, _run, lambda r: f"monthly run {r['size']:>9,} customers: {r.get('seconds')} s, peak {r.get('peak_mb')} MB, {r['check']}")

if __name__ == "__main__":
    main()
