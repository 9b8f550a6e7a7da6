"""Run every benchmark and write reports/benchmarks.md (`make bench`).

Each `benchmarks/bench_<area>.py` exposes `main(argv)` returning rows
{stage, size, seconds, peak_mb, target, peer, peer_seconds, ratio, check, note}. This script runs
them in turn (each in its own process, so peak memory is per stage), prints the figures and writes
one Markdown report with the machine and library versions. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "reports" / "benchmarks.md"
COLUMNS = ["stage", "size", "seconds", "peak_mb", "target", "peer", "peer_seconds", "ratio", "check", "note"]
VERSIONS = ["pandas", "numpy", "duckdb", "scikit-learn", "statsmodels", "splink", "textblob-fr",
            "spacy", "networkx", "channelattribution", "pyarrow"]


def _machine() -> dict:
    mem_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            mem_gb = round(int(f.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    versions = {}
    for p in VERSIONS:
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = "absent"
    return {"cores": os.cpu_count(), "memory_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def _run_one(script: Path, quick: bool) -> tuple[list[dict], str]:
    """Run one benchmark script in a child process; rows come back as JSON on the last line."""
    code = (
        "import json, runpy, sys; sys.argv=[sys.argv[0]]+sys.argv[1:]; "
        f"sys.path.insert(0, {str(HERE)!r}); "
        f"mod = runpy.run_path({str(script)!r}); "
        "rows = mod['main'](sys.argv[1:]) or []; "
        "print('@@ROWS@@' + json.dumps(rows, default=str))"
    )
    args = [sys.executable, "-c", code] + (["--quick"] if quick else [])
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - t0
    sys.stdout.write(proc.stdout.split("@@ROWS@@")[0])
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["?"]
        return [{"stage": script.stem, "note": f"FAILED after {elapsed:.0f} s: {tail[0]}"}], proc.stderr
    line = proc.stdout.rsplit("@@ROWS@@", 1)[-1]
    return json.loads(line), proc.stderr


def _fmt(v) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v).replace("|", "/")


def _with_ratio(r: dict) -> dict:
    """ratio = peer time / our time (above 1: the workbench is faster), the same for every row."""
    try:
        ratio = float(r["peer_seconds"]) / float(r["seconds"])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        ratio = None
    return {**r, "ratio": ratio}


def _num(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _summary(rows: list[dict]) -> list[str]:
    """The issue's targets, each with the figures of this run that answer it."""
    def find(pred):
        return [r for r in rows if pred(str(r.get("stage", "")).strip(), str(r.get("size", "")))]

    out = []
    for r in find(lambda st, sz: st.startswith("monthly run") and sz in ("20000", "1000000")):
        tgt = "<= 120 s" if r["size"] in (20000, "20000") else "<= 20 min and peak <= 16 GB"
        out.append(f"| whole monthly run, {int(float(r['size'])):,} customers | {tgt} | "
                   f"{_fmt(r.get('seconds'))} s, peak {_fmt(r.get('peak_mb'))} MB | {r.get('check', '')} |")
    for r in find(lambda st, sz: st.startswith("score (default model)")):
        check = str(r.get("check", ""))
        out.append(f"| default French sentiment scorer, {r['stage'].removeprefix('score (default model) on ')}"
                   f" ({int(float(r['size'])):,} texts, one core) | >= 5,000 mentions/s | "
                   f"{_fmt(r.get('seconds'))} s: {check.split(';')[0]} | {'; '.join(check.split(';')[1:2]).strip()} |")
    for r in find(lambda st, sz: st.startswith("markov_attribution")):
        ratio = _num(r.get("ratio")) or 0
        out.append(f"| Markov attribution, {int(float(r['size'])):,} paths, vs ChannelAttribution | no slower, exact | "
                   f"{_fmt(r.get('seconds'))} s vs {_fmt(r.get('peer_seconds'))} s ({ratio:.1f}x) | "
                   f"{'met' if ratio >= 1 else 'not met'}; {r.get('check', '')} |")
    for r in find(lambda st, sz: st.startswith("identity: link") and "x 200000 accounts" in sz):
        out.append(f"| identity resolution {r['size']} | <= 300 s, precision and recall >= 0.95 | "
                   f"{_fmt(r.get('seconds'))} s | {r.get('check', '')} |")
    for r in find(lambda st, sz: st.startswith("influence: scipy")):
        out.append(f"| influence, {r['size']} | <= 30 s | {_fmt(r.get('seconds'))} s | "
                   f"{'met' if (_num(r.get('seconds')) or 1e9) <= 30 else 'not met'} |")
    if not out:
        return []
    return ["## Targets", "", "| target | goal | this run | status |", "|---|---|---|---|", *out, ""]


def write_report(rows: list[dict], machine: dict, quick: bool, path: Path = OUT) -> Path:
    rows = [_with_ratio(r) for r in rows]
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench{' QUICK=1' if quick else ''}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        " — figures from one run on this machine, not guarantees. Synthetic data from `workbench.sample`.",
        "",
        f"Machine: {machine['cores']} cores, {machine['memory_gb']} GB, Python {machine['python']}, {machine['platform']}.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".",
        "",
        *_summary(rows),
        "## All figures",
        "",
        "`ratio` = peer seconds / our seconds (above 1: the workbench is faster). `peak_mb` as each "
        "benchmark measures it: the process's peak RSS, the whole run's processes for monthly runs, "
        "Python allocations of the call (tracemalloc) for the KPI and BG/NBD stages.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(c)) for c in COLUMNS) + " |")
    lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(path)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes (minutes, not an hour)")
    ap.add_argument("--only", nargs="*", help="benchmark names (e.g. sentiment attribution)")
    ap.add_argument("--samples-dir", default=None,
                    help="where generated samples are kept for the monthly run (default: a temp "
                         "folder removed at the end)")
    args = ap.parse_args(argv)
    # sample generation first: the monthly-run benchmark then runs on the samples it wrote
    scripts = sorted(HERE.glob("bench_*.py"), key=lambda p: (p.stem != "bench_sample", p.stem))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    machine = _machine()
    rows: list[dict] = []
    samples = Path(args.samples_dir or tempfile.mkdtemp(prefix="workbench_bench_samples_"))
    os.environ["BENCH_SAMPLES_DIR"] = str(samples)
    try:
        for s in scripts:
            print(f"== {s.stem}", flush=True)
            kept = sorted((p for p in samples.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
            if kept and "BENCH_RUN_DATA" not in os.environ:
                os.environ["BENCH_RUN_DATA"] = ",".join(f"{p.name}={p}" for p in kept)
            got, _ = _run_one(s, args.quick)
            rows.extend(got)
            write_report(rows, machine, args.quick)  # keep partial results if a later stage dies
    finally:
        if not args.samples_dir:
            shutil.rmtree(samples, ignore_errors=True)
    path = write_report(rows, machine, args.quick)
    print(f"\nwritten {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
