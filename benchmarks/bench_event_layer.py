"""The event layer's stages on one data folder: DuckDB (default engine) and Spark (same SQL).

    .venv/bin/python benchmarks/bench_event_layer.py DATA_DIR [--spark local[2]] [--journeys]

Times, for the report month's feature windows (this month and the previous one, 365 days
each, as notebook 01 asks), `datasets.customer_activity` and `datasets.customer_contacts`
(notebook 04's two windows) on DuckDB and, with --spark, on Spark; with --journeys also
`journey.build_journeys` on DuckDB over the whole touchpoint log. Prints one row per stage
(seconds, CPU seconds of the process, input rows, rows/s, the process's peak RSS, the load
average when the stage ended: on a shared machine the CPU seconds compare better than the
wall time) and checks that Spark's outputs equal DuckDB's. `--journeys-only` times only
`build_journeys`.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure  # noqa: E402

from workbench import datasets, journey  # noqa: E402
from workbench import segmentation as seg  # noqa: E402


def _rows(folder: Path, names) -> int:
    return sum(pq.ParquetFile(folder / f"{n}.parquet").metadata.num_rows for n in names)


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _measure(fn, *args, **kwargs):
    """(result, seconds, peak MB, CPU seconds, load average) of one call."""
    c = _cpu()
    out, sec, peak = measure(fn, *args, **kwargs)
    return out, sec, peak, _cpu() - c, os.getloadavg()[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--month", default=None)
    ap.add_argument("--spark", default=None, help="Spark master, e.g. local[2]")
    ap.add_argument("--journeys", action="store_true")
    ap.add_argument("--journeys-only", action="store_true")
    args = ap.parse_args(argv)
    folder = Path(args.data_dir)
    month = datasets.report_month(folder, args.month)
    feature_windows = seg.feature_windows([month - 1, month])
    contact_windows = {"m-1": ((month - 1).start_time, month.start_time),
                       "m": (month.start_time, (month + 1).start_time)}
    n_act = _rows(folder, ["touchpoints", "transactions", "transaction_lines", "email_events"])
    n_con = _rows(folder, ["transactions", "email_events"])
    print(f"data {folder}, month {month}: {n_act:,} event rows", flush=True)
    out = {}
    engines = [] if args.journeys_only else ["duckdb"] + (["spark"] if args.spark else [])
    for engine in engines:
        if engine == "spark":
            import os

            os.environ["WORKBENCH_SPARK_MASTER"] = args.spark
            t0 = time.perf_counter()
            from workbench import events

            events.SparkSession()  # start the JVM once (reused by getOrCreate)
            print(f"| spark session start | {time.perf_counter() - t0:.1f} s |", flush=True)
        for stage, fn, windows, n in (("customer_activity", datasets.customer_activity,
                                       feature_windows, n_act),
                                      ("customer_contacts", datasets.customer_contacts,
                                       contact_windows, n_con)):
            res, sec, peak, cpu, load = _measure(fn, folder, windows, engine=engine)
            out[(engine, stage)] = res
            print(f"| {stage} | {engine} | {len(windows)} windows | {sec:.1f} s | cpu {cpu:.1f} s | "
                  f"{n:,} rows | {n / sec:,.0f} rows/s | peak {peak:,.0f} MB | load {load:.1f} |",
                  flush=True)
    if args.spark:
        for stage in ("customer_activity", "customer_contacts"):
            for key in out[("duckdb", stage)]:
                pd.testing.assert_frame_equal(out[("duckdb", stage)][key],
                                              out[("spark", stage)][key], check_exact=True)
        print("spark outputs equal duckdb's", flush=True)
    if args.journeys or args.journeys_only:
        t0 = time.perf_counter()
        tp = datasets.read_table_compact("touchpoints", folder, columns=journey.TOUCHPOINT_COLUMNS,
                                         dictionary=journey.ID_COLUMNS)
        tx = datasets.read_table_compact("transactions", folder,
                                         columns=journey.TRANSACTION_COLUMNS,
                                         dictionary=journey.ID_COLUMNS)
        read = time.perf_counter() - t0
        (_, journeys, _), sec, peak, cpu, load = _measure(journey.build_journeys, tp, tx,
                                                           with_paths=False)
        print(f"| build_journeys | duckdb | read {read:.1f} s | {sec:.1f} s | cpu {cpu:.1f} s | "
              f"{len(tp):,} rows | {len(tp) / sec:,.0f} rows/s | {len(journeys):,} journeys | "
              f"peak {peak:,.0f} MB | load {load:.1f} |", flush=True)
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
