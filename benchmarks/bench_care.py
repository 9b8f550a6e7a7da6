"""Benchmark: care queue and ideas board at scale (detection, first responses, idea themes).

    .venv/bin/python benchmarks/bench_care.py --quick   # 50k mentions, 5k ideas (< 60 s)
    .venv/bin/python benchmarks/bench_care.py           # 500k mentions, 50k ideas

Inputs are the default sample (data/raw, else generated into a temporary folder) replicated
with unique suffixes, so that caching identical texts does not flatter the timings.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import care, datasets, paths

BRAND = "Maison Lys"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sample_dir() -> Path:
    if (paths.RAW_DIR / "mentions.parquet").exists():
        return paths.RAW_DIR
    from workbench import sample

    out = Path(tempfile.mkdtemp(prefix="bench_care_"))
    sample.generate(out, customers=5_000, months=6, seed=0)
    return out


def _replicate(mentions: pd.DataFrame, posts: pd.DataFrame, k: int):
    """`k` copies of the mentions and the brand's replies, with new ids and unique suffixes."""
    ms, ps = [], []
    for i in range(k):
        m = mentions.copy()
        ids = {old: f"{old}_{i}" for old in m["mention_id"]}
        m["mention_id"] = m["mention_id"].map(ids)
        m["reply_to"] = m["reply_to"].map(lambda x, ids=ids: ids.get(x, x) if isinstance(x, str) else x)
        m["retweet_of"] = m["retweet_of"].map(lambda x, ids=ids: ids.get(x, x) if isinstance(x, str) else x)
        m["text"] = m["text"] + (f" #lot{i}" if i else "")
        p = posts.copy()
        p["reply_to"] = p["reply_to"].map(lambda x, ids=ids: ids.get(x, x) if isinstance(x, str) else x)
        ms.append(m)
        ps.append(p)
    return pd.concat(ms, ignore_index=True), pd.concat(ps, ignore_index=True)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    args = parser.parse_args(argv)
    folder = _sample_dir()
    t = datasets.read_tables(["mentions", "brand_posts", "store_reviews"], folder)
    mentions, posts, reviews = t["mentions"], t["brand_posts"], t["store_reviews"]
    k = 1 if args.quick else 10
    m, p = _replicate(mentions, posts, k)
    rows = []

    # 1. detection
    rules = care.load_rules()
    t0 = time.perf_counter()
    flags = care.detect(m["text"], rules)
    sec = time.perf_counter() - t0
    base = care.detect(mentions["text"], rules)
    same = all((flags.iloc[i * len(mentions):(i + 1) * len(mentions)].to_numpy() == base.to_numpy()).all()
               for i in range(k))
    rows.append({"stage": "detect (3 kinds, rules)", "size": len(m), "seconds": sec, "peak_mb": _peak_mb(),
                 "target": "< 30 s for 500k", "peer": None, "peer_seconds": None, "ratio": None,
                 "check": "agree" if same else "DISAGREE",
                 "note": "flags of suffixed copies equal the originals'"})

    # 2. care queue and summary
    t0 = time.perf_counter()
    items = care.care_items(m, p, BRAND, flags=flags)
    summary = care.care_summary(items, by=("month", "platform"))
    sec = time.perf_counter() - t0
    one = care.care_summary(care.care_items(mentions, posts, BRAND, flags=base), by="platform")
    many = care.care_summary(items, by="platform")
    same = np.allclose(one["median_response_hours"], many["median_response_hours"])
    rows.append({"stage": "care_items + care_summary", "size": len(m), "seconds": sec,
                 "peak_mb": _peak_mb(), "target": "< 20 s for 500k", "peer": None,
                 "peer_seconds": None, "ratio": None, "check": "agree" if same else "DISAGREE",
                 "note": f"{len(items)} items, {len(summary)} month x platform rows"})

    # 3. idea themes: suggestions made unique by one extra random word each
    n_ideas = 5_000 if args.quick else 50_000
    ideas = care.idea_items(mentions, reviews, BRAND, mention_flags=base, rules=rules)
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(ideas), n_ideas)
    big = ideas.iloc[pick].reset_index(drop=True)
    extra = rng.integers(0, n_ideas // 2, n_ideas)
    big["text"] = big["text"] + [f" mot{e}" for e in extra]
    t0 = time.perf_counter()
    g = care.group_ideas(big, brands=[BRAND])
    board = care.ideas_board(g)
    sec = time.perf_counter() - t0
    top = board.iloc[0]["idea_theme"]
    rows.append({"stage": "group_ideas + ideas_board", "size": n_ideas, "seconds": sec,
                 "peak_mb": _peak_mb(), "target": "< 60 s for 50k", "peer": None,
                 "peer_seconds": None, "ratio": None,
                 "check": "agree" if "essayage" in top else "DISAGREE",
                 "note": f"{g['keywords'].nunique()} distinct keyword sets, {len(board)} themes, top: {top}"})

    for r in rows:
        print(f"{r['stage']:<32} size={r['size']:>8} {r['seconds']:7.2f} s  peak {r['peak_mb']:7.0f} MB  "
              f"[{r['check']}] target {r['target']} — {r['note']}")
    return rows


if __name__ == "__main__":
    main()
