"""Benchmark: speed of the default French sentiment scorer (`sentiment.score`, the shipped model)
on mentions and real texts, and of the theme tagging; textblob-fr's loop as a reference.

    .venv/bin/python benchmarks/bench_sentiment.py --quick   # 5,000 sample mentions + xlmt
    .venv/bin/python benchmarks/bench_sentiment.py           # every sample mention + xlmt

One process, one core (BLAS threads limited to one). "cold": a fresh model load (the model file
read, the rules' lexicon built) is *not* timed, but the per-word caches are empty; each distinct
text is scored once, so the mentions/s figure counts every mention and the distinct-text rate is
given in `check`. Target: >= 5,000 mentions per second. textblob-fr's `PatternAnalyzer`, called
once per distinct text (what `sentiment.textblob_fr` does), is the peer. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

from workbench import concepts, datasets, paths, sentiment
from workbench import sentiment_model as smodel

TARGET = 5_000  # mentions per second, one core


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cold_score(texts: list[str]) -> tuple[object, float]:
    """Score with a freshly loaded model (load not timed)."""
    smodel.default_model.cache_clear()
    sentiment._lexicon.cache_clear()
    smodel.default_model()
    sentiment._lexicon()
    gc.collect()
    t0 = time.perf_counter()
    out = sentiment.score(texts)
    return out, time.perf_counter() - t0


def _row(name: str, texts: list[str], repeat: int, with_peer: bool) -> dict:
    best, out = float("inf"), None
    for _ in range(repeat):
        out, secs = _cold_score(texts)
        best = min(best, secs)
    distinct = len(set(texts))
    peer_s = None
    if with_peer:
        uniq = list(dict.fromkeys(texts))
        gc.collect()
        t0 = time.perf_counter()
        sentiment.textblob_fr(uniq)
        peer_s = time.perf_counter() - t0
    rate = len(texts) / best
    return {
        "stage": f"score (default model) on {name}", "size": len(texts), "seconds": round(best, 3),
        "peak_mb": _peak_mb(), "target": f">= {TARGET:,} mentions/s",
        "peer": "textblob-fr PatternAnalyzer per distinct text" if with_peer else "",
        "peer_seconds": round(peer_s, 3) if peer_s is not None else None, "ratio": None,
        "check": (f"{rate:,.0f} texts/s ({'met' if rate >= TARGET else 'NOT met'}); "
                  f"{distinct:,} distinct: {distinct / best:,.0f} distinct/s; "
                  f"labels {out['label'].value_counts().to_dict()}"),
        "note": f"best of {repeat}, cold caches, one core",
    }


def _xlmt_texts() -> list[str] | None:
    folder = paths.SHARED_DATA_DIR / "xlmt_french"
    if not (folder / "test_text.txt").exists():
        return None
    texts = []
    for split in ("train", "val", "test"):
        texts += (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    return texts


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5,000 mentions (< 1 min)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    rows: list[dict] = []
    with threadpool_limits(1):
        xlmt = _xlmt_texts()
        if xlmt is not None:
            rows.append(_row("xlmt (real tweets)", xlmt, args.repeat, with_peer=True))
        m = None
        try:
            m = datasets.read_table("mentions")
        except Exception as e:  # no sample: the xlmt figures alone
            print(f"(sample mentions not available: {e})", file=sys.stderr)
        if m is not None:
            texts = m["text"].tolist()
            if args.quick:
                texts = texts[:5000]
            rows.append(_row("sample mentions", texts, args.repeat, with_peer=True))
            t0 = time.perf_counter()
            tags = concepts.tag_themes(texts)
            secs = time.perf_counter() - t0
            rows.append({"stage": "tag_themes (taxonomy)", "size": len(texts), "seconds": round(secs, 3),
                         "peak_mb": _peak_mb(), "target": "50k mentions in < 10 s", "peer": "",
                         "peer_seconds": None, "ratio": None,
                         "check": f"untagged {concepts.untagged_share(tags):.1%}", "note": ""})
    for r in rows:
        print(" | ".join(f"{k}={v}" for k, v in r.items() if v not in (None, "")))
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
