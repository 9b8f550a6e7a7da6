"""Benchmark of segmentation and customer value.

Stages:
* customer_features: all per-customer features from generated samples (size = customers);
  check = rows equal customers;
* segment_customers: standardised k-means with k chosen by silhouette (size = customers);
  check = adjusted Rand index against the planted segments;
* silhouette: our silhouette from a precomputed distance matrix vs scikit-learn's
  silhouette_score on the same points (peer), check = same value;
* fit_bgnbd: maximum likelihood on simulated BG/NBD customers (size = customers), peer = the
  same likelihood optimised without the analytic gradient (Nelder-Mead), check = parameters
  recovered within 15 %; plus the published CDNOW fit when ../shared/data is present.

Run: .venv/bin/python benchmarks/bench_segmentation.py --quick   (small sizes, < 60 s)
     .venv/bin/python benchmarks/bench_segmentation.py           (real sizes)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import clv, datasets, paths, sample
from workbench import segmentation as seg

TABLES = ["customers", "transactions", "transaction_lines", "touchpoints", "email_events"]
TRUE_BGNBD = {"r": 0.8, "alpha": 6.0, "a": 0.6, "b": 3.0}


def _timed(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1024**2
    tracemalloc.stop()
    return out, seconds, round(peak, 1)


def _row(stage, size, seconds, peak_mb, target="", peer="", peer_seconds=None, check="", note=""):
    ratio = round(seconds / peer_seconds, 2) if peer_seconds else None
    return {"stage": stage, "size": size, "seconds": round(seconds, 3), "peak_mb": peak_mb,
            "target": target, "peer": peer,
            "peer_seconds": None if peer_seconds is None else round(peer_seconds, 3),
            "ratio": ratio, "check": check, "note": note}


def _simulate_bgnbd(n, seed=0, T=52.0):
    """Vectorised BG/NBD simulation (purchases until dropout or the end of observation)."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE_BGNBD["r"], 1 / TRUE_BGNBD["alpha"], n)
    p = rng.beta(TRUE_BGNBD["a"], TRUE_BGNBD["b"], n)
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        t[alive] += rng.exponential(1 / lam[alive])
        buy = alive & (t <= T)
        x[buy] += 1
        tx[buy] = t[buy]
        alive = buy & (rng.random(n) >= p)
    return x, tx, np.full(n, T)


def _sample_dir(customers: int, tmp: Path) -> Path:
    if customers == 20_000 and (paths.truth_dir(paths.RAW_DIR) / "manifest.json").exists():
        return paths.RAW_DIR  # the default sample, already generated
    out = tmp / f"sample_{customers}"
    sample.generate(out, customers=customers, months=12, seed=0)
    return out


def bench_features_and_clusters(sizes, tmp: Path) -> list[dict]:
    from sklearn.metrics import adjusted_rand_score

    rows = []
    for n in sizes:
        d = _sample_dir(n, tmp)
        tables = datasets.read_tables(TABLES, d)
        month = datasets.report_month(d)
        f, s, mb = _timed(lambda tables=tables, month=month: seg.customer_features(tables, month))
        rows.append(_row("customer_features", n, s, mb, target="< 10 s at 20 000 customers",
                         check=f"rows={len(f)} ok={len(f) == len(tables['customers'])}"))
        segs, s, mb = _timed(lambda f=f: seg.segment_customers(f, seed=0))
        truth = sample.load_truth(d)["segments"].set_index("customer_id")["segment"]
        ari = adjusted_rand_score(truth.reindex(segs["customer_id"]), segs["segment"])
        rows.append(_row("segment_customers", n, s, mb, target="< 10 s at 20 000 customers",
                         check=f"k={segs['segment'].nunique()} ARI={ari:.3f} ok={ari >= 0.8}"))
    return rows


def bench_silhouette(sizes) -> list[dict]:
    from scipy.spatial.distance import cdist
    from sklearn.metrics import silhouette_score

    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        X = rng.normal(size=(n, 12)) + rng.integers(0, 5, n)[:, None]
        lab = rng.integers(0, 5, n)
        ours, s, mb = _timed(lambda X=X, lab=lab: seg.silhouette(cdist(X, X), lab))
        t0 = time.perf_counter()
        ref = silhouette_score(X, lab)
        peer_s = time.perf_counter() - t0
        rows.append(_row("silhouette", n, s, mb, peer="sklearn.metrics.silhouette_score",
                         peer_seconds=peer_s, check=f"diff={abs(ours - ref):.1e} ok={abs(ours - ref) < 1e-9}"))
    return rows


def bench_bgnbd(sizes, with_peer_up_to: int) -> list[dict]:
    from scipy import optimize

    rows = []
    for n in sizes:
        x, tx, T = _simulate_bgnbd(n, seed=1)
        fit, s, mb = _timed(lambda x=x, tx=tx, T=T: clv.fit_bgnbd(x, tx, T))
        err = max(abs(fit.params[k] / v - 1) for k, v in TRUE_BGNBD.items())
        peer_s = None
        note = "simulated BG/NBD, T = 52 weeks"
        if n <= with_peer_up_to:
            def nll(th, x=x, tx=tx, T=T):
                v = -clv.bgnbd_log_likelihood_terms(dict(zip(("r", "alpha", "a", "b"), np.exp(th),
                                                             strict=True)), x, tx, T).sum()
                return v if np.isfinite(v) else 1e300
            t0 = time.perf_counter()
            res = optimize.minimize(nll, np.log([1.0, 52.0, 1.0, 1.0]), method="Nelder-Mead",
                                    options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-9})
            peer_s = time.perf_counter() - t0
            note += f"; peer LL gap {(-res.fun) - fit.log_likelihood:+.3f}"
        rows.append(_row("fit_bgnbd", n, s, mb, target="< 5 s at 100 000 customers",
                         peer="scipy Nelder-Mead, no gradient" if peer_s else "",
                         peer_seconds=peer_s, check=f"max rel err={err:.3f} ok={err < 0.15}",
                         note=note))
    cd = paths.SHARED_DATA_DIR / "cdnow" / "CDNOW_sample.txt"
    if cd.exists():
        df = pd.read_csv(cd, sep=r"\s+", header=None, names=["customer_id", "sample_id", "date", "cds", "dollars"],
                         dtype={"customer_id": str, "sample_id": str, "date": str})
        df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
        rfm = clv.rfm_summary(df, "1997-09-30", value_col="dollars", unit="W")
        fit, s, mb = _timed(lambda: clv.fit_bgnbd(rfm["frequency"], rfm["recency"], rfm["T"]))
        got = tuple(round(fit.params[k], 3) for k in ("r", "alpha", "a", "b"))
        ok = got == (0.243, 4.414, 0.793, 2.426)
        rows.append(_row("fit_bgnbd_cdnow", len(rfm), s, mb, target="published FHL 2005",
                         check=f"params={got} LL={fit.log_likelihood:.1f} ok={ok}"))
    return rows


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    args = ap.parse_args(argv)
    if args.quick:
        sample_sizes, sil_sizes, fit_sizes, peer_max = [2_000], [1_000, 3_000], [2_000, 20_000], 2_000
    else:
        sample_sizes, sil_sizes = [20_000, 100_000], [2_000, 4_000, 8_000]
        fit_sizes, peer_max = [10_000, 100_000, 1_000_000], 10_000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += bench_features_and_clusters(sample_sizes, Path(tmp))
    rows += bench_silhouette(sil_sizes)
    rows += bench_bgnbd(fit_sizes, peer_max)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
