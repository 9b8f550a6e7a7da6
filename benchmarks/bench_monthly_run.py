"""Benchmark: one whole monthly run (every notebook + HTML) at growing sizes.

Each size gets its own generated sample (under a temp folder) and its own reports folder, so
nothing touches data/raw or reports/<month>. Peak memory is the resident memory of all the run's
processes together (runner + notebook kernels), sampled every 0.5 s; a run is stopped when it
goes over 16 GB or 1.25x its time target. One row per notebook follows the whole-run row.
An existing sample can be reused for a size instead of generating one (a 1M sample takes long):
`--data 1000000=/tmp/s1m` (repeatable) or BENCH_RUN_DATA="1000000=/tmp/s1m,200000=/tmp/s200k";
a reused folder is only read, never deleted. `--sizes 1000000` runs only the sizes given;
`--timeout SECONDS` replaces the stop at 1.25x the time target (a loaded machine: the whole
run is still measured, and checked against the target).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import run_sizes

SIZES = (20_000, 200_000, 1_000_000)
QUICK_SIZES = (20_000,)
# (label, seconds, peak MB) of issue 19 for 1M customers on DuckDB
TARGETS = {20_000: ("sample run <= 120 s", 120, None),
           1_000_000: ("1M run <= 10 min, peak <= 8 GB", 600, 8_000)}
TIMEOUT: list[float] = []  # --timeout


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


MEMORY_LIMIT_MB = 16_000  # a run is stopped when its processes hold more (the 1M target)
_NB_LINE = re.compile(r"\[(\d+)/(\d+)\] (\S+)(?::| \.\.\.)(?: (ok|FAILED).*\(([\d.]+) s\))?")


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (MB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(d))
        rss[int(d)] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 1024**2


def _run(customers: int) -> list[dict]:
    """One monthly run: a row for the whole run, then one per notebook (time, peak memory)."""
    work = Path(tempfile.mkdtemp(prefix=f"bench_run_{customers}_"))
    raw, reports, processed = DATA.get(customers, work / "raw"), work / "reports", work / "processed"
    stage = "monthly run (all notebooks + HTML)"
    try:
        if customers not in DATA:
            subprocess.run([sys.executable, "-m", "workbench.cli", "sample", "--customers",
                            str(customers), "--out", str(raw)], check=True, capture_output=True)
        target, limit, peak_target = TARGETS.get(customers, ("", None, None))
        # stopped at 1.25x its target (or 40 min), unless --timeout says otherwise
        timeout = TIMEOUT[0] if TIMEOUT else (1.25 * limit if limit else 2400)
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.cli", "run", "--data-dir", str(raw), "--reports-dir", str(reports),
             "--processed-dir", str(processed)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(proc.stdout,), daemon=True)
        reader.start()
        peaks: dict[str, float] = {}
        peak, stopped, running, seen = 0.0, "", [], 0
        while proc.poll() is None:
            mb = _tree_rss_mb(proc.pid)
            peak = max(peak, mb)
            upto = len(lines)  # the reader thread appends meanwhile: slice up to a fixed end
            new, seen = lines[seen:upto], upto
            for m in (m for line in new for m in _NB_LINE.finditer(line)):
                if m.group(4) is None:  # "[i/n] notebook ..." : it starts
                    running.append(m.group(3))
                elif m.group(3) in running:  # "[i/n] notebook: ok (... s)": it ended
                    running.remove(m.group(3))
            for nb in running:  # notebooks that run together share the peak of their stage
                peaks[nb] = max(peaks.get(nb, 0.0), mb)
            elapsed = time.perf_counter() - t0
            if mb > MEMORY_LIMIT_MB or elapsed > timeout:
                stopped = (f"stopped at {mb / 1024:.1f} GB" if mb > MEMORY_LIMIT_MB
                           else f"stopped after {elapsed / 60:.0f} min") + f" in {', '.join(running)}"
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.5)
        proc.wait()
        reader.join(timeout=5)
        seconds = time.perf_counter() - t0
        done = [m for line in lines for m in _NB_LINE.finditer(line) if m.group(4)]
        if stopped:
            check = "OVER target: " + stopped
        else:
            check = ("ok" if proc.returncode == 0 else f"exit {proc.returncode}") + (
                "" if limit is None else (
                    ", within target" if seconds <= limit and peak <= (peak_target or MEMORY_LIMIT_MB)
                    else ", OVER target"))
        failed = [f"{m.group(3)} failed" for m in done if m.group(4) == "FAILED"]
        rows = [{"stage": stage, "size": customers, "seconds": round(seconds, 1), "peak_mb": round(peak),
                 "target": target, "check": check,
                 "note": "; ".join(failed + ["peak = all processes of the run (sampled every 0.5 s)"]
                                   + ([f"data {raw}"] if customers in DATA else []))}]
        for m in done:
            rows.append({"stage": f"  {m.group(3)}", "size": customers, "seconds": float(m.group(5)),
                         "peak_mb": round(peaks.get(m.group(3), 0)), "check": m.group(4).lower(),
                         "note": "one notebook of the run (papermill + HTML); peak: the whole run's "
                                 "processes while it ran (with the notebook beside it, if any)"})
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--data", action="append", default=[], metavar="SIZE=DIR")
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--timeout", type=float, default=None)
    own, rest = ap.parse_known_args(argv if argv is not None else sys.argv[1:])
    DATA.clear()
    DATA.update(_existing_data(own.data))
    TIMEOUT[:] = [own.timeout] if own.timeout else []
    rows = run_sizes(rest, tuple(own.sizes or SIZES), QUICK_SIZES, _run, lambda rs: "\n".join(
        f"{r['stage']:<36} {r['size']:>9,} customers: {r.get('seconds')} s, peak {r.get('peak_mb')} MB, "
        f"{r.get('check', '')}" for r in rs))
    return [r for rs in rows for r in rs]

if __name__ == "__main__":
    main()
