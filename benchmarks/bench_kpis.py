"""Benchmark of the KPI measurement model at three sizes.

Stages, each at three sizes:
* weekly_kpis: weekly series from synthetic transactions + mentions (rows = transactions);
* measurement_model: HAC regression with calendar/month controls and diagnostics (size = weeks),
  checked against numpy least squares on the same design (same coefficients);
* granger_tests: two soft series, lags 1-2 (size = weeks).

Run: .venv/bin/python benchmarks/bench_kpis.py --quick   (small sizes, < 60 s)
     .venv/bin/python benchmarks/bench_kpis.py           (real sizes)
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd

from workbench import kpis

BRAND = "Maison Lys"


def _weekly(n_weeks: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-02", periods=n_weeks, freq="W-SUN")
    pos = rng.poisson(np.exp(5 + 0.5 * rng.standard_normal(n_weeks))).astype(float)
    neg = rng.poisson(150, n_weeks).astype(float)
    log_sales = 12 + 0.3 * np.log1p(np.r_[pos[0], pos[:-1]]) + 0.1 * rng.standard_normal(n_weeks)
    return pd.DataFrame({"sales": np.exp(log_sales), "positive_mentions": pos, "negative_mentions": neg},
                        index=idx)


def _raw(n_tx: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-11-01").value
    span = pd.Timedelta(days=364).value
    tx = pd.DataFrame({
        "timestamp": pd.to_datetime(np.sort(start + rng.integers(0, span, n_tx))),
        "amount": rng.gamma(2.0, 60.0, n_tx),
        "channel": rng.choice(["store", "web", "app", "click_collect"], n_tx),
    })
    n_m = max(n_tx // 5, 100)
    m = pd.DataFrame({
        "timestamp": pd.to_datetime(np.sort(start + rng.integers(0, span, n_m))),
        "brand": rng.choice([BRAND, "Orbe", "Kaléo"], n_m, p=[0.6, 0.2, 0.2]),
        "retweet_of": None,
        "sentiment": rng.choice(["negative", "neutral", "positive"], n_m),
    })
    return tx, m


def _timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak / 1e6


def _lstsq_peer(weekly: pd.DataFrame, result: kpis.ModelResult) -> tuple[float, float]:
    """Same design solved by numpy least squares: seconds and max |coef difference|."""
    terms = result.coefficients["term"].tolist()
    t0 = time.perf_counter()
    y = np.log(weekly["sales"].to_numpy())
    X = pd.DataFrame(index=weekly.index)
    for s in result.soft:
        X[f"{s}_lag1"] = np.log1p(weekly[s]).shift(1)
    X["trend"] = np.arange(len(weekly), dtype=float)
    cal = kpis.retail_calendar(weekly.index)
    for c in cal.columns:
        if cal[c].nunique() > 1:
            X[c] = cal[c].to_numpy()
    months = pd.get_dummies(weekly.index.month, prefix="month", drop_first=True, dtype=float)
    months.index = weekly.index
    X = X.join(months)
    X.insert(0, "const", 1.0)
    ok = X.notna().all(axis=1).to_numpy()
    beta, *_ = np.linalg.lstsq(X.to_numpy()[ok], y[ok], rcond=None)
    seconds = time.perf_counter() - t0
    ours = result.coefficients.set_index("term")["coef"]
    diff = float(np.max(np.abs(ours.loc[terms].to_numpy() - pd.Series(beta, index=X.columns).loc[terms].to_numpy())))
    return seconds, diff


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    args = parser.parse_args(argv)
    week_sizes = (52, 260, 1040) if args.quick else (52, 520, 5200)
    tx_sizes = (50_000, 200_000, 500_000) if args.quick else (250_000, 1_000_000, 5_000_000)
    rows = []
    t0 = time.perf_counter()
    import statsmodels.api  # noqa: F401 - first import is slow; timed apart from the model

    rows.append({"stage": "import statsmodels", "size": 0, "seconds": time.perf_counter() - t0,
                 "peak_mb": None, "target": None, "peer": None, "peer_seconds": None, "ratio": None,
                 "check": "", "note": "one-off cost per kernel"})
    kpis.measurement_model(_weekly(60), "sales", ["positive_mentions"])  # warm-up

    for n in tx_sizes:
        tx, m = _raw(n)
        out, sec, peak = _timed(lambda tx=tx, m=m: kpis.weekly_kpis(tx, m, BRAND))
        rows.append({"stage": "weekly_kpis", "size": n, "seconds": sec, "peak_mb": peak,
                     "target": "< 5 s at 1M transactions", "peer": None, "peer_seconds": None,
                     "ratio": None, "check": f"{len(out)} weeks, {out.attrs['dropped_weeks']} dropped",
                     "note": "rows = transactions (+ 20 % mentions)"})
    for n in week_sizes:
        w = _weekly(n)
        soft = ["positive_mentions", "negative_mentions"]
        res, sec, peak = _timed(lambda w=w, soft=soft: kpis.measurement_model(w, "sales", soft))
        peer_s, diff = _lstsq_peer(w, res)
        coef = res.coefficients.set_index("term").loc["positive_mentions_lag1", "coef"]
        rows.append({"stage": "measurement_model", "size": n, "seconds": sec, "peak_mb": peak,
                     "target": "< 2 s at 520 weeks", "peer": "numpy.linalg.lstsq (same design, no HAC)",
                     "peer_seconds": peer_s, "ratio": sec / peer_s if peer_s else None,
                     "check": f"max |coef - lstsq| = {diff:.1e}; planted 0.30, got {coef:.3f}",
                     "note": "size = weeks; includes HAC and diagnostics"})
        g, sec, peak = _timed(lambda w=w, soft=soft: kpis.granger_tests(w, "sales", soft, max_lag=2))
        p = g.set_index(["soft", "lag"]).loc[("positive_mentions", 1), "p_value"]
        rows.append({"stage": "granger_tests", "size": n, "seconds": sec, "peak_mb": peak,
                     "target": "< 2 s at 520 weeks", "peer": None, "peer_seconds": None, "ratio": None,
                     "check": f"p(positive_mentions, lag 1) = {p:.1e}", "note": "2 soft series, lags 1-2"})

    print(f"{'stage':<18} {'size':>9} {'seconds':>9} {'peak_mb':>8} {'ratio':>7}  check")
    for r in rows:
        ratio = f"{r['ratio']:.1f}" if r["ratio"] is not None else "–"
        peak = f"{r['peak_mb']:.1f}" if r["peak_mb"] is not None else "–"
        print(f"{r['stage']:<18} {r['size']:>9} {r['seconds']:>9.3f} {peak:>8} {ratio:>7}  {r['check']}")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
