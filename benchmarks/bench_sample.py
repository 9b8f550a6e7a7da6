"""Benchmark: sample generation at growing sizes (wall time, peak memory, rows written)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from _common import run_sizes

SIZES = (20_000, 200_000, 1_000_000)
QUICK_SIZES = (2_000, 20_000)


def _one(customers: int) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"bench_sample_{customers}_"))
    code = (
        "import resource, time, sys; from workbench import sample; t=time.perf_counter(); "
        f"sample.generate({str(out)!r}, customers={customers}); "
        "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    try:
        if proc.returncode != 0:
            return {"stage": "sample generation", "size": customers, "note": "FAILED: " + proc.stderr.strip()[-200:]}
        seconds, peak = map(float, proc.stdout.split()[-2:])
        rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet")}
        note = ", ".join(f"{k} {v:,}" for k, v in sorted(rows.items()) if k in
                         ("transactions", "touchpoints", "mentions", "email_events"))
        return {"stage": "sample generation", "size": customers, "seconds": round(seconds, 1),
                "peak_mb": round(peak), "target": "20k in < 30 s; 1M within 24 GB", "check": "ok", "note": note}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv=None) -> list[dict]:
    return run_sizes(argv, SIZES, QUICK_SIZES, _one, lambda r: f"sample generation {r['size']:>9,} customers: {r.get('seconds')} s, peak {r.get('peak_mb')} MB {r.get('note', '')}")

if __name__ == "__main__":
    main()
