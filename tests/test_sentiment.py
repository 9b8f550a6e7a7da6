"""French sentiment (workbench.sentiment): exact batch textblob-fr, default scorer, training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import sentiment as S

LABELS = np.array(S.LABELS)


def _xlmt(shared_data, split):
    folder = shared_data / "xlmt_french"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    codes = [int(x) for x in (folder / f"{split}_labels.txt").read_text().split()]
    assert len(texts) == len(codes)
    return texts, LABELS[np.array(codes)]


def _reference(texts):
    from textblob_fr import PatternAnalyzer

    analyzer = PatternAnalyzer()
    ref = [analyzer.analyze(t) for t in texts]
    return np.array([r[0] for r in ref]), np.array([r[1] for r in ref])


TRICKY = [
    "", "   ", "Super :) !", "nul :-( mais bon", "o. O", "C’est L’horreur !", "pas très bon",
    "vraiment pas bon", "a\n\nb END-OF-SENTENCE bien", "(!) génial", "x\x00y bien",
    "jusqu’au bout", "pas du tout mauvais...", "très très bien !!!",
    "Mr. Smith est excellent. Vraiment.", ":'( triste", "<3 <3", "j'adore l'appli :D",
    "je n'aime pas", "bien. :) super", "prix D'Artagnan", "l’;) top", "&rsquo ; bon",
    "Bon ! ( ! ) nul", "'bon' \"mauvais\" ‘excellent’", "beau\r\n\r\nlaid", "8-) 8 - ) 8 )",
    "pas \x00 bon", "pas \x01 bon", "\x01", "très \x01 bien.", "x D", "max Dupont : D", "bien..",
    "Mr. bon...", "M. bien. etc.)", "(bien.", "bien.)", "l&rsquo ; bon", "c&rsquo", "a ’ ; b",
    "vraiment; END-OF-SENTENCE )o", "mauvais * \n\n ) ;", "bon END-OF-SENTENCE : END-OF-SENTENCE )",
    # raw-token delimiter and lone surrogates inside tokens, whitespace that is not ASCII
    "#zoneshumides\x01 ]8-)", "x\ud800 : ) ]8-)", "bon\xa0!\u2009:-) x\x1cy", "\u3000\u2028 ",
    "bon\r\n\r\n:-)", ": comment", "super : D", "top : - )", "(8 ) génial ( ! )",
    # case: Python's str.lower vs pyarrow's (İ grows, final sigma, Latin-1 and Œ)
    "İl est BON", "İ", "ÉNORME Œuvre ŸES", "ΑΣ bon", "KELVIN \u212a bon",
    "!!! ?!", "@#bien!!,", "l’’avis", "QU’IL est bon", "jusqu’à l’extrême", "“Bon”…",
]


def test_textblob_fr_equals_textblob_on_tricky_texts():
    got = S.textblob_fr(TRICKY)
    pol, sub = _reference(TRICKY)
    assert got["polarity"].tolist() == pol.tolist()
    assert got["subjectivity"].tolist() == sub.tolist()


def test_textblob_fr_equals_textblob_on_random_texts():
    rng = np.random.default_rng(0)
    pieces = ["bon", "mauvais", "pas", "très", "vraiment", "ne", "n'", "l’", "jamais", "!", "?",
              ".", "...", ":", ")", "(", "-", "'", "\"", ";", "D", "x", "o", "O", "8", "<3",
              "super", "horrible", "excellent", "M.", "etc.", "\n\n", "’", "(!)", "génial",
              "nul", "très-bien", "sans", "aucun", "simplement", "a", "de", "#", "@", "[", "]",
              "{", "}", "*", "+", "=", "~", "_", "|", "^", "$", "&", "`", ",", ";"]
    texts = []
    for _ in range(1500):
        k = rng.integers(1, 14)
        seps = rng.choice(["", " ", " ", " ", "  "], size=k)
        texts.append("".join(str(rng.choice(pieces)) + s for s in seps))
    got = S.textblob_fr(texts)
    pol, sub = _reference(texts)
    bad = np.flatnonzero((got["polarity"].to_numpy() != pol) | (got["subjectivity"].to_numpy() != sub))
    assert len(bad) == 0, [texts[i] for i in bad[:5]]
    # one scorer, texts in several batches: raw tokens seen before are looked up, not redone
    batch, got_p, got_s = S._TextblobBatch(), [], []
    for part in (TRICKY, texts[:500], texts[500:], texts, TRICKY):
        p, s = batch.scores(list(part))
        got_p += p.tolist()
        got_s += s.tolist()
    ref_p, ref_s = _reference(TRICKY + texts + texts + TRICKY)
    assert got_p == ref_p.tolist() and got_s == ref_s.tolist()


@pytest.mark.real_data
def test_textblob_fr_equals_textblob_on_all_xlmt(shared_data):
    texts = []
    for split in ("train", "val", "test"):
        texts += _xlmt(shared_data, split)[0]
    assert len(texts) == 3033
    got = S.textblob_fr(texts)
    pol, sub = _reference(texts)
    assert np.array_equal(got["polarity"].to_numpy(), pol)
    assert np.array_equal(got["subjectivity"].to_numpy(), sub)


def test_textblob_fr_keeps_series_index_and_checks_input():
    s = pd.Series(["bon", "mauvais"], index=["a", "b"])
    assert list(S.textblob_fr(s).index) == ["a", "b"]
    assert S.textblob_fr([]).shape == (0, 2)
    with pytest.raises(TypeError, match="not text"):
        S.textblob_fr(["bon", None])
    with pytest.raises(TypeError, match="single str"):
        S.textblob_fr("bon")


def _pol(text):
    return float(S.score([text])["polarity"].iloc[0])


def test_score_shape_range_and_labels():
    texts = pd.Series(["Super appli", "Colis jamais reçu", "Ouvert dimanche ?"], index=[5, 6, 7])
    out = S.score(texts)
    assert list(out.index) == [5, 6, 7]
    assert out["polarity"].between(-1, 1).all()
    assert out["label"].tolist() == ["positive", "negative", "neutral"]


def test_score_rules():
    assert _pol("pas bon") < 0 < _pol("bon")
    assert _pol("très bon") > _pol("bon")
    assert _pol("un peu décevant") > _pol("décevant")
    assert _pol("Produit sympa mais livraison en retard") < 0
    assert _pol("Livraison en retard mais produit génial") > 0
    assert _pol("commande reçue 😍") > 0 > _pol("commande reçue 😡")
    # emojis are not negated by a negation that applies to a word
    assert _pol("vous êtes pas sérieux :(") < 0
    for text in ["Service client injoignable", "Toujours pas remboursé", "Colis jamais reçu",
                 "Livraison en retard", "Code promo qui ne marche pas"]:
        assert S.score([text])["label"].iloc[0] == "negative", text
    assert S.score(["Remboursé en 48h, merci"])["label"].iloc[0] == "positive"
    assert S.score(["Nouvelle collection en magasin"])["label"].iloc[0] == "neutral"


def test_label_band_and_calibration():
    params = S.ScorerParams(neg_threshold=-0.2, pos_threshold=0.3)
    assert S.label_polarity([-0.5, -0.1, 0.3, 0.31], params).tolist() == [
        "negative", "neutral", "neutral", "positive"]
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


@pytest.mark.real_data
def test_default_scorer_beats_textblob_on_xlmt_test(shared_data):
    texts, y = _xlmt(shared_data, "test")
    ours = S.macro_f1(y, S.score(texts)["label"])
    tb = S.textblob_fr(texts)["polarity"].to_numpy()
    tb_lab = np.where(tb > 0, "positive", np.where(tb < 0, "negative", "neutral"))
    assert ours > S.macro_f1(y, tb_lab)


def test_default_scorer_on_the_sample(sample_dir, truth):
    from workbench import datasets

    m = datasets.read_table("mentions", sample_dir).merge(truth["mentions"], on="mention_id")
    got = S.score(m["text"])["label"]
    f1 = S.macro_f1(m["sentiment"], got)
    tb = S.textblob_fr(m["text"].drop_duplicates())["polarity"]
    tb = m["text"].map(dict(zip(m["text"].drop_duplicates(), tb, strict=True)))
    tb_lab = np.where(tb > 0, "positive", np.where(tb < 0, "negative", "neutral"))
    assert f1 > 0.85
    assert f1 > S.macro_f1(m["sentiment"], tb_lab) + 0.1


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
    pick = S.most_informative(model, ["colis jamais reçu", "bof", "super accueil", "hmm ok"], n=2)
    assert len(pick) == 2 and pick["margin"].is_monotonic_increasing
    proba = model.predict_proba(["colis jamais reçu", "bof", "super accueil", "hmm ok"]).to_numpy()
    margins = np.sort(np.sort(proba, axis=1)[:, -2:] @ np.array([[-1], [1]]), axis=0).ravel()
    assert pick["margin"].to_numpy() == pytest.approx(margins[:2])


@pytest.mark.real_data
def test_trained_model_beats_rules_on_xlmt(shared_data):
    tr, ytr = _xlmt(shared_data, "train")
    te, yte = _xlmt(shared_data, "test")
    model = S.train(tr, ytr)
    assert S.macro_f1(yte, model.score(te)["label"]) > S.macro_f1(yte, S.score(te)["label"]) + 0.05


def test_labelling_session_proposes_uncertain_and_learns():
    ids = [f"M{i}" for i in range(len(TRAIN))]
    sess = S.LabellingSession(ids, TRAIN, retrain_every=1000)
    assert sess.model is None
    first = sess.propose(5)
    assert len(first) == 5 and first["margin"].is_monotonic_increasing
    for i, y in zip(ids[:12], TRAIN_Y[:6] + TRAIN_Y[18:24], strict=True):
        sess.label(i, y)
    assert sess.model is None and sess.trainable()
    assert sess.retrain() is not None
    lab = sess.labels_frame()
    assert len(lab) == 12 and set(lab.columns) == {"id", "text", "label"}
    assert not set(sess.propose(100)["id"]) & set(lab["id"])
    with pytest.raises(ValueError, match="unknown label"):
        sess.label("M0", "bof")
    saved = []
    ui = sess.widget(on_save=saved.append)
    ui.children[1].children[0].click()  # "négatif" on the first proposal
    ui.children[1].children[-1].click()  # save
    assert len(saved) == 1 and len(saved[0]) == 13
    again = S.LabellingSession(ids, TRAIN, labels=saved[0])
    assert len(again.labels) == 13 and again.model is not None


def test_batch_tokens_are_textblobs_tokens():
    batch = S._TextblobBatch()
    texts = [t for t in TRICKY if "\x00" not in t]
    assert batch.tokenize(texts) == [batch._tokens_one(t) for t in texts]


def test_batch_whitespace_is_pythons():
    # the batch splits with pyarrow's Unicode whitespace when it is Python's (checked once)
    spaces = [ch for ch in map(chr, range(0x3001)) if ch.isspace()]
    assert S._tb_lexicon().unicode_split == S._unicode_split_exact()
    texts = [f"bon{ch}:){ch}pas{ch}{ch}mauvais{ch}" for ch in spaces] + ["x".join(spaces) + "bon"]
    got = S._TextblobBatch().scores(texts)
    pol, sub = _reference(texts)
    assert got[0].tolist() == pol.tolist() and got[1].tolist() == sub.tolist()


def test_batch_end_characters_and_dotted_tokens():
    import pyarrow as pa

    L = S._tb_lexicon()
    ends = list(L.end_chars)
    rng = np.random.default_rng(1)
    alphabet = ends + ["é", "à", "a", "Œ", "🙂", "±", "♤", "²", "Ā", "M", "r", "U", "S", "…"]
    toks = ["".join(rng.choice(alphabet, size=rng.integers(1, 6))) for _ in range(20000)]
    pos = {ch: k for k, ch in enumerate(ends)}
    for arr in (pa.array(toks, type=pa.large_string()), pa.array(toks).slice(3, 5000)):
        first, last = S._TextblobBatch._end_chars(arr)
        ref = arr.to_pylist()
        assert first.tolist() == [pos.get(t[0], len(ends)) for t in ref]
        assert last.tolist() == [pos.get(t[-1], len(ends)) for t in ref]
    batch = S._TextblobBatch()
    dotted = sorted({t for t in toks if "." in t}) + ["etc.", "U.S.", "Mr.", "T.", "a.b.", "bien..."]
    assert batch._split_dotted(dotted) == [batch._split_token(t) for t in dotted]
