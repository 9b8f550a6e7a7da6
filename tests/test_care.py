"""Care queue and ideas board: detection rules, first-response times, idea themes; planted
structure recovered on the default sample; detection precision on a hand-labelled set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import care, datasets
from workbench.text import mask_personal

# Hand-labelled evaluation set (labels by the author of care.py, definitions in care_rules.yaml):
# * source "sample": texts of the default sample (seed 0), people's @handles masked;
# * source "handwritten": French texts written for this set, hard cases included (sarcasm,
#   negated complaints, "pourquoi pas" as agreement...), some of which the rules get wrong;
# * source "xlmt_french/<file>:<line>": real French tweets of ../shared/data/xlmt_french
#   (cardiffnlp/xlm-t, from the DEFT corpus; the data set's own terms are unclear), kept as
#   labels only: the text is read from the shared folder at test time, never copied here.
#   Selection: every line with "?" in val and train, lines with suggestion-like wording in
#   train, lines 1-25 and 481 of test. The rules were adjusted with this set in view, so its
#   figures are in-sample (optimistic).
LABELLED = Path(__file__).parent / "data" / "care_labelled.csv"
BRAND = "Maison Lys"

# --------------------------------------------------------------------------- detection


def test_detect_flags_each_kind_and_keeps_the_index():
    texts = pd.Series(
        {
            "a": "@maisonlys vous livrez en Corse ?",
            "b": "Colis toujours pas reçu, livraison en retard",
            "c": "Il faudrait plus de caisses ouvertes le samedi",
            "d": "Super accueil au magasin, merci !",
            "e": "Pourquoi pas des sacs en papier ?",  # an idea phrased as a question
            "f": "Quelqu'un a testé la livraison express ?",  # to the community
            "g": "CE SERAIT BIEN D'AVOIR UN RAYON VRAC",  # upper case
            "h": "Je suis tres decue, colis abime",  # accents missing
        }
    )
    f = care.detect(texts)
    assert list(f.index) == list(texts.index)
    assert list(f.columns) == ["is_question", "is_complaint", "is_suggestion"]
    assert f.loc["a"].tolist() == [True, False, False]
    assert f.loc["b"].tolist() == [False, True, False]
    assert f.loc["c"].tolist() == [False, False, True]
    assert f.loc["d"].tolist() == [False, False, False]
    assert f.loc["e"].tolist() == [False, False, True]
    assert f.loc["f"].tolist() == [False, False, False]
    assert f.loc["g", "is_suggestion"] and f.loc["h", "is_complaint"]


def test_detect_rules_are_editable_and_accent_insensitive():
    rules = {
        "question": {"include": [r"\?"]},
        "complaint": {"include": ["déçu"], "exclude": ["pas déçu"]},
        "suggestion": {"include": ["idée"]},
    }
    f = care.detect(["Très DECUE", "pas déçue du tout", "une idée ?", "ok"], rules)
    # escapes keep their meaning (\\W is not \\w) although texts are lower-cased
    g = care.detect(["  Comment faire", "xcomment"], {**rules, "question": {"include": [r"^\W*Comment"]}})
    assert g["is_question"].tolist() == [True, False]
    assert f["is_complaint"].tolist() == [True, False, False, False]
    assert f["is_suggestion"].tolist() == [False, False, True, False]
    assert f["is_question"].tolist() == [False, False, True, False]  # no not_if here


def test_load_rules_from_an_edited_copy(tmp_path):
    text = care.RULES_FILE.read_text(encoding="utf-8")
    assert "'\\bpourquoi (ne )?pas\\b'" in text
    edited = tmp_path / "rules.yaml"
    edited.write_text(text.replace("'\\bpourquoi (ne )?pas\\b'", "'\\bsuggestion bidon\\b'"),
                      encoding="utf-8")
    texts = ["Pourquoi pas des sacs en papier ?"]
    assert care.detect(texts)["is_suggestion"].tolist() == [True]
    f = care.detect(texts, care.load_rules(edited))
    assert f.loc[0].tolist() == [True, False, False]  # now a plain question
    bad = tmp_path / "bad.yaml"
    bad.write_text("question:\n  include: ['(']\ncomplaint:\n  include: [x]\nsuggestion:\n  include: [x]\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml: question\.include: bad pattern"):
        care.load_rules(bad)


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"question": {"include": ["x"]}}, "missing rule section"),
        ({"question": {"include": ["("]}, "complaint": {"include": ["x"]},
          "suggestion": {"include": ["x"]}}, "bad pattern"),
        ({"question": {"include": []}, "complaint": {"include": ["x"]},
          "suggestion": {"include": ["x"]}}, "at least one pattern"),
        ({"question": {"include": ["x"], "not_if": ["suggestion"]}, "complaint": {"include": ["x"]},
          "suggestion": {"include": ["x"], "not_if": ["question"]}}, "circular"),
        ({"question": {"include": ["x"], "oops": 1}, "complaint": {"include": ["x"]},
          "suggestion": {"include": ["x"]}}, "unknown key"),
    ],
)
def test_bad_rules_raise_clear_errors(raw, message):
    with pytest.raises(ValueError, match=message):
        care.compile_rules(raw)


def test_detect_rejects_missing_texts():
    with pytest.raises(TypeError, match="not text"):
        care.detect(pd.Series(["ok ?", None]))
    with pytest.raises(TypeError, match="single str"):
        care.detect("une phrase")


def test_mask_personal_hides_people_keeps_brands():
    t = "@jeanne_d75 et @MaisonLys : écrivez à jeanne.d@mail.fr ou au 06 12 34 56 78"
    out = mask_personal(t, keep_handles=["maisonlys"])
    assert "@user et @MaisonLys" in out
    assert "jeanne" not in out and "06 12" not in out
    assert "[e-mail]" in out and "[téléphone]" in out


def test_polarity_uses_the_project_scorer_and_keeps_the_index():
    texts = pd.Series({"x": "Super accueil, vendeuse adorable, merci !", "y": "Nul, colis abîmé, très déçue"})
    pol = care.polarity(texts)
    assert list(pol.index) == ["x", "y"] and pol["x"] > 0 > pol["y"]


def _labelled() -> pd.DataFrame:
    d = pd.read_csv(LABELLED, keep_default_na=False)
    for c in ("is_question", "is_complaint", "is_suggestion"):
        d[c] = d[c].astype(int).astype(bool)
    return d


def test_detection_precision_on_labelled_sample_and_handwritten_texts():
    """Floor 0.85 for precision and recall of every kind on the sample + handwritten texts
    (~20 positives per kind: 0.85 tolerates about three errors per kind; below, the care queue
    would mix in too many messages that need no answer). Measured: see the printed table."""
    d = _labelled()
    d = d[~d["source"].str.startswith("xlmt_french/")]
    assert len(d) >= 80 and d[["is_question", "is_complaint", "is_suggestion"]].sum().min() >= 15
    scores = care.detection_scores(care.detect(d["text"]), d).set_index("kind")
    print("\n" + scores.round(3).to_string())
    assert (scores["precision"] >= 0.85).all(), scores
    assert (scores["recall"] >= 0.85).all(), scores


def test_detection_on_real_french_tweets(shared_data):
    """Real tweets (xlmt_french, climate/politics, labelled by line number): the rules must not
    fire wildly outside retail care: <= 10 % of them flagged complaint or suggestion, and most
    genuine questions found. Question precision on tweets is low (rhetorical questions) and
    is printed, not asserted."""
    d = _labelled()
    real = d["source"].str.startswith("xlmt_french/")
    assert real.sum() >= 90

    def line(src):
        name, no = src.split(":")
        lines = (shared_data / name).read_text(encoding="utf-8").splitlines()
        return lines[int(no) - 1]

    d = d[real].copy()
    d["text"] = d["source"].map(line)
    assert (d["text"].str.len() > 0).all()
    f = care.detect(d["text"])
    scores = care.detection_scores(f, d).set_index("kind")
    print("\n" + scores.round(3).to_string())
    assert f["is_complaint"].mean() <= 0.10 and f["is_suggestion"].mean() <= 0.10
    assert scores.loc["question", "recall"] >= 0.6


def test_detection_scores_exact():
    flags = pd.DataFrame({"is_question": [1, 1, 0, 0], "is_complaint": [0, 0, 0, 0],
                          "is_suggestion": [1, 0, 1, 0]}).astype(bool)
    labels = pd.DataFrame({"is_question": [1, 0, 1, 0], "is_complaint": [0, 0, 0, 1],
                           "is_suggestion": [1, 0, 1, 0]}).astype(bool)
    s = care.detection_scores(flags, labels).set_index("kind")
    assert s.loc["question", "precision"] == 0.5 and s.loc["question", "recall"] == 0.5
    assert np.isnan(s.loc["complaint", "precision"]) and s.loc["complaint", "recall"] == 0
    assert s.loc["suggestion", "f1"] == 1.0


# --------------------------------------------------------------------------- care queue


def _tiny():
    ts = pd.Timestamp("2026-10-01 10:00")
    h = pd.Timedelta(hours=1)
    mentions = pd.DataFrame(
        {
            "mention_id": ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8"],
            "platform": ["twitter", "twitter", "twitter", "facebook", "facebook", "twitter",
                         "twitter", "twitter"],
            "account_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"],
            "timestamp": [ts, ts + h, ts + 2 * h, ts, ts + 30 * 24 * h, ts + 3 * h, ts + 4 * h,
                          ts + 5 * h],
            "text": ["@maisonlys vous livrez en Corse ?", "Colis toujours pas reçu @jean_x",
                     "Magasin joli", "Comment joindre le service client ?",
                     "Appli qui plante encore", "RT @a: Colis toujours pas reçu",
                     "Moi aussi j'attends toujours", "Orbe vous livrez le dimanche ?"],
            "brand": [BRAND] * 7 + ["Orbe"],
            "reply_to": [None] * 6 + ["M2", None],
            "retweet_of": [None] * 5 + ["M2", None, None],
        }
    )
    posts = pd.DataFrame(
        {
            "brand": [BRAND, BRAND, BRAND, BRAND, "Orbe"],
            "timestamp": [ts + 2 * h, ts + 4 * h, ts + 10 * h, ts + 3 * h, ts + 6 * h],
            "reply_to": ["M1", "M2", "M2", "M3", "M8"],
        }
    )
    return mentions, posts


def test_first_responses_takes_the_brands_first_reply():
    mentions, posts = _tiny()
    r = care.first_responses(mentions, posts, BRAND).set_index("mention_id")
    assert r.loc["M1", "response_hours"] == 2.0
    assert r.loc["M2", "response_hours"] == 3.0  # first of two replies
    assert "M8" not in r.index  # a competitor's reply is not ours


def test_first_response_before_the_mention_is_an_error():
    mentions, posts = _tiny()
    posts.loc[0, "timestamp"] = pd.Timestamp("2026-09-30")
    with pytest.raises(ValueError, match="before the mention.*M1"):
        care.first_responses(mentions, posts, BRAND)


def test_care_items_scope_kinds_and_summary():
    mentions, posts = _tiny()
    before = mentions.copy()
    items = care.care_items(mentions, posts, BRAND, keep_handles=["maisonlys"],
                            departments=pd.Series({"M1": "logistique"}))
    pd.testing.assert_frame_equal(mentions, before)  # inputs untouched
    assert items["mention_id"].tolist() == ["M1", "M4", "M2", "M3", "M5"]
    k = items.set_index("mention_id")
    assert k.loc["M3", "kind"] == "other"  # answered although no rule fired
    assert k.loc["M2", "text"] == "Colis toujours pas reçu @user"
    assert k.loc["M1", "department"] == "logistique" and k.loc["M4", "department"] == "non routé"
    scope = care.care_scope(mentions, BRAND, brand_posts=posts).set_index("motif")["mentions"]
    assert scope.sum() == len(mentions) and scope["dans la file"] == len(items)
    assert care.care_scope(mentions, BRAND).set_index("motif").loc["dans la file", "mentions"] == 4
    assert scope["autre marque"] == 1 and scope["repartage (retweet)"] == 1
    assert scope["réponse entre internautes"] == 1
    s = care.care_summary(items, by="platform").set_index("platform")
    tw = s.loc["twitter"]
    assert (tw["items"], tw["questions"], tw["complaints"], tw["answered"]) == (3, 1, 1, 3)
    assert tw["share_answered"] == 1.0 and tw["median_response_hours"] == 2.0
    assert tw["p90_response_hours"] == pytest.approx(2 + 0.8 * 1)  # linear between 2 and 3
    fb = s.loc["facebook"]
    assert fb["answered"] == 0 and fb["unanswered"] == 2 and np.isnan(fb["median_response_hours"])
    old = care.oldest_unanswered(items, pd.Timestamp("2026-11-01"), n=5)
    assert old["mention_id"].tolist() == ["M4", "M5"]
    assert old.loc[0, "age_days"] == pytest.approx(31 - 10 / 24)
    # seen from 12:30 on Oct 1st, M2's reply (13:00) had not come yet; M4 was posted after
    early = care.oldest_unanswered(items, pd.Timestamp("2026-10-01 12:30"))
    assert early["mention_id"].tolist() == ["M4", "M2"]
    assert care.oldest_unanswered(items, "2026-11-01", since="2026-10-15")["mention_id"].tolist() == ["M5"]


def test_route_departments_uses_the_alerts_routing():
    from workbench import concepts

    mentions, _ = _tiny()
    d = care.route_departments(mentions)
    assert list(d.index) == mentions["mention_id"].tolist()
    assert d.tolist() == concepts.tag_themes(mentions["text"])["department"].tolist()
    assert d["M2"] == "logistique"  # an undelivered parcel goes to logistics
    # the listening notebook's saved themes of the month are reused where they cover a mention
    first = mentions.iloc[:2]
    saved = concepts.mention_scores_table(first.join(concepts.mention_tags(first)), "2026-10").assign(
        department="marketing")
    reused = care.route_departments(mentions, saved, "2026-10")
    assert reused.iloc[:2].tolist() == ["marketing", "marketing"]
    assert reused.iloc[2:].tolist() == d.iloc[2:].tolist()


def test_care_items_routes_the_queue_like_routing_every_mention():
    """With `month` (and the listening notebook's saved tags), care_items routes the queue's
    mentions itself: the same departments as routing every mention beforehand."""
    from workbench import concepts

    mentions, posts = _tiny()
    first = mentions.iloc[:2]
    saved = concepts.mention_scores_table(first.join(concepts.mention_tags(first)), "2026-10").assign(
        department="marketing")
    before = care.care_items(mentions, posts, BRAND,
                             departments=care.route_departments(mentions, saved, "2026-10"))
    inside = care.care_items(mentions, posts, BRAND, saved_tags=saved, month="2026-10")
    pd.testing.assert_frame_equal(inside, before)
    assert (inside["department"] == "marketing").any() and (inside["department"] != "marketing").any()
    assert (care.care_items(mentions, posts, BRAND)["department"] == "non routé").all()


def test_care_items_missing_columns():
    mentions, posts = _tiny()
    with pytest.raises(KeyError, match="retweet_of"):
        care.care_items(mentions.drop(columns="retweet_of"), posts, BRAND)


# --------------------------------------------------------------------------- ideas


def _ideas_fixture():
    texts = [
        ("Il faudrait plus de cabines d'essayage le samedi", "online", "2026-09"),
        ("Ce serait bien d'avoir des cabines d'essayage plus grandes", "store", "2026-09"),
        ("Pourquoi pas ajouter des cabines d'essayage au rayon enfant ?", "store", "2026-10"),
        ("J'aimerais que @maisonlys ouvre plus de cabines d'essayage, dixit @jean_x", "online", "2026-10"),
        ("Il faudrait des caisses automatiques", "store", "2026-09"),
        ("Ce serait bien d'avoir des caisses automatiques", "online", "2026-10"),
        ("J'aimerais un rayon seconde main", "online", "2026-10"),
    ]
    return pd.DataFrame({"text": [t for t, _, _ in texts], "source": [s for _, s, _ in texts],
                         "month": [pd.Period(m, "M") for _, _, m in texts]})


def test_group_ideas_groups_variants_of_one_idea():
    g = care.group_ideas(_ideas_fixture(), brands=[BRAND])
    themes = g["idea_theme"].tolist()
    assert len(set(themes[:4])) == 1 and themes[0] == "cabines d'essayage"
    assert themes[4] == themes[5] == "caisses automatiques"
    assert themes[6] not in (themes[0], themes[4])
    board = care.ideas_board(g, polarity=pd.Series([0.2, 0.4, 0.0, 0.2, -0.2, 0.0, 0.6]),
                             keep_handles=["maisonlys"])
    top = board.iloc[0]
    assert (top["idea_theme"], top["ideas"], top["online"], top["store"]) == ("cabines d'essayage", 4, 2, 2)
    assert top["mean_polarity"] == pytest.approx(0.2) and top["share"] == pytest.approx(4 / 7)
    quotes = board[["quote_online", "quote_store"]].to_numpy().ravel()
    assert not any("jean_x" in q for q in quotes)  # people's handles masked
    assert top["quote_store"] in set(g["text"][:3]) and "cabines d'essayage" in top["quote_online"]
    mom = care.ideas_month_over_month(g, "2026-10").set_index("idea_theme")
    assert mom.loc[themes[6], "is_new"] and not mom.loc["cabines d'essayage", "is_new"]
    assert mom.loc["cabines d'essayage", "ideas_month"] == 2
    assert mom.loc["cabines d'essayage", "ideas_previous_month"] == 2
    assert mom.loc["caisses automatiques", "change"] == 0


def test_group_ideas_rare_sets_join_the_nearest_theme_or_rare_bucket():
    ideas = pd.DataFrame({"text": [
        "Il faudrait plus de cabines d'essayage",  # 3 x the same keyword set: clustered
        "Il faudrait plus de cabines d'essayage",
        "Il faudrait plus de cabines d'essayage",
        "Il faudrait des caisses automatiques",  # 2 x: clustered
        "Il faudrait des caisses automatiques",
        "Il faudrait des cabines d'essayage plus grandes",  # rare, close to the first theme
        "Il faudrait un bar à jus",  # rare, close to nothing
        "Il faudrait plus de",  # no content word left
    ]})
    g = care.group_ideas(ideas, max_clustered=2)
    assert g["idea_theme"].tolist() == ["cabines d'essayage"] * 3 + ["caisses automatiques"] * 2 + [
        "cabines d'essayage", care.RARE_IDEAS, care.NO_KEYWORD]
    with pytest.raises(ValueError, match="max_clustered"):
        care.group_ideas(ideas, max_clustered=1)


def test_idea_items_sources_and_exclusions():
    mentions, _ = _tiny()
    mentions.loc[2, "text"] = "Il faudrait un rayon vrac"
    mentions.loc[5, "text"] = "RT @a: Il faudrait un rayon vrac"  # a reshare is not a new idea
    reviews = pd.DataFrame({"review_id": ["R1", "R2"], "store_id": ["S1", "S2"],
                            "customer_id": ["C1", None], "date": pd.to_datetime(["2026-10-02"] * 2),
                            "text": ["Ce serait bien d'ouvrir le dimanche", "Magasin propre"]})
    ideas = care.idea_items(mentions, reviews, BRAND)
    assert ideas[["idea_id", "source"]].values.tolist() == [["M3", "online"], ["R1", "store"]]
    assert (ideas["month"] == pd.Period("2026-10", "M")).all()


# --------------------------------------------------------------------------- default sample


@pytest.fixture(scope="module")
def sample_tables(sample_dir):
    return datasets.read_tables(["mentions", "brand_posts", "store_reviews"], sample_dir)


def test_sample_planted_response_times_recovered(sample_tables, truth):
    m, bp = sample_tables["mentions"], sample_tables["brand_posts"]
    items = care.care_items(m, bp, BRAND)
    got = care.care_summary(items, by="platform").set_index("platform")["median_response_hours"]
    t = truth["mentions"].merge(m[["mention_id", "platform"]], on="mention_id")
    want = t.groupby("platform")["response_delay_hours"].median()
    print("\n" + pd.DataFrame({"measured": got, "planted": want}).round(3).to_string())
    assert set(got.index) == set(want.index)
    assert (got - want).abs().max() <= 1.0
    # every planted answer is found (nothing the brand answered is missed by the queue)
    answered = set(t.loc[t["response_delay_hours"].notna(), "mention_id"])
    assert answered <= set(items.loc[items["answered"], "mention_id"])


def test_sample_detection_agrees_with_planted_kinds(sample_tables, truth):
    """Every planted question, complaint and suggestion is found; planted suggestions are not
    confused with anything else. (The sample also holds neutral questions such as 'Le magasin
    est ouvert le dimanche ?' that the generator does not mark as questions: not asserted.)"""
    m = sample_tables["mentions"]
    f = care.detect(m["text"]).set_index(m["mention_id"])
    t = truth["mentions"].set_index("mention_id")
    f = f.loc[t.index]
    for kind in ("question", "complaint", "suggestion"):
        y = t[f"is_{kind}"].astype(bool)
        assert f.loc[y, f"is_{kind}"].mean() >= 0.95, kind
    ys = t["is_suggestion"].astype(bool)
    assert f.loc[f["is_suggestion"], :].index.isin(ys[ys].index).mean() >= 0.95


def test_sample_planted_suggestion_is_the_top_idea(sample_tables, truth):
    m, rv = sample_tables["mentions"], sample_tables["store_reviews"]
    ideas = care.group_ideas(care.idea_items(m, rv, BRAND), brands=[BRAND, "Orbe", "Kaléo"])
    board = care.ideas_board(ideas)
    top = board.iloc[0]
    print("\n" + board[["idea_theme", "ideas", "online", "store"]].to_string())
    keywords = set(truth["suggestion"]["keywords"])
    assert keywords & set(top["idea_theme"].split()) or any(k in top["idea_theme"] for k in keywords)
    assert top["online"] > 0 and top["store"] > 0
    # the planted recurring in-store suggestions land in that theme
    rec = truth["reviews"].loc[truth["reviews"]["is_recurring_suggestion"].astype(bool), "review_id"]
    in_top = ideas.loc[ideas["idea_id"].isin(rec), "idea_theme"].eq(top["idea_theme"]).mean()
    assert in_top >= 0.95
    assert board.iloc[1]["ideas"] < 0.5 * top["ideas"]


def test_monthly_care_uses_the_registry_definitions():
    """One rule for every page: requests = questions + complaints; answered share and
    unanswered among them; median response over all answered items of the month."""
    mentions, posts = _tiny()
    items = care.care_items(mentions, posts, BRAND)
    m = care.monthly_care(items)
    needs = items[items["kind"] != "other"]
    for month, row in m.iterrows():
        mine = needs[needs["month"] == month]
        assert row["care_requests"] == len(mine)
        assert row["care_unanswered"] == (~mine["answered"]).sum()
        assert row["care_answered_share"] == pytest.approx(mine["answered"].mean())
        assert row["care_median_response"] == pytest.approx(
            items.loc[items["month"] == month, "response_hours"].median())
    # by hand: M1 (question, 2 h), M4 (question, open), M2 (complaint, 3 h), M5 (complaint, open), M3 (other, 1 h)
    oct_ = m.loc[pd.Period("2026-10", "M")]
    assert (oct_["care_requests"], oct_["care_unanswered"], oct_["care_answered_share"]) == (4, 2, 0.5)
    assert oct_["care_median_response"] == 2.0  # median of 2, 3 and 1 h (M3 answered, counted in delays)
    assert list(m.columns) == ["care_requests", "care_answered_share", "care_unanswered", "care_median_response"]
    from workbench import indicators
    assert all(c in indicators.REGISTRY for c in m.columns)


def test_ideas_board_store_quote_differs_from_online_when_it_can():
    """The same sentence shown twice (online and in store) tells the reader nothing more: the
    store quote is the most common *other* wording when there is one (case, accents, punctuation
    and hashtags aside), else the same."""
    month = pd.Period("2026-10", "M")
    ideas = pd.DataFrame({
        "idea_theme": ["emballages"] * 6 + ["cabines"] * 2,
        "source": ["online", "online", "store", "store", "store", "store", "online", "store"],
        "text": ["Pourquoi pas des emballages recyclables ?", "Pourquoi pas des emballages recyclables ?",
                 "pourquoi pas des EMBALLAGES recyclables", "#Pourquoi pas des emballages recyclables",
                 "Des emballages en carton, ce serait bien", "Pourquoi pas des emballages recyclables ?",
                 "Plus de cabines", "Plus de cabines !"],
        "month": [month] * 8})
    board = care.ideas_board(ideas).set_index("idea_theme")
    assert board.loc["emballages", "quote_online"] == "Pourquoi pas des emballages recyclables ?"
    assert board.loc["emballages", "quote_store"] == "Des emballages en carton, ce serait bien"
    assert board.loc["cabines", "quote_store"] == "Plus de cabines !"  # no other wording: the same one


def test_idea_words_once_per_distinct_text_phrases_counted_per_suggestion(monkeypatch):
    rules = care.load_rules()
    calls = []
    real = care.idea_keywords
    monkeypatch.setattr(care, "idea_keywords", lambda t, *a: calls.append(t) or real(t, *a))
    ideas = pd.concat([_ideas_fixture()] * 3, ignore_index=True)
    g = care.group_ideas(ideas, brands=[BRAND])
    assert sorted(calls) == sorted(set(ideas["text"]))  # not once per suggestion
    assert g["idea_theme"].tolist() == care.group_ideas(_ideas_fixture(), brands=[BRAND])["idea_theme"].tolist() * 3
    # the label is the phrase most suggestions use: a wording repeated 3 times beats two wordings
    texts = ["il faudrait des cabines d'essayage"] * 3 + ["les caisses automatiques svp", "caisses automatiques partout"]
    keywords = [real(t, rules, set()) for t in texts]
    assert care._theme_label(texts, keywords, rules, set()) == "cabines d'essayage"
    assert care._theme_label(texts[2:], keywords[2:], rules, set()) == "caisses automatiques"


def test_flags_saved_by_one_notebook_are_reused_by_the_next_only_for_the_same_month_and_rules(monkeypatch):
    texts = pd.Series(["Où est ma commande ?", "Colis jamais reçu, c'est inadmissible", "Ce serait bien d'ouvrir le dimanche",
                       "Merci pour l'accueil", "Où est ma commande ?"], dtype="str")
    rules = care.load_rules()
    flags = care.detect(texts, rules)
    saved = care.flags_table(texts, flags, rules, "2026-10")
    assert len(saved) == 4 and set(saved["month"]) == {"2026-10"}
    matched = []
    real = care._detect_distinct
    monkeypatch.setattr(care, "_detect_distinct", lambda folded, r: matched.extend(folded) or real(folded, r))
    later = ["Colis jamais reçu, c'est inadmissible", "Une question : vous livrez le samedi ?", "Où est ma commande ?"]
    again = care.detect(later, rules, saved=saved, month="2026-10")
    assert matched == [care.fold(later[1])]  # only the text the table lacks is matched again
    pd.testing.assert_frame_equal(again, care.detect(later, rules))
    for month, other_rules in (("2026-09", rules), ("2026-10", care.compile_rules({
            k: {"include": [r"\?"]} for k in care.KINDS}))):
        matched.clear()
        care.detect(later, other_rules, saved=saved, month=month)
        assert len(matched) == 3  # another month or other rules: nothing reused
    with pytest.raises(ValueError, match="same index"):
        care.flags_table(texts, flags.iloc[:2], rules, "2026-10")
