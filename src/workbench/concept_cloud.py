"""Concept clouds and topic discovery: what consumers and the brand talk about.

Split from `workbench.concepts` (themes, peaks, alerts) to keep modules readable; every name is
still reachable as `concepts.<name>`. Concepts are lemmatised nouns, adjectives, verbs and
noun phrases, keyed without accents and shown as written (accents kept); a phrase absorbs its
words when they mostly occur inside it ("service client"); the retailer profile adds its
stop-words to the shipped retail stop-list (`profile.RetailerProfile.concept_stop_words`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from workbench import text as wtext
from workbench.concepts import _WORDS, Taxonomy, _matcher, default_taxonomy
from workbench.text import mask_personal

STOP_POS = {"DET", "ADP", "PRON", "CCONJ", "SCONJ", "AUX", "PUNCT", "NUM", "SYM", "SPACE", "PART", "X", "INTJ"}
CONCEPT_POS = {"NOUN", "ADJ", "VERB", "PROPN"}  # adverbs ("jamais", "vraiment") are no concepts


def _stopwords() -> set[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return {wtext.strip_accents(w) for w in STOP_WORDS} | wtext.STOPWORDS_EXTRA | {
        wtext.strip_accents(w) for w in wtext.STOPWORDS_EXTRA}


_VERB_ENDINGS = ("er", "ir", "re")


def _concept_lemma(word: str, lemma: str, pos: str) -> str:
    """spaCy's small French model turns some nouns and adjectives into verbs or wrong
    singulars ("parfait" -> "parfaire", "cadeaux" -> "cadeal"): for nouns, adjectives and
    proper nouns such lemmas fall back to the word (singular when plainly plural), and a
    participle "parfait(e)(s)" stays "parfait"."""
    if pos == "VERB" and lemma.endswith(("aire", "ire")) and word.endswith(("ait", "aite", "aits", "aites")):
        return word[: word.index("ait") + 3]  # a past participle used as an adjective: "parfait"
    if pos not in ("NOUN", "ADJ", "PROPN"):
        return lemma
    if word.endswith("eaux"):
        return word[:-1]
    if lemma.endswith(_VERB_ENDINGS) and word[-2:] != lemma[-2:]:
        return word[:-1] if word.endswith(("s", "x")) and len(word) > 3 else word
    return lemma


def _phrase_terms(texts: list[str], phrases: set[tuple[str, ...]], stop: set[str]) -> dict:
    """The taxonomy's multi-word keywords found in each text, keyed accent-free (`a_b`), with
    the words as written (accents kept) as their label."""
    longest = max((len(k) for k in phrases), default=0)
    out = {}
    for t in texts:
        plain = _WORDS.findall(wtext.normalize(t, accents=False))
        written = _WORDS.findall(wtext.normalize(t))
        if len(written) != len(plain):
            written = plain
        found = []
        for i in range(len(plain)):
            for k in range(2, min(longest, len(plain) - i) + 1):
                key = tuple(plain[i : i + k])
                if key in phrases and key[0] not in stop and key[-1] not in stop:
                    found.append(("_".join(key), " ".join(written[i : i + k])))
        out[t] = found
    return out


def concept_terms(texts: Iterable[str], *, extra_stop: Iterable[str] = (),
                  taxonomy: Taxonomy | None = None, labels: dict | None = None) -> list[list[str]]:
    """Concepts of each text: lemmatised nouns, adjectives, verbs and proper nouns, noun
    phrases (NOUN ADJ, NOUN NOUN, NOUN de NOUN) and the taxonomy's multi-word keywords
    ("service client", "carte fidélité": spaCy's small model often misses them).

    Concepts are keys without accents, words joined by '_' (so "fidélité" and "fidelite"
    written by two customers are one concept); `labels`, when given, receives for each key
    the Counter of its written forms with accents (single words: the lemma; phrases: the
    words as written) so that the cloud shows "qualité", "idée cadeau". Stop words (French,
    `extra_stop`) are compared without accents. spaCy runs batched, once per distinct text."""
    from collections import Counter

    stop = _stopwords() | {wtext.strip_accents(w.lower()) for w in extra_stop}
    items = list(texts)
    uniq = list(dict.fromkeys(items))
    lem = wtext.lemmas(uniq)
    phrases = {k for k in _matcher(taxonomy or default_taxonomy()).exact if len(k) > 1}
    known = _phrase_terms(uniq, phrases, stop)
    out: dict[str, list[str]] = {}
    for t, toks in zip(uniq, lem, strict=True):
        written = f" {' '.join(wtext.normalize(t).split())} "  # phrases never cross punctuation
        words = [(word, _concept_lemma(word, lm, pos), pos) for word, lm, pos in toks]
        plain = [(wtext.strip_accents(word), wtext.strip_accents(lm)) for word, lm, _ in words]
        ok = [pos in CONCEPT_POS and pw not in stop and pl not in stop and _TERM.match(lm) is not None
              for (_, lm, pos), (pw, pl) in zip(words, plain, strict=True)]
        terms: list[tuple[str, str]] = [(plain[i][1], words[i][1]) for i in range(len(words)) if ok[i]]
        for i in range(len(words) - 1):
            (w1, _, p1), (w2, l2, p2) = words[i], words[i + 1]
            if p1 in ("NOUN", "PROPN") and p2 in ("ADJ", "NOUN", "PROPN") and ok[i] and ok[i + 1]:
                joined = next((f"{w1}{j}{w2}" for j in (" ", "-") if f" {w1}{j}{w2} " in written), None)
                if joined:
                    terms.append((f"{plain[i][1]}_{plain[i + 1][1]}", joined))
            if (i + 2 < len(words) and p1 == "NOUN" and l2 == "de" and words[i + 2][2] == "NOUN"
                    and ok[i] and ok[i + 2] and f" {w1} de {words[i + 2][0]} " in written):
                terms.append((f"{plain[i][1]}_de_{plain[i + 2][1]}", f"{w1} de {words[i + 2][0]}"))
        keys = {k for k, _ in terms}
        terms += [(k, lab) for k, lab in known[t] if k not in keys]
        out[t] = terms
    if labels is not None:
        for t in items:
            for k, lab in out[t]:
                labels.setdefault(k, Counter())[lab] += 1
    return [[k for k, _ in out[t]] for t in items]


_TERM = re.compile(r"^[^\W\d_](?:[^\W\d_]|['-]){2,}$")


def absorb_parts(terms: list[list[str]], share: float = 0.6) -> tuple[list[list[str]], dict]:
    """Phrase deduplication: a word concept that occurs, in most of the texts holding it (at
    least `share`), together with a phrase made of it ("service" and "client" inside "service
    client", "black" inside "black friday") is absorbed by the phrase: removed from every text.
    Returns the new term lists and {absorbed word: phrase}. Longer phrases absorb shorter ones
    the same way ("comparaison" inside "comparaison de prix")."""
    from collections import Counter

    docs = [set(t) for t in terms]
    df = Counter(k for d in docs for k in d)
    phrases = sorted((k for k in df if "_" in k), key=lambda k: (-k.count("_"), -df[k], k))
    absorbed: dict[str, str] = {}
    for ph in phrases:
        if ph in absorbed:
            continue
        parts = [w for w in ph.split("_") if w != "de"]
        for part in {w for w in parts if w in df and w not in absorbed}:
            together = sum(1 for d in docs if part in d and ph in d)
            if together >= share * df[part]:
                absorbed[part] = ph
        for sub in (k for k in df if "_" in k and k != ph and k not in absorbed):
            if f"_{sub}_" in f"_{ph}_":
                together = sum(1 for d in docs if sub in d and ph in d)
                if together >= share * df[sub]:
                    absorbed[sub] = ph
    if not absorbed:
        return terms, absorbed
    return [[k for k in t if k not in absorbed] for t in terms], absorbed


def concept_cloud(texts: Iterable[str], *, top: int = 40, extra_stop: Iterable[str] = (),
                  taxonomy: Taxonomy | None = None, absorb: float = 0.6) -> pd.DataFrame:
    """Weighted key concepts of a corpus: summed TF-IDF (sublinear tf, smoothed idf) of the
    concepts of `concept_terms`, after phrase deduplication (`absorb_parts` with share
    `absorb`; 1.0 turns it off), with document frequency; the `top` first. `concept` is the
    most frequent written form, accents kept."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    labels: dict = {}
    # personal data never becomes a concept (e-mail or phone fragments shown as words)
    terms = concept_terms(list(mask_personal(list(texts), blank=True)), extra_stop=extra_stop,
                          taxonomy=taxonomy, labels=labels)
    if absorb < 1.0:
        terms, _ = absorb_parts(terms, absorb)
    if not any(terms):
        return pd.DataFrame(columns=["concept", "weight", "documents"])
    vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True)
    X = vec.fit_transform(terms)
    w = np.asarray(X.sum(axis=0)).ravel()
    df = np.asarray((X > 0).sum(axis=0)).ravel()
    keys = vec.get_feature_names_out()
    shown = [sorted(labels[k].items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for k in keys]
    out = pd.DataFrame({"concept": shown, "weight": w / max(len(terms), 1), "documents": df})
    return out.sort_values(["weight", "concept"], ascending=[False, True]).head(top).reset_index(drop=True)


def _word_keys(text: str) -> set[str]:
    """Accent-free lower-case words of a text, with a final plural s/x dropped ('livraisons' ->
    'livraison'), so that a concept matches the words of an expression or a post."""
    words = _WORDS.findall(wtext.strip_accents(str(text).lower()))
    return {w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in words}


def concept_alignment(consumer: pd.DataFrame, brand: pd.DataFrame, *, top: int = 15,
                      brand_texts: Iterable[str] | None = None) -> tuple[float, pd.DataFrame]:
    """How far the brand's messages match what consumers talk about: cosine similarity of the
    two concept clouds (0 = nothing shared, 1 = same concepts, same weights), and the consumers'
    concepts the brand never uses (highest consumer weight first).

    "Never uses" is checked on words, not only on whole concepts: a consumer concept whose
    words all appear in one of the brand's concepts ("livraison" inside "livraison offerte")
    or, when `brand_texts` is given, in one of the brand's posts, is used by the brand."""
    a = consumer.set_index("concept")["weight"]
    b = brand.set_index("concept")["weight"]
    idx = a.index.union(b.index)
    va, vb = a.reindex(idx).fillna(0).to_numpy(), b.reindex(idx).fillna(0).to_numpy()
    denom = np.linalg.norm(va) * np.linalg.norm(vb)
    score = float(va @ vb / denom) if denom > 0 else 0.0
    brand_words = [_word_keys(c) for c in brand["concept"]]
    if brand_texts is not None:
        brand_words += [_word_keys(t) for t in brand_texts]
    used = consumer["concept"].map(lambda c: any(_word_keys(c) <= ws for ws in brand_words if ws))
    missing = consumer[~consumer["concept"].isin(brand["concept"]) & ~used].head(top).reset_index(drop=True)
    return score, missing


def discover_topics(texts: Iterable[str], *, n_topics: int = 8, n_words: int = 8, seed: int = 0,
                    max_features: int = 5000, extra_stop: Iterable[str] = ()) -> tuple[pd.DataFrame, np.ndarray]:
    """Topic discovery with NMF on TF-IDF of normalised, accent-free words (stop words removed):
    (topics: topic, `label` (its three main words), `words`, `texts`, `example` (the text that
    weighs most in the topic, personal data masked); topic of each text). Topics whose texts
    the taxonomy leaves untagged point to themes it misses."""
    from collections import Counter

    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    raw = list(texts)
    items = list(mask_personal(raw, blank=True))  # no e-mail or phone fragments among topic words
    norm = wtext.normalize_many(items, accents=False)
    stop = sorted(w for w in _stopwords() | {wtext.strip_accents(x.lower()) for x in extra_stop}
                  if re.fullmatch(r"[a-z][a-z'-]{2,}", w))
    vec = TfidfVectorizer(stop_words=stop, token_pattern=r"(?u)\b[a-z][a-z'-]{2,}\b",
                          max_features=max_features, min_df=2, sublinear_tf=True)
    X = vec.fit_transform(norm)
    k = min(n_topics, X.shape[1], X.shape[0])
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
        W = model.fit_transform(X)
    vocab = vec.get_feature_names_out()
    written: dict[str, Counter] = {}  # accent-free word -> its forms as written (labels keep accents)
    for t in wtext.normalize_many(items):
        for w in _WORDS.findall(t):
            written.setdefault(wtext.strip_accents(w), Counter())[w] += 1
    shown = lambda w: written[w].most_common(1)[0][0] if w in written else w  # noqa: E731
    topic_of = W.argmax(axis=1)
    topic_of[W.max(axis=1) == 0] = -1
    rows = []
    for t in range(k):
        words = vocab[np.argsort(model.components_[t])[::-1][:n_words]]
        best = int(np.argmax(W[:, t])) if W[:, t].max() > 0 else -1
        rows.append({"topic": t, "label": " · ".join(shown(w) for w in words[:3]),
                     "words": ", ".join(shown(w) for w in words),
                     "texts": int((topic_of == t).sum()),
                     "example": str(mask_personal([raw[best]])[0]) if best >= 0 else ""})
    return pd.DataFrame(rows), topic_of
