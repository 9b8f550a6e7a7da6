"""Benchmark: batch textblob-fr (`sentiment.textblob_fr`) vs the per-text loop, and the speed of
the default scorer and the theme tagging on mentions.

    .venv/bin/python benchmarks/bench_sentiment.py --quick   # xlmt 3,033 tweets + 5,000 mentions
    .venv/bin/python benchmarks/bench_sentiment.py           # xlmt + every sample mention

"cold" = a fresh scorer (nothing cached but textblob-fr's lexicon, which the loop also loads
once); "new texts, known vocabulary" = the xlmt test split scored by a scorer that has seen the
train and validation splits (its per-token cache filled, as in a notebook that scores several
tables); "warm" = the same texts again. The loop is `textblob_fr.PatternAnalyzer().analyze(text)`
per text; `check` says whether the numbers are identical. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

import numpy as np

from workbench import concepts, datasets, paths, sentiment


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _best(fn, repeat: int) -> tuple[object, float]:
    best, out = np.inf, None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def _loop(texts):
    from textblob_fr import PatternAnalyzer

    analyzer = PatternAnalyzer()
    res = [analyzer.analyze(t) for t in texts]
    return np.array([r[0] for r in res]), np.array([r[1] for r in res])


def _xlmt_texts(splits=("train", "val", "test")) -> list[str] | None:
    folder = paths.SHARED_DATA_DIR / "xlmt_french"
    if not (folder / "test_text.txt").exists():
        return None
    texts = []
    for split in splits:
        texts += (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    return texts


def _known_vocabulary_row(repeat: int) -> dict:
    """xlmt test split, unseen texts, scored after the train and validation splits."""
    seen, test = _xlmt_texts(("train", "val")), _xlmt_texts(("test",))
    (ref_p, ref_s), loop_s = _best(lambda: _loop(test), repeat)
    best, same = np.inf, True
    for _ in range(repeat):
        batch = sentiment._TextblobBatch()
        batch.scores(seen)
        gc.collect()
        t0 = time.perf_counter()
        p, s = batch.scores(test)
        best = min(best, time.perf_counter() - t0)
        same &= bool(np.array_equal(p, ref_p) and np.array_equal(s, ref_s))
    return _row("(new texts, known vocabulary) on xlmt test", len(test), best, loop_s, same,
                f"best of {repeat}; scorer has seen xlmt train+val")


def _row(what: str, size: int, secs: float, loop_s: float, same: bool, note: str) -> dict:
    return {
        "stage": f"textblob_fr batch {what}", "size": size, "seconds": round(secs, 4),
        "peak_mb": _peak_mb(), "target": ">= 10x the loop", "peer": "PatternAnalyzer().analyze per text",
        "peer_seconds": round(loop_s, 4), "ratio": round(loop_s / secs, 1),
        "check": "identical" if same else "DIFFERENT", "note": note,
    }


def _textblob_rows(name: str, texts: list[str], repeat: int) -> list[dict]:
    (ref_p, ref_s), loop_s = _best(lambda: _loop(texts), repeat)
    cold, cold_s = _best(lambda: sentiment._TextblobBatch().scores(texts), repeat)
    batch = sentiment._TextblobBatch()
    batch.scores(texts)
    warm, warm_s = _best(lambda: batch.scores(texts), repeat)
    rows = []
    for kind, (p, s), secs in (("cold", cold, cold_s), ("warm", warm, warm_s)):
        same = bool(np.array_equal(p, ref_p) and np.array_equal(s, ref_s))
        rows.append(_row(f"({kind}) on {name}", len(texts), secs, loop_s, same, f"best of {repeat}"))
    return rows


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    rows: list[dict] = []
    xlmt = _xlmt_texts()
    if xlmt is not None:
        rows += _textblob_rows("xlmt (real tweets)", xlmt, args.repeat)
        rows.append(_known_vocabulary_row(args.repeat))
    m = None
    try:
        m = datasets.read_table("mentions")
    except Exception as e:  # no sample: the xlmt figures alone
        print(f"(sample mentions not available: {e})", file=sys.stderr)
    if m is not None:
        texts = m["text"].tolist()
        if args.quick:
            texts = texts[:5000]
        rows += _textblob_rows("sample mentions", texts, 3 if not args.quick else args.repeat)
        sentiment.score(["warm-up"])
        t0 = time.perf_counter()
        out = sentiment.score(texts)
        secs = time.perf_counter() - t0
        rows.append({"stage": "score (default scorer)", "size": len(texts), "seconds": round(secs, 3),
                     "peak_mb": _peak_mb(), "target": "50k mentions in < 10 s", "peer": "",
                     "peer_seconds": None, "ratio": None,
                     "check": f"labels {out['label'].value_counts().to_dict()}",
                     "note": "each distinct text scored once"})
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
