"""Rebuild the default French sentiment model (src/workbench/resources/sentiment_fr.npz).

    .venv/bin/python scripts/train_default_sentiment.py [--data ../shared/data] [--out PATH]

Needs the review corpus (`french_reviews/`), the xlmt French splits (`xlmt_french/`, train and
val only: the neutral band) and vaderSentiment-fr (a dev dependency: its French lexicon is
copied into the model as the rules' fallback lexicon). Deterministic: the same data and library
versions give the same file. Steps (see docs/sentiment_model_card.md):

1. reviews: drop duplicate texts, fixed split by MD5 of the text (20 % test never used here,
   10 % dev, 70 % train); binary labels (book ratings >= 4 positive, <= 2.5 negative; 3-3.5
   left out); every (domain, label) cell weighs the same;
2. n-gram model: TF-IDF word (1-2) + character (2-5) n-grams, logistic regression (C chosen on
   dev among a few values), refitted on train + dev;
3. combiner: logistic regression on (n-gram logit, rules' polarity, their interactions with the
   length) fitted on cross-domain predictions (books -> films, films -> books, train + dev),
   each review counted twice: whole, and cut to its first 6-30 words (seeded), so that the
   combiner also sees short texts (mentions, tweets, short product reviews);
4. neutral band, `gamma` and `tau` (how far the polarity is damped when the rules find little
   or no opinion): grid search of the macro-F1 on xlmt train + val.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from workbench import paths  # noqa: E402
from workbench import sentiment as S  # noqa: E402
from workbench import sentiment_model as M  # noqa: E402
from workbench import text as wtext  # noqa: E402

C_GRID = (1.0, 4.0, 16.0)
CHAR_FEATURES = 100_000
MIN_DF = 2
GAMMA_GRID = (0.1, 0.25, 0.5, 1.0)
TAU_GRID = (0.0, 0.2, 0.4, 0.6)
BAND_GRID = np.round(np.arange(-0.9, 0.91, 0.05), 3)


def vader_fr_lexicon() -> dict:
    """vaderSentiment-fr's French lexicon (MIT), accent-free phrase tuple -> polarity / 4
    (VADER's -4..4 scale to -1..1). Read at training time only; the entries ship in the model."""
    from importlib import resources

    text = resources.files("vaderSentiment_fr").joinpath("fr_lexicon.txt").read_text(encoding="utf-8")
    out: dict[tuple, float] = {}
    for line in text.splitlines():
        key, _, value = line.rpartition("->")
        if not key or not key[0].isalpha():  # emoticons: the rules have their own
            continue
        toks = tuple(wtext.tokens(key, accents=False))
        if toks and all(t not in ("!", "?") for t in toks):
            out.setdefault(toks, round(float(value) / 4.0, 4))
    return out


def cell_weights(domain: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Sample weights giving each (domain, label) cell the same total weight (mean 1)."""
    w = np.zeros(len(y))
    for d in np.unique(domain):
        for lab in np.unique(y):
            m = (domain == d) & (y == lab)
            if m.any():
                w[m] = 1.0 / m.sum()
    return w / w.mean()


class NgramFitter:
    """TF-IDF (scikit-learn, with the model's own analyzers) + logistic regression."""

    def __init__(self, C: float):
        self.C = C

    def fit(self, norms: list[str], toks: list[list[str]], y: np.ndarray, w: np.ndarray):
        import scipy.sparse as sp
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vw = TfidfVectorizer(analyzer=M.word_ngrams, min_df=MIN_DF, sublinear_tf=True)
        self.vc = TfidfVectorizer(analyzer=M.char_ngrams, min_df=MIN_DF, sublinear_tf=True,
                                  max_features=CHAR_FEATURES)
        X = sp.hstack([self.vw.fit_transform(toks), self.vc.fit_transform(norms)]).tocsr()
        self.clf = LogisticRegression(C=self.C, max_iter=5000, tol=1e-6).fit(X, y, sample_weight=w)
        return self

    def blocks(self) -> tuple[M.Block, M.Block, float]:
        nw = len(self.vw.vocabulary_)
        coef = self.clf.coef_[0]
        out = []
        for vec, c in ((self.vw, coef[:nw]), (self.vc, coef[nw:])):
            terms = vec.get_feature_names_out().tolist()  # sorted by column
            out.append(M.Block(dict(zip(terms, range(len(terms)), strict=True)),
                               vec.idf_.astype(np.float32).astype(np.float64),
                               c.astype(np.float32).astype(np.float64)))
        return out[0], out[1], float(self.clf.intercept_[0])

    def logit(self, norms, toks) -> np.ndarray:
        w, c, b = self.blocks()
        return b + w.dot([M.word_ngrams(t) for t in toks]) + c.dot([M.char_ngrams(n) for n in norms])


def featurise(texts: list[str], lexicon, longest):
    norms = [wtext.normalize(t, accents=False) for t in texts]
    toks = [M._WORD.findall(n) for n in norms]
    rule = np.array([S._score_tokens(t, S.DEFAULT_PARAMS, lexicon, longest) for t in toks])
    return norms, toks, rule, np.array([len(t) for t in toks], dtype=float)


def truncated(texts: list[str], seed: int = 0) -> list[str]:
    """Each text cut to its first 6-30 whitespace-separated words (seeded, in order)."""
    rng = np.random.default_rng(seed)
    return [" ".join(t.split()[: int(rng.integers(M.MIN_TOKENS, 31))]) for t in texts]


def fit_combiner(z, rule, n_tok, y, w) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=1.0, max_iter=2000, tol=1e-8)
    clf.fit(M.combine_features(z, rule, n_tok), y, sample_weight=w)
    return clf.coef_[0].astype(np.float64), float(clf.intercept_[0])


def file_digest(folder: Path, names) -> dict:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest()[:16] for n in names}


def build(data: Path, log=print) -> tuple[M.DefaultModel, dict]:
    t0 = time.perf_counter()
    reviews = M.load_french_reviews(data / "french_reviews")
    fit = reviews[(reviews["split"] != "test") & (reviews["label"] != "mixed")].reset_index(drop=True)
    vader = vader_fr_lexicon()
    lexicon, longest = S.build_lexicon(vader)
    norms, toks, rule, n_tok = featurise(fit["text"].tolist(), lexicon, longest)
    y = (fit["label"] == "positive").to_numpy().astype(int)
    film = (fit["source"] == "allocine").to_numpy()
    domain = np.where(film, "film", "book")
    w = cell_weights(domain, y)
    tr, dev = (fit["split"] == "train").to_numpy(), (fit["split"] == "dev").to_numpy()

    def sub(mask):
        idx = np.flatnonzero(mask)
        return [norms[i] for i in idx], [toks[i] for i in idx]

    # 2. C of the n-gram model: balanced accuracy on dev (mean over the four cells)
    scores = {}
    for C in C_GRID:
        f = NgramFitter(C).fit(*sub(tr), y[tr], w[tr])
        pred = f.logit(*sub(dev)) > 0
        cells = [np.mean(pred[(domain[dev] == d) & (y[dev] == lab)] == lab)
                 for d in ("film", "book") for lab in (0, 1)]
        scores[C] = float(np.mean(cells))
        log(f"n-gram C={C}: dev balanced accuracy {scores[C]:.3f}")
    C = max(scores, key=scores.get)
    # 3. combiner on cross-domain predictions (train + dev), whole and truncated reviews
    s_norms, s_toks, s_rule, s_len = featurise(truncated(fit["text"].tolist()), lexicon, longest)
    z_cross, z_short = np.zeros(len(fit)), np.zeros(len(fit))
    for target in (film, ~film):
        f = NgramFitter(C).fit(*sub(~target), y[~target], cell_weights(domain[~target], y[~target]))
        z_cross[target] = f.logit(*sub(target))
        idx = np.flatnonzero(target)
        z_short[target] = f.logit([s_norms[i] for i in idx], [s_toks[i] for i in idx])
    comb, comb_b = fit_combiner(np.concatenate([z_cross, z_short]), np.concatenate([rule, s_rule]),
                                np.concatenate([n_tok, s_len]), np.concatenate([y, y]),
                                np.concatenate([w, w]))
    log(f"combiner: {np.round(comb, 3).tolist()} + {comb_b:.3f}")
    # final n-gram model on train + dev
    final = NgramFitter(C).fit(norms, toks, y, w)
    words, chars, intercept = final.blocks()
    # 4. neutral band and gamma on xlmt train + val
    xt, xy = [], []
    for split in ("train", "val"):
        t, lab = M.load_xlmt(data / "xlmt_french", split)
        xt += t
        xy.append(lab)
    xy = np.concatenate(xy)
    xn, xtok, xr, xlen = featurise(xt, lexicon, longest)
    xz = intercept + words.dot([M.word_ngrams(t) for t in xtok]) + chars.dot([M.char_ngrams(n) for n in xn])
    xp = M.combine(comb, comb_b, xz, xr, xlen)
    best = (-1.0, 1.0, 0.0, (0.0, 0.0))
    for gamma in GAMMA_GRID:
        for tau in TAU_GRID if gamma < 1 else (0.0,):
            pol = M.opinion_polarity(xp, xr, gamma, tau)
            lo, hi = S.calibrate_band(pol, xy, grid=BAND_GRID)
            f1 = S.macro_f1(xy, np.where(pol > hi, "positive", np.where(pol < lo, "negative", "neutral")))
            log(f"gamma={gamma} tau={tau}: band ({lo}, {hi}), xlmt train+val macro-F1 {f1:.3f}")
            if f1 > best[0] + 1e-9:
                best = (f1, gamma, tau, (lo, hi))
    f1, gamma, tau, band = best
    versions = {p: md.version(p) for p in ("scikit-learn", "numpy", "textblob-fr", "vadersentiment-fr")}
    meta = {
        "trained_on": {
            "reviews": {f"{s}/{lab}": int(n) for (s, lab), n in
                        fit.groupby(["source", "label"]).size().items()},
            "n_texts": len(fit), "held_back_test": int((reviews["split"] == "test").sum()),
            "files": file_digest(data / "french_reviews", sorted(
                p.name for p in (data / "french_reviews").iterdir() if p.is_file())),
            "xlmt": "train+val (neutral band, gamma and tau only)",
        },
        "ngram_C": C, "dev_balanced_accuracy": scores, "min_df": MIN_DF,
        "char_features": CHAR_FEATURES, "gamma": gamma, "tau": tau, "band": list(band),
        "xlmt_train_val_macro_f1": round(f1, 4), "versions": versions,
        "vader_fr_entries": len(vader),
    }
    model = M.DefaultModel(words, chars, intercept, comb, comb_b, gamma, tau, band, vader, meta)
    log(f"built in {time.perf_counter() - t0:.0f} s: {len(words.vocab):,} word and "
        f"{len(chars.vocab):,} character n-grams, gamma {gamma}, tau {tau}, band {band}")
    return model, meta


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(paths.SHARED_DATA_DIR))
    ap.add_argument("--out", default=str(ROOT / "src" / "workbench" / "resources" / M.RESOURCE))
    args = ap.parse_args(argv)
    data = Path(args.data)
    if not (data / "french_reviews").is_dir():
        print(f"review data not found in {data / 'french_reviews'}", file=sys.stderr)
        return 2
    model, _ = build(data)
    model.save(Path(args.out))
    size = Path(args.out).stat().st_size
    print(f"written: {args.out} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
