"""Benchmark: one whole monthly run (every notebook + HTML) at growing sizes.

Each size gets its own generated sample (under a temp folder) and its own reports folder, so
nothing touches data/raw or reports/<month>. Peak memory is the largest child process's RSS.
"""

from __future__ import annotations

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


def _run(customers: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench_run_{customers}_"))
    raw, reports, processed = work / "raw", work / "reports", work / "processed"
    try:
        subprocess.run([sys.executable, "-m", "workbench.cli", "sample", "--customers", str(customers),
                        "--out", str(raw)], check=True, capture_output=True)
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
                "peak_mb": round(peak), "target": target, "check": check, "note": "; ".join(failed)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> list[dict]:
    return run_sizes(argv, SIZES, QUICK_SIZES, _run, lambda r: f"monthly run {r['size']:>9,} customers: {r.get('seconds')} s, peak {r.get('peak_mb')} MB, {r['check']}")

if __name__ == "__main__":
    main()
