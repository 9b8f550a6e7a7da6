"""Social listening (workbench.concepts): themes, routing, peaks, alerts, share of voice..."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import concepts as C
from workbench import datasets
from workbench import sentiment as S


def test_default_taxonomy_and_routing():
    tax = C.load_taxonomy()
    assert set(tax.departments.values()) <= set(C.DEPARTMENTS)
    assert {"livraison", "service client", "prix", "promotions", "offre", "qualité", "magasin",
            "retours", "appli", "fidélité"} <= set(tax.themes)
    assert C.route_department("livraison") == "logistique"
    assert C.route_department("appli") == "e-commerce"
    assert C.route_department("magasin") == "magasins"
    assert C.route_department(C.UNTAGGED) == C.UNROUTED
    assert C.departments() == tax.departments


def _spec(dept="logistique", keywords=("colis",), patterns=()):
    return {"themes": {"livraison": {"department": dept, "micro": {
        "colis": {"keywords": list(keywords), "patterns": list(patterns)}}}}}


def test_taxonomy_errors_are_clear():
    with pytest.raises(ValueError, match="department 'compta' is not one of"):
        C.taxonomy_from_dict(_spec(dept="compta"))
    with pytest.raises(ValueError, match="bad pattern"):
        C.taxonomy_from_dict(_spec(patterns=["(unclosed"]))
    with pytest.raises(ValueError, match="no keywords nor patterns"):
        C.taxonomy_from_dict(_spec(keywords=()))
    with pytest.raises(ValueError, match="non-empty 'themes'"):
        C.taxonomy_from_dict({"themes": {}})
    with pytest.raises(FileNotFoundError):
        C.load_taxonomy("/nonexistent/taxonomy.yaml")


def test_tag_themes_rules():
    texts = pd.Series([
        "Colis jamais reçu, livraison en retard",
        "Service client injoignable depuis 3 jours",
        "Toujours pas remboursé de mon retour",
        "L'appli plante au paiement",
        "Vendeuse super sympa en magasin #colis #soldes",
        "Bonjour tout le monde",
    ], index=list("abcdef"))
    out = C.tag_themes(texts)
    assert list(out.index) == list("abcdef")
    assert out["theme"].tolist() == ["livraison", "service client", "retours", "appli", "magasin",
                                     C.UNTAGGED]
    assert out["department"].tolist() == ["logistique", "service client", "service client",
                                          "e-commerce", "magasins", C.UNROUTED]
    assert out.loc["a", "micro_theme"] == "retard ou non reçu"
    assert out.loc["e", "themes"].split("|")[0] == "magasin"  # trailing hashtags count half
    assert C.untagged_share(out) == pytest.approx(1 / 6)
    df = pd.DataFrame({"body": ["Mon colis est perdu"]})
    assert C.tag_themes(df, text_col="body")["theme"].iloc[0] == "livraison"
    with pytest.raises(KeyError, match="column 'text' not found"):
        C.tag_themes(df)
    with pytest.raises(TypeError, match="missing or not str"):
        C.tag_themes(["ok", None])


def test_custom_taxonomy_prefix_and_regex():
    tax = C.taxonomy_from_dict({"themes": {
        "retours": {"department": "service client", "micro": {"remb": {"keywords": ["rembours*"]}}},
        "prix": {"department": "marketing", "micro": {"cher": {"patterns": [r"\d+ ?euros?"]}}},
    }})
    out = C.tag_themes(["Remboursement refusé", "Payé 30 euros", "rien"], tax)
    assert out["theme"].tolist() == ["retours", "prix", C.UNTAGGED]
    assert C.route_department("prix", tax) == "marketing"


def test_sentiment_over_time_exact():
    d = pd.DataFrame({
        "timestamp": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08",
                                     "2026-02-01"]),
        "label": ["positive", "negative", "negative", "neutral", "positive"],
        "platform": ["x", "x", "x", "x", "y"],
    })
    out = C.sentiment_over_time(d, by=["platform"])
    jan = out.iloc[0]
    assert (jan["mentions"], jan["positive"], jan["negative"]) == (4, 1, 2)
    assert jan["share_negative"] == 0.5 and jan["net_sentiment"] == pytest.approx(-0.25)
    assert jan["share_negative_low"] < 0.5 < jan["share_negative_high"]
    assert jan["net_sentiment_low"] < -0.25 < jan["net_sentiment_high"]
    assert out.iloc[1]["net_sentiment"] == 1.0


def _series(counts, start="2026-01-01", label="negative", theme="livraison", brand="B"):
    rows = []
    for k, n in enumerate(counts):
        ts = pd.Timestamp(start) + pd.Timedelta(days=k, hours=10)
        rows += [{"timestamp": ts, "label": label, "theme": theme, "brand": brand,
                  "text": f"post {k} {j}", "account_id": f"A{j}", "retweet_of": None}
                 for j in range(n)]
    cols = ["timestamp", "label", "theme", "brand", "text", "account_id", "retweet_of"]
    return pd.DataFrame(rows, columns=cols).astype({"timestamp": "datetime64[ns]"})


def test_detect_peaks_finds_planted_spike_only():
    rng = np.random.default_rng(1)
    counts = rng.poisson(20, 60)
    counts[45:47] = [80, 70]
    peaks = C.detect_peaks(_series(counts))
    assert len(peaks) == 1
    p = peaks.iloc[0]
    assert p["start"] == pd.Timestamp("2026-02-15") and p["end"] == pd.Timestamp("2026-02-16")
    assert p["peak_date"] == pd.Timestamp("2026-02-15") and p["mentions"] == 150
    assert C.detect_peaks(_series(rng.poisson(20, 60))).empty
    assert C.detect_peaks(_series([])).empty  # no mentions: no peak, no error


def test_negative_alerts_route_and_ignore_retweets():
    rng = np.random.default_rng(2)
    calm = _series(rng.poisson(3, 60), theme="magasin")
    spike_counts = rng.poisson(3, 60)
    spike_counts[50] = 40
    surge = _series(spike_counts, theme="livraison")
    rts = _series([0] * 30 + [60] + [0] * 29, theme="appli")
    rts["retweet_of"] = "M1"
    alerts = C.negative_alerts(pd.concat([calm, surge, rts], ignore_index=True))
    assert alerts["theme"].tolist() == ["livraison"]
    assert alerts["department"].iloc[0] == "logistique"
    assert alerts["peak_date"].iloc[0] == pd.Timestamp("2026-02-20")
    assert alerts["authors"].iloc[0] == 40


def test_share_of_voice_and_drivers():
    d = pd.DataFrame({
        "timestamp": pd.to_datetime(["2026-01-01"] * 4 + ["2026-02-01"] * 2),
        "brand": ["A", "A", "B", "A", "B", "B"], "platform": ["x", "x", "x", "y", "x", "x"],
    })
    sov = C.share_of_voice(d)
    jan_x = sov[(sov["period"] == "2026-01-01") & (sov["platform"] == "x")].set_index("brand")
    assert jan_x["share"].to_dict() == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    assert np.allclose(sov.groupby(["period", "platform"])["share"].sum(), 1.0)
    s = pd.DataFrame({
        "category": ["mode"] * 6 + ["sport"] * 4 + [None] * 2,
        "theme": ["qualité"] * 4 + ["prix", "prix"] + ["livraison"] * 3 + ["prix"] + ["prix"] * 2,
        "label": ["negative"] * 3 + ["positive", "negative", "neutral"]
                 + ["negative"] * 3 + ["positive"] + ["negative", "neutral"],
    })
    drv = C.negative_drivers(s)
    mode = drv[drv["category"] == "mode"].set_index("rank")
    assert mode.loc[1, "theme"] == "qualité" and mode.loc[1, "share_of_negatives"] == 0.75
    assert mode.loc[1, "share_negative"] == pytest.approx(4 / 6)
    assert drv[drv["category"] == "sport"].iloc[0]["theme"] == "livraison"
    assert "non renseigné" in set(drv["category"])


def test_search_opportunities():
    sk = pd.DataFrame({
        "month": pd.to_datetime(["2026-01-01", "2026-02-01"] * 3),
        "keyword": ["maison lys", "maison lys", "orbe soldes", "orbe soldes", "robe d'été", "robe d'été"],
        "searches": [100, 100, 50, 50, 10, 30],
    })
    out = C.search_opportunities(sk, ["Maison Lys"], ["Orbe"], recent_months=1).set_index("keyword")
    assert out["kind"].to_dict() == {"maison lys": "marque", "orbe soldes": "concurrent",
                                     "robe d'été": "générique"}
    assert out.loc["robe d'été", "growth"] == pytest.approx(2.0)
    assert out["opportunity"].to_dict() == {"maison lys": False, "orbe soldes": False, "robe d'été": True}


def test_concept_cloud_and_alignment():
    consumers = ["Les livraisons sont en retard", "Livraison en retard encore", "Le prix est trop élevé"]
    cloud = C.concept_cloud(consumers)
    assert cloud.iloc[0]["concept"] in {"livraison", "retard"}
    assert {"livraison", "retard", "prix", "élevé"} <= set(cloud["concept"])
    # a taxonomy phrase that starts with a stop word ("en retard") is no concept of its own
    assert "en retard" not in set(cloud["concept"])
    same, missing = C.concept_alignment(cloud, cloud)
    assert same == pytest.approx(1.0) and missing.empty
    brand = pd.DataFrame({"concept": ["collection", "prix"], "weight": [1.0, 0.5]})
    score, missing = C.concept_alignment(cloud, brand)
    assert 0 < score < 1
    assert "prix" not in set(missing["concept"]) and "livraison" in set(missing["concept"])
    disjoint = pd.DataFrame({"concept": ["zzz"], "weight": [1.0]})
    assert C.concept_alignment(cloud, disjoint)[0] == 0.0
    # a word used inside one of the brand's expressions is not "never used" by the brand
    offer = pd.DataFrame({"concept": ["livraison offerte", "programme fidélité"], "weight": [1.0, 0.5]})
    _, missing = C.concept_alignment(cloud, offer)
    assert "livraison" not in set(missing["concept"]) and "prix" in set(missing["concept"])
    # nor one the brand writes in a post (plural and accents aside)
    _, missing = C.concept_alignment(cloud, disjoint, brand_texts=["Nos PRIX baissent", "Élevés ? non"])
    assert not {"prix", "élevé"} & set(missing["concept"]) and "livraison" in set(missing["concept"])


def test_concepts_keep_accents_and_fix_bad_lemmas():
    texts = ["La qualité est parfaite", "Qualité parfaite, je recommande",
             "Très bonne qualité", "Des idées cadeaux pour Noël", "Les cadeaux sont arrivés",
             "La carte fidélité est pratique", "Ma carte fidélité ne marche pas"]
    cloud = set(C.concept_cloud(texts, absorb=1.0)["concept"])
    assert {"qualité", "noël", "cadeau", "parfait"} <= cloud
    assert not cloud & {"qualite", "noel", "parfaire", "cadeal", "fidelite"}
    assert "carte fidélité" in cloud  # a taxonomy phrase, shown with its accents
    # the same word written with or without accents is one concept, shown with accents
    mixed = C.concept_cloud(["qualité top", "qualite top", "qualité moyenne"], absorb=1.0)
    assert (mixed["concept"] == "qualité").sum() == 1
    assert mixed.set_index("concept").loc["qualité", "documents"] == 3


def test_phrases_absorb_their_parts():
    """"service" occurs only inside "service client": absorbed; "prix" occurs
    mostly on its own (3 of 4 texts): kept beside "comparaison de prix"."""
    texts = ["Le service client ne répond pas", "service client injoignable",
             "Toujours pas de réponse du service client", "Le prix est correct",
             "Un prix trop élevé", "Le prix a encore augmenté", "La comparaison de prix en ligne"]
    terms = C.concept_terms(texts)
    _, absorbed = C.absorb_parts(terms, share=0.6)
    assert absorbed["service"] == "service_client"
    assert absorbed["comparaison"] == "comparaison_de_prix"
    assert "prix" not in absorbed
    cloud = set(C.concept_cloud(texts)["concept"])
    assert "service client" in cloud and not cloud & {"service", "client", "comparaison"}
    assert {"prix", "comparaison de prix"} <= cloud
    assert "service" in set(C.concept_cloud(texts, absorb=1.0)["concept"])


def test_retail_stop_list_from_the_profile():
    from workbench import profile

    p = profile.profile_for(None)
    assert set(profile.RETAIL_STOP_WORDS) <= set(p.concept_stop_words)
    texts = ["Bonjour, merci pour la livraison rapide", "Bonjour, livraison ce jour, merci",
             "Je veux savoir où est mon colis"]
    plain = set(C.concept_cloud(texts)["concept"])
    assert {"bonjour", "jour", "savoir"} & plain  # French stop words alone keep them
    clean = set(C.concept_cloud(texts, extra_stop=p.concept_stop_words)["concept"])
    assert not clean & {"bonjour", "merci", "jour", "savoir"}
    assert {"livraison", "colis"} <= clean


def test_discover_topics_recovers_planted_groups():
    rng = np.random.default_rng(0)
    a = ["livraison colis retard transporteur", "colis livraison retard suivi", "retard colis livraison"]
    b = ["caisse attente vendeuse magasin", "vendeuse magasin caisse accueil", "magasin caisse vendeuse"]
    texts = [str(rng.choice(a)) for _ in range(30)] + [str(rng.choice(b)) for _ in range(30)]
    topics, topic_of = C.discover_topics(texts, n_topics=2)
    assert len(set(topic_of[:30])) == 1 and len(set(topic_of[30:])) == 1
    assert topic_of[0] != topic_of[30]
    assert "colis" in topics.loc[topic_of[0], "words"]


# ---- the default sample: planted themes, crisis and routing ------------------------------


@pytest.fixture(scope="module")
def scored(sample_dir):
    m = datasets.read_table("mentions", sample_dir)
    return m.join(C.tag_themes(m)).join(S.score(m["text"]))


def test_themes_recover_the_sample_truth(scored, truth):
    x = scored.merge(truth["mentions"], on="mention_id", suffixes=("", "_true"))
    assert (x["theme"] == x["theme_true"]).mean() > 0.9
    assert C.untagged_share(scored) < 0.2


def test_crisis_is_a_peak_explained_by_its_theme(scored, truth):
    crisis = truth["crisis"]
    date = pd.Timestamp(crisis["date"])
    last = date + pd.Timedelta(days=crisis["days"] - 1)
    peaks = C.detect_peaks(scored, by=["brand"])
    hit = peaks[(peaks["brand"] == crisis["brand"]) & (peaks["start"] <= last) & (peaks["end"] >= date)]
    assert len(hit) == 1
    assert date <= hit["peak_date"].iloc[0] <= last
    why = C.explain_peaks(hit, scored)
    assert why["main_theme"].iloc[0] == crisis["theme"]
    assert why["share_negative"].iloc[0] > 2 * why["baseline_share_negative"].iloc[0]


def test_alerts_route_the_crisis(scored, truth):
    crisis = truth["crisis"]
    date = pd.Timestamp(crisis["date"])
    alerts = C.negative_alerts(scored)
    near = alerts[(alerts["start"] - date).abs() <= pd.Timedelta(days=crisis["days"])]
    assert len(near) == 1
    a = near.iloc[0]
    assert (a["theme"], a["brand"], a["department"]) == (crisis["theme"], crisis["brand"], crisis["department"])
    assert a["start"] == date
    assert len(alerts) <= 3  # the crisis stands out: few other alerts over the year


def test_mention_tags_reuses_the_listening_scores_of_the_same_month_only():
    m = pd.DataFrame({"mention_id": ["M1", "M2", "M3"],
                      "text": ["Colis jamais livré, service client injoignable", "Super accueil en magasin !",
                               "Promo du week-end sur les robes"]}, index=[10, 11, 12])
    fresh = C.mention_tags(m)
    expected = C.tag_themes(m["text"]).join(S.score(m["text"]))[list(C.TAG_COLUMNS + C.SENTIMENT_COLUMNS)]
    pd.testing.assert_frame_equal(fresh, expected)
    assert fresh.attrs["reused"] == 0
    # a saved table (as 03 writes it) covering two mentions, with a visibly different theme
    saved = C.mention_scores_table(m.join(fresh), "2026-10")
    assert list(saved.columns[:3]) == ["mention_id", "month", "text_hash"] and len(saved) == 3
    saved = saved.iloc[:2].copy()
    saved.loc[0, "theme"] = "planted"
    out = C.mention_tags(m, saved, pd.Period("2026-10", "M"))
    assert out.attrs["reused"] == 2
    assert list(out.index) == [10, 11, 12]
    assert out.loc[10, "theme"] == "planted"  # taken from the saved table, not recomputed
    pd.testing.assert_series_equal(out.loc[12], fresh.loc[12])
    other_month = C.mention_tags(m, saved, pd.Period("2026-09", "M"))
    assert other_month.attrs["reused"] == 0 and other_month.loc[10, "theme"] != "planted"
    tags_only = C.mention_tags(m, saved, "2026-10", with_sentiment=False)
    assert list(tags_only.columns) == list(C.TAG_COLUMNS) and tags_only.loc[10, "theme"] == "planted"
    edited = m.assign(text=m["text"].where(m["mention_id"] != "M1", "Texte modifié depuis"))
    assert C.mention_tags(edited, saved, "2026-10").attrs["reused"] == 1  # a changed text is redone


def test_themes_and_sentiment_same_in_one_or_two_processes():
    m = datasets.read_table("mentions").head(3000).set_index("mention_id", drop=False)
    one = C.themes_and_sentiment(m, S.score, background_from=0)
    expected = C.tag_themes(m).join(S.score(m["text"]))
    pd.testing.assert_frame_equal(one, expected)
    two = C.themes_and_sentiment(m, S.score, background_from=100)  # tags in a second process
    pd.testing.assert_frame_equal(two, expected)
    with pytest.raises(KeyError, match="missing column"):
        C.themes_and_sentiment(m.drop(columns="text"), S.score)


def test_alerts_go_only_to_the_profile_departments():
    days = pd.date_range("2026-09-01", periods=40, freq="D")
    rows = [{"timestamp": d, "theme": "livraison", "label": "negative", "text": f"colis {i}",
             "account_id": f"A{i}", "brand": "B", "retweet_of": None}
            for i, d in enumerate(days) for _ in range(2 if i < 35 else 40)]
    scored = pd.DataFrame(rows)
    routed = C.negative_alerts(scored, min_periods=7)
    assert len(routed) and set(routed["department"]) == {"logistique"}
    unrouted = C.negative_alerts(scored, min_periods=7, alert_departments=["marketing"])
    assert set(unrouted["department"]) == {C.UNROUTED}


def test_untagged_replies_take_their_parents_theme():
    scored = pd.DataFrame({
        "mention_id": ["M1", "M2", "M3", "M4", "M5"],
        "reply_to": [None, "M1", "M2", "M9", None],
        "theme": ["livraison", C.UNTAGGED, C.UNTAGGED, C.UNTAGGED, C.UNTAGGED],
        "micro_theme": ["retard", "", "", "", ""],
        "department": ["logistique", "", "", "", ""],
    })
    out = C.inherit_parent_themes(scored).set_index("mention_id")
    assert out["theme"].tolist() == ["livraison", "livraison", "livraison", C.UNTAGGED, C.UNTAGGED]
    assert out.loc["M3", "department"] == "logistique"  # a reply to a reply
    assert out["theme_from_parent"].tolist() == [False, True, True, False, False]
    assert scored.loc[1, "theme"] == C.UNTAGGED  # input not mutated


def test_sample_untagged_mentions_are_mostly_replies_that_inherit(sample_dir):
    """In the sample, most untagged mentions are replies to tagged mentions: after inheriting
    their parent's theme, under 3 % of the brand's mentions stay untagged."""
    m = datasets.read_table("mentions", sample_dir)
    tagged = m.join(C.tag_themes(m))
    before = C.untagged_share(tagged)
    after = C.untagged_share(C.inherit_parent_themes(tagged))
    assert before > 0.05 and after < 0.03 and after < before / 3


def test_search_opportunities_flag_rising_not_falling_queries():
    months = pd.to_datetime([f"2026-{m:02d}-01" for m in range(5, 11)])
    rows = []
    for kw, series in {"robe d'été": [900, 900, 900, 500, 500, 500],  # large, -44 %
                       "seconde main": [100, 100, 100, 118, 118, 116],  # small, +17 %
                       "chaussures": [600, 600, 600, 610, 600, 600],  # large, stable
                       "bougie": [50, 50, 50, 50, 50, 50]}.items():  # small, stable
        rows += [{"month": m, "keyword": kw, "searches": v} for m, v in zip(months, series, strict=True)]
    out = C.search_opportunities(pd.DataFrame(rows), ["maison lys"]).set_index("keyword")
    assert out["trend"].to_dict() == {"robe d'été": "en baisse", "chaussures": "stable",
                                      "seconde main": "en hausse", "bougie": "stable"}
    assert out["opportunity"].to_dict() == {"robe d'été": False, "chaussures": True,
                                            "seconde main": True, "bougie": False}


def test_topics_have_a_label_and_a_masked_example():
    a = ["livraison colis retard transporteur", "colis livraison retard suivi jean@mail.fr",
         "retard colis livraison"]
    b = ["caisse attente vendeuse magasin", "vendeuse magasin caisse accueil", "magasin caisse vendeuse"]
    texts = a * 10 + b * 10
    topics, topic_of = C.discover_topics(texts, n_topics=2)
    assert topics["label"].str.count("·").eq(2).all()
    assert all(ex in texts or "[e-mail]" in ex for ex in topics["example"])
    assert not topics["example"].str.contains("jean@mail.fr").any()
    for _, t in topics.iterrows():
        assert topic_of[texts.index(t["example"]) if t["example"] in texts else 1] == t["topic"]


def test_themes_and_sentiment_reuses_known_scores_and_scores_the_rest_once():
    """Scores saved earlier in the month (`sentiment_scores_table` -> `saved_sentiment`) are
    reused: the same result as scoring everything, the known texts are not scored again, a
    changed text or another month's score is not reused."""
    from workbench import datasets, sentiment

    m = datasets.read_table("mentions").head(3000)
    full = C.themes_and_sentiment(m, sentiment.score)
    first = m.iloc[:1000]
    saved = C.sentiment_scores_table(first, pd.Series(full["polarity"].iloc[:1000].to_numpy(),
                                                      index=first["mention_id"].to_numpy()), "2026-10")
    assert (saved["label"].to_numpy() == full["label"].iloc[:1000].to_numpy()).all()
    seen = []

    def counting(texts):
        seen.extend(texts)
        return sentiment.score(texts)

    known = C.saved_sentiment(m, saved, "2026-10")
    assert known["polarity"].notna().sum() == 1000
    again = C.themes_and_sentiment(m, counting, known=known)
    pd.testing.assert_frame_equal(again, full)
    assert set(seen) == set(m["text"]) - set(first["text"]) and len(seen) == len(set(seen))
    assert C.saved_sentiment(m, saved, "2026-09")["polarity"].isna().all()
    edited = m.assign(text=m["text"] + " !")
    assert C.saved_sentiment(edited, saved, "2026-10")["polarity"].isna().all()
    with pytest.raises(TypeError, match="missing"):
        C.themes_and_sentiment(m.assign(text=m["text"].where(m.index != 5)), sentiment.score)


def test_tag_themes_once_per_normalised_text_same_tags_as_one_by_one(monkeypatch):
    texts = ["@ana colis toujours pas livré #Livraison", "@bob COLIS toujours pas livré #livraison",
             "Vendeuse très aimable en magasin", "vendeuse très aimable en magasin", "rien à voir"]
    matcher = C._matcher(C.default_taxonomy())
    calls = []
    real = type(matcher).scores
    monkeypatch.setattr(type(matcher), "scores", lambda self, body, tail: calls.append(body) or real(self, body, tail))
    together = C.tag_themes(texts)
    assert len(calls) == 3  # 5 distinct texts, 3 distinct normalised (body, hashtags) pairs
    one_by_one = pd.concat([C.tag_themes([t]) for t in texts], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one)
    assert together["theme"].iloc[0] == together["theme"].iloc[1] != C.UNTAGGED
