"""Ambassador selection: influence, interaction graph, engagement score, diverse panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import ambassadors as amb
from workbench import social_influence

# ------------------------------------------------------------------------------ influence


def _random_edges(n_nodes=60, n_edges=400, seed=1):
    r = np.random.default_rng(seed)
    src = r.integers(0, n_nodes, n_edges)
    tgt = r.integers(0, n_nodes, n_edges)
    keep = src != tgt
    return pd.DataFrame(
        {
            "source": [f"a{i:03d}" for i in src[keep]],
            "target": [f"a{i:03d}" for i in tgt[keep]],
            "weight": r.uniform(0.1, 3.0, keep.sum()),
        }
    )


def test_influence_matches_networkx_pagerank_on_reversed_graph():
    nx = pytest.importorskip("networkx")
    edges = _random_edges()
    got = amb.influence(edges).set_index("account_id")["influence"]
    g = nx.DiGraph()
    agg = edges.groupby(["source", "target"], as_index=False)["weight"].sum()
    for s, t, w in agg.itertuples(index=False):
        g.add_edge(t, s, weight=w)  # credit flows from the amplifier to the amplified
    ref = pd.Series(nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-12, max_iter=500))
    assert set(got.index) == set(ref.index)
    np.testing.assert_allclose(got.sort_index().to_numpy(), ref.sort_index().to_numpy(), atol=1e-8)


def test_influence_direction_sorting_and_counts():
    # hub is retweeted by 5 accounts; it retweets one of them once
    edges = pd.DataFrame(
        {
            "source": ["hub"] * 5 + ["f1", "x"],
            "target": ["f1", "f2", "f3", "f4", "f5", "hub", "x"],
            "weight": [1.0] * 7,
        }
    )
    out = amb.influence(edges)
    assert out["account_id"].iloc[0] == "hub"
    assert out["influence"].is_monotonic_decreasing
    assert out["influence"].sum() == pytest.approx(1.0)
    assert out.attrs["self_loops_excluded"] == 1
    hub = out.set_index("account_id").loc["hub"]
    assert hub["amplifiers"] == 5 and hub["amplification"] == 5.0
    # reversed star (the hub retweets five accounts, nobody retweets it): hub is last
    star = edges.iloc[:5].rename(columns={"source": "target", "target": "source"})
    assert amb.influence(star)["account_id"].iloc[-1] == "hub"


def test_influence_duplicate_edges_are_summed():
    a = pd.DataFrame({"source": ["s", "s", "t"], "target": ["t", "t", "u"], "weight": [1.0, 2.0, 1]})
    b = pd.DataFrame({"source": ["s", "t"], "target": ["t", "u"], "weight": [3.0, 1.0]})
    pd.testing.assert_frame_equal(amb.influence(a), amb.influence(b))


@pytest.mark.parametrize(
    "edges, message",
    [
        (pd.DataFrame({"source": ["a"], "target": ["b"]}), "missing column"),
        (pd.DataFrame({"source": ["a"], "target": ["b"], "weight": [-1.0]}), "negative"),
        (pd.DataFrame({"source": ["a"], "target": ["b"], "weight": [np.nan]}), "missing"),
        (pd.DataFrame({"source": [None], "target": ["b"], "weight": [1.0]}), "missing source"),
    ],
)
def test_influence_rejects_bad_edges(edges, message):
    with pytest.raises(ValueError, match=message):
        amb.influence(edges)


def test_influence_empty_graph():
    out = amb.influence(pd.DataFrame({"source": [], "target": [], "weight": []}))
    assert out.empty and "influence" in out.columns


# ------------------------------------------------------------------------------ graph


def _social_fixture():
    t = pd.Timestamp("2026-10-10")
    mentions = pd.DataFrame(
        {
            "mention_id": ["m1", "m2", "m3", "m4"],
            "account_id": ["star", "fan1", "fan2", "fan3"],
            "timestamp": [t] * 4,
            "platform": ["twitter"] * 4,
            "text": ["Livraison rapide chez Maison Lys", "RT", "Oui la livraison !",
                     "bof, demandez à @Star_H."],
            "brand": ["Maison Lys"] * 4,
            "reply_to": [None, None, "m1", "p_unknown"],
            "retweet_of": [None, "m1", None, None],
        }
    )
    brand_posts = pd.DataFrame(
        {"post_id": ["p1"], "account_id": ["brand"], "brand": ["Maison Lys"], "timestamp": [t]}
    )
    interactions = pd.DataFrame(
        {
            "post_id": ["m1", "m1", "p1", "m1"],
            "account_id": ["fan3", "fan4", "fan1", "fan4"],
            "type": ["share", "like", "like", "comment"],
            "timestamp": [t, t, t, t + pd.Timedelta(days=40)],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["star", "fan1", "fan2", "fan3", "fan4", "brand"],
            "platform": ["twitter"] * 6,
            "handle": ["star_h", "f1", "f2", "f3", "f4", "maisonlys"],
            "followers": [5000, 10, 20, 30, 40, 100000],
            "account_type": ["person"] * 5 + ["brand"],
        }
    )
    return mentions, interactions, brand_posts, accounts


def test_interaction_edges_direction_weights_window_and_unresolved():
    mentions, interactions, brand_posts, _ = _social_fixture()
    end = pd.Timestamp("2026-10-31 23:59")
    edges = amb.interaction_edges(mentions, interactions, brand_posts, end=end)
    e = edges.set_index(["source", "target"])["weight"]
    w = amb.DEFAULT_EDGE_WEIGHTS
    assert e[("star", "fan1")] == w["retweet"]
    assert e[("star", "fan2")] == w["reply"]
    assert e[("star", "fan3")] == w["share"]
    assert e[("star", "fan4")] == w["like"]  # the comment is after `end`
    assert e[("brand", "fan1")] == w["like"]
    assert edges.attrs["unresolved_posts"] == 1  # fan3's reply to an unknown post
    assert len(edges) == 5
    with pytest.raises(ValueError, match="no weight"):
        amb.interaction_edges(mentions, interactions.assign(type="poke"), brand_posts)
    # an @tag makes the tagged account influence the author
    _, _, _, accounts = _social_fixture()
    tagged = amb.interaction_edges(mentions, interactions, brand_posts, end=end, accounts=accounts)
    t = tagged.set_index(["source", "target"])["weight"]
    assert t[("star", "fan3")] == w["share"] + w["mention"]
    assert tagged.attrs["actions_by_type"]["mention"] == 1


def test_account_signals_rates_and_topic():
    mentions, interactions, brand_posts, accounts = _social_fixture()
    edges = amb.interaction_edges(mentions, interactions, brand_posts)
    sig = amb.account_signals(accounts, mentions, interactions, brand_posts, edges, "Maison Lys")
    s = sig.set_index("account_id")
    assert "brand" not in s.index  # person accounts only
    assert s.loc["star", "amplification_per_post"] == 2.0  # one retweet + one share, one post
    assert s.loc["star", "conversations_per_post"] == 2.0  # one reply + one comment
    assert s.loc["star", "main_topic"] == "Livraison"  # the taxonomy's label
    assert s.loc["fan1", "brand_post_engagement"] == 1.0  # liked the only brand post
    assert s["influence"].idxmax() == "star"
    assert not s["detractor"].any()
    senti = pd.Series({"m1": 0.8, "m2": 0.0, "m3": 0.5, "m4": -0.9})
    sig2 = amb.account_signals(accounts, mentions, interactions, brand_posts, edges, "Maison Lys",
                               sentiment=senti)
    assert sig2.set_index("account_id").loc["fan3", "detractor"]
    assert len(sig2) == len(sig)  # detractors are flagged, not dropped


# ------------------------------------------------------------------------------ scoring


def test_engagement_score_normalises_and_explains():
    sig = pd.DataFrame({"customer_id": ["a", "b", "c", "d"]})
    for k in amb.SIGNAL_LABELS:
        sig[k] = 0.0
    sig["email_open_rate"] = [0.9, 0.5, 0.0, 0.1]
    sig["followers"] = [10.0, 1e6, 0.0, 0.0]  # heavy tail: rank, not raw value
    w = dict.fromkeys(amb.SIGNAL_LABELS, 0.0) | {"email_open_rate": 1.0, "followers": 1.0}
    out = amb.engagement_score(sig, w).set_index("customer_id")
    assert out.loc["c", "score"] == 0.0
    assert out.loc["a", "score"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)
    assert out.loc["b", "score"] == pytest.approx(0.5 * (2 / 3) + 0.5 * 1.0)
    assert out.loc["b", "top_signals"].startswith("audience")
    assert out.loc["c", "top_signals"] == ""
    with pytest.raises(ValueError, match="unknown signal"):
        amb.engagement_score(sig, {"tweets": 1.0})
    with pytest.raises(ValueError, match=">= 0"):
        amb.engagement_score(sig, {"followers": -1.0})


def test_customer_signals_rates_links_and_nominations():
    t0, t1 = pd.Timestamp("2026-08-01"), pd.Timestamp("2026-10-31 23:59")
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "loyalty_points": [10, 0, 5]})
    ev = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "a"],
        "event": ["sent", "open", "click", "sent", "open", "sent"],
        "timestamp": [pd.Timestamp("2026-09-01")] * 5 + [pd.Timestamp("2026-01-01")],  # last: old
    })
    tx = pd.DataFrame({"customer_id": ["c", "c", "c", "a"], "channel": ["store", "store", "store", "web"],
                       "timestamp": [pd.Timestamp("2026-09-05")] * 4})
    links = pd.DataFrame({"customer_id": ["a", "a"], "account_id": ["x", "y"]})
    acc = pd.DataFrame({
        "account_id": ["x", "y"], "brand_post_engagement": [0.1, 0.3], "brand_mentions": [3, 6],
        "amplification_per_post": [2.0, 1.0], "conversations_per_post": [0.5, 0.0],
        "influence": [0.01, 0.02], "followers": [100, 50], "sentiment": [0.5, -0.9],
        "detractor": [False, True], "main_topic": ["prix", "prix"],
    })
    noms = pd.DataFrame({"customer_id": ["c", "c", "zz"], "date": [pd.Timestamp("2026-02-01"),
                                                                   pd.Timestamp("2026-09-01"),
                                                                   pd.Timestamp("2026-09-01")]})
    sig = amb.customer_signals(customers, tx, ev, links, acc, noms, t0, t1).set_index("customer_id")
    assert sig.loc["a", "email_open_rate"] == 1.0 and sig.loc["a", "email_click_rate"] == 1.0
    assert sig.loc["b", "email_open_rate"] == 1.0 and sig.loc["b", "email_click_rate"] == 0.0
    assert sig.loc["c", "emails_sent"] == 0 and sig.loc["c", "email_open_rate"] == 0.0
    assert sig.loc["c", "store_visits"] == pytest.approx(3 / (91 / 30.44))
    assert sig.loc["a", "linked_accounts"] == 2
    assert sig.loc["a", "amplification_per_post"] == 2.0  # best account
    assert sig.loc["a", "followers"] == 150 and sig.loc["a", "detractor"]
    assert sig.loc["c", "nominations"] == 1  # the February nomination is outside the window
    longer = amb.customer_signals(customers, tx, ev, links, acc, noms, t0, t1,
                                  nomination_start=pd.Timestamp("2026-01-01"))
    assert longer.set_index("customer_id").loc["c", "nominations"] == 2
    with pytest.raises(ValueError, match="missing column"):
        amb.customer_signals(customers, tx.drop(columns="channel"), ev, links, acc, noms, t0, t1)


def test_candidate_pool_paths_nominations_and_consent():
    customers = pd.DataFrame({
        "customer_id": ["on", "big", "small_nom", "small_not", "nom_only"],
        "home_store_id": ["S1", "S1", "S2", "S2", "S2"],
        "ambassador_consent": [True, False, True, True, True],
    })
    stores = pd.DataFrame({"store_id": ["S1", "S2"], "format": ["large", "small"]})
    sig = pd.DataFrame({"customer_id": customers["customer_id"]})
    for k in amb.SIGNAL_LABELS:
        sig[k] = 0.0
    sig["email_open_rate"] = [0.5, 0.4, 0.3, 0.2, 0.0]
    sig["nominations"] = [0, 0, 1, 0, 2]
    sig["linked_accounts"] = [1, 0, 0, 0, 0]
    for c, v in {"detractor": False, "sentiment": np.nan, "main_topic": None}.items():
        sig[c] = v
    scored = amb.engagement_score(sig)
    noms = pd.DataFrame({"customer_id": ["small_nom", "nom_only", "nom_only", "ghost"]})
    pool = amb.candidate_pool(customers, stores, scored, sig, noms,
                              staff_formats=["small"]).set_index("customer_id")  # profile's
    assert pool.loc["on", "path"] == amb.ONLINE
    assert pool.loc["big", "path"] == amb.OFFLINE_LARGE and not pool.loc["big", "eligible"]
    assert pool.loc["small_nom", "path"] == amb.OFFLINE_SMALL and pool.loc["small_nom", "nominated"]
    assert "small_not" not in pool.index  # small stores: nominations only
    assert pool.loc["nom_only", "unscored"] and not pool.loc["small_nom", "unscored"]
    a = pool.attrs
    assert a["small_store_not_nominated"] == 1 and a["nominations_unknown_customer"] == 1
    assert a["excluded_no_consent"] == 1 and a["eligible"] == 3 and a["nominated_unscored"] == 1


def test_age_band():
    s = amb.age_band(pd.Series([2000, 1990, 1950, None], dtype="Int64"), 2026)
    assert s.tolist() == ["25-34", "35-44", "65+", "inconnu"]


# ------------------------------------------------------------------------------ selection


def _planted_pool(n=400, seed=3):
    """Top scores concentrated in one region and among online customers."""
    r = np.random.default_rng(seed)
    regions = np.array(["Île-de-France", "Bretagne", "Occitanie", "Grand Est"])
    base = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "region": regions[r.integers(0, 4, n)],
            "age_band": np.array(["18-24", "35-44", "65+"])[r.integers(0, 3, n)],
            "online": np.where(r.random(n) < 0.3, "en ligne", "hors ligne"),
        }
    )
    score = r.random(n) * 0.3 + (base["region"] == "Île-de-France") * 0.5 + (
        base["online"] == "en ligne"
    ) * 0.3
    pool = pd.DataFrame(
        {"customer_id": base["customer_id"], "score": score, "eligible": r.random(n) < 0.7}
    )
    return pool, base


def test_diverse_panel_is_closer_to_base_and_only_consenting():
    pool, base = _planted_pool()
    dims = ["region", "age_band", "online"]
    diverse = amb.select_panel(pool, base, 40, dims)
    top = amb.score_only_panel(pool, 40)
    assert len(diverse) == 40 and diverse["customer_id"].is_unique
    eligible = set(pool.loc[pool["eligible"], "customer_id"])
    assert set(diverse["customer_id"]) <= eligible and set(top["customer_id"]) <= eligible
    rep = amb.compare_representativeness(diverse, top, base, dims)
    assert (rep["diverse"] < rep["score_only"]).all()
    assert rep.loc["region", "diverse"] < 0.1
    # the panel is the best it can be under quotas: scores are taken in order within quotas
    assert diverse["score"].mean() <= top["score"].mean()


def test_quotas_sum_to_n_and_follow_shares():
    q = amb._quotas(pd.Series({"a": 0.5, "b": 0.3, "c": 0.2}), 7)
    assert sum(q.values()) == 7 and q == {"a": 4, "b": 2, "c": 1}


def test_select_panel_relaxes_quotas_when_a_category_has_no_candidate():
    pool, base = _planted_pool()
    pool = pool[~pool["customer_id"].isin(base.loc[base["region"] == "Bretagne", "customer_id"])]
    panel = amb.select_panel(pool, base, 40, ["region"])
    assert len(panel) == 40 and panel.attrs["quota_slack"] >= 1


def test_select_panel_errors():
    pool, base = _planted_pool()
    with pytest.raises(ValueError, match="n must be"):
        amb.select_panel(pool, base, 0, ["region"])
    with pytest.raises(ValueError, match="missing column"):
        amb.select_panel(pool, base, 5, ["segment"])


def test_compare_shortlists_reasons():
    prev_pool = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "score": [0.9, 0.8, 0.5, 0.4],
            "eligible": [True, True, False, True],
            "nominated": [False, False, False, False],
        }
    )
    cur_pool = prev_pool.assign(
        score=[0.9, 0.3, 0.5, 0.4], eligible=[False, True, True, True],
        nominated=[False, False, False, True],
    )

    def reasons_of(prev_pool, cur_pool):  # a and b on last month's list, c and d on this month's
        return amb.compare_shortlists(pd.DataFrame({"customer_id": ["a", "b"]}),
                                      pd.DataFrame({"customer_id": ["c", "d"]}),
                                      prev_pool, cur_pool).set_index("customer_id")

    moves = reasons_of(prev_pool, cur_pool)
    assert moves.loc["a", "raison"] == "consentement retiré"
    assert moves.loc["b", "raison"].startswith("score en baisse")
    assert moves.loc["c", "raison"] == "consentement donné"
    assert moves.loc["d", "raison"] == "nouvelle nomination par le magasin"
    assert moves.loc[["a", "b"], "mouvement"].eq("sortie").all()
    # excluded as a risk one month, not the other: the move says so (not "consent")
    prev_pool["exclusion"] = ["", "", amb._DETRACTOR, ""]
    cur_pool["exclusion"] = [amb._COMPLAINT, "", "", ""]
    moves = reasons_of(prev_pool, cur_pool)
    assert moves.loc["a", "raison"] == "réclamation sans réponse"
    assert moves.loc["c", "raison"] == "n'est plus détracteur"
    prev_pool["exclusion"] = ["", "", amb._NO_CONSENT, ""]
    cur_pool["exclusion"] = [amb._DETRACTOR, "", "", ""]
    moves = reasons_of(prev_pool, cur_pool)
    assert moves.loc["a", "raison"] == "devenu détracteur"
    assert moves.loc["c", "raison"] == "consentement donné"


# ------------------------------------------------------------------------------ default sample


@pytest.fixture(scope="module")
def sample_tables(sample_dir):
    from workbench import datasets

    return datasets.read_tables(list(amb.TABLES_NEEDED), data_dir=sample_dir)


@pytest.fixture(scope="module")
def sample_links(sample_tables):
    return amb.link_identities(sample_tables["customers"], sample_tables["social_accounts"])


@pytest.fixture(scope="module")
def sample_panel(sample_tables, sample_links, sample_dir):
    from workbench import datasets, sample

    month = datasets.report_month(sample_dir)
    return month, amb.build_panel(sample_tables, month, sample.BRAND, sample_links, n=50)


def test_sample_identity_resolution_precision(sample_links, truth):
    pairs = truth["identity_pairs"]
    true = set(zip(pairs["customer_id"], pairs["account_id"], strict=True))
    got = set(zip(sample_links["customer_id"], sample_links["account_id"], strict=True))
    precision = len(true & got) / len(got)
    assert precision >= 0.95, f"precision {precision:.3f} on {len(got)} links"


def test_sample_identity_resolution_recall(sample_links, truth):
    pairs = truth["identity_pairs"]
    true = set(zip(pairs["customer_id"], pairs["account_id"], strict=True))
    got = set(zip(sample_links["customer_id"], sample_links["account_id"], strict=True))
    recall = len(true & got) / len(true)
    assert recall >= 0.95, (
        f"recall {recall:.3f}: {sample_links.attrs['ambiguous_accounts']} accounts tie between "
        "homonyms; the sample generator must give the identity pairs enough evidence (see the "
        "ambassadors helper's report: flatter name frequencies, city and e-mail in more bios)"
    )


def test_sample_planted_influencers_rank_at_the_top(sample_tables, truth, sample_dir):
    import json

    t = sample_tables
    edges = amb.interaction_edges(t["mentions"], t["interactions"], t["brand_posts"],
                                  accounts=t["social_accounts"])
    ranked = amb.influence(edges)
    people = set(t["social_accounts"].loc[t["social_accounts"]["account_type"] == "person",
                                          "account_id"])
    ranked = ranked[ranked["account_id"].isin(people)].reset_index(drop=True)
    rank = pd.Series(ranked.index, index=ranked["account_id"])
    planted = truth["influencers"]["account_id"]
    n = len(planted)
    assert ranked["account_id"].head(n).isin(set(planted)).mean() >= 0.8
    assert (rank.reindex(planted) < 2 * n).mean() >= 0.9
    # big audiences without engagement (decoys) are not influence
    decoys = json.loads((sample_dir / "_truth" / "manifest.json").read_text())["decoy_accounts"]
    assert (rank.reindex(decoys).dropna() >= 2 * n).all()


def test_sample_panel_consent_diversity_and_shortlist(sample_panel, sample_tables):
    _, res = sample_panel
    consent = sample_tables["customers"].set_index("customer_id")["ambassador_consent"]
    panel, top = res["panel"], res["score_only"]
    assert len(panel) == 50 and panel["customer_id"].is_unique
    assert consent.reindex(panel["customer_id"]).astype(bool).all()
    assert consent.reindex(top["customer_id"]).astype(bool).all()
    rep = res["representativeness"]
    assert rep.loc["moyenne", "diverse"] < rep.loc["moyenne", "score_only"]
    assert (rep["diverse"] <= rep["score_only"] + 1e-9).all()
    # both paths are represented; exclusions are counted, not silent
    assert set(panel["path"]) & {amb.ONLINE} and set(panel["path"]) - {amb.ONLINE}
    pool = res["pool"]
    assert pool.attrs["excluded_no_consent"] == int((~pool["eligible"]).sum()) > 0
    nominated = set(sample_tables["staff_nominations"]["customer_id"])
    window_noms = set(res["signals"].loc[res["signals"]["nominations"] > 0, "customer_id"])
    assert window_noms <= set(pool["customer_id"]) and window_noms <= nominated
    short = res["shortlist"]
    assert list(short.columns) == [*amb.SHORTLIST_COLUMNS, "topics"]
    assert not {"first_name", "last_name", "email", "handle", "display_name"} & set(short.columns)
    assert short["top_signals"].str.len().gt(0).all()


def test_sample_planted_detractors_are_flagged_and_never_picked(sample_tables, sample_links, truth,
                                                                 sample_dir):
    """The planted detractors (engaged, consenting, negative balance of mentions) are flagged and
    excluded with their reason; so is every customer with an unanswered negative post; every pick
    has its full explanation (every signal's share, summing to about 100 %) and its topics."""
    from workbench import datasets, sample

    month = datasets.report_month(sample_dir)
    pol = truth["mentions"].set_index("mention_id")["sentiment"].map(
        {"negative": -1.0, "neutral": 0.0, "positive": 1.0})  # a perfect sentiment scorer
    topics = pd.Series("beauté", index=sample_tables["customers"]["customer_id"])
    res = amb.build_panel(sample_tables, month, sample.BRAND, sample_links, n=50, sentiment=pol,
                          topics=topics)
    pool = res["pool"].set_index("customer_id")
    det = truth["detractors"]["customer_id"]
    assert pool.loc[det, "detractor"].all()
    assert pool.loc[det, "ambassador_consent"].all() and not pool.loc[det, "eligible"].any()
    assert pool.loc[det, "exclusion"].str.startswith("détracteur").all()
    assert pool.attrs["excluded_detractors"] >= len(det)
    for picks in (res["panel"], res["score_only"]):
        chosen = pool.loc[picks["customer_id"]]
        assert not chosen["detractor"].any() and (chosen["open_complaints"] == 0).all()
        assert not chosen.index.isin(det).any()
    # the rule, not chance: without the exclusion a planted detractor is eligible again
    loose = amb.select_ambassadors(res["signals"], res["base"], sample_tables["customers"],
                                   sample_tables["stores"], sample_tables["staff_nominations"], 50,
                                   exclude_risks=False)
    assert loose["pool"].set_index("customer_id").loc[det, "eligible"].all()
    assert loose["panel"]["detractor"].any()  # detractors score high enough to be picked
    short = res["shortlist"]
    assert not short["explanation"].str.contains("…|\\.\\.\\.").any()
    shares = short["explanation"].str.findall(r"(\d+) %").map(lambda v: sum(map(int, v)))
    assert shares.between(95, 105).all(), shares.describe()
    assert short["topics"].notna().all() and short["topics"].str.contains("achats : beauté").all()


def test_sample_month_over_month_moves_are_explained(sample_panel, sample_tables, sample_links):
    from workbench import sample

    month, cur = sample_panel
    prev = amb.build_panel(sample_tables, month - 1, sample.BRAND, sample_links, n=50)
    moves = amb.compare_shortlists(prev["shortlist"], cur["shortlist"], prev["pool"], cur["pool"])
    p, c = set(prev["shortlist"]["customer_id"]), set(cur["shortlist"]["customer_id"])
    assert set(moves.loc[moves["mouvement"] == "entrée", "customer_id"]) == c - p
    assert set(moves.loc[moves["mouvement"] == "sortie", "customer_id"]) == p - c
    assert moves["raison"].str.len().gt(0).all()


def test_sample_panel_from_contact_counts_equals_raw_tables(sample_panel, sample_tables,
                                                            sample_links, sample_dir):
    from workbench import datasets, sample

    month, raw = sample_panel
    contacts = datasets.customer_contacts(sample_dir, amb.signal_windows([month - 1, month]))
    slim = {k: v for k, v in sample_tables.items() if k in amb.TABLES_NEEDED_WITH_CONTACTS}
    new = amb.build_panel(slim, month, sample.BRAND, sample_links, n=50,
                          contacts=contacts[month])
    for name in ("signals", "scored", "pool", "panel", "score_only", "representativeness",
                 "shortlist"):
        if isinstance(raw[name], pd.DataFrame):
            pd.testing.assert_frame_equal(raw[name], new[name], check_exact=True)
        else:
            pd.testing.assert_series_equal(raw[name], new[name], check_exact=True)
    assert raw["signals"].attrs == new["signals"].attrs
    with pytest.raises(ValueError, match="contacts` cover"):
        amb.build_panel(slim, month, sample.BRAND, sample_links, n=50,
                        contacts=contacts[month - 1])
    with pytest.raises(ValueError, match="missing table"):
        amb.build_panel(slim, month, sample.BRAND, sample_links, n=50)


def test_mention_sentiment_reuses_the_listening_polarity_of_the_month():
    from workbench import concepts, datasets

    m = datasets.read_table("mentions").head(400)
    brand = m["brand"].mode().iloc[0]
    fresh = amb.mention_sentiment(m, brand)
    saved = concepts.mention_scores_table(m.join(concepts.mention_tags(m)), "2026-10")
    same = amb.mention_sentiment(m, brand, saved=saved, month="2026-10")
    pd.testing.assert_series_equal(same, fresh)
    planted = saved.assign(polarity=0.5)
    assert (amb.mention_sentiment(m, brand, saved=planted, month="2026-10") == 0.5).all()
    assert not (amb.mention_sentiment(m, brand, saved=planted, month="2026-09") == 0.5).all()


def test_post_topics_reuse_the_taggers_own_theme_not_the_inherited_one():
    """03 saves tags after replies inherit their parent's theme; the topic of a post is the
    tagger's own theme: reusing the saved tags gives the same topics as tagging again, and
    `account_signals(topics=...)` the same signals (posts it lacks are tagged there)."""
    from workbench import concepts, datasets

    m = datasets.read_table("mentions")
    brand = m["brand"].mode().iloc[0]
    scored = concepts.inherit_parent_themes(m.join(concepts.mention_tags(m, with_sentiment=False)))
    scored = scored.assign(polarity=0.0, label="neutral")  # not read by post_topics
    assert scored["theme_from_parent"].any()  # the case that matters is present
    saved = concepts.mention_scores_table(scored, "2026-10")
    fresh = amb.post_topics(m, brand)
    reused = amb.post_topics(m, brand, saved=saved, month="2026-10")
    pd.testing.assert_series_equal(reused, fresh)
    assert fresh.notna().any() and fresh.isna().any()
    # a wrong saved theme is used when saved for the month, not for another month
    planted = saved.assign(theme="livraison", themes="livraison")
    label = concepts.default_taxonomy().labels["livraison"]
    assert (amb.post_topics(m, brand, saved=planted, month="2026-10") == label).all()
    assert not (amb.post_topics(m, brand, saved=planted, month="2026-09") == label).all()
    mentions, interactions, brand_posts, accounts = _social_fixture()
    edges = amb.interaction_edges(mentions, interactions, brand_posts)
    plain = amb.account_signals(accounts, mentions, interactions, brand_posts, edges, "Maison Lys")
    partial = amb.post_topics(mentions, "Maison Lys").iloc[:1]  # the others are tagged in the call
    pd.testing.assert_frame_equal(
        amb.account_signals(accounts, mentions, interactions, brand_posts, edges, "Maison Lys",
                            topics=partial), plain)


def test_panels_carry_the_explanations_engagement_score_gives(sample_panel):
    """select_ambassadors explains only the panels' rows: the same texts as engagement_score
    computes for every customer."""
    _, res = sample_panel
    full = amb.engagement_score(res["signals"]).set_index("customer_id")
    for panel in (res["panel"], res["score_only"]):
        p = panel.set_index("customer_id")
        assert len(p) == 50
        pd.testing.assert_series_equal(p["explanation"], full.loc[p.index, "explanation"])
        pd.testing.assert_series_equal(p["top_signals"], full.loc[p.index, "top_signals"])
    assert "explanation" not in res["pool"].columns


def test_actions_of_both_months_windows_give_each_months_panel(sample_panel, sample_tables, sample_links):
    """The actions found once over the two months' windows give the same edges, account
    signals and panel as each month's own (same rows in the same order: the same sums)."""
    from workbench import sample

    month, cur = sample_panel
    t = sample_tables
    start_prev, _ = amb.report_window(month - 1)
    _, end = amb.report_window(month)
    acts = amb.actions(t["mentions"], t["interactions"], t["brand_posts"], start_prev, end, t["social_accounts"])
    assert set(acts["origin"]) == {social_influence.MENTION_RETWEET, social_influence.MENTION_REPLY,
                                   social_influence.INTERACTION, social_influence.TAG}
    assert acts["timestamp"].between(start_prev, end).all()
    for m, own in ((month, cur), (month - 1, amb.build_panel(t, month - 1, sample.BRAND, sample_links, n=50))):
        shared = amb.build_panel(t, m, sample.BRAND, sample_links, n=50, acts=acts)
        for name in ("edges", "accounts", "signals", "pool", "panel", "shortlist"):
            pd.testing.assert_frame_equal(own[name], shared[name], check_exact=True)
        assert own["edges"].attrs == shared["edges"].attrs
    assert len(acts) > len(amb.actions(t["mentions"], t["interactions"], t["brand_posts"],
                                       *amb.report_window(month), t["social_accounts"]))


def test_sentiment_over_both_panels_window_gives_the_previous_panel_its_own_tones(sample_tables, sample_links,
                                                                                  sample_dir):
    """The page finds the mention sentiment once for its two panels (`panels_window`): the
    previous month's panel then flags the same detractors as with a sentiment of its own window
    (this month's window alone leaves the posts of its first month without a tone)."""
    from workbench import datasets, sample

    month = datasets.report_month(sample_dir)
    t = sample_tables
    start, end = amb.panels_window(month)
    assert (start, end) == (amb.report_window(month - 1)[0], amb.report_window(month)[1])
    both = amb.mention_sentiment(t["mentions"], sample.BRAND, start, end)
    own = amb.mention_sentiment(t["mentions"], sample.BRAND, *amb.report_window(month - 1))
    current = amb.mention_sentiment(t["mentions"], sample.BRAND, *amb.report_window(month))
    prev = {name: amb.build_panel(t, month - 1, sample.BRAND, sample_links, n=50, sentiment=s)["accounts"]
            for name, s in (("both", both), ("own", own), ("current", current))}
    pd.testing.assert_frame_equal(prev["both"], prev["own"], check_exact=True)
    assert prev["own"]["detractor"].sum() > 0
    # the defect this replaces: the first month's posts had no tone, so fewer negative posts were seen
    assert prev["current"]["negative_mentions"].sum() < prev["own"]["negative_mentions"].sum()
