"""Benchmark: sample generation at growing sizes (wall time, peak memory, rows written).

Each size is generated in a fresh Python process (so its peak RSS is its own) into a temp
folder that is removed afterwards, or kept as BENCH_SAMPLES_DIR/<size> when that variable is
set (`make bench` sets it so that the monthly-run benchmark reuses the samples instead of
generating them again). The check reads the written tables back: every table present, one row
per customer, e-mail addresses unique across chunks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from _common import run_sizes

SIZES = (20_000, 200_000, 1_000_000)
QUICK_SIZES = (2_000, 20_000)
# target text, seconds, peak MB (the machine has 24 GB, shared with the rest of the run)
TARGETS = {20_000: ("<= 30 s, peak <= 2 GB", 30, 2_000), 1_000_000: ("<= 15 min, peak <= 8 GB", 900, 8_000)}
HEADLINE = ("transactions", "touchpoints", "mentions", "email_events", "interactions", "social_accounts")

_CODE = """
import resource, sys, time
from workbench import sample
t0, c0 = time.perf_counter(), time.process_time()
sample.generate(sys.argv[1], customers=int(sys.argv[2]))
print(time.perf_counter() - t0, time.process_time() - c0,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _check(out: Path, customers: int) -> str:
    import pandas as pd

    from workbench import schemas

    missing = [t for t in schemas.TABLES if not (out / f"{t}.parquet").exists()]
    if missing:
        return "FAILED: missing " + ", ".join(missing)
    cust = pd.read_parquet(out / "customers.parquet", columns=["customer_id", "email"])
    if len(cust) != customers or cust["customer_id"].duplicated().any():
        return f"FAILED: {len(cust):,} customer rows for {customers:,} customers"
    dup = int(cust["email"].dropna().duplicated().sum())
    return "ok" if dup == 0 else f"FAILED: {dup} duplicated e-mail addresses"


def _one(customers: int) -> dict:
    keep = os.environ.get("BENCH_SAMPLES_DIR")
    if keep:
        out = Path(keep) / str(customers)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
    else:
        out = Path(tempfile.mkdtemp(prefix=f"bench_sample_{customers}_"))
    row = {"stage": "sample generation", "size": customers}
    try:
        proc = subprocess.run([sys.executable, "-c", _CODE, str(out), str(customers)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return {**row, "check": "FAILED", "note": proc.stderr.strip()[-300:]}
        seconds, cpu, peak = map(float, proc.stdout.split()[-3:])
        rows = {p.stem: pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet")}
        disk = sum(p.stat().st_size for p in out.glob("*.parquet")) / 1024**2
        target, max_s, max_mb = TARGETS.get(customers, ("", None, None))
        check = _check(out, customers)
        if max_s is not None and check == "ok":
            check += ", within target" if seconds <= max_s and peak <= max_mb else ", OVER target"
        note = ", ".join(f"{k} {rows.get(k, 0):,}" for k in HEADLINE)
        note += f"; {sum(rows.values()):,} rows in all, {disk:,.0f} MB Parquet, CPU {cpu:.0f} s"
        return {**row, "seconds": round(seconds, 1), "peak_mb": round(peak), "target": target,
                "check": check, "note": note}
    finally:
        if not keep:
            shutil.rmtree(out, ignore_errors=True)


def main(argv=None) -> list[dict]:
    return run_sizes(
        argv, SIZES, QUICK_SIZES, _one,
        lambda r: f"sample generation {r['size']:>9,} customers: {r.get('seconds')} s, peak {r.get('peak_mb')} MB "
                  f"[target {r.get('target') or '-'}] {r.get('check')} | {r.get('note', '')}",
    )


if __name__ == "__main__":
    main()
