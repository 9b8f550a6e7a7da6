"""Compare two monthly runs: the key figures every page saved (`<report_dir>/figures/*.json`) and,
optionally, the processed tables both runs wrote. Used to check that `workbench run --engine
spark` gives the figures of a DuckDB run (README, "Running on Spark"):

    python tests/compare_key_figures.py /tmp/duck/reports/2026-10 /tmp/spark/reports/2026-10 \
        [--processed /tmp/duck/processed /tmp/spark/processed]

Prints each page's figures that differ (label, both values) and exits 1 when any does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd


def key_figures(report_dir) -> dict[str, dict[str, object]]:
    """{notebook: {label: value}} of the figures files of one run's report folder."""
    out = {}
    for path in sorted((Path(report_dir) / "figures").glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        out[payload["notebook"]] = {f["label"]: f["value"] for f in payload["figures"]}
    return out


def figure_differences(a: dict, b: dict) -> list[tuple]:
    """(notebook, label, value in a, value in b) of every figure not equal in both runs (a
    notebook or a label present in one run only counts, with None for the missing side)."""
    diffs = []
    for nb in sorted(set(a) | set(b)):
        fa, fb = a.get(nb, {}), b.get(nb, {})
        for label in list(fa) + [k for k in fb if k not in fa]:
            if fa.get(label) != fb.get(label) or (label in fa) != (label in fb):
                diffs.append((nb, label, fa.get(label), fb.get(label)))
    return diffs


def table_differences(dir_a, dir_b) -> dict[str, str]:
    """{table: what differs} for the processed Parquet tables written by both runs (rows in the
    same order; numbers compared exactly)."""
    out = {}
    names_b = {p.name for p in Path(dir_b).glob("*.parquet")}
    for path in sorted(Path(dir_a).glob("*.parquet")):
        if path.name not in names_b:
            continue
        da, db = pd.read_parquet(path), pd.read_parquet(Path(dir_b) / path.name)
        try:
            pd.testing.assert_frame_equal(da, db, check_exact=True)
        except AssertionError as exc:
            out[path.stem] = str(exc).splitlines()[0] + f" ({len(da)} vs {len(db)} rows)"
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report_a")
    ap.add_argument("report_b")
    ap.add_argument("--processed", nargs=2, metavar=("DIR_A", "DIR_B"))
    args = ap.parse_args(argv)
    a, b = key_figures(args.report_a), key_figures(args.report_b)
    diffs = figure_differences(a, b)
    n = sum(len(f) for f in a.values())
    print(f"key figures: {n} in {len(a)} pages (a), {sum(len(f) for f in b.values())} in "
          f"{len(b)} pages (b); {len(diffs)} differ")
    for nb, label, va, vb in diffs:
        print(f"  {nb}: {label}: {va!r} != {vb!r}")
    tables = {}
    if args.processed:
        tables = table_differences(*args.processed)
        print(f"processed tables differing: {len(tables)}")
        for name, what in tables.items():
            print(f"  {name}: {what}")
    return 1 if diffs or not a else 0


if __name__ == "__main__":
    sys.exit(main())
