"""Benchmark: exact Markov attribution vs ChannelAttribution's simulation on the same paths.

    .venv/bin/python benchmarks/bench_attribution.py --quick   # 50k journeys
    .venv/bin/python benchmarks/bench_attribution.py           # 1M journeys

ChannelAttribution (GPL) is a benchmark-only peer; it is never imported by src/.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import resource
import time

import numpy as np
import pandas as pd

from workbench import journey

CHANNELS = ["search", "social", "email", "display", "website", "app", "store_visit", "affiliate",
            "video", "radio", "sms", "partner"]


def synthetic_paths(n: int, seed: int = 0) -> pd.DataFrame:
    """`n` journeys (one row each, duplicates kept) with channel-dependent conversion."""
    rng = np.random.default_rng(seed)
    k = len(CHANNELS)
    popularity = rng.dirichlet(np.full(k, 2.0))
    effect = np.linspace(1.0, -1.0, k)
    lengths = np.minimum(rng.geometric(0.3, size=n), 25)
    tokens = rng.choice(k, size=lengths.sum(), p=popularity)
    parent = np.repeat(np.arange(n), lengths)
    score = np.bincount(parent, weights=effect[tokens], minlength=n) / np.sqrt(lengths)
    conv = rng.random(n) < 1 / (1 + np.exp(-(score - 1.5)))
    names = np.asarray(CHANNELS, dtype=object)[tokens]
    bounds = np.cumsum(lengths)[:-1]
    paths = [" > ".join(p) for p in np.split(names, bounds)]
    return pd.DataFrame(
        {
            "path": paths,
            "total_conversions": conv.astype(int),
            "total_conversion_value": np.where(conv, rng.gamma(2.0, 40.0, size=n), 0.0),
            "total_null": (~conv).astype(int),
        }
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50k journeys instead of 1M")
    parser.add_argument("--nsim", type=float, default=1e6, help="ChannelAttribution simulations")
    args = parser.parse_args(argv)
    size = 50_000 if args.quick else 1_000_000
    paths = synthetic_paths(size)
    rows = []

    t = time.perf_counter()
    ours = journey.markov_attribution(paths).set_index("channel")
    ours_s = time.perf_counter() - t
    ours_mb = _peak_mb()
    t = time.perf_counter()
    journey.heuristic_attribution(paths)
    heur_s = time.perf_counter() - t

    peer_s = peer_h = None
    check, note = "peer not installed", ""
    try:
        import ChannelAttribution as ca
    except ImportError:
        ca = None
    if ca is not None:
        with contextlib.redirect_stdout(io.StringIO()):
            t = time.perf_counter()
            ref = ca.markov_model(paths, "path", "total_conversions",
                                  var_value="total_conversion_value", var_null="total_null",
                                  nsim_start=args.nsim, seed=0, verbose=False, flg_pro=False)
            peer_s = time.perf_counter() - t
            t = time.perf_counter()
            ca.heuristic_models(paths, "path", "total_conversions",
                                var_value="total_conversion_value", flg_pro=False)
            peer_h = time.perf_counter() - t
        ref = ref.set_index("channel_name").loc[ours.index]
        big = ours["share"] >= 0.05
        rel = (ref["total_conversions"][big] / ours["conversions"][big] - 1).abs().max()
        check = "agree" if rel < 0.03 else "DISAGREE"
        note = f"max rel. diff of channels with >=5% share: {rel:.2%} ({int(big.sum())} channels)"
    rows.append({"stage": "markov_attribution (exact, order 1)", "size": size,
                 "seconds": ours_s, "peak_mb": ours_mb, "target": "< 10 s for 1M",
                 "peer": f"ChannelAttribution.markov_model (nsim={args.nsim:.0e})",
                 "peer_seconds": peer_s, "ratio": peer_s / ours_s if peer_s else None,
                 "check": check, "note": note})
    rows.append({"stage": "heuristic_attribution", "size": size, "seconds": heur_s,
                 "peak_mb": _peak_mb(), "target": "< 5 s for 1M",
                 "peer": "ChannelAttribution.heuristic_models", "peer_seconds": peer_h,
                 "ratio": peer_h / heur_s if peer_h else None, "check": "", "note": ""})
    for r in rows:
        peer = f"{r['peer_seconds']:.2f} s" if r["peer_seconds"] is not None else "n/a"
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "n/a"
        print(f"{r['stage']:<38} n={r['size']:>9,}  ours {r['seconds']:.2f} s  "
              f"peak {r['peak_mb']:.0f} MB  peer {peer}  peer/ours {ratio}  {r['check']} "
              f"{r['note']}")
    return rows


if __name__ == "__main__":
    main()
